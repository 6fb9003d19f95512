// The result of one bandwidth probe cluster (in the way of libwebrtc's ProbeBitrateEstimator): the
// server sent a burst of packets (padding on the RTX stream, with the media between them) faster
// than the estimate, with transport-wide sequence numbers [first, last]; the peer's feedback says
// when each arrived. What the link carried is the lower of the send rate and the receive rate over
// the cluster: when the link had room, that is about the probe's rate, and the estimate may jump
// there instead of creeping up by 8 % a second (AIMD), which it cannot do past 1.5 x what is
// being sent anyway.
//
// Plain value type: no allocation, no clock of its own (microseconds passed in).
#pragma once

#include <algorithm>
#include <cstdint>
#include <limits>
#include <optional>

namespace sfu::rtp {

class ProbeMeasurement {
 public:
  // Fewer acknowledged packets than this give no result (one burst through a queue says nothing).
  static constexpr uint32_t kMinPackets = 5;
  // Bytes reported lost beyond this share: the link did not carry the probe (as libwebrtc's
  // ProbeBitrateEstimator, which wants 80 % of a cluster's bytes).
  static constexpr double kMaxLoss = 0.2;
  // A verifying cluster (SendSideBwe::start_probe) is there to find a policer: a tenth of its
  // bytes lost is enough to say the link did not carry it. (A token bucket passes small padding
  // packets more often than big media ones: counted in packets, its loss looks smaller.)
  static constexpr double kMaxVerifyingLoss = 0.1;

  void start(int64_t first_sequence, bool verifying = false) {
    *this = ProbeMeasurement{};
    first_ = first_sequence;
    active_ = true;
    verifying_ = verifying;
  }
  // The cluster's last packet went out.
  void end(int64_t last_sequence) {
    if (!active_) return;
    last_ = last_sequence;
    if (last_ < first_) active_ = false;  // nothing was sent
  }
  bool active() const { return active_; }
  // The cluster (the current one, or the last until the next starts) is a verifying one.
  bool verifying() const { return verifying_; }

  // Feedback, for every packet it names.
  void on_lost(int64_t sequence, uint32_t size) {
    if (!in_cluster(sequence)) return;
    ++lost_;
    lost_bytes_ += size;
    seen_last_ = seen_last_ || sequence == last_;
  }
  void on_acknowledged(int64_t sequence, int64_t send_us, int64_t arrival_us, uint32_t size) {
    if (!in_cluster(sequence)) return;
    ++received_;
    bytes_ += size;
    first_send_us_ = std::min(first_send_us_, send_us);
    last_send_us_ = std::max(last_send_us_, send_us);
    first_arrival_us_ = std::min(first_arrival_us_, arrival_us);
    last_arrival_us_ = std::max(last_arrival_us_, arrival_us);
    if (sequence == last_) seen_last_ = true;
  }
  // After a feedback: the cluster's rate (bits/s) once its last packet was reported, else nullopt.
  // The measurement then ends.
  std::optional<double> take_result() {
    if (!active_ || !seen_last_) return std::nullopt;
    active_ = false;
    const double max_loss = verifying_ ? kMaxVerifyingLoss : kMaxLoss;
    if (received_ < kMinPackets ||
        static_cast<double>(lost_bytes_) > max_loss * static_cast<double>(bytes_ + lost_bytes_))
      return 0.0;
    const int64_t send_span = last_send_us_ - first_send_us_;
    const int64_t arrival_span = last_arrival_us_ - first_arrival_us_;
    if (send_span <= 0 || arrival_span <= 0) return 0.0;
    // n packets span n - 1 gaps: one packet's worth of bytes is not inside the span.
    const double bits = static_cast<double>(bytes_) * 8.0 * (received_ - 1) / received_;
    return std::min(bits * 1e6 / static_cast<double>(send_span),
                    bits * 1e6 / static_cast<double>(arrival_span));
  }

 private:
  bool in_cluster(int64_t sequence) const {
    return active_ && sequence >= first_ && (last_ < 0 || sequence <= last_);
  }

  bool active_ = false;
  bool verifying_ = false;
  bool seen_last_ = false;
  int64_t first_ = 0, last_ = -1;
  uint32_t received_ = 0, lost_ = 0;
  uint64_t bytes_ = 0, lost_bytes_ = 0;
  int64_t first_send_us_ = std::numeric_limits<int64_t>::max(), last_send_us_ = 0;
  int64_t first_arrival_us_ = std::numeric_limits<int64_t>::max(),
          last_arrival_us_ = std::numeric_limits<int64_t>::min();
};

}  // namespace sfu::rtp
