#include "bench/soak/vanishing_clients.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <random>

#include "bench/packet_stamp.h"

namespace sfu::soak {
namespace {

constexpr size_t kMaxFailuresKept = 10;

struct Child {
  uint32_t index = 0;
  pid_t pid = -1;
  int status_fd = -1;
  VanishStage stage = VanishStage::kJoined;
  VanishAction action = VanishAction::kKill;
  uint64_t started_ns = 0;
  uint64_t act_at_ns = 0;  // set once the stage is reached
  std::string report;
};

uint64_t ms_to_ns(uint64_t ms) { return ms * 1'000'000ull; }

// Forks and execs `sfu-soak vanish-child` with its status pipe on fd 3.
// NOLINTNEXTLINE(readability-function-cognitive-complexity): fork, the child's set-up before exec, and the parent's side, in order.
bool spawn(Child& child, const VanishOptions& o, std::string* error) {
  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) {
    *error = "pipe2 failed";
    return false;
  }
  std::string port = std::to_string(o.port);
  std::string room = o.room_prefix + "-" + std::to_string(child.index / 2);
  std::string name = "vanish-" + std::to_string(child.index);
  std::vector<std::string> args = {o.self_exe,    "vanish-child",
                                   "--host",      o.host,
                                   "--port",      port,
                                   "--path",      o.path,
                                   "--bind-ip",   o.bind_ip,
                                   "--room",      room,
                                   "--name",      name,
                                   "--stage",     to_string(child.stage),
                                   "--status-fd", "3"};
  std::vector<char*> argv;  // built before fork: the child only calls async-signal-safe functions
  argv.reserve(args.size() + 1);
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  pid_t parent = getpid();
  pid_t pid = fork();
  if (pid < 0) {
    close(fds[0]);
    close(fds[1]);
    *error = "fork failed";
    return false;
  }
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(1);
    dup2(fds[1], 3);  // the duplicate does not inherit O_CLOEXEC
    int null_fd = open("/dev/null", O_WRONLY);
    if (null_fd >= 0) dup2(null_fd, STDOUT_FILENO);
    execv(o.self_exe.c_str(), argv.data());
    _exit(127);
  }
  close(fds[1]);
  fcntl(fds[0], F_SETFL, O_NONBLOCK);
  child.pid = pid;
  child.status_fd = fds[0];
  child.started_ns = bench::monotonic_ns();
  return true;
}

void kill_and_reap(pid_t pid) {
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
}

// Reads what the child reported; false when the pipe closed without a report (the child died).
bool read_report(Child& child) {
  char buffer[512];
  while (true) {
    ssize_t n = read(child.status_fd, buffer, sizeof(buffer));
    if (n > 0) {
      child.report.append(buffer, static_cast<size_t>(n));
      continue;
    }
    if (n == 0) return !child.report.empty();
    return errno == EAGAIN || errno == EWOULDBLOCK;
  }
}

}  // namespace

// NOLINTNEXTLINE(readability-function-cognitive-complexity): the spawn/poll/act loop over a set of children, one state machine.
VanishResult VanishingClients::run(const VanishOptions& o) {
  VanishResult result;
  uint64_t start = bench::monotonic_ns();
  std::mt19937 random(12345);
  std::vector<Child> running;
  uint32_t next = 0;
  auto fail = [&](Child& child, const std::string& why) {
    ++result.failed;
    if (result.failures.size() < kMaxFailuresKept)
      result.failures.push_back("vanish-" + std::to_string(child.index) + " (" + to_string(child.stage) +
                                "): " + why);
    kill_and_reap(child.pid);
  };
  while (next < o.count || !running.empty()) {
    while (next < o.count && running.size() < std::max<uint32_t>(1, o.concurrency)) {
      Child child;
      child.index = next;
      child.stage = kVanishStages[next % std::size(kVanishStages)];
      bool freeze = o.freeze && (next / std::size(kVanishStages)) % 2 == 1;
      child.action = freeze ? VanishAction::kFreeze : VanishAction::kKill;
      ++next;
      std::string error;
      if (!spawn(child, o, &error)) {
        ++result.failed;
        result.failures.push_back(error);
        continue;
      }
      running.push_back(child);
    }
    std::vector<pollfd> polls;
    polls.reserve(running.size());
    for (const Child& child : running) polls.push_back({child.status_fd, POLLIN, 0});
    poll(polls.data(), polls.size(), 2);
    uint64_t now = bench::monotonic_ns();
    for (auto it = running.begin(); it != running.end();) {
      Child& child = *it;
      bool done = false;
      if (child.act_at_ns == 0) {
        bool alive = read_report(child);
        if (!child.report.empty() && child.report[0] == kStageReached) {
          uint32_t delay = child.stage == VanishStage::kRacing ? random() % (o.max_racing_delay_ms + 1) : 0;
          child.act_at_ns = now + ms_to_ns(delay);
        } else if (!child.report.empty() && child.report[0] == kStageFailed && child.report.back() == '\n') {
          fail(child, child.report.substr(1, child.report.size() - 2));
          done = true;
        } else if (!alive) {
          fail(child, "the child exited without a report");
          done = true;
        } else if (now - child.started_ns > ms_to_ns(o.stage_timeout_ms)) {
          fail(child, "did not reach its stage in time");
          done = true;
        }
      }
      if (!done && child.act_at_ns != 0 && now >= child.act_at_ns) {
        if (child.action == VanishAction::kKill) {
          kill_and_reap(child.pid);
          ++result.killed;
        } else {
          kill(child.pid, SIGSTOP);
          frozen_.push_back(child.pid);
          ++result.frozen;
        }
        ++result.by_stage[std::string(to_string(child.stage)) + " " + to_string(child.action)];
        done = true;
      }
      if (done) {
        close(child.status_fd);
        it = running.erase(it);
      } else {
        ++it;
      }
    }
  }
  result.seconds = static_cast<double>(bench::monotonic_ns() - start) / 1e9;
  return result;
}

void VanishingClients::release() {
  for (pid_t pid : frozen_) kill_and_reap(pid);
  frozen_.clear();
}

}  // namespace sfu::soak
