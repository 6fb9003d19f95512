#include "rtp/vp8_descriptor.h"

namespace sfu::rtp {
namespace {

constexpr uint8_t kX = 0x80;
constexpr uint8_t kS = 0x10;
constexpr uint8_t kPidMask = 0x07;
constexpr uint8_t kI = 0x80;
constexpr uint8_t kL = 0x40;
constexpr uint8_t kT = 0x20;
constexpr uint8_t kK = 0x10;
constexpr uint8_t kM = 0x80;
constexpr uint8_t kKeyframeP = 0x01;        // frame tag: 0 = key frame
constexpr size_t kKeyframeHeaderSize = 10;  // frame tag (3), start code (3), width (2), height (2)
constexpr uint16_t kSizeMask = 0x3FFF;      // the top 2 bits are the scaling

}  // namespace

// NOLINTNEXTLINE(readability-function-cognitive-complexity): one optional field after another, as RFC 7741 lays them out.
std::optional<Vp8Descriptor> parse_vp8_descriptor(ByteSpan payload) {
  if (payload.empty()) return std::nullopt;
  Vp8Descriptor d;
  const uint8_t first = payload[0];
  d.start_of_partition = (first & kS) != 0;
  d.partition_id = first & kPidMask;
  size_t at = 1;
  if ((first & kX) != 0) {
    if (at >= payload.size()) return std::nullopt;
    const uint8_t ext = payload[at++];
    if ((ext & kI) != 0) {
      if (at >= payload.size()) return std::nullopt;
      d.has_picture_id = true;
      d.picture_id_offset = at;
      d.picture_id_15_bit = (payload[at] & kM) != 0;
      if (d.picture_id_15_bit) {
        if (at + 1 >= payload.size()) return std::nullopt;
        d.picture_id = static_cast<uint16_t>(((payload[at] & 0x7F) << 8) | payload[at + 1]);
        at += 2;
      } else {
        d.picture_id = payload[at] & 0x7F;
        at += 1;
      }
    }
    if ((ext & kL) != 0) {
      if (at >= payload.size()) return std::nullopt;
      d.has_tl0_pic_idx = true;
      d.tl0_offset = at;
      d.tl0_pic_idx = payload[at++];
    }
    if ((ext & (kT | kK)) != 0) {
      if (at >= payload.size()) return std::nullopt;
      const uint8_t byte = payload[at++];
      d.has_tid = (ext & kT) != 0;
      d.has_key_idx = (ext & kK) != 0;
      if (d.has_tid) {
        d.tid = byte >> 6;
        d.layer_sync = (byte & 0x20) != 0;
      }
      if (d.has_key_idx) d.key_idx = byte & 0x1F;
    }
  }
  if (at >= payload.size()) return std::nullopt;  // a descriptor with no VP8 data after it
  d.size = at;
  return d;
}

void write_vp8_picture_id(MutableByteSpan payload, const Vp8Descriptor& d, uint16_t picture_id) {
  if (!d.has_picture_id) return;
  if (d.picture_id_15_bit) {
    payload[d.picture_id_offset] = static_cast<uint8_t>(kM | ((picture_id >> 8) & 0x7F));
    payload[d.picture_id_offset + 1] = static_cast<uint8_t>(picture_id & 0xFF);
  } else {
    payload[d.picture_id_offset] = static_cast<uint8_t>(picture_id & 0x7F);
  }
}

void write_vp8_tl0_pic_idx(MutableByteSpan payload, const Vp8Descriptor& d, uint8_t tl0_pic_idx) {
  if (d.has_tl0_pic_idx) payload[d.tl0_offset] = tl0_pic_idx;
}

std::optional<FrameSize> vp8_keyframe_size(ByteSpan payload) {
  auto d = parse_vp8_descriptor(payload);
  if (!d || !d->starts_frame() || payload.size() - d->size < kKeyframeHeaderSize) return std::nullopt;
  const uint8_t* frame = payload.data() + d->size;
  if ((frame[0] & kKeyframeP) != 0 || frame[3] != 0x9D || frame[4] != 0x01 || frame[5] != 0x2A)
    return std::nullopt;
  FrameSize size;
  size.width = static_cast<uint16_t>((frame[6] | (frame[7] << 8)) & kSizeMask);
  size.height = static_cast<uint16_t>((frame[8] | (frame[9] << 8)) & kSizeMask);
  return size;
}

}  // namespace sfu::rtp
