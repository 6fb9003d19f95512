// Shares one subscriber's send-side bandwidth estimate among the tracks it receives (issue 10,
// "congestion control toward each subscriber"), in rounds on the room's timer, not per packet:
// audio first (never paused), then video by priority, each at its lowest arriving layer while
// that fits (a video that cannot fit even there is paused; the highest-priority one may exceed
// what is left by `lowest_layer_oversend` first), then upgraded, highest priority first, to the
// best layer within the subscriber's own cap (track_settings) that still fits.
// Layer costs are measured from the publisher's incoming stream (LayerStream::bitrate_bps()).
//
// Hysteresis: a lower layer applies at once while the link loses packets, else only after the
// current one has not fit for `down_hold_ms` in a row; a pause after `pause_hold_ms` (at the
// lowest layer meanwhile); a higher one (or a resume) only when it fits with `up_headroom` to
// spare, continuously for `up_hold_ms`, so a noisy estimate does not make a subscriber flap
// between layers.
//
// Pure state machine: no clock, no transport; the caller (BandwidthController) gathers the input
// and applies the output. Its scratch vector grows to the largest round once.
#pragma once

#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "sfu/media/allocation_state.h"

namespace sfu {

struct AllocationTrack {
  static constexpr uint8_t kMaxLayers = 4;
  bool video = false;
  uint8_t layer_count = 1;
  uint8_t max_layer = kMaxLayers - 1;  // the subscriber's cap (preferences, shown size)
  bool subscriber_paused = false;      // paused by the subscriber: takes no share
  // What each layer costs on the link (bits/s, measured); a layer not arriving has arriving
  // bit clear and is never picked.
  std::array<uint32_t, kMaxLayers> layer_bps{};
  uint32_t arriving = 0;             // bit i: layer i arrives
  AllocationState* state = nullptr;  // read and updated
};

struct AllocationOptions {
  double up_headroom = 0.15;  // an up-switch needs its layer's cost times (1 + this) to fit
  uint64_t up_hold_ms = 2000;
  // A video sending its lowest layer is paused only when that has not fit for this long in a
  // row (0: at once). Right after heavy loss the estimate dips below what the link carries for
  // a moment, and a pause costs the subscriber a key frame and the up-hold to come back.
  uint64_t pause_hold_ms = 0;
  // Without loss, a lower layer only after the current one has not fit for this long in a row (0:
  // at once). The delay-based estimate alone dips below what arrives intact whenever the
  // receiver is busy for a moment (its feedback comes late, which reads as a queue), and each
  // step down costs a key frame and the up-hold to come back; a link that really is full soon
  // loses packets, and then the step is at once.
  uint64_t down_hold_ms = 0;
  // The highest-priority video keeps (or resumes) its lowest layer while what is left of the
  // estimate covers its cost less this share, rather than being paused. A paused video is a frozen
  // tile, while a lowest layer a little over the estimate costs some delay or loss; and the
  // estimate near a link's rate runs below it (by 10-40 % on a policed link), so without this a
  // video whose lowest layer fits the link with little to spare was paused and, sending nothing
  // more to measure, never met the headroom of a resume. Only one video oversends: the others
  // share what it leaves (nothing) as before.
  double lowest_layer_oversend = 0.0;
};

struct AllocationResult {
  uint64_t allocated_bps = 0;  // the cost of what is allowed now
  // What the subscriber would get with no limit but its own caps: more than allocated means the
  // estimate holds it back (the prober's target).
  uint64_t wanted_bps = 0;
  uint32_t paused = 0, resumed = 0, down_switches = 0, up_switches = 0;  // this round's changes
};

class BandwidthAllocator {
 public:
  explicit BandwidthAllocator(AllocationOptions options = {}) : options_(options) {}

  // One round: decides every track's AllocationState::layer from `estimate_bps`. `losing`: the
  // subscriber's feedback reports loss now (lower layers apply at once).
  AllocationResult allocate(double estimate_bps, uint64_t now_ms, std::span<AllocationTrack> tracks,
                            bool losing = true);

 private:
  // The layer the estimate allows `track`, given what is left; takes its cost off `budget` (which
  // goes below zero when `may_oversend` kept a layer over it).
  int8_t lowest_fitting(const AllocationTrack& track, double& budget, bool may_oversend) const;
  int8_t upgrade(const AllocationTrack& track, int8_t layer, double& budget) const;
  // Applies `wanted` to the track's state with the hysteresis; counts the change.
  void apply(AllocationTrack& track, int8_t wanted, uint64_t now_ms, bool losing,
             AllocationResult& result) const;
  bool fits(const AllocationTrack& track, int8_t layer, double cost, double budget) const;

  AllocationOptions options_;
  std::vector<size_t> order_;     // video tracks by priority (scratch)
  std::vector<int8_t> decision_;  // per track (scratch)
};

// The highest layer of `track` within its cap that arrives; -1 when none does.
int8_t best_wanted_layer(const AllocationTrack& track);

}  // namespace sfu
