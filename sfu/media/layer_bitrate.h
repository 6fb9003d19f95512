// What one layer of a published track costs on a subscriber's link (bit/s, IP/UDP/SRTP overhead
// included), as the bandwidth allocator prices it (bandwidth_allocator.h): what arrived from the
// publisher over kWindowMs windows, smoothed over about two seconds (each window moves the figure
// a quarter of the way to its own rate). The first window counts whole, so a new layer is priced
// at once.
//
// Why smoothed both ways: a key frame is several times a delta frame's size, and a subscriber
// that struggles asks for key frames (PLI) more than anyone. Priced by its last window (or by a
// figure quick to rise and slow to fall), a 150 kbit/s layer cost 400-700 kbit/s after each of
// them, did not fit the struggling subscriber's estimate and was paused and resumed in turn.
// Averaged, a key frame costs what it does on average; the link's queue (or the pacer) absorbs
// its burst.
//
// Plain value type, no allocation; the caller passes its counters and clock.
#pragma once

#include <cmath>
#include <cstdint>

namespace sfu {

class LayerBitrate {
 public:
  static constexpr uint64_t kWindowMs = 500;
  // IPv4 + UDP headers and the SRTP tag, as the subscriber's link carries each packet.
  static constexpr uint64_t kOverheadBytes = 28 + 10;

  // Periodically (the layer's timer): `packets` and `bytes` are the layer's totals so far.
  void on_timer(uint64_t now_ms, uint64_t packets, uint64_t bytes) {
    if (window_start_ms_ == 0) {  // the first call opens the first window
      start(now_ms, packets, bytes);
      return;
    }
    const uint64_t elapsed = now_ms - window_start_ms_;
    if (elapsed < kWindowMs) return;
    const uint64_t sent = bytes - window_bytes_ + (packets - window_packets_) * kOverheadBytes;
    const double window = static_cast<double>(sent) * 8000.0 / static_cast<double>(elapsed);
    bps_ = measured_ ? bps_ + (window - bps_) / 4 : window;
    measured_ = true;
    start(now_ms, packets, bytes);
  }

  // 0 until a window has passed.
  uint32_t bps() const { return static_cast<uint32_t>(std::lround(bps_)); }

 private:
  void start(uint64_t now_ms, uint64_t packets, uint64_t bytes) {
    window_start_ms_ = now_ms == 0 ? 1 : now_ms;
    window_packets_ = packets;
    window_bytes_ = bytes;
  }

  uint64_t window_start_ms_ = 0;
  uint64_t window_packets_ = 0, window_bytes_ = 0;
  double bps_ = 0;
  bool measured_ = false;
};

}  // namespace sfu
