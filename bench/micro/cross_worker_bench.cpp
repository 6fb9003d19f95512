// The hand-over between workers of a room that spans workers (sfu/media/cross_worker_link.h): what
// one packet costs on its way from the publisher's worker to another worker's subscribers, besides
// the fan-out the other worker does anyway. `ring`: the copy into a ring slot and out of it (the
// producer's push and the consumer's drain, on one thread here: no cache line crosses cores, so
// this is the floor). `to_proxy`: the same plus the other worker's dispatch into the proxy track
// (parse, retransmission buffer) and one subscriber's rewrite. Video: 1,200-byte VP8.
#include <array>
#include <memory>

#include "bench/micro/micro_support.h"
#include "sfu/media/cross_worker_link.h"
#include "sfu/media/cross_worker_tables.h"
#include "sfu/media/down_track.h"
#include "sfu/media/participant.h"
#include "sfu/media/proxy_uplink.h"
#include "sfu/media/published_track.h"
#include "sfu/media/router.h"

namespace sfu::bench {
namespace {

class QuietDoorbell final : public RingDoorbell {
 public:
  void ring() override {}
};

// Keeps nothing: a send slot and a count.
class CountingSink final : public MediaSink {
 public:
  bool ready() const override { return true; }
  MutableByteSpan acquire_send() override { return slot_; }
  bool commit_rtp(MutableByteSpan, size_t size) override {
    sent += size;
    return true;
  }
  bool send_rtcp(ByteSpan) override { return true; }
  uint64_t sent = 0;

 private:
  std::array<uint8_t, 1500> slot_{};
};

struct HandOver {
  CrossWorkerCounters producer, consumer;
  QuietDoorbell doorbell;
  CrossWorkerLink to_b{0, 1, 1024, producer, consumer, doorbell};
  CrossWorkerLink to_a{1, 0, 1024, consumer, producer, doorbell};
  CrossWorkerTables tables{consumer};
  DropCounters drops;
  RouterCounters counters;
  Router router{drops, counters};
  Participant remote, subscriber;
  CountingSink sink;
  CrossWorkerTrackRef ref{0, 1};
  std::unique_ptr<ProxyUplink> uplink = std::make_unique<ProxyUplink>(to_a, ref);
  std::unique_ptr<PublishedTrack> proxy;
  std::unique_ptr<DownTrack> down;

  HandOver() {
    PublishedTrackSpec spec;
    spec.id = "video";
    spec.mid = "1";
    spec.kind = sdp::MediaKind::kVideo;
    spec.ssrc = kPublisherSsrc;
    sdp::Codec vp8;
    vp8.payload_type = kVp8PayloadType;
    vp8.name = "VP8";
    vp8.clock_rate = 90000;
    spec.codecs = {vp8};
    proxy = std::make_unique<PublishedTrack>(remote, *uplink, spec);
    make_proxy(*proxy, *uplink, ref);
    tables.import_track(0, ref, *proxy, router);
    down = std::make_unique<DownTrack>(*proxy, subscriber, sink, "1", 0x22222222, 0);
    down->map_payload_type(kVp8PayloadType, kVp8PayloadType, 0);
    down->set_active(true);
    proxy->down_tracks().push_back(down.get());
  }
};

void BM_CrossWorkerRing(benchmark::State& state) {
  HandOver h;
  std::vector<uint8_t> packet = build_packet(kVideoPacket);
  run_op(state, AllocationPolicy::kMustNotAllocate, "the ring refused or lost the packet", [&] {
    if (!h.to_b.push_rtp(CrossWorkerKind::kMedia, h.ref, 0, packet, 1000)) return size_t{0};
    size_t taken = 0;
    h.to_b.drain([&](CrossWorkerPacket& slot) { taken += slot.size; });
    return taken;
  });
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * packet.size()));
}

void BM_CrossWorkerToProxy(benchmark::State& state) {
  HandOver h;
  std::vector<uint8_t> packet = build_packet(kVideoPacket);
  // The subscriber's stream starts at a keyframe: start it before the timed loop.
  std::array<uint8_t, 1500> out;
  h.down->rewrite(*rtp::RtpPacket::parse(MutableByteSpan(packet)), true, out);
  // Sequence numbers from the stream's first (1000, the packet's), cycling through 16,384 of them:
  // DownTrack::in_current_layer() compares with the layer's first packet in 16 bits, so a packet
  // 32,768 or more past it counts as older than the layer and is not forwarded.
  uint32_t sent = 0;
  uint64_t now = 1000;
  auto hand_over = [&] {
    // A fresh sequence number each time, as a stream has: the proxy's buffer stores every packet.
    const auto seq = static_cast<uint16_t>(1000 + sent++ % 16384);
    packet[2] = static_cast<uint8_t>(seq >> 8);
    packet[3] = static_cast<uint8_t>(seq);
    uint64_t before = h.sink.sent;
    h.to_b.push_rtp(CrossWorkerKind::kMedia, h.ref, 0, packet, now);
    h.to_b.drain([&](CrossWorkerPacket& slot) { h.tables.dispatch(0, slot, h.to_a, now); });
    return static_cast<size_t>(h.sink.sent - before);
  };
  // Two seconds at 1,000 packets a second first: the proxy's retransmission buffer is allocated by
  // its first packet and grown by its timer to a second of packets, once per track.
  for (int i = 0; i < 2000; ++i, ++now) {
    hand_over();
    if (i % 20 == 0) h.proxy->on_timer(now);
  }
  run_op(state, AllocationPolicy::kMustNotAllocate, "nothing reached the subscriber", hand_over);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * packet.size()));
}

BENCHMARK(BM_CrossWorkerRing);
BENCHMARK(BM_CrossWorkerToProxy);

}  // namespace
}  // namespace sfu::bench
