#include "rtp/delay_based_bwe.h"

namespace sfu::rtp {

void DelayBasedBwe::on_packet(int64_t send_us, int64_t arrival_us, uint32_t size, int64_t now_us) {
  if (last_packet_us_ >= 0 && now_us - last_packet_us_ > kStreamTimeoutUs) {
    inter_arrival_.reset();
    detector_.reset();
  }
  last_packet_us_ = now_us;
  packets_since_update_ = true;
  InterArrivalDelta::Deltas deltas;
  if (inter_arrival_.on_packet(send_us, arrival_us, now_us, size, deltas))
    detector_.update(deltas.arrival_delta_us, deltas.send_delta_us, arrival_us);
  const BandwidthUsage usage = detector_.state();
  if (usage == BandwidthUsage::kOverusing && previous_usage_ != BandwidthUsage::kOverusing) ++overuse_events_;
  previous_usage_ = usage;
}

double DelayBasedBwe::on_feedback_done(std::optional<double> acknowledged_bps, int64_t now_us) {
  // A feedback that reported nothing received says nothing about delay.
  if (!packets_since_update_) return rate_.estimate_bps();
  packets_since_update_ = false;
  const BandwidthUsage usage = detector_.state();
  if (usage != BandwidthUsage::kOverusing) return rate_.update(usage, acknowledged_bps, now_us);
  if (acknowledged_bps) {
    if (rate_.time_to_reduce_further(now_us, *acknowledged_bps))
      rate_.update(usage, acknowledged_bps, now_us);
  } else if (rate_.initial_time_to_reduce_further(now_us)) {
    // Over-use before any acknowledged rate: halve, at most every 200 ms.
    rate_.set_estimate(rate_.estimate_bps() / 2, now_us);
  }
  return rate_.estimate_bps();
}

}  // namespace sfu::rtp
