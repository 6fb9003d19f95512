#include "sfu/media/transport_bandwidth_estimator.h"

#include "rtp/rtcp_packet.h"
#include "rtp/rtcp_parser.h"
#include "rtp/transport_sequence_stamp.h"

namespace sfu {
namespace {

rtp::SendSideBwe::Options options_for(uint8_t extension_id) {
  rtp::SendSideBwe::Options options;
  // A REMB-only subscriber needs no history of what was sent.
  if (extension_id == 0) options.history_capacity = 1;
  return options;
}

}  // namespace

TransportBandwidthEstimator::TransportBandwidthEstimator(uint8_t extension_id, BweCounters& counters,
                                                         const net::FlushClock* flush_clock)
    : bwe_(options_for(extension_id)),
      counters_(counters),
      extension_id_(extension_id),
      flush_clock_(flush_clock) {}

size_t TransportBandwidthEstimator::stamp(MutableByteSpan slot, size_t size) {
  stamped_ = false;
  if (extension_id_ == 0) return size;
  const size_t stamped =
      rtp::stamp_transport_sequence(slot, size, extension_id_, static_cast<uint16_t>(next_sequence_));
  if (stamped == 0) {
    counters_.count_unstamped();
    return size;
  }
  stamped_ = true;
  return stamped;
}

void TransportBandwidthEstimator::on_sent(size_t protected_size, int64_t now_us) {
  if (!stamped_) return;
  stamped_ = false;
  settle_send_times();
  bwe_.on_packet_sent(next_sequence_++, now_us, static_cast<uint32_t>(protected_size + kPacketOverheadBytes));
}

void TransportBandwidthEstimator::queue_for_flush(uint32_t size) {
  const uint64_t flush = flush_clock_->next();
  if (pending_count_ > 0 && pending_flush_ != flush) settle_send_times();
  // A packet sent with its own time (ICE-TCP) in between ends the range: the earlier ones keep
  // their provisional time (a path change, rare).
  if (pending_count_ > 0 && pending_first_ + pending_count_ != next_sequence_) pending_count_ = 0;
  if (pending_count_ == 0) {
    pending_first_ = next_sequence_;
    pending_flush_ = flush;
  }
  ++pending_count_;
  // Until its flush is known, the packet carries the last flush's time: a lower bound, kept only
  // if the flush's time is gone from the clock's ring before the estimator settles (it settles
  // every tick, see flush_clock.h).
  bwe_.on_packet_sent(next_sequence_++, flush_clock_->last_us(), size);
}

void TransportBandwidthEstimator::settle_send_times() {
  if (pending_count_ == 0 || flush_clock_->count() < pending_flush_) return;  // nothing, or not flushed yet
  if (auto sent_us = flush_clock_->time_of(pending_flush_))
    bwe_.set_send_time(pending_first_, pending_first_ + pending_count_ - 1, *sent_us);
  pending_count_ = 0;
}

void TransportBandwidthEstimator::on_rtcp(ByteSpan compound, int64_t now_us) {
  settle_send_times();
  rtp::RtcpCompoundIterator packets(compound);
  rtp::RtcpHeader header;
  while (packets.next(header)) {
    switch (rtp::classify_rtcp(header)) {
      case rtp::RtcpMessageKind::kTransportCc: {
        auto feedback = rtp::parse_transport_cc(header);
        counters_.count_feedback(feedback.has_value());
        if (feedback) bwe_.on_transport_cc(*feedback, now_us);
        break;
      }
      case rtp::RtcpMessageKind::kRemb:
        if (auto remb = rtp::parse_remb(header)) {
          counters_.count_remb();
          bwe_.on_remb(remb->bitrate_bps, now_us);
        }
        break;
      default:
        break;
    }
  }
  harvest_overuse();
}

BandwidthSnapshot TransportBandwidthEstimator::snapshot() const {
  BandwidthSnapshot s;
  s.source = bwe_.has_transport_cc() ? "transport-cc" : bwe_.remb_bps() ? "remb" : "none";
  s.estimate_bps = static_cast<uint64_t>(bwe_.estimate_bps());
  s.delay_based_bps = static_cast<uint64_t>(bwe_.delay_based_bps());
  s.loss_based_bps = static_cast<uint64_t>(bwe_.loss_based_bps());
  if (auto acknowledged = bwe_.acknowledged_bps()) s.acknowledged_bps = static_cast<uint64_t>(*acknowledged);
  s.remb_bps = bwe_.remb_bps();
  s.loss = bwe_.loss_fraction();
  s.rtt_ms = static_cast<uint64_t>(bwe_.rtt_us() / 1000);
  s.trend = rtp::to_string(bwe_.trend());
  s.usage = rtp::to_string(bwe_.usage());
  s.feedbacks = bwe_.feedbacks();
  s.overuse_events = bwe_.overuse_events();
  s.probes = bwe_.probes_started();
  s.probes_succeeded = bwe_.probes_succeeded();
  s.last_probe_bps = static_cast<uint64_t>(bwe_.last_probe_bps());
  if (auto limited = bwe_.loss_limited_bps()) s.loss_limited_bps = static_cast<uint64_t>(*limited);
  return s;
}

void TransportBandwidthEstimator::harvest_overuse() {
  const uint64_t events = bwe_.overuse_events();
  if (events > overuse_counted_) counters_.count_overuse(events - overuse_counted_);
  overuse_counted_ = events;
}

}  // namespace sfu
