// Scalable video through the router to two subscribers with different targets: VP8 temporal
// layers (L1T3), VP9 k-SVC (L3T3_KEY), AV1 L3T3 and H.264 L1T3 with the Dependency Descriptor. Each
// subscriber must get exactly the layers of its target, with continuous sequence numbers (and
// VP8 picture ids), the marker on the last layer it gets of each picture, and resends of what
// it was sent. Sinks are fakes; no sockets.
#include <gtest/gtest.h>

#include <optional>

#include "rtp/dependency_descriptor.h"
#include "rtp/rtcp_builder.h"
#include "rtp/vp8_descriptor.h"
#include "rtp/vp9_descriptor.h"
#include "sfu/media/router.h"
#include "tests/unit/media/media_test_support.h"
#include "tests/unit/rtp/dependency_descriptor_writer.h"

using namespace sfu;
using namespace sfu::test;

namespace {

constexpr uint8_t kVp9Pt = 98, kAv1Pt = 45, kSubscriberPt = 102;
constexpr uint8_t kDdId = 12;
constexpr uint32_t kSsrc = 0x5EC0;

PublishedTrack& add_codec_track(Participant& publisher, MediaSink& sink, uint8_t pt, const char* codec) {
  PublishedTrackSpec spec;
  spec.id = "camera";
  spec.mid = "1";
  spec.kind = sdp::MediaKind::kVideo;
  spec.ssrc = kSsrc;
  spec.codecs = {make_codec(pt, codec, 90000)};
  spec.extensions.dependency_descriptor = kDdId;
  publisher.published.push_back(std::make_unique<PublishedTrack>(publisher, sink, spec));
  return *publisher.published.back();
}

DownTrack& subscribe(PublishedTrack& track, uint8_t pt, Participant& subscriber, MediaSink& sink,
                     uint32_t ssrc) {
  subscriber.down_tracks.push_back(std::make_unique<DownTrack>(track, subscriber, sink, "m", ssrc, 0));
  DownTrack& down = *subscriber.down_tracks.back();
  down.map_payload_type(pt, kSubscriberPt, 0);
  down.map_extension(kDdId, kSubscriberExtensionIds.dependency_descriptor);
  down.set_active(true);
  track.down_tracks().push_back(&down);
  return down;
}

// The last payload byte of every test packet names its layers: 0xC0 + spatial * 16 + temporal.
uint8_t tag(int spatial, int temporal) { return static_cast<uint8_t>(0xC0 + spatial * 16 + temporal); }

struct Got {
  int spatial, temporal;
  uint16_t seq;
  bool marker;
  uint16_t picture_id;
};

std::vector<Got> got(const FakeMediaSink& sink, uint8_t codec_pt) {
  std::vector<Got> out;
  for (Bytes bytes : sink.rtp) {
    auto packet = view(bytes);
    const uint8_t t = packet.payload().back();
    uint16_t picture_id = 0;
    if (codec_pt == kVp8Pt) picture_id = rtp::parse_vp8_descriptor(packet.payload())->picture_id;
    out.push_back({(t - 0xC0) / 16, (t - 0xC0) % 16, packet.sequence_number(), packet.marker(), picture_id});
  }
  return out;
}

void expect_continuous(const std::vector<Got>& packets, const char* who) {
  for (size_t i = 1; i < packets.size(); ++i)
    EXPECT_EQ(static_cast<uint16_t>(packets[i].seq - packets[i - 1].seq), 1) << who << " packet " << i;
}

struct Fixture {
  DropCounters drops;
  RouterCounters counters;
  Router router{drops, counters};
  Participant alice, bob, carol;
  FakeMediaSink alice_publish, bob_subscribe, carol_subscribe;
  uint16_t seq = 65500;  // wraps during the test
  uint32_t ts = 90000;
  uint64_t now = 1000;
  Fixture() { alice.feedback_ssrc = 0xA11CE; }

  void send(uint8_t pt, const Bytes& payload, bool marker, const Bytes& dd = {}) {
    rtp::RtpHeaderFields fields;
    fields.payload_type = pt;
    fields.sequence_number = seq++;
    fields.timestamp = ts;
    fields.ssrc = kSsrc;
    fields.marker = marker;
    std::array<rtp::HeaderExtension, 1> extension = {rtp::HeaderExtension{kDdId, dd}};
    Bytes out(1500);
    out.resize(rtp::build_rtp_packet(fields, dd.empty() ? std::span<const rtp::HeaderExtension>{} : extension,
                                     payload, 0, out));
    router.on_publisher_rtp(alice, out.data(), out.size(), now);
  }
  void next_picture() {
    ts += 3000;
    now += 33;
  }
  size_t plis() const { return alice_publish.rtcp_of(rtp::RtcpMessageKind::kPli).size(); }
};

// --- VP8 temporal layers ---------------------------------------------------------------------

// A VP8 packet with a 15-bit picture id, TL0PICIDX and TID/Y; `first` starts the frame.
Bytes vp8(uint16_t picture_id, uint8_t tl0, int tid, bool sync, bool key, bool first) {
  Bytes p = {
      static_cast<uint8_t>(first ? 0x90 : 0x80), 0xE0, static_cast<uint8_t>(0x80 | (picture_id >> 8)),
      static_cast<uint8_t>(picture_id & 0xFF),   tl0,  static_cast<uint8_t>((tid << 6) | (sync ? 0x20 : 0))};
  const Bytes frame = key ? Bytes{0x50, 0x02, 0x00, 0x9D, 0x01, 0x2A, 0x40, 0x01, 0xB4, 0x00}
                          : Bytes{0x51, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
  p.insert(p.end(), frame.begin(), frame.end());
  p.push_back(tag(0, tid));
  return p;
}

// L1T3's pattern: T0 T2 T1 T2, repeated; T1 and T2 frames are layer syncs (they reference T0 only)
// on their first appearance after a T0, as libwebrtc marks them.
constexpr int kL1T3[4] = {0, 2, 1, 2};

struct Vp8Stream {
  Fixture& f;
  uint16_t picture_id = 32760;  // wraps
  uint8_t tl0 = 254;
  int index = 0;
  void frame(bool key = false) {
    const int tid = key ? 0 : kL1T3[index % 4];
    if (tid == 0) ++tl0;
    const bool sync = tid > 0 && index % 4 <= 2;
    for (int packet = 0; packet < 2; ++packet)
      f.send(kVp8Pt, vp8(picture_id, tl0, tid, sync, key && packet == 0, packet == 0), packet == 1);
    picture_id = static_cast<uint16_t>((picture_id + 1) & 0x7FFF);
    ++index;
    f.next_picture();
  }
};

}  // namespace

TEST(SvcRouter, Vp8TemporalLayersDroppedWithContinuousSequenceNumbersAndPictureIds) {
  Fixture f;
  PublishedTrack& video = add_codec_track(f.alice, f.alice_publish, kVp8Pt, "VP8");
  DownTrack& to_bob = subscribe(video, kVp8Pt, f.bob, f.bob_subscribe, 0xB0B);
  subscribe(video, kVp8Pt, f.carol, f.carol_subscribe, 0xCA401);
  to_bob.set_preferences({.max_temporal_layer = 0});
  Vp8Stream stream{f};
  stream.frame(true);
  for (int i = 1; i < 12; ++i) stream.frame();

  const auto bob = got(f.bob_subscribe, kVp8Pt);
  const auto carol = got(f.carol_subscribe, kVp8Pt);
  ASSERT_EQ(carol.size(), 24u) << "every packet of every frame";
  ASSERT_EQ(bob.size(), 6u) << "the T0 frames only (3 of 12), two packets each";
  for (const auto& packet : bob) EXPECT_EQ(packet.temporal, 0);
  expect_continuous(bob, "bob");
  expect_continuous(carol, "carol");
  // One picture id per frame Bob gets, one after the other: the dropped pictures leave no gap.
  for (size_t i = 2; i < bob.size(); i += 2) {
    EXPECT_EQ(bob[i].picture_id, (bob[i - 1].picture_id + 1) & 0x7FFF) << i;
    EXPECT_EQ(bob[i].picture_id, bob[i + 1].picture_id);
  }
  // TL0PICIDX is that of the T0 frames: unchanged.
  for (Bytes bytes : f.bob_subscribe.rtp) {
    auto d = rtp::parse_vp8_descriptor(view(bytes).payload());
    ASSERT_TRUE(d && d->has_tl0_pic_idx);
  }
  EXPECT_EQ(f.counters.layers.not_forwarded_temporal_layer.load(), 18u);
  EXPECT_EQ(to_bob.counters().dropped_temporal_layer, 18u);

  // Bob NACKs its 3rd packet (the first of the second T0 frame): the resend is the same packet
  // he got, though offsets moved since.
  Bytes first_send = f.bob_subscribe.rtp[2];
  f.bob_subscribe.clear();
  const uint16_t nacked = view(first_send).sequence_number();
  EXPECT_EQ(to_bob.to_source_sequence(nacked), static_cast<uint16_t>(65500 + 8));
  Bytes nack(64);
  nack.resize(rtp::build_generic_nack(0xB0B0, 0xB0B, std::array<uint16_t, 1>{nacked}, nack));
  f.router.on_subscriber_rtcp(f.bob, nack.data(), nack.size(), f.now);
  ASSERT_EQ(f.bob_subscribe.rtp.size(), 1u);
  EXPECT_EQ(f.bob_subscribe.rtp[0], first_send);
}

TEST(SvcRouter, Vp8TemporalUpSwitchWaitsForALayerSync) {
  Fixture f;
  PublishedTrack& video = add_codec_track(f.alice, f.alice_publish, kVp8Pt, "VP8");
  DownTrack& to_bob = subscribe(video, kVp8Pt, f.bob, f.bob_subscribe, 0xB0B);
  to_bob.set_preferences({.max_temporal_layer = 0});
  Vp8Stream stream{f};
  stream.frame(true);
  stream.frame();  // T2 sync, dropped
  to_bob.set_preferences({.max_temporal_layer = 2});
  stream.frame();  // T1 sync: switch to T1
  stream.frame();  // T2, not a sync: still dropped
  stream.frame();  // T0
  stream.frame();  // T2 sync: now T2 too
  const auto bob = got(f.bob_subscribe, kVp8Pt);
  std::vector<int> temporal;
  for (size_t i = 0; i < bob.size(); i += 2) temporal.push_back(bob[i].temporal);
  EXPECT_EQ(temporal, (std::vector<int>{0, 1, 0, 2}));
  expect_continuous(bob, "bob");
  EXPECT_EQ(to_bob.svc_filter().current_temporal(), 2);
}

// --- VP9 k-SVC ---------------------------------------------------------------------------------

namespace {

// A one-packet layer frame of a non-flexible VP9 stream: I L B E, picture id, layer indices,
// TL0PICIDX, the scalability structure on a key frame's base layer.
// With `sizes`, the structure gives the three layers' frame sizes (Y): 320x180, 640x360, 1280x720.
Bytes vp9(uint16_t picture_id, uint8_t tl0, int sid, int tid, bool key, bool sizes = false) {
  const bool inter = !key;
  uint8_t first = 0x80 | 0x20 | 0x08 | 0x04;
  if (inter) first |= 0x40;
  if (key && sid == 0) first |= 0x02;
  Bytes p = {first, static_cast<uint8_t>(0x80 | (picture_id >> 8)), static_cast<uint8_t>(picture_id & 0xFF),
             static_cast<uint8_t>((tid << 5) | 0x10 | (sid << 1) | (key && sid > 0 ? 1 : 0)), tl0};
  if (key && sid == 0 && !sizes) p.push_back(0x40);  // N_S = 2, no sizes, no group
  if (key && sid == 0 && sizes) {
    p.push_back(0x50);  // N_S = 2, Y, no group
    for (int layer = 0; layer < 3; ++layer) {
      const int width = 320 << layer, height = 180 << layer;
      for (int v : {width >> 8, width & 0xFF, height >> 8, height & 0xFF})
        p.push_back(static_cast<uint8_t>(v));
    }
  }
  p.push_back(0x83);
  p.push_back(tag(sid, tid));
  return p;
}

struct Vp9Stream {
  Fixture& f;
  uint16_t picture_id = 100;
  uint8_t tl0 = 0;
  int index = 0;
  bool sizes = false;  // the key frames' structure gives the layers' frame sizes
  // One picture: three spatial layer frames, the marker on the top one.
  void picture(bool key = false) {
    const int tid = key ? 0 : kL1T3[index % 4];
    if (tid == 0) ++tl0;
    for (int sid = 0; sid < 3; ++sid) f.send(kVp9Pt, vp9(picture_id, tl0, sid, tid, key, sizes), sid == 2);
    ++picture_id;
    ++index;
    f.next_picture();
  }
};

}  // namespace

TEST(SvcRouter, Vp9KsvcEachSubscriberGetsItsSpatialAndTemporalLayers) {
  Fixture f;
  PublishedTrack& video = add_codec_track(f.alice, f.alice_publish, kVp9Pt, "VP9");
  DownTrack& to_bob = subscribe(video, kVp9Pt, f.bob, f.bob_subscribe, 0xB0B);
  subscribe(video, kVp9Pt, f.carol, f.carol_subscribe, 0xCA401);
  to_bob.set_preferences({.max_layer = 0, .max_temporal_layer = 1});
  Vp9Stream stream{f};
  stream.picture(true);
  for (int i = 1; i < 8; ++i) stream.picture();

  const auto bob = got(f.bob_subscribe, kVp9Pt);
  const auto carol = got(f.carol_subscribe, kVp9Pt);
  ASSERT_EQ(carol.size(), 24u);
  // Bob: the base spatial layer of the T0 and T1 pictures (4 of 8), each the end of his picture.
  ASSERT_EQ(bob.size(), 4u);
  for (const auto& packet : bob) {
    EXPECT_EQ(packet.spatial, 0);
    EXPECT_LE(packet.temporal, 1);
    EXPECT_TRUE(packet.marker) << "the last layer Bob gets of each picture carries the marker";
  }
  expect_continuous(bob, "bob");
  expect_continuous(carol, "carol");
  for (const auto& packet : carol) EXPECT_EQ(packet.marker, packet.spatial == 2);
  EXPECT_EQ(f.counters.layers.not_forwarded_spatial_layer.load(), 16u);
  EXPECT_EQ(f.counters.layers.not_forwarded_temporal_layer.load(), 4u);

  // Bob asks for the top spatial layer: it starts only at a key frame, which the server requests.
  const size_t plis = f.plis();
  to_bob.set_preferences({.max_layer = 2, .max_temporal_layer = 2});
  f.bob_subscribe.clear();
  stream.picture();
  EXPECT_GT(f.plis(), plis) << "a PLI for the key frame the up-switch needs";
  for (const auto& packet : got(f.bob_subscribe, kVp9Pt)) EXPECT_EQ(packet.spatial, 0);
  f.bob_subscribe.clear();
  stream.picture(true);
  stream.picture();
  const auto after = got(f.bob_subscribe, kVp9Pt);
  ASSERT_EQ(after.size(), 6u) << "all three spatial layers from the key frame on";
  for (size_t i = 0; i < after.size(); ++i) EXPECT_EQ(after[i].marker, after[i].spatial == 2) << i;

  // And down again at the next picture, without a key frame.
  to_bob.set_preferences({.max_layer = 1});
  f.bob_subscribe.clear();
  stream.picture();
  const auto down = got(f.bob_subscribe, kVp9Pt);
  ASSERT_EQ(down.size(), 2u);
  EXPECT_EQ(down[1].spatial, 1);
  EXPECT_TRUE(down[1].marker);
  EXPECT_FALSE(down[0].marker);
}

// --- AV1 with the Dependency Descriptor ---------------------------------------------------------

namespace {

// L3T3 frames: one packet each; template = spatial * 4 + (key ? 0 : 1 + temporal).
struct Av1Stream {
  Fixture& f;
  DdStructure structure = three_by_three(false);
  uint16_t frame_number = 65530;  // wraps
  int index = 0;
  void temporal_unit(bool key = false) {
    const int tid = key ? 0 : kL1T3[index % 4];
    for (int sid = 0; sid < 3; ++sid) {
      DdPacket dd{.template_id = sid * 4 + (key ? 0 : 1 + tid), .frame_number = frame_number++};
      if (key && sid == 0) dd.structure = &structure;
      Bytes payload = key && sid == 0 ? Bytes{0x28, 0x06, 0x08, 0x00, 0x00, 0x00, 0x42, 0xAB, 0x30, 0x10}
                                      : Bytes{0x10, 0x30, 0x10};
      payload.push_back(tag(sid, tid));
      f.send(kAv1Pt, payload, sid == 2, write_dd(dd));
    }
    ++index;
    f.next_picture();
  }
};

}  // namespace

TEST(SvcRouter, Av1DependencyDescriptorEachSubscriberGetsItsDecodeTarget) {
  Fixture f;
  PublishedTrack& video = add_codec_track(f.alice, f.alice_publish, kAv1Pt, "AV1");
  DownTrack& to_bob = subscribe(video, kAv1Pt, f.bob, f.bob_subscribe, 0xB0B);
  subscribe(video, kAv1Pt, f.carol, f.carol_subscribe, 0xCA401);
  to_bob.set_preferences({.max_layer = 1, .max_temporal_layer = 0});
  Av1Stream stream{f};
  stream.temporal_unit(true);
  for (int i = 1; i < 8; ++i) stream.temporal_unit();

  const auto bob = got(f.bob_subscribe, kAv1Pt);
  const auto carol = got(f.carol_subscribe, kAv1Pt);
  ASSERT_EQ(carol.size(), 24u);
  // Bob's decode target is S1T0 (index 3): spatial 0 and 1 of the T0 units (2 of 8).
  EXPECT_EQ(to_bob.svc_filter().current_decode_target(), 3);
  ASSERT_EQ(bob.size(), 4u);
  for (size_t i = 0; i < bob.size(); ++i) {
    EXPECT_EQ(bob[i].temporal, 0);
    EXPECT_EQ(bob[i].spatial, static_cast<int>(i % 2));
    EXPECT_EQ(bob[i].marker, bob[i].spatial == 1) << "the end of Bob's temporal unit";
  }
  expect_continuous(bob, "bob");
  expect_continuous(carol, "carol");
  // The descriptor reaches the subscriber under its own id.
  Bytes first = f.bob_subscribe.rtp[0];
  auto extension = view(first).find_extension(kSubscriberExtensionIds.dependency_descriptor);
  ASSERT_TRUE(extension);
  rtp::DependencyStructure structure;
  bool valid = false;
  rtp::DependencyFrame frame;
  EXPECT_EQ(rtp::parse_dependency_descriptor(*extension, structure, valid, frame),
            rtp::DependencyDescriptorError::kNone);
  EXPECT_TRUE(frame.carries_structure);

  // Lower to S0 at any frame (its frames are a subset of what Bob gets); up to S2 needs a key frame.
  to_bob.set_preferences({.max_layer = 0});
  f.bob_subscribe.clear();
  stream.temporal_unit();  // T2 of index 8 % 4 == 0: a T0 unit
  const auto lowered = got(f.bob_subscribe, kAv1Pt);
  ASSERT_EQ(lowered.size(), 1u);
  EXPECT_EQ(lowered[0].spatial, 0);
  EXPECT_TRUE(lowered[0].marker);

  to_bob.set_preferences({.max_layer = 2, .max_temporal_layer = 2});
  const size_t plis = f.plis();
  f.bob_subscribe.clear();
  stream.temporal_unit();
  EXPECT_GT(f.plis(), plis);
  stream.temporal_unit(true);
  stream.temporal_unit();
  const auto raised = got(f.bob_subscribe, kAv1Pt);
  ASSERT_GE(raised.size(), 6u);
  EXPECT_EQ(raised.back().spatial, 2);
  EXPECT_EQ(to_bob.svc_filter().current_decode_target(), 8);
}

// --- H.264 temporal layers with the Dependency Descriptor -----------------------------------------

// L1T3 as libwebrtc sends H.264 with the descriptor negotiated: the payload (one NAL unit per
// packet here) names no layer, the descriptor does. Templates as l1t3(): 0 key, 1 T0, 2 T1, 3 T2
// after T0, 4 T2 after T1.
TEST(SvcRouter, H264TemporalLayersFromTheDependencyDescriptor) {
  constexpr uint8_t kH264Pt = 108;
  Fixture f;
  PublishedTrack& video = add_codec_track(f.alice, f.alice_publish, kH264Pt, "H264");
  DownTrack& to_bob = subscribe(video, kH264Pt, f.bob, f.bob_subscribe, 0xB0B);
  subscribe(video, kH264Pt, f.carol, f.carol_subscribe, 0xCA401);
  to_bob.set_preferences({.max_temporal_layer = 0});
  const DdStructure structure = l1t3();
  uint16_t frame_number = 65533;  // wraps
  auto frame = [&](int index, bool key) {
    const int tid = key ? 0 : kL1T3[index % 4];
    const int template_id = key ? 0 : tid == 0 ? 1 : tid == 1 ? 2 : index % 4 == 1 ? 3 : 4;
    DdPacket dd{.template_id = template_id, .frame_number = frame_number++};
    if (key) dd.structure = &structure;
    Bytes payload = key ? Bytes{0x65, 0x88, 0x84} : Bytes{0x41, 0x9A, 0x02};  // IDR / non-IDR slice
    payload.push_back(tag(0, tid));
    f.send(kH264Pt, payload, true, write_dd(dd));
    f.next_picture();
  };
  frame(0, true);
  for (int i = 1; i < 12; ++i) frame(i, false);

  const auto bob = got(f.bob_subscribe, kH264Pt);
  const auto carol = got(f.carol_subscribe, kH264Pt);
  ASSERT_EQ(carol.size(), 12u) << "no cap: every frame";
  ASSERT_EQ(bob.size(), 3u) << "T0 only: frames 0, 4 and 8";
  for (const Got& packet : bob) {
    EXPECT_EQ(packet.temporal, 0);
    EXPECT_TRUE(packet.marker);
  }
  expect_continuous(bob, "bob");
  expect_continuous(carol, "carol");

  // Up to T2 at the next frame the descriptor marks as a switch point of that target (T0 and T1
  // frames, "S"); no key frame needed.
  to_bob.set_preferences({.max_temporal_layer = 2});
  f.bob_subscribe.clear();
  const size_t plis = f.plis();
  for (int i = 12; i < 20; ++i) frame(i, false);
  const auto raised = got(f.bob_subscribe, kH264Pt);
  EXPECT_EQ(raised.size(), 8u) << "from the T0 frame 12 on, every frame";
  EXPECT_EQ(f.plis(), plis);
  EXPECT_EQ(raised.back().temporal, 2);
  expect_continuous(raised, "bob raised");
}

// --- A tile's size picks the SVC spatial layer ----------------------------------------------------

// Both descriptions of the spatial layers' sizes (VP9's scalability structure with Y, the AV1
// Dependency Descriptor's resolutions): a subscriber showing the track at 640x360 gets the
// spatial layers up to 640x360 (S1), one with no size limit every layer.
TEST(SvcRouter, Vp9TileSizeCapsTheSpatialLayer) {
  Fixture f;
  PublishedTrack& video = add_codec_track(f.alice, f.alice_publish, kVp9Pt, "VP9");
  DownTrack& to_bob = subscribe(video, kVp9Pt, f.bob, f.bob_subscribe, 0xB0B);
  subscribe(video, kVp9Pt, f.carol, f.carol_subscribe, 0xCA401);
  to_bob.set_preferences({.max_width = 640, .max_height = 360});
  Vp9Stream stream{f};
  stream.sizes = true;
  stream.picture(true);
  for (int i = 1; i < 4; ++i) stream.picture();
  const auto bob = got(f.bob_subscribe, kVp9Pt);
  ASSERT_EQ(got(f.carol_subscribe, kVp9Pt).size(), 12u);
  ASSERT_EQ(bob.size(), 8u) << "spatial layers 0 and 1 of each of the 4 pictures";
  for (const auto& packet : bob) EXPECT_LE(packet.spatial, 1);
  EXPECT_TRUE(bob.back().marker) << "S1 ends Bob's picture";
  expect_continuous(bob, "bob");

  // A bigger tile: S2 from the next key frame on (requested).
  to_bob.set_preferences({.max_width = 1280, .max_height = 720});
  const size_t plis = f.plis();
  f.bob_subscribe.clear();
  stream.picture();
  EXPECT_GT(f.plis(), plis);
  stream.picture(true);
  EXPECT_EQ(got(f.bob_subscribe, kVp9Pt).back().spatial, 2);
}

TEST(SvcRouter, Av1TileSizeCapsTheDecodeTarget) {
  Fixture f;
  PublishedTrack& video = add_codec_track(f.alice, f.alice_publish, kAv1Pt, "AV1");
  DownTrack& to_bob = subscribe(video, kAv1Pt, f.bob, f.bob_subscribe, 0xB0B);
  to_bob.set_preferences({.max_width = 400});  // wider than S0 (320): S1 is the first that fills it
  Av1Stream stream{f};
  stream.temporal_unit(true);
  for (int i = 1; i < 4; ++i) stream.temporal_unit();
  EXPECT_EQ(to_bob.svc_filter().current_decode_target(), 5) << "S1T2";
  const auto bob = got(f.bob_subscribe, kAv1Pt);
  ASSERT_EQ(bob.size(), 8u);
  for (const auto& packet : bob) EXPECT_LE(packet.spatial, 1);
}
