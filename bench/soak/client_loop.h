// A libuv loop turned from the calling thread, for the soak and fault tools: they create clients
// on it, then run it until a condition holds, with a tick about every millisecond in between
// (media pacing, floods, state machines). Everything on the loop is used from that thread only.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>

namespace sfu::soak {

class ClientLoop {
 public:
  ClientLoop();
  // Closes what is still open and runs the loop until it is all freed.
  ~ClientLoop();
  ClientLoop(const ClientLoop&) = delete;
  ClientLoop& operator=(const ClientLoop&) = delete;

  uv_loop_t* get() { return &loop_; }
  // Call before starting clients after the loop sat idle: libuv caches its clock when it last
  // ran, and a timer started from a stale clock (a connect timeout) would expire at once.
  void update_time() { uv_update_time(&loop_); }

  // Runs the loop, calling `tick` (if set) and then `done` about every millisecond, until `done`
  // returns true (-> true) or `timeout_ms` passes (-> false).
  bool run_until(const std::function<bool()>& done, uint64_t timeout_ms,
                 const std::function<void()>& tick = {});
  void run_for(uint64_t ms, const std::function<void()>& tick = {});
  // Lets handles of destroyed clients finish closing.
  void drain();

 private:
  uv_loop_t loop_{};
  uv_timer_t timer_{};
};

}  // namespace sfu::soak
