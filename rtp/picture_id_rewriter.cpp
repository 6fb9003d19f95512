#include "rtp/picture_id_rewriter.h"

namespace sfu::rtp {

void Vp8PictureIdRewriter::rewrite(MutableByteSpan payload, const Vp8Descriptor& d, bool newest) {
  if (restart_pending_) {
    // Before anything was sent the source's own values go out unchanged (offset 0).
    restart_pending_ = false;
    if (d.has_picture_id && have_last_picture_id_)
      picture_id_offset_ = static_cast<uint16_t>((last_picture_id_ + 1 - d.picture_id) & 0x7FFF);
    if (d.has_tl0_pic_idx && have_last_tl0_)
      tl0_offset_ = static_cast<uint8_t>(last_tl0_ + 1 - d.tl0_pic_idx);
  }
  if (d.has_picture_id) {
    const auto picture_id = static_cast<uint16_t>((d.picture_id + picture_id_offset_) & 0x7FFF);
    write_vp8_picture_id(payload, d, picture_id);
    if (newest) {
      last_picture_id_ = picture_id;
      have_last_picture_id_ = true;
    }
  }
  if (d.has_tl0_pic_idx) {
    const auto tl0 = static_cast<uint8_t>(d.tl0_pic_idx + tl0_offset_);
    write_vp8_tl0_pic_idx(payload, d, tl0);
    if (newest) {
      last_tl0_ = tl0;
      have_last_tl0_ = true;
    }
  }
}

void Vp8PictureIdRewriter::rewrite_resend(MutableByteSpan payload, const Vp8Descriptor& d,
                                          uint16_t picture_id_offset) const {
  if (d.has_picture_id)
    write_vp8_picture_id(payload, d, static_cast<uint16_t>((d.picture_id + picture_id_offset) & 0x7FFF));
  if (d.has_tl0_pic_idx) write_vp8_tl0_pic_idx(payload, d, static_cast<uint8_t>(d.tl0_pic_idx + tl0_offset_));
}

}  // namespace sfu::rtp
