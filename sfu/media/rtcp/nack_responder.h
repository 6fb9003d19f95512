// Answers a subscriber's generic NACK (RFC 4585 section 6.2.1) from the server's own buffer of
// the publisher's recent packets, so losses on the subscriber's hop are repaired at that hop and
// never reach the publisher. Each NACKed sequence number is mapped back into the publisher's
// space, looked up, rewritten for the subscriber and sent through the down-track's sink: as RTX
// (RFC 4588 section 4: RTX SSRC, RTX payload type, the original sequence number in the first two
// payload bytes) when the subscriber negotiated it, else as the original packet again. A
// number the buffer no longer (or never) held is counted as missed; the subscriber's own NACK
// retries and, past them, its keyframe request take over. (libdatachannel's RtcpNackResponder,
// pion/interceptor's pkg/nack responder.)
//
// A NACK is the subscriber's word only, and one ~1.2 KB NACK can name 5,000 packets (audit
// row 6), so every answer is refused, and counted by reason, when
// - the same packet went to the same subscriber less than min_resend_interval_ms ago
//   (duplicate): an item repeated within one NACK, or a NACK repeated within a round trip. The
//   interval is one round trip as NackRequester assumes it until measured (100 ms; mediasoup's
//   RtpStreamSend refuses a resend within its default RTT of 100 ms alike): a subscriber's
//   genuine retry comes about one RTT after its first NACK, when the repair was lost too;
// - the subscriber's RetransmissionBudget (media.retransmissions_per_second) is spent (budget);
// - the down-track cannot send (not started, inactive) (unsendable).
// The per-packet mark lives in the retransmission buffer (RetransmissionBuffer::mark_resent,
// keyed by the down-track's SSRC), so it costs the subscriber no memory.
//
// Thread: its room's worker. Owned by the Router; holds two packet-sized scratch buffers (the
// stored copy and the rewritten packet before RTX wrapping), allocated with it, one packet at a
// time.
#pragma once

#include <array>
#include <cstdint>

#include "base/bytes.h"
#include "rtp/rtcp_parser.h"

namespace sfu {

class DownTrack;

class NackResponder {
 public:
  struct Options {
    uint32_t min_resend_interval_ms = 100;
    uint32_t retransmissions_per_second = 1000;  // media.retransmissions_per_second
  };

  struct Result {
    uint32_t resent = 0;
    uint32_t missed = 0;       // not buffered (unknown, expired, overwritten, no media yet)
    uint32_t duplicate = 0;    // resent to this subscriber within min_resend_interval_ms
    uint32_t over_budget = 0;  // the subscriber's retransmission budget was spent
    uint32_t unsendable = 0;   // the down-track sends nothing (not started or inactive)

    Result& operator+=(const Result& other);
  };

  NackResponder() = default;
  explicit NackResponder(Options options) : options_(options) {}

  // Answers every sequence number `nack` names for `down` (the NACK's media SSRC).
  Result answer(DownTrack& down, const rtp::GenericNack& nack, uint64_t now_ms);
  // One sequence number, in the subscriber's space.
  Result answer_one(DownTrack& down, uint16_t subscriber_seq, uint64_t now_ms);

 private:
  Options options_;
  // The stored packet is copied first: the rewrite edits the header in place.
  std::array<uint8_t, 2048> copy_{};
  std::array<uint8_t, 2048> rtx_scratch_{};
};

}  // namespace sfu
