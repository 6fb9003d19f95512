#include "bench/soak/server_probe.h"

#include <dirent.h>

#include <fstream>

#include "bench/janus_http_client.h"

namespace sfu::soak {
namespace {

constexpr int kScrapeTimeoutMs = 5000;

}  // namespace

std::optional<uint64_t> count_open_fds(pid_t pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/fd";
  DIR* dir = opendir(path.c_str());
  if (!dir) return std::nullopt;
  uint64_t count = 0;
  while (const dirent* entry = readdir(dir))
    if (entry->d_name[0] != '.') ++count;
  closedir(dir);
  return count;
}

std::optional<uint64_t> read_rss_kib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string key;
  while (in >> key) {
    if (key == "VmRSS:") {
      uint64_t kib = 0;
      if (in >> kib) return kib;
      return std::nullopt;
    }
    in.ignore(4096, '\n');
  }
  return std::nullopt;
}

std::optional<MetricSamples> ServerProbe::metrics(std::string* error) const {
  // The Janus client is a plain blocking HTTP/1.1 client; nothing in it is Janus-specific.
  auto response = bench::janus::http_request(host_, port_, "GET", "/metrics", "", kScrapeTimeoutMs, error);
  if (!response) return std::nullopt;
  if (response->status != 200) {
    if (error) *error = "/metrics answered " + std::to_string(response->status);
    return std::nullopt;
  }
  return parse_metrics(response->body);
}

ServerSnapshot ServerProbe::snapshot() const {
  ServerSnapshot s;
  auto fds = count_open_fds(pid_);
  auto rss = read_rss_kib(pid_);
  auto metrics = this->metrics(&s.error);
  if (!fds || !rss) {
    s.error = "the server process " + std::to_string(pid_) + " is gone";
    return s;
  }
  s.fds = *fds;
  s.rss_kib = *rss;
  if (!metrics) return s;
  s.alive = true;
  s.metrics = std::move(*metrics);
  s.rooms = s.metrics.sum("sfu_rooms");
  s.participants = s.metrics.sum("sfu_participants");
  s.transports = s.metrics.sum("sfu_worker_transports");
  s.sessions = s.metrics.sum("sfu_websocket_sessions");
  return s;
}

}  // namespace sfu::soak
