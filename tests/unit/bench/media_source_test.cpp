#include "bench/media_source.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "bench/packet_stamp.h"
#include "rtp/keyframe_detector.h"
#include "rtp/rtp_packet.h"

namespace sfu::bench {
namespace {

constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t kStart = 5'000 * kMs;

struct Sent {
  SyntheticMediaSource::Kind kind;
  std::vector<uint8_t> bytes;
};

// Drives the source every millisecond from `from` to `to` (exclusive), as a client thread does.
std::vector<Sent> drive(SyntheticMediaSource& source, uint64_t from, uint64_t to,
                        const MeasurementWindow* window, uint64_t step = kMs) {
  std::vector<Sent> out;
  std::array<uint8_t, 1500> buffer{};
  for (uint64_t now = from; now < to; now += step) {
    for (auto kind = source.next_due(now); kind != SyntheticMediaSource::Kind::kNone;
         kind = source.next_due(now)) {
      size_t size = source.build(kind, now, window, MutableByteSpan(buffer));
      EXPECT_GT(size, 0u);
      out.push_back({kind, std::vector<uint8_t>(buffer.begin(), buffer.begin() + size)});
    }
  }
  return out;
}

TEST(SyntheticMediaSource, SendsTheConfiguredRatesWithStampedSequentialPackets) {
  MediaSourceConfig config;
  config.publisher_index = 3;
  config.video_pps = 3000;
  config.video_packet_size = 1200;
  SyntheticMediaSource source(config);
  source.start(kStart);
  auto sent = drive(source, kStart, kStart + 1000 * kMs, nullptr);
  size_t audio = 0, video = 0;
  uint32_t next_audio = 0, next_video = 0;
  for (auto& s : sent) {
    auto packet = rtp::RtpPacket::parse(MutableByteSpan(s.bytes));
    ASSERT_TRUE(packet);
    auto stamp = read_stamp(packet->payload());
    ASSERT_TRUE(stamp);
    EXPECT_GE(stamp->send_ns, kStart);
    if (s.kind == SyntheticMediaSource::Kind::kVideo) {
      EXPECT_EQ(s.bytes.size(), 1200u);
      EXPECT_EQ(packet->payload_type(), 96);
      EXPECT_EQ(packet->ssrc(), config.video_ssrc);
      EXPECT_EQ(stamp->stream, video_stream_of(3));
      EXPECT_EQ(stamp->sequence, next_video++);
      EXPECT_TRUE(packet->mid(config.ext_mid).has_value());
      EXPECT_TRUE(packet->transport_sequence_number(config.ext_transport_cc).has_value());
      ++video;
    } else {
      EXPECT_EQ(packet->payload_type(), 111);
      EXPECT_EQ(packet->ssrc(), config.audio_ssrc);
      EXPECT_EQ(packet->payload_size(), config.audio_payload_size);
      EXPECT_EQ(stamp->stream, audio_stream_of(3));
      EXPECT_EQ(stamp->sequence, next_audio++);
      ++audio;
    }
  }
  // Ticks at 0..999 ms: floor(0.999 s * 3000) + 1 video packets were due, and 50 audio packets
  // (the first of each at t=0).
  EXPECT_EQ(video, 2998u);
  EXPECT_EQ(audio, 50u);
  EXPECT_EQ(source.video_sent(), 2998u);
  EXPECT_EQ(source.skipped(), 0u);
}

TEST(SyntheticMediaSource, FramesStartWithVp8DescriptorsAndKeyframesRecur) {
  MediaSourceConfig config;
  config.video_pps = 300;  // 10 packets per 30 fps frame
  config.audio = false;
  config.keyframe_interval_ms = 1000;
  SyntheticMediaSource source(config);
  EXPECT_EQ(source.packets_per_frame(), 10u);
  source.start(kStart);
  auto sent = drive(source, kStart, kStart + 2500 * kMs, nullptr);
  ASSERT_EQ(sent.size(), 750u);
  size_t keyframes = 0, markers = 0;
  for (size_t i = 0; i < sent.size(); ++i) {
    auto packet = rtp::RtpPacket::parse(MutableByteSpan(sent[i].bytes));
    ASSERT_TRUE(packet);
    bool first_of_frame = i % 10 == 0;
    EXPECT_EQ((packet->payload()[0] & 0x10) != 0, first_of_frame) << i;
    EXPECT_EQ(packet->marker(), i % 10 == 9) << i;
    if (rtp::is_vp8_keyframe_start(packet->payload())) {
      EXPECT_TRUE(first_of_frame);
      ++keyframes;
    }
    markers += packet->marker();
  }
  EXPECT_EQ(markers, 75u);
  EXPECT_EQ(keyframes, 3u);  // t = 0, 1 s, 2 s
  EXPECT_TRUE(rtp::is_vp8_keyframe_start(rtp::RtpPacket::parse(MutableByteSpan(sent[0].bytes))->payload()));

  // A request makes the next frame a keyframe.
  source.request_keyframe();
  auto more = drive(source, kStart + 2500 * kMs, kStart + 2540 * kMs, nullptr);
  ASSERT_FALSE(more.empty());
  bool found = false;
  for (auto& s : more)
    found |= rtp::is_vp8_keyframe_start(rtp::RtpPacket::parse(MutableByteSpan(s.bytes))->payload());
  EXPECT_TRUE(found);
  EXPECT_EQ(source.keyframes_sent(), 4u);
}

TEST(SyntheticMediaSource, AStallIsSkippedNotBurstAndTakesNoSequenceNumbers) {
  MediaSourceConfig config;
  config.video_pps = 1000;
  config.audio = false;
  config.max_backlog_ms = 20;
  SyntheticMediaSource source(config);
  source.start(kStart);
  auto before = drive(source, kStart, kStart + 100 * kMs, nullptr);
  EXPECT_EQ(before.size(), 100u);
  // 500 ms without a tick: at most 20 ms of backlog goes out at once.
  auto after = drive(source, kStart + 600 * kMs, kStart + 601 * kMs, nullptr);
  EXPECT_EQ(after.size(), 20u);
  EXPECT_EQ(source.skipped(), 481u);
  auto packet = rtp::RtpPacket::parse(MutableByteSpan(after.front().bytes));
  EXPECT_EQ(read_stamp(packet->payload())->sequence, 100u);  // no gap in the stamps
}

TEST(SyntheticMediaSource, RecordsTheStampsSentInsideTheWindow) {
  MediaSourceConfig config;
  config.video_pps = 1000;
  SyntheticMediaSource source(config);
  MeasurementWindow window;
  window.set(kStart + 200 * kMs, kStart + 700 * kMs);
  source.start(kStart);
  drive(source, kStart, kStart + 1000 * kMs, &window);
  EXPECT_EQ(source.video_window().first, 200u);
  EXPECT_EQ(source.video_window().count, 500u);
  EXPECT_EQ(source.audio_window().first, 10u);
  EXPECT_EQ(source.audio_window().count, 25u);
}

TEST(SyntheticMediaSource, TooSmallBufferBuildsNothing) {
  MediaSourceConfig config;
  SyntheticMediaSource source(config);
  source.start(kStart);
  std::array<uint8_t, 100> small{};
  EXPECT_EQ(source.build(SyntheticMediaSource::Kind::kVideo, kStart, nullptr, MutableByteSpan(small)), 0u);
  EXPECT_EQ(source.video_sent(), 0u);
  EXPECT_EQ(source.build(SyntheticMediaSource::Kind::kNone, kStart, nullptr, MutableByteSpan(small)), 0u);
}

// --simulcast: three rid layers (q, h, f) at a quarter, half and all of video_pps, built by the
// test client's SimulcastVideo, each with its own SSRC, key frames and stamp stream, so a receiver
// of one layer counts exactly what that layer sent.
TEST(SyntheticMediaSource, SimulcastSendsThreeRidLayersEachWithItsOwnStampStream) {
  MediaSourceConfig config;
  config.publisher_index = 2;
  config.video_pps = 960;  // q 240, h 480, f 960: frames of 8, 16, 32 packets at 30 fps
  config.video_packet_size = 1000;
  config.audio = false;
  config.simulcast_layers = kSimulcastLayers;
  SyntheticMediaSource source(config);
  ASSERT_TRUE(source.simulcast());
  MeasurementWindow window;
  window.set(kStart + 200 * kMs, kStart + 700 * kMs);
  source.start(kStart);
  auto sent = drive(source, kStart, kStart + 1000 * kMs, &window);
  const char* rids[kSimulcastLayers] = {"q", "h", "f"};
  std::array<uint32_t, kSimulcastLayers> next{}, ssrc{};
  std::array<size_t, kSimulcastLayers> keyframes{};
  for (auto& s : sent) {
    ASSERT_EQ(s.kind, SyntheticMediaSource::Kind::kVideo);
    EXPECT_EQ(s.bytes.size(), 1000u);
    auto packet = rtp::RtpPacket::parse(MutableByteSpan(s.bytes));
    ASSERT_TRUE(packet);
    auto stamp = read_stamp_or_tagged(packet->payload());
    ASSERT_TRUE(stamp);
    EXPECT_EQ(read_stamp(packet->payload()), std::nullopt) << "the layer tag ends the payload";
    uint32_t layer = stamp_stream_layer(stamp->stream);
    ASSERT_LT(layer, kSimulcastLayers);
    EXPECT_EQ(stamp_stream_index(stamp->stream), video_stream_of(2));
    EXPECT_EQ(client::SimulcastVideo::layer_of(packet->payload()), layer);
    EXPECT_EQ(packet->rid(config.ext_rid), rids[layer]);
    EXPECT_TRUE(packet->mid(config.ext_mid).has_value());
    EXPECT_EQ(stamp->sequence, next[layer]++);
    if (ssrc[layer] == 0) {
      ssrc[layer] = packet->ssrc();
      EXPECT_TRUE(rtp::is_vp8_keyframe_start(packet->payload()))
          << "layer " << layer << " starts with a key frame";
    }
    EXPECT_EQ(packet->ssrc(), ssrc[layer]);
    keyframes[layer] += rtp::is_vp8_keyframe_start(packet->payload());
  }
  EXPECT_NE(ssrc[0], ssrc[1]);
  EXPECT_NE(ssrc[1], ssrc[2]);
  // Ticks at 0..999 ms: floor(0.999 s * pps) + 1 packets of each layer.
  EXPECT_EQ(next[0], 240u);
  EXPECT_EQ(next[1], 480u);
  EXPECT_EQ(next[2], 960u);
  EXPECT_EQ(source.video_sent(), 1680u);
  // One key frame each in the first second (30 frames apart).
  EXPECT_EQ(keyframes, (std::array<size_t, kSimulcastLayers>{1, 1, 1}));
  EXPECT_EQ(source.layer_packets_per_frame(0), 8u);
  EXPECT_EQ(source.layer_packets_per_frame(2), 32u);
  // The window [200 ms, 700 ms) holds each layer's packets of those ticks.
  EXPECT_EQ(source.layer_window(0).count, 120u);
  EXPECT_EQ(source.layer_window(1).count, 240u);
  EXPECT_EQ(source.layer_window(2).count, 480u);
  EXPECT_EQ(source.layer_window(2).first, 192u);
  EXPECT_EQ(source.video_window().count, 0u) << "simulcast counts per layer only";

  // Frame 30 of every layer, at 1 s, is the next periodic key frame; past it, a PLI naming layer
  // h's SSRC makes h's next frame a key frame, and not the others'.
  drive(source, kStart + 1000 * kMs, kStart + 1500 * kMs, nullptr);
  uint8_t pli[12] = {0x81, 206, 0, 2, 0, 0, 0, 1};
  store_be32(pli + 8, ssrc[1]);
  source.on_feedback(ByteSpan(pli, sizeof(pli)));
  std::array<size_t, kSimulcastLayers> after{};
  for (auto& s : drive(source, kStart + 1500 * kMs, kStart + 1600 * kMs, nullptr)) {
    auto packet = rtp::RtpPacket::parse(MutableByteSpan(s.bytes));
    after[stamp_stream_layer(read_stamp_or_tagged(packet->payload())->stream)] +=
        rtp::is_vp8_keyframe_start(packet->payload());
  }
  EXPECT_EQ(after, (std::array<size_t, kSimulcastLayers>{0, 1, 0}));
}

}  // namespace
}  // namespace sfu::bench
