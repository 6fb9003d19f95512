// Dynacast: the layers a simulcast track's subscribers need (from each down-track's preferences,
// not the bandwidth allocator's cap; paused and inactive down-tracks need nothing; the lowest
// layer always; every layer below a needed one), and the per-track debounce (on at once, off
// after the delay).
#include "sfu/media/dynacast.h"

#include <gtest/gtest.h>

#include <initializer_list>

#include "sfu/media/cross_worker_link.h"
#include "tests/unit/media/media_test_support.h"

using namespace sfu;
using namespace sfu::test;

namespace {

constexpr uint64_t kDelay = 3000;

PublishedTrack& add_three_layer_track(Participant& publisher, MediaSink& sink) {
  PublishedTrackSpec spec;
  spec.id = "camera";
  spec.mid = "1";
  spec.kind = sdp::MediaKind::kVideo;
  spec.rid = "q";
  spec.layers = {{"q", 0, 0}, {"h", 0, 0}, {"f", 0, 0}};
  spec.codecs = {make_codec(kVp8Pt, "VP8", 90000)};
  publisher.published.push_back(std::make_unique<PublishedTrack>(publisher, sink, spec));
  return *publisher.published.back();
}

TrackPreferences max_layer(uint8_t layer) {
  TrackPreferences p;
  p.max_layer = layer;
  return p;
}

struct DynacastFixture {
  Participant alice, bob, carol;
  FakeMediaSink alice_publish, bob_subscribe, carol_subscribe;
  PublishedTrack& video = add_three_layer_track(alice, alice_publish);

  // The publisher sends `layers` (a key frame, then a delta frame once they settled).
  void arrive(std::initializer_list<size_t> layers) {
    for (size_t layer : layers) {
      Bytes key = make_rtp(static_cast<uint32_t>(0x100 + layer), kVp8Pt, 1, 0, kVp8Keyframe);
      video.on_packet(layer, view(key), 1000);
      Bytes delta = make_rtp(static_cast<uint32_t>(0x100 + layer), kVp8Pt, 2, 3000, kVp8Delta);
      video.on_packet(layer, view(delta), 1000 + LayerStream::kSettleMs);
    }
    video.on_timer(1000 + LayerStream::kSettleMs);
  }
};

}  // namespace

TEST(DynacastNeededLayers, OnlyTheLowestWithoutSubscribers) {
  DynacastFixture f;
  EXPECT_EQ(needed_layers(f.video, 0), 0b001u);
}

TEST(DynacastNeededLayers, EachSubscribersCapAndTheLayersBelowItAreNeeded) {
  DynacastFixture f;
  DownTrack& to_bob = add_down_track(f.video, f.bob, f.bob_subscribe, 0xB0);
  DownTrack& to_carol = add_down_track(f.video, f.carol, f.carol_subscribe, 0xC0);
  f.arrive({0, 1, 2});
  EXPECT_EQ(needed_layers(f.video, 0), 0b111u) << "defaults: the best layer, and the ones below it";
  to_bob.set_preferences(max_layer(0));
  to_carol.set_preferences(max_layer(0));
  EXPECT_EQ(needed_layers(f.video, 0), 0b001u);
  to_carol.set_preferences(max_layer(1));
  EXPECT_EQ(needed_layers(f.video, 0), 0b011u);
  to_bob.set_preferences(max_layer(3));
  EXPECT_EQ(needed_layers(f.video, 0), 0b111u) << "a cap above the layers is the top layer";
}

TEST(DynacastNeededLayers, PausedAndInactiveSubscribersNeedNothing) {
  DynacastFixture f;
  DownTrack& to_bob = add_down_track(f.video, f.bob, f.bob_subscribe, 0xB0);
  DownTrack& to_carol = add_down_track(f.video, f.carol, f.carol_subscribe, 0xC0);
  f.arrive({0, 1, 2});
  TrackPreferences paused;
  paused.paused = true;
  to_bob.set_preferences(paused);
  to_carol.set_active(false);
  EXPECT_EQ(needed_layers(f.video, 0), 0b001u);
  TrackPreferences resumed;
  resumed.paused = false;
  to_bob.set_preferences(resumed);
  EXPECT_EQ(needed_layers(f.video, 0), 0b111u);
}

TEST(DynacastNeededLayers, TheLayerASubscriberFallsBackToIsNeededWhileItsCapDoesNotArrive) {
  DynacastFixture f;
  DownTrack& to_bob = add_down_track(f.video, f.bob, f.bob_subscribe, 0xB0);
  // The publisher sends q and h only (its own bandwidth estimate keeps f off): Bob, capped at the
  // best, targets h, which must stay on, and f stays asked for.
  f.arrive({0, 1});  // the layers settle: f is not coming
  EXPECT_EQ(needed_layers(f.video, 0), 0b111u);
  EXPECT_EQ(to_bob.selector().target(), 1);
  to_bob.set_preferences(max_layer(0));
  EXPECT_EQ(needed_layers(f.video, 0), 0b001u) << "not started: no current layer holds h";
}

TEST(DynacastNeededLayers, ALayerTheBandwidthAllocatorHoldsBackStaysNeeded) {
  DynacastFixture f;
  DownTrack& to_bob = add_down_track(f.video, f.bob, f.bob_subscribe, 0xB0);
  f.arrive({0, 1, 2});
  // Bob's downlink carries only q now: were f and h turned off, they would stop arriving and the
  // allocator could never give them back to Bob when his link recovers.
  to_bob.allocation().layer = 0;
  to_bob.apply_allocation();
  EXPECT_EQ(needed_layers(f.video, 0), 0b111u);
  EXPECT_EQ(to_bob.selector().max_layer(), 0) << "the selector itself is capped";
  to_bob.set_preferences(max_layer(1));
  EXPECT_EQ(needed_layers(f.video, 0), 0b011u) << "the preference still caps what is needed";
}

TEST(DynacastNeededLayers, TheShownSizePicksTheLayer) {
  DynacastFixture f;
  DownTrack& to_bob = add_down_track(f.video, f.bob, f.bob_subscribe, 0xB0);
  TrackPreferences small;
  small.max_width = 100;
  small.max_height = 60;
  to_bob.set_preferences(small);
  // No frame sizes known yet: the top layer covers any size.
  EXPECT_EQ(needed_layers(f.video, 0), 0b111u);
}

namespace {

struct NoDoorbell : RingDoorbell {
  void ring() override {}
};

// Links from the publisher's worker (0) to workers 1 and 2, as a room spanning three workers has.
struct SpanningLinks {
  CrossWorkerCounters counters;
  NoDoorbell doorbell;
  CrossWorkerLink to_one{0, 1, 8, counters, counters, doorbell};
  CrossWorkerLink to_two{0, 2, 8, counters, counters, doorbell};
};

}  // namespace

TEST(DynacastNeededLayers, OtherWorkersNeedEveryLayerUntilTheySayAndWhatTheySayWhileFresh) {
  DynacastFixture f;
  SpanningLinks links;
  CrossWorkerRoutes& routes = f.video.remote_routes();
  routes.links = {&links.to_one, &links.to_two};
  routes.layer_demands.reserve(routes.links.size());
  EXPECT_EQ(needed_layers(f.video, 1000), 0b111u) << "no worker has said yet";
  note_layer_demand(routes, 1, 0b001, 1000);
  EXPECT_EQ(needed_layers(f.video, 1000), 0b111u) << "worker 2 has not said yet";
  note_layer_demand(routes, 2, 0b010, 1000);
  EXPECT_EQ(needed_layers(f.video, 1000), 0b011u);
  note_layer_demand(routes, 2, 0b001, 1500);
  EXPECT_EQ(needed_layers(f.video, 1500), 0b001u);
  note_layer_demand(routes, 3, 0b100, 1500);
  EXPECT_EQ(needed_layers(f.video, 1500), 0b001u) << "worker 3 does not receive the track";
  EXPECT_EQ(needed_layers(f.video, 1000 + kLayerDemandStaleMs + 1), 0b111u) << "worker 1 went quiet";
  // Worker 2 stops receiving; a new worker's demand takes its entry, with no allocation.
  routes.links = {&links.to_one};
  const size_t capacity = routes.layer_demands.capacity();
  note_layer_demand(routes, 1, 0b001, 5000);
  EXPECT_EQ(needed_layers(f.video, 5000), 0b001u);
  EXPECT_EQ(routes.layer_demands.capacity(), capacity);
  // A local subscriber's need adds to the others'.
  DownTrack& to_bob = add_down_track(f.video, f.bob, f.bob_subscribe, 0xB0);
  f.arrive({0, 1, 2});
  to_bob.set_preferences(max_layer(1));
  EXPECT_EQ(needed_layers(f.video, 5000), 0b011u);
  routes.links.clear();
}

TEST(DynacastLayers, ADemandIsDueWhenItChangesOrTheRefreshIsDue) {
  DynacastLayers d;
  EXPECT_TRUE(d.demand_due(0b001, 0));
  EXPECT_FALSE(d.demand_due(0b001, 100));
  EXPECT_TRUE(d.demand_due(0b011, 200));
  EXPECT_FALSE(d.demand_due(0b011, 200 + kLayerDemandRefreshMs - 1));
  EXPECT_TRUE(d.demand_due(0b011, 200 + kLayerDemandRefreshMs));
}

TEST(DynacastLayers, AllOnAtFirstThenOffOnlyAfterTheDelay) {
  DynacastLayers d;
  EXPECT_EQ(d.active(), 0b1111u);
  EXPECT_FALSE(d.update(0b001, 3, 1000, kDelay)) << "every layer gets the delay from the start";
  EXPECT_FALSE(d.update(0b001, 3, 1000 + kDelay - 1, kDelay));
  EXPECT_TRUE(d.update(0b001, 3, 1000 + kDelay, kDelay));
  EXPECT_EQ(d.active(), 0b001u);
  EXPECT_FALSE(d.update(0b001, 3, 9000, kDelay));
}

TEST(DynacastLayers, OnAtOnce) {
  DynacastLayers d;
  d.update(0b001, 3, 0, kDelay);
  ASSERT_TRUE(d.update(0b001, 3, kDelay, kDelay));
  EXPECT_TRUE(d.update(0b100, 3, kDelay + 100, kDelay));
  EXPECT_EQ(d.active(), 0b101u) << "the top layer at once; the lowest stays for its delay";
}

TEST(DynacastLayers, ANeedThatComesBackWithinTheDelayKeepsTheLayerOn) {
  DynacastLayers d;
  d.update(0b111, 3, 0, kDelay);
  for (uint64_t t = 100; t < 10000; t += 100) {
    const uint32_t needed = (t / 1000) % 2 == 0 ? 0b111 : 0b001;  // 1 s on, 1 s off
    EXPECT_FALSE(d.update(needed, 3, t, kDelay)) << t;
  }
  EXPECT_EQ(d.active(), 0b111u);
}
