// RTP packet view (RFC 3550) with RFC 8285 header extensions, in-place rewriting for the
// forwarder, and writers for new packets and RTX (RFC 4588) into caller buffers.
//
// RtpPacket never owns or allocates: it points into the caller's buffer, which must outlive it.
// parse() validates every length once (fixed header, CSRCs, extension block and each extension
// element, padding), so the accessors below read without further checks.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <span>
#include <string_view>

#include "base/bytes.h"

namespace sfu::rtp {

enum class RtpParseError : uint8_t {
  kTooShort,      // fewer than 12 bytes
  kBadVersion,    // version is not 2
  kBadCsrcCount,  // the CSRC list runs past the end of the packet
  kBadExtension,  // the extension block or one of its elements runs past its end
  kBadPadding,    // padding count is 0 or larger than what follows the header
};

const char* to_string(RtpParseError error);

// How the header-extension block is laid out (RFC 8285 section 4).
enum class HeaderExtensionForm : uint8_t {
  kNone,     // X bit clear
  kOneByte,  // profile 0xBEDE: ids 1..14, 1..16 bytes of data
  kTwoByte,  // profile 0x100X: ids 1..255, 0..255 bytes of data
  kOther,    // another profile: opaque, no elements are reported
};

struct HeaderExtension {
  uint8_t id = 0;
  ByteSpan value;
};

// Walks the elements of an RFC 8285 extension block. Padding bytes (0) are skipped; in the
// one-byte form id 15 ends processing (RFC 8285 section 4.2). A malformed element (one that runs
// past the block) ends the walk and sets malformed().
class HeaderExtensionReader {
 public:
  HeaderExtensionReader() = default;
  HeaderExtensionReader(HeaderExtensionForm form, ByteSpan block) : form_(form), block_(block) {}

  bool next(HeaderExtension& out);
  bool malformed() const { return malformed_; }

  class iterator;  // defined below, once this class is complete
  iterator begin() const;
  iterator end() const;

 private:
  HeaderExtensionForm form_ = HeaderExtensionForm::kNone;
  ByteSpan block_;
  size_t position_ = 0;
  bool malformed_ = false;
};

// Input iterator over a reader's elements, for range-for.
class HeaderExtensionReader::iterator {
 public:
  using iterator_category = std::input_iterator_tag;
  using value_type = HeaderExtension;
  using difference_type = std::ptrdiff_t;
  using pointer = const HeaderExtension*;
  using reference = const HeaderExtension&;

  iterator() = default;
  explicit iterator(HeaderExtensionReader reader) : reader_(reader) { advance(); }
  reference operator*() const { return current_; }
  pointer operator->() const { return &current_; }
  iterator& operator++() {
    advance();
    return *this;
  }
  // Only "both at the end" compares equal, which is all range-for needs.
  bool operator==(const iterator& other) const { return done_ && other.done_; }

 private:
  void advance() { done_ = !reader_.next(current_); }
  HeaderExtensionReader reader_;
  HeaderExtension current_;
  bool done_ = true;
};

// Inline: every forwarded packet walks its block a few times (parse, remap, stamp).
inline bool HeaderExtensionReader::next(HeaderExtension& out) {
  if (form_ != HeaderExtensionForm::kOneByte && form_ != HeaderExtensionForm::kTwoByte) return false;
  const size_t size = block_.size();
  while (position_ < size) {
    const uint8_t first = block_[position_];
    if (first == 0) {  // padding byte, in both forms
      ++position_;
      continue;
    }
    size_t value_offset;
    size_t value_size;
    uint8_t id;
    if (form_ == HeaderExtensionForm::kOneByte) {
      id = first >> 4;
      if (id == 15) {  // reserved: stop processing the block
        position_ = size;
        return false;
      }
      value_offset = position_ + 1;
      value_size = static_cast<size_t>(first & 0x0F) + 1;
    } else {
      if (position_ + 2 > size) {
        malformed_ = true;
        position_ = size;
        return false;
      }
      id = first;
      value_offset = position_ + 2;
      value_size = block_[position_ + 1];
    }
    if (value_size > size - value_offset) {
      malformed_ = true;
      position_ = size;
      return false;
    }
    out.id = id;
    out.value = block_.subspan(value_offset, value_size);
    position_ = value_offset + value_size;
    return true;
  }
  return false;
}

inline HeaderExtensionReader::iterator HeaderExtensionReader::begin() const { return iterator(*this); }
inline HeaderExtensionReader::iterator HeaderExtensionReader::end() const { return iterator(); }

// RFC 6464 client-to-mixer audio level: level is -dBov, 0 (loudest) .. 127 (silence).
struct AudioLevel {
  bool voice = false;
  uint8_t level = 127;
};

class RtpPacket {
 public:
  static constexpr size_t kFixedHeaderSize = 12;
  static constexpr uint16_t kOneByteProfile = 0xBEDE;
  static constexpr uint16_t kTwoByteProfile = 0x1000;  // the low 4 bits ("appbits") may vary

  // Validates `buffer` as one RTP packet. On failure returns nullopt and, if `error` is given,
  // stores the reason there.
  static std::optional<RtpPacket> parse(MutableByteSpan buffer, RtpParseError* error = nullptr);

  // Fixed header.
  uint8_t version() const { return data_[0] >> 6; }
  bool has_padding() const { return (data_[0] & 0x20) != 0; }
  bool has_extension() const { return (data_[0] & 0x10) != 0; }
  uint8_t csrc_count() const { return data_[0] & 0x0F; }
  bool marker() const { return (data_[1] & 0x80) != 0; }
  uint8_t payload_type() const { return data_[1] & 0x7F; }
  uint16_t sequence_number() const { return load_be16(data_ + 2); }
  uint32_t timestamp() const { return load_be32(data_ + 4); }
  uint32_t ssrc() const { return load_be32(data_ + 8); }
  uint32_t csrc(size_t index) const { return load_be32(data_ + kFixedHeaderSize + 4 * index); }

  // Extension block: profile is 0 and data empty when there is none.
  uint16_t extension_profile() const { return extension_profile_; }
  HeaderExtensionForm extension_form() const;
  ByteSpan extension_data() const { return {data_ + extension_offset_, extension_size_}; }

  // Sizes and regions. header_size() covers the fixed header, CSRCs and the extension block.
  size_t size() const { return size_; }
  size_t header_size() const { return header_size_; }
  size_t payload_size() const { return size_ - header_size_ - padding_size_; }
  size_t padding_size() const { return padding_size_; }
  ByteSpan bytes() const { return {data_, size_}; }
  MutableByteSpan mutable_bytes() { return {data_, size_}; }
  ByteSpan payload() const { return {data_ + header_size_, payload_size()}; }
  MutableByteSpan mutable_payload() { return {data_ + header_size_, payload_size()}; }

  // Header extensions by local id.
  HeaderExtensionReader extensions() const { return {extension_form(), extension_data()}; }
  std::optional<ByteSpan> find_extension(uint8_t id) const;
  std::optional<MutableByteSpan> find_mutable_extension(uint8_t id);

  // Values of common extensions; nullopt when absent or of the wrong size.
  std::optional<uint32_t> abs_send_time(uint8_t id) const;              // 6.18 fixed-point seconds
  std::optional<uint16_t> transport_sequence_number(uint8_t id) const;  // transport-wide-cc
  std::optional<AudioLevel> audio_level(uint8_t id) const;              // RFC 6464
  std::optional<std::string_view> mid(uint8_t id) const { return string_extension(id); }
  std::optional<std::string_view> rid(uint8_t id) const { return string_extension(id); }
  std::optional<std::string_view> string_extension(uint8_t id) const;

  // Same-length rewrite of the value; false if the element is absent or of another size. (The
  // transport-wide sequence number is stamped, or added, by rtp::stamp_transport_sequence.)
  bool set_abs_send_time(uint8_t id, uint32_t value);

  // In-place header rewriting for the forwarder.
  void set_marker(bool marker) { data_[1] = static_cast<uint8_t>((data_[1] & 0x7F) | (marker ? 0x80 : 0)); }
  void set_payload_type(uint8_t pt) { data_[1] = static_cast<uint8_t>((data_[1] & 0x80) | (pt & 0x7F)); }
  void set_sequence_number(uint16_t seq) { store_be16(data_ + 2, seq); }
  void set_timestamp(uint32_t ts) { store_be32(data_ + 4, ts); }
  void set_ssrc(uint32_t ssrc) { store_be32(data_ + 8, ssrc); }

  // Rewrites every extension element's id to map[id]. An element is removed, by overwriting its
  // bytes (header and data) with zero padding bytes, when map[id] is 0 or cannot be expressed in
  // the packet's form (15 in the one-byte form). The packet size never changes; elements after a
  // one-byte id 15 and blocks of other profiles are left alone. Pass map[i] = i to keep an id.
  void remap_extension_ids(const std::array<uint8_t, 256>& map);

  // A view of a byte-identical copy of this packet at `copy`: same layout, so nothing is parsed
  // again. The forwarder copies each packet once per subscriber and rewrites the copy in place.
  RtpPacket view_of_copy(uint8_t* copy) const {
    RtpPacket view = *this;
    view.data_ = copy;
    return view;
  }

 private:
  RtpPacket(uint8_t* data, size_t size) : data_(data), size_(size) {}

  uint8_t* data_;
  size_t size_;
  size_t header_size_ = kFixedHeaderSize;
  size_t extension_offset_ = 0;
  size_t extension_size_ = 0;
  size_t padding_size_ = 0;
  uint16_t extension_profile_ = 0;
};

// Fields of a new RTP header.
struct RtpHeaderFields {
  bool marker = false;
  uint8_t payload_type = 0;
  uint16_t sequence_number = 0;
  uint32_t timestamp = 0;
  uint32_t ssrc = 0;
  std::span<const uint32_t> csrcs = {};  // at most 15
};

// Writes a header with the given extensions into `out` and returns its size, or 0 when it does
// not fit or the fields cannot be encoded. The one-byte form is used when every id is 1..14 and
// every value is 1..16 bytes long, otherwise the two-byte form (ids 1..255, 0..255 bytes). The
// extension block is zero-padded to a multiple of 4 bytes.
size_t write_rtp_header(const RtpHeaderFields& fields, std::span<const HeaderExtension> extensions,
                        MutableByteSpan out);

// Writes a whole packet: header, payload, then `padding_size` (0..255) bytes of RTP padding.
// Returns the packet size or 0. `payload` may point into `out` (it is moved, not copied).
size_t build_rtp_packet(const RtpHeaderFields& fields, std::span<const HeaderExtension> extensions,
                        ByteSpan payload, size_t padding_size, MutableByteSpan out);

// RFC 4588 retransmission: copies `original`'s header (CSRCs and extensions included) with the
// RTX payload type, SSRC and sequence number, then writes the original sequence number (2 bytes)
// and the original payload. Padding is dropped. Returns the RTX packet size or 0 if `out` is too
// small. `out` may be the original's own buffer (same start) when it has 2 spare bytes; the
// original view is stale afterwards, so parse the result again.
size_t build_rtx(const RtpPacket& original, uint8_t rtx_pt, uint32_t rtx_ssrc, uint16_t rtx_seq,
                 MutableByteSpan out);

// The reverse of build_rtx: restores the original sequence number, payload type and SSRC. Returns
// the restored packet size, or 0 if the RTX payload is shorter than 2 bytes or `out` too small.
// `out` may be the RTX packet's own buffer (same start); parse the result again to read it.
size_t unwrap_rtx(const RtpPacket& rtx, uint8_t original_pt, uint32_t original_ssrc, MutableByteSpan out);

}  // namespace sfu::rtp
