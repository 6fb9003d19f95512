#include "rtp/receive_statistics.h"

#include <algorithm>
#include <cstdlib>

#include "rtp/sequence_number.h"

namespace sfu::rtp {
namespace {

// The 24-bit signed range of the cumulative-lost field (RFC 3550 appendix A.3).
constexpr int64_t kMaxCumulativeLost = 0x7FFFFF;
constexpr int64_t kMinCumulativeLost = -0x800000;

}  // namespace

ReceiveStatistics::ReceiveStatistics(uint32_t clock_rate) : clock_rate_(clock_rate) {}

void ReceiveStatistics::start(uint16_t seq) {
  started_ = true;
  base_ = seq;
  highest_ = seq;
  clear_history();
  test_and_set(seq);
  has_transit_ = false;
}

void ReceiveStatistics::on_packet(uint16_t seq, uint32_t rtp_timestamp, uint64_t arrival_ms, size_t bytes) {
  if (!started_) {
    start(seq);
    ++received_;
    bytes_received_ += bytes;
    update_jitter(rtp_timestamp, arrival_ms);
    return;
  }

  const int64_t delta = seq_distance(static_cast<uint16_t>(highest_), seq);
  if (delta > 0 && delta < kMaxDropout) {
    // In order, possibly after a gap.
    advance_highest(highest_ + delta);
    test_and_set(highest_);
    ++received_;
    bytes_received_ += bytes;
    if (rtp_timestamp != last_timestamp_ || !has_transit_) update_jitter(rtp_timestamp, arrival_ms);
    return;
  }
  if (delta <= 0 && -delta <= kMaxMisorder) {
    // Late: reordered or retransmitted, or a duplicate.
    const int64_t extended = highest_ + delta;
    if (test_and_set(extended)) {
      ++duplicates_;
      return;
    }
    base_ = std::min(base_, extended);
    ++received_;
    bytes_received_ += bytes;
    return;
  }

  // A jump too large to be loss or reordering: a restart if the next packet confirms it.
  if (restart_candidate_ != seq) {
    restart_candidate_ = static_cast<uint16_t>(seq + 1);
    restart_candidate_bytes_ = bytes;
    return;
  }
  // Continue the extended numbering forwards to `seq` (so the low 16 bits match the sender's and
  // the extended number never goes back), and move the base up by the skipped range so that it
  // is neither expected nor lost: `expected` grows by exactly the two packets of the new run.
  const int64_t extended = highest_ + static_cast<uint16_t>(seq - static_cast<uint16_t>(highest_));
  base_ += extended - highest_ - 2;
  highest_ = extended;
  clear_history();
  test_and_set(extended - 1);
  test_and_set(extended);
  received_ += 2;
  bytes_received_ += restart_candidate_bytes_ + bytes;
  restart_candidate_.reset();
  ++restarts_;
  has_transit_ = false;
  update_jitter(rtp_timestamp, arrival_ms);
}

void ReceiveStatistics::advance_highest(int64_t extended) {
  if (extended - highest_ >= static_cast<int64_t>(kHistorySize)) {
    clear_history();
  } else {
    for (int64_t e = highest_ + 1; e <= extended; ++e) {
      const uint64_t index = static_cast<uint64_t>(e) % kHistorySize;
      history_[index / 64] &= ~(uint64_t{1} << (index % 64));
    }
  }
  highest_ = extended;
}

bool ReceiveStatistics::test_and_set(int64_t extended) {
  const uint64_t index = static_cast<uint64_t>(extended) % kHistorySize;
  const uint64_t bit = uint64_t{1} << (index % 64);
  uint64_t& word = history_[index / 64];
  const bool was_set = (word & bit) != 0;
  word |= bit;
  return was_set;
}

void ReceiveStatistics::clear_history() { history_.fill(0); }

void ReceiveStatistics::update_jitter(uint32_t rtp_timestamp, uint64_t arrival_ms) {
  // Arrival time in timestamp units, modulo 2^32 (only differences matter). Split into seconds and
  // milliseconds so the product cannot overflow for any realistic clock.
  const uint64_t arrival_units = (arrival_ms / 1000) * clock_rate_ + (arrival_ms % 1000) * clock_rate_ / 1000;
  const uint32_t transit = static_cast<uint32_t>(arrival_units) - rtp_timestamp;
  if (has_transit_) {
    const int64_t d = std::abs(static_cast<int64_t>(static_cast<int32_t>(transit - last_transit_)));
    // RFC 3550 A.8, integer form: jitter (scaled by 16) += |D| - jitter / 16, rounded.
    jitter_q4_ += d - ((jitter_q4_ + 8) >> 4);
  }
  has_transit_ = true;
  last_transit_ = transit;
  last_timestamp_ = rtp_timestamp;
}

void ReceiveStatistics::on_sender_report(uint64_t ntp_timestamp, uint64_t arrival_ms) {
  has_sender_report_ = true;
  last_sr_ = static_cast<uint32_t>(ntp_timestamp >> 16);
  last_sr_arrival_ms_ = arrival_ms;
}

int64_t ReceiveStatistics::cumulative_lost() const {
  if (!started_) return 0;
  return (highest_ - base_ + 1) - static_cast<int64_t>(received_);
}

uint32_t ReceiveStatistics::extended_highest_sequence() const {
  return started_ ? static_cast<uint32_t>(highest_) : 0;
}

double ReceiveStatistics::jitter_ms() const {
  if (clock_rate_ == 0) return 0.0;
  return static_cast<double>(jitter_q4_) / 16.0 * 1000.0 / clock_rate_;
}

ReportBlock ReceiveStatistics::make_report_block(uint32_t source_ssrc, uint64_t now_ms) {
  ReportBlock block;
  block.ssrc = source_ssrc;
  if (has_sender_report_) {
    block.last_sr = last_sr_;
    const uint64_t delay_ms = now_ms > last_sr_arrival_ms_ ? now_ms - last_sr_arrival_ms_ : 0;
    block.delay_since_last_sr =
        static_cast<uint32_t>(std::min<uint64_t>(delay_ms * 65536 / 1000, UINT32_MAX));
  }
  if (!started_) return block;

  // Appendix A.3.
  const int64_t expected = highest_ - base_ + 1;
  const int64_t expected_interval = expected - expected_prior_;
  const int64_t received_interval = static_cast<int64_t>(received_ - received_prior_);
  expected_prior_ = expected;
  received_prior_ = received_;
  const int64_t lost_interval = expected_interval - received_interval;
  if (expected_interval > 0 && lost_interval > 0) {
    block.fraction_lost =
        static_cast<uint8_t>(std::min<int64_t>((lost_interval << 8) / expected_interval, 255));
  }
  block.cumulative_lost =
      static_cast<int32_t>(std::clamp(cumulative_lost(), kMinCumulativeLost, kMaxCumulativeLost));
  block.extended_highest_sequence = extended_highest_sequence();
  block.jitter = jitter();
  return block;
}

}  // namespace sfu::rtp
