// Simulcast through the router: three rid layers bound by their rid header extensions whatever
// order they arrive in, each subscriber receiving only the layer its selector picks, switches at
// the target's keyframe with continuous sequence numbers, timestamps and VP8 picture ids, and
// NACKs answered from the layer the subscriber receives. Sinks are fakes; no sockets.
#include <gtest/gtest.h>

#include "rtp/rtcp_builder.h"
#include "rtp/vp8_descriptor.h"
#include "sfu/media/router.h"
#include "tests/unit/media/media_test_support.h"

using namespace sfu;
using namespace sfu::test;

namespace {

constexpr uint8_t kMidId = 9, kRidId = 10, kRepairedRidId = 11;
constexpr uint32_t kSsrc[3] = {0x5101, 0x5102, 0x5103};
constexpr uint32_t kRtx[3] = {0x5201, 0x5202, 0x5203};
constexpr const char* kRids[3] = {"q", "h", "f"};
constexpr uint16_t kWidth[3] = {160, 320, 640};
constexpr uint16_t kHeight[3] = {90, 180, 360};

PublishedTrack& add_simulcast_track(Participant& publisher, MediaSink& sink) {
  PublishedTrackSpec spec;
  spec.id = "camera";
  spec.mid = "1";
  spec.kind = sdp::MediaKind::kVideo;
  spec.rid = "q";
  spec.layers = {{"q", 0, 0}, {"h", 0, 0}, {"f", 0, 0}};
  spec.codecs = {make_codec(kVp8Pt, "VP8", 90000)};
  spec.rtx_payload_type[kVp8Pt] = kVp8RtxPt;
  spec.extensions.mid = kMidId;
  spec.extensions.rid = kRidId;
  spec.extensions.repaired_rid = kRepairedRidId;
  publisher.published.push_back(std::make_unique<PublishedTrack>(publisher, sink, spec));
  return *publisher.published.back();
}

// The first packet of a VP8 frame with a 15-bit picture id; key frames carry the layer's size.
// The last byte names the layer, so a test can tell what a subscriber got.
Bytes vp8_payload(int layer, bool key, uint16_t picture_id) {
  Bytes p = {0x90, 0x80, static_cast<uint8_t>(0x80 | (picture_id >> 8)),
             static_cast<uint8_t>(picture_id & 0xFF)};
  if (key) {
    Bytes tag = {0x50, 0x02, 0x00, 0x9D, 0x01, 0x2A};
    p.insert(p.end(), tag.begin(), tag.end());
    for (uint16_t v : {kWidth[layer], kHeight[layer]}) {
      p.push_back(static_cast<uint8_t>(v & 0xFF));
      p.push_back(static_cast<uint8_t>(v >> 8));
    }
  } else {
    Bytes tag = {0x51, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
    p.insert(p.end(), tag.begin(), tag.end());
  }
  p.push_back(static_cast<uint8_t>(0xA0 + layer));
  return p;
}

Bytes layer_packet(uint32_t ssrc, uint8_t pt, uint16_t seq, uint32_t ts, uint8_t rid_id, std::string_view rid,
                   const Bytes& payload) {
  rtp::RtpHeaderFields fields;
  fields.payload_type = pt;
  fields.sequence_number = seq;
  fields.timestamp = ts;
  fields.ssrc = ssrc;
  const std::array<uint8_t, 1> mid = {'1'};
  Bytes rid_bytes(rid.begin(), rid.end());
  std::array<rtp::HeaderExtension, 2> extensions = {rtp::HeaderExtension{kMidId, mid},
                                                    rtp::HeaderExtension{rid_id, rid_bytes}};
  Bytes out(1500);
  out.resize(rtp::build_rtp_packet(fields, extensions, payload, 0, out));
  return out;
}

// What one subscriber received: the layer (last payload byte), sequence number, timestamp and
// picture id of each packet.
struct Received {
  int layer;
  uint16_t seq;
  uint32_t ts;
  uint16_t picture_id;
};

std::vector<Received> received(const FakeMediaSink& sink) {
  std::vector<Received> out;
  for (Bytes bytes : sink.rtp) {
    auto packet = view(bytes);
    auto d = rtp::parse_vp8_descriptor(packet.payload());
    out.push_back({packet.payload().back() - 0xA0, packet.sequence_number(), packet.timestamp(),
                   d ? d->picture_id : uint16_t{0}});
  }
  return out;
}

// Alice publishes q, h, f; Bob and Carol subscribe. Each layer has its own sequence numbers,
// timestamps and picture ids, as a browser's encoders give them.
struct SimulcastFixture {
  DropCounters drops;
  RouterCounters counters;
  Router router{drops, counters};
  Participant alice, bob, carol;
  FakeMediaSink alice_publish, bob_subscribe, carol_subscribe;
  PublishedTrack& video = add_simulcast_track(alice, alice_publish);
  DownTrack& to_bob = add_down_track(video, bob, bob_subscribe, 0xB0B, 0xB0C);
  DownTrack& to_carol = add_down_track(video, carol, carol_subscribe, 0xCA401, 0xCA402);
  uint16_t seq[3] = {100, 30000, 65000};
  uint32_t ts[3] = {1000, 500000, 4000000000u};
  uint16_t picture_id[3] = {10, 20000, 32760};
  uint64_t now = 1000;

  SimulcastFixture() { alice.feedback_ssrc = 0xA11CE; }

  void send(int layer, bool key) {
    Bytes bytes = layer_packet(kSsrc[layer], kVp8Pt, seq[layer]++, ts[layer], kRidId, kRids[layer],
                               vp8_payload(layer, key, picture_id[layer]));
    router.on_publisher_rtp(alice, bytes.data(), bytes.size(), now);
  }
  // One frame on every layer (in the given order), then 33 ms later.
  void frame(bool key_q, bool key_h, bool key_f, std::array<int, 3> order = {0, 1, 2}) {
    const bool key[3] = {key_q, key_h, key_f};
    for (int layer : order) send(layer, key[layer]);
    for (int l = 0; l < 3; ++l) {
      ts[l] += 3000;
      picture_id[l] = static_cast<uint16_t>((picture_id[l] + 1) & 0x7FFF);
    }
    now += 33;
  }
  // The publisher is already sending all three layers when the subscribers' first keyframe comes
  // (else each would start at the first layer to arrive and climb as the others come).
  void warm_up() { frame(false, false, false); }
  size_t plis_for(int layer) const {
    size_t n = 0;
    for (const auto& header : alice_publish.rtcp_of(rtp::RtcpMessageKind::kPli))
      if (rtp::parse_pli(header)->media_ssrc == kSsrc[layer]) ++n;
    return n;
  }
};

void expect_continuous(const std::vector<Received>& got, const char* who) {
  for (size_t i = 1; i < got.size(); ++i) {
    EXPECT_EQ(static_cast<uint16_t>(got[i].seq - got[i - 1].seq), 1) << who << " packet " << i;
    EXPECT_GT(static_cast<int32_t>(got[i].ts - got[i - 1].ts), 0) << who << " packet " << i;
    EXPECT_EQ(static_cast<uint16_t>((got[i].picture_id - got[i - 1].picture_id) & 0x7FFF), 1)
        << who << " packet " << i;
  }
}

}  // namespace

TEST(SimulcastRouter, BindsEveryLayerByItsRidWhateverOrderTheyArriveIn) {
  SimulcastFixture f;
  f.frame(true, true, true, {2, 0, 1});
  for (int l = 0; l < 3; ++l) EXPECT_EQ(f.video.layer(l).ssrc(), kSsrc[l]) << kRids[l];
  // Repairs bind by repaired-rid to their own layer.
  for (int l : {1, 2, 0}) {
    Bytes payload = {static_cast<uint8_t>(f.seq[l] >> 8), static_cast<uint8_t>(f.seq[l] - 1)};
    Bytes original = vp8_payload(l, false, 1);
    payload.insert(payload.end(), original.begin(), original.end());
    Bytes rtx = layer_packet(kRtx[l], kVp8RtxPt, 7, 0, kRepairedRidId, kRids[l], payload);
    f.router.on_publisher_rtp(f.alice, rtx.data(), rtx.size(), f.now);
  }
  for (int l = 0; l < 3; ++l) EXPECT_EQ(f.video.layer(l).rtx_ssrc(), kRtx[l]) << kRids[l];
  EXPECT_EQ(f.video.arriving_layers(), 0b111u);
  for (int l = 0; l < 3; ++l) {
    ASSERT_TRUE(f.video.layer(l).frame_size());
    EXPECT_EQ(f.video.layer(l).frame_size()->width, kWidth[l]);
  }
}

TEST(SimulcastRouter, EachSubscriberGetsOnlyItsLayerWithContinuousNumbers) {
  SimulcastFixture f;
  f.warm_up();
  f.to_bob.set_preferences({.max_layer = 0});
  f.frame(true, true, true);
  for (int i = 0; i < 20; ++i) f.frame(false, false, false);
  auto bob = received(f.bob_subscribe);
  auto carol = received(f.carol_subscribe);
  ASSERT_EQ(bob.size(), 21u);
  ASSERT_EQ(carol.size(), 21u);
  for (const auto& r : bob) EXPECT_EQ(r.layer, 0);
  for (const auto& r : carol) EXPECT_EQ(r.layer, 2) << "the default is the best layer";
  expect_continuous(bob, "bob");
  expect_continuous(carol, "carol");
  EXPECT_EQ(f.counters.layers.not_forwarded_other_layer.load(), 2u * 2u * 22u) << "warm-up included";
}

TEST(SimulcastRouter, ASwitchWaitsForTheTargetsKeyframeAndKeepsEveryNumberContinuous) {
  SimulcastFixture f;
  f.warm_up();
  f.to_bob.set_preferences({.max_layer = 0});
  f.frame(true, true, true);
  for (int i = 0; i < 5; ++i) f.frame(false, false, false);
  size_t plis_before = f.plis_for(2);
  size_t plis_h = f.plis_for(1);
  f.to_bob.set_preferences({.max_layer = 2});
  for (int i = 0; i < 20; ++i) f.frame(false, false, false);  // longer than the PLI interval
  auto bob = received(f.bob_subscribe);
  ASSERT_EQ(bob.size(), 26u);
  for (const auto& r : bob) EXPECT_EQ(r.layer, 0) << "the current layer flows until the target's keyframe";
  EXPECT_GT(f.plis_for(2), plis_before) << "a keyframe of the target layer is asked for";
  EXPECT_GE(f.counters.layers.switch_keyframe_requests.load(), 1u);
  EXPECT_EQ(f.plis_for(1), plis_h) << "no other layer is bothered";

  f.frame(false, false, true);  // f's keyframe, after q's packet of the same frame
  for (int i = 0; i < 5; ++i) f.frame(false, false, false);
  bob = received(f.bob_subscribe);
  ASSERT_EQ(bob.size(), 33u);
  EXPECT_EQ(bob[26].layer, 0);
  for (size_t i = 27; i < bob.size(); ++i) EXPECT_EQ(bob[i].layer, 2);
  expect_continuous(bob, "bob across the switch up");
  EXPECT_EQ(f.counters.layers.switches_up.load(), 1u);
  EXPECT_EQ(f.to_bob.counters().layer_switches, 1u);

  // And down again, at q's keyframe.
  f.to_bob.set_preferences({.max_layer = 0});
  f.frame(false, false, false);
  f.frame(true, false, false);
  bob = received(f.bob_subscribe);
  ASSERT_EQ(bob.size(), 35u);
  EXPECT_EQ(bob[33].layer, 2);
  EXPECT_EQ(bob[34].layer, 0);
  expect_continuous(bob, "bob across the switch down");
  EXPECT_EQ(f.counters.layers.switches_down.load(), 1u);
  for (const auto& r : received(f.carol_subscribe)) EXPECT_EQ(r.layer, 2) << "carol is untouched";
}

TEST(SimulcastRouter, ASizePreferencePicksTheSmallestLayerThatCoversIt) {
  SimulcastFixture f;
  f.warm_up();
  f.to_bob.set_preferences({.max_width = 300, .max_height = 170});
  f.to_carol.set_preferences({.max_width = 100, .max_height = 50});
  f.frame(true, true, true);  // the frame sizes become known here
  f.frame(true, true, true);
  f.frame(false, false, false);
  auto bob = received(f.bob_subscribe);
  ASSERT_FALSE(bob.empty());
  EXPECT_EQ(bob.back().layer, 1) << "320x180 covers a 300x170 tile";
  EXPECT_EQ(received(f.carol_subscribe).back().layer, 0);
}

TEST(SimulcastRouter, ALayerThatStopsArrivingIsReplacedAtTheNextKeyframeBelow) {
  SimulcastFixture f;
  f.warm_up();
  f.frame(true, true, true);
  f.frame(false, false, false);
  // The publisher stops f (its bandwidth fell); q and h go on.
  for (int i = 0; i < 60; ++i) {
    f.send(0, false);
    f.send(1, i == 59);
    f.now += 33;
    f.router.on_fast_timer(f.alice, f.now);
  }
  auto carol = received(f.carol_subscribe);
  ASSERT_EQ(carol.size(), 3u);
  EXPECT_EQ(carol.back().layer, 1);
  expect_continuous(carol, "carol");
  EXPECT_EQ(f.video.arriving_layers(), 0b011u);
}

TEST(SimulcastRouter, PausedTracksForwardNothingAndResumeAtAKeyframe) {
  SimulcastFixture f;
  f.warm_up();
  f.frame(true, true, true);
  f.to_bob.set_preferences({.paused = true});
  for (int i = 0; i < 3; ++i) f.frame(false, false, false);
  EXPECT_EQ(received(f.bob_subscribe).size(), 1u);
  EXPECT_GE(f.counters.layers.not_forwarded_paused.load(), 3u);
  f.to_bob.set_preferences({.paused = false});
  f.frame(false, false, false);
  f.frame(false, false, true);
  auto bob = received(f.bob_subscribe);
  ASSERT_EQ(bob.size(), 2u);
  EXPECT_EQ(static_cast<uint16_t>(bob[1].seq - bob[0].seq), 1);
}

TEST(SimulcastRouter, NacksAreAnsweredFromTheLayerReceivedAndNotFromBeforeTheSwitch) {
  SimulcastFixture f;
  f.warm_up();
  f.to_bob.set_preferences({.max_layer = 0});
  f.frame(true, true, true);
  f.frame(false, false, false);
  f.to_bob.set_preferences({.max_layer = 1});
  f.frame(false, true, false);
  f.frame(false, false, false);
  auto bob = received(f.bob_subscribe);
  ASSERT_EQ(bob.size(), 5u);
  ASSERT_EQ(bob[2].layer, 0);
  ASSERT_EQ(bob[3].layer, 1);
  f.bob_subscribe.rtp.clear();
  // Bob lost the last packet of h and the last one of q before the switch.
  for (uint16_t lost : {bob[4].seq, bob[2].seq}) {
    Bytes nack(64);
    const std::array<uint16_t, 1> list = {lost};
    nack.resize(rtp::build_generic_nack(0xB0B, 0xB0B, list, nack));
    f.router.on_subscriber_rtcp(f.bob, nack.data(), nack.size(), f.now);
  }
  EXPECT_EQ(f.counters.retransmissions_sent.load(), 1u);
  EXPECT_EQ(f.counters.retransmissions_missed.load(), 1u) << "q's packets are not in bob's space any more";
  ASSERT_EQ(f.bob_subscribe.rtp.size(), 1u);
  auto resent = view(f.bob_subscribe.rtp[0]);
  ASSERT_EQ(resent.ssrc(), 0xB0Cu) << "as RTX";
  EXPECT_EQ(resent.payload().back(), 0xA1) << "h's packet, rewritten the same way";
}

TEST(SimulcastRouter, SsrcSimulcastLayersAreTheirAnnouncedSsrcs) {
  DropCounters drops;
  RouterCounters counters;
  Router router{drops, counters};
  Participant alice, bob;
  FakeMediaSink alice_publish, bob_subscribe;
  PublishedTrackSpec spec;
  spec.id = "camera";
  spec.mid = "1";
  spec.kind = sdp::MediaKind::kVideo;
  spec.ssrc = 10;
  spec.rtx_ssrc = 11;
  spec.layers = {{"", 10, 11}, {"", 20, 21}, {"", 30, 31}};
  spec.codecs = {make_codec(kVp8Pt, "VP8", 90000)};
  alice.published.push_back(std::make_unique<PublishedTrack>(alice, alice_publish, spec));
  PublishedTrack& video = *alice.published.back();
  DownTrack& to_bob = add_down_track(video, bob, bob_subscribe, 0xB0B);
  to_bob.set_preferences({.max_layer = 1});
  for (uint32_t ssrc : {10u, 20u, 30u}) {
    Bytes bytes = make_rtp(ssrc, kVp8Pt, 5, 900, vp8_payload(static_cast<int>(ssrc / 10 - 1), true, 1));
    router.on_publisher_rtp(alice, bytes.data(), bytes.size(), 1000);
  }
  EXPECT_EQ(video.layer_of_ssrc(21), 1);
  auto got = received(bob_subscribe);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].layer, 1);
}
