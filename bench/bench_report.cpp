#include "bench/bench_report.h"

#include <algorithm>
#include <cstdio>

namespace sfu::bench {
namespace {

double ms(uint64_t ns) { return static_cast<double>(ns) / 1e6; }

std::string format(const char* fmt, double value) {
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), fmt, value);
  return buffer;
}

std::string human_rate(double value) {
  if (value >= 1e9) return format("%.2f G", value / 1e9);
  if (value >= 1e6) return format("%.2f M", value / 1e6);
  if (value >= 1e3) return format("%.1f k", value / 1e3);
  return format("%.0f ", value);
}

nlohmann::json threads_json(const std::vector<ThreadCpuUse>& threads) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& t : threads) out.push_back({{"tid", t.tid}, {"name", t.name}, {"cpu_percent", t.percent}});
  return out;
}

}  // namespace

nlohmann::json run_to_json(const RunResult& run) {
  nlohmann::json out = {
      {"target", run.target},
      {"ok", run.ok},
      {"forwarded_pps", run.forwarded_pps},
      {"forwarded_bps", run.forwarded_bps},
      {"sent_pps", run.sent_pps},
      {"loss_ratio", run.loss_ratio},
      {"packets",
       {{"expected", run.expected},
        {"received", run.received},
        {"duplicates", run.duplicates},
        {"unstamped", run.unstamped},
        {"too_old", run.too_old},
        {"skipped_by_senders", run.skipped}}},
      {"latency_ms",
       {{"p50", ms(run.latency.percentile(0.5))},
        {"p99", ms(run.latency.percentile(0.99))},
        {"p999", ms(run.latency.percentile(0.999))},
        {"max", ms(run.latency.max())},
        {"mean", run.latency.mean() / 1e6},
        {"samples", run.latency.count()}}},
      {"window_s", run.window_s},
      {"connect_s", run.connect_s},
      {"down_tracks", run.down_tracks},
      {"server_cpu_percent", run.server_cpu_percent},
      {"server_threads", threads_json(run.server_threads)},
      {"server_rss_bytes", run.server_rss_bytes},
      {"server_rss_idle_bytes", run.server_rss_idle_bytes},
      {"memory_per_down_track_bytes", run.memory_per_down_track_bytes},
      {"memory_per_participant_bytes", run.memory_per_participant_bytes},
      {"client_cpu_percent", run.client_cpu_percent},
      {"client_threads", threads_json(run.client_threads)},
      {"machine",
       {{"busy_percent", run.machine_busy_percent},
        {"softirq_percent", run.softirq_percent},
        {"other_cpu_percent", run.other_cpu_percent},
        {"cpu_busy_percent", run.cpu_busy_percent}}},
      {"scenario",
       {{"rooms", run.scenario.rooms},
        {"publishers", run.scenario.publishers},
        {"subscribers", run.scenario.subscribers},
        {"video_pps_per_publisher", run.scenario.video_pps},
        {"video_packet_size", run.scenario.video_packet_size},
        {"audio", run.scenario.audio},
        {"ice_tcp", run.scenario.ice_tcp},
        {"data_rate_per_channel", run.scenario.data_rate},
        {"data_size", run.scenario.data_size},
        {"participants", run.scenario.participants()},
        {"duration_s", run.scenario.duration_s},
        {"offered_forward_pps", run.scenario.offered_forward_pps()}}},
  };
  // Packets per second per core used: the efficiency figure that stays comparable when a run did
  // not saturate the forwarder.
  if (run.server_cpu_percent > 0)
    out["forwarded_pps_per_core"] = run.forwarded_pps / (run.server_cpu_percent / 100.0);
  if (run.forwarded_pps > 0) out["server_cpu_us_per_packet"] = run.cpu_us_per_forwarded();
  if (!run.workers.empty()) {
    nlohmann::json workers = nlohmann::json::array();
    for (const WorkerFigures& w : run.workers)
      workers.push_back({{"worker", w.index},
                         {"participants", w.participants},
                         {"cpu_percent", w.cpu_percent},
                         {"forwarded_pps", w.forwarded_pps},
                         {"ring_out_pps", w.ring_out_pps},
                         {"ring_dropped", w.ring_dropped},
                         {"cpu_us_per_packet", w.cpu_us_per_forwarded}});
    out["workers"] = workers;
  }
  if (run.data) out["data"] = data_to_json(*run.data);
  if (!run.ok) out["error"] = run.error;
  return out;
}

namespace {

// Per worker of an SFU run: placement, CPU, the server's own forwarded count, CPU per packet.
std::string worker_lines(const RunResult& run) {
  std::string out;
  if (run.workers.size() < 2) return out;
  char line[256];
  for (const WorkerFigures& w : run.workers) {
    std::snprintf(line, sizeof(line),
                  "  %s worker %u: %llu participants, CPU %5.1f%%, %9.0f fwd pkt/s (server count), %6.2f "
                  "CPU-us/pkt, ring out %7.0f pkt/s, ring drops %llu\n",
                  run.target.c_str(), w.index, static_cast<unsigned long long>(w.participants), w.cpu_percent,
                  w.forwarded_pps, w.cpu_us_per_forwarded, w.ring_out_pps,
                  static_cast<unsigned long long>(w.ring_dropped));
    out += line;
  }
  return out;
}

// The UDP reflector's run, and the SFU's forwarded rate and CPU per packet relative to it.
void add_baseline_json(const Report& report, nlohmann::json& out) {
  const RunResult& baseline = *report.baseline;
  out["baseline_pps"] = baseline.forwarded_pps;
  out["baseline"] = run_to_json(baseline);
  if (!report.main) return;
  if (baseline.forwarded_pps > 0)
    out["fraction_of_baseline"] = report.main->forwarded_pps / baseline.forwarded_pps;
  if (baseline.cpu_us_per_forwarded() > 0)
    out["cpu_per_packet_vs_baseline"] = report.main->cpu_us_per_forwarded() / baseline.cpu_us_per_forwarded();
}

}  // namespace

nlohmann::json report_to_json(const Report& report) {
  nlohmann::json out = nlohmann::json::object();
  out["scenario"] = report.scenario;
  if (report.main) {
    nlohmann::json main = run_to_json(*report.main);
    for (const char* key :
         {"forwarded_pps", "forwarded_bps", "loss_ratio", "latency_ms", "server_cpu_percent",
          "server_threads", "server_rss_bytes", "server_rss_idle_bytes", "memory_per_down_track_bytes",
          "memory_per_participant_bytes", "down_tracks", "forwarded_pps_per_core", "data"})
      if (main.contains(key)) out[key] = main[key];
    out["sfu"] = main;
  }
  if (report.baseline) add_baseline_json(report, out);
  if (report.janus) {
    out["janus_pps"] = report.janus->forwarded_pps;
    out["janus"] = run_to_json(*report.janus);
  }
  if (report.ice_tcp) {
    out["ice_tcp_pps"] = report.ice_tcp->forwarded_pps;
    out["ice_tcp"] = run_to_json(*report.ice_tcp);
    if (report.main && report.main->forwarded_pps > 0)
      out["ice_tcp_fraction_of_udp"] = report.ice_tcp->forwarded_pps / report.main->forwarded_pps;
  }
  if (report.simulcast) out["simulcast"] = simulcast_to_json(*report.simulcast, report.main);
  auto ramp_json = [](const std::vector<RampStep>& steps) {
    nlohmann::json list = nlohmann::json::array();
    for (const auto& step : steps) {
      nlohmann::json j = run_to_json(step.result);
      j["video_pps_per_publisher"] = step.video_pps;
      if (step.result.scenario.data()) j["data_rate_per_channel"] = step.data_rate;
      j["held"] = step.held;
      list.push_back(j);
    }
    return list;
  };
  if (!report.ramp.empty()) {
    out["ramp"] = ramp_json(report.ramp);
    // Memory growth is only meaningful on a fresh server: later steps reuse what the allocator
    // kept from earlier ones.
    const RunResult& first = report.ramp.front().result;
    out["memory_per_down_track_bytes"] = first.memory_per_down_track_bytes;
    out["memory_per_participant_bytes"] = first.memory_per_participant_bytes;
    out["memory_measured_at"] = "first ramp step (fresh server)";
  }
  if (!report.baseline_ramp.empty()) out["baseline_ramp"] = ramp_json(report.baseline_ramp);
  if (report.half_load) out["half_load"] = run_to_json(*report.half_load);
  return out;
}

namespace {
constexpr const char* kLayerNames[kSimulcastLayers] = {"q", "h", "f"};

// Server CPU-microseconds per packet it received from the publishers or forwarded: a simulcast
// publisher sends 1.75 times the packets of a plain one, which CPU per forwarded packet charges
// to the forwarding.
double cpu_us_per_packet_in_or_out(const RunResult& run) {
  double packets = run.forwarded_pps + run.sent_pps;
  return packets > 0 ? run.server_cpu_percent * 1e4 / packets : 0;
}
}  // namespace

nlohmann::json simulcast_to_json(const RunResult& simulcast, const std::optional<RunResult>& plain) {
  nlohmann::json out = run_to_json(simulcast);
  if (simulcast.simulcast) {
    const SimulcastFigures& figures = *simulcast.simulcast;
    nlohmann::json layers = nlohmann::json::array();
    for (uint32_t layer = 0; layer < kSimulcastLayers; ++layer) {
      const SimulcastLayerFigures& l = figures.layers[layer];
      layers.push_back({{"layer", layer},
                        {"rid", kLayerNames[layer]},
                        {"sent_pps_per_publisher", simulcast_layer_pps(simulcast.scenario.video_pps, layer)},
                        {"receivers_per_room", l.receivers},
                        {"sent_pps", l.sent_pps},
                        {"forwarded_pps", l.forwarded_pps},
                        {"expected", l.expected},
                        {"received", l.received},
                        {"loss_ratio", l.loss_ratio()}});
    }
    out["layers"] = layers;
    out["wrong_layer_packets"] = figures.wrong_layer;
    out["correct"] = figures.correct();
    if (!figures.correct()) out["failure"] = figures.failure();
  }
  out["simulcast_cpu_us_per_packet"] = simulcast.cpu_us_per_forwarded();
  out["simulcast_cpu_us_per_packet_in_or_out"] = cpu_us_per_packet_in_or_out(simulcast);
  if (plain && plain->ok) {
    out["plain_forwarded_pps"] = plain->forwarded_pps;
    out["plain_cpu_us_per_packet"] = plain->cpu_us_per_forwarded();
    out["plain_cpu_us_per_packet_in_or_out"] = cpu_us_per_packet_in_or_out(*plain);
    if (plain->cpu_us_per_forwarded() > 0)
      out["cpu_per_packet_vs_plain"] = simulcast.cpu_us_per_forwarded() / plain->cpu_us_per_forwarded();
    if (cpu_us_per_packet_in_or_out(*plain) > 0)
      out["cpu_per_packet_in_or_out_vs_plain"] =
          cpu_us_per_packet_in_or_out(simulcast) / cpu_us_per_packet_in_or_out(*plain);
  }
  return out;
}

std::string simulcast_table(const RunResult& simulcast, const std::optional<RunResult>& plain) {
  std::string out;
  if (!simulcast.ok || !simulcast.simulcast) return out;
  char line[256];
  for (uint32_t layer = 0; layer < kSimulcastLayers; ++layer) {
    const SimulcastLayerFigures& l = simulcast.simulcast->layers[layer];
    std::snprintf(line, sizeof(line),
                  "  simulcast layer %s: %5u pps per publisher, %u receiver(s) per room, %9.0f fwd pkt/s, "
                  "loss %.4f%%\n",
                  kLayerNames[layer], simulcast_layer_pps(simulcast.scenario.video_pps, layer), l.receivers,
                  l.forwarded_pps, l.loss_ratio() * 100);
    out += line;
  }
  if (simulcast.simulcast->wrong_layer > 0)
    out += "  simulcast: " + std::to_string(simulcast.simulcast->wrong_layer) +
           " packet(s) of a layer the receiver did not ask for\n";
  if (plain && plain->ok && plain->cpu_us_per_forwarded() > 0 && simulcast.forwarded_pps > 0) {
    std::snprintf(line, sizeof(line),
                  "simulcast / plain server CPU per forwarded packet: %.2f (%.2f / %.2f us)\n",
                  simulcast.cpu_us_per_forwarded() / plain->cpu_us_per_forwarded(),
                  simulcast.cpu_us_per_forwarded(), plain->cpu_us_per_forwarded());
    out += line;
    std::snprintf(
        line, sizeof(line),
        "simulcast / plain server CPU per packet in or out: %.2f (%.2f / %.2f us; %.0f / %.0f pkt/s "
        "in from the publishers)\n",
        cpu_us_per_packet_in_or_out(simulcast) / cpu_us_per_packet_in_or_out(*plain),
        cpu_us_per_packet_in_or_out(simulcast), cpu_us_per_packet_in_or_out(*plain), simulcast.sent_pps,
        plain->sent_pps);
    out += line;
  }
  return out;
}

// NOLINTNEXTLINE(readability-function-cognitive-complexity): one row per optional section of the report, each a flat if; to split per section.
std::string report_table(const Report& report) {
  std::vector<const RunResult*> runs;
  std::vector<std::string> labels;
  if (report.main) runs.push_back(&*report.main), labels.push_back(report.main->target);
  if (report.half_load) runs.push_back(&*report.half_load), labels.push_back("sfu @ half load");
  if (report.ice_tcp) runs.push_back(&*report.ice_tcp), labels.push_back("sfu ice-tcp");
  if (report.simulcast) runs.push_back(&*report.simulcast), labels.push_back("sfu simulcast");
  if (report.baseline) runs.push_back(&*report.baseline), labels.push_back("udp baseline");
  if (report.janus) runs.push_back(&*report.janus), labels.push_back("janus");
  std::string out;
  char line[512];
  std::snprintf(line, sizeof(line), "%-16s %12s %11s %9s %8s %8s %8s %9s %9s %10s %10s\n", "target",
                "fwd pkt/s", "fwd bit/s", "loss %", "p50 ms", "p99 ms", "p99.9 ms", "srv CPU%", "cli CPU%",
                "RSS MiB", "B/downtrk");
  out += line;
  for (size_t i = 0; i < runs.size(); ++i) {
    const RunResult& r = *runs[i];
    if (!r.ok) {
      out += labels[i] + ": failed: " + r.error + "\n";
      continue;
    }
    std::snprintf(line, sizeof(line),
                  "%-16s %12.0f %10sb %9.4f %8.3f %8.3f %8.3f %9.1f %9.1f %10.1f %10.0f\n", labels[i].c_str(),
                  r.forwarded_pps, human_rate(r.forwarded_bps).c_str(), r.loss_ratio * 100,
                  ms(r.latency.percentile(0.5)), ms(r.latency.percentile(0.99)),
                  ms(r.latency.percentile(0.999)), r.server_cpu_percent, r.client_cpu_percent,
                  static_cast<double>(r.server_rss_bytes) / (1 << 20), r.memory_per_down_track_bytes);
    out += line;
  }
  for (const RunResult* r : runs) {
    if (r->ok && r->other_cpu_percent > 15)
      out += format("  warning: %.0f%% of a core went to other work during the ", r->other_cpu_percent) +
             r->target + " run (other processes or uncharged softirq): figures are pessimistic\n";
    if (!r->ok || r->server_threads.empty()) continue;
    out += "  " + r->target + " threads:";
    if (r->server_threads.size() > 8) {
      // Many threads (Janus: one loop per handle): one entry per thread name's first word.
      std::vector<std::pair<std::string, std::pair<size_t, double>>> by_name;
      for (const auto& t : r->server_threads) {
        std::string name = t.name.substr(0, t.name.find(' '));  // "hloop <handle id>" -> "hloop"
        auto it =
            std::find_if(by_name.begin(), by_name.end(), [&](const auto& e) { return e.first == name; });
        if (it == by_name.end()) it = by_name.insert(by_name.end(), {name, {0, 0.0}});
        ++it->second.first;
        it->second.second += t.percent;
      }
      for (const auto& [name, use] : by_name)
        if (use.second >= 0.5)
          out += " " + name + " x" + std::to_string(use.first) + " " + format("%.1f%%", use.second);
    } else {
      for (const auto& t : r->server_threads)
        if (t.percent >= 0.5)
          out += " " + t.name + "/" + std::to_string(t.tid) + " " + format("%.1f%%", t.percent);
    }
    out += "\n";
  }
  for (size_t i = 0; i < runs.size(); ++i) out += worker_lines(*runs[i]);
  for (size_t i = 0; i < runs.size(); ++i) {
    if (runs[i]->ok && runs[i]->forwarded_pps > 0)
      out +=
          labels[i] + format(": server CPU %.2f us per forwarded packet\n", runs[i]->cpu_us_per_forwarded());
  }
  if (report.main && report.baseline && report.baseline->ok && report.baseline->cpu_us_per_forwarded() > 0)
    out += format("sfu / baseline CPU per forwarded packet: %.2f\n",
                  report.main->cpu_us_per_forwarded() / report.baseline->cpu_us_per_forwarded());
  for (size_t i = 0; i < runs.size(); ++i) out += data_table(labels[i], *runs[i]);
  if (report.main && report.janus && report.janus->ok && report.janus->forwarded_pps > 0)
    out += format("sfu / janus forwarded rate: %.2f\n",
                  report.main->forwarded_pps / report.janus->forwarded_pps);
  if (report.main && report.baseline && report.baseline->forwarded_pps > 0)
    out += format("sfu / baseline forwarded rate: %.2f\n",
                  report.main->forwarded_pps / report.baseline->forwarded_pps);
  if (report.main && report.ice_tcp && report.ice_tcp->ok && report.main->forwarded_pps > 0)
    out += format("ice-tcp / udp forwarded rate: %.2f\n",
                  report.ice_tcp->forwarded_pps / report.main->forwarded_pps);
  if (report.simulcast) out += simulcast_table(*report.simulcast, report.main);
  auto ramp_lines = [&](const char* name, const std::vector<RampStep>& steps) {
    if (steps.empty()) return;
    out += std::string("ramp (") + name + "):\n";
    for (const auto& step : steps) {
      const char* verdict = !step.result.ok ? "failed" : step.held ? "held" : "did not hold";
      if (const auto& d = step.result.data) {
        std::snprintf(
            line, sizeof(line),
            "  %6u msg/s/channel/publisher -> server %9.0f relayed msg/s (%9.0f per worker core, "
            "worker CPU %5.1f%%)  sent %.0f/%.0f  unreliable loss %.4f%%  reliable errors %llu  p99 "
            "%.3f ms  %s\n",
            step.data_rate, d->server_relayed_per_s, d->relayed_per_worker_core, d->worker_cpu_percent,
            d->sent_per_s,
            d->offered_relay_per_s / std::max(1.0, static_cast<double>(d->receivers_per_stream)),
            d->unreliable_loss_ratio * 100, static_cast<unsigned long long>(d->reliable_errors()),
            ms(d->latency_all.percentile(0.99)), verdict);
      } else {
        std::snprintf(line, sizeof(line),
                      "  %6u pps/publisher -> %10.0f fwd pkt/s  loss %.4f%%  p99 %.3f ms  %s\n",
                      step.video_pps, step.result.forwarded_pps, step.result.loss_ratio * 100,
                      ms(step.result.latency.percentile(0.99)), verdict);
      }
      out += line;
    }
  };
  ramp_lines("sfu", report.ramp);
  ramp_lines("baseline", report.baseline_ramp);
  return out;
}

}  // namespace sfu::bench
