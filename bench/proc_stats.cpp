#include "bench/proc_stats.h"

#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>

namespace sfu::bench {
namespace {

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

}  // namespace

std::optional<ThreadCpu> parse_stat(const std::string& text) {
  // "tid (comm) state ppid ... utime(14) stime(15) ...": comm may hold spaces and parentheses, so
  // it ends at the last ')'.
  size_t open = text.find('(');
  size_t close = text.rfind(')');
  if (open == std::string::npos || close == std::string::npos || close < open) return std::nullopt;
  ThreadCpu out;
  try {
    out.tid = static_cast<pid_t>(std::stol(text.substr(0, open)));
  } catch (...) {
    return std::nullopt;
  }
  out.name = text.substr(open + 1, close - open - 1);
  std::istringstream rest(text.substr(close + 1));
  std::string field;
  // Fields after comm start at 3 (state); utime is 14 and stime 15.
  uint64_t utime = 0, stime = 0;
  for (int index = 3; index <= 15 && rest >> field; ++index) {
    try {
      if (index == 14) utime = std::stoull(field);
      if (index == 15) stime = std::stoull(field);
    } catch (...) {
      return std::nullopt;
    }
    if (index == 15) {
      out.cpu_ns = static_cast<uint64_t>(static_cast<double>(utime + stime) * 1e9 / clock_ticks_per_second());
      return out;
    }
  }
  return std::nullopt;
}

std::optional<ThreadCpu> read_one_thread_cpu(pid_t pid, pid_t tid) {
  std::string base = "/proc/" + std::to_string(pid) + "/task/" + std::to_string(tid);
  auto text = read_file(base + "/stat");
  auto out = text ? parse_stat(*text) : std::nullopt;
  // schedstat's first field is the time on CPU in ns: finer than stat's clock ticks.
  if (auto sched = out ? read_file(base + "/schedstat") : std::nullopt) {
    try {
      out->cpu_ns = std::stoull(*sched);
    } catch (...) {
    }
  }
  return out;
}

std::vector<ThreadCpu> read_thread_cpu(pid_t pid) {
  std::vector<ThreadCpu> out;
  std::string dir = "/proc/" + std::to_string(pid) + "/task";
  DIR* d = opendir(dir.c_str());
  if (!d) return out;
  while (dirent* entry = readdir(d)) {
    if (entry->d_name[0] < '0' || entry->d_name[0] > '9') continue;
    if (auto cpu = read_one_thread_cpu(pid, static_cast<pid_t>(std::atol(entry->d_name))))
      out.push_back(*cpu);
  }
  closedir(d);
  std::sort(out.begin(), out.end(), [](const ThreadCpu& a, const ThreadCpu& b) { return a.tid < b.tid; });
  return out;
}

uint64_t read_rss_bytes(pid_t pid) {
  auto text = read_file("/proc/" + std::to_string(pid) + "/status");
  if (!text) return 0;
  size_t at = text->find("VmRSS:");
  if (at == std::string::npos) return 0;
  std::istringstream line(text->substr(at + 6));
  uint64_t kib = 0;
  line >> kib;
  return kib * 1024;
}

std::vector<CpuTimes> parse_proc_stat(const std::string& text) {
  std::vector<CpuTimes> out;
  std::istringstream lines(text);
  std::string line;
  double ns_per_tick = 1e9 / clock_ticks_per_second();
  while (std::getline(lines, line)) {
    if (line.rfind("cpu", 0) != 0) continue;
    std::istringstream fields(line);
    std::string name;
    fields >> name;
    CpuTimes t;
    if (name != "cpu") {
      try {
        t.cpu = std::stoi(name.substr(3));
      } catch (...) {
        continue;
      }
    }
    // user nice system idle iowait irq softirq steal (guest time is already in user)
    uint64_t v[8] = {};
    for (uint64_t& x : v) fields >> x;
    uint64_t busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
    t.busy_ns = static_cast<uint64_t>(static_cast<double>(busy) * ns_per_tick);
    t.total_ns = static_cast<uint64_t>(static_cast<double>(busy + v[3] + v[4]) * ns_per_tick);
    t.softirq_ns = static_cast<uint64_t>(static_cast<double>(v[6]) * ns_per_tick);
    t.steal_ns = static_cast<uint64_t>(static_cast<double>(v[7]) * ns_per_tick);
    out.push_back(t);
  }
  return out;
}

std::vector<CpuTimes> read_cpu_times() {
  auto text = read_file("/proc/stat");
  return text ? parse_proc_stat(*text) : std::vector<CpuTimes>{};
}

double clock_ticks_per_second() { return static_cast<double>(sysconf(_SC_CLK_TCK)); }

std::vector<ThreadCpuUse> cpu_use_between(const std::vector<ThreadCpu>& before,
                                          const std::vector<ThreadCpu>& after, double seconds) {
  std::vector<ThreadCpuUse> out;
  if (seconds <= 0) return out;
  for (const ThreadCpu& a : after) {
    uint64_t start = 0;
    for (const ThreadCpu& b : before)
      if (b.tid == a.tid) start = b.cpu_ns;
    uint64_t delta = a.cpu_ns >= start ? a.cpu_ns - start : 0;
    out.push_back({a.tid, a.name, 100.0 * static_cast<double>(delta) / 1e9 / seconds});
  }
  return out;
}

}  // namespace sfu::bench
