// CPU time per thread and resident memory of a process, from /proc (Linux).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace sfu::bench {

struct ThreadCpu {
  pid_t tid = 0;
  std::string name;     // /proc/<pid>/task/<tid>/comm
  uint64_t cpu_ns = 0;  // time on CPU: schedstat (ns), else utime + stime from stat
};

// Every thread of `pid`, by tid.
std::vector<ThreadCpu> read_thread_cpu(pid_t pid);
// One thread (of this or another process); nullopt when it is gone.
std::optional<ThreadCpu> read_one_thread_cpu(pid_t pid, pid_t tid);
// VmRSS of `pid` in bytes (0 when unreadable).
uint64_t read_rss_bytes(pid_t pid);
// sysconf(_SC_CLK_TCK).
double clock_ticks_per_second();

// Parses the content of a /proc/.../stat file: tid, comm and utime + stime (as ns). Exposed for tests.
std::optional<ThreadCpu> parse_stat(const std::string& text);

// Busy and total time of each CPU from /proc/stat, in ns (from clock ticks).
struct CpuTimes {
  int cpu = -1;  // -1: the "cpu" line (all CPUs)
  uint64_t busy_ns = 0, total_ns = 0, softirq_ns = 0, steal_ns = 0;
};
std::vector<CpuTimes> read_cpu_times();
std::vector<CpuTimes> parse_proc_stat(const std::string& text);

// CPU use of each thread between two samples, in percent of one core over `seconds`.
struct ThreadCpuUse {
  pid_t tid = 0;
  std::string name;
  double percent = 0;
};
std::vector<ThreadCpuUse> cpu_use_between(const std::vector<ThreadCpu>& before,
                                          const std::vector<ThreadCpu>& after, double seconds);

}  // namespace sfu::bench
