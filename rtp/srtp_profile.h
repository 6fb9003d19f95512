// The SRTP protection profiles (RFC 5764, RFC 7714) and the key material and tags each one
// needs. Header-only so the DTLS layer can name a profile without pulling in the SRTP code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

namespace sfu::rtp {

// Every profile the SRTP backends implement. The DTLS layer offers its own list (by default
// AEAD_AES_128_GCM then AES_CM_128_HMAC_SHA1_80, in the server's order of preference: AEAD
// first, cheaper per packet and a smaller overhead per byte of auth; AES-CM + HMAC-SHA1-80 as
// the universally supported fallback).
enum class SrtpProfile { AeadAes128Gcm, AesCm128HmacSha1_80, AeadAes256Gcm, AesCm128HmacSha1_32 };

inline constexpr SrtpProfile kAllSrtpProfiles[] = {
    SrtpProfile::AeadAes128Gcm, SrtpProfile::AesCm128HmacSha1_80, SrtpProfile::AeadAes256Gcm,
    SrtpProfile::AesCm128HmacSha1_32};

// AEAD (AES-GCM, RFC 7714) rather than AES counter mode with HMAC-SHA1 (RFC 3711).
constexpr bool srtp_profile_is_aead(SrtpProfile profile) {
  return profile == SrtpProfile::AeadAes128Gcm || profile == SrtpProfile::AeadAes256Gcm;
}

// Master key length in bytes (also the length of the session encryption keys).
constexpr size_t srtp_key_length(SrtpProfile profile) {
  return profile == SrtpProfile::AeadAes256Gcm ? 32 : 16;
}

// Master salt length in bytes: 14 for AES-CM (RFC 3711), 12 for AEAD GCM (RFC 7714).
constexpr size_t srtp_salt_length(SrtpProfile profile) { return srtp_profile_is_aead(profile) ? 12 : 14; }

// Master key followed by master salt, the layout both backends take.
constexpr size_t srtp_key_salt_length(SrtpProfile profile) {
  return srtp_key_length(profile) + srtp_salt_length(profile);
}

// Authentication tag appended to SRTP packets: GCM's 16 bytes, HMAC-SHA1 truncated to 80 or 32 bits.
constexpr size_t srtp_rtp_tag_length(SrtpProfile profile) {
  if (srtp_profile_is_aead(profile)) return 16;
  return profile == SrtpProfile::AesCm128HmacSha1_32 ? 4 : 10;
}

// SRTCP always carries an 80-bit HMAC-SHA1 tag, also under the _32 profile (RFC 5764 §4.1.2).
constexpr size_t srtp_rtcp_tag_length(SrtpProfile profile) { return srtp_profile_is_aead(profile) ? 16 : 10; }

// The name OpenSSL's use_srtp configuration (SSL_set_tlsext_use_srtp) understands.
constexpr const char* srtp_profile_openssl_name(SrtpProfile profile) {
  switch (profile) {
    case SrtpProfile::AeadAes128Gcm:
      return "SRTP_AEAD_AES_128_GCM";
    case SrtpProfile::AesCm128HmacSha1_80:
      return "SRTP_AES128_CM_SHA1_80";
    case SrtpProfile::AeadAes256Gcm:
      return "SRTP_AEAD_AES_256_GCM";
    case SrtpProfile::AesCm128HmacSha1_32:
      return "SRTP_AES128_CM_SHA1_32";
  }
  return "";
}

// The profile's identifier in the DTLS use_srtp extension (IANA "DTLS-SRTP Protection
// Profiles" registry), which is what SSL_get_selected_srtp_profile()->id reports.
constexpr uint16_t srtp_profile_dtls_id(SrtpProfile profile) {
  switch (profile) {
    case SrtpProfile::AeadAes128Gcm:
      return 0x0007;
    case SrtpProfile::AesCm128HmacSha1_80:
      return 0x0001;
    case SrtpProfile::AeadAes256Gcm:
      return 0x0008;
    case SrtpProfile::AesCm128HmacSha1_32:
      return 0x0002;
  }
  return 0;
}

constexpr std::optional<SrtpProfile> srtp_profile_from_dtls_id(uint64_t id) {
  for (SrtpProfile profile : kAllSrtpProfiles)
    if (srtp_profile_dtls_id(profile) == id) return profile;
  return std::nullopt;
}

// A short stable name for logs, metrics and config.
constexpr const char* srtp_profile_name(SrtpProfile profile) {
  switch (profile) {
    case SrtpProfile::AeadAes128Gcm:
      return "AEAD_AES_128_GCM";
    case SrtpProfile::AesCm128HmacSha1_80:
      return "AES_CM_128_HMAC_SHA1_80";
    case SrtpProfile::AeadAes256Gcm:
      return "AEAD_AES_256_GCM";
    case SrtpProfile::AesCm128HmacSha1_32:
      return "AES_CM_128_HMAC_SHA1_32";
  }
  return "";
}

constexpr std::optional<SrtpProfile> srtp_profile_from_name(std::string_view name) {
  for (SrtpProfile profile : kAllSrtpProfiles)
    if (name == srtp_profile_name(profile)) return profile;
  return std::nullopt;
}

}  // namespace sfu::rtp
