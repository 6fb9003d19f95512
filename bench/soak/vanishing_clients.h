// The soak's vanishing clients: each is a child process (`sfu-soak vanish-child`, so a kill takes
// its sockets with it as a crashed browser tab would) that joins a room, goes as far as its stage
// (vanish_stage.h) and is then killed with SIGKILL or frozen with SIGSTOP. Stages and actions
// take turns, so every stage is both killed and frozen; clients join in pairs per room, so the
// later one's publish sends the earlier one a subscribe offer.
//
// Frozen children are kept (their sockets open, silent) until release(): the server must free
// them by its own timeouts while they still exist. Every child dies with the parent
// (PR_SET_PDEATHSIG), and the destructor kills those still alive.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "bench/soak/vanish_stage.h"

namespace sfu::soak {

struct VanishOptions {
  std::string self_exe;  // this executable, run as `<self_exe> vanish-child ...`
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string path = "/v1/rtc";
  std::string bind_ip = "127.0.0.1";
  std::string room_prefix = "vanish";
  uint32_t count = 200;
  uint32_t concurrency = 8;  // children starting at once
  bool freeze = true;        // false: every child is killed (none left frozen)
  uint64_t stage_timeout_ms = 15'000;
  uint32_t max_racing_delay_ms = 30;
};

struct VanishResult {
  uint32_t killed = 0, frozen = 0, failed = 0;
  std::map<std::string, uint32_t> by_stage;  // "<stage> <action>" -> count
  std::vector<std::string> failures;         // children that did not reach their stage (first few)
  double seconds = 0;
};

class VanishingClients {
 public:
  VanishingClients() = default;
  ~VanishingClients() { release(); }
  VanishingClients(const VanishingClients&) = delete;
  VanishingClients& operator=(const VanishingClients&) = delete;

  VanishResult run(const VanishOptions& options);
  size_t frozen_count() const { return frozen_.size(); }
  // SIGKILLs every frozen child and reaps it.
  void release();

 private:
  std::vector<pid_t> frozen_;
};

}  // namespace sfu::soak
