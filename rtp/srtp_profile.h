// The SRTP protection profiles the server negotiates over DTLS (RFC 5764, RFC 7714) and
// the key material each one needs. Header-only so the DTLS layer can name a profile
// without pulling in libsrtp.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace sfu::rtp {

// Listed in the server's order of preference: AEAD first (cheaper per packet and a
// smaller overhead per byte of auth), AES-CM + HMAC-SHA1-80 as the universally
// supported fallback.
enum class SrtpProfile { AeadAes128Gcm, AesCm128HmacSha1_80 };

// Master key length in bytes.
constexpr size_t srtp_key_length(SrtpProfile) { return 16; }

// Master salt length in bytes: 14 for AES-CM (RFC 3711), 12 for AEAD GCM (RFC 7714).
constexpr size_t srtp_salt_length(SrtpProfile profile) {
  return profile == SrtpProfile::AeadAes128Gcm ? 12 : 14;
}

// Master key followed by master salt, the layout libsrtp expects in srtp_policy_t::key.
constexpr size_t srtp_key_salt_length(SrtpProfile profile) {
  return srtp_key_length(profile) + srtp_salt_length(profile);
}

// The name OpenSSL's use_srtp configuration (SSL_set_tlsext_use_srtp) understands.
constexpr const char* srtp_profile_openssl_name(SrtpProfile profile) {
  return profile == SrtpProfile::AeadAes128Gcm ? "SRTP_AEAD_AES_128_GCM" : "SRTP_AES128_CM_SHA1_80";
}

// The profile's identifier in the DTLS use_srtp extension (IANA "DTLS-SRTP Protection
// Profiles" registry), which is what SSL_get_selected_srtp_profile()->id reports.
constexpr uint16_t srtp_profile_dtls_id(SrtpProfile profile) {
  return profile == SrtpProfile::AeadAes128Gcm ? 0x0007 : 0x0001;
}

constexpr std::optional<SrtpProfile> srtp_profile_from_dtls_id(uint64_t id) {
  if (id == 0x0007) return SrtpProfile::AeadAes128Gcm;
  if (id == 0x0001) return SrtpProfile::AesCm128HmacSha1_80;
  return std::nullopt;
}

// A short stable name for logs, metrics and config.
constexpr const char* srtp_profile_name(SrtpProfile profile) {
  return profile == SrtpProfile::AeadAes128Gcm ? "AEAD_AES_128_GCM" : "AES_CM_128_HMAC_SHA1_80";
}

constexpr std::optional<SrtpProfile> srtp_profile_from_name(std::string_view name) {
  if (name == "AEAD_AES_128_GCM") return SrtpProfile::AeadAes128Gcm;
  if (name == "AES_CM_128_HMAC_SHA1_80") return SrtpProfile::AesCm128HmacSha1_80;
  return std::nullopt;
}

}  // namespace sfu::rtp
