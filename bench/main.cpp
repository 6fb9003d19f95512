// sfu-bench: the load generator and throughput benchmark. See bench_options.cpp for the flags and
// README.md ("Benchmark") for what the figures mean.
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <optional>
#include <variant>

#include "bench/bench_options.h"
#include "bench/bench_report.h"
#include "bench/janus_target.h"
#include "bench/load_run.h"
#include "bench/server_process.h"
#include "bench/udp_reflector.h"

using namespace sfu::bench;

namespace {

std::string default_sfu_binary() {
  std::error_code ec;
  auto self = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "sfu";
  return (self.parent_path() / "sfu").string();
}

nlohmann::json options_json(const BenchOptions& o) {
  const Scenario& s = o.scenario;
  return {{"target", o.target},
          {"rooms", s.rooms},
          {"publishers", s.publishers},
          {"subscribers", s.subscribers},
          {"video_pps_per_publisher", s.video_pps},
          {"video_packet_size", s.video_packet_size},
          {"video_fps", s.video_fps},
          {"audio", s.audio},
          {"data_rate_per_channel", s.data_rate},
          {"data_size", s.data_size},
          {"duration_s", s.duration_s},
          {"warmup_s", s.warmup_s},
          {"client_threads", s.client_threads},
          {"workers", o.workers},
          {"srtp_profile", o.srtp_profile},
          {"url", o.url},
          {"span_urls", o.span_urls},
          {"ramp", o.ramp},
          {"baseline", o.baseline},
          {"tcp", o.tcp},
          {"simulcast", o.simulcast},
          {"pinned", !s.client_cpus.empty()},
          {"nice", o.nice},
          {"cpus", sysconf(_SC_NPROCESSORS_ONLN)}};
}

// Sets the session's autogroup nice for the lifetime of this object (best effort).
class AutogroupNice {
 public:
  explicit AutogroupNice(int nice) {
    std::ifstream in("/proc/self/autogroup");
    std::string name, word;
    if (!(in >> name >> word >> previous_) || word != "nice") return;
    std::ofstream out("/proc/self/autogroup");
    out << nice;
    out.flush();
    set_ = static_cast<bool>(out);
  }
  ~AutogroupNice() {
    if (!set_) return;
    std::ofstream out("/proc/self/autogroup");
    out << previous_;
  }

 private:
  int previous_ = 0;
  bool set_ = false;
};

// The data channel part of a step holds: every reliable message arrived in order, unreliable loss
// and p99 within the ramp's limits, and the publishers sent (almost) what was offered: a publisher
// whose send buffer stays full (the server acknowledges slower than it sends) skips messages.
bool data_held(const DataRunResult& d, const Scenario& s, const BenchOptions& o) {
  double offered_send = static_cast<double>(s.rooms) * s.publishers * 2.0 * s.data_rate;
  return d.correct() && d.sender_errors == 0 && d.unreliable_loss_ratio <= o.ramp_max_loss &&
         static_cast<double>(d.latency_all.percentile(0.99)) / 1e6 <= o.ramp_max_p99_ms &&
         d.sent_per_s >= 0.98 * offered_send;
}

bool held(const RunResult& r, const BenchOptions& o) {
  if (!r.ok) return false;
  if (r.data && !data_held(*r.data, r.scenario, o)) return false;
  if (r.scenario.video_pps == 0 && !r.scenario.audio) return true;
  return r.loss_ratio <= o.ramp_max_loss &&
         static_cast<double>(r.latency.percentile(0.99)) / 1e6 <= o.ramp_max_p99_ms;
}

// Raises the per-publisher video rate (with --data-rate: the data rate) until a step does not
// hold. Returns the steps; `best` gets the last step that held.
std::vector<RampStep> ramp(const BenchOptions& o, const Target& target, const std::string& prefix,
                           std::optional<RunResult>* best) {
  std::vector<RampStep> steps;
  bool data = o.scenario.data();
  double rate = data ? o.scenario.data_rate : std::max<uint32_t>(o.scenario.video_pps, 50);
  for (uint32_t i = 0; i < o.ramp_max_steps; ++i) {
    Scenario s = o.scenario;
    (data ? s.data_rate : s.video_pps) = static_cast<uint32_t>(std::lround(rate));
    s.duration_s = o.ramp_step_s;
    s.room_prefix = prefix + std::to_string(i);
    if (data)
      std::fprintf(stderr,
                   "[%s] ramp step %u: %u data msg/s per channel per publisher, %.0f relayed msg/s offered\n",
                   target.name.c_str(), i + 1, s.data_rate, s.offered_data_relay_per_s());
    else
      std::fprintf(stderr, "[%s] ramp step %u: %u video pps per publisher, %.0f forwarded pps offered\n",
                   target.name.c_str(), i + 1, s.video_pps, s.offered_forward_pps());
    RampStep step{s.video_pps, run_load(s, target), false, s.data_rate};
    step.held = held(step.result, o);
    steps.push_back(step);
    if (!step.result.ok)
      std::fprintf(stderr, "[%s] step failed: %s\n", target.name.c_str(), step.result.error.c_str());
    if (!step.held) break;
    *best = step.result;
    rate *= o.ramp_factor;
  }
  if (!*best && !steps.empty()) *best = steps.front().result;
  return steps;
}

}  // namespace

// NOLINTNEXTLINE(readability-function-cognitive-complexity): the run modes one after another, as the README lists them.
static int bench_main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto parsed = parse_bench_options(args);
  if (auto* error = std::get_if<std::string>(&parsed)) {
    std::fprintf(stderr, "sfu-bench: %s\n\n%s", error->c_str(), bench_usage());
    return 2;
  }
  BenchOptions o = std::get<BenchOptions>(parsed);
  if (o.help) {
    std::fputs(bench_usage(), stdout);
    return 0;
  }
  std::signal(SIGPIPE, SIG_IGN);
  // Threads inherit the nice level of the thread that creates them. With autogroup scheduling
  // (kernel.sched_autogroup_enabled), nice only orders threads within one session, and every
  // session gets an equal share: the session's own nice (/proc/self/autogroup) is what competes
  // with other sessions' work, so it is set too and restored at exit.
  std::optional<AutogroupNice> autogroup;
  if (o.nice != 0) {
    if (setpriority(PRIO_PROCESS, 0, o.nice) != 0)
      std::fprintf(stderr, "sfu-bench: warning: cannot set nice %d: %s\n", o.nice, std::strerror(errno));
    autogroup.emplace(o.nice);
  }

  // Two or more CPUs: the server (or reflector) gets the last `workers` of them, the clients the
  // rest, so neither side steals the other's core.
  std::vector<int> server_cpus;
  long cpus = sysconf(_SC_NPROCESSORS_ONLN);
  if (o.pin && cpus >= 2 && o.url.empty()) {
    long server_count = std::min<long>(o.workers, cpus - 1);
    for (long c = cpus - server_count; c < cpus; ++c) server_cpus.push_back(static_cast<int>(c));
    for (long c = 0; c < cpus - server_count; ++c) o.scenario.client_cpus.push_back(static_cast<int>(c));
  }
  if (o.srtp_profile != "any")
    std::fprintf(
        stderr,
        "sfu-bench: note: --srtp-profile %s is recorded but not enforced: the client layer does not yet "
        "let the bench restrict its DTLS-SRTP profiles, so the server's preference (AEAD_AES_128_GCM) "
        "applies\n",
        o.srtp_profile.c_str());
  if (o.work_dir.empty()) {
    char pattern[] = "/tmp/sfu-bench-XXXXXX";
    if (!mkdtemp(pattern)) {
      std::perror("sfu-bench: mkdtemp");
      return 1;
    }
    o.work_dir = pattern;
  }

  Report report;
  report.scenario = options_json(o);
  int exit_code = 0;

  if (o.target == "sfu" || o.target == "both") {
    Target target;
    target.name = "sfu";
    ServerProcess server;
    if (!o.url.empty()) {
      parse_url(o.url, &target.host, &target.port, &target.path);
      target.server_pid = o.server_pid;
      for (const std::string& url : o.span_urls) {
        Target::Node node;
        parse_url(url, &node.host, &node.port, &node.path);
        target.span_nodes.push_back(node);
      }
      if (o.scenario.data())
        std::fprintf(stderr,
                     "sfu-bench: note: with --url the server's own data_channels limits apply "
                     "(over bytes_per_second_per_participant the server reads a publisher more slowly: "
                     "its send buffer fills and the bench skips messages)\n");
    } else {
      ServerProcess::Options so;
      so.binary = o.sfu_binary.empty() ? default_sfu_binary() : o.sfu_binary;
      so.workers = o.workers;
      so.log_level = o.server_log_level;
      so.cpus = server_cpus;
      so.nice = o.nice;
      so.work_dir = o.work_dir;
      so.bind_ip = o.scenario.bind_ip;
      // The bench measures the relay, not the per-participant rate limit (2 MiB/s by default).
      if (o.scenario.data()) so.extra_yaml = "data_channels:\n  bytes_per_second_per_participant: 0\n";
      so.extra_yaml +=
          std::string("bandwidth:\n  allocation: ") + (o.allocation == "on" ? "true" : "false") + "\n";
      if (!o.pacing.empty())
        so.extra_yaml += std::string("  pacing: ") + (o.pacing == "on" ? "true" : "false") + "\n";
      std::string error;
      if (!server.start(so, &error)) {
        std::fprintf(stderr, "sfu-bench: cannot start the server %s: %s\n", so.binary.c_str(), error.c_str());
        return 1;
      }
      std::fprintf(stderr, "[sfu] started %s (pid %d, %u worker(s), http port %u, config %s)\n",
                   so.binary.c_str(), server.pid(), o.workers, server.http_port(),
                   server.config_path().c_str());
      target.host = o.scenario.bind_ip;
      target.port = server.http_port();
      target.server_pid = server.pid();
    }
    if (o.ramp) {
      report.ramp = ramp(o, target, "ramp", &report.main);
      if (report.main && report.main->ok) {
        Scenario half = o.scenario;
        if (half.data()) {
          half.data_rate = std::max<uint32_t>(1, report.main->scenario.data_rate / 2);
          std::fprintf(stderr, "[sfu] half load: %u data msg/s per channel per publisher\n", half.data_rate);
        } else {
          half.video_pps = std::max<uint32_t>(1, report.main->scenario.video_pps / 2);
          std::fprintf(stderr, "[sfu] half load: %u video pps per publisher\n", half.video_pps);
        }
        half.room_prefix = "half";
        report.half_load = run_load(half, target);
        report.half_load->target = "sfu (half load)";
      }
    } else {
      report.main = run_load(o.scenario, target);
      if (o.tcp && report.main && report.main->ok) {
        Scenario over_tcp = o.scenario;
        over_tcp.ice_tcp = true;
        over_tcp.room_prefix = "tcp";
        std::fprintf(stderr, "[sfu] the same load over ICE-TCP\n");
        report.ice_tcp = run_load(over_tcp, target);
        report.ice_tcp->target = "sfu ice-tcp";
        if (!report.ice_tcp->ok) exit_code = 1;
      }
      if (o.simulcast && report.main && report.main->ok) {
        Scenario layered = o.scenario;
        layered.simulcast = true;
        layered.room_prefix = "simulcast";
        std::fprintf(stderr, "[sfu] the same scenario with simulcast publishers\n");
        report.simulcast = run_load(layered, target);
        report.simulcast->target = "sfu simulcast";
        if (!report.simulcast->ok) exit_code = 1;
        if (report.simulcast->ok && !report.simulcast->simulcast->correct()) {
          std::fprintf(stderr, "sfu-bench: simulcast: %s\n", report.simulcast->simulcast->failure().c_str());
          exit_code = 1;
        }
      }
    }
    if (!report.main || !report.main->ok) exit_code = 1;
    // Data channels: a reliable message lost or reordered, or nothing relayed, fails the run.
    for (const auto* run : {&report.main, &report.half_load}) {
      if (*run && (*run)->ok && (*run)->data && !(*run)->data->correct()) {
        std::fprintf(stderr, "sfu-bench: data channels: %s\n", data_failure((*run)->data.value()).c_str());
        exit_code = 1;
      }
    }
    if (o.url.empty() && !server.running()) {
      std::fprintf(stderr, "sfu-bench: the server died during the run: %s\n", server.log_tail().c_str());
      exit_code = 1;
    }
    server.stop();
  }
  if (o.target == "janus" || o.target == "both") {
    // Runs in a private network namespace (entered and left by this thread), after the SFU run.
    std::string error;
    auto janus = run_janus_target(o, server_cpus, &error);
    if (!janus) {
      std::fprintf(stderr, "sfu-bench: janus: %s\n", error.c_str());
      exit_code = 1;
    } else {
      report.janus = *janus;
      if (!janus->ok) exit_code = 1;
    }
  }

  if (o.baseline) {
    UdpReflector reflector;
    std::string error;
    auto bind = sfu::SocketAddress::from_ip(o.scenario.bind_ip, 0);
    if (!bind || !reflector.start(*bind, server_cpus, &error)) {
      std::fprintf(stderr, "sfu-bench: baseline reflector: %s\n", error.c_str());
      exit_code = 1;
    } else {
      Target target;
      target.kind = Target::Kind::kUdpReflector;
      target.name = "baseline";
      target.reflector = reflector.address();
      target.own_threads = {reflector.thread_id()};
      if (o.ramp) {
        report.baseline_ramp = ramp(o, target, "bramp", &report.baseline);
      } else {
        Scenario s = o.scenario;
        s.room_prefix = "baseline";
        report.baseline = run_load(s, target);
      }
      reflector.stop();
      if (!report.baseline || !report.baseline->ok) exit_code = 1;
    }
  }

  std::fputs(report_table(report).c_str(), stdout);
  if (!o.json_path.empty()) {
    std::ofstream out(o.json_path);
    out << report_to_json(report).dump(2) << "\n";
    if (!out) {
      std::fprintf(stderr, "sfu-bench: cannot write %s\n", o.json_path.c_str());
      exit_code = 1;
    } else {
      std::fprintf(stderr, "sfu-bench: wrote %s\n", o.json_path.c_str());
    }
  }
  return exit_code;
}

// An exception escaping main() would end the process with std::terminate and no message.
int main(int argc, char** argv) {
  try {
    return bench_main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sfu-bench: fatal: %s\n", e.what());
    return 1;
  }
}
