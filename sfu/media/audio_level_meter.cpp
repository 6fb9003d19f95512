#include "sfu/media/audio_level_meter.h"

#include <bit>
#include <cmath>

namespace sfu {
namespace {

// A window is voice when at least this share (percent) of its packets are at the active level.
constexpr uint32_t kVoicePercent = 40;
// speaking() on: this many voice windows among the last kOnWindows; off: at most kOffMax among
// the last kOffWindows.
constexpr int kOnCount = 3;
constexpr uint8_t kOnWindows = 0x1F;  // last 5
constexpr int kOffMax = 1;
constexpr uint8_t kOffWindows = 0xFF;  // last 8
// Windows without packets skipped in a row before they count as silence.
constexpr uint32_t kMaxEmptyWindows = 5;
// Weight of the newest window in level().
constexpr double kSmoothing = 0.3;
// level() changes smaller than this are not worth an event.
constexpr double kLevelStep = 0.05;

}  // namespace

bool AudioLevelMeter::close_window() {
  // No packet at all in a window is more likely delivery jitter (a burst held up on the way, a
  // loaded sender) than silence, which still sends packets (level 127, or DTX's every 400 ms):
  // such windows are skipped, a few in a row. A track that stopped sending is silent after that.
  if (packets_ == 0 && empty_windows_ < kMaxEmptyWindows) {
    ++empty_windows_;
    return false;
  }
  if (packets_ > 0) empty_windows_ = 0;
  const bool voice = packets_ > 0 && active_packets_ * 100 >= packets_ * kVoicePercent;
  double window_level = 0;
  if (voice) {
    const double dbov = static_cast<double>(active_sum_) / active_packets_;
    window_level = std::pow(10.0, -dbov / 20.0);
  }
  packets_ = active_packets_ = active_sum_ = 0;
  history_ = static_cast<uint8_t>((history_ << 1) | (voice ? 1 : 0));

  const bool was_speaking = speaking_;
  if (!speaking_ && std::popcount(static_cast<uint8_t>(history_ & kOnWindows)) >= kOnCount)
    speaking_ = true;
  else if (speaking_ && std::popcount(static_cast<uint8_t>(history_ & kOffWindows)) <= kOffMax)
    speaking_ = false;

  const double previous = level_;
  level_ += (window_level - level_) * kSmoothing;
  if (level_ < 1e-4) level_ = 0;
  return was_speaking != speaking_ || std::fabs(level_ - previous) >= kLevelStep;
}

}  // namespace sfu
