#include "bench/data_accounting.h"

#include "bench/packet_stamp.h"

namespace sfu::bench {
namespace {

// The kind a label names; false for channels that are not the bench's (the server's own channel).
bool kind_of_label(const std::string& label, DataChannelKind* kind) {
  if (label == kReliableDataLabel) {
    *kind = DataChannelKind::kReliable;
    return true;
  }
  if (label == kUnreliableDataLabel) {
    *kind = DataChannelKind::kUnreliable;
    return true;
  }
  return false;
}

}  // namespace

DataReceiveAccounting::DataReceiveAccounting(uint32_t publishers, uint32_t own_publisher, size_t message_size)
    : message_size_(message_size), streams_(size_t{publishers} * 2) {
  for (uint32_t publisher = 0; publisher < publishers; ++publisher) {
    if (publisher == own_publisher) continue;
    for (DataChannelKind kind : kDataChannelKinds) streams_[data_stream_of(publisher, kind)].expected = true;
    expected_count_ += 2;
  }
}

void DataReceiveAccounting::on_message(const std::string& label, ByteSpan message, uint64_t now_ns,
                                       const MeasurementWindow& window, DataReceiverStats& stats) {
  stats.messages.add(1);
  DataChannelKind kind{};
  if (!kind_of_label(label, &kind)) return;
  auto stamp = read_stamp(message);
  if (!stamp) {
    ++stats.unstamped;
    ++errors_;
    return;
  }
  if (!expects(stamp->stream)) {
    ++stats.unknown_stream;
    ++errors_;
    return;
  }
  if (data_kind_of_stream(stamp->stream) != kind) {
    ++stats.misrouted;
    ++errors_;
    return;
  }
  if (message.size() != message_size_) {
    ++stats.wrong_size;
    ++errors_;
  }
  Stream& s = streams_[stamp->stream];
  if (kind == DataChannelKind::kReliable && s.seen) {
    if (stamp->sequence > s.last + 1) s.gaps += stamp->sequence - s.last - 1;
    if (stamp->sequence <= s.last) ++s.reordered;
  }
  if (!s.seen) {
    s.seen = true;
    ++seen_count_;
    s.last = stamp->sequence;
  }
  if (stamp->sequence > s.last) s.last = stamp->sequence;
  if (!window.contains(stamp->send_ns)) return;
  switch (s.window.on_sequence(stamp->sequence)) {
    case SequenceTracker::Outcome::kNew:
      ++stats.window_messages;
      stats.window_live.add(1);
      stats.window_bytes += message.size();
      stats.latency[static_cast<size_t>(kind)].record(now_ns >= stamp->send_ns ? now_ns - stamp->send_ns : 0);
      break;
    case SequenceTracker::Outcome::kDuplicate:
      ++stats.duplicates;
      break;
    case SequenceTracker::Outcome::kTooOld:
      ++stats.too_old;
      break;
  }
}

void DataReceiveAccounting::on_channel_closed(const std::string& label, uint64_t now_ns,
                                              const MeasurementWindow& window) {
  DataChannelKind kind{};
  if (!kind_of_label(label, &kind)) return;
  if (now_ns < window.end_ns.load(std::memory_order_relaxed)) ++early_closes_;
}

}  // namespace sfu::bench
