// Waiting for real sockets in a test: runs a libuv loop without blocking, a turn each millisecond,
// until a condition holds or the time is up.
#pragma once

#include <uv.h>

#include <chrono>
#include <thread>

namespace sfu::test_support {

// True when `done` held before `timeout` passed.
template <typename Pred>
bool pump_loop_until(uv_loop_t* loop, Pred&& done, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    uv_run(loop, UV_RUN_NOWAIT);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return true;
}

}  // namespace sfu::test_support
