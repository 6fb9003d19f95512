// Audio RED (RFC 2198) on the media path: the publisher's red and Opus payload types in its track
// spec, the subscriber's offer (red's fmtp names the subscriber's Opus payload type), and the
// down-track: RED as it is for a subscriber that accepted red, the primary block as plain Opus for
// one that accepted Opus only, block payload types rewritten where the Opus payload type moved,
// and malformed RED dropped.
#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "rtp/rtp_packet.h"
#include "sfu/media/down_track.h"
#include "sfu/media/participant.h"
#include "sfu/media/published_track.h"
#include "sfu/media/subscription_slots.h"
#include "tests/unit/media/media_test_support.h"

using namespace sfu;

namespace {

constexpr uint8_t kOpus = 111;
constexpr uint8_t kRed = 63;

sdp::Codec codec(uint8_t pt, const char* name, std::string fmtp = {}) {
  sdp::Codec c;
  c.payload_type = pt;
  c.name = name;
  c.clock_rate = 48000;
  c.channels = 2;
  if (!fmtp.empty()) c.fmtp = {{std::move(fmtp), ""}};
  return c;
}

PublishedTrackSpec red_spec() {
  sdp::PublishedTrackSpec negotiated;
  negotiated.mid = "0";
  negotiated.kind = sdp::MediaKind::kAudio;
  negotiated.track_id = "mic";
  negotiated.ssrcs = {0x11111111};
  negotiated.codecs = {{codec(kRed, "red", "111/111"), {}}, {codec(kOpus, "opus"), {}}};
  return to_track_spec(negotiated);
}

struct Fixture {
  Participant publisher;
  Participant subscriber;
  test::FakeMediaSink feedback_sink;
  test::FakeMediaSink sink;
  std::unique_ptr<PublishedTrack> track;
  std::unique_ptr<DownTrack> down;

  Fixture() {
    track = std::make_unique<PublishedTrack>(publisher, feedback_sink, red_spec());
    down = std::make_unique<DownTrack>(*track, subscriber, sink, "3", 0x22222222, 0);
    down->set_active(true);
  }
};

// Two redundant blocks (3 and 2 bytes) and a 4-byte primary, all Opus `pt`.
std::vector<uint8_t> red_payload(uint8_t pt = kOpus, uint8_t primary_pt = kOpus) {
  return {static_cast<uint8_t>(0x80 | pt),
          0x1E,
          0x00,
          0x03,  // 1920 ticks, 3 bytes
          static_cast<uint8_t>(0x80 | pt),
          0x0F,
          0x00,
          0x02,  // 960 ticks, 2 bytes
          primary_pt,
          0xA1,
          0xA2,
          0xA3,
          0xB1,
          0xB2,
          0xC1,
          0xC2,
          0xC3,
          0xC4};
}

std::vector<uint8_t> packet(uint8_t pt, uint16_t seq, const std::vector<uint8_t>& payload,
                            size_t padding = 0) {
  std::array<uint8_t, 1> level = {0x85};
  std::array<rtp::HeaderExtension, 1> extensions = {rtp::HeaderExtension{1, level}};
  rtp::RtpHeaderFields fields;
  fields.payload_type = pt;
  fields.sequence_number = seq;
  fields.timestamp = 960u * seq;
  fields.ssrc = 0x11111111;
  std::vector<uint8_t> out(1500);
  out.resize(rtp::build_rtp_packet(fields, extensions, payload, padding, out));
  return out;
}

rtp::RtpPacket view(std::vector<uint8_t>& bytes) { return *rtp::RtpPacket::parse(MutableByteSpan(bytes)); }

std::vector<uint8_t> payload_of(const std::array<uint8_t, 2048>& out, size_t size, uint8_t* pt = nullptr) {
  std::array<uint8_t, 2048> copy = out;
  auto parsed = rtp::RtpPacket::parse(MutableByteSpan(copy.data(), size));
  EXPECT_TRUE(parsed);
  if (!parsed) return {};
  if (pt) *pt = parsed->payload_type();
  return {parsed->payload().begin(), parsed->payload().end()};
}

}  // namespace

TEST(AudioRed, TrackSpecRecordsRedAndTheOpusItWraps) {
  PublishedTrackSpec spec = red_spec();
  EXPECT_EQ(spec.red_payload_type, kRed);
  EXPECT_EQ(spec.red_primary_payload_type, kOpus);
}

TEST(AudioRed, SubscriberOfferPointsRedAtItsOwnOpus) {
  PublishedTrackSpec spec = red_spec();
  SubscriptionSlot slot;
  PayloadTypeTable used;
  used[kOpus] = "something else";  // the subscriber's 111 is taken: its Opus moves
  offer_codecs(slot, used, spec);
  ASSERT_EQ(slot.codecs.size(), 2u);
  // The publisher's order (red preferred), each codec with its publisher payload type.
  EXPECT_EQ(slot.codecs[0].codec.name, "red");
  EXPECT_EQ(slot.publisher_payload_types[0], kRed);
  EXPECT_EQ(slot.publisher_payload_types[1], kOpus);
  const uint8_t opus = slot.codecs[1].codec.payload_type;
  EXPECT_NE(opus, kOpus);
  EXPECT_EQ(slot.codecs[0].codec.fmtp.front().key, std::to_string(opus) + "/" + std::to_string(opus));
  EXPECT_EQ(slot.codecs[0].codec.payload_type, kRed);
}

TEST(AudioRed, SubscriberWithRedGetsThePacketAsItIs) {
  Fixture f;
  f.down->map_payload_type(kRed, kRed, 0);
  f.down->map_payload_type(kOpus, kOpus, 0);
  auto bytes = packet(kRed, 10, red_payload());
  std::array<uint8_t, 2048> out{};
  const size_t size = f.down->rewrite(view(bytes), false, out);
  ASSERT_GT(size, 0u);
  uint8_t pt = 0;
  EXPECT_EQ(payload_of(out, size, &pt), red_payload());
  EXPECT_EQ(pt, kRed);
}

TEST(AudioRed, SubscriberWithRedAtOtherPayloadTypesGetsTheBlocksRenamed) {
  Fixture f;
  f.down->map_payload_type(kRed, 100, 0);
  f.down->map_payload_type(kOpus, 101, 0);
  auto bytes = packet(kRed, 10, red_payload());
  std::array<uint8_t, 2048> out{};
  const size_t size = f.down->rewrite(view(bytes), false, out);
  ASSERT_GT(size, 0u);
  uint8_t pt = 0;
  EXPECT_EQ(payload_of(out, size, &pt), red_payload(101, 101));
  EXPECT_EQ(pt, 100);
}

TEST(AudioRed, SubscriberWithoutRedGetsThePrimaryAsOpus) {
  Fixture f;
  f.down->map_payload_type(kOpus, 109, 0);  // the answer accepted Opus only
  std::array<uint8_t, 2048> out{};
  for (uint16_t seq = 10; seq < 13; ++seq) {
    auto bytes = packet(kRed, seq, red_payload(), seq == 12 ? 4 : 0);  // the last one padded
    const size_t size = f.down->rewrite(view(bytes), false, out);
    ASSERT_GT(size, 0u) << seq;
    uint8_t pt = 0;
    EXPECT_EQ(payload_of(out, size, &pt), (std::vector<uint8_t>{0xC1, 0xC2, 0xC3, 0xC4})) << seq;
    EXPECT_EQ(pt, 109);
    EXPECT_EQ(out[0] & 0x20, 0) << "no padding left";
  }
  // Plain Opus from the same publisher (Chromium switches when red is turned off) goes through.
  auto plain = packet(kOpus, 13, {0x01, 0x02});
  const size_t size = f.down->rewrite(view(plain), false, out);
  ASSERT_GT(size, 0u);
  EXPECT_EQ(payload_of(out, size), (std::vector<uint8_t>{0x01, 0x02}));
  EXPECT_EQ(f.down->counters().packets, 4u);
  EXPECT_EQ(f.down->counters().payload_bytes, 3u * 4u + 2u);
}

TEST(AudioRed, MalformedRedIsDroppedAndCounted) {
  Fixture f;
  f.down->map_payload_type(kOpus, kOpus, 0);
  const std::vector<std::vector<uint8_t>> malformed = {
      {},                                             // nothing at all
      {0x80 | kOpus, 0x0F, 0x00},                     // truncated block header
      {0x80 | kOpus, 0x0F, 0x00, 0x09, kOpus, 0x01},  // block length past the end
      {0x80 | kOpus, 0x0F, 0x00, 0x01, kOpus, 0x01},  // primary block empty
      red_payload(kOpus, 9),                          // primary not Opus
  };
  std::array<uint8_t, 2048> out{};
  uint16_t seq = 1;
  for (const auto& payload : malformed) {
    auto bytes = packet(kRed, seq++, payload);
    EXPECT_EQ(f.down->rewrite(view(bytes), false, out), 0u);
    EXPECT_EQ(f.down->outcome(), DownTrack::Outcome::kMalformedRed);
  }
  EXPECT_EQ(f.down->counters().dropped_malformed_red, malformed.size());
  EXPECT_EQ(f.down->counters().packets, 0u);
  // The next good one goes out, one sequence number on from where it would have been.
  auto good = packet(kRed, seq, red_payload());
  EXPECT_GT(f.down->rewrite(view(good), false, out), 0u);
}

TEST(AudioRed, SubscriberWithNeitherGetsNothing) {
  Fixture f;
  auto bytes = packet(kRed, 1, red_payload());
  std::array<uint8_t, 2048> out{};
  EXPECT_EQ(f.down->rewrite(view(bytes), false, out), 0u);
  EXPECT_EQ(f.down->outcome(), DownTrack::Outcome::kUnsupportedCodec);
}
