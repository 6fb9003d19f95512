// SRTP and SRTCP through libsrtp2: one direction of one transport, every SSRC of it (libsrtp's
// ssrc_any_inbound / ssrc_any_outbound templates, so new streams need no setup). Selectable with
// rtc.srtp_backend: libsrtp2 (for platforms whose libsrtp2 is built on OpenSSL), and the oracle the
// OpenSSL backend is tested against.
//
// For each SSRC that authenticates, libsrtp clones a stream (a replay window) and searches its
// streams linearly on every packet. Debian builds libsrtp2 on NSS, which allocates per packet.
// The SrtpSession facade has already checked the direction, the minimum lengths and the capacity.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "base/bytes.h"
#include "rtp/srtp_error.h"
#include "rtp/srtp_profile.h"

struct srtp_ctx_t_;  // libsrtp's session; kept out of this header on purpose

namespace sfu::rtp {

class LibsrtpSrtp {
 public:
  static std::unique_ptr<LibsrtpSrtp> create(SrtpProfile profile, ByteSpan key_and_salt, bool outbound,
                                             std::string* error);
  ~LibsrtpSrtp();
  LibsrtpSrtp(const LibsrtpSrtp&) = delete;
  LibsrtpSrtp& operator=(const LibsrtpSrtp&) = delete;

  SrtpError protect_rtp(uint8_t* buf, size_t& len);
  SrtpError protect_rtcp(uint8_t* buf, size_t& len);
  SrtpError unprotect_rtp(uint8_t* buf, size_t& len);
  SrtpError unprotect_rtcp(uint8_t* buf, size_t& len);
  // srtp_remove_stream: frees libsrtp's state of `ssrc`.
  void forget_stream(uint32_t ssrc);

 private:
  explicit LibsrtpSrtp(srtp_ctx_t_* session) : session_(session) {}
  srtp_ctx_t_* session_;
};

}  // namespace sfu::rtp
