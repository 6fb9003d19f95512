// The server's own data channel counters, read from its /metrics (Prometheus text, see
// docs/protocol.md "Metrics"): what the relay says it received and sent, what it dropped and why,
// and how many associations are up. Summed over the workers. The bench reads them before and
// after the window, so the figures are the server's, not inferred from what the clients got.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

namespace sfu::bench {

struct ServerDataMetrics {
  uint64_t messages_in = 0, messages_out = 0;  // sfu_data_messages_total{direction}
  uint64_t bytes_in = 0, bytes_out = 0;        // sfu_data_bytes_total{direction}
  std::map<std::string, uint64_t> drops;       // sfu_data_drops_total by reason (non-zero only)
  uint64_t publisher_paused = 0;               // sfu_data_publisher_paused_total (rate limit)
  uint64_t associations = 0;                   // sfu_data_associations (gauge)
  uint64_t channels = 0;                       // sfu_data_channels (gauge)
};

// Parses the exposition text; nullopt when it has no sfu_data_messages_total (data channels
// unknown to that server).
std::optional<ServerDataMetrics> parse_data_metrics(std::string_view text);
// GET http://host:port/metrics (IPv4), then parse_data_metrics(). nullopt with *error set on failure.
std::optional<ServerDataMetrics> fetch_data_metrics(const std::string& host, uint16_t port,
                                                    std::string* error);

// after - before for the counters; the gauges as after has them.
ServerDataMetrics metrics_delta(const ServerDataMetrics& before, const ServerDataMetrics& after);

// One worker's media counters (docs/protocol.md "Metrics", "Rooms across workers"): RTP packets it
// forwarded to subscribers, slots it handed to other workers' rings and those it dropped because a
// ring was full, and the participants placed on it (a gauge).
struct WorkerMediaMetrics {
  uint64_t forwarded = 0;     // sfu_rtp_forwarded_total
  uint64_t ring_out = 0;      // sfu_worker_ring_packets_total{direction="out"}
  uint64_t ring_dropped = 0;  // sfu_worker_ring_dropped_total{reason="full"}
  uint64_t participants = 0;  // sfu_worker_participants
};
using ServerMediaMetrics = std::map<uint32_t, WorkerMediaMetrics>;  // by worker index

ServerMediaMetrics parse_media_metrics(std::string_view text);
std::optional<ServerMediaMetrics> fetch_media_metrics(const std::string& host, uint16_t port,
                                                      std::string* error);

}  // namespace sfu::bench
