#include "rtp/rtp_packet.h"

#include <cstring>

namespace sfu::rtp {
namespace {

constexpr uint8_t kRtpVersion = 2;
constexpr size_t kExtensionHeaderSize = 4;  // profile (16) + length in words (16)
constexpr size_t kOneByteMaxId = 14;
constexpr size_t kOneByteMaxValueSize = 16;
constexpr size_t kTwoByteMaxValueSize = 255;
constexpr size_t kRtxHeaderSize = 2;  // original sequence number

HeaderExtensionForm form_of_profile(uint16_t profile) {
  if (profile == RtpPacket::kOneByteProfile) return HeaderExtensionForm::kOneByte;
  if ((profile & 0xFFF0) == RtpPacket::kTwoByteProfile) return HeaderExtensionForm::kTwoByte;
  return HeaderExtensionForm::kOther;
}

}  // namespace

const char* to_string(RtpParseError error) {
  switch (error) {
    case RtpParseError::kTooShort:
      return "too short";
    case RtpParseError::kBadVersion:
      return "bad version";
    case RtpParseError::kBadCsrcCount:
      return "bad CSRC count";
    case RtpParseError::kBadExtension:
      return "bad header extension";
    case RtpParseError::kBadPadding:
      return "bad padding";
  }
  return "unknown";
}

std::optional<RtpPacket> RtpPacket::parse(MutableByteSpan buffer, RtpParseError* error) {
  auto fail = [error](RtpParseError reason) -> std::optional<RtpPacket> {
    if (error) *error = reason;
    return std::nullopt;
  };
  const size_t size = buffer.size();
  if (size < kFixedHeaderSize) return fail(RtpParseError::kTooShort);
  RtpPacket packet(buffer.data(), size);
  if (packet.version() != kRtpVersion) return fail(RtpParseError::kBadVersion);

  size_t offset = kFixedHeaderSize + 4 * static_cast<size_t>(packet.csrc_count());
  if (offset > size) return fail(RtpParseError::kBadCsrcCount);

  if (packet.has_extension()) {
    if (size - offset < kExtensionHeaderSize) return fail(RtpParseError::kBadExtension);
    const uint16_t profile = load_be16(buffer.data() + offset);
    const size_t block_size = 4 * static_cast<size_t>(load_be16(buffer.data() + offset + 2));
    offset += kExtensionHeaderSize;
    if (size - offset < block_size) return fail(RtpParseError::kBadExtension);
    packet.extension_profile_ = profile;
    packet.extension_offset_ = offset;
    packet.extension_size_ = block_size;
    offset += block_size;
    // Validate every element now, so that the forwarder can rewrite ids without finding a
    // half-readable block later.
    HeaderExtensionReader reader = packet.extensions();
    HeaderExtension element;
    while (reader.next(element)) {
    }
    if (reader.malformed()) return fail(RtpParseError::kBadExtension);
  }
  packet.header_size_ = offset;

  if (packet.has_padding()) {
    if (size == offset) return fail(RtpParseError::kBadPadding);
    const size_t padding = buffer[size - 1];
    if (padding == 0 || padding > size - offset) return fail(RtpParseError::kBadPadding);
    packet.padding_size_ = padding;
  }
  return packet;
}

HeaderExtensionForm RtpPacket::extension_form() const {
  if (!has_extension()) return HeaderExtensionForm::kNone;
  return form_of_profile(extension_profile_);
}

std::optional<ByteSpan> RtpPacket::find_extension(uint8_t id) const {
  if (id == 0) return std::nullopt;
  for (const HeaderExtension& element : extensions()) {
    if (element.id == id) return element.value;
  }
  return std::nullopt;
}

std::optional<MutableByteSpan> RtpPacket::find_mutable_extension(uint8_t id) {
  const std::optional<ByteSpan> value = find_extension(id);
  if (!value) return std::nullopt;
  // The value points into our own buffer; recover a mutable pointer from its offset.
  return MutableByteSpan(data_ + (value->data() - data_), value->size());
}

std::optional<uint32_t> RtpPacket::abs_send_time(uint8_t id) const {
  const std::optional<ByteSpan> value = find_extension(id);
  if (!value || value->size() != 3) return std::nullopt;
  return load_be24(value->data());
}

std::optional<uint16_t> RtpPacket::transport_sequence_number(uint8_t id) const {
  // transport-wide-cc-02 appends 1 or 3 bytes after the sequence number; accept those too.
  const std::optional<ByteSpan> value = find_extension(id);
  if (!value || value->size() < 2) return std::nullopt;
  return load_be16(value->data());
}

std::optional<AudioLevel> RtpPacket::audio_level(uint8_t id) const {
  const std::optional<ByteSpan> value = find_extension(id);
  if (!value || value->empty()) return std::nullopt;
  const uint8_t byte = (*value)[0];
  return AudioLevel{(byte & 0x80) != 0, static_cast<uint8_t>(byte & 0x7F)};
}

std::optional<std::string_view> RtpPacket::string_extension(uint8_t id) const {
  const std::optional<ByteSpan> value = find_extension(id);
  if (!value) return std::nullopt;
  return std::string_view(reinterpret_cast<const char*>(value->data()), value->size());
}

bool RtpPacket::set_abs_send_time(uint8_t id, uint32_t value) {
  const std::optional<MutableByteSpan> element = find_mutable_extension(id);
  if (!element || element->size() != 3) return false;
  store_be24(element->data(), value & 0xFFFFFF);
  return true;
}

void RtpPacket::remap_extension_ids(const std::array<uint8_t, 256>& map) {
  const HeaderExtensionForm form = extension_form();
  if (form != HeaderExtensionForm::kOneByte && form != HeaderExtensionForm::kTwoByte) return;
  const size_t element_header = form == HeaderExtensionForm::kOneByte ? 1 : 2;
  // The reader has already moved past an element when it hands it out, so rewriting (or zeroing)
  // that element does not disturb the walk.
  for (const HeaderExtension& element : extensions()) {
    uint8_t* start = data_ + (element.value.data() - data_) - element_header;
    const uint8_t new_id = map[element.id];
    if (new_id == element.id) continue;
    const bool expressible = form == HeaderExtensionForm::kTwoByte || new_id <= kOneByteMaxId;
    if (new_id == 0 || !expressible) {
      std::memset(start, 0, element_header + element.value.size());
    } else if (form == HeaderExtensionForm::kOneByte) {
      start[0] = static_cast<uint8_t>((new_id << 4) | (start[0] & 0x0F));
    } else {
      start[0] = new_id;
    }
  }
}

namespace {

// Size of the header write_rtp_header() would produce, or 0 when the fields cannot be encoded.
size_t encoded_header_size(const RtpHeaderFields& fields, std::span<const HeaderExtension> extensions,
                           bool& one_byte, size_t& block_size) {
  one_byte = true;
  block_size = 0;
  if (fields.csrcs.size() > 15 || fields.payload_type > 127) return 0;
  for (const HeaderExtension& e : extensions) {
    if (e.id == 0 || e.value.size() > kTwoByteMaxValueSize) return 0;
    if (e.id > kOneByteMaxId || e.value.empty() || e.value.size() > kOneByteMaxValueSize) one_byte = false;
  }
  for (const HeaderExtension& e : extensions) block_size += (one_byte ? 1 : 2) + e.value.size();
  block_size = (block_size + 3) & ~size_t{3};
  if (block_size / 4 > 0xFFFF) return 0;
  return RtpPacket::kFixedHeaderSize + 4 * fields.csrcs.size() +
         (extensions.empty() ? 0 : kExtensionHeaderSize + block_size);
}

}  // namespace

size_t write_rtp_header(const RtpHeaderFields& fields, std::span<const HeaderExtension> extensions,
                        MutableByteSpan out) {
  bool one_byte;
  size_t block_size;
  const size_t header_size = encoded_header_size(fields, extensions, one_byte, block_size);
  if (header_size == 0 || out.size() < header_size) return 0;

  uint8_t* p = out.data();
  p[0] = static_cast<uint8_t>((kRtpVersion << 6) | (extensions.empty() ? 0 : 0x10) | fields.csrcs.size());
  p[1] = static_cast<uint8_t>((fields.marker ? 0x80 : 0) | fields.payload_type);
  store_be16(p + 2, fields.sequence_number);
  store_be32(p + 4, fields.timestamp);
  store_be32(p + 8, fields.ssrc);
  p += RtpPacket::kFixedHeaderSize;
  for (uint32_t csrc : fields.csrcs) {
    store_be32(p, csrc);
    p += 4;
  }
  if (!extensions.empty()) {
    store_be16(p, one_byte ? RtpPacket::kOneByteProfile : RtpPacket::kTwoByteProfile);
    store_be16(p + 2, static_cast<uint16_t>(block_size / 4));
    p += kExtensionHeaderSize;
    uint8_t* const block_end = p + block_size;
    for (const HeaderExtension& e : extensions) {
      if (one_byte) {
        *p++ = static_cast<uint8_t>((e.id << 4) | (e.value.size() - 1));
      } else {
        *p++ = e.id;
        *p++ = static_cast<uint8_t>(e.value.size());
      }
      if (!e.value.empty()) std::memmove(p, e.value.data(), e.value.size());
      p += e.value.size();
    }
    std::memset(p, 0, static_cast<size_t>(block_end - p));
  }
  return header_size;
}

size_t build_rtp_packet(const RtpHeaderFields& fields, std::span<const HeaderExtension> extensions,
                        ByteSpan payload, size_t padding_size, MutableByteSpan out) {
  if (padding_size > 255) return 0;
  bool one_byte;
  size_t block_size;
  const size_t header_size = encoded_header_size(fields, extensions, one_byte, block_size);
  if (header_size == 0) return 0;
  const size_t total = header_size + payload.size() + padding_size;
  if (out.size() < total) return 0;
  // Move the payload first: writing the header could overwrite a payload that lives in `out`.
  if (!payload.empty()) std::memmove(out.data() + header_size, payload.data(), payload.size());
  write_rtp_header(fields, extensions, out);
  if (padding_size > 0) {
    out[0] |= 0x20;
    uint8_t* padding = out.data() + header_size + payload.size();
    std::memset(padding, 0, padding_size - 1);
    padding[padding_size - 1] = static_cast<uint8_t>(padding_size);
  }
  return total;
}

size_t build_rtx(const RtpPacket& original, uint8_t rtx_pt, uint32_t rtx_ssrc, uint16_t rtx_seq,
                 MutableByteSpan out) {
  const size_t header_size = original.header_size();
  const ByteSpan payload = original.payload();
  const size_t total = header_size + kRtxHeaderSize + payload.size();
  if (out.size() < total || rtx_pt > 127) return 0;
  const uint16_t original_seq = original.sequence_number();
  // Payload first (it moves right when `out` is the original's buffer), then the header.
  if (!payload.empty())
    std::memmove(out.data() + header_size + kRtxHeaderSize, payload.data(), payload.size());
  std::memmove(out.data(), original.bytes().data(), header_size);
  store_be16(out.data() + header_size, original_seq);
  out[0] &= static_cast<uint8_t>(~0x20);  // padding is not carried over
  out[1] = static_cast<uint8_t>((out[1] & 0x80) | rtx_pt);
  store_be16(out.data() + 2, rtx_seq);
  store_be32(out.data() + 8, rtx_ssrc);
  return total;
}

size_t unwrap_rtx(const RtpPacket& rtx, uint8_t original_pt, uint32_t original_ssrc, MutableByteSpan out) {
  const ByteSpan payload = rtx.payload();
  if (payload.size() < kRtxHeaderSize || original_pt > 127) return 0;
  const size_t header_size = rtx.header_size();
  const size_t media_size = payload.size() - kRtxHeaderSize;
  const size_t total = header_size + media_size;
  if (out.size() < total) return 0;
  const uint16_t original_seq = load_be16(payload.data());
  // Header first, then the payload (it moves left when `out` is the RTX packet's buffer).
  std::memmove(out.data(), rtx.bytes().data(), header_size);
  if (media_size > 0) std::memmove(out.data() + header_size, payload.data() + kRtxHeaderSize, media_size);
  out[0] &= static_cast<uint8_t>(~0x20);
  out[1] = static_cast<uint8_t>((out[1] & 0x80) | original_pt);
  store_be16(out.data() + 2, original_seq);
  store_be32(out.data() + 8, original_ssrc);
  return total;
}

}  // namespace sfu::rtp
