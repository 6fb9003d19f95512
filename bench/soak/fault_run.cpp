#include "bench/soak/fault_run.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <thread>
#include <variant>

#include "bench/load_run.h"
#include "bench/packet_stamp.h"
#include "bench/soak/client_loop.h"
#include "bench/soak/feedback_flooder.h"
#include "bench/soak/join_burst.h"
#include "bench/soak/join_probe.h"
#include "bench/soak/server_probe.h"
#include "bench/soak/silent_subscribers.h"
#include "bench/soak/slowloris.h"
#include "bench/soak/text_table.h"
#include "config/config.h"

namespace sfu::soak {
namespace {

constexpr uint64_t kNackIntervalMs = 5;
constexpr uint64_t kPliIntervalMs = 10;
constexpr double kSilentSlackS = 3;  // beyond rtc.join_timeout_s
// A slow connection is closed within its idle timeout, or libwebsockets' own 10 s limit on the
// HTTP header phase, whichever is longer, plus this slack.
constexpr double kSlowlorisSlackS = 5;
constexpr double kLwsHeaderTimeoutS = 10;
constexpr double kProbeBoundMs = 2000;
constexpr double kRetransmitSlack = 1.25;     // on the budget, for timer granularity
constexpr double kRetransmitAllowance = 100;  // the bystander's own repairs
constexpr uint64_t kFaultStartTimeoutMs = 20'000;

enum class FaultState { kPending, kActive, kFailed };

struct FaultPhase {
  bench::RunResult bystanders;
  MetricSamples before, during, after;  // at the fault's start, the window's end, after it stopped
  double active_s = 0;
  std::string fault_error;
  std::vector<FaultFigure> figures;
  std::vector<FaultCheck> driver_checks;
  std::string probe_answer;
  double probe_ms = -1;
};

double silent_bound_s(const config::Config& cfg) { return cfg.rtc.join_timeout_s + kSilentSlackS; }
double slowloris_bound_s(const config::Config& cfg) {
  return std::max<double>(cfg.http.websocket_idle_timeout_s, kLwsHeaderTimeoutS) + kSlowlorisSlackS;
}

// The measurement window: the asked one, or longer when the fault's bound needs time to show.
double window_s(const FaultOptions& o, const config::Config& cfg) {
  if (o.kind == FaultKind::kNoAnswer) return std::max(o.fault_s, silent_bound_s(cfg) + 1);
  if (o.kind == FaultKind::kSlowloris) return std::max(o.fault_s, slowloris_bound_s(cfg) + 1);
  return o.fault_s;
}

bench::Scenario bystander_scenario(const FaultOptions& o, const std::string& prefix, double window) {
  bench::Scenario s;
  s.rooms = 1;
  s.publishers = 1;
  s.subscribers = 1;
  s.video_pps = o.video_pps;
  s.video_packet_size = 1000;
  s.warmup_s = o.warmup_s;
  s.duration_s = window;
  s.connect_timeout_s = 20;
  s.client_threads = 1;
  s.bind_ip = o.bind_ip;
  s.room_prefix = prefix;
  s.progress = false;
  return s;
}

bench::Target sfu_target(const FaultOptions& o) {
  bench::Target t;
  t.name = "sfu";
  t.host = o.host;
  t.port = o.port;
  t.path = o.path;
  t.server_pid = o.server_pid;
  return t;
}

std::unique_ptr<FaultDriver> make_driver(const FaultOptions& o, const config::Config& cfg, ClientLoop& loop,
                                         const FaultTarget& target) {
  switch (o.kind) {
    case FaultKind::kNone:
      return nullptr;
    case FaultKind::kNackFlood:
      return std::make_unique<FeedbackFlooder>(loop.get(), target, FeedbackFlooder::Kind::kNack,
                                               kNackIntervalMs);
    case FaultKind::kPliFlood:
      return std::make_unique<FeedbackFlooder>(loop.get(), target, FeedbackFlooder::Kind::kPli,
                                               kPliIntervalMs);
    case FaultKind::kNoAnswer:
      return std::make_unique<SilentSubscribers>(loop.get(), target, o.silent_clients, cfg.rtc.join_timeout_s,
                                                 kSilentSlackS);
    case FaultKind::kSlowloris:
      return std::make_unique<Slowloris>(target, o.slowloris_per_flavour, slowloris_bound_s(cfg));
    case FaultKind::kQueueFull:
      return std::make_unique<JoinBurst>(loop.get(), target, o.burst_sockets, o.burst_pairs,
                                         o.burst_interval_ms);
  }
  return nullptr;
}

MetricSamples scrape(const ServerProbe& probe) {
  std::string error;
  auto metrics = probe.metrics(&error);
  if (!metrics) std::fprintf(stderr, "sfu-soak: /metrics: %s\n", error.c_str());
  return metrics.value_or(MetricSamples{});
}

// Starts the driver once the bystanders are connected and keeps it going until their run ends.
// NOLINTNEXTLINE(readability-function-cognitive-complexity): the fault's timeline, step by step, with the bystanders' thread.
FaultPhase run_fault_phase(const FaultOptions& o, const config::Config& cfg, const ServerProbe& probe) {
  FaultPhase phase;
  double window = window_s(o, cfg);
  bench::Scenario scenario = bystander_scenario(o, std::string("fault-") + fault_info(o.kind).name, window);
  FaultTarget target{o.host, o.port, o.path, o.bind_ip, scenario.room_prefix + "-0"};
  std::atomic<bool> bystanders_ready{false}, run_done{false};
  std::atomic<FaultState> state{FaultState::kPending};
  scenario.on_connected = [&] {
    bystanders_ready = true;
    while (state.load() == FaultState::kPending) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  };
  std::thread runner([&] {
    phase.bystanders = bench::run_load(scenario, sfu_target(o));
    run_done = true;
    bystanders_ready = true;  // also when they failed to connect
  });

  ClientLoop loop;
  std::unique_ptr<FaultDriver> driver = make_driver(o, cfg, loop, target);
  JoinProbe join_probe(loop.get(), target, std::string("probe-") + fault_info(o.kind).name);
  loop.run_until([&] { return bystanders_ready.load(); }, 120'000);
  phase.before = scrape(probe);
  auto tick = [&] {
    uint64_t now = bench::monotonic_ns();
    if (driver) driver->tick(now);
    join_probe.tick(now);
  };
  if (driver && !run_done) {
    loop.update_time();
    std::string error;
    if (!driver->start(&error)) phase.fault_error = "the fault could not start: " + error;
    bool active = phase.fault_error.empty() &&
                  loop.run_until([&] { return driver->active() || !driver->failure().empty(); },
                                 kFaultStartTimeoutMs, tick);
    if (phase.fault_error.empty() && !active)
      phase.fault_error = "the fault did not become active: " +
                          (driver->failure().empty() ? std::string("timed out") : driver->failure());
  }
  uint64_t active_since = bench::monotonic_ns();
  state = phase.fault_error.empty() ? FaultState::kActive : FaultState::kFailed;

  // The probe joins in the middle of the window; the metrics are scraped again at its end.
  uint64_t probe_at = active_since + static_cast<uint64_t>((o.warmup_s + window / 2) * 1e9);
  uint64_t window_end = active_since + static_cast<uint64_t>((o.warmup_s + window) * 1e9);
  bool scraped_during = false;
  auto during_fault = [&] {
    tick();
    uint64_t now = bench::monotonic_ns();
    if (!join_probe.started() && now >= probe_at) {
      std::string error;
      if (!join_probe.start(now, &error)) phase.probe_answer = "could not start: " + error;
    }
    if (!scraped_during && now >= window_end) {
      phase.during = scrape(probe);
      scraped_during = true;
    }
  };
  loop.run_until([&] { return run_done.load(); }, 600'000, during_fault);
  runner.join();
  if (driver) {
    driver->stop();
    loop.run_until([&] { return driver->stopped(); }, 3000, tick);
  }
  phase.active_s = static_cast<double>(bench::monotonic_ns() - active_since) / 1e9;
  if (join_probe.answered()) {
    phase.probe_answer = join_probe.answer();
    phase.probe_ms = join_probe.answer_ms();
  } else if (phase.probe_answer.empty()) {
    phase.probe_answer = join_probe.started() ? "no answer" : "not sent";
  }
  join_probe.close();
  loop.run_until([&] { return join_probe.closed(); }, 2000);
  phase.after = scrape(probe);
  if (driver) {
    phase.figures = driver->figures();
    phase.driver_checks = driver->checks();
  }
  return phase;
}

std::vector<FaultCheck> bound_checks(const FaultOptions& o, const config::Config& cfg, const FaultPhase& p) {
  std::vector<FaultCheck> out;
  if (o.kind == FaultKind::kNackFlood) {
    double sent = p.after.sum("sfu_retransmissions_total") - p.before.sum("sfu_retransmissions_total");
    double bound =
        cfg.media.retransmissions_per_second * p.active_s * kRetransmitSlack + kRetransmitAllowance;
    out.push_back(
        {"retransmissions (sfu_retransmissions_total)", fixed(sent, 0) + " in " + fixed(p.active_s, 1) + " s",
         "<= media.retransmissions_per_second " + std::to_string(cfg.media.retransmissions_per_second) +
             "/s x 1.25 + 100 = " + fixed(bound, 0),
         sent <= bound});
  }
  if (o.kind == FaultKind::kPliFlood) {
    double sent =
        p.after.sum("sfu_keyframe_requests_sent_total") - p.before.sum("sfu_keyframe_requests_sent_total");
    double interval_s = cfg.media.publisher_keyframe_interval_ms / 1000.0;
    double bound = (interval_s > 0 ? p.active_s / interval_s : 0) + 2;
    out.push_back({"PLIs to the publisher (sfu_keyframe_requests_sent_total)",
                   fixed(sent, 0) + " in " + fixed(p.active_s, 1) + " s",
                   "<= 1 per media.publisher_keyframe_interval_ms " +
                       std::to_string(cfg.media.publisher_keyframe_interval_ms) +
                       " ms + 2 = " + fixed(bound, 0),
                   sent <= bound});
  }
  out.insert(out.end(), p.driver_checks.begin(), p.driver_checks.end());
  return out;
}

FaultCheck refusal_check(const FaultInfo& info, const FaultPhase& p) {
  std::regex pattern(refusal_pattern(info));
  double grew = 0;
  std::string which;
  for (const MetricChange& c : changes_matching(p.before, p.after, pattern)) {
    if (c.delta() <= 0) continue;
    grew += c.delta();
    which += (which.empty() ? "" : ", ") + c.key + " +" + fixed(c.delta(), 0);
  }
  return {"refusals counted in /metrics",
          which.empty() ? "nothing was refused (no such counter grew)" : which,
          std::string("> 0: ") + info.refusal_in_words, grew > 0};
}

struct SettleOutcome {
  ServerSnapshot end;
  double seconds = 0;
  bool ok = false;
};

// The fault's clients and the bystanders are gone: what the server holds must be back to `pre`.
SettleOutcome settle(const ServerProbe& probe, const ServerSnapshot& pre, double limit_s) {
  SettleOutcome out;
  uint64_t begin = bench::monotonic_ns();
  while (true) {
    out.end = probe.snapshot();
    out.seconds = static_cast<double>(bench::monotonic_ns() - begin) / 1e9;
    out.ok = out.end.alive && out.end.participants == pre.participants &&
             out.end.transports == pre.transports && out.end.sessions == pre.sessions;
    if (out.ok || !out.end.alive || out.seconds >= limit_s) return out;
    std::this_thread::sleep_for(std::chrono::milliseconds(250));
  }
}

std::string pct(double ratio) { return fixed(ratio * 100, 3) + " %"; }
std::string ms(uint64_t ns) { return fixed(static_cast<double>(ns) / 1e6, 2) + " ms"; }

void print_bystanders(const bench::RunResult& base, const bench::RunResult& fault) {
  TextTable t({"bystanders (1 publisher, 1 subscriber)", "baseline", "during the fault"});
  auto both = [&](const char* what, auto value) { t.add({what, value(base), value(fault)}); };
  both("connected",
       [](const bench::RunResult& r) { return r.ok ? std::string("yes") : "no: " + r.error.substr(0, 60); });
  both("window", [](const bench::RunResult& r) { return fixed(r.window_s, 1) + " s"; });
  both("packets expected / received", [](const bench::RunResult& r) {
    return std::to_string(r.expected) + " / " + std::to_string(r.received);
  });
  both("loss", [](const bench::RunResult& r) { return pct(r.loss_ratio); });
  both("latency p50", [](const bench::RunResult& r) { return ms(r.latency.percentile(0.5)); });
  both("latency p99", [](const bench::RunResult& r) { return ms(r.latency.percentile(0.99)); });
  both("latency max", [](const bench::RunResult& r) { return ms(r.latency.max()); });
  both("server CPU", [](const bench::RunResult& r) { return fixed(r.server_cpu_percent, 0) + " %"; });
  std::fputs(t.render().c_str(), stdout);
}

void print_counters(const FaultInfo& info, const FaultPhase& p) {
  TextTable t({"/metrics sample", "fault start", "window end", "fault stopped", "delta"});
  std::regex relevant(std::string(info.relevant) + "|" + refusal_pattern(info));
  for (const MetricChange& c : changes_matching(p.before, p.after, relevant)) {
    auto during = p.during.value(c.key);
    t.add({c.key, fixed(c.before, 0), during ? fixed(*during, 0) : "-", fixed(c.after, 0),
           (c.delta() >= 0 ? "+" : "") + fixed(c.delta(), 0)});
  }
  std::fputs(t.render().c_str(), stdout);
}

nlohmann::json run_json(const bench::RunResult& r) {
  return {{"ok", r.ok},
          {"loss_ratio", r.loss_ratio},
          {"expected", r.expected},
          {"received", r.received},
          {"p50_ms", static_cast<double>(r.latency.percentile(0.5)) / 1e6},
          {"p99_ms", static_cast<double>(r.latency.percentile(0.99)) / 1e6},
          {"max_ms", static_cast<double>(r.latency.max()) / 1e6},
          {"server_cpu_percent", r.server_cpu_percent}};
}

}  // namespace

// NOLINTNEXTLINE(readability-function-cognitive-complexity): baseline, fault, settle and the report, in order.
int run_fault(const FaultOptions& o) {
  auto loaded = config::load_config_file(o.server_config);
  if (auto* error = std::get_if<config::ConfigError>(&loaded)) {
    std::fprintf(stderr, "sfu-soak: --server-config: %s\n", error->to_string().c_str());
    return 2;
  }
  const config::Config& cfg = std::get<config::Config>(loaded);
  const FaultInfo& info = fault_info(o.kind);
  ServerProbe probe(o.host, o.port, o.server_pid);
  ServerSnapshot start = probe.snapshot();
  if (!start.alive) {
    std::fprintf(stderr, "sfu-soak: the server cannot be watched: %s\n", start.error.c_str());
    return 1;
  }

  std::printf("[fault %s] baseline: bystanders alone for %.0f s\n", info.name, o.baseline_s);
  std::fflush(stdout);
  bench::RunResult baseline =
      bench::run_load(bystander_scenario(o, std::string("base-") + info.name, o.baseline_s), sfu_target(o));
  SettleOutcome pre = settle(probe, start, o.settle_s);
  std::printf("[fault %s] fault: %s, for %.0f s of measurement\n", info.name, info.description,
              window_s(o, cfg));
  std::fflush(stdout);
  FaultPhase phase = run_fault_phase(o, cfg, probe);
  SettleOutcome after = settle(probe, pre.end, o.settle_s);

  std::vector<FaultCheck> checks;
  checks.push_back(
      {"bystanders connected (baseline and fault runs)",
       std::string(baseline.ok ? "yes" : "baseline: no") + (phase.bystanders.ok ? "" : ", fault run: no"),
       "both", baseline.ok && phase.bystanders.ok});
  if (o.kind != FaultKind::kNone) {
    checks.push_back({"fault applied", phase.fault_error.empty() ? "yes" : phase.fault_error, "yes",
                      phase.fault_error.empty()});
  }
  checks.push_back({"bystander loss during the fault", pct(phase.bystanders.loss_ratio),
                    "<= " + fixed(o.max_loss_pct, 1) + " %",
                    phase.bystanders.ok && phase.bystanders.loss_ratio * 100 <= o.max_loss_pct});
  double p99_ms = static_cast<double>(phase.bystanders.latency.percentile(0.99)) / 1e6;
  checks.push_back({"bystander p99 latency during the fault", fixed(p99_ms, 2) + " ms",
                    "<= " + fixed(o.max_p99_ms, 0) + " ms", phase.bystanders.ok && p99_ms <= o.max_p99_ms});
  if (o.kind != FaultKind::kNone) checks.push_back(refusal_check(info, phase));
  for (FaultCheck& c : bound_checks(o, cfg, phase)) checks.push_back(std::move(c));
  bool overloaded_ok = o.kind == FaultKind::kQueueFull && phase.probe_answer == "overloaded";
  checks.push_back(
      {"a join during the fault is answered",
       phase.probe_answer + (phase.probe_ms >= 0 ? " after " + fixed(phase.probe_ms, 0) + " ms" : ""),
       std::string("joined") + (o.kind == FaultKind::kQueueFull ? " or overloaded" : "") +
           ", <= " + fixed(kProbeBoundMs, 0) + " ms",
       (phase.probe_answer == "joined" || overloaded_ok) && phase.probe_ms <= kProbeBoundMs});
  checks.push_back({"participants, transports, sessions back after the fault",
                    fixed(after.end.participants, 0) + ", " + fixed(after.end.transports, 0) + ", " +
                        fixed(after.end.sessions, 0) + " after " + fixed(after.seconds, 1) + " s",
                    "= before it: " + fixed(pre.end.participants, 0) + ", " + fixed(pre.end.transports, 0) +
                        ", " + fixed(pre.end.sessions, 0) + ", within " + fixed(o.settle_s, 0) + " s",
                    after.ok});
  checks.push_back({"server alive", after.end.alive ? "yes" : after.end.error, "yes", after.end.alive});

  std::printf("\n== fault %s: %s (fault active %.1f s)\n", info.name, info.description, phase.active_s);
  print_bystanders(baseline, phase.bystanders);
  if (!phase.figures.empty()) {
    TextTable figures({"what the fault did", ""});
    for (const FaultFigure& f : phase.figures) figures.add({f.what, f.value});
    std::fputs(figures.render().c_str(), stdout);
  }
  if (o.kind != FaultKind::kNone) print_counters(info, phase);
  TextTable table({"check", "observed", "bound", "result"});
  bool ok = true;
  std::string failed;
  for (const FaultCheck& c : checks) {
    table.add({c.what, c.observed, c.bound, c.ok ? "ok" : "FAIL"});
    ok &= c.ok;
    if (!c.ok) failed += (failed.empty() ? "" : "; ") + c.what;
  }
  std::fputs(table.render().c_str(), stdout);
  std::printf("fault %s: %s\n", info.name, ok ? "PASS" : "FAIL");

  if (!o.summary_path.empty()) {
    char line[512];
    std::snprintf(line, sizeof(line), "%-11s %-4s loss %8s (baseline %8s)  p99 %9s (baseline %9s)", info.name,
                  ok ? "PASS" : "FAIL", pct(phase.bystanders.loss_ratio).c_str(),
                  pct(baseline.loss_ratio).c_str(), ms(phase.bystanders.latency.percentile(0.99)).c_str(),
                  ms(baseline.latency.percentile(0.99)).c_str());
    std::ofstream(o.summary_path, std::ios::app)
        << line << (failed.empty() ? "" : "  failed: " + failed) << "\n";
  }
  if (!o.json_path.empty()) {
    nlohmann::json doc = {{"fault", info.name},
                          {"ok", ok},
                          {"baseline", run_json(baseline)},
                          {"fault_run", run_json(phase.bystanders)},
                          {"active_s", phase.active_s}};
    for (const FaultCheck& c : checks)
      doc["checks"].push_back({{"what", c.what}, {"observed", c.observed}, {"bound", c.bound}, {"ok", c.ok}});
    std::ofstream(o.json_path) << doc.dump(2) << "\n";
  }
  return ok ? 0 : 1;
}

}  // namespace sfu::soak
