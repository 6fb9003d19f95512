#include "bench/soak/resource_checks.h"

#include <algorithm>

#include "bench/soak/text_table.h"

namespace sfu::soak {

void ResourcePeaks::add(const ServerSnapshot& s) {
  rss_kib = std::max(rss_kib, static_cast<double>(s.rss_kib));
  fds = std::max(fds, static_cast<double>(s.fds));
  rooms = std::max(rooms, s.rooms);
  participants = std::max(participants, s.participants);
  transports = std::max(transports, s.transports);
  sessions = std::max(sessions, s.sessions);
}

std::vector<ResourceCheck> check_resources(const ServerSnapshot& start, const ServerSnapshot& warm,
                                           const ResourcePeaks& peaks, const ServerSnapshot& end,
                                           double rss_tolerance) {
  std::vector<ResourceCheck> checks;
  auto gauge = [&](const char* what, double ServerSnapshot::*field, double peak) {
    checks.push_back({what, start.*field, warm.*field, peak, end.*field, "= start",
                      end.alive && end.*field == start.*field});
  };
  gauge("rooms (sfu_rooms)", &ServerSnapshot::rooms, peaks.rooms);
  gauge("participants (sfu_participants)", &ServerSnapshot::participants, peaks.participants);
  gauge("transports (sfu_worker_transports)", &ServerSnapshot::transports, peaks.transports);
  gauge("websocket sessions (sfu_websocket_sessions)", &ServerSnapshot::sessions, peaks.sessions);
  checks.push_back({"open fds (/proc/PID/fd)", static_cast<double>(start.fds), static_cast<double>(warm.fds),
                    peaks.fds, static_cast<double>(end.fds), "= warm-up", end.alive && end.fds == warm.fds});
  double rss_bound = static_cast<double>(warm.rss_kib) * (1.0 + rss_tolerance);
  checks.push_back({"RSS KiB (VmRSS)", static_cast<double>(start.rss_kib), static_cast<double>(warm.rss_kib),
                    peaks.rss_kib, static_cast<double>(end.rss_kib),
                    "<= warm-up + " + fixed(rss_tolerance * 100, 0) + " % (" + fixed(rss_bound, 0) + ")",
                    end.alive && static_cast<double>(end.rss_kib) <= rss_bound});
  return checks;
}

bool all_ok(const std::vector<ResourceCheck>& checks) {
  return std::all_of(checks.begin(), checks.end(), [](const ResourceCheck& c) { return c.ok; });
}

std::string render_resource_checks(const std::vector<ResourceCheck>& checks) {
  TextTable table({"resource", "start", "after warm-up", "peak", "end", "bound", "result"});
  for (const ResourceCheck& c : checks)
    table.add({c.what, fixed(c.start, 0), fixed(c.warm, 0), fixed(c.peak, 0), fixed(c.end, 0), c.bound,
               c.ok ? "ok" : "FAIL"});
  return table.render();
}

}  // namespace sfu::soak
