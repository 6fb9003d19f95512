// Which simulcast layer one subscriber receives of one track: a target (what it should get: the
// best layer the publisher is sending within the subscriber's preference) and a current layer
// (what it gets now). A switch, up or down, happens only at a key frame of the target layer;
// until one arrives the current layer keeps flowing (the router asks the publisher for that key
// frame meanwhile). A target layer that stops arriving is replaced by the best one still sent.
//
// Layers are indices in the publisher's order (lowest quality first, as the simulcast encodings
// are announced). A track without simulcast has one layer, 0. Pure state, one per down-track;
// allocates nothing.
#pragma once

#include <cstdint>

namespace sfu {

class LayerSelector {
 public:
  static constexpr int8_t kNoLayer = -1;
  static constexpr uint8_t kMaxLayers = 4;  // bits of the availability mask that count

  enum class Verdict : uint8_t {
    kForward,   // a packet of the current layer
    kStart,     // the key frame the first layer (or a resume after a pause) starts at
    kSwitchUp,  // the target's key frame: it is the current layer from this packet on
    kSwitchDown,
    kDropOtherLayer,       // neither current nor target
    kDropWaitingKeyframe,  // the target's, before its key frame
    kDropPaused,           // the subscriber paused the track
  };

  // The subscriber's cap (highest layer wanted). Takes effect at the next update_target().
  void set_max_layer(uint8_t layer) { max_layer_ = layer; }
  uint8_t max_layer() const { return max_layer_; }
  // Paused: nothing is forwarded, and the current layer is forgotten, so forwarding resumes at a
  // key frame.
  void set_paused(bool paused);
  bool paused() const { return paused_; }

  // Recomputes the target from the layers being received (bit i: layer i arrives) among
  // `layer_count`: the highest one within the cap, else the lowest above it. With nothing
  // received the target stays, or starts at the cap within the count. `settling`: the publisher
  // may still be starting its layers, so unless every layer up to the cap arrives already, the
  // target stays too (the best one wanted is likely on its way). True when it changed.
  bool update_target(uint32_t available, uint8_t layer_count, bool settling = false);

  // Packet path: what to do with a packet of `layer`.
  Verdict on_packet(uint8_t layer, bool keyframe_start);

  int8_t current() const { return current_; }
  int8_t target() const { return target_; }
  // A key frame of `layer` is what this subscriber waits for.
  bool waiting_for_keyframe_of(uint8_t layer) const {
    return !paused_ && target_ == static_cast<int8_t>(layer) && current_ != target_;
  }
  // Audio, and anything that needs no key frame: the only layer is current from the start.
  void start_at(uint8_t layer) { current_ = target_ = static_cast<int8_t>(layer); }

 private:
  uint8_t max_layer_ = kMaxLayers - 1;  // the default: the best there is
  bool paused_ = false;
  int8_t target_ = kNoLayer;
  int8_t current_ = kNoLayer;
};

}  // namespace sfu
