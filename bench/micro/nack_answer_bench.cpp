// NACK answering under attack (audit row 6): the Router receiving a subscriber's generic NACK that
// repeats one (PID, BLP=0xFFFF) item 300 times, 5,100 requests in 1.2 KB. The first iteration
// resends the 17 packets named; every later one refuses all 5,100 as duplicates (same packet, same
// subscriber, within the resend interval), at the price of a buffer lookup each: this is what one
// such NACK costs the worker now. It must not allocate. (Answering a plain NACK is covered by
// tests/unit/media/hot_path_allocation_test.cpp.)
#include <array>
#include <memory>
#include <vector>

#include "bench/micro/micro_support.h"
#include "rtp/rtcp_builder.h"
#include "sfu/media/participant.h"
#include "sfu/media/router.h"

namespace sfu::bench {
namespace {

constexpr uint32_t kSubscriberSsrc = 0x22222222, kSubscriberRtxSsrc = 0x33333333;

class CountingSink final : public MediaSink {
 public:
  bool ready() const override { return true; }
  MutableByteSpan acquire_send() override { return slot_; }
  bool commit_rtp(MutableByteSpan, size_t) override { return true; }
  bool send_rtcp(ByteSpan) override { return true; }

 private:
  std::array<uint8_t, 1500> slot_{};
};

// A publisher's VP8 track (RTX 97) with 400 packets sent (the last 128 buffered), and one subscriber
// receiving it.
struct NackSetup {
  DropCounters drops;
  RouterCounters counters;
  Router router{drops, counters};
  Participant publisher, subscriber;
  CountingSink publish_sink, subscribe_sink;
  PublishedTrack* track = nullptr;
  DownTrack* down = nullptr;
  uint64_t now_ms = 1000;

  NackSetup() {
    PublishedTrackSpec spec;
    spec.id = "video";
    spec.mid = "0";
    spec.kind = sdp::MediaKind::kVideo;
    spec.ssrc = kPublisherSsrc;
    spec.rtx_ssrc = kPublisherSsrc + 1;
    sdp::Codec vp8;
    vp8.payload_type = kVp8PayloadType;
    vp8.name = "VP8";
    vp8.clock_rate = 90000;
    spec.codecs = {vp8};
    spec.rtx_payload_type[kVp8PayloadType] = 97;
    publisher.published.push_back(std::make_unique<PublishedTrack>(publisher, publish_sink, spec));
    track = publisher.published.back().get();
    subscriber.down_tracks.push_back(std::make_unique<DownTrack>(*track, subscriber, subscribe_sink, "0",
                                                                 kSubscriberSsrc, kSubscriberRtxSsrc));
    down = subscriber.down_tracks.back().get();
    down->map_payload_type(kVp8PayloadType, kVp8PayloadType, 97);
    down->set_active(true);
    track->down_tracks().push_back(down);
    // The first packet a keyframe start, so the down-track starts.
    std::vector<uint8_t> packet = build_packet(PacketShape{kVp8PayloadType, 1200, false}, 1000);
    packet[12] = 0x10;
    packet[13] = 0x10;
    packet[14] = 0x02;
    packet[15] = 0x00;
    packet[16] = 0x9d;
    packet[17] = 0x01;
    packet[18] = 0x2a;
    for (uint16_t seq = 1000; seq < 1400; ++seq) {
      packet[2] = static_cast<uint8_t>(seq >> 8);
      packet[3] = static_cast<uint8_t>(seq);
      router.on_publisher_rtp(publisher, packet.data(), packet.size(), now_ms);
    }
  }
  uint16_t subscriber_seq(uint16_t source_seq) const {
    return static_cast<uint16_t>(source_seq - down->to_source_sequence(0));
  }
};

void BM_NackRepeatedItems(benchmark::State& state) {
  NackSetup setup;
  constexpr size_t kItems = 300;
  std::vector<uint8_t> nack(12 + 4 * kItems);
  nack[0] = 0x81;  // V=2, FMT=1 (generic NACK)
  nack[1] = 205;   // RTPFB
  store_be16(nack.data() + 2, static_cast<uint16_t>(nack.size() / 4 - 1));
  store_be32(nack.data() + 4, 1);
  store_be32(nack.data() + 8, kSubscriberSsrc);
  for (size_t i = 0; i < kItems; ++i) {
    store_be16(nack.data() + 12 + 4 * i, setup.subscriber_seq(1350));
    store_be16(nack.data() + 14 + 4 * i, 0xFFFF);
  }
  run_op(state, AllocationPolicy::kMustNotAllocate, "no NACK", [&] {
    setup.router.on_subscriber_rtcp(setup.subscriber, nack.data(), nack.size(), setup.now_ms + 10);
    return nack.size();
  });
  // Each run of this function has its own setup: the 17 go out in its first iteration only.
  if (setup.counters.retransmissions_sent.load() != 17) fail(state, "expected 17 packets resent in all");
}

BENCHMARK(BM_NackRepeatedItems);

}  // namespace
}  // namespace sfu::bench
