// RTCP common header (RFC 3550 section 6.4), compound-packet walking, lazy fixed-size record
// lists used by the typed views in rtcp_parser.h, and in-place rewrites for the forwarder.
//
// Nothing here allocates: headers and records are views into the caller's buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>

#include "base/bytes.h"

namespace sfu::rtp {

enum class RtcpPacketType : uint8_t {
  kSenderReport = 200,
  kReceiverReport = 201,
  kSdes = 202,
  kBye = 203,
  kApp = 204,
  kRtpFeedback = 205,      // RFC 4585 transport-layer feedback (RTPFB)
  kPayloadFeedback = 206,  // RFC 4585 payload-specific feedback (PSFB)
  kExtendedReport = 207,
};

// Feedback message types (the FMT field, in the count position of the header).
inline constexpr uint8_t kFmtGenericNack = 1;   // RTPFB, RFC 4585
inline constexpr uint8_t kFmtTransportCc = 15;  // RTPFB, draft-holmer-rmcat-transport-wide-cc-extensions
inline constexpr uint8_t kFmtPli = 1;           // PSFB, RFC 4585
inline constexpr uint8_t kFmtFir = 4;           // PSFB, RFC 5104
inline constexpr uint8_t kFmtAfb = 15;          // PSFB application layer feedback (REMB)

inline constexpr size_t kRtcpHeaderSize = 4;

// RFC 5761 section 4 / RFC 7983: version 2 and a packet type in 192..223 distinguishes RTCP from
// RTP on a multiplexed port. Needs at least a full common header.
bool is_rtcp(ByteSpan data);

enum class RtcpError : uint8_t {
  kNone,
  kEmpty,       // nothing to parse
  kTruncated,   // fewer than 4 bytes left, or the length field runs past the end
  kBadVersion,  // version is not 2
  kBadPadding,  // padding count is 0 or larger than the packet body
};

const char* to_string(RtcpError error);

// One packet of a compound, as found by RtcpCompoundIterator.
struct RtcpHeader {
  bool padding = false;
  uint8_t count = 0;  // RC, SC or FMT, depending on the packet type
  uint8_t packet_type = 0;
  uint16_t length_words = 0;  // the raw length field: size in 32-bit words minus one
  size_t offset = 0;          // of this packet within the compound
  ByteSpan packet;            // the whole packet, 4 * (length_words + 1) bytes
  ByteSpan body;              // after the 4-byte header, without padding

  uint8_t format() const { return count; }
  size_t size() const { return packet.size(); }
  bool is(RtcpPacketType type) const { return packet_type == static_cast<uint8_t>(type); }
};

// Walks a compound RTCP packet. next() returns false at the end or at the first bad packet;
// error() tells which (kNone at a clean end). Packets already returned stay valid.
class RtcpCompoundIterator {
 public:
  explicit RtcpCompoundIterator(ByteSpan compound) : compound_(compound) {
    if (compound.empty()) error_ = RtcpError::kEmpty;
  }

  bool next(RtcpHeader& out);
  RtcpError error() const { return error_; }

 private:
  ByteSpan compound_;
  size_t offset_ = 0;
  RtcpError error_ = RtcpError::kNone;
};

// Walks the whole compound; returns kNone when every byte belongs to a well-formed packet.
RtcpError validate_rtcp_compound(ByteSpan compound, size_t* packet_count = nullptr);

// How a record type is read from the wire; specialise for plain integers.
template <typename T>
struct RtcpRecordTraits {
  static constexpr size_t kSize = T::kSize;
  static T decode(const uint8_t* p) { return T::decode(p); }
};
template <>
struct RtcpRecordTraits<uint32_t> {
  static constexpr size_t kSize = 4;
  static uint32_t decode(const uint8_t* p) { return load_be32(p); }
};

// A lazily decoded array of fixed-size records (report blocks, SSRCs, NACK items, FIR entries).
template <typename T>
class RtcpRecordList {
 public:
  static constexpr size_t kRecordSize = RtcpRecordTraits<T>::kSize;

  RtcpRecordList() = default;
  // `data` must hold a whole number of records; extra bytes are ignored.
  explicit RtcpRecordList(ByteSpan data) : data_(data.first(data.size() - data.size() % kRecordSize)) {}

  size_t size() const { return data_.size() / kRecordSize; }
  bool empty() const { return data_.empty(); }
  T operator[](size_t index) const { return RtcpRecordTraits<T>::decode(data_.data() + index * kRecordSize); }
  ByteSpan bytes() const { return data_; }

  class iterator {
   public:
    using iterator_category = std::input_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = T;

    iterator() = default;
    explicit iterator(const uint8_t* position) : position_(position) {}
    T operator*() const { return RtcpRecordTraits<T>::decode(position_); }
    iterator& operator++() {
      position_ += kRecordSize;
      return *this;
    }
    iterator operator++(int) {
      iterator copy = *this;
      position_ += kRecordSize;
      return copy;
    }
    bool operator==(const iterator& other) const { return position_ == other.position_; }

   private:
    // Points into the packet buffer, not at the list, so iterating a temporary list is safe.
    const uint8_t* position_ = nullptr;
  };
  iterator begin() const { return iterator(data_.data()); }
  iterator end() const { return iterator(data_.data() + data_.size()); }

 private:
  ByteSpan data_;
};

// The mutable bytes of one packet of `compound`, as located by the iterator.
inline MutableByteSpan mutable_rtcp_packet(MutableByteSpan compound, const RtcpHeader& header) {
  return compound.subspan(header.offset, header.size());
}

// In-place rewrites for RTCP the forwarder passes on. Each takes one packet (not a compound) and
// returns false, changing nothing, when the packet is not of the expected type or is too short.
//
// Media SSRC of RTPFB (NACK, transport-cc) and PSFB (PLI, ...) feedback. FIR leaves the header
// field unused (0, RFC 5104 section 4.3.1.2) and names its targets in the FCI, so for FIR every
// entry's SSRC is rewritten instead. REMB (PSFB FMT 15) carries a list of SSRCs that cannot be
// mapped to one value and is refused: the server terminates REMB per hop.
bool rewrite_feedback_media_ssrc(MutableByteSpan packet, uint32_t media_ssrc);
// Sender SSRC of RTPFB or PSFB feedback.
bool rewrite_feedback_sender_ssrc(MutableByteSpan packet, uint32_t sender_ssrc);
// Sender SSRC of a sender report.
bool rewrite_sender_report_ssrc(MutableByteSpan packet, uint32_t sender_ssrc);

}  // namespace sfu::rtp
