#include "bench/soak/client_loop.h"

namespace sfu::soak {
namespace {

struct RunState {
  const std::function<bool()>* done;
  const std::function<void()>* tick;
  uint64_t deadline_ms;
  bool finished = false;
};

}  // namespace

ClientLoop::ClientLoop() {
  uv_loop_init(&loop_);
  uv_timer_init(&loop_, &timer_);
}

ClientLoop::~ClientLoop() {
  uv_close(reinterpret_cast<uv_handle_t*>(&timer_), nullptr);
  // Whatever a client left open (it should have closed its own handles) is closed here.
  uv_walk(
      &loop_,
      [](uv_handle_t* handle, void*) {
        if (!uv_is_closing(handle)) uv_close(handle, nullptr);
      },
      nullptr);
  for (int i = 0; i < 1000 && uv_run(&loop_, UV_RUN_NOWAIT) != 0; ++i) uv_sleep(1);
  uv_loop_close(&loop_);
}

bool ClientLoop::run_until(const std::function<bool()>& done, uint64_t timeout_ms,
                           const std::function<void()>& tick) {
  uv_update_time(&loop_);
  RunState state{&done, &tick, uv_now(&loop_) + timeout_ms};
  if (done()) return true;
  timer_.data = &state;
  uv_timer_start(
      &timer_,
      [](uv_timer_t* timer) {
        auto* s = static_cast<RunState*>(timer->data);
        if (*s->tick) (*s->tick)();
        if ((*s->done)()) {
          s->finished = true;
          uv_stop(timer->loop);
        } else if (uv_now(timer->loop) >= s->deadline_ms) {
          uv_stop(timer->loop);
        }
      },
      1, 1);
  uv_run(&loop_, UV_RUN_DEFAULT);
  uv_timer_stop(&timer_);
  timer_.data = nullptr;
  return state.finished;
}

void ClientLoop::run_for(uint64_t ms, const std::function<void()>& tick) {
  run_until([] { return false; }, ms, tick);
}

void ClientLoop::drain() {
  for (int i = 0; i < 20; ++i) uv_run(&loop_, UV_RUN_NOWAIT);
}

}  // namespace sfu::soak
