// `sfu-soak fault --kind K`: one fault against a running server (scripts/faults.sh starts a fresh
// one per fault), measured on two bystanders: a publisher and a subscriber in one room with
// stamped media at a steady rate (sfu-bench's run_load), first alone (the baseline), then in a
// second room while the fault runs (fault_driver.h). It prints the bystanders' loss and p99 in
// both runs, the fault's own figures, the /metrics samples that concern the fault before and
// after it, and the checks; the exit code is 0 only when every check held:
//   - the bystanders' loss during the fault is at most --max-loss-pct, and their p99 latency at
//     most --max-p99-ms (a packet a second late is as good as lost to a call);
//   - a refusal counter of the fault grew (fault_catalog.h);
//   - the fault's bound held: retransmissions within media.retransmissions_per_second (nack),
//     keyframe requests to the publisher within media.publisher_keyframe_interval_ms (pli), the
//     silent clients removed after rtc.join_timeout_s (no-answer), the slow connections closed
//     after http.websocket_idle_timeout_s or 10 s, whichever is longer (slowloris);
//   - a join sent in the middle of the fault is answered within 2 s (with `overloaded` allowed
//     for queue-full);
//   - after the fault, the participants, transports and WebSocket sessions are back to their
//     values before it, and the server is alive.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>

#include "bench/soak/fault_catalog.h"

namespace sfu::soak {

struct FaultOptions {
  FaultKind kind = FaultKind::kNone;
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string path = "/v1/rtc";
  std::string bind_ip = "127.0.0.1";
  pid_t server_pid = 0;
  std::string server_config;  // the server's YAML, for the bounds (timeouts, budgets)
  double warmup_s = 1;
  double baseline_s = 5;
  double fault_s = 10;  // the measurement window; some faults need longer and get it
  uint32_t video_pps = 200;
  double max_loss_pct = 1.0;
  double max_p99_ms = 100;
  double settle_s = 10;
  uint32_t silent_clients = 5;
  uint32_t slowloris_per_flavour = 10;
  uint32_t burst_sockets = 20;
  uint32_t burst_pairs = 100;
  uint64_t burst_interval_ms = 1000;
  std::string summary_path;  // one line per run is appended here
  std::string json_path;
};

int run_fault(const FaultOptions& options);

}  // namespace sfu::soak
