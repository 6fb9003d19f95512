// SRTP and SRTCP (RFC 3711 AES-CM + HMAC-SHA1, RFC 7714 AES-GCM) directly on OpenSSL's
// libcrypto: one direction of one transport, every SSRC of it.
//
// The session keys are derived once at creation and the cipher contexts keyed once; a packet
// only sets its IV. Per SSRC there is replay state (SrtpStreamTable), made on the first packet
// of the SSRC (inbound: the first that authenticates). Nothing allocates per packet after that.
//
// Behaviour matches libsrtp2 packet for packet (the tests check it against libsrtp2): the same
// bytes out, the same index estimation and replay windows, the same error for the same bad
// packet, checked in the same order. The SrtpSession facade has already checked the direction,
// the minimum lengths and the capacity before a call gets here.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "base/bytes.h"
#include "rtp/srtp_cipher.h"
#include "rtp/srtp_error.h"
#include "rtp/srtp_key_derivation.h"
#include "rtp/srtp_profile.h"
#include "rtp/srtp_stream_table.h"

namespace sfu::rtp {

class OpensslSrtp {
 public:
  // key_and_salt is the master key followed by the master salt. nullptr (and *error) on failure.
  static std::unique_ptr<OpensslSrtp> create(SrtpProfile profile, ByteSpan key_and_salt, bool outbound,
                                             std::string* error);
  // From session keys already derived (create() derives them; RFC 7714's test vectors give them).
  static std::unique_ptr<OpensslSrtp> create(SrtpProfile profile, const SrtpSessionKeys& keys, bool outbound,
                                             std::string* error);

  SrtpError protect_rtp(uint8_t* buf, size_t& len);
  SrtpError protect_rtcp(uint8_t* buf, size_t& len);
  SrtpError unprotect_rtp(uint8_t* buf, size_t& len);
  SrtpError unprotect_rtcp(uint8_t* buf, size_t& len);

  void reserve_streams(size_t streams) { streams_.reserve(streams); }
  void forget_stream(uint32_t ssrc) { streams_.erase(ssrc); }
  size_t stream_count() const { return streams_.size(); }

 private:
  // The keyed primitives and salt of RTP or of RTCP.
  struct Crypto {
    AesGcm gcm;          // AEAD profiles
    AesCounterMode ctr;  // AES-CM profiles
    HmacSha1 hmac;       // AES-CM profiles
    std::array<uint8_t, 14> salt{};
    size_t tag_size = 0;
  };

  explicit OpensslSrtp(SrtpProfile profile) : aead_(srtp_profile_is_aead(profile)) {}

  // Encrypts or decrypts the payload, and makes or checks the tag (len = header + payload + tag).
  bool seal_rtp(uint8_t* buf, size_t header, size_t payload, uint64_t index);
  bool open_rtp(uint8_t* buf, size_t header, size_t payload, uint64_t index);
  // Checks the tag of buf[0, protected_size) and the trailer that follows, and decrypts.
  bool open_rtcp(uint8_t* buf, size_t protected_size, const uint8_t* trailer, bool encrypted, uint32_t index);

  bool aead_;
  Crypto rtp_;
  Crypto rtcp_;
  SrtpStreamTable streams_;
};

}  // namespace sfu::rtp
