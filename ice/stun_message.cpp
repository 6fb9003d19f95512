#include "ice/stun_message.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include <cstring>
#include <initializer_list>
#include <memory>

namespace sfu::ice {

namespace {

constexpr size_t kAttributeHeaderSize = 4;
constexpr size_t kMessageIntegritySize = 20;  // HMAC-SHA1
constexpr size_t kFingerprintSize = 4;
constexpr uint32_t kFingerprintXor = 0x5354554e;

size_t padded(size_t length) { return (length + 3) & ~size_t{3}; }

std::string_view text_view(const uint8_t* p, size_t n) {
  return n == 0 ? std::string_view() : std::string_view(reinterpret_cast<const char*>(p), n);
}

// The 14-bit message type interleaves the 12 method bits with the two class bits C0 (bit 4) and
// C1 (bit 8) (RFC 8489 §5).
uint16_t encode_message_type(uint16_t method, StunClass message_class) {
  const unsigned c = static_cast<unsigned>(message_class);
  const unsigned m = method & 0x0FFFu;
  return static_cast<uint16_t>((m & 0x000Fu) | ((m & 0x0070u) << 1) | ((m & 0x0F80u) << 2) | ((c & 1u) << 4) |
                               ((c & 2u) << 7));
}

void decode_message_type(uint16_t type, uint16_t& method, StunClass& message_class) {
  method = static_cast<uint16_t>((type & 0x000Fu) | ((type & 0x00E0u) >> 1) | ((type & 0x3E00u) >> 2));
  message_class = static_cast<StunClass>(((type >> 4) & 1u) | ((type >> 7) & 2u));
}

constexpr std::array<uint32_t, 256> make_crc32_table() {
  std::array<uint32_t, 256> table{};
  for (uint32_t i = 0; i < 256; ++i) {
    uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1u) ? (0xEDB88320u ^ (c >> 1)) : (c >> 1);
    table[i] = c;
  }
  return table;
}
constexpr std::array<uint32_t, 256> kCrc32Table = make_crc32_table();

struct MacCtxFree {
  void operator()(EVP_MAC_CTX* ctx) const { EVP_MAC_CTX_free(ctx); }
};
using MacCtxPtr = std::unique_ptr<EVP_MAC_CTX, MacCtxFree>;

MacCtxPtr make_hmac_sha1_ctx() {
  EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
  if (mac == nullptr) return nullptr;
  MacCtxPtr ctx(EVP_MAC_CTX_new(mac));
  EVP_MAC_free(mac);  // the context holds its own reference
  if (!ctx) return nullptr;
  char digest[] = "SHA1";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
                         OSSL_PARAM_construct_end()};
  if (EVP_MAC_CTX_set_params(ctx.get(), params) != 1) return nullptr;
  return ctx;
}

// HMAC-SHA1 over the concatenation of `parts`. Fetching the algorithm is the expensive part of
// OpenSSL 3, so each thread fetches once and re-keys the same context for every message.
bool hmac_sha1(std::string_view key, std::initializer_list<ByteSpan> parts,
               uint8_t (&out)[kMessageIntegritySize]) {
  thread_local MacCtxPtr ctx = make_hmac_sha1_ctx();
  if (!ctx) return false;
  // A null key would mean "keep the previous key" to OpenSSL, so an empty key still gets a pointer.
  static const unsigned char kEmpty = 0;
  const auto* key_bytes = key.empty() ? &kEmpty : reinterpret_cast<const unsigned char*>(key.data());
  if (EVP_MAC_init(ctx.get(), key_bytes, key.size(), nullptr) != 1) return false;
  for (ByteSpan part : parts) {
    if (!part.empty() && EVP_MAC_update(ctx.get(), part.data(), part.size()) != 1) return false;
  }
  size_t out_length = 0;
  return EVP_MAC_final(ctx.get(), out, &out_length, sizeof(out)) == 1 && out_length == kMessageIntegritySize;
}

std::optional<SocketAddress> decode_xor_address(const uint8_t* v, size_t length,
                                                const StunTransactionId& transaction_id) {
  if (length < 4) return std::nullopt;
  const uint8_t family = v[1];
  const uint16_t port = static_cast<uint16_t>(load_be16(v + 2) ^ (kStunMagicCookie >> 16));
  if (family == 0x01 && length == 8) {
    sockaddr_in sin{};
    sin.sin_family = AF_INET;
    sin.sin_port = htons(port);
    sin.sin_addr.s_addr = htonl(load_be32(v + 4) ^ kStunMagicCookie);
    return SocketAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&sin));
  }
  if (family == 0x02 && length == 20) {
    uint8_t mask[16];
    store_be32(mask, kStunMagicCookie);
    std::memcpy(mask + 4, transaction_id.data(), transaction_id.size());
    sockaddr_in6 sin6{};
    sin6.sin6_family = AF_INET6;
    sin6.sin6_port = htons(port);
    for (size_t i = 0; i < 16; ++i) sin6.sin6_addr.s6_addr[i] = static_cast<uint8_t>(v[4 + i] ^ mask[i]);
    return SocketAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&sin6));
  }
  return std::nullopt;
}

template <typename T>
void set_first(std::optional<T>& field, T value) {
  if (!field) field = value;
}

// Interprets one attribute that precedes MESSAGE-INTEGRITY (FINGERPRINT is handled by the caller).
StunParseError parse_attribute(uint16_t type, const uint8_t* v, size_t length, size_t offset,
                               StunMessage& m) {
  using namespace stun_attr;
  switch (type) {
    case kUsername:
      set_first(m.username, text_view(v, length));
      return StunParseError::None;
    case kSoftware:
      set_first(m.software, text_view(v, length));
      return StunParseError::None;
    case kRealm:
      set_first(m.realm, text_view(v, length));
      return StunParseError::None;
    case kNonce:
      set_first(m.nonce, text_view(v, length));
      return StunParseError::None;
    case kMessageIntegrity:
      if (length != kMessageIntegritySize) return StunParseError::BadAttributeValue;
      m.message_integrity_offset = offset;
      return StunParseError::None;
    case kXorMappedAddress: {
      auto address = decode_xor_address(v, length, m.transaction_id);
      if (!address) return StunParseError::BadAttributeValue;
      set_first(m.xor_mapped_address, *address);
      return StunParseError::None;
    }
    case kPriority:
      if (length != 4) return StunParseError::BadAttributeValue;
      set_first(m.priority, load_be32(v));
      return StunParseError::None;
    case kUseCandidate:
      if (length != 0) return StunParseError::BadAttributeValue;
      m.use_candidate = true;
      return StunParseError::None;
    case kIceControlling:
      if (length != 8) return StunParseError::BadAttributeValue;
      set_first(m.ice_controlling, load_be64(v));
      return StunParseError::None;
    case kIceControlled:
      if (length != 8) return StunParseError::BadAttributeValue;
      set_first(m.ice_controlled, load_be64(v));
      return StunParseError::None;
    case kErrorCode: {
      if (length < 4) return StunParseError::BadAttributeValue;
      const int error_class = v[2] & 0x07;
      const int number = v[3];
      if (error_class < 3 || error_class > 6 || number > 99) return StunParseError::BadAttributeValue;
      set_first(m.error_code, StunErrorCode{error_class * 100 + number, text_view(v + 4, length - 4)});
      return StunParseError::None;
    }
    case kMappedAddress:
    case kUnknownAttributes:
    case kMessageIntegritySha256:
    case kPasswordAlgorithm:
    case kUserhash:
      return StunParseError::None;  // understood by STUN, not needed by ICE
    default:
      if (type < 0x8000) {
        if (m.unknown_required_count < StunMessage::kMaxUnknownKept)
          m.unknown_required[m.unknown_required_count] = type;
        ++m.unknown_required_count;
      }
      return StunParseError::None;
  }
}

}  // namespace

const char* to_string(StunParseError error) {
  switch (error) {
    case StunParseError::None:
      return "none";
    case StunParseError::TooShort:
      return "too_short";
    case StunParseError::NotStun:
      return "not_stun";
    case StunParseError::BadLength:
      return "bad_length";
    case StunParseError::TruncatedAttribute:
      return "truncated_attribute";
    case StunParseError::BadAttributeValue:
      return "bad_attribute_value";
    case StunParseError::AttributeAfterFingerprint:
      return "attribute_after_fingerprint";
  }
  return "unknown";
}

bool looks_like_stun(ByteSpan packet) {
  if (packet.size() < kStunHeaderSize) return false;
  if ((packet[0] & 0xC0) != 0) return false;
  const size_t length = load_be16(packet.data() + 2);
  return length % 4 == 0 && length + kStunHeaderSize == packet.size() &&
         load_be32(packet.data() + 4) == kStunMagicCookie;
}

StunParseResult parse_stun(ByteSpan packet) {
  StunParseResult result;
  auto fail = [&result](StunParseError error) {
    result.error = error;
    return result;
  };
  if (packet.size() < kStunHeaderSize) return fail(StunParseError::TooShort);
  const uint8_t* p = packet.data();
  if ((p[0] & 0xC0) != 0 || load_be32(p + 4) != kStunMagicCookie) return fail(StunParseError::NotStun);
  const size_t body_length = load_be16(p + 2);
  if (body_length % 4 != 0 || body_length + kStunHeaderSize != packet.size())
    return fail(StunParseError::BadLength);

  StunMessage& m = result.message;
  decode_message_type(load_be16(p), m.method, m.message_class);
  std::memcpy(m.transaction_id.data(), p + 8, m.transaction_id.size());

  bool after_integrity = false;
  size_t offset = kStunHeaderSize;
  while (offset < packet.size()) {
    const size_t remaining = packet.size() - offset;
    if (remaining < kAttributeHeaderSize) return fail(StunParseError::TruncatedAttribute);
    const uint16_t type = load_be16(p + offset);
    const size_t length = load_be16(p + offset + 2);
    if (padded(length) > remaining - kAttributeHeaderSize) return fail(StunParseError::TruncatedAttribute);
    if (m.fingerprint_offset) return fail(StunParseError::AttributeAfterFingerprint);
    const uint8_t* value = p + offset + kAttributeHeaderSize;

    if (type == stun_attr::kFingerprint) {
      if (length != kFingerprintSize) return fail(StunParseError::BadAttributeValue);
      m.fingerprint_offset = offset;
      m.fingerprint = load_be32(value);
    } else if (!after_integrity) {
      const StunParseError error = parse_attribute(type, value, length, offset, m);
      if (error != StunParseError::None) return fail(error);
      after_integrity = type == stun_attr::kMessageIntegrity || type == stun_attr::kMessageIntegritySha256;
    }
    offset += kAttributeHeaderSize + padded(length);
  }
  return result;
}

bool verify_message_integrity(ByteSpan raw, const StunMessage& message, std::string_view key) {
  if (!message.message_integrity_offset) return false;
  const size_t mi_offset = *message.message_integrity_offset;
  const size_t mi_end = mi_offset + kAttributeHeaderSize + kMessageIntegritySize;
  if (mi_offset < kStunHeaderSize || mi_end > raw.size()) return false;
  // The HMAC covers the message as if it ended with MESSAGE-INTEGRITY: the length field is
  // rewritten to exclude anything after it (FINGERPRINT) (RFC 8489 §14.5).
  uint8_t adjusted_length[2];
  store_be16(adjusted_length, static_cast<uint16_t>(mi_end - kStunHeaderSize));
  uint8_t expected[kMessageIntegritySize];
  if (!hmac_sha1(key, {raw.subspan(0, 2), ByteSpan(adjusted_length), raw.subspan(4, mi_offset - 4)},
                 expected))
    return false;
  return CRYPTO_memcmp(expected, raw.data() + mi_offset + kAttributeHeaderSize, kMessageIntegritySize) == 0;
}

uint32_t stun_crc32(ByteSpan data) {
  uint32_t crc = 0xFFFFFFFFu;
  for (uint8_t byte : data) crc = kCrc32Table[(crc ^ byte) & 0xFFu] ^ (crc >> 8);
  return crc ^ 0xFFFFFFFFu;
}

bool verify_fingerprint(ByteSpan raw, const StunMessage& message) {
  if (!message.fingerprint_offset) return false;
  const size_t fp_offset = *message.fingerprint_offset;
  if (fp_offset < kStunHeaderSize || fp_offset + kAttributeHeaderSize + kFingerprintSize > raw.size())
    return false;
  // FINGERPRINT is the last attribute, so the header length already ends with it.
  return (stun_crc32(raw.subspan(0, fp_offset)) ^ kFingerprintXor) == message.fingerprint;
}

// ---------------------------------------------------------------------------------------------
// StunBuilder

void StunBuilder::start(uint16_t method, StunClass message_class, const StunTransactionId& transaction_id) {
  started_ = true;
  failed_ = out_.size() < kStunHeaderSize;
  size_ = 0;
  if (failed_) return;
  uint8_t* p = out_.data();
  store_be16(p, encode_message_type(method, message_class));
  store_be16(p + 2, 0);
  store_be32(p + 4, kStunMagicCookie);
  std::memcpy(p + 8, transaction_id.data(), transaction_id.size());
  size_ = kStunHeaderSize;
}

void StunBuilder::set_length_field(size_t body_length) {
  store_be16(out_.data() + 2, static_cast<uint16_t>(body_length));
}

uint8_t* StunBuilder::append_attribute(uint16_t type, size_t value_length) {
  if (!ok()) return nullptr;
  const size_t total = kAttributeHeaderSize + padded(value_length);
  // The message length field is 16 bits and counts everything after the header.
  if (value_length > 0xFFFF || total > out_.size() - size_ || size_ - kStunHeaderSize + total > 0xFFFF) {
    failed_ = true;
    return nullptr;
  }
  uint8_t* attribute = out_.data() + size_;
  store_be16(attribute, type);
  store_be16(attribute + 2, static_cast<uint16_t>(value_length));
  std::memset(attribute + kAttributeHeaderSize + value_length, padding_, padded(value_length) - value_length);
  size_ += total;
  set_length_field(size_ - kStunHeaderSize);
  return attribute + kAttributeHeaderSize;
}

void StunBuilder::add_bytes(uint16_t type, std::string_view value) {
  uint8_t* v = append_attribute(type, value.size());
  if (v != nullptr && !value.empty()) std::memcpy(v, value.data(), value.size());
}

void StunBuilder::add_attribute(uint16_t type, ByteSpan value) {
  uint8_t* v = append_attribute(type, value.size());
  if (v != nullptr && !value.empty()) std::memcpy(v, value.data(), value.size());
}

void StunBuilder::add_u64(uint16_t type, uint64_t value) {
  if (uint8_t* v = append_attribute(type, 8)) store_be64(v, value);
}

void StunBuilder::add_priority(uint32_t priority) {
  if (uint8_t* v = append_attribute(stun_attr::kPriority, 4)) store_be32(v, priority);
}

void StunBuilder::add_use_candidate() { append_attribute(stun_attr::kUseCandidate, 0); }

void StunBuilder::add_xor_mapped_address(const SocketAddress& address) {
  if (!ok()) return;
  if (!address.valid()) {
    failed_ = true;  // nothing sensible to write; fail the whole message
    return;
  }
  const uint16_t xport = static_cast<uint16_t>(address.port() ^ (kStunMagicCookie >> 16));
  if (address.is_v4()) {
    uint8_t* v = append_attribute(stun_attr::kXorMappedAddress, 8);
    if (v == nullptr) return;
    v[0] = 0;
    v[1] = 0x01;
    store_be16(v + 2, xport);
    store_be32(v + 4, ntohl(address.v4().sin_addr.s_addr) ^ kStunMagicCookie);
    return;
  }
  uint8_t* v = append_attribute(stun_attr::kXorMappedAddress, 20);
  if (v == nullptr) return;
  v[0] = 0;
  v[1] = 0x02;
  store_be16(v + 2, xport);
  uint8_t mask[16];
  store_be32(mask, kStunMagicCookie);
  std::memcpy(mask + 4, out_.data() + 8, 12);  // the transaction id written by start()
  for (size_t i = 0; i < 16; ++i)
    v[4 + i] = static_cast<uint8_t>(address.v6().sin6_addr.s6_addr[i] ^ mask[i]);
}

void StunBuilder::add_error_code(int code, std::string_view reason) {
  if (!ok()) return;
  if (code < 300 || code > 699) {
    failed_ = true;
    return;
  }
  uint8_t* v = append_attribute(stun_attr::kErrorCode, 4 + reason.size());
  if (v == nullptr) return;
  v[0] = 0;
  v[1] = 0;
  v[2] = static_cast<uint8_t>(code / 100);
  v[3] = static_cast<uint8_t>(code % 100);
  if (!reason.empty()) std::memcpy(v + 4, reason.data(), reason.size());
}

void StunBuilder::add_unknown_attributes(std::span<const uint16_t> types) {
  uint8_t* v = append_attribute(stun_attr::kUnknownAttributes, types.size() * 2);
  if (v == nullptr) return;
  for (size_t i = 0; i < types.size(); ++i) store_be16(v + 2 * i, types[i]);
}

void StunBuilder::add_message_integrity(std::string_view key) {
  const size_t mi_offset = size_;
  // append_attribute already counts MESSAGE-INTEGRITY in the length field, as the HMAC requires.
  uint8_t* v = append_attribute(stun_attr::kMessageIntegrity, kMessageIntegritySize);
  if (v == nullptr) return;
  uint8_t mac[kMessageIntegritySize];
  if (!hmac_sha1(key, {ByteSpan(out_.data(), mi_offset)}, mac)) {
    failed_ = true;
    return;
  }
  std::memcpy(v, mac, sizeof(mac));
}

void StunBuilder::add_fingerprint() {
  const size_t fp_offset = size_;
  uint8_t* v = append_attribute(stun_attr::kFingerprint, kFingerprintSize);
  if (v == nullptr) return;
  store_be32(v, stun_crc32(ByteSpan(out_.data(), fp_offset)) ^ kFingerprintXor);
}

}  // namespace sfu::ice
