// How loud one published audio track is, from the RFC 6464 audio level its publisher writes into
// every packet (0 = loudest, 127 = silence, in -dBov). The packet path only counts (add); the
// room's timer closes a window every kWindowMs (close_window) and updates, like LiveKit's audio
// level observer: a window is "voice" when at least 40% of its packets are at or above the
// active level, and its loudness is the mean of those packets' levels. Over the windows:
//
// - speaking() turns on when 3 of the last 5 windows (0.5 s) were voice and off when at most one
//   of the last 8 (0.8 s) was: a word's gaps do not make a speaker flicker, a cough does not
//   make one;
// - a window without packets (jitter, not silence: silence sends packets too) is skipped, up to
//   5 in a row;
// - level() is a moving average of the voice windows' loudness (silent windows pull it down),
//   as a linear amplitude 0..1 (10^(-dBov/20)).
//
// Pure state, no clock of its own, allocates nothing. Thread: its room's worker.
#pragma once

#include <cstdint>

namespace sfu {

class AudioLevelMeter {
 public:
  static constexpr uint64_t kWindowMs = 100;
  static constexpr uint8_t kSilence = 127;

  // Packet path: one packet's level (-dBov, 0..127; larger values are clamped).
  void add(uint8_t level_dbov) {
    if (level_dbov > kSilence) level_dbov = kSilence;
    ++packets_;
    if (level_dbov <= active_level_) {
      ++active_packets_;
      active_sum_ += level_dbov;
    }
  }

  // Packets at most this many dB below overload count as voice (audio.active_level_dbov).
  void set_active_level(uint8_t dbov) { active_level_ = dbov; }

  // Timer: ends the current window. True when speaking() or level() changed noticeably.
  bool close_window();

  bool speaking() const { return speaking_; }
  // The smoothed loudness as a linear amplitude, 0 (silent) .. 1 (full scale).
  double level() const { return level_; }

  // audio.forward_loudest: whether this track is among the loudest, and so forwarded.
  bool forwarded() const { return forwarded_; }
  void set_forwarded(bool forwarded) { forwarded_ = forwarded; }

 private:
  uint8_t active_level_ = 40;
  uint32_t packets_ = 0;
  uint32_t active_packets_ = 0;
  uint32_t active_sum_ = 0;
  uint32_t empty_windows_ = 0;  // windows in a row without a packet
  uint8_t history_ = 0;         // bit 0: the newest window was voice
  bool speaking_ = false;
  double level_ = 0;
  bool forwarded_ = true;
};

}  // namespace sfu
