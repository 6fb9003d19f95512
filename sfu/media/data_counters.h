// The data-channel counters of one worker: messages and bytes relayed, messages and channels
// refused by reason, publishers paused by the rate limit, and the channels and associations
// open. Written by the worker thread only (relaxed single-writer updates, base/counter.h), read
// by /metrics on the control thread.
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>

#include "base/counter.h"

namespace sfu {

// Why a data message was not delivered, or a channel refused or closed. /metrics exports each as
// sfu_data_drops_total{reason="..."} (docs/protocol.md, "Data channels").
enum class DataDropReason : uint8_t {
  SubscriberBufferFull,    // a message for an unreliable channel (or the server channel) did not fit
  SlowSubscriber,          // a reliable channel closed at a subscriber whose send buffer was full
  ChannelLimit,            // an OPEN over data_channels.channels_per_participant (or a stream in use)
  MessageTooLarge,         // over data_channels.max_message_bytes, or the subscriber's max-message-size
  RateLimited,             // no longer produced: the rate limit pauses the publisher (kept for /metrics)
  UnknownChannel,          // data on a stream with no open channel
  UnknownPpid,             // data whose PPID is neither string nor binary
  BadDcep,                 // a malformed DCEP message (the channel is refused)
  NotRelayed,              // channels and messages a client sends on its subscribe connection
  SubscriberChannelLimit,  // no free stream on a subscriber's association for one more channel
  SendFailed,              // the subscriber's association refused the message otherwise
  MailboxFull,             // SCTP packets from usrsctp's timer thread lost to a full mailbox
  kCount
};

constexpr std::array<const char*, static_cast<size_t>(DataDropReason::kCount)> kDataDropReasonNames = {
    "subscriber_buffer_full",
    "slow_subscriber",
    "channel_limit",
    "message_too_large",
    "rate_limited",
    "unknown_channel",
    "unknown_ppid",
    "bad_dcep",
    "not_relayed",
    "subscriber_channel_limit",
    "send_failed",
    "mailbox_full",
};

class DataCounters {
 public:
  void count_in(size_t bytes) {
    bump(messages_in_);
    bump(bytes_in_, bytes);
  }
  void count_out(size_t bytes) {
    bump(messages_out_);
    bump(bytes_out_, bytes);
  }
  void drop(DataDropReason reason, uint64_t count = 1) { bump(drops_[static_cast<size_t>(reason)], count); }
  // A publisher over its rate whose association the relay stopped reading (backpressure).
  void count_publisher_paused() { bump(publisher_paused_); }
  // Gauges, moved by the transports as their associations come and go (signed deltas).
  void add_channels(int64_t delta) { add(channels_, delta); }
  void add_associations(int64_t delta) { add(associations_, delta); }

  uint64_t messages_in() const { return messages_in_.load(std::memory_order_relaxed); }
  uint64_t bytes_in() const { return bytes_in_.load(std::memory_order_relaxed); }
  uint64_t messages_out() const { return messages_out_.load(std::memory_order_relaxed); }
  uint64_t bytes_out() const { return bytes_out_.load(std::memory_order_relaxed); }
  uint64_t drops(DataDropReason reason) const {
    return drops_[static_cast<size_t>(reason)].load(std::memory_order_relaxed);
  }
  uint64_t publisher_paused() const { return publisher_paused_.load(std::memory_order_relaxed); }
  uint64_t channels() const { return channels_.load(std::memory_order_relaxed); }
  uint64_t associations() const { return associations_.load(std::memory_order_relaxed); }

 private:
  static void add(std::atomic<uint64_t>& gauge, int64_t delta) {
    gauge.store(gauge.load(std::memory_order_relaxed) + static_cast<uint64_t>(delta),
                std::memory_order_relaxed);
  }
  std::atomic<uint64_t> messages_in_{0}, bytes_in_{0}, messages_out_{0}, bytes_out_{0};
  std::array<std::atomic<uint64_t>, static_cast<size_t>(DataDropReason::kCount)> drops_{};
  std::atomic<uint64_t> publisher_paused_{0};
  std::atomic<uint64_t> channels_{0}, associations_{0};
};

}  // namespace sfu
