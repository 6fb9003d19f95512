#include "bench/data_run.h"

#include <algorithm>
#include <map>

namespace sfu::bench {
namespace {

using SentByStream = std::map<std::pair<uint32_t, uint32_t>, uint64_t>;  // (room, data stream) -> count

SentByStream sent_in_window(std::vector<std::unique_ptr<ClientThread>>& threads, DataRunResult* out) {
  SentByStream sent;
  for (auto& thread : threads) {
    for (const ParticipantResult& r : thread->results()) {
      if (!r.spec.publisher_index || !r.data_sent) continue;
      for (DataChannelKind kind : kDataChannelKinds) {
        uint64_t count = (*r.data_sent)[static_cast<size_t>(kind)].count;
        sent[{r.spec.room, data_stream_of(*r.spec.publisher_index, kind)}] = count;
        out->sent += count;
      }
      out->sender_skipped += r.data_skipped;
      out->sender_refusals += r.data_refusals;
      out->sender_errors += r.data_send_errors;
    }
  }
  return sent;
}

void add_receiver(const ParticipantResult& r, const SentByStream& sent, DataRunResult* out) {
  const DataReceiveAccounting& a = *r.data_accounting;
  out->bad_messages += a.errors();
  out->early_closes += a.early_closes();
  for (uint32_t stream = 0; stream < a.stream_count(); ++stream) {
    if (!a.expects(stream)) continue;
    auto it = sent.find({r.spec.room, stream});
    uint64_t expected = it == sent.end() ? 0 : it->second;
    uint64_t received = std::min<uint64_t>(a.window_tracker(stream).received(), expected);
    auto kind = static_cast<size_t>(data_kind_of_stream(stream));
    out->expected[kind] += expected;
    out->received[kind] += received;
    DataStreamResult& s = out->streams[stream];
    s.expected += expected;
    s.received += received;
    s.gaps += a.reliable_gaps(stream);
    s.reordered += a.reliable_reordered(stream);
    if (data_kind_of_stream(stream) == DataChannelKind::kReliable) {
      out->reliable_gaps += a.reliable_gaps(stream);
      out->reliable_reordered += a.reliable_reordered(stream);
      out->reliable_incomplete += expected - received;
    }
  }
}

}  // namespace

void gather_data_results(std::vector<std::unique_ptr<ClientThread>>& threads, uint32_t publishers,
                         double window_s, DataRunResult* out) {
  out->streams.resize(size_t{publishers} * 2);
  for (uint32_t p = 0; p < publishers; ++p)
    for (DataChannelKind kind : kDataChannelKinds)
      out->streams[data_stream_of(p, kind)] = DataStreamResult{p, kind};
  SentByStream sent = sent_in_window(threads, out);
  for (auto& thread : threads) {
    const DataReceiverStats& stats = thread->stats().data;
    for (size_t kind = 0; kind < 2; ++kind) {
      out->latency[kind].merge(stats.latency[kind]);
      out->latency_all.merge(stats.latency[kind]);
    }
    out->duplicates += stats.duplicates;
    out->too_old += stats.too_old;
    out->relayed_bps += static_cast<double>(stats.window_bytes) * 8;
    for (const ParticipantResult& r : thread->results())
      if (r.data_accounting) add_receiver(r, sent, out);
  }
  double seconds = window_s > 0 ? window_s : 1;
  out->sent_per_s = static_cast<double>(out->sent) / seconds;
  out->relayed_per_s = static_cast<double>(out->received[0] + out->received[1]) / seconds;
  out->relayed_bps /= seconds;
  uint64_t unreliable_expected = out->expected[static_cast<size_t>(DataChannelKind::kUnreliable)];
  uint64_t unreliable_received = out->received[static_cast<size_t>(DataChannelKind::kUnreliable)];
  out->unreliable_loss_ratio = unreliable_expected
                                   ? static_cast<double>(unreliable_expected - unreliable_received) /
                                         static_cast<double>(unreliable_expected)
                                   : 0;
}

void add_server_data_results(const std::optional<ServerDataMetrics>& before,
                             const std::optional<ServerDataMetrics>& after, double measured_s,
                             const std::vector<ThreadCpuUse>& server_threads, DataRunResult* out) {
  for (const ThreadCpuUse& t : server_threads)
    if (t.name.rfind("sfu-worker", 0) == 0) out->worker_cpu_percent += t.percent;
  double relayed = out->relayed_per_s;
  if (before && after && measured_s > 0) {
    out->server = metrics_delta(*before, *after);
    out->server_relayed_per_s = static_cast<double>(out->server->messages_out) / measured_s;
    out->server_received_per_s = static_cast<double>(out->server->messages_in) / measured_s;
    relayed = out->server_relayed_per_s;
  }
  out->relayed_per_worker_core =
      out->worker_cpu_percent > 0 ? relayed / (out->worker_cpu_percent / 100.0) : 0;
}

}  // namespace sfu::bench
