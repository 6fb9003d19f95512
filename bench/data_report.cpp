// The data channel part of the report (bench_report.h): JSON and table lines.
#include <cstdio>

#include "bench/bench_report.h"

namespace sfu::bench {
namespace {

double ms(uint64_t ns) { return static_cast<double>(ns) / 1e6; }

nlohmann::json latency_json(const LatencyHistogram& h) {
  return {{"p50", ms(h.percentile(0.5))}, {"p99", ms(h.percentile(0.99))}, {"p999", ms(h.percentile(0.999))},
          {"max", ms(h.max())},           {"mean", h.mean() / 1e6},        {"samples", h.count()}};
}

const char* kind_name(DataChannelKind kind) {
  return kind == DataChannelKind::kReliable ? "reliable" : "unreliable";
}

std::string drops_text(const std::map<std::string, uint64_t>& drops) {
  if (drops.empty()) return "none";
  std::string out;
  for (const auto& [reason, count] : drops)
    out += (out.empty() ? "" : ", ") + reason + " " + std::to_string(count);
  return out;
}

std::string drops_text(const DataRunResult& d) {
  if (!d.server) return "unknown (" + d.server_metrics_error + ")";
  std::string out = drops_text(d.server->drops) + " in the window";
  if (d.server_drops_in_run != d.server->drops)
    out += ", " + drops_text(d.server_drops_in_run) + " in the whole run";
  return out;
}

}  // namespace

nlohmann::json data_to_json(const DataRunResult& d) {
  constexpr auto kR = static_cast<size_t>(DataChannelKind::kReliable);
  constexpr auto kU = static_cast<size_t>(DataChannelKind::kUnreliable);
  nlohmann::json streams = nlohmann::json::array();
  for (const DataStreamResult& s : d.streams)
    streams.push_back({{"publisher", s.publisher},
                       {"channel", kind_name(s.kind)},
                       {"expected", s.expected},
                       {"received", s.received},
                       {"gaps", s.gaps},
                       {"reordered", s.reordered}});
  nlohmann::json out = {
      {"rate_per_channel", d.rate},
      {"size", d.size},
      {"receivers_per_stream", d.receivers_per_stream},
      {"offered_relay_per_s", d.offered_relay_per_s},
      {"sent_per_s", d.sent_per_s},
      {"relayed_per_s", d.relayed_per_s},
      {"relayed_bps", d.relayed_bps},
      {"server_relayed_per_s", d.server_relayed_per_s},
      {"server_received_per_s", d.server_received_per_s},
      {"worker_cpu_percent", d.worker_cpu_percent},
      {"relayed_per_worker_core", d.relayed_per_worker_core},
      {"unreliable_loss_ratio", d.unreliable_loss_ratio},
      {"reliable_errors", d.reliable_errors()},
      {"reliable",
       {{"gaps", d.reliable_gaps},
        {"reordered", d.reliable_reordered},
        {"missing", d.reliable_incomplete},
        {"closed_early", d.early_closes}}},
      {"bad_messages", d.bad_messages},
      {"unreliable", {{"duplicates", d.duplicates}, {"too_old", d.too_old}}},
      {"messages",
       {{"reliable", {{"expected", d.expected[kR]}, {"received", d.received[kR]}}},
        {"unreliable", {{"expected", d.expected[kU]}, {"received", d.received[kU]}}}}},
      {"latency_ms",
       {{"reliable", latency_json(d.latency[kR])},
        {"unreliable", latency_json(d.latency[kU])},
        {"all", latency_json(d.latency_all)}}},
      {"sender",
       {{"skipped", d.sender_skipped},
        {"refused_buffer_full", d.sender_refusals},
        {"errors", d.sender_errors}}},
      {"streams", streams},
      {"correct", d.correct()},
  };
  if (d.server) {
    out["server"] = {{"messages_in", d.server->messages_in},
                     {"messages_out", d.server->messages_out},
                     {"bytes_in", d.server->bytes_in},
                     {"bytes_out", d.server->bytes_out},
                     {"drops", d.server->drops},
                     {"associations", d.server->associations},
                     {"channels", d.server->channels},
                     {"drops_in_run", d.server_drops_in_run},
                     {"publisher_paused", d.server->publisher_paused}};
  } else if (!d.server_metrics_error.empty()) {
    out["server_metrics_error"] = d.server_metrics_error;
  }
  return out;
}

std::string data_failure(const DataRunResult& d) {
  if (d.received[0] + d.received[1] == 0) return "nothing was relayed";
  return std::to_string(d.reliable_errors()) + " reliable errors (gaps " + std::to_string(d.reliable_gaps) +
         ", reordered " + std::to_string(d.reliable_reordered) + ", sent in the window and missing " +
         std::to_string(d.reliable_incomplete) + ", channels closed early " + std::to_string(d.early_closes) +
         ", bad messages " + std::to_string(d.bad_messages) + ")";
}

std::string data_table(const std::string& label, const RunResult& run) {
  if (!run.ok || !run.data) return {};
  const DataRunResult& d = *run.data;
  constexpr auto kR = static_cast<size_t>(DataChannelKind::kReliable);
  constexpr auto kU = static_cast<size_t>(DataChannelKind::kUnreliable);
  char line[512];
  std::string out;
  std::snprintf(line, sizeof(line),
                "data (%s): %zu B x %u msg/s per channel per publisher, %.0f relayed msg/s offered\n",
                label.c_str(), d.size, d.rate, d.offered_relay_per_s);
  out += line;
  std::snprintf(line, sizeof(line),
                "  relayed msg/s   server %.0f (receivers counted %.0f), %.0f per worker core (worker CPU "
                "%.1f%%), %.1f Mbit/s\n",
                d.server_relayed_per_s, d.relayed_per_s, d.relayed_per_worker_core, d.worker_cpu_percent,
                d.relayed_bps / 1e6);
  out += line;
  std::snprintf(line, sizeof(line),
                "  latency ms      reliable p50 %.3f p99 %.3f | unreliable p50 %.3f p99 %.3f\n",
                ms(d.latency[kR].percentile(0.5)), ms(d.latency[kR].percentile(0.99)),
                ms(d.latency[kU].percentile(0.5)), ms(d.latency[kU].percentile(0.99)));
  out += line;
  std::snprintf(line, sizeof(line), "  unreliable loss %.4f%%   reliable: %s\n",
                d.unreliable_loss_ratio * 100,
                d.correct() ? "every message in order" : data_failure(d).c_str());
  out += line;
  std::snprintf(
      line, sizeof(line),
      "  publishers sent %.0f msg/s (skipped %llu, send buffer full %llu times); server RSS %.1f MiB, "
      "data associations %llu; server drops: %s\n",
      d.sent_per_s, static_cast<unsigned long long>(d.sender_skipped),
      static_cast<unsigned long long>(d.sender_refusals),
      static_cast<double>(run.server_rss_bytes) / (1 << 20),
      static_cast<unsigned long long>(d.server ? d.server->associations : 0), drops_text(d).c_str());
  out += line;
  return out;
}

}  // namespace sfu::bench
