// The generator's accounting on a known stream: packets from a SyntheticMediaSource go through a
// simulated network that drops, delays, duplicates and reorders exactly as the test says, and the
// receiver must report exactly that loss and those latencies.
#include "bench/receive_accounting.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <map>
#include <vector>

#include "bench/media_source.h"
#include "bench/packet_stamp.h"
#include "rtp/rtp_packet.h"

namespace sfu::bench {
namespace {

constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t kStart = 10'000 * kMs;

struct InFlight {
  uint64_t arrival_ns;
  std::vector<uint8_t> bytes;
};

struct Network {
  // Decides for the n-th video packet: dropped, or its delay in ns.
  std::function<bool(uint64_t n)> drop = [](uint64_t) { return false; };
  std::function<uint64_t(uint64_t n)> delay = [](uint64_t) { return kMs; };
  std::function<bool(uint64_t n)> duplicate = [](uint64_t) { return false; };
};

struct Outcome {
  ReceiverStats stats;
  ReceiveAccounting accounting{4, 0, true, true};  // publisher 0 sends; we are another participant
  SentRange video_sent, audio_sent;
};

// Publisher 1 of a two-publisher room sends for `duration`; the window is [window_from, window_to).
void run(Outcome& out, const Network& network, uint64_t duration, uint64_t window_from, uint64_t window_to) {
  out.accounting = ReceiveAccounting(4, 0, true, true);
  MediaSourceConfig config;
  config.publisher_index = 1;
  config.video_pps = 1000;
  SyntheticMediaSource source(config);
  MeasurementWindow window;
  window.set(kStart + window_from, kStart + window_to);
  source.start(kStart);
  std::vector<InFlight> flight;
  std::array<uint8_t, 1500> buffer{};
  uint64_t video_index = 0;
  for (uint64_t now = kStart; now < kStart + duration; now += kMs) {
    for (auto kind = source.next_due(now); kind != SyntheticMediaSource::Kind::kNone;
         kind = source.next_due(now)) {
      size_t size = source.build(kind, now, &window, MutableByteSpan(buffer));
      std::vector<uint8_t> bytes(buffer.begin(), buffer.begin() + size);
      if (kind == SyntheticMediaSource::Kind::kVideo) {
        uint64_t n = video_index++;
        if (network.drop(n)) continue;
        flight.push_back({now + network.delay(n), bytes});
        if (network.duplicate(n)) flight.push_back({now + network.delay(n) + kMs, bytes});
      } else {
        flight.push_back({now + kMs, bytes});
      }
    }
  }
  // Deliver in arrival order (a stable sort keeps the send order among equal arrivals).
  std::stable_sort(flight.begin(), flight.end(),
                   [](auto& a, auto& b) { return a.arrival_ns < b.arrival_ns; });
  for (auto& p : flight)
    out.accounting.on_rtp(p.bytes.data(), p.bytes.size(), p.arrival_ns, window, out.stats);
  out.video_sent = source.video_window();
  out.audio_sent = source.audio_window();
}

TEST(ReceiveAccounting, ExpectsEveryStreamButItsOwn) {
  ReceiveAccounting a(6, 1, true, true);
  EXPECT_EQ(a.expected_stream_count(), 4u);
  EXPECT_TRUE(a.expects(0));
  EXPECT_TRUE(a.expects(1));
  EXPECT_FALSE(a.expects(2));
  EXPECT_FALSE(a.expects(3));
  EXPECT_FALSE(a.expects(6));
  ReceiveAccounting video_only(6, UINT32_MAX, false, true);
  EXPECT_EQ(video_only.expected_stream_count(), 3u);
  EXPECT_FALSE(video_only.expects(0));
  EXPECT_TRUE(video_only.expects(1));
}

TEST(ReceiveAccounting, CleanStreamHasNoLossAndTheExactLatency) {
  Outcome out;
  run(out, Network{}, 2000 * kMs, 500 * kMs, 1500 * kMs);
  const SequenceTracker& video = out.accounting.window_tracker(video_stream_of(1));
  const SequenceTracker& audio = out.accounting.window_tracker(audio_stream_of(1));
  EXPECT_EQ(out.video_sent.count, 1000u);
  EXPECT_EQ(video.received(), out.video_sent.count);
  EXPECT_EQ(video.lowest(), out.video_sent.first);
  EXPECT_EQ(audio.received(), out.audio_sent.count);
  EXPECT_EQ(out.audio_sent.count, 50u);
  EXPECT_EQ(out.stats.window_packets, 1050u);
  EXPECT_TRUE(out.accounting.receiving_all());
  EXPECT_EQ(out.stats.latency.count(), 1050u);
  EXPECT_EQ(out.stats.latency.percentile(0.5), kMs);
  EXPECT_EQ(out.stats.latency.max(), kMs);
  EXPECT_EQ(out.stats.unstamped + out.stats.unknown_stream + out.stats.duplicates, 0u);
  // Everything was counted live too, window or not.
  EXPECT_EQ(out.stats.packets.get(), 2000u + 100u);
}

TEST(ReceiveAccounting, InjectedDropsAreExactlyTheLoss) {
  Outcome out;
  Network network;
  network.drop = [](uint64_t n) { return n % 100 == 7 || n % 1000 == 500; };  // 1.1 %
  run(out, network, 3000 * kMs, 1000 * kMs, 2000 * kMs);
  const SequenceTracker& video = out.accounting.window_tracker(video_stream_of(1));
  ASSERT_EQ(out.video_sent.count, 1000u);
  // Video packets 1000..1999 were in the window: 10 + 1 of them dropped.
  EXPECT_EQ(out.video_sent.count - video.received(), 11u);
  EXPECT_EQ(video.lost(), 11u);
  EXPECT_EQ(out.accounting.window_tracker(audio_stream_of(1)).received(), out.audio_sent.count);
}

TEST(ReceiveAccounting, DropsAtTheWindowEdgesAreCounted) {
  // The first and the last packet of the window are lost: a receiver-side gap count would miss
  // both, the sender's range does not.
  Outcome out;
  Network network;
  network.drop = [](uint64_t n) { return n == 500 || n == 1499; };
  run(out, network, 2000 * kMs, 500 * kMs, 1500 * kMs);
  const SequenceTracker& video = out.accounting.window_tracker(video_stream_of(1));
  EXPECT_EQ(out.video_sent.first, 500u);
  EXPECT_EQ(out.video_sent.count, 1000u);
  EXPECT_EQ(video.received(), 998u);
  EXPECT_EQ(video.lost(), 0u);  // invisible from the receiver alone
  EXPECT_EQ(video.lowest(), 501u);
}

TEST(ReceiveAccounting, DelaysShowInThePercentiles) {
  Outcome out;
  Network network;
  // 1 ms normally; every 100th video packet 10 ms; every 1000th 40 ms.
  network.delay = [](uint64_t n) { return n % 1000 == 0 ? 40 * kMs : n % 100 == 0 ? 10 * kMs : kMs; };
  run(out, network, 12000 * kMs, 1000 * kMs, 11000 * kMs);
  const LatencyHistogram& h = out.stats.latency;
  // 10,000 video + 500 audio packets in the window: 90 at 10 ms, 10 at 40 ms, the rest at 1 ms.
  ASSERT_EQ(h.count(), 10500u);
  EXPECT_NEAR(static_cast<double>(h.percentile(0.5)), 1e6, 1e6 / 64);
  EXPECT_NEAR(static_cast<double>(h.percentile(0.99)), 1e6, 1e6 / 64);  // 100 of 10,500 are slower: under 1 %
  EXPECT_NEAR(static_cast<double>(h.percentile(0.995)), 10e6, 10e6 / 64);
  EXPECT_NEAR(static_cast<double>(h.percentile(0.9995)), 40e6, 40e6 / 64);
  EXPECT_EQ(h.max(), 40 * kMs);
  // Late packets arrive reordered but nothing is lost.
  EXPECT_EQ(out.accounting.window_tracker(video_stream_of(1)).received(), 10000u);
  EXPECT_GT(out.accounting.window_tracker(video_stream_of(1)).reordered(), 0u);
}

TEST(ReceiveAccounting, DuplicatesAreNeitherReceivedTwiceNorMeasured) {
  Outcome out;
  Network network;
  network.duplicate = [](uint64_t n) { return n % 10 == 0; };
  run(out, network, 2000 * kMs, 500 * kMs, 1500 * kMs);
  EXPECT_EQ(out.accounting.window_tracker(video_stream_of(1)).received(), 1000u);
  EXPECT_EQ(out.stats.duplicates, 100u);
  EXPECT_EQ(out.stats.latency.count(), 1050u);
}

TEST(ReceiveAccounting, ForeignAndUnstampedPacketsAreCountedApart) {
  ReceiverStats stats;
  ReceiveAccounting accounting(4, 1, true, true);
  MeasurementWindow window;
  window.set(0, UINT64_MAX);
  std::array<uint8_t, 1500> buffer{};
  // Our own stream (publisher 1) comes back: unknown to us.
  MediaSourceConfig own;
  own.publisher_index = 1;
  SyntheticMediaSource source(own);
  source.start(kStart);
  size_t size = source.build(SyntheticMediaSource::Kind::kVideo, kStart, &window, MutableByteSpan(buffer));
  accounting.on_rtp(buffer.data(), size, kStart, window, stats);
  EXPECT_EQ(stats.unknown_stream, 1u);
  // Garbage and truncated packets.
  std::array<uint8_t, 40> junk{};
  accounting.on_rtp(junk.data(), junk.size(), kStart, window, stats);
  for (size_t cut = 0; cut < size; cut += 97) accounting.on_rtp(buffer.data(), cut, kStart, window, stats);
  EXPECT_EQ(stats.unstamped, 1u + (size + 96) / 97);
  EXPECT_EQ(stats.window_packets, 0u);
  EXPECT_FALSE(accounting.receiving_all());
}

// --simulcast: a receiver that asked for layer h gets (here: is handed) every layer of publisher 1.
// Only h's stamps count, exactly against what h sent in the window; the other layers' packets of
// the window are counted as wrong_layer; dropped h packets are exactly the loss.
TEST(ReceiveAccounting, SimulcastCountsTheAskedLayerOnlyAndFlagsTheOthers) {
  MediaSourceConfig config;
  config.publisher_index = 1;
  config.video_pps = 400;
  config.audio = false;
  config.simulcast_layers = kSimulcastLayers;
  SyntheticMediaSource source(config);
  MeasurementWindow window;
  window.set(kStart + 500 * kMs, kStart + 1500 * kMs);
  ReceiverStats stats, q_stats;
  ReceiveAccounting h_receiver(4, 0, false, true), q_only(4, 0, false, true);
  h_receiver.set_video_layer(1);
  q_only.set_video_layer(0);
  source.start(kStart);
  std::array<uint8_t, 1500> buffer{};
  uint64_t h_packets = 0;
  for (uint64_t now = kStart; now < kStart + 2000 * kMs; now += kMs) {
    for (auto kind = source.next_due(now); kind != SyntheticMediaSource::Kind::kNone;
         kind = source.next_due(now)) {
      size_t size = source.build(kind, now, &window, MutableByteSpan(buffer));
      auto packet = rtp::RtpPacket::parse(MutableByteSpan(buffer.data(), size));
      uint32_t layer = stamp_stream_layer(read_stamp_or_tagged(packet->payload())->stream);
      // Every 50th packet of h is lost; q_only's receiver never gets q (the server sends it h).
      if (layer != 1 || ++h_packets % 50 != 0)
        h_receiver.on_rtp(buffer.data(), size, now + kMs, window, stats);
      if (layer == 1) q_only.on_rtp(buffer.data(), size, now + kMs, window, q_stats);
    }
  }
  const SentRange& h = source.layer_window(1);
  ASSERT_EQ(h.count, 200u);  // 200 pps for 1 s
  const SequenceTracker& tracker = h_receiver.window_tracker(video_stream_of(1));
  EXPECT_EQ(h.count - tracker.received(), 4u) << "h packets 50, 100, ... of which 4 in the window";
  EXPECT_EQ(stats.window_packets, tracker.received());
  EXPECT_EQ(stats.wrong_layer, source.layer_window(0).count + source.layer_window(2).count);
  EXPECT_EQ(stats.latency.count(), tracker.received());
  EXPECT_TRUE(h_receiver.receiving_all());
  // A receiver whose layer never arrives: nothing counted, not "receiving", every packet wrong.
  EXPECT_EQ(q_only.window_tracker(video_stream_of(1)).received(), 0u);
  EXPECT_FALSE(q_only.receiving_all());
  EXPECT_EQ(q_stats.wrong_layer, h.count);
  EXPECT_EQ(q_stats.window_packets, 0u);
}

}  // namespace
}  // namespace sfu::bench
