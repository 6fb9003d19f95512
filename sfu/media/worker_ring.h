// A bounded lock-free ring between exactly two threads: one producer, one consumer (SPSC). The
// slots are preallocated with the ring and reused in place: the producer claims the next free
// slot, fills it and publishes it; the consumer peeks at the oldest published slot, reads it and
// releases it. Nothing allocates, locks or waits after construction; a full ring refuses
// (claim() returns nullptr) and the caller counts the drop.
//
// Each side keeps a private copy of the other side's index and reads the shared one only when its
// copy says full (producer) or empty (consumer), so a burst costs one acquire load per side, not
// one per slot; drain() releases a whole batch with one store. The two indexes live on separate
// cache lines so the threads do not bounce one line between them.
//
// Thread: claim()/publish() on the producer's thread only, peek()/release()/drain() on the
// consumer's only; capacity() anywhere. Slot must be default-constructible.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>

namespace sfu {

template <typename Slot>
class SpscRing {
 public:
  // `capacity` is rounded up to a power of two (at least 2).
  explicit SpscRing(size_t capacity)
      : capacity_(round_up(capacity)), mask_(capacity_ - 1), slots_(std::make_unique<Slot[]>(capacity_)) {}
  SpscRing(const SpscRing&) = delete;
  SpscRing& operator=(const SpscRing&) = delete;

  size_t capacity() const { return capacity_; }

  // ---- producer ----
  // The next free slot (the same one until publish()), or nullptr when the ring is full.
  Slot* claim() {
    const size_t head = head_.load(std::memory_order_relaxed);
    if (head - producer_tail_ == capacity_) {
      producer_tail_ = tail_.load(std::memory_order_acquire);
      if (head - producer_tail_ == capacity_) return nullptr;
    }
    return &slots_[head & mask_];
  }
  // Makes the claimed slot visible to the consumer.
  void publish() { head_.store(head_.load(std::memory_order_relaxed) + 1, std::memory_order_release); }

  // ---- consumer ----
  // The oldest published slot, or nullptr when the ring is empty.
  Slot* peek() {
    const size_t tail = tail_.load(std::memory_order_relaxed);
    if (tail == consumer_head_) {
      consumer_head_ = head_.load(std::memory_order_acquire);
      if (tail == consumer_head_) return nullptr;
    }
    return &slots_[tail & mask_];
  }
  // Gives the peeked slot back to the producer.
  void release() { tail_.store(tail_.load(std::memory_order_relaxed) + 1, std::memory_order_release); }

  // Hands up to `max` published slots, oldest first, to `consume(Slot&)`, then gives them all back
  // with one store. Returns how many were consumed.
  template <typename Consume>
  size_t drain(size_t max, Consume&& consume) {
    const size_t tail = tail_.load(std::memory_order_relaxed);
    consumer_head_ = head_.load(std::memory_order_acquire);
    size_t available = consumer_head_ - tail;
    size_t count = available < max ? available : max;
    for (size_t i = 0; i < count; ++i) consume(slots_[(tail + i) & mask_]);
    if (count > 0) tail_.store(tail + count, std::memory_order_release);
    return count;
  }

 private:
  static size_t round_up(size_t wanted) {
    size_t capacity = 2;
    while (capacity < wanted) capacity <<= 1;
    return capacity;
  }

  const size_t capacity_;
  const size_t mask_;
  std::unique_ptr<Slot[]> slots_;
  // Written by the producer (head_) and the consumer (tail_); each side's cached copy of the
  // other's index is its own, next to what it writes.
  alignas(64) std::atomic<size_t> head_{0};
  size_t producer_tail_ = 0;
  alignas(64) std::atomic<size_t> tail_{0};
  size_t consumer_head_ = 0;
};

}  // namespace sfu
