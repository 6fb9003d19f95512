// Which spatial and temporal layers of a scalable video stream one subscriber receives, packet
// by packet: VP8 temporal layers (TID), VP9 spatial and temporal layers (SVC and k-SVC), and the
// decode targets of the Dependency Descriptor (AV1; H.264 temporal layers). The subscriber's caps
// (track_settings max_layer for the spatial layer of an SVC stream, max_temporal_layer) give a target; the
// layers forwarded now (the current ones) move to it only where the receiver can decode the result:
//
// - down, at the next picture (or, with the descriptor, at the next frame when the target's frames are a
// subset
//   of what was forwarded): everything the lower layers need has been forwarded already;
// - temporal up (VP8, VP9), at a switching-up point (VP8 Y, VP9 U) of a layer up to the target,
//   or at a key frame;
// - spatial up (VP9), at a key frame: the k-SVC structures (L3T3_KEY) Chromium sends predict
//   between spatial layers only there, so no other picture is safe; wants_keyframe() asks for one;
// - with the descriptor, at a frame that is a switch indication (DTI "switch") of the target, or a key frame.
//
// For what is forwarded, marker() tells the RTP marker bit: set on the end of the highest layer
// forwarded of a picture (the receiver's end of picture), as the publisher set it on its top one.
//
// Pure state, one per video down-track; allocates nothing.
#pragma once

#include <cstdint>

#include "sfu/media/packet_layers.h"

namespace sfu {

class SvcFilter {
 public:
  static constexpr uint8_t kAll = 0xFF;  // no cap

  enum class Verdict : uint8_t { kForward, kDropTemporal, kDropSpatial };

  // Caps (inclusive), effective at the next switching point.
  void set_caps(uint8_t max_spatial, uint8_t max_temporal) {
    max_spatial_ = max_spatial;
    max_temporal_ = max_temporal;
  }
  uint8_t max_spatial() const { return max_spatial_; }
  uint8_t max_temporal() const { return max_temporal_; }
  // The next packet starts a key frame (the down-track starts or switches simulcast layer there).
  void restart() { restart_ = true; }

  Verdict on_packet(const PacketLayers& packet);
  bool marker(const PacketLayers& packet, bool original_marker) const;
  // A higher spatial layer (or descriptor decode target) is wanted that only a key frame can start.
  bool wants_keyframe() const { return wants_keyframe_; }

  uint8_t current_spatial() const { return current_spatial_; }
  uint8_t current_temporal() const { return current_temporal_; }
  int8_t current_decode_target() const { return current_dt_; }

 private:
  void follow_temporal(const PacketLayers& packet);
  Verdict on_vp8(const PacketLayers& packet);
  Verdict on_vp9(const PacketLayers& packet);
  Verdict on_dependency_descriptor(const PacketLayers& packet);
  int8_t choose_decode_target(const rtp::DependencyStructure& structure) const;

  uint8_t max_spatial_ = kAll;
  uint8_t max_temporal_ = kAll;
  bool restart_ = true;
  bool wants_keyframe_ = false;
  uint8_t current_spatial_ = kAll;
  uint8_t current_temporal_ = kAll;
  uint8_t highest_spatial_seen_ = 0;
  int8_t current_dt_ = -1;
  uint32_t active_decode_targets_ = 0xFFFFFFFFu;
};

}  // namespace sfu
