// The send-side bandwidth estimate toward one peer, in the way of libwebrtc's GoogCC: every packet
// sent with a transport-wide sequence number goes into a SendHistory; the peer's transport-cc
// feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01) turns those into (send time,
// arrival time, size) triples for the delay-based estimator, an acknowledged rate, and a loss
// count for the loss-based one. The estimate is the lower of the two halves, and of the peer's
// REMB when it sends one; a peer that sends REMB and no transport-cc feedback gets its REMB value.
//
// What a prober or an allocator reads: estimate_bps() and trend() (increasing / holding /
// decreasing), besides the parts' values for stats.
//
// Plain value type: no event loop, no clock of its own (times are passed in, microseconds on one
// monotonic clock), no allocation after construction (the history is sized then).
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>

#include "rtp/acknowledged_bitrate.h"
#include "rtp/bwe_types.h"
#include "rtp/delay_based_bwe.h"
#include "rtp/loss_based_bwe.h"
#include "rtp/probe_measurement.h"
#include "rtp/rtcp_parser.h"
#include "rtp/send_history.h"

namespace sfu::rtp {

class SendSideBwe {
 public:
  struct Options {
    double start_bps = 1'000'000;
    double min_bps = 30'000;
    double max_bps = 50'000'000;
    size_t history_capacity = SendHistory::kDefaultCapacity;
  };

  // Statuses of one feedback beyond this many are not read (Chromium's cover a 50-100 ms interval).
  static constexpr size_t kMaxFeedbackPackets = 2048;
  // A decrease within this long still counts as "decreasing" for trend().
  static constexpr int64_t kDecreasingForUs = 1'000'000;

  // What one feedback said.
  struct FeedbackResult {
    uint32_t received = 0;  // newly acknowledged packets
    uint32_t lost = 0;      // reported not received
    uint32_t unknown = 0;   // named packets not (or no longer) in the history, or reported already
  };

  SendSideBwe() : SendSideBwe(Options{}) {}
  explicit SendSideBwe(Options options);

  // Packet path: a packet left with extended transport-wide sequence number `sequence` (one more
  // than the previous), `size` bytes as counted on the link (IP/UDP overhead included).
  void on_packet_sent(int64_t sequence, int64_t send_us, uint32_t size) {
    history_.on_sent(sequence, send_us, size);
  }
  // Packets `first`..`last` (as given to on_packet_sent) actually left at `send_us`: a sender
  // that queues packets and sends them in a batch corrects their send time once the batch left,
  // before feedback on them is read (the delay-based half compares send and arrival spacing).
  void set_send_time(int64_t first, int64_t last, int64_t send_us) {
    history_.set_send_time(first, last, send_us);
  }
  // One parsed transport-cc feedback from the peer, arrived at `now_us`.
  FeedbackResult on_transport_cc(const TransportCc& feedback, int64_t now_us);
  // The peer's receiver-estimated maximum bitrate (REMB).
  void on_remb(uint64_t bitrate_bps, int64_t now_us);
  // Periodically (every 100 ms or so): lets the loss-based half rise between feedbacks.
  void on_timer(int64_t now_us);

  // A probe cluster (probe_measurement.h): its first and last packets' sequence numbers. When
  // the feedback shows the link carried more than the estimate, the estimate rises to that.
  // `verifying`: a cluster long enough to see past a policer's burst allowance (the prober makes
  // one when its target is above loss_limited_bps()); only such a cluster can raise the estimate
  // above that rate.
  // The packets of a verifying cluster (its padding and the media between) do not count in the
  // loss-based half: the cluster tests a rate above what the link last carried, and on a policed
  // link loses a share of its packets by design; counted, that loss would cut the estimate below
  // what the media needs, and pause it.
  void start_probe(int64_t first_sequence, bool verifying = false) {
    probe_.start(first_sequence, verifying);
    if (verifying) verifying_first_ = first_sequence, verifying_last_ = std::numeric_limits<int64_t>::max();
    ++probes_started_;
  }
  void end_probe(int64_t last_sequence) {
    probe_.end(last_sequence);
    if (probe_.verifying()) verifying_last_ = last_sequence;
  }
  bool probing() const { return probe_.active(); }
  // The last probe's measured rate (0: it failed), and how many raised the estimate.
  double last_probe_bps() const { return last_probe_bps_; }
  uint64_t probes_succeeded() const { return probes_succeeded_; }
  uint64_t probes_started() const { return probes_started_; }
  // What the link carried when it last lost packets heavily (the estimate after the loss-based
  // decrease, or the acknowledged rate if higher); a verifying probe that shows more raises it to
  // what it showed, and it is forgotten after kLossLimitedForgetUs without heavy loss. A short
  // probe cluster can pass a policed link in its burst allowance (a token bucket lets 100 ms at
  // twice the rate through), and the layers it made room for then lose half their packets: above
  // this rate, only a long cluster is believed.
  std::optional<double> loss_limited_bps() const { return loss_limited_bps_; }
  // Probe-raised estimates that heavy loss followed within kOvershootWindowUs, in a row (the
  // prober lengthens its verifying clusters after one and waits longer before the next).
  uint32_t probe_overshoots() const { return probe_overshoots_; }
  static constexpr int64_t kOvershootWindowUs = 5'000'000;
  static constexpr int64_t kLossLimitedForgetUs = 30'000'000;

  double estimate_bps() const { return estimate_bps_; }
  BweTrend trend() const;
  double delay_based_bps() const { return delay_.estimate_bps(); }
  double loss_based_bps() const { return loss_.estimate_bps(); }
  std::optional<double> acknowledged_bps() const { return acknowledged_.bitrate_bps(); }
  std::optional<uint64_t> remb_bps() const { return remb_bps_; }
  double loss_fraction() const { return loss_.loss_fraction(); }
  int64_t rtt_us() const { return rtt_us_; }
  BandwidthUsage usage() const { return delay_.usage(); }
  uint64_t overuse_events() const { return delay_.overuse_events(); }
  uint64_t feedbacks() const { return feedbacks_; }
  bool has_transport_cc() const { return feedbacks_ > 0; }
  const SendHistory& history() const { return history_; }

 private:
  // The arrival clock of a feedback's reference time, unwrapped (24 bits of 64 ms).
  int64_t reference_us(int32_t reference_time);
  void update_rtt(int64_t sample_us);
  void update_estimate(int64_t now_us);
  void on_probe_result(double bps, int64_t now_us);
  // After the loss-based half moved: a new heavy-loss decrease sets the loss-limited rate and
  // may mark the last probe as an overshoot.
  void track_loss_events(int64_t now_us);

  Options options_;
  SendHistory history_;
  DelayBasedBwe delay_;
  LossBasedBwe loss_;
  AcknowledgedBitrate acknowledged_;
  std::optional<uint64_t> remb_bps_;
  double estimate_bps_;
  int64_t rtt_us_ = 0;  // 0 until the first feedback
  uint64_t feedbacks_ = 0;
  ProbeMeasurement probe_;
  double last_probe_bps_ = 0;
  uint64_t probes_started_ = 0, probes_succeeded_ = 0;
  int64_t verifying_first_ = 0, verifying_last_ = -1;  // the last verifying cluster's packets
  std::optional<double> loss_limited_bps_;
  int64_t loss_decrease_seen_us_ = -1;
  int64_t probe_raised_us_ = -1;  // when a probe last raised the estimate; -1 once judged
  uint32_t probe_overshoots_ = 0;
  int64_t last_update_us_ = 0;
  bool has_reference_ = false;
  int32_t last_reference_ = 0;
  int64_t reference_base_us_ = 0;
};

}  // namespace sfu::rtp
