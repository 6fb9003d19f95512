#include "rtp/send_side_bwe.h"

#include <algorithm>
#include <array>
#include <limits>

namespace sfu::rtp {
namespace {

constexpr int32_t kReferenceTimeSpace = 1 << 24;
constexpr int64_t kMinRttUs = 1000;

}  // namespace

const char* to_string(BandwidthUsage usage) {
  switch (usage) {
    case BandwidthUsage::kNormal:
      return "normal";
    case BandwidthUsage::kUnderusing:
      return "underusing";
    case BandwidthUsage::kOverusing:
      return "overusing";
  }
  return "normal";
}

const char* to_string(BweTrend trend) {
  switch (trend) {
    case BweTrend::kIncreasing:
      return "increasing";
    case BweTrend::kHolding:
      return "holding";
    case BweTrend::kDecreasing:
      return "decreasing";
  }
  return "holding";
}

SendSideBwe::SendSideBwe(Options options)
    : options_(options),
      history_(options.history_capacity),
      delay_(DelayBasedBwe::Options{
          AimdRateControl::Options{options.start_bps, options.min_bps, options.max_bps, 0.85}, {}}),
      loss_(LossBasedBwe::Options{options.start_bps, options.min_bps, options.max_bps}),
      estimate_bps_(options.start_bps) {}

int64_t SendSideBwe::reference_us(int32_t reference_time) {
  if (!has_reference_) {
    has_reference_ = true;
    last_reference_ = reference_time;
    reference_base_us_ = int64_t{reference_time} * TransportCc::kReferenceTimeUnitUs;
    return reference_base_us_;
  }
  // The shortest signed distance in the 24-bit space: feedback may arrive reordered.
  int32_t delta = (reference_time - last_reference_) & (kReferenceTimeSpace - 1);
  if (delta >= kReferenceTimeSpace / 2) delta -= kReferenceTimeSpace;
  last_reference_ = reference_time;
  reference_base_us_ += int64_t{delta} * TransportCc::kReferenceTimeUnitUs;
  return reference_base_us_;
}

SendSideBwe::FeedbackResult SendSideBwe::on_transport_cc(const TransportCc& feedback, int64_t now_us) {
  FeedbackResult result;
  std::array<TransportCcPacketStatus, kMaxFeedbackPackets> statuses;
  const size_t count = feedback.decode(statuses);
  if (count == 0) return result;
  ++feedbacks_;
  int64_t arrival_us = reference_us(feedback.reference_time);
  // RTT: for the packet that waited least, now - sent - (how long before the feedback's last
  // arrival it arrived); computed as min(now - sent + arrival) - last arrival in one pass.
  int64_t min_rtt_plus_arrival = std::numeric_limits<int64_t>::max();
  int64_t last_arrival_us = std::numeric_limits<int64_t>::min();
  uint32_t loss_lost = 0, loss_received = 0;  // what the loss-based half counts
  for (size_t i = 0; i < count; ++i) {
    const TransportCcPacketStatus& status = statuses[i];
    if (status.received) arrival_us += status.delta_us;
    const std::optional<int64_t> sequence = history_.unwrap(status.sequence_number);
    SendHistory::Packet* packet = sequence ? history_.find(*sequence) : nullptr;
    if (!packet || packet->acknowledged) {
      ++result.unknown;
      continue;
    }
    const bool verifying = *sequence >= verifying_first_ && *sequence <= verifying_last_;
    if (!status.received) {
      // Stays unacknowledged: a later feedback may still report it received (reordering).
      ++result.lost;
      if (!verifying) ++loss_lost;
      probe_.on_lost(*sequence, packet->size);
      continue;
    }
    packet->acknowledged = true;
    ++result.received;
    if (!verifying) ++loss_received;
    probe_.on_acknowledged(*sequence, packet->send_us, arrival_us, packet->size);
    acknowledged_.on_packet(arrival_us, packet->size);
    delay_.on_packet(packet->send_us, arrival_us, packet->size, now_us);
    min_rtt_plus_arrival = std::min(min_rtt_plus_arrival, now_us - packet->send_us + arrival_us);
    last_arrival_us = std::max(last_arrival_us, arrival_us);
  }
  if (result.received > 0) update_rtt(min_rtt_plus_arrival - last_arrival_us);
  loss_.on_feedback(loss_lost, loss_lost + loss_received, now_us);
  delay_.on_feedback_done(acknowledged_.bitrate_bps(), now_us);
  update_estimate(now_us);
  if (auto probed = probe_.take_result()) on_probe_result(*probed, now_us);
  return result;
}

void SendSideBwe::on_probe_result(double bps, int64_t now_us) {
  last_probe_bps_ = bps;
  // Only upwards, and not while the delay detector sees a queue building: then the probe's rate
  // was what the queue absorbed, not what the link carries.
  if (bps <= estimate_bps_ || delay_.usage() == BandwidthUsage::kOverusing) return;
  if (loss_limited_bps_ && bps > *loss_limited_bps_) {
    if (!probe_.verifying()) {
      // A short cluster says nothing above the rate the link lost at: it may have passed in a
      // policer's burst.
      bps = *loss_limited_bps_;
      if (bps <= estimate_bps_) return;
    } else {
      loss_limited_bps_ = bps;  // a long cluster got through: the link carries this much now
    }
  }
  ++probes_succeeded_;
  probe_raised_us_ = now_us;
  delay_.set_estimate(bps, now_us);
  double limit = delay_.estimate_bps();
  if (remb_bps_) limit = std::min(limit, static_cast<double>(*remb_bps_));
  loss_.set_upper_limit(limit);
  loss_.raise_to(bps);
  update_estimate(now_us);
}

void SendSideBwe::on_remb(uint64_t bitrate_bps, int64_t now_us) {
  remb_bps_ = bitrate_bps;
  update_estimate(now_us);
}

void SendSideBwe::on_timer(int64_t now_us) { update_estimate(now_us); }

void SendSideBwe::update_rtt(int64_t sample_us) {
  sample_us = std::max(sample_us, kMinRttUs);
  // A short average: the rate controllers need its order of magnitude, not its jitter.
  rtt_us_ = rtt_us_ == 0 ? sample_us : (7 * rtt_us_ + sample_us) / 8;
  delay_.set_rtt(rtt_us_);
  loss_.set_rtt(rtt_us_);
}

void SendSideBwe::update_estimate(int64_t now_us) {
  last_update_us_ = now_us;
  double limit = std::numeric_limits<double>::infinity();
  if (has_transport_cc()) limit = delay_.estimate_bps();
  if (remb_bps_) limit = std::min(limit, static_cast<double>(*remb_bps_));
  if (!has_transport_cc()) {
    // REMB only (or nothing yet): the peer's own estimate is all there is.
    if (remb_bps_) estimate_bps_ = std::clamp(limit, options_.min_bps, options_.max_bps);
    return;
  }
  loss_.set_upper_limit(limit);
  loss_.set_acknowledged_bps(acknowledged_.bitrate_bps().value_or(0));
  loss_.update(now_us);
  estimate_bps_ = loss_.estimate_bps();
  track_loss_events(now_us);
}

void SendSideBwe::track_loss_events(int64_t now_us) {
  if (probe_raised_us_ >= 0 && now_us - probe_raised_us_ >= kOvershootWindowUs) {
    probe_raised_us_ = -1;  // the raised estimate held
    probe_overshoots_ = 0;
  }
  const int64_t decreased_us = loss_.last_decrease_us();
  if (loss_limited_bps_ && now_us - decreased_us >= kLossLimitedForgetUs) loss_limited_bps_.reset();
  if (decreased_us < 0 || decreased_us == loss_decrease_seen_us_) return;
  loss_decrease_seen_us_ = decreased_us;
  loss_limited_bps_ = std::max(loss_.estimate_bps(), acknowledged_.bitrate_bps().value_or(0));
  if (probe_raised_us_ >= 0) {
    ++probe_overshoots_;
    probe_raised_us_ = -1;
  }
}

BweTrend SendSideBwe::trend() const {
  if (!has_transport_cc()) return BweTrend::kHolding;
  const int64_t last_decrease = std::max(delay_.rate_control().last_decrease_us(), loss_.last_decrease_us());
  if (delay_.usage() == BandwidthUsage::kOverusing ||
      (last_decrease >= 0 && last_update_us_ - last_decrease < kDecreasingForUs))
    return BweTrend::kDecreasing;
  if (delay_.trend() == BweTrend::kIncreasing && loss_.trend() == BweTrend::kIncreasing)
    return BweTrend::kIncreasing;
  return BweTrend::kHolding;
}

}  // namespace sfu::rtp
