// The feedback sink of a proxy track (a track published on another worker of a room that spans
// workers, see room_shard.h): where the router's RTCP "to the publisher" goes on a subscribers'
// worker. The router treats a proxy like any published track, so its keyframe requests are already
// collapsed on this worker (KeyframeRequestCollapser, per-subscriber intervals); what reaches this
// sink crosses back to the publisher's worker through the reverse ring, which collapses again and
// asks the publisher:
//   - PLI and FIR: one keyframe request slot per packet;
//   - generic NACK (the sequence numbers this worker's subscribers asked for that its own
//     retransmission buffer did not hold, Router::on_subscriber_nack): one NACK slot, answered
//     from the publisher's worker's buffer with repair slots.
// Receiver reports and transport-cc are terminated per hop (the publisher's worker reports its own
// reception), so anything else is ignored. A proxy never sends RTP to its publisher.
//
// Simulcast: a request names a layer by its SSRC; the uplink sends the layer's index across. And
// dynacast (dynacast.h): the layers this worker's subscribers need, sent by the room's timer.
//
// Thread: the room's worker. Owned by the room shard, outlives its proxy track; allocates nothing.
#pragma once

#include "sfu/media/cross_worker_link.h"
#include "sfu/media/media_sink.h"
#include "sfu/media/published_track.h"

namespace sfu {

class ProxyUplink final : public MediaSink {
 public:
  // `to_publisher`: the link from this worker to the publisher's worker.
  ProxyUplink(CrossWorkerLink& to_publisher, CrossWorkerTrackRef track)
      : link_(to_publisher), track_(track) {}
  // The proxy this is the feedback sink of (made after this): its layers' SSRCs, which the RTCP
  // names, say which layer a request is for.
  void bind(const PublishedTrack& proxy) { proxy_ = &proxy; }

  bool ready() const override { return true; }
  MutableByteSpan acquire_send() override { return {}; }
  bool commit_rtp(MutableByteSpan, size_t) override { return false; }
  // Parses the compound packet; true when something crossed.
  bool send_rtcp(ByteSpan packet) override;
  // Dynacast: bit i of `layers`, layer i is needed here. False when the ring was full (counted).
  bool send_layer_demand(uint32_t layers) { return link_.push_layer_demand(track_, layers); }

 private:
  // The layer whose SSRC `ssrc` is (0 when unknown: layer 0 is all there is without simulcast).
  size_t layer_of(uint32_t ssrc) const;

  CrossWorkerLink& link_;
  const CrossWorkerTrackRef track_;
  const PublishedTrack* proxy_ = nullptr;
};

// Makes `proxy` (fed through this worker's rings, with `uplink` as its feedback sink) a proxy of the
// track `ref` names on its publisher's worker: no NACK state of its own, and the uplink maps its
// layers' SSRCs.
inline void make_proxy(PublishedTrack& proxy, ProxyUplink& uplink, CrossWorkerTrackRef ref) {
  proxy.remote_routes().proxied = true;
  proxy.remote_routes().ref = ref;
  for (size_t i = 0; i < proxy.layer_count(); ++i) proxy.layer(i).keep_no_nack_state();
  uplink.bind(proxy);
}

}  // namespace sfu
