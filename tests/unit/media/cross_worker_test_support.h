// Two workers' cross-worker state in one thread, for the media unit tests (no loops, no threads):
// worker A's router with a published VP8 track exported to worker B, worker B's router with its
// proxy and one subscriber, the two links between them, and drain_a()/drain_b() doing what each
// worker's CrossWorkerHub does when its doorbell rings. Header-only.
#pragma once

#include <memory>

#include "sfu/media/cross_worker_link.h"
#include "sfu/media/cross_worker_tables.h"
#include "sfu/media/proxy_uplink.h"
#include "sfu/media/router.h"
#include "tests/unit/media/media_test_support.h"

namespace sfu::test {

class CountingDoorbell final : public RingDoorbell {
 public:
  void ring() override { ++rings; }
  int rings = 0;
};

struct TwoWorkers {
  static constexpr uint32_t kPublisherSsrc = 1234, kPublisherRtxSsrc = 1235;
  static constexpr uint32_t kSubscriberSsrc = 5000, kSubscriberRtxSsrc = 5001;

  explicit TwoWorkers(size_t ring_packets = 64)
      : a_to_b(0, 1, ring_packets, a_counters, b_counters, b_bell),
        b_to_a(1, 0, ring_packets, b_counters, a_counters, a_bell) {
    track =
        &add_track(publisher, publisher_feedback, sdp::MediaKind::kVideo, kPublisherSsrc, kPublisherRtxSsrc);
    ref = a_tables.export_track(*track, a_router);
    track->remote_routes().ref = ref;
    track->remote_routes().links = {&a_to_b};
    uplink = std::make_unique<ProxyUplink>(b_to_a, ref);
    proxy = &add_track(proxy_participant, *uplink, sdp::MediaKind::kVideo, kPublisherSsrc, kPublisherRtxSsrc);
    make_proxy(*proxy, *uplink, ref);
    proxy_participant.remote_worker = 0;
    b_tables.import_track(0, ref, *proxy, b_router);
  }

  // A subscriber on worker B (with RTX when `rtx`), sending into `sink`.
  DownTrack& subscribe_on_b(Participant& subscriber, MediaSink& sink, uint32_t ssrc, bool rtx = true) {
    return add_down_track(*proxy, subscriber, sink, ssrc, rtx ? ssrc + 1 : 0);
  }

  size_t drain_b(uint64_t now_ms) {
    return a_to_b.drain([&](CrossWorkerPacket& packet) { b_tables.dispatch(0, packet, b_to_a, now_ms); });
  }
  size_t drain_a(uint64_t now_ms) {
    return b_to_a.drain([&](CrossWorkerPacket& packet) { a_tables.dispatch(1, packet, a_to_b, now_ms); });
  }

  CrossWorkerCounters a_counters, b_counters;
  CountingDoorbell a_bell, b_bell;
  CrossWorkerLink a_to_b;
  CrossWorkerLink b_to_a;
  CrossWorkerTables a_tables{a_counters};
  CrossWorkerTables b_tables{b_counters};
  DropCounters drops;
  RouterCounters a_router_counters, b_router_counters;
  Router a_router{drops, a_router_counters};
  Router b_router{drops, b_router_counters};
  Participant publisher;
  FakeMediaSink publisher_feedback;
  PublishedTrack* track = nullptr;
  CrossWorkerTrackRef ref;
  Participant proxy_participant;
  std::unique_ptr<ProxyUplink> uplink;
  PublishedTrack* proxy = nullptr;
};

}  // namespace sfu::test
