#include "rtp/vp9_descriptor.h"

namespace sfu::rtp {
namespace {

constexpr uint8_t kI = 0x80, kP = 0x40, kL = 0x20, kF = 0x10, kB = 0x08, kE = 0x04, kV = 0x02, kZ = 0x01;
constexpr uint8_t kM = 0x80;
constexpr uint8_t kPDiffN = 0x01;  // another P_DIFF follows
constexpr uint8_t kMaxReferences = 3;

// A bounded reader of the descriptor's bytes.
struct Cursor {
  ByteSpan bytes;
  size_t at = 0;
  bool ok = true;
  uint8_t next() {
    if (at >= bytes.size()) {
      ok = false;
      return 0;
    }
    return bytes[at++];
  }
  uint16_t next16() {
    const uint8_t high = next();
    return static_cast<uint16_t>((high << 8) | next());
  }
};

void read_picture_id(Cursor& in, Vp9Descriptor& d) {
  const uint8_t first = in.next();
  d.picture_id_15_bit = (first & kM) != 0;
  d.picture_id =
      d.picture_id_15_bit ? static_cast<uint16_t>(((first & 0x7F) << 8) | in.next()) : first & 0x7F;
}

void read_layer_indices(Cursor& in, Vp9Descriptor& d) {
  const uint8_t byte = in.next();
  d.temporal_id = byte >> 5;
  d.switching_up_point = (byte & 0x10) != 0;
  d.spatial_id = (byte >> 1) & 0x07;
  d.inter_layer_dependent = (byte & 0x01) != 0;
  if (!d.flexible) {
    d.has_tl0_pic_idx = true;
    d.tl0_pic_idx = in.next();
  }
}

void read_references(Cursor& in, Vp9Descriptor& d) {
  uint8_t byte = 0;
  do {
    byte = in.next();
    if (++d.reference_count > kMaxReferences) in.ok = false;
  } while (in.ok && (byte & kPDiffN) != 0);
}

void read_scalability(Cursor& in, Vp9Descriptor& d) {
  const uint8_t byte = in.next();
  d.spatial_layers = static_cast<uint8_t>((byte >> 5) + 1);
  d.has_resolutions = (byte & 0x10) != 0;
  const bool has_group = (byte & 0x08) != 0;
  if (d.has_resolutions) {
    for (uint8_t i = 0; i < d.spatial_layers && in.ok; ++i) {
      d.widths[i] = in.next16();
      d.heights[i] = in.next16();
    }
  }
  if (!has_group) return;
  d.picture_group_size = in.next();
  for (uint8_t i = 0; i < d.picture_group_size && in.ok; ++i) {
    const uint8_t references = (in.next() >> 2) & 0x03;  // TID U R R RSV RSV: R is bits 3-2
    for (uint8_t r = 0; r < references; ++r) in.next();
  }
}

}  // namespace

std::optional<Vp9Descriptor> parse_vp9_descriptor(ByteSpan payload) {
  Cursor in{payload};
  const uint8_t first = in.next();
  Vp9Descriptor d;
  d.has_picture_id = (first & kI) != 0;
  d.inter_picture = (first & kP) != 0;
  d.has_layer_indices = (first & kL) != 0;
  d.flexible = (first & kF) != 0;
  d.begins_layer_frame = (first & kB) != 0;
  d.ends_layer_frame = (first & kE) != 0;
  d.has_scalability = (first & kV) != 0;
  d.not_reference_upper = (first & kZ) != 0;
  if (d.has_picture_id) read_picture_id(in, d);
  if (d.has_layer_indices) read_layer_indices(in, d);
  if (d.flexible && d.inter_picture) read_references(in, d);
  if (d.has_scalability) read_scalability(in, d);
  if (!in.ok || in.at >= payload.size()) return std::nullopt;
  d.size = in.at;
  return d;
}

void set_vp9_end_of_layer_frame(MutableByteSpan payload, bool end) {
  if (payload.empty()) return;
  payload[0] = static_cast<uint8_t>(end ? (payload[0] | kE) : (payload[0] & ~kE));
}

}  // namespace sfu::rtp
