// Down-track rewrite: DownTrack::rewrite of a parsed publisher packet for one subscriber (copy into
// the send buffer, new SSRC, sequence number, timestamp and payload type, header-extension ids
// remapped and the publisher-only ones stripped). The router does this once per packet and
// subscriber, so it is the stage that multiplies with room size. Audio: 100-byte Opus; video:
// 1,200-byte VP8.
#include <algorithm>
#include <array>
#include <iterator>
#include <memory>
#include <vector>

#include "bench/micro/micro_support.h"
#include "rtp/rtp_packet.h"
#include "sfu/media/down_track.h"
#include "sfu/media/media_sink.h"
#include "sfu/media/participant.h"
#include "sfu/media/published_track.h"

namespace sfu::bench {
namespace {

// The benchmark calls rewrite() directly, so nothing is ever sent: the sinks only satisfy the
// constructors (a DownTrack needs its subscriber's, a PublishedTrack its publisher's).
class UnusedSink final : public MediaSink {
 public:
  bool ready() const override { return true; }
  MutableByteSpan acquire_send() override { return {}; }
  bool commit_rtp(MutableByteSpan, size_t) override { return false; }
  bool send_rtcp(ByteSpan) override { return false; }
};

// The one place a DownTrack is constructed here, so a change of its constructor is a one-line fix.
std::unique_ptr<DownTrack> make_down_track(PublishedTrack& source, Participant& subscriber, MediaSink& sink) {
  return std::make_unique<DownTrack>(source, subscriber, sink, "1", 0x22222222, 0x33333333);
}

sdp::Codec codec_of(sdp::MediaKind kind) {
  sdp::Codec codec;
  codec.payload_type = kind == sdp::MediaKind::kAudio ? kOpusPayloadType : kVp8PayloadType;
  codec.name = kind == sdp::MediaKind::kAudio ? "opus" : "VP8";
  codec.clock_rate = kind == sdp::MediaKind::kAudio ? 48000 : 90000;
  return codec;
}

// A published track and one active down-track of it, negotiated as the server does: the subscriber
// keeps audio level and abs-send-time, transport-cc and mid are stripped.
struct RewriteSetup {
  Participant publisher;
  Participant subscriber;
  UnusedSink sink;
  std::unique_ptr<PublishedTrack> track;
  std::unique_ptr<DownTrack> down;

  explicit RewriteSetup(sdp::MediaKind kind) {
    PublishedTrackSpec spec;
    spec.id = "track";
    spec.mid = "0";
    spec.kind = kind;
    spec.ssrc = kPublisherSsrc;
    spec.codecs = {codec_of(kind)};
    spec.extensions.audio_level = kind == sdp::MediaKind::kAudio ? kAudioLevelId : 0;
    spec.extensions.abs_send_time = kAbsSendTimeId;
    spec.extensions.transport_cc = kTransportCcId;
    spec.extensions.mid = kMidId;
    track = std::make_unique<PublishedTrack>(publisher, sink, spec);
    down = make_down_track(*track, subscriber, sink);
    uint8_t pt = spec.codecs[0].payload_type;
    down->map_payload_type(pt, pt, 0);
    down->map_extension(kAudioLevelId, kSubscriberExtensionIds.audio_level);
    down->map_extension(kAbsSendTimeId, kSubscriberExtensionIds.abs_send_time);
    down->set_active(true);
  }
};

void BM_DownTrackRewrite(benchmark::State& state, sdp::MediaKind kind) {
  RewriteSetup setup(kind);
  const PacketShape& shape = kind == sdp::MediaKind::kAudio ? kAudioPacket : kVideoPacket;
  std::vector<uint8_t> packet = build_packet(shape);
  const rtp::RtpPacket parsed = *rtp::RtpPacket::parse(MutableByteSpan(packet));
  std::array<uint8_t, 1500> out;
  // A video down-track starts at a keyframe; after the first packet the flag no longer matters.
  run_op(state, AllocationPolicy::kMustNotAllocate, "DownTrack::rewrite sent nothing",
         [&] { return setup.down->rewrite(parsed, true, out); });
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * packet.size()));
}

BENCHMARK_CAPTURE(BM_DownTrackRewrite, audio, sdp::MediaKind::kAudio);
BENCHMARK_CAPTURE(BM_DownTrackRewrite, video, sdp::MediaKind::kVideo);

// Simulcast: one packet of each of three VP8 layers per iteration, as a subscriber of the top
// layer sees them: two refused by its layer selector, one rewritten (with the VP8 picture id and
// TL0PICIDX rewrite). Compare a third of the time per iteration with BM_DownTrackRewrite/video.
void BM_DownTrackRewriteSimulcast(benchmark::State& state) {
  Participant publisher;
  Participant subscriber;
  UnusedSink sink;
  PublishedTrackSpec spec;
  spec.id = "track";
  spec.mid = "0";
  spec.kind = sdp::MediaKind::kVideo;
  spec.layers = {{"q", kPublisherSsrc, 0}, {"h", kPublisherSsrc + 1, 0}, {"f", kPublisherSsrc + 2, 0}};
  spec.codecs = {codec_of(sdp::MediaKind::kVideo)};
  spec.extensions.abs_send_time = kAbsSendTimeId;
  spec.extensions.transport_cc = kTransportCcId;
  spec.extensions.mid = kMidId;
  PublishedTrack track(publisher, sink, spec);
  std::unique_ptr<DownTrack> down = make_down_track(track, subscriber, sink);
  down->map_payload_type(kVp8PayloadType, kVp8PayloadType, 0);
  down->map_extension(kAbsSendTimeId, kSubscriberExtensionIds.abs_send_time);
  down->set_active(true);
  std::array<std::vector<uint8_t>, 3> packets;
  std::vector<rtp::RtpPacket> parsed;
  for (size_t layer = 0; layer < 3; ++layer) {
    packets[layer] = build_packet(kVideoPacket, static_cast<uint16_t>(1000 * (layer + 1)));
    parsed.push_back(*rtp::RtpPacket::parse(MutableByteSpan(packets[layer])));
    // A VP8 descriptor with a 15-bit picture id and TL0PICIDX at the payload's start.
    const uint8_t descriptor[] = {0x90, 0xC0, 0x80, static_cast<uint8_t>(layer), 7};
    std::copy(std::begin(descriptor), std::end(descriptor), parsed[layer].mutable_payload().begin());
    track.on_packet(layer, parsed[layer], 1000);  // every layer arrives: the target is the top one
  }
  std::array<uint8_t, 1500> out;
  run_op(state, AllocationPolicy::kMustNotAllocate, "DownTrack::rewrite sent nothing", [&] {
    size_t sent = 0;
    for (uint8_t layer = 0; layer < 3; ++layer) sent += down->rewrite(parsed[layer], layer, true, 1000, out);
    return sent;
  });
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * 3));
}

BENCHMARK(BM_DownTrackRewriteSimulcast);

}  // namespace
}  // namespace sfu::bench
