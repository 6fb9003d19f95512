// Reception statistics of one incoming RTP stream (one SSRC), as reported in RTCP receiver report
// blocks: RFC 3550 section 6.4.1, with the algorithms of appendix A.1 (sequence number
// validation), A.3 (expected and lost packets) and A.8 (interarrival jitter).
//
// Differences from the letter of the RFC, each because the server receives retransmissions:
// - Duplicates are recognised (a bitmap of the last kHistorySize sequence numbers) and not
//   counted, so a retransmitted copy of a packet that did arrive does not make the loss count
//   negative. The RFC counts duplicates and lets cumulative loss go negative.
// - A packet up to kMaxMisorder behind the highest one is a late arrival (reordered or
//   retransmitted) and is counted; the RFC's limit of 100 is too small for retransmissions of a
//   high-rate video stream. A packet older than the first one received lowers the base, so
//   packets reordered around the start are not "lost".
// - Jitter is updated only for packets that advance the highest sequence number and carry a new
//   RTP timestamp (as libwebrtc does): retransmissions arrive late by design, and the packets of
//   one video frame share a timestamp while the sender paces them out over several
//   milliseconds; counting either would report pacing and recovery delay as network jitter.
//
// A jump of kMaxDropout or more ahead, or more than kMaxMisorder back, is a possible source
// restart (appendix A.1): that packet is not counted, and if the next one follows it directly the
// stream continues from there (both counted), without counting the skipped range as lost.
//
// Arrival times are in milliseconds, so jitter has a resolution of clock_rate / 1000 timestamp
// units. Nothing allocates; each packet costs O(1) (amortised over sequence number advances).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>

#include "rtp/rtcp_parser.h"

namespace sfu::rtp {

class ReceiveStatistics {
 public:
  static constexpr int64_t kMaxDropout = 3000;  // RFC 3550 A.1 MAX_DROPOUT
  static constexpr int64_t kMaxMisorder = 1000;
  static constexpr size_t kHistorySize = 2048;  // duplicate detection window, > kMaxMisorder

  explicit ReceiveStatistics(uint32_t clock_rate);

  void on_packet(uint16_t seq, uint32_t rtp_timestamp, uint64_t arrival_ms, size_t bytes);
  // `ntp_timestamp` is the SR's 64-bit NTP timestamp (32.32 fixed point).
  void on_sender_report(uint64_t ntp_timestamp, uint64_t arrival_ms);

  // The report block about this stream, to be sent now. Fraction lost covers the interval since
  // the previous call (appendix A.3), so call it once per report sent.
  ReportBlock make_report_block(uint32_t source_ssrc, uint64_t now_ms);

  // Distinct packets (and their bytes) counted as received; duplicates and packets taken for
  // garbage by the restart check are not included.
  uint64_t packets_received() const { return received_; }
  uint64_t bytes_received() const { return bytes_received_; }
  uint64_t duplicates() const { return duplicates_; }
  uint64_t restarts() const { return restarts_; }
  // expected - received since the first packet (not clamped; negative only in corner cases such as
  // a duplicate older than the history window).
  int64_t cumulative_lost() const;
  // Extended highest sequence number received (cycles << 16 | highest), 0 before any packet.
  uint32_t extended_highest_sequence() const;
  // Interarrival jitter, in RTP timestamp units and in milliseconds.
  uint32_t jitter() const { return static_cast<uint32_t>(jitter_q4_ >> 4); }
  double jitter_ms() const;
  uint32_t clock_rate() const { return clock_rate_; }

 private:
  static constexpr size_t kHistoryWords = kHistorySize / 64;

  void start(uint16_t seq);
  void advance_highest(int64_t extended);
  bool test_and_set(int64_t extended);
  void clear_history();
  void update_jitter(uint32_t rtp_timestamp, uint64_t arrival_ms);

  const uint32_t clock_rate_;
  bool started_ = false;
  // Extended sequence numbers, with the first packet's number as it came (no cycles): base_ may go
  // below it (and below zero) when older packets arrive late.
  int64_t base_ = 0;
  int64_t highest_ = 0;
  uint64_t received_ = 0;
  uint64_t bytes_received_ = 0;
  uint64_t duplicates_ = 0;
  uint64_t restarts_ = 0;
  // Appendix A.3 interval state.
  int64_t expected_prior_ = 0;
  uint64_t received_prior_ = 0;
  // Appendix A.1 restart probation: the sequence number that would confirm a restart, and the
  // size of the packet that proposed it (counted if confirmed).
  std::optional<uint16_t> restart_candidate_;
  size_t restart_candidate_bytes_ = 0;
  // Appendix A.8 state; jitter is kept scaled by 16 as in the RFC's integer version.
  bool has_transit_ = false;
  uint32_t last_transit_ = 0;
  uint32_t last_timestamp_ = 0;
  uint64_t jitter_q4_ = 0;
  // Last SR: middle 32 bits of its NTP timestamp, and when it arrived.
  bool has_sender_report_ = false;
  uint32_t last_sr_ = 0;
  uint64_t last_sr_arrival_ms_ = 0;
  std::array<uint64_t, kHistoryWords> history_{};
};

}  // namespace sfu::rtp
