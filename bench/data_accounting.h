// What one simulated participant receives on its data channels (see data_source.h): per data
// stream of its room (publisher x channel), the stamped messages, checked as the channel promises.
//
// - Reliable ordered channel: from the first message on, every message must be the next sequence
//   number: a gap (a lost message) or a sequence number at or below the last one (reordered or
//   duplicated) is an error. Completeness in the window (every message sent in it arrived) is
//   checked by the run against what the publisher sent.
// - Unreliable unordered channel: distinct messages sent in the window (a SequenceTracker), so
//   loss is what was sent and never arrived; reordering is allowed.
// - Both: a message whose size is not the configured size, whose stamp is missing, or whose stamp
//   names a stream of the other kind than the channel's label (misrouted) is an error, and so is a
//   channel closed by the server before the window ended (a reliable channel of a subscriber that
//   fell a whole send buffer behind: slow_subscriber). One-way latency of the window's messages
//   goes into the thread's histogram of that channel kind.
// Nothing here allocates per message.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "bench/data_source.h"
#include "bench/latency_histogram.h"
#include "bench/measurement_window.h"
#include "bench/sequence_tracker.h"

namespace sfu::bench {

// Shared by the data receivers of one client thread (inside ReceiverStats).
struct DataReceiverStats {
  std::array<LatencyHistogram, 2> latency;  // by DataChannelKind, the window's messages
  uint64_t window_messages = 0, window_bytes = 0;
  uint64_t unstamped = 0, unknown_stream = 0, misrouted = 0, wrong_size = 0;
  uint64_t duplicates = 0, too_old = 0;  // unreliable channel, window's messages
  LiveCounter messages;                  // everything received, for the progress line
  LiveCounter window_live;               // window_messages, for the drain after the window
};

class DataReceiveAccounting {
 public:
  // `publishers`: of the room; `own_publisher`: this participant's publisher index (UINT32_MAX when
  // it publishes nothing); `message_size`: what every message must measure.
  DataReceiveAccounting(uint32_t publishers, uint32_t own_publisher, size_t message_size);

  // One message on a channel with `label` (kReliableDataLabel or kUnreliableDataLabel), at now_ns.
  void on_message(const std::string& label, ByteSpan message, uint64_t now_ns,
                  const MeasurementWindow& window, DataReceiverStats& stats);
  // A channel with `label` was closed at now_ns (by the server, or as its publisher left).
  void on_channel_closed(const std::string& label, uint64_t now_ns, const MeasurementWindow& window);

  uint32_t stream_count() const { return static_cast<uint32_t>(streams_.size()); }
  bool expects(uint32_t stream) const { return stream < streams_.size() && streams_[stream].expected; }
  uint32_t expected_stream_count() const { return expected_count_; }
  // Every expected stream has delivered at least one message: the relay runs.
  bool receiving_all() const { return seen_count_ == expected_count_; }
  uint32_t streams_seen() const { return seen_count_; }

  // Per stream, over the whole run.
  uint64_t reliable_gaps(uint32_t stream) const { return streams_[stream].gaps; }
  uint64_t reliable_reordered(uint32_t stream) const { return streams_[stream].reordered; }
  // Messages sent in the window and received (distinct).
  const SequenceTracker& window_tracker(uint32_t stream) const { return streams_[stream].window; }
  // Errors that belong to no stream (misrouted, wrong size, unknown stream) and channel closes
  // before the window's end.
  uint64_t errors() const { return errors_; }
  uint64_t early_closes() const { return early_closes_; }

 private:
  struct Stream {
    bool expected = false;
    bool seen = false;
    uint32_t last = 0;  // reliable: the highest sequence number so far
    uint64_t gaps = 0, reordered = 0;
    SequenceTracker window;
  };

  size_t message_size_;
  std::vector<Stream> streams_;
  uint32_t expected_count_ = 0, seen_count_ = 0;
  uint64_t errors_ = 0, early_closes_ = 0;
};

}  // namespace sfu::bench
