#include "bench/server_metrics.h"

#include <charconv>

#include "bench/janus_http_client.h"

namespace sfu::bench {
namespace {

// The value of label `name` in a sample's label set `{a="x",b="y"}`; empty when absent.
std::string_view label_value(std::string_view labels, std::string_view name) {
  std::string key = std::string(name) + "=\"";
  size_t at = labels.find(key);
  if (at == std::string_view::npos) return {};
  size_t start = at + key.size();
  size_t end = labels.find('"', start);
  return end == std::string_view::npos ? std::string_view{} : labels.substr(start, end - start);
}

bool parse_value(std::string_view text, uint64_t* out) {
  // Counters are written as integers; accept a trailing ".0" or an exponent-free decimal too.
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || value < 0) return false;
  *out = static_cast<uint64_t>(value);
  return true;
}

// One sample line: "name{labels} value" or "name value".
struct Sample {
  std::string_view name, labels;
  uint64_t value = 0;
};

std::optional<Sample> parse_sample(std::string_view line) {
  if (line.empty() || line.front() == '#') return std::nullopt;
  Sample s;
  size_t brace = line.find('{');
  size_t space = line.rfind(' ');
  if (space == std::string_view::npos) return std::nullopt;
  if (brace != std::string_view::npos && brace < space) {
    size_t close = line.find('}', brace);
    if (close == std::string_view::npos) return std::nullopt;
    s.name = line.substr(0, brace);
    s.labels = line.substr(brace, close - brace + 1);
  } else {
    s.name = line.substr(0, space);
  }
  if (!parse_value(line.substr(space + 1), &s.value)) return std::nullopt;
  return s;
}

void add_sample(const Sample& s, ServerDataMetrics* m, bool* found) {
  bool out = label_value(s.labels, "direction") == "out";
  if (s.name == "sfu_data_messages_total") {
    *found = true;
    (out ? m->messages_out : m->messages_in) += s.value;
  } else if (s.name == "sfu_data_bytes_total") {
    (out ? m->bytes_out : m->bytes_in) += s.value;
  } else if (s.name == "sfu_data_drops_total") {
    if (s.value > 0) m->drops[std::string(label_value(s.labels, "reason"))] += s.value;
  } else if (s.name == "sfu_data_publisher_paused_total") {
    m->publisher_paused += s.value;
  } else if (s.name == "sfu_data_associations") {
    m->associations += s.value;
  } else if (s.name == "sfu_data_channels") {
    m->channels += s.value;
  }
}

void add_media_sample(const Sample& s, ServerMediaMetrics* m) {
  std::string_view worker_label = label_value(s.labels, "worker");
  uint32_t worker = 0;
  if (worker_label.empty() ||
      std::from_chars(worker_label.data(), worker_label.data() + worker_label.size(), worker).ec !=
          std::errc())
    return;
  if (s.name == "sfu_rtp_forwarded_total")
    (*m)[worker].forwarded = s.value;
  else if (s.name == "sfu_worker_ring_packets_total" && label_value(s.labels, "direction") == "out")
    (*m)[worker].ring_out = s.value;
  else if (s.name == "sfu_worker_ring_dropped_total" && label_value(s.labels, "reason") == "full")
    (*m)[worker].ring_dropped = s.value;
  else if (s.name == "sfu_worker_participants")
    (*m)[worker].participants = s.value;
}

// Calls `each(sample)` for every sample line of the exposition text.
template <typename Each>
void for_each_sample(std::string_view text, Each&& each) {
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (auto sample = parse_sample(line)) each(*sample);
  }
}

}  // namespace

std::optional<ServerDataMetrics> parse_data_metrics(std::string_view text) {
  ServerDataMetrics m;
  bool found = false;
  for_each_sample(text, [&](const Sample& sample) { add_sample(sample, &m, &found); });
  if (!found) return std::nullopt;
  return m;
}

ServerMediaMetrics parse_media_metrics(std::string_view text) {
  ServerMediaMetrics m;
  for_each_sample(text, [&](const Sample& sample) { add_media_sample(sample, &m); });
  return m;
}

std::optional<ServerMediaMetrics> fetch_media_metrics(const std::string& host, uint16_t port,
                                                      std::string* error) {
  auto response = janus::http_request(host, port, "GET", "/metrics", "", 5000, error);
  if (!response) return std::nullopt;
  if (response->status != 200) {
    *error = "GET /metrics: HTTP " + std::to_string(response->status);
    return std::nullopt;
  }
  return parse_media_metrics(response->body);
}

std::optional<ServerDataMetrics> fetch_data_metrics(const std::string& host, uint16_t port,
                                                    std::string* error) {
  auto response = janus::http_request(host, port, "GET", "/metrics", "", 5000, error);
  if (!response) return std::nullopt;
  if (response->status != 200) {
    *error = "GET /metrics: HTTP " + std::to_string(response->status);
    return std::nullopt;
  }
  auto metrics = parse_data_metrics(response->body);
  if (!metrics) *error = "GET /metrics: no sfu_data_messages_total (a server without data channels?)";
  return metrics;
}

ServerDataMetrics metrics_delta(const ServerDataMetrics& before, const ServerDataMetrics& after) {
  auto minus = [](uint64_t a, uint64_t b) { return a > b ? a - b : 0; };
  ServerDataMetrics d;
  d.messages_in = minus(after.messages_in, before.messages_in);
  d.messages_out = minus(after.messages_out, before.messages_out);
  d.bytes_in = minus(after.bytes_in, before.bytes_in);
  d.bytes_out = minus(after.bytes_out, before.bytes_out);
  d.publisher_paused = minus(after.publisher_paused, before.publisher_paused);
  for (const auto& [reason, count] : after.drops) {
    auto it = before.drops.find(reason);
    uint64_t delta = minus(count, it == before.drops.end() ? 0 : it->second);
    if (delta > 0) d.drops[reason] = delta;
  }
  d.associations = after.associations;
  d.channels = after.channels;
  return d;
}

}  // namespace sfu::bench
