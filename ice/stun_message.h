// STUN messages (RFC 8489, formerly RFC 5389) as ICE needs them: a parser that produces a view
// over the caller's buffer, integrity and fingerprint checks, and a builder that writes into a
// caller-provided buffer. Nothing here allocates on the heap per message; the HMAC goes through
// OpenSSL, which keeps one reusable MAC context per thread.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "base/bytes.h"
#include "base/socket_address.h"

namespace sfu::ice {

inline constexpr uint32_t kStunMagicCookie = 0x2112A442;
inline constexpr size_t kStunHeaderSize = 20;
inline constexpr uint16_t kStunBindingMethod = 0x001;

// Attribute types used by ICE (RFC 8489 §18.3, RFC 8445 §16.1).
namespace stun_attr {
inline constexpr uint16_t kMappedAddress = 0x0001;
inline constexpr uint16_t kUsername = 0x0006;
inline constexpr uint16_t kMessageIntegrity = 0x0008;
inline constexpr uint16_t kErrorCode = 0x0009;
inline constexpr uint16_t kUnknownAttributes = 0x000A;
inline constexpr uint16_t kRealm = 0x0014;
inline constexpr uint16_t kNonce = 0x0015;
inline constexpr uint16_t kMessageIntegritySha256 = 0x001C;
inline constexpr uint16_t kPasswordAlgorithm = 0x001D;
inline constexpr uint16_t kUserhash = 0x001E;
inline constexpr uint16_t kXorMappedAddress = 0x0020;
inline constexpr uint16_t kPriority = 0x0024;
inline constexpr uint16_t kUseCandidate = 0x0025;
inline constexpr uint16_t kSoftware = 0x8022;
inline constexpr uint16_t kFingerprint = 0x8028;
inline constexpr uint16_t kIceControlled = 0x8029;
inline constexpr uint16_t kIceControlling = 0x802A;
}  // namespace stun_attr

enum class StunClass : uint8_t { Request = 0, Indication = 1, SuccessResponse = 2, ErrorResponse = 3 };

using StunTransactionId = std::array<uint8_t, 12>;

struct StunErrorCode {
  int code = 0;             // 300..699
  std::string_view reason;  // UTF-8 reason phrase, a view into the parsed buffer
};

// A parsed STUN message. Every string_view points into the buffer given to parse_stun, which must
// outlive this object. Only the first occurrence of an attribute counts (RFC 8489 §14), and
// attributes after MESSAGE-INTEGRITY other than FINGERPRINT are ignored because they are not
// covered by the integrity check (RFC 8489 §14.5).
struct StunMessage {
  uint16_t method = 0;
  StunClass message_class = StunClass::Request;
  StunTransactionId transaction_id{};

  std::optional<std::string_view> username;
  std::optional<std::string_view> software;
  std::optional<std::string_view> realm;
  std::optional<std::string_view> nonce;
  // Offset of the MESSAGE-INTEGRITY attribute header from the start of the message.
  std::optional<size_t> message_integrity_offset;
  // Offset of the FINGERPRINT attribute header and its value, when present.
  std::optional<size_t> fingerprint_offset;
  uint32_t fingerprint = 0;
  std::optional<SocketAddress> xor_mapped_address;
  std::optional<uint32_t> priority;
  bool use_candidate = false;
  std::optional<uint64_t> ice_controlling;
  std::optional<uint64_t> ice_controlled;
  std::optional<StunErrorCode> error_code;

  // Comprehension-required attributes (type < 0x8000) this code does not know. The first few types
  // are kept so an agent can answer 420 with UNKNOWN-ATTRIBUTES.
  static constexpr size_t kMaxUnknownKept = 4;
  size_t unknown_required_count = 0;
  std::array<uint16_t, kMaxUnknownKept> unknown_required{};

  bool has_unknown_required() const { return unknown_required_count > 0; }
  std::span<const uint16_t> unknown_required_types() const {
    return {unknown_required.data(),
            unknown_required_count < kMaxUnknownKept ? unknown_required_count : kMaxUnknownKept};
  }
  bool has_fingerprint() const { return fingerprint_offset.has_value(); }
  bool has_message_integrity() const { return message_integrity_offset.has_value(); }
  bool is_binding_request() const {
    return method == kStunBindingMethod && message_class == StunClass::Request;
  }
};

// Why a packet is not a usable STUN message; one counter per reason.
enum class StunParseError : uint8_t {
  None,
  TooShort,                   // fewer than 20 bytes
  NotStun,                    // leading bits not 00 or wrong magic cookie
  BadLength,                  // length field not a multiple of 4 or not matching the packet size
  TruncatedAttribute,         // an attribute runs past the end of the message
  BadAttributeValue,          // a known attribute with an impossible size or content
  AttributeAfterFingerprint,  // FINGERPRINT must be the last attribute (RFC 8489 §14.7)
};

const char* to_string(StunParseError error);

struct StunParseResult {
  StunParseError error = StunParseError::None;
  StunMessage message;  // meaningful only when ok()

  bool ok() const { return error == StunParseError::None; }
};

// The cheap test used to demultiplex: leading bits 00, length a multiple of 4 that matches the
// packet size, and the magic cookie.
bool looks_like_stun(ByteSpan packet);

StunParseResult parse_stun(ByteSpan packet);

// HMAC-SHA1 check of MESSAGE-INTEGRITY (RFC 8489 §14.5). For short-term credentials (ICE) the key
// is the password itself; for long-term credentials pass the 16-byte MD5 key. `raw` must be the
// buffer `message` was parsed from.
bool verify_message_integrity(ByteSpan raw, const StunMessage& message, std::string_view key);

// CRC-32 of the message up to FINGERPRINT, XOR 0x5354554e (RFC 8489 §14.7).
bool verify_fingerprint(ByteSpan raw, const StunMessage& message);

// CRC-32 (ISO-HDLC, the zlib one) of `data`; exposed for tests.
uint32_t stun_crc32(ByteSpan data);

// Writes a STUN message into a caller-provided buffer. Each add_* appends one attribute; once a
// step does not fit, the builder stays failed and finish() returns 0. MESSAGE-INTEGRITY and
// FINGERPRINT must be added last, in that order.
class StunBuilder {
 public:
  explicit StunBuilder(MutableByteSpan out) : out_(out) {}

  // Padding content is arbitrary (RFC 8489 §14); zero by default. RFC 5769 pads with spaces, so
  // its vectors can be reproduced byte for byte with set_padding_byte(0x20).
  void set_padding_byte(uint8_t value) { padding_ = value; }

  void start(uint16_t method, StunClass message_class, const StunTransactionId& transaction_id);
  void add_username(std::string_view username) { add_bytes(stun_attr::kUsername, username); }
  void add_software(std::string_view software) { add_bytes(stun_attr::kSoftware, software); }
  void add_xor_mapped_address(const SocketAddress& address);
  void add_priority(uint32_t priority);
  void add_use_candidate();
  void add_ice_controlling(uint64_t tie_breaker) { add_u64(stun_attr::kIceControlling, tie_breaker); }
  void add_ice_controlled(uint64_t tie_breaker) { add_u64(stun_attr::kIceControlled, tie_breaker); }
  void add_error_code(int code, std::string_view reason);
  void add_unknown_attributes(std::span<const uint16_t> types);
  // Any other attribute, value given raw (e.g. REALM, NONCE, vendor attributes, or tests).
  void add_attribute(uint16_t type, ByteSpan value);
  void add_message_integrity(std::string_view key);
  void add_fingerprint();

  // Total message length, or 0 when the buffer was too small at any step (or start was not called).
  size_t finish() const { return ok() ? size_ : 0; }
  bool ok() const { return started_ && !failed_; }

 private:
  // Reserves an attribute of `value_length` bytes (plus padding) and returns a pointer to its
  // value, or nullptr when it does not fit.
  uint8_t* append_attribute(uint16_t type, size_t value_length);
  void add_bytes(uint16_t type, std::string_view value);
  void add_u64(uint16_t type, uint64_t value);
  void set_length_field(size_t body_length);

  MutableByteSpan out_;
  size_t size_ = 0;
  uint8_t padding_ = 0;
  bool started_ = false;
  bool failed_ = false;
};

}  // namespace sfu::ice
