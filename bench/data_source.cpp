#include "bench/data_source.h"

#include <algorithm>
#include <cstring>

#include "bench/packet_stamp.h"

namespace sfu::bench {

const char* data_label_of(DataChannelKind kind) {
  return kind == DataChannelKind::kReliable ? kReliableDataLabel : kUnreliableDataLabel;
}

DataSource::DataSource(const DataSourceConfig& config) : config_(config) {
  config_.size = std::max(config_.size, kStampSize);
}

void DataSource::start(uint64_t now_ns) {
  started_ = true;
  start_ns_ = now_ns;
  for (Channel& c : channels_) c.due = 0;
}

bool DataSource::due(DataChannelKind kind, uint64_t now_ns) {
  if (!started_ || now_ns < start_ns_ || config_.rate == 0) return false;
  Channel& c = channel(kind);
  uint64_t target = (now_ns - start_ns_) * config_.rate / 1'000'000'000ull + 1;
  uint64_t limit = std::max<uint64_t>(1, uint64_t{config_.rate} * config_.max_backlog_ms / 1000);
  if (target > c.due + limit) {
    skipped_ += target - limit - c.due;
    c.due = target - limit;
  }
  if (c.due >= target) return false;
  ++c.due;
  return true;
}

size_t DataSource::build(DataChannelKind kind, uint64_t now_ns, MutableByteSpan out) const {
  if (out.size() < config_.size) return 0;
  MutableByteSpan message = out.first(config_.size);
  // The filler is constant: the relay must pass the bytes through, and the receivers check the
  // stamp and the size, not the content.
  std::memset(message.data(), 0x5a, message.size() - kStampSize);
  uint32_t sequence = channel(kind).sequence;
  if (kind == DataChannelKind::kReliable && config_.fault == DataFault::kReorder) {
    // ..., k-3, k-1, k-2, k, ... for k a multiple of kFaultEvery.
    uint32_t phase = sequence % DataSourceConfig::kFaultEvery;
    if (phase == DataSourceConfig::kFaultEvery - 2)
      ++sequence;
    else if (phase == DataSourceConfig::kFaultEvery - 1)
      --sequence;
  }
  write_stamp({data_stream_of(config_.publisher_index, kind), sequence, now_ns}, message);
  return message.size();
}

void DataSource::sent(DataChannelKind kind, uint64_t now_ns, const MeasurementWindow* window) {
  Channel& c = channel(kind);
  if (window && window->contains(now_ns)) {
    if (c.window.count++ == 0) c.window.first = c.sequence;
  }
  ++c.sequence;
  // A number no message takes: the receivers see a gap (the window's count is what was sent).
  if (kind == DataChannelKind::kReliable && config_.fault == DataFault::kGap &&
      c.sequence % DataSourceConfig::kFaultEvery == 0)
    ++c.sequence;
}

void DataSource::refused(DataChannelKind kind, bool buffer_full) {
  --channel(kind).due;
  ++(buffer_full ? refusals_ : send_errors_);
}

}  // namespace sfu::bench
