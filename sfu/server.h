// The whole server: the control thread (this one, with its libuv loop: signals, HTTP/WebSocket)
// and the workers. run() returns when SIGINT or SIGTERM has stopped everything.
#pragma once

#include <uv.h>

#include <memory>
#include <vector>

#include "config/config.h"

namespace sfu {

class Worker;
class ControlPlane;

class Server {
 public:
  explicit Server(config::Config config);
  ~Server();

  // Starts workers and the control plane, runs until a stop signal. Returns the process exit code.
  int run();

 private:
  void drain_loop();

  config::Config config_;
  uv_loop_t loop_{};
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace sfu
