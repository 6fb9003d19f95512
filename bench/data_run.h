// The data channel part of a run's result (--data-rate): what the publishers sent in the window,
// what the receivers got (loss on the unreliable channels; gaps, reordering, incompleteness and
// early closes on the reliable ones: each an error), one-way latency by channel kind, and the
// server's own relay counters over the window with its worker threads' CPU, hence messages
// relayed per worker core.
#pragma once

#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "bench/client_thread.h"
#include "bench/data_source.h"
#include "bench/latency_histogram.h"
#include "bench/proc_stats.h"
#include "bench/server_metrics.h"

namespace sfu::bench {

// One data stream (publisher x channel kind), summed over rooms and receivers.
struct DataStreamResult {
  uint32_t publisher = 0;
  DataChannelKind kind = DataChannelKind::kReliable;
  uint64_t expected = 0, received = 0;  // window messages, over every receiver
  uint64_t gaps = 0, reordered = 0;     // reliable only, whole run
};

struct DataRunResult {
  uint32_t rate = 0;  // messages per second per channel per publisher
  size_t size = 0;
  uint64_t receivers_per_stream = 0;  // per room
  double offered_relay_per_s = 0;     // messages the server should send per second (both channels)
  uint64_t sent = 0;                  // window, both kinds, all publishers
  double sent_per_s = 0;
  std::array<uint64_t, 2> expected{}, received{};  // by DataChannelKind, over every receiver
  double unreliable_loss_ratio = 0;
  // Reliable channel errors: messages missing between received ones, out of order or repeated,
  // sent in the window and never received, channels closed before the window's end; and messages
  // on any channel without a stamp, of the wrong size or on the wrong channel.
  uint64_t reliable_gaps = 0, reliable_reordered = 0, reliable_incomplete = 0, early_closes = 0;
  uint64_t bad_messages = 0;
  uint64_t duplicates = 0, too_old = 0;  // unreliable channel, window
  std::array<LatencyHistogram, 2> latency;
  LatencyHistogram latency_all;
  double relayed_per_s = 0, relayed_bps = 0;  // as the receivers counted them (window messages)
  uint64_t sender_skipped = 0, sender_refusals = 0, sender_errors = 0;
  std::optional<ServerDataMetrics> server;  // counters over the measured time, gauges at its end
  // The server's drops from before the participants joined until after the drain: a reliable
  // channel cut off while the load ramped in (slow_subscriber) shows here, not in `server`.
  std::map<std::string, uint64_t> server_drops_in_run;
  std::string server_metrics_error;
  double server_relayed_per_s = 0, server_received_per_s = 0;
  double worker_cpu_percent = 0;       // the server's sfu-worker-* threads
  double relayed_per_worker_core = 0;  // server_relayed_per_s (else relayed_per_s) per worker core
  std::vector<DataStreamResult> streams;

  uint64_t reliable_errors() const {
    return reliable_gaps + reliable_reordered + reliable_incomplete + early_closes + bad_messages;
  }
  // Something went through the relay and every reliable message arrived in order.
  bool correct() const { return reliable_errors() == 0 && received[0] + received[1] > 0; }
};

// Fills the client side of `out` from the threads' results (after join()); `publishers` per room.
void gather_data_results(std::vector<std::unique_ptr<ClientThread>>& threads, uint32_t publishers,
                         double window_s, DataRunResult* out);
// Fills the server side: the /metrics delta over `measured_s` and the worker threads' CPU.
void add_server_data_results(const std::optional<ServerDataMetrics>& before,
                             const std::optional<ServerDataMetrics>& after, double measured_s,
                             const std::vector<ThreadCpuUse>& server_threads, DataRunResult* out);

}  // namespace sfu::bench
