// Why a worker dropped a datagram. Every drop is counted under exactly one reason, and /metrics
// exports them as sfu_dropped_packets_total{reason="..."}.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "base/counter.h"

namespace sfu {

enum class DropReason : uint8_t {
  UnknownPacketKind,  // first byte in no RFC 7983 range
  UnknownAddress,     // not STUN, from a 5-tuple no transport has validated
  StunMalformed,      // not a parseable STUN message
  StunUnknownUfrag,   // binding request for a ufrag no live transport has
  StunRejected,       // failed authentication or was answered with an error
  StunNotRequest,     // responses and indications (a lite agent sends no requests)
  DtlsBeforeIce,      // DTLS from an address before any valid ICE check
  DtlsFailed,         // record refused by the DTLS transport
  SrtpBeforeDtls,     // media before keys were agreed
  SrtpAuthFailed,
  SrtpReplay,
  SrtpSsrcLimit,  // a new inbound SSRC beyond limits.ssrcs_per_transport
  SrtpOther,
  RtpMalformed,
  RtcpMalformed,
  NoRoute,  // valid media nobody subscribes to
  TransportClosed,
  RtpPadding,
  SctpUnexpected,  // SCTP (DTLS application data) on a connection whose data channels are not up
  PacerQueueFull,  // the oldest packet a subscriber's full pacer queue held (pacer.h)
  // An audio RED packet (RFC 2198) that a subscriber without RED, or with other payload types,
  // needed read and that did not parse or had no Opus primary: counted once per such subscriber.
  RedMalformed,
  // An RTX packet of a packet already received: libwebrtc sends old packets again on the RTX
  // stream as padding when it probes its uplink ("redundant payloads"), not only as repairs.
  RtxDuplicate,
  kCount
};

constexpr std::array<const char*, static_cast<size_t>(DropReason::kCount)> kDropReasonNames = {
    "unknown_packet_kind", "unknown_address",  "stun_malformed",  "stun_unknown_ufrag",
    "stun_rejected",       "stun_not_request", "dtls_before_ice", "dtls_failed",
    "srtp_before_dtls",    "srtp_auth_failed", "srtp_replay",     "srtp_ssrc_limit",
    "srtp_other",          "rtp_malformed",    "rtcp_malformed",  "no_route",
    "transport_closed",    "rtp_padding",      "sctp_unexpected", "pacer_queue_full",
    "red_malformed",       "rtx_duplicate",
};

// Written by one worker thread, read by the control thread for /metrics.
class DropCounters {
 public:
  void count(DropReason reason, uint64_t times = 1) { bump(counts_[static_cast<size_t>(reason)], times); }
  uint64_t get(DropReason reason) const {
    return counts_[static_cast<size_t>(reason)].load(std::memory_order_relaxed);
  }

 private:
  std::array<std::atomic<uint64_t>, static_cast<size_t>(DropReason::kCount)> counts_{};
};

}  // namespace sfu
