#include "rtp/dependency_descriptor.h"

namespace sfu::rtp {
namespace {

using Error = DependencyDescriptorError;
using Dti = DecodeTargetIndication;

// MSB-first bit reader; reading past the end sets `overrun` and yields zeros.
class BitReader {
 public:
  explicit BitReader(ByteSpan bytes) : bytes_(bytes) {}
  uint32_t bits(uint8_t count) {
    uint32_t value = 0;
    for (uint8_t i = 0; i < count; ++i) {
      if (position_ >= bytes_.size() * 8) {
        overrun_ = true;
        return 0;
      }
      const uint8_t byte = bytes_[position_ / 8];
      value = (value << 1) | ((byte >> (7 - position_ % 8)) & 1u);
      ++position_;
    }
    return value;
  }
  bool bit() { return bits(1) != 0; }
  // ns(n), appendix A.7: a non-symmetric unsigned value in [0, n).
  uint32_t non_symmetric(uint32_t n) {
    uint8_t width = 0;
    for (uint32_t x = n; x != 0; x >>= 1) ++width;
    if (width == 0) return 0;
    const uint32_t m = (1u << width) - n;
    const uint32_t v = bits(static_cast<uint8_t>(width - 1));
    if (v < m) return v;
    return (v << 1) - m + bits(1);
  }
  bool overrun() const { return overrun_; }

 private:
  ByteSpan bytes_;
  size_t position_ = 0;
  bool overrun_ = false;
};

Error read_template_layers(BitReader& in, DependencyStructure& s) {
  uint8_t spatial = 0, temporal = 0;
  uint32_t next = 0;
  s.template_count = 0;
  s.max_temporal_id = 0;
  do {
    if (s.template_count >= DependencyStructure::kMaxTemplates) return Error::kOutOfBounds;
    s.templates[s.template_count].spatial_id = spatial;
    s.templates[s.template_count].temporal_id = temporal;
    ++s.template_count;
    next = in.bits(2);
    if (next == 1) {
      if (++temporal >= DependencyStructure::kMaxTemporalIds) return Error::kOutOfBounds;
      if (temporal > s.max_temporal_id) s.max_temporal_id = temporal;
    } else if (next == 2) {
      temporal = 0;
      if (++spatial >= DependencyStructure::kMaxSpatialIds) return Error::kOutOfBounds;
    }
  } while (next != 3 && !in.overrun());
  s.max_spatial_id = spatial;
  return in.overrun() ? Error::kTruncated : Error::kNone;
}

Error read_template_fdiffs(BitReader& in, DependencyStructure& s) {
  for (uint8_t t = 0; t < s.template_count; ++t) {
    auto& tmpl = s.templates[t];
    tmpl.fdiff_count = 0;
    while (in.bit()) {
      if (tmpl.fdiff_count >= DependencyStructure::kMaxFdiffs) return Error::kOutOfBounds;
      tmpl.fdiffs[tmpl.fdiff_count++] = static_cast<uint8_t>(in.bits(4) + 1);
    }
    if (in.overrun()) return Error::kTruncated;
  }
  return Error::kNone;
}

void read_template_chains(BitReader& in, DependencyStructure& s) {
  s.chain_count = static_cast<uint8_t>(in.non_symmetric(s.decode_target_count + 1u));
  if (s.chain_count == 0) return;
  for (uint8_t dt = 0; dt < s.decode_target_count; ++dt)
    s.decode_target_protected_by[dt] = static_cast<uint8_t>(in.non_symmetric(s.chain_count));
  for (uint8_t t = 0; t < s.template_count; ++t)
    for (uint8_t c = 0; c < s.chain_count; ++c)
      s.templates[t].chain_fdiffs[c] = static_cast<uint8_t>(in.bits(4));
}

// A.8.2: the highest layers of the templates that take part in each decode target.
void derive_decode_target_layers(DependencyStructure& s) {
  for (uint8_t dt = 0; dt < s.decode_target_count; ++dt) {
    uint8_t spatial = 0, temporal = 0;
    for (uint8_t t = 0; t < s.template_count; ++t) {
      const auto& tmpl = s.templates[t];
      if (tmpl.dtis[dt] == Dti::kNotPresent) continue;
      if (tmpl.spatial_id > spatial) spatial = tmpl.spatial_id;
      if (tmpl.temporal_id > temporal) temporal = tmpl.temporal_id;
    }
    s.decode_target_spatial_id[dt] = spatial;
    s.decode_target_temporal_id[dt] = temporal;
  }
}

Error read_structure(BitReader& in, DependencyStructure& s) {
  s.template_id_offset = static_cast<uint8_t>(in.bits(6));
  s.decode_target_count = static_cast<uint8_t>(in.bits(5) + 1);
  if (Error e = read_template_layers(in, s); e != Error::kNone) return e;
  for (uint8_t t = 0; t < s.template_count; ++t)
    for (uint8_t dt = 0; dt < s.decode_target_count; ++dt)
      s.templates[t].dtis[dt] = static_cast<Dti>(in.bits(2));
  if (Error e = read_template_fdiffs(in, s); e != Error::kNone) return e;
  read_template_chains(in, s);
  derive_decode_target_layers(s);
  s.has_resolutions = in.bit();
  if (s.has_resolutions) {
    for (uint8_t sid = 0; sid <= s.max_spatial_id; ++sid) {
      s.widths[sid] = static_cast<uint16_t>(in.bits(16) + 1);
      s.heights[sid] = static_cast<uint16_t>(in.bits(16) + 1);
    }
  }
  return in.overrun() ? Error::kTruncated : Error::kNone;
}

struct CustomFlags {
  bool dtis = false, fdiffs = false, chains = false;
};

Error read_frame_fdiffs(BitReader& in, DependencyFrame& frame) {
  frame.fdiff_count = 0;
  for (uint32_t size = in.bits(2); size != 0 && !in.overrun(); size = in.bits(2)) {
    if (frame.fdiff_count >= DependencyStructure::kMaxFdiffs) return Error::kOutOfBounds;
    frame.fdiffs[frame.fdiff_count++] = static_cast<uint16_t>(in.bits(static_cast<uint8_t>(4 * size)) + 1);
  }
  return Error::kNone;
}

// A.8.3: the frame's layers, indications and references from its template, then the overrides.
Error resolve_frame(BitReader& in, const DependencyStructure& s, CustomFlags custom, DependencyFrame& frame) {
  const auto index = static_cast<uint8_t>((frame.template_id + 64 - s.template_id_offset) % 64);
  if (index >= s.template_count) return Error::kUnknownTemplate;
  const auto& tmpl = s.templates[index];
  frame.spatial_id = tmpl.spatial_id;
  frame.temporal_id = tmpl.temporal_id;
  frame.dtis = tmpl.dtis;
  if (custom.dtis)
    for (uint8_t dt = 0; dt < s.decode_target_count; ++dt) frame.dtis[dt] = static_cast<Dti>(in.bits(2));
  if (custom.fdiffs) {
    if (Error e = read_frame_fdiffs(in, frame); e != Error::kNone) return e;
  } else {
    frame.fdiff_count = tmpl.fdiff_count;
    for (uint8_t i = 0; i < tmpl.fdiff_count; ++i) frame.fdiffs[i] = tmpl.fdiffs[i];
  }
  if (custom.chains)  // chain diffs: read past; the forwarder does not follow chains
    for (uint8_t c = 0; c < s.chain_count; ++c) in.bits(8);
  return in.overrun() ? Error::kTruncated : Error::kNone;
}

}  // namespace

DependencyDescriptorError parse_dependency_descriptor(ByteSpan extension, DependencyStructure& structure,
                                                      bool& structure_valid, DependencyFrame& frame) {
  if (extension.size() < 3) return Error::kTruncated;
  BitReader in(extension);
  frame = DependencyFrame{};
  frame.start_of_frame = in.bit();
  frame.end_of_frame = in.bit();
  frame.template_id = static_cast<uint8_t>(in.bits(6));
  frame.frame_number = static_cast<uint16_t>(in.bits(16));
  CustomFlags custom;
  if (extension.size() > 3) {
    const bool structure_present = in.bit();
    frame.has_active_decode_targets = in.bit();
    custom.dtis = in.bit();
    custom.fdiffs = in.bit();
    custom.chains = in.bit();
    if (structure_present) {
      structure_valid = false;
      if (Error e = read_structure(in, structure); e != Error::kNone) return e;
      structure_valid = true;
      frame.carries_structure = true;
    }
    if (frame.has_active_decode_targets) {
      if (!structure_valid) return Error::kNoStructure;
      frame.active_decode_targets = in.bits(structure.decode_target_count);
    } else if (structure_present) {
      frame.has_active_decode_targets = true;
      const uint8_t count = structure.decode_target_count;
      frame.active_decode_targets = count >= 32 ? 0xFFFFFFFFu : (1u << count) - 1;
    }
  }
  if (!structure_valid) return Error::kNoStructure;
  if (in.overrun()) return Error::kTruncated;
  return resolve_frame(in, structure, custom, frame);
}

}  // namespace sfu::rtp
