// The AV1 RTP Dependency Descriptor header extension (AV1 RTP specification, appendix A): which
// frame a packet belongs to, its spatial and temporal layer, and for each decode target (a
// stream a receiver may choose, e.g. "720p at 30 fps") whether the frame is part of it. The
// template structure a key frame carries describes the layers once; later packets name one of
// its templates in three bytes (and may override its indications, references and chains).
//
// A forwarder keeps the latest structure per published track (DependencyStructure), parses each
// packet's descriptor against it (DependencyFrame), and forwards a frame to a receiver only when
// the receiver's decode target includes it.
//
// Plain values and functions; fixed-size arrays, no allocation. Every field and count is bounded
// (at most 64 templates, 32 decode targets, 4 spatial and 8 temporal layers, 8 frame references)
// and anything beyond or truncated is refused.
#pragma once

#include <array>
#include <cstdint>
#include <optional>

#include "base/bytes.h"

namespace sfu::rtp {

inline constexpr const char* kDependencyDescriptorUri =
    "https://aomediacodec.github.io/av1-rtp-spec/#dependency-descriptor-rtp-header-extension";

// Decode target indication (appendix A.8.3): how a frame relates to one decode target.
enum class DecodeTargetIndication : uint8_t { kNotPresent = 0, kDiscardable = 1, kSwitch = 2, kRequired = 3 };

struct DependencyStructure {
  static constexpr uint8_t kMaxTemplates = 64;
  static constexpr uint8_t kMaxDecodeTargets = 32;
  static constexpr uint8_t kMaxSpatialIds = 4;
  static constexpr uint8_t kMaxTemporalIds = 8;
  static constexpr uint8_t kMaxFdiffs = 8;

  struct Template {
    uint8_t spatial_id = 0;
    uint8_t temporal_id = 0;
    std::array<DecodeTargetIndication, kMaxDecodeTargets> dtis{};
    uint8_t fdiff_count = 0;
    std::array<uint8_t, kMaxFdiffs> fdiffs{};
    std::array<uint8_t, kMaxDecodeTargets> chain_fdiffs{};
  };

  uint8_t template_id_offset = 0;
  uint8_t decode_target_count = 0;
  uint8_t template_count = 0;
  uint8_t chain_count = 0;
  uint8_t max_spatial_id = 0;
  uint8_t max_temporal_id = 0;
  std::array<Template, kMaxTemplates> templates{};
  std::array<uint8_t, kMaxDecodeTargets> decode_target_protected_by{};  // chain index
  std::array<uint8_t, kMaxDecodeTargets> decode_target_spatial_id{};
  std::array<uint8_t, kMaxDecodeTargets> decode_target_temporal_id{};
  bool has_resolutions = false;
  std::array<uint16_t, kMaxSpatialIds> widths{}, heights{};
};

// One packet's descriptor, resolved against the structure in force.
struct DependencyFrame {
  bool start_of_frame = false;
  bool end_of_frame = false;
  uint8_t template_id = 0;
  uint16_t frame_number = 0;
  bool carries_structure = false;  // this packet's descriptor brought a new structure
  bool has_active_decode_targets = false;
  uint32_t active_decode_targets = 0;  // bit i: decode target i is being produced
  uint8_t spatial_id = 0;
  uint8_t temporal_id = 0;
  std::array<DecodeTargetIndication, DependencyStructure::kMaxDecodeTargets> dtis{};
  uint8_t fdiff_count = 0;
  std::array<uint16_t, DependencyStructure::kMaxFdiffs> fdiffs{};

  // Whether this frame belongs to decode target `dt`.
  bool in_decode_target(uint8_t dt) const {
    return dt < dtis.size() && dtis[dt] != DecodeTargetIndication::kNotPresent;
  }
};

enum class DependencyDescriptorError : uint8_t {
  kNone,
  kTruncated,        // fewer than 3 bytes, or a field runs past the end
  kNoStructure,      // a template is named before any structure was received
  kUnknownTemplate,  // the template id names no template of the structure
  kOutOfBounds,      // a count beyond the limits above
};

// Parses `extension` (the header extension's value). A structure the descriptor carries is
// written to `structure` (which is left unchanged otherwise); the frame is resolved against
// `structure` as it is then. `structure_valid` says whether `structure` holds one; it is set when
// a new one is parsed. On error `structure` may be partly written and `structure_valid` is false
// if the error hit while parsing a structure.
DependencyDescriptorError parse_dependency_descriptor(ByteSpan extension, DependencyStructure& structure,
                                                      bool& structure_valid, DependencyFrame& frame);

}  // namespace sfu::rtp
