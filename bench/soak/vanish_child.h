// The child process of one vanishing client (`sfu-soak vanish-child ...`): a ParticipantClient
// that goes as far as its stage, reports that on its status pipe and then carries on as it is
// (ICE consent checks included) until the parent kills or freezes it.
#pragma once

#include <cstdint>
#include <string>

#include "bench/soak/vanish_stage.h"

namespace sfu::soak {

struct VanishChildOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string path = "/v1/rtc";
  std::string bind_ip = "127.0.0.1";
  std::string room;
  std::string name;
  VanishStage stage = VanishStage::kJoined;
  int status_fd = -1;
  uint64_t stage_timeout_ms = 15'000;
  uint64_t linger_ms = 600'000;  // a child nobody stops ends by itself after this long
};

// Returns the process's exit code.
int run_vanish_child(const VanishChildOptions& options);

}  // namespace sfu::soak
