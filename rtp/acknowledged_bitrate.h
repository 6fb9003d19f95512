// The rate at which the peer received what was sent, from transport-cc feedback (goog_cc's
// AcknowledgedBitrateEstimator / BitrateEstimator): bytes of the received packets summed over
// windows of their arrival times (500 ms for the first sample, then 150 ms), each window's rate
// merged into a Bayesian estimate whose trust in a sample falls as the sample strays from it. The
// rate controller decreases to a share of this rate on over-use and caps increases by it.
//
// Plain value type; arrival times in microseconds on the receiver's clock.
#pragma once

#include <cstdint>
#include <optional>

namespace sfu::rtp {

class AcknowledgedBitrate {
 public:
  // One received packet, in feedback order.
  void on_packet(int64_t arrival_us, uint32_t size);
  // bits per second; nullopt before the first full window.
  std::optional<double> bitrate_bps() const;
  void reset() { *this = AcknowledgedBitrate(); }

 private:
  // The finished window's rate in kbit/s, or a negative value while the window runs.
  double update_window(int64_t now_ms, uint32_t bytes, int64_t window_ms);

  double estimate_kbps_ = -1;
  double estimate_variance_ = 50;
  int64_t previous_ms_ = -1;
  int64_t window_elapsed_ms_ = 0;
  int64_t window_bytes_ = 0;
};

}  // namespace sfu::rtp
