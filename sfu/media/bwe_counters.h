// The send-side bandwidth estimation counters of one worker (docs/protocol.md, section 6): the
// transport-cc feedback and REMB its subscribers sent, how often an estimate saw over-use, RTP
// packets sent without a transport-wide sequence number, and a snapshot of the current estimates
// of its subscriber connections as histogram buckets (refreshed by the worker's 100 ms tick).
// Written by the worker thread only (relaxed single-writer updates, base/counter.h), read by
// /metrics on the control thread; a scrape may see buckets of two consecutive ticks.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "base/counter.h"

namespace sfu {

class BweCounters {
 public:
  // Upper bounds of the estimate histogram's buckets, bits per second (and +Inf after them).
  static constexpr std::array<uint64_t, 9> kBucketBounds = {
      100'000, 250'000, 500'000, 1'000'000, 2'000'000, 3'000'000, 5'000'000, 10'000'000, 20'000'000};
  static constexpr size_t kBuckets = kBucketBounds.size() + 1;

  // The estimates of one tick, built by the worker and published at once.
  struct Snapshot {
    std::array<uint64_t, kBuckets> counts{};  // per bucket, not cumulative
    uint64_t sum_bps = 0;
    uint64_t count = 0;
    void add(double bps) {
      const auto value = static_cast<uint64_t>(bps);
      size_t i = 0;
      while (i < kBucketBounds.size() && value > kBucketBounds[i]) ++i;
      ++counts[i];
      sum_bps += value;
      ++count;
    }
  };

  void count_feedback(bool parsed) { bump(parsed ? feedback_parsed_ : feedback_malformed_); }
  void count_remb() { bump(remb_); }
  void count_overuse(uint64_t events) { bump(overuse_, events); }
  void count_unstamped() { bump(unstamped_); }
  // The allocator and prober (bandwidth_controller.h).
  void count_probe_cluster() { bump(probe_clusters_); }
  void count_probe_packets(uint64_t packets, uint64_t bytes) {
    bump(probe_packets_, packets);
    bump(probe_bytes_, bytes);
  }
  void count_allocation(uint64_t paused, uint64_t resumed, uint64_t down, uint64_t up) {
    bump(tracks_paused_, paused);
    bump(tracks_resumed_, resumed);
    bump(allocation_down_, down);
    bump(allocation_up_, up);
  }
  // The pacers (pacer.h): packets sent after waiting in a queue, and sent at once by a flush.
  void count_paced(uint64_t paced, uint64_t flushed) {
    if (paced) bump(paced_packets_, paced);
    if (flushed) bump(pacer_flushed_, flushed);
  }
  void publish(const Snapshot& snapshot) {
    for (size_t i = 0; i < kBuckets; ++i) buckets_[i].store(snapshot.counts[i], std::memory_order_relaxed);
    sum_bps_.store(snapshot.sum_bps, std::memory_order_relaxed);
    count_.store(snapshot.count, std::memory_order_relaxed);
  }

  uint64_t feedback_parsed() const { return feedback_parsed_.load(std::memory_order_relaxed); }
  uint64_t feedback_malformed() const { return feedback_malformed_.load(std::memory_order_relaxed); }
  uint64_t remb() const { return remb_.load(std::memory_order_relaxed); }
  uint64_t overuse() const { return overuse_.load(std::memory_order_relaxed); }
  uint64_t unstamped() const { return unstamped_.load(std::memory_order_relaxed); }
  uint64_t probe_clusters() const { return probe_clusters_.load(std::memory_order_relaxed); }
  uint64_t probe_packets() const { return probe_packets_.load(std::memory_order_relaxed); }
  uint64_t probe_bytes() const { return probe_bytes_.load(std::memory_order_relaxed); }
  uint64_t tracks_paused() const { return tracks_paused_.load(std::memory_order_relaxed); }
  uint64_t tracks_resumed() const { return tracks_resumed_.load(std::memory_order_relaxed); }
  uint64_t allocation_down() const { return allocation_down_.load(std::memory_order_relaxed); }
  uint64_t allocation_up() const { return allocation_up_.load(std::memory_order_relaxed); }
  uint64_t paced_packets() const { return paced_packets_.load(std::memory_order_relaxed); }
  uint64_t pacer_flushed() const { return pacer_flushed_.load(std::memory_order_relaxed); }
  uint64_t bucket(size_t i) const { return buckets_[i].load(std::memory_order_relaxed); }
  uint64_t sum_bps() const { return sum_bps_.load(std::memory_order_relaxed); }
  uint64_t count() const { return count_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> feedback_parsed_{0}, feedback_malformed_{0}, remb_{0}, overuse_{0}, unstamped_{0};
  std::atomic<uint64_t> probe_clusters_{0}, probe_packets_{0}, probe_bytes_{0}, tracks_paused_{0},
      tracks_resumed_{0}, allocation_down_{0}, allocation_up_{0}, paced_packets_{0}, pacer_flushed_{0};
  std::array<std::atomic<uint64_t>, kBuckets> buckets_{};
  std::atomic<uint64_t> sum_bps_{0}, count_{0};
};

}  // namespace sfu
