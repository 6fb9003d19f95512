// One direction of SRTP/SRTCP protection for one transport, over libsrtp2.
//
// An SFU transport needs two sessions: an Inbound one (keyed with the peer's key from
// DTLS, unprotects what the peer sends) and an Outbound one (keyed with our key,
// protects what we send). Each covers every SSRC of its direction (libsrtp's
// ssrc_any_inbound / ssrc_any_outbound templates), so new streams need no setup.
//
// For each SSRC that authenticates, libsrtp clones a stream (keys and a replay window) and
// searches its streams linearly on every packet. An inbound session can therefore be given a
// stream limit: a packet on one SSRC more is refused (SsrcLimit) before libsrtp sees it, so a
// peer cycling through SSRCs grows neither memory nor the lookup.
//
// All packet operations work in place on the caller's buffer and never allocate
// (except libsrtp's one-time stream clone the first time an SSRC is seen).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "rtp/srtp_profile.h"

struct srtp_ctx_t_;  // libsrtp's session; kept out of this header on purpose

namespace sfu::rtp {

enum class SrtpError {
  Ok,
  ReplayOld,       // index older than the replay window
  ReplayFail,      // index already seen (a replayed or duplicated packet)
  AuthFail,        // authentication tag mismatch: tampered, or wrong key
  BufferTooSmall,  // not enough capacity after the packet for the trailer
  BadInput,        // malformed or too short packet, or wrong direction for the call
  SsrcLimit,       // inbound: a new SSRC beyond the session's stream limit (libsrtp never saw it)
  Other,           // any other libsrtp failure
};

// A stable name per error, for counters ("srtp_unprotect_errors{reason=...}").
const char* srtp_error_name(SrtpError error);

class SrtpSession {
 public:
  enum class Direction { Inbound, Outbound };

  // Bytes a protect call may append: libsrtp requires this much spare capacity after
  // the packet (the auth tag plus room for an MKI), and SRTCP adds a 4-byte index.
  static constexpr size_t kMaxRtpTrailer = 144;
  static constexpr size_t kMaxRtcpTrailer = 144 + 4;

  // Replay window in packets. Inbound it absorbs reordering; outbound it bounds how old
  // a retransmitted (NACK-answered) packet may be and still be re-protected.
  static constexpr unsigned long kReplayWindow = 1024;

  // key_and_salt is the master key followed by the master salt, exactly
  // srtp_key_salt_length(profile) bytes. Returns nullptr (and sets *error) on failure.
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
  // libsrtp state; 0 = no limit (the default). Set it before the first packet.
  void set_stream_limit(size_t max_ssrcs);
  // Inbound: frees libsrtp's state of `ssrc` (srtp_remove_stream), so its place can serve
  // another SSRC. For streams the user knows have ended (an unpublished track's).
  void forget_stream(uint32_t ssrc);
  // Inbound SSRCs holding a place under the limit (0 without a limit).
  size_t stream_count() const { return streams_.size(); }

  SrtpProfile profile() const { return profile_; }
  Direction direction() const { return direction_; }

 private:
  SrtpSession(srtp_ctx_t_* session, SrtpProfile profile, Direction direction);

  // Whether a packet of `ssrc` may reach libsrtp: known, or a place is free (no limit: always).
  bool admits(uint32_t ssrc) const;
  // After libsrtp accepted a packet of `ssrc`: it now holds a stream for it.
  void note_stream(uint32_t ssrc);

  srtp_ctx_t_* session_ = nullptr;
  SrtpProfile profile_;
  Direction direction_;
  size_t stream_limit_ = 0;
  std::vector<uint32_t> streams_;  // inbound SSRCs libsrtp holds a stream for; capacity = limit
};

}  // namespace sfu::rtp
