#include "bench/receive_accounting.h"

#include "bench/media_source.h"
#include "bench/packet_stamp.h"
#include "rtp/rtp_packet.h"

namespace sfu::bench {

ReceiveAccounting::ReceiveAccounting(uint32_t stream_count, uint32_t own_publisher, bool audio, bool video)
    : expected_(stream_count, 0), seen_(stream_count, 0), trackers_(stream_count) {
  for (uint32_t stream = 0; stream < stream_count; ++stream) {
    uint32_t publisher = stream / 2;
    bool is_video = stream % 2 == 1;
    if (publisher == own_publisher || (is_video ? !video : !audio)) continue;
    expected_[stream] = 1;
    ++expected_count_;
  }
}

void ReceiveAccounting::on_rtp(const uint8_t* data, size_t size, uint64_t now_ns,
                               const MeasurementWindow& window, ReceiverStats& stats) {
  stats.packets.add(1);
  stats.bytes.add(size);
  // parse() wants a mutable span but only reads.
  auto packet = rtp::RtpPacket::parse(MutableByteSpan(const_cast<uint8_t*>(data), size));
  auto stamp = packet ? read_stamp_or_tagged(packet->payload()) : std::nullopt;
  if (!stamp) {
    ++stats.unstamped;
    return;
  }
  const uint32_t stream = stamp_stream_index(stamp->stream);
  if (!expects(stream)) {
    ++stats.unknown_stream;
    return;
  }
  // A layer not asked for neither counts nor makes the stream "seen": before the window the
  // server may still forward its default layer until the receiver's own one starts.
  if (stamp_stream_layer(stamp->stream) != (stream % 2 == 1 ? video_layer_ : 0)) {
    if (window.contains(stamp->send_ns)) ++stats.wrong_layer;
    return;
  }
  if (!seen_[stream]) {
    seen_[stream] = 1;
    ++seen_count_;
  }
  if (!window.contains(stamp->send_ns)) return;
  switch (trackers_[stream].on_sequence(stamp->sequence)) {
    case SequenceTracker::Outcome::kNew:
      ++stats.window_packets;
      stats.window_bytes += size;
      stats.latency.record(now_ns >= stamp->send_ns ? now_ns - stamp->send_ns : 0);
      break;
    case SequenceTracker::Outcome::kDuplicate:
      ++stats.duplicates;
      break;
    case SequenceTracker::Outcome::kTooOld:
      ++stats.too_old;
      break;
  }
}

}  // namespace sfu::bench
