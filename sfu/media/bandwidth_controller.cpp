#include "sfu/media/bandwidth_controller.h"

#include <algorithm>

#include "rtp/rtp_packet.h"
#include "sfu/media/participant.h"
#include "sfu/media/webrtc_transport.h"

namespace sfu {
namespace {

// A probe asks the link for at most this many times the estimate (libwebrtc probes at 2x, then
// further while the link keeps up).
constexpr double kProbeGrowth = 2.0;
constexpr double kMinProbeBps = 500'000;
constexpr size_t kMinClusterPackets = 8;

bool counts_for_allocation(DownTrack& down) { return down.active() && down.sink().ready(); }

// What the allocator shares: the estimate, but not less than 0.9 x what the subscriber
// demonstrably receives while it reports (almost) no loss. The delay detector alone may cut the
// estimate well below that (a busy receiver delays its feedback too), and stepping down below
// what arrives intact would starve the estimate further: it may rise no higher than 1.5 x what
// is sent.
double budget_of(const rtp::SendSideBwe& bwe) {
  const double estimate = bwe.estimate_bps();
  const auto acknowledged = bwe.acknowledged_bps();
  if (!acknowledged || bwe.loss_fraction() >= rtp::LossBasedBwe::kLowLoss) return estimate;
  return std::max(estimate, 0.9 * *acknowledged);
}

}  // namespace

BandwidthOptions BandwidthOptions::from_config(const config::BandwidthConfig& bandwidth) {
  BandwidthOptions options;
  options.allocation = bandwidth.allocation;
  options.probing = bandwidth.probing;
  options.allocator.up_hold_ms = bandwidth.up_hold_ms;
  options.allocator.up_headroom = bandwidth.up_headroom_percent / 100.0;
  options.allocator.pause_hold_ms = bandwidth.pause_hold_ms;
  options.allocator.down_hold_ms = bandwidth.down_hold_ms;
  options.allocator.lowest_layer_oversend = bandwidth.lowest_layer_oversend_percent / 100.0;
  // Rate-limited to one a second whatever the config says (docs/protocol.md).
  options.event_interval_ms =
      bandwidth.event_interval_ms == 0 ? 0 : std::max<uint64_t>(bandwidth.event_interval_ms, 1000);
  return options;
}

void BandwidthController::on_timer(Participant& subscriber, WebRtcTransport& transport, uint64_t now_ms,
                                   const std::string* active_speaker) {
  notices_.clear();
  if (!transport.bandwidth_estimator() || !transport.ready()) return;
  if (in_cluster_) send_padding(subscriber, transport, now_ms);
  if (now_ms < next_round_ms_) return;
  next_round_ms_ = now_ms + kRoundMs;
  round(subscriber, transport, now_ms, active_speaker);
  if (options_.event_interval_ms != 0 && now_ms >= next_event_ms_) {
    next_event_ms_ = now_ms + options_.event_interval_ms;
    notices_.push_back({BandwidthNotice::Kind::kEstimate, nullptr});
  }
}

void BandwidthController::gather(Participant& subscriber, const std::string* active_speaker) {
  tracks_.clear();
  downs_.clear();
  before_.clear();
  for (auto& owned : subscriber.down_tracks) {
    DownTrack& down = *owned;
    if (!counts_for_allocation(down)) continue;
    PublishedTrack& source = down.source();
    AllocationTrack track;
    track.video = source.kind() == sdp::MediaKind::kVideo;
    track.layer_count =
        static_cast<uint8_t>(std::min<size_t>(source.layer_count(), AllocationTrack::kMaxLayers));
    track.max_layer = down.preferred_layer();
    track.subscriber_paused = down.paused_by_subscriber();
    track.arriving = source.arriving_layers();
    for (size_t i = 0; i < track.layer_count; ++i) track.layer_bps[i] = source.layer(i).bitrate_bps();
    track.state = &down.allocation();
    track.state->priority =
        allocation_priority(down.priority(), active_speaker && source.publisher().id == *active_speaker);
    tracks_.push_back(track);
    downs_.push_back(&down);
    before_.push_back(down.allocation().layer);
  }
}

void BandwidthController::round(Participant& subscriber, WebRtcTransport& transport, uint64_t now_ms,
                                const std::string* active_speaker) {
  const rtp::SendSideBwe& bwe = transport.bandwidth_estimator()->estimator();
  estimate_bps_ = static_cast<uint64_t>(bwe.estimate_bps());
  // Without feedback of either kind the estimate is only its start value, not a measurement: a
  // client that sends none (a recorder, a gateway) is not held to a guess.
  if (!options_.allocation || (!bwe.has_transport_cc() && !bwe.remb_bps())) return;
  gather(subscriber, active_speaker);
  const bool losing = bwe.loss_fraction() >= rtp::LossBasedBwe::kLowLoss;
  last_round_ = allocator_.allocate(budget_of(bwe), now_ms, tracks_, losing);
  counters_.count_allocation(last_round_.paused, last_round_.resumed, last_round_.down_switches,
                             last_round_.up_switches);
  for (size_t i = 0; i < downs_.size(); ++i) {
    const int8_t after = downs_[i]->allocation().layer;
    if (after == before_[i]) continue;
    downs_[i]->apply_allocation();
    if (after == AllocationState::kPaused)
      notices_.push_back({BandwidthNotice::Kind::kPaused, downs_[i]});
    else if (before_[i] == AllocationState::kPaused)
      notices_.push_back({BandwidthNotice::Kind::kResumed, downs_[i]});
  }
  if (bwe.probes_succeeded() != probes_succeeded_seen_) {
    // The link had room: look for more soon.
    probes_succeeded_seen_ = bwe.probes_succeeded();
    probe_interval_ms_ = kMinProbeIntervalMs;
    next_probe_ms_ = std::min(next_probe_ms_, now_ms + kMinProbeIntervalMs);
  }
  if (bwe.probe_overshoots() > overshoots_seen_) {
    // The last probe's room was not there: wait longer before the next.
    const uint32_t doublings = std::min<uint32_t>(bwe.probe_overshoots() - 1, 4);
    next_probe_ms_ =
        std::max(next_probe_ms_, now_ms + std::min(kOvershootBackoffMs << doublings, kMaxOvershootBackoffMs));
  }
  overshoots_seen_ = bwe.probe_overshoots();
  if (options_.probing) maybe_start_probe(subscriber, transport, now_ms);
}

void BandwidthController::maybe_start_probe(Participant& subscriber, WebRtcTransport& transport,
                                            uint64_t now_ms) {
  TransportBandwidthEstimator& estimator = *transport.bandwidth_estimator();
  const rtp::SendSideBwe& bwe = estimator.estimator();
  // Only what transport-cc feedback measures can be probed; a link losing or queueing now has
  // no room to find.
  if (in_cluster_ || !estimator.stamps() || !bwe.has_transport_cc() || now_ms < next_probe_ms_ ||
      !probe_track(subscriber))
    return;
  const double wanted = static_cast<double>(last_round_.wanted_bps) * (1.0 + options_.allocator.up_headroom);
  const double estimate = bwe.estimate_bps();
  if (wanted <= estimate || bwe.trend() == rtp::BweTrend::kDecreasing || bwe.loss_fraction() > 0.1) return;
  // Twice the estimate, and at least kMinProbeBps: an estimate that sank to the audio's rate
  // (video paused) could otherwise only creep back up.
  const double target = std::min(wanted, std::max(estimate * kProbeGrowth, kMinProbeBps));
  padding_bps_ = target - static_cast<double>(last_round_.allocated_bps);
  if (padding_bps_ <= 0) return;
  const auto loss_limited = bwe.loss_limited_bps();
  const bool verifying = loss_limited && target > *loss_limited;
  in_cluster_ = true;
  cluster_end_ms_ =
      now_ms + (verifying ? kVerifyClusterMs * (bwe.probe_overshoots() > 0 ? 2 : 1) : kClusterMs);
  last_padding_ms_ = now_ms;
  padding_carry_bytes_ = 0;
  estimator.begin_probe(verifying);
  counters_.count_probe_cluster();
  // A failed probe (the estimate did not rise) makes the next wait longer.
  next_probe_ms_ = now_ms + probe_interval_ms_;
  probe_interval_ms_ = std::min(probe_interval_ms_ * 2, kMaxProbeIntervalMs);
  send_padding(subscriber, transport, now_ms);
}

// A down-track whose RTX stream the subscriber knows: one that has sent, paused for bandwidth or
// not. A subscriber whose only video the allocator paused must still be probed, or its estimate
// (capped at 1.5 x what it receives: audio alone) could never rise enough to resume it.
DownTrack* BandwidthController::probe_track(Participant& subscriber) const {
  for (auto& down : subscriber.down_tracks)
    if (down->active() && down->sent_any() && down->probe_payload_type() != 0 && down->rtx_ssrc() != 0)
      return down.get();
  return nullptr;
}

void BandwidthController::send_padding(Participant& subscriber, WebRtcTransport& transport, uint64_t now_ms) {
  DownTrack* down = probe_track(subscriber);
  const uint64_t until = std::min(now_ms, cluster_end_ms_);
  padding_carry_bytes_ += padding_bps_ * static_cast<double>(until - last_padding_ms_) / 8000.0;
  // The first call of a cluster sends one tick's worth at once, and at least kMinClusterPackets:
  // a cluster measures nothing with fewer than rtp::ProbeMeasurement::kMinPackets arriving.
  if (until == last_padding_ms_)
    padding_carry_bytes_ +=
        std::max(padding_bps_ * 20.0 / 8000.0, kMinClusterPackets * double{kPaddingBytes});
  last_padding_ms_ = until;
  uint64_t packets = 0, bytes = 0;
  while (down && padding_carry_bytes_ > 0 && packets < kMaxPaddingPacketsPerTick) {
    rtp::RtpHeaderFields fields;
    fields.payload_type = down->probe_payload_type();
    fields.sequence_number = down->take_rtx_sequence();
    fields.timestamp = down->last_timestamp();
    fields.ssrc = down->rtx_ssrc();
    MutableByteSpan slot = transport.acquire_send();
    const size_t size = rtp::build_rtp_packet(fields, {}, {}, kPaddingBytes, slot);
    if (size == 0 || !transport.commit_rtp(slot, size)) break;
    ++packets;
    bytes += size;
    padding_carry_bytes_ -= static_cast<double>(size);
  }
  counters_.count_probe_packets(packets, bytes);
  if (now_ms >= cluster_end_ms_ || !down) {
    in_cluster_ = false;
    transport.bandwidth_estimator()->end_probe();
  }
}

}  // namespace sfu
