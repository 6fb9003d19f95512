#include "sfu/media/svc_filter.h"

#include <algorithm>

namespace sfu {
namespace {

using Dti = rtp::DecodeTargetIndication;

// Whether every template frame of decode target `sub` belongs to `of` too (a lower target of a
// full SVC or temporal structure): a switch from `of` down to `sub` needs nothing not sent.
bool subset_of(const rtp::DependencyStructure& s, uint8_t sub, uint8_t of) {
  for (uint8_t t = 0; t < s.template_count; ++t)
    if (s.templates[t].dtis[sub] != Dti::kNotPresent && s.templates[t].dtis[of] == Dti::kNotPresent)
      return false;
  return true;
}

}  // namespace

SvcFilter::Verdict SvcFilter::on_packet(const PacketLayers& packet) {
  switch (packet.scheme) {
    case PacketLayers::Scheme::kVp8:
      return on_vp8(packet);
    case PacketLayers::Scheme::kVp9:
      return on_vp9(packet);
    case PacketLayers::Scheme::kDependencyDescriptor:
      return on_dependency_descriptor(packet);
    case PacketLayers::Scheme::kNone:
      break;
  }
  return Verdict::kForward;
}

void SvcFilter::follow_temporal(const PacketLayers& packet) {
  if (!packet.starts_picture) return;
  if (max_temporal_ < current_temporal_) {
    current_temporal_ = max_temporal_;
  } else if (max_temporal_ > current_temporal_ && packet.switch_up_point &&
             packet.temporal_id > current_temporal_ && packet.temporal_id <= max_temporal_) {
    current_temporal_ = packet.temporal_id;
  }
}

SvcFilter::Verdict SvcFilter::on_vp8(const PacketLayers& packet) {
  if (restart_ || packet.keyframe) {
    restart_ = false;
    current_temporal_ = max_temporal_;
  } else {
    follow_temporal(packet);
  }
  return packet.temporal_id <= current_temporal_ ? Verdict::kForward : Verdict::kDropTemporal;
}

SvcFilter::Verdict SvcFilter::on_vp9(const PacketLayers& packet) {
  highest_spatial_seen_ = std::max(highest_spatial_seen_, packet.spatial_id);
  if (restart_ || packet.keyframe) {
    restart_ = false;
    current_spatial_ = max_spatial_;
    current_temporal_ = max_temporal_;
  } else {
    if (packet.starts_picture && max_spatial_ < current_spatial_) current_spatial_ = max_spatial_;
    follow_temporal(packet);
  }
  wants_keyframe_ = std::min(max_spatial_, highest_spatial_seen_) > current_spatial_;
  if (packet.spatial_id > current_spatial_) return Verdict::kDropSpatial;
  return packet.temporal_id <= current_temporal_ ? Verdict::kForward : Verdict::kDropTemporal;
}

int8_t SvcFilter::choose_decode_target(const rtp::DependencyStructure& s) const {
  int8_t best = -1;
  for (uint8_t dt = 0; dt < s.decode_target_count; ++dt) {
    const uint8_t spatial = s.decode_target_spatial_id[dt];
    const uint8_t temporal = s.decode_target_temporal_id[dt];
    if (spatial > max_spatial_ || temporal > max_temporal_ || ((active_decode_targets_ >> dt) & 1u) == 0)
      continue;
    if (best < 0 || spatial > s.decode_target_spatial_id[best] ||
        (spatial == s.decode_target_spatial_id[best] && temporal > s.decode_target_temporal_id[best]))
      best = static_cast<int8_t>(dt);
  }
  return best < 0 ? int8_t{0} : best;  // nothing within the caps: the lowest there is
}

SvcFilter::Verdict SvcFilter::on_dependency_descriptor(const PacketLayers& packet) {
  const rtp::DependencyFrame& frame = *packet.frame;
  const rtp::DependencyStructure& s = *packet.structure;
  if (frame.has_active_decode_targets) active_decode_targets_ = frame.active_decode_targets;
  if (frame.carries_structure && current_dt_ >= s.decode_target_count) current_dt_ = -1;
  if (frame.start_of_frame) {
    const int8_t target = choose_decode_target(s);
    const auto t = static_cast<uint8_t>(target);
    if (restart_ || packet.keyframe || current_dt_ < 0) {
      if (restart_ || packet.keyframe) current_dt_ = target;
      restart_ = false;
    } else if (target != current_dt_ &&
               (frame.dtis[t] == Dti::kSwitch || subset_of(s, t, static_cast<uint8_t>(current_dt_)))) {
      current_dt_ = target;
    }
    wants_keyframe_ = current_dt_ != target;
  }
  if (current_dt_ < 0 || frame.in_decode_target(static_cast<uint8_t>(current_dt_))) return Verdict::kForward;
  return frame.spatial_id > s.decode_target_spatial_id[current_dt_] ? Verdict::kDropSpatial
                                                                    : Verdict::kDropTemporal;
}

bool SvcFilter::marker(const PacketLayers& packet, bool original_marker) const {
  if (original_marker || !packet.ends_layer_frame) return original_marker;
  switch (packet.scheme) {
    case PacketLayers::Scheme::kVp9:
      return packet.spatial_id == current_spatial_;
    case PacketLayers::Scheme::kDependencyDescriptor:
      return current_dt_ >= 0 && packet.spatial_id == packet.structure->decode_target_spatial_id[current_dt_];
    default:
      return original_marker;
  }
}

}  // namespace sfu
