#include "bench/soak/soak_options.h"

#include <charconv>
#include <functional>
#include <map>

#include "bench/bench_options.h"

namespace sfu::soak {
namespace {

using Setter = std::function<bool(const std::string&)>;
using FlagTable = std::map<std::string, Setter>;

template <typename T>
Setter number(T* out) {
  return [out](const std::string& v) {
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), *out);
    return ec == std::errc() && end == v.data() + v.size();
  };
}

Setter seconds(double* out) {
  return [out](const std::string& v) {
    try {
      size_t used = 0;
      *out = std::stod(v, &used);
      return used == v.size() && *out >= 0;
    } catch (...) {
      return false;
    }
  };
}

Setter text(std::string* out) {
  return [out](const std::string& v) {
    *out = v;
    return !v.empty();
  };
}

Setter url(std::string* host, uint16_t* port, std::string* path) {
  return [=](const std::string& v) { return bench::parse_url(v, host, port, path); };
}

// "--flag value" and "--flag=value", every flag taking a value.
std::string apply(const FlagTable& table, const std::vector<std::string>& args, size_t first) {
  for (size_t i = first; i < args.size(); ++i) {
    std::string flag = args[i], value;
    bool inline_value = false;
    if (size_t eq = flag.find('='); eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
      inline_value = true;
    }
    auto setter = table.find(flag);
    if (setter == table.end()) return "unknown argument '" + args[i] + "'";
    if (!inline_value) {
      if (i + 1 >= args.size()) return "missing value for " + flag;
      value = args[++i];
    }
    if (!setter->second(value))
      return std::string("bad value for ").append(flag).append(": '").append(value) + "'";
  }
  return {};
}

std::string parse_soak(SoakOptions& o, const std::vector<std::string>& args) {
  FlagTable table = {
      {"--url", url(&o.host, &o.port, &o.path)},
      {"--server-pid", number(&o.server_pid)},
      {"--bind-ip", text(&o.bind_ip)},
      {"--cycles", number(&o.cycles)},
      {"--concurrency", number(&o.concurrency)},
      {"--packets", number(&o.packets)},
      {"--vanish", number(&o.vanish)},
      {"--vanish-concurrency", number(&o.vanish_concurrency)},
      {"--warmup-cycles", number(&o.warmup_cycles)},
      {"--warmup-vanish", number(&o.warmup_vanish)},
      {"--warmup-settle", seconds(&o.warmup_settle_s)},
      {"--settle", seconds(&o.settle_s)},
      {"--rss-tolerance-pct",
       [&](const std::string& v) {
         double pct = 0;
         if (!seconds(&pct)(v)) return false;
         o.rss_tolerance = pct / 100;
         return true;
       }},
      {"--max-failed-cycles", number(&o.max_failed_cycles)},
      {"--room-prefix", text(&o.room_prefix)},
      {"--json", text(&o.json_path)},
  };
  std::string error = apply(table, args, 1);
  if (!error.empty()) return error;
  if (o.port == 0 || o.server_pid <= 0) return "soak needs --url and --server-pid";
  if (o.concurrency < 2) return "--concurrency must be at least 2 (clients receive each other)";
  return {};
}

std::string parse_fault(FaultOptions& o, const std::vector<std::string>& args) {
  FlagTable table = {
      {"--kind",
       [&](const std::string& v) {
         auto kind = parse_fault_kind(v);
         if (kind) o.kind = *kind;
         return kind.has_value();
       }},
      {"--url", url(&o.host, &o.port, &o.path)},
      {"--server-pid", number(&o.server_pid)},
      {"--server-config", text(&o.server_config)},
      {"--bind-ip", text(&o.bind_ip)},
      {"--warmup", seconds(&o.warmup_s)},
      {"--baseline", seconds(&o.baseline_s)},
      {"--duration", seconds(&o.fault_s)},
      {"--video-pps", number(&o.video_pps)},
      {"--max-loss-pct", seconds(&o.max_loss_pct)},
      {"--max-p99-ms", seconds(&o.max_p99_ms)},
      {"--settle", seconds(&o.settle_s)},
      {"--silent-clients", number(&o.silent_clients)},
      {"--slowloris", number(&o.slowloris_per_flavour)},
      {"--burst-sockets", number(&o.burst_sockets)},
      {"--burst-pairs", number(&o.burst_pairs)},
      {"--burst-interval-ms", number(&o.burst_interval_ms)},
      {"--summary", text(&o.summary_path)},
      {"--json", text(&o.json_path)},
  };
  std::string error = apply(table, args, 1);
  if (!error.empty()) return error;
  if (o.port == 0 || o.server_pid <= 0 || o.server_config.empty())
    return "fault needs --url, --server-pid and --server-config";
  if (o.baseline_s <= 0 || o.fault_s <= 0) return "--baseline and --duration must be positive";
  return {};
}

std::string parse_child(VanishChildOptions& o, const std::vector<std::string>& args) {
  FlagTable table = {
      {"--host", text(&o.host)},
      {"--port", number(&o.port)},
      {"--path", text(&o.path)},
      {"--bind-ip", text(&o.bind_ip)},
      {"--room", text(&o.room)},
      {"--name", text(&o.name)},
      {"--stage",
       [&](const std::string& v) {
         auto stage = parse_vanish_stage(v);
         if (stage) o.stage = *stage;
         return stage.has_value();
       }},
      {"--status-fd", number(&o.status_fd)},
  };
  std::string error = apply(table, args, 1);
  if (error.empty() && (o.port == 0 || o.status_fd < 0 || o.room.empty()))
    return "vanish-child needs its arguments";
  return error;
}

}  // namespace

const char* soak_usage() {
  return R"(Usage: sfu-soak soak  --url ws://HOST:PORT/v1/rtc --server-pid PID [options]
       sfu-soak fault --kind KIND --url ws://HOST:PORT/v1/rtc --server-pid PID --server-config FILE [options]

Leak soak and fault runs against a running server on this machine (scripts/soak.sh and
scripts/faults.sh start one). Every client does real signaling, ICE, DTLS and SRTP.

soak: warm-up, then join/publish/leave cycles, then clients that vanish part-way through their
handshakes (killed, or frozen until the end), then a settle; fails unless the server's rooms,
participants, transports and WebSocket sessions are back to their start, its open fds to their
value after the warm-up, and its RSS within the tolerance of its value after the warm-up.
  --cycles N             join/publish/leave cycles (default 1000)
  --concurrency N        clients per wave, each receiving the others (default 4)
  --packets N            packets each client must receive of every other's audio and video (5)
  --vanish N             vanishing clients (default 200)
  --vanish-concurrency N children starting at once (default 16)
  --warmup-cycles N      (default 100)   --warmup-vanish N   (default: as --vanish)
  --warmup-settle S      (default 10)    --settle S          (default 30)
  --rss-tolerance-pct P  (default 5)     --max-failed-cycles N (default 0)
  --room-prefix P        --bind-ip IP    --json FILE

fault: the bystanders (a publisher and a subscriber) alone, then again during the fault; fails
when their loss passes --max-loss-pct or their p99 latency --max-p99-ms, no refusal counter grew
in /metrics, the fault's bound did not hold, a join during the fault was not answered, or the
server did not free everything after.
  --kind KIND            none, nack, pli, no-answer, slowloris, queue-full
  --server-config FILE   the server's config, for the bounds (timeouts, budgets)
  --baseline S           baseline window (default 5)    --duration S  fault window (default 10)
  --warmup S             (default 1)     --video-pps N (default 200)
  --max-loss-pct P       (default 1)     --max-p99-ms MS (default 100)
  --settle S             (default 10)
  --silent-clients N     no-answer: clients (5)        --slowloris N  connections per flavour (10)
  --burst-sockets N      queue-full: sockets per burst (20), --burst-pairs N join/leave pairs each
                         (100), --burst-interval-ms MS (1000)
  --summary FILE         append a one-line verdict     --json FILE
)";
}

std::variant<SoakCommand, std::string> parse_soak_command(const std::vector<std::string>& args) {
  SoakCommand command;
  if (args.empty() || args[0] == "--help" || args[0] == "-h" || args[0] == "help") return command;
  std::string error;
  if (args[0] == "soak") {
    command.mode = SoakCommand::Mode::kSoak;
    error = parse_soak(command.soak, args);
  } else if (args[0] == "fault") {
    command.mode = SoakCommand::Mode::kFault;
    error = parse_fault(command.fault, args);
  } else if (args[0] == "vanish-child") {
    command.mode = SoakCommand::Mode::kVanishChild;
    error = parse_child(command.child, args);
  } else {
    error = "unknown command '" + args[0] + "'";
  }
  if (!error.empty()) return error;
  return command;
}

}  // namespace sfu::soak
