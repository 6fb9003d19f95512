// SRTP session keys from the master key and salt that DTLS exports: the AES-CM PRF of RFC 3711
// §4.3.3 with a key derivation rate of 0 (every session key derived once, at the start), as RFC
// 7714 §11 also uses it for AES-GCM, whose 12-byte master salt is extended with two zero bytes
// (the PRF's x is 112 bits).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "base/bytes.h"
#include "rtp/srtp_profile.h"

namespace sfu::rtp {

// The labels of RFC 3711 §4.3.1 (a key identifier's first byte).
enum class SrtpKeyLabel : uint8_t {
  RtpEncryption = 0x00,
  RtpAuthentication = 0x01,
  RtpSalt = 0x02,
  RtcpEncryption = 0x03,
  RtcpAuthentication = 0x04,
  RtcpSalt = 0x05,
};

// Fills `out` with PRF(master_key, label): the AES-CM key stream (AES-128 or AES-256, after the
// master key's length) whose initial counter block is (master_salt XOR label << 48) << 16.
// master_salt is at most 14 bytes, shorter ones are padded with zeros. False on a bad length.
bool srtp_derive_key(ByteSpan master_key, ByteSpan master_salt, SrtpKeyLabel label, MutableByteSpan out);

// The keys for one of RTP or RTCP. Unused parts (auth for GCM) stay zero.
struct SrtpKeys {
  std::array<uint8_t, 32> encryption{};
  std::array<uint8_t, 20> authentication{};  // HMAC-SHA1 key, n_a = 160 bits
  std::array<uint8_t, 14> salt{};            // AES-CM: 14 bytes; GCM: the first 12
  size_t encryption_size = 0;
  size_t salt_size = 0;

  ByteSpan encryption_key() const { return ByteSpan(encryption).first(encryption_size); }
  ByteSpan salt_bytes() const { return ByteSpan(salt).first(salt_size); }
};

// Every session key of one direction; wiped when destroyed.
struct SrtpSessionKeys {
  SrtpKeys rtp;
  SrtpKeys rtcp;
  SrtpSessionKeys() = default;
  SrtpSessionKeys(const SrtpSessionKeys&) = default;
  SrtpSessionKeys& operator=(const SrtpSessionKeys&) = default;
  ~SrtpSessionKeys();
};

// key_and_salt is the master key followed by the master salt (srtp_key_salt_length(profile)).
std::optional<SrtpSessionKeys> derive_srtp_session_keys(SrtpProfile profile, ByteSpan key_and_salt);

}  // namespace sfu::rtp
