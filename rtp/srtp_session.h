// One direction of SRTP/SRTCP protection for one transport, on one of two backends: OpenSSL's
// libcrypto directly (OpensslSrtp, the default) or libsrtp2 (LibsrtpSrtp). Both behave alike
// packet for packet; the tests hold them to it.
//
// An SFU transport needs two sessions: an Inbound one (keyed with the peer's key from
// DTLS, unprotects what the peer sends) and an Outbound one (keyed with our key,
// protects what we send). Each covers every SSRC of its direction, so new streams need no setup.
//
// Per SSRC that authenticates, the backend keeps replay state. An inbound session can therefore
// be given a stream limit: a packet on one SSRC more is refused (SsrcLimit) before the backend
// sees it, so a peer cycling through SSRCs grows neither memory nor the lookup.
//
// All packet operations work in place on the caller's buffer. With the OpenSSL backend nothing
// allocates per packet (only the first packet of an SSRC adds its replay state); Debian's
// libsrtp2 is built on NSS, which allocates inside every call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "rtp/srtp_error.h"
#include "rtp/srtp_profile.h"

namespace sfu::rtp {

class OpensslSrtp;
class LibsrtpSrtp;

enum class SrtpBackend { OpenSsl, Libsrtp2 };

// "openssl" or "libsrtp2", as rtc.srtp_backend names them.
const char* srtp_backend_name(SrtpBackend backend);
std::optional<SrtpBackend> srtp_backend_from_name(std::string_view name);

class SrtpSession {
 public:
  enum class Direction { Inbound, Outbound };

  // Bytes a protect call may append: libsrtp requires this much spare capacity after
  // the packet (the auth tag plus room for an MKI), and SRTCP adds a 4-byte index. The OpenSSL
  // backend needs less; the bound is the same so that callers need not know the backend.
  static constexpr size_t kMaxRtpTrailer = 144;
  static constexpr size_t kMaxRtcpTrailer = 144 + 4;

  // Replay window in packets. Inbound it absorbs reordering; outbound it bounds how old
  // a retransmitted (NACK-answered) packet may be and still be re-protected.
  static constexpr unsigned long kReplayWindow = 1024;

  // key_and_salt is the master key followed by the master salt, exactly
  // srtp_key_salt_length(profile) bytes. Returns nullptr (and sets *error) on failure.
  static std::unique_ptr<SrtpSession> create(SrtpBackend backend, SrtpProfile profile, ByteSpan key_and_salt,
                                             Direction direction, std::string* error = nullptr);
  // The same on the default backend (OpenSSL).
  static std::unique_ptr<SrtpSession> create(SrtpProfile profile, ByteSpan key_and_salt, Direction direction,
                                             std::string* error = nullptr);

  ~SrtpSession();
  SrtpSession(SrtpSession&& other) noexcept;
  SrtpSession& operator=(SrtpSession&& other) noexcept;
  SrtpSession(const SrtpSession&) = delete;
  SrtpSession& operator=(const SrtpSession&) = delete;

  // Outbound only. Encrypts buf[0, len) in place and appends the tag; len grows.
  // Needs capacity >= len + kMaxRtpTrailer (kMaxRtcpTrailer for RTCP).
  // Protecting the same RTP sequence number twice is allowed (retransmissions), as long
  // as it is within the replay window and the payload is the same.
  SrtpError protect_rtp(uint8_t* buf, size_t& len, size_t capacity);
  SrtpError protect_rtcp(uint8_t* buf, size_t& len, size_t capacity);

  // Inbound only. Verifies and decrypts buf[0, len) in place; len shrinks to the
  // plaintext length. On error buf may have been modified and len is unchanged.
  SrtpError unprotect_rtp(uint8_t* buf, size_t& len);
  SrtpError unprotect_rtcp(uint8_t* buf, size_t& len);

  // Inbound: at most `max_ssrcs` distinct SSRCs (an RTP stream and its RTCP share one) get
  // replay state; 0 = no limit (the default). Set it before the first packet.
  void set_stream_limit(size_t max_ssrcs);
  // Inbound: frees the replay state of `ssrc`, so its place can serve another SSRC. For streams
  // the user knows have ended (an unpublished track's).
  void forget_stream(uint32_t ssrc);
  // Inbound SSRCs holding a place under the limit (0 without a limit).
  size_t stream_count() const { return streams_.size(); }

  SrtpProfile profile() const { return profile_; }
  Direction direction() const { return direction_; }
  SrtpBackend backend() const { return openssl_ ? SrtpBackend::OpenSsl : SrtpBackend::Libsrtp2; }

 private:
  SrtpSession(SrtpProfile profile, Direction direction);

  // False once moved from.
  bool usable() const { return openssl_ || libsrtp_; }
  // Whether a packet of `ssrc` may reach the backend: known, or a place is free (no limit: always).
  bool admits(uint32_t ssrc) const;
  // After the backend accepted a packet of `ssrc`: it now holds state for it.
  void note_stream(uint32_t ssrc);

  // Exactly one is set. A branch per packet, not a virtual call.
  std::unique_ptr<OpensslSrtp> openssl_;
  std::unique_ptr<LibsrtpSrtp> libsrtp_;
  SrtpProfile profile_;
  Direction direction_;
  size_t stream_limit_ = 0;
  std::vector<uint32_t> streams_;  // inbound SSRCs the backend holds state for; capacity = limit
};

}  // namespace sfu::rtp
