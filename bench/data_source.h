// The synthetic data channel load of one publisher: `rate` messages per second of `size` bytes on
// each of two channels, a reliable ordered one and an unreliable unordered one (maxRetransmits 0).
// Every message is binary and carries a PacketStamp in its last kStampSize bytes (the data stream
// index, a per-channel sequence number and the send time), so a receiver can check order,
// completeness and one-way latency without any side channel.
//
// Paced from a monotonic clock, like the synthetic media. A message the association refuses
// (its send buffer is full: the server acknowledges slower than we send) stays due and is tried
// again on the next tick; a backlog older than max_backlog_ms is skipped and counted. Neither takes
// a sequence number, so a skipped message is never a gap for the receivers.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "base/bytes.h"
#include "bench/measurement_window.h"
#include "bench/media_source.h"

namespace sfu::bench {

enum class DataChannelKind : uint8_t { kReliable = 0, kUnreliable = 1 };
inline constexpr std::array<DataChannelKind, 2> kDataChannelKinds = {DataChannelKind::kReliable,
                                                                     DataChannelKind::kUnreliable};

// The labels of the two channels; receivers tell the kind by the label, the publisher by the stamp.
inline constexpr const char* kReliableDataLabel = "bench-reliable";
inline constexpr const char* kUnreliableDataLabel = "bench-unreliable";
const char* data_label_of(DataChannelKind kind);

// Room-local data stream index (in the stamp): 2 per publisher, as the media streams.
inline uint32_t data_stream_of(uint32_t publisher_index, DataChannelKind kind) {
  return publisher_index * 2 + static_cast<uint32_t>(kind);
}
inline DataChannelKind data_kind_of_stream(uint32_t stream) {
  return stream % 2 == 0 ? DataChannelKind::kReliable : DataChannelKind::kUnreliable;
}

// A fault on the reliable channel's stamps, to prove the receivers' checks (sfu-bench
// --data-test-fault): every kFaultEvery-th message skips a sequence number (kGap, as if the relay
// lost one), or two consecutive messages swap their sequence numbers (kReorder).
enum class DataFault : uint8_t { kNone, kGap, kReorder };

struct DataSourceConfig {
  uint32_t publisher_index = 0;
  uint32_t rate = 50;  // messages per second on each channel
  size_t size = 1000;  // bytes per message, stamp included (at least kStampSize)
  uint32_t max_backlog_ms = 100;
  DataFault fault = DataFault::kNone;
  static constexpr uint32_t kFaultEvery = 20;
};

class DataSource {
 public:
  explicit DataSource(const DataSourceConfig& config);

  void start(uint64_t now_ns);
  bool started() const { return started_; }
  // A message of `kind` is due at now_ns (skipping, and counting, a backlog beyond max_backlog_ms).
  bool due(DataChannelKind kind, uint64_t now_ns);
  // Writes the next message of `kind`, stamped with now_ns, into `out` (at least config().size
  // bytes); returns its size.
  size_t build(DataChannelKind kind, uint64_t now_ns, MutableByteSpan out) const;
  // The message built last was accepted: it takes its sequence number (and is recorded in the
  // window's range when the window contains now_ns).
  void sent(DataChannelKind kind, uint64_t now_ns, const MeasurementWindow* window);
  // The message built last was refused: it stays due. `buffer_full`: the association's send buffer
  // is full (backpressure); otherwise the send failed (counted as an error).
  void refused(DataChannelKind kind, bool buffer_full);

  const DataSourceConfig& config() const { return config_; }
  uint64_t sent_count(DataChannelKind kind) const { return channel(kind).sequence; }
  const SentRange& window(DataChannelKind kind) const { return channel(kind).window; }
  uint64_t skipped() const { return skipped_; }
  uint64_t refusals() const { return refusals_; }        // send buffer full
  uint64_t send_errors() const { return send_errors_; }  // any other refusal

 private:
  struct Channel {
    uint64_t due = 0;  // messages scheduled so far (sent or skipped)
    uint32_t sequence = 0;
    SentRange window;
  };
  Channel& channel(DataChannelKind kind) { return channels_[static_cast<size_t>(kind)]; }
  const Channel& channel(DataChannelKind kind) const { return channels_[static_cast<size_t>(kind)]; }

  DataSourceConfig config_;
  bool started_ = false;
  uint64_t start_ns_ = 0;
  std::array<Channel, 2> channels_{};
  uint64_t skipped_ = 0, refusals_ = 0, send_errors_ = 0;
};

}  // namespace sfu::bench
