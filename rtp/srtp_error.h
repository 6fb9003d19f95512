// What an SRTP/SRTCP operation reports, whichever backend ran it.
#pragma once

namespace sfu::rtp {

enum class SrtpError {
  Ok,
  ReplayOld,       // index older than the replay window
  ReplayFail,      // index already seen (a replayed or duplicated packet)
  AuthFail,        // authentication tag mismatch: tampered, or wrong key
  BufferTooSmall,  // not enough capacity after the packet for the trailer
  BadInput,        // malformed or too short packet, or wrong direction for the call
  SsrcLimit,       // inbound: a new SSRC beyond the session's stream limit (no state was made for it)
  Other,           // any other failure (a crypto library error, an exhausted SRTCP index)
};

// A stable name per error, for counters ("srtp_unprotect_errors{reason=...}").
const char* srtp_error_name(SrtpError error);

}  // namespace sfu::rtp
