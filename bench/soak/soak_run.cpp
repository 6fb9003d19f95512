#include "bench/soak/soak_run.h"

#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "bench/packet_stamp.h"
#include "bench/soak/client_loop.h"
#include "bench/soak/join_cycles.h"
#include "bench/soak/resource_checks.h"
#include "bench/soak/server_probe.h"
#include "bench/soak/text_table.h"
#include "bench/soak/vanishing_clients.h"

namespace sfu::soak {
namespace {

constexpr auto kPollInterval = std::chrono::milliseconds(500);

double seconds_since(uint64_t start_ns) {
  return static_cast<double>(bench::monotonic_ns() - start_ns) / 1e9;
}

void print_snapshot(const char* label, const ServerSnapshot& s) {
  std::printf(
      "[soak] %-22s rooms %.0f, participants %.0f, transports %.0f, sessions %.0f, fds %lu, RSS %lu KiB%s\n",
      label, s.rooms, s.participants, s.transports, s.sessions, static_cast<unsigned long>(s.fds),
      static_cast<unsigned long>(s.rss_kib), s.alive ? "" : ("  (" + s.error + ")").c_str());
  std::fflush(stdout);
}

struct Settled {
  ServerSnapshot end;
  std::vector<ResourceCheck> checks;
  double seconds = 0;
};

// Polls until every check holds on two samples in a row, or `limit_s` passes.
Settled settle(const ServerProbe& probe, const ServerSnapshot& start, const ServerSnapshot& warm,
               ResourcePeaks& peaks, double limit_s, double rss_tolerance) {
  Settled out;
  uint64_t begin = bench::monotonic_ns();
  int good_in_a_row = 0;
  while (true) {
    out.end = probe.snapshot();
    peaks.add(out.end);
    out.checks = check_resources(start, warm, peaks, out.end, rss_tolerance);
    good_in_a_row = all_ok(out.checks) ? good_in_a_row + 1 : 0;
    out.seconds = seconds_since(begin);
    if (good_in_a_row >= 2 || !out.end.alive || out.seconds >= limit_s) return out;
    std::this_thread::sleep_for(kPollInterval);
  }
}

// The warm-up only has to be over: every client gone (rooms may linger for their grace time).
double settle_clients(const ServerProbe& probe, const ServerSnapshot& start, ResourcePeaks& peaks,
                      double limit_s) {
  uint64_t begin = bench::monotonic_ns();
  while (seconds_since(begin) < limit_s) {
    ServerSnapshot s = probe.snapshot();
    peaks.add(s);
    if (!s.alive || (s.participants == start.participants && s.transports == start.transports &&
                     s.sessions == start.sessions))
      break;
    std::this_thread::sleep_for(kPollInterval);
  }
  return seconds_since(begin);
}

ServerSnapshot quiet_snapshot(const ServerProbe& probe) {
  // Two equal fd counts in a row: nothing is still closing.
  ServerSnapshot s = probe.snapshot();
  for (int i = 0; i < 10; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    ServerSnapshot again = probe.snapshot();
    bool same = again.fds == s.fds && again.participants == s.participants && again.sessions == s.sessions;
    s = again;
    if (same) break;
  }
  return s;
}

nlohmann::json checks_json(const std::vector<ResourceCheck>& checks) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& c : checks)
    out.push_back({{"what", c.what},
                   {"start", c.start},
                   {"warm", c.warm},
                   {"peak", c.peak},
                   {"end", c.end},
                   {"bound", c.bound},
                   {"ok", c.ok}});
  return out;
}

}  // namespace

// NOLINTNEXTLINE(readability-function-cognitive-complexity): the soak's phases in order, each printing what it did.
int run_soak(const SoakOptions& o) {
  ServerProbe probe(o.host, o.port, o.server_pid);
  ServerSnapshot start = quiet_snapshot(probe);
  print_snapshot("start", start);
  if (!start.alive) {
    std::fprintf(stderr, "sfu-soak: the server cannot be watched: %s\n", start.error.c_str());
    return 1;
  }
  ResourcePeaks peaks;
  peaks.add(start);
  ClientLoop loop;
  CycleOptions cycles;
  cycles.host = o.host;
  cycles.port = o.port;
  cycles.path = o.path;
  cycles.bind_ip = o.bind_ip;
  cycles.concurrency = o.concurrency;
  cycles.packets = o.packets;
  VanishOptions vanish;
  vanish.self_exe = o.self_exe;
  vanish.host = o.host;
  vanish.port = o.port;
  vanish.path = o.path;
  vanish.bind_ip = o.bind_ip;
  vanish.concurrency = o.vanish_concurrency;

  // Warm-up.
  cycles.cycles = o.warmup_cycles;
  cycles.room_prefix = o.room_prefix + "-warm";
  CycleResult warm_cycles = run_join_cycles(loop, cycles);
  vanish.count = o.warmup_vanish == kSameAsVanish ? o.vanish : o.warmup_vanish;
  vanish.room_prefix = o.room_prefix + "-warm-vanish";
  VanishingClients warm_vanishers;
  VanishResult warm_vanish = warm_vanishers.run(vanish);
  std::printf(
      "[soak] warm-up: %u/%u cycles ok, %u clients killed and %u frozen part-way (%u failed) in %.1f s\n",
      warm_cycles.cycles_ok, warm_cycles.cycles_ok + warm_cycles.cycles_failed, warm_vanish.killed,
      warm_vanish.frozen, warm_vanish.failed, warm_cycles.seconds + warm_vanish.seconds);
  // The frozen ones get the server's timeouts, then are killed: whatever they left is then freed
  // by their sockets closing, so the baseline holds no client.
  double warm_settle_s = settle_clients(probe, start, peaks, o.warmup_settle_s);
  warm_vanishers.release();
  settle_clients(probe, start, peaks, o.warmup_settle_s);
  ServerSnapshot warm = quiet_snapshot(probe);
  peaks.add(warm);
  print_snapshot("after warm-up", warm);

  // Cycles.
  cycles.cycles = o.cycles;
  cycles.room_prefix = o.room_prefix + "-cycle";
  uint64_t last_report = bench::monotonic_ns();
  CycleResult cycle_result = run_join_cycles(loop, cycles, [&](uint32_t done) {
    if (seconds_since(last_report) < 5) return;
    last_report = bench::monotonic_ns();
    ServerSnapshot now = probe.snapshot();
    peaks.add(now);
    std::printf("[soak] cycles %u/%u: participants %.0f, transports %.0f, fds %lu, RSS %lu KiB\n", done,
                o.cycles, now.participants, now.transports, static_cast<unsigned long>(now.fds),
                static_cast<unsigned long>(now.rss_kib));
    std::fflush(stdout);
  });
  ServerSnapshot after_cycles = probe.snapshot();
  peaks.add(after_cycles);
  std::printf(
      "[soak] cycles: %u ok, %u failed in %.1f s (%u waves of %u); %lu packets received, p99 %.2f ms\n",
      cycle_result.cycles_ok, cycle_result.cycles_failed, cycle_result.seconds, cycle_result.waves,
      o.concurrency, static_cast<unsigned long>(cycle_result.packets_received),
      static_cast<double>(cycle_result.latency.percentile(0.99)) / 1e6);
  for (const auto& f : cycle_result.failures) std::printf("[soak]   cycle failure: %s\n", f.c_str());
  print_snapshot("after cycles", after_cycles);

  // Vanishing clients.
  vanish.count = o.vanish;
  vanish.room_prefix = o.room_prefix + "-vanish";
  VanishingClients vanishers;
  VanishResult vanish_result = vanishers.run(vanish);
  ServerSnapshot after_vanish = probe.snapshot();
  peaks.add(after_vanish);
  std::printf("[soak] vanishing clients: %u killed, %u frozen, %u failed to reach their stage, in %.1f s\n",
              vanish_result.killed, vanish_result.frozen, vanish_result.failed, vanish_result.seconds);
  for (const auto& [what, count] : vanish_result.by_stage)
    std::printf("[soak]   %-16s %u\n", what.c_str(), count);
  for (const auto& f : vanish_result.failures) std::printf("[soak]   vanish failure: %s\n", f.c_str());
  print_snapshot("after vanishing", after_vanish);

  // Settle, with the frozen clients still there.
  std::printf("[soak] settling (up to %.0f s; %zu frozen clients kept)...\n", o.settle_s,
              vanishers.frozen_count());
  std::fflush(stdout);
  Settled final_settle = settle(probe, start, warm, peaks, o.settle_s, o.rss_tolerance);
  vanishers.release();
  print_snapshot("end", final_settle.end);

  bool resources_ok = all_ok(final_settle.checks);
  bool cycles_ok = cycle_result.cycles_failed <= o.max_failed_cycles;
  double vanish_failed_share = o.vanish ? static_cast<double>(vanish_result.failed) / o.vanish : 0;
  bool vanish_ok = vanish_failed_share <= o.max_failed_vanish_share;
  std::printf("\n== soak: %u join/publish/leave cycles, %u vanishing clients; settled for %.1f s%s\n",
              cycle_result.cycles_ok + cycle_result.cycles_failed, o.vanish, final_settle.seconds,
              resources_ok ? "" : " (gave up)");
  std::fputs(render_resource_checks(final_settle.checks).c_str(), stdout);
  TextTable phases({"phase", "figure", "bound", "result"});
  phases.add({"cycles",
              std::to_string(cycle_result.cycles_failed) + " failed of " +
                  std::to_string(cycle_result.cycles_ok + cycle_result.cycles_failed),
              "<= " + std::to_string(o.max_failed_cycles), cycles_ok ? "ok" : "FAIL"});
  phases.add({"vanishing clients", std::to_string(vanish_result.failed) + " did not reach their stage",
              "<= " + fixed(o.max_failed_vanish_share * 100, 0) + " %", vanish_ok ? "ok" : "FAIL"});
  phases.add({"warm-up settle", fixed(warm_settle_s, 1) + " s", "(baseline taken after it)",
              warm_settle_s < o.warmup_settle_s ? "clients gone" : "clients still there"});
  std::fputs(phases.render().c_str(), stdout);
  bool ok = resources_ok && cycles_ok && vanish_ok;
  std::printf("soak: %s\n", ok ? "PASS" : "FAIL");

  if (!o.json_path.empty()) {
    nlohmann::json doc = {{"ok", ok},
                          {"cycles",
                           {{"ok", cycle_result.cycles_ok},
                            {"failed", cycle_result.cycles_failed},
                            {"seconds", cycle_result.seconds},
                            {"failures", cycle_result.failures}}},
                          {"vanish",
                           {{"killed", vanish_result.killed},
                            {"frozen", vanish_result.frozen},
                            {"failed", vanish_result.failed},
                            {"by_stage", vanish_result.by_stage},
                            {"failures", vanish_result.failures}}},
                          {"settle_s", final_settle.seconds},
                          {"resources", checks_json(final_settle.checks)}};
    std::ofstream(o.json_path) << doc.dump(2) << "\n";
  }
  return ok ? 0 : 1;
}

}  // namespace sfu::soak
