// The VP9 RTP payload descriptor (RFC 9628 section 4.2): which picture, spatial layer and
// temporal layer a packet carries, whether it begins (B) or ends (E) its layer frame, and the
// scalability structure (V) a key frame announces. A forwarder reads it to drop the layers a
// receiver does not get, and clears or sets E / the RTP marker on the last layer it forwards.
//
// Plain functions over the payload (RtpPacket::payload(), padding excluded); they read nothing
// past it, allocate nothing, and refuse anything truncated.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "base/bytes.h"

namespace sfu::rtp {

struct Vp9Descriptor {
  // The first byte: I P L F B E V Z.
  bool has_picture_id = false;       // I
  bool inter_picture = false;        // P: predicted from an earlier picture
  bool has_layer_indices = false;    // L
  bool flexible = false;             // F
  bool begins_layer_frame = false;   // B
  bool ends_layer_frame = false;     // E
  bool has_scalability = false;      // V
  bool not_reference_upper = false;  // Z
  bool picture_id_15_bit = false;    // M
  uint16_t picture_id = 0;
  // Layer indices (L): TID, U (switching up point), SID, D (inter-layer dependency).
  uint8_t temporal_id = 0;
  bool switching_up_point = false;
  uint8_t spatial_id = 0;
  bool inter_layer_dependent = false;
  bool has_tl0_pic_idx = false;  // non-flexible mode with L
  uint8_t tl0_pic_idx = 0;
  uint8_t reference_count = 0;  // P_DIFFs in flexible mode (at most 3)
  // Scalability structure (V): N_S + 1 spatial layers, with their sizes when Y.
  uint8_t spatial_layers = 0;
  bool has_resolutions = false;
  std::array<uint16_t, 8> widths{}, heights{};
  uint8_t picture_group_size = 0;  // N_G
  size_t size = 0;                 // descriptor bytes; the VP9 payload follows

  // The first packet of a picture's lowest layer frame that needs no earlier picture.
  bool starts_keyframe() const { return begins_layer_frame && !inter_picture && spatial_id == 0; }
};

// nullopt when the descriptor is truncated, malformed (more than 3 P_DIFFs), or nothing follows
// it (a descriptor alone is legal only as the scalability structure of a key frame's first
// packet, which always carries payload too).
std::optional<Vp9Descriptor> parse_vp9_descriptor(ByteSpan payload);

// Sets or clears E (end of layer frame) in place; the payload must hold a parsed descriptor.
void set_vp9_end_of_layer_frame(MutableByteSpan payload, bool end);

}  // namespace sfu::rtp
