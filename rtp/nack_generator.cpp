#include "rtp/nack_generator.h"

#include <algorithm>

#include "rtp/sequence_number.h"

namespace sfu::rtp {
namespace {

// A packet this far behind the newest that is not one we are waiting for is either garbage or the
// sender restarting its sequence numbers; RFC 3550 appendix A.1 tells them apart by whether the
// next packet directly follows it. Never less than max_gap + 1, so that a false restart is undone
// by an overflow (keyframe request), not by a burst of NACKs for packets that were not lost.
constexpr int64_t kMinRestartDistance = 3000;

}  // namespace

NackGenerator::NackGenerator(const Config& config)
    : config_(config), entries_(std::max<size_t>(config.max_missing, 1)) {}

void NackGenerator::reset() {
  head_ = 0;
  count_ = 0;
  live_ = 0;
  started_ = false;
  highest_ = 0;
  restart_candidate_.reset();
}

void NackGenerator::on_packet(uint16_t seq, uint64_t now_ms) {
  if (!started_) {
    started_ = true;
    highest_ = seq;
    return;
  }
  const int64_t delta = seq_distance(static_cast<uint16_t>(highest_), seq);
  if (delta > 0) {
    const int64_t gap = delta - 1;
    if (gap > static_cast<int64_t>(config_.max_gap)) {
      overflow();
    } else if (gap > 0) {
      add_missing(highest_ + 1, highest_ + delta, now_ms);
    }
    highest_ += delta;
    return;
  }
  if (delta == 0) return;  // a duplicate of the newest packet

  const int64_t extended = highest_ + delta;
  const size_t live_before = live_;
  remove_missing(extended);
  if (live_ != live_before) return;

  const int64_t restart_distance =
      std::max<int64_t>(kMinRestartDistance, static_cast<int64_t>(config_.max_gap) + 1);
  if (-delta <= restart_distance) return;  // a duplicate, or a packet already given up on
  if (restart_candidate_ != seq) {
    restart_candidate_ = static_cast<uint16_t>(seq + 1);
    return;
  }
  // Two packets in a row far behind: the sender restarted. Nothing between them is missing.
  reset();
  started_ = true;
  highest_ = seq;
  ++restarts_;
}

void NackGenerator::add_missing(int64_t from, int64_t to, uint64_t now_ms) {
  const size_t n = static_cast<size_t>(to - from);
  if (count_ + n > entries_.size()) compact();
  if (count_ + n > entries_.size()) {
    overflow();
    return;
  }
  for (int64_t extended = from; extended < to; ++extended) {
    Entry& entry = at(count_++);
    entry.extended_seq = extended;
    entry.due_ms = now_ms + config_.reorder_delay_ms;
    entry.sent = 0;
    entry.live = true;
  }
  live_ += n;
}

void NackGenerator::remove_missing(int64_t extended) {
  // Entries are in increasing sequence order (dead ones keep their number), so binary search.
  size_t low = 0;
  size_t high = count_;
  while (low < high) {
    const size_t middle = low + (high - low) / 2;
    if (at(middle).extended_seq < extended) {
      low = middle + 1;
    } else {
      high = middle;
    }
  }
  if (low == count_) return;
  Entry& entry = at(low);
  if (entry.extended_seq != extended || !entry.live) return;
  entry.live = false;
  --live_;
  ++recovered_;
  drop_dead_head();
}

size_t NackGenerator::collect(uint64_t now_ms, uint32_t rtt_ms, std::span<uint16_t> out) {
  const uint64_t interval = std::max(rtt_ms, config_.min_retry_interval_ms);
  size_t written = 0;
  for (size_t position = 0; position < count_; ++position) {
    Entry& entry = at(position);
    if (!entry.live || now_ms < entry.due_ms) continue;
    if (entry.sent >= config_.max_retries) {
      entry.live = false;
      --live_;
      ++given_up_;
      continue;
    }
    if (written == out.size()) continue;  // still due next time; keep looking for give-ups
    out[written++] = static_cast<uint16_t>(entry.extended_seq);
    ++entry.sent;
    entry.due_ms = now_ms + interval;
    ++nacks_sent_;
  }
  drop_dead_head();
  return written;
}

void NackGenerator::drop_dead_head() {
  while (count_ > 0 && !at(0).live) {
    head_ = (head_ + 1) % entries_.size();
    --count_;
  }
}

void NackGenerator::compact() {
  size_t kept = 0;
  for (size_t position = 0; position < count_; ++position) {
    if (at(position).live) {
      const Entry entry = at(position);
      at(kept++) = entry;
    }
  }
  count_ = kept;
}

void NackGenerator::overflow() {
  head_ = 0;
  count_ = 0;
  live_ = 0;
  keyframe_needed_ = true;
  ++overflows_;
}

}  // namespace sfu::rtp
