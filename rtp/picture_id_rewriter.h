// Keeps a VP8 stream's picture ids and TL0PICIDX continuous for one receiver while the forwarder
// splices sources (simulcast layers, each with its own picture id sequence): at the first packet
// of a new source (a key frame, where a switch happens) the offsets are recomputed so its picture
// id is the last one sent plus one, and its TL0PICIDX the last plus one; every later packet of
// that source is shifted by the same offsets, so retransmissions come out the same as the first
// send. Arithmetic is in the 15-bit space; a 7-bit field is written modulo 128 (its width never
// changes in place), so a 7-bit stream stays continuous modulo 128 across switches too.
//
// Pure state, one per down-track; allocates nothing.
#pragma once

#include <cstdint>

#include "base/bytes.h"
#include "rtp/vp8_descriptor.h"

namespace sfu::rtp {

class Vp8PictureIdRewriter {
 public:
  // The next packet rewritten comes from a new source.
  void restart() { restart_pending_ = true; }
  // Rewrites `payload` (the copy about to be sent; `d` parsed from it) in place. `newest`: this
  // packet is the newest sent so far (sequence order), so it is what the next source continues.
  void rewrite(MutableByteSpan payload, const Vp8Descriptor& d, bool newest);

  // A picture of the source is not forwarded (a temporal layer the receiver does not get): the
  // next picture forwarded takes its id, so the receiver sees no gap it would treat as a loss.
  void skip_picture() { picture_id_offset_ = static_cast<uint16_t>((picture_id_offset_ - 1) & 0x7FFF); }
  // A resend of a packet forwarded when the picture id offset was `picture_id_offset`: written
  // as it was then; nothing of the state changes.
  void rewrite_resend(MutableByteSpan payload, const Vp8Descriptor& d, uint16_t picture_id_offset) const;

  uint16_t picture_id_offset() const { return picture_id_offset_; }
  uint8_t tl0_offset() const { return tl0_offset_; }

 private:
  uint16_t picture_id_offset_ = 0;
  uint8_t tl0_offset_ = 0;
  uint16_t last_picture_id_ = 0;  // as sent, 15-bit space
  uint8_t last_tl0_ = 0;
  bool have_last_picture_id_ = false;
  bool have_last_tl0_ = false;
  bool restart_pending_ = false;
};

}  // namespace sfu::rtp
