// RAII owner of a uv_timer_t. The handle lives on the heap and is freed by uv_close's callback, so
// the owner may be destroyed at any time on the loop thread.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>

namespace sfu {

class UvTimer {
 public:
  UvTimer(uv_loop_t* loop, std::function<void()> on_fire)
      : handle_(new uv_timer_t), on_fire_(std::move(on_fire)) {
    uv_timer_init(loop, handle_);
    handle_->data = this;
  }
  ~UvTimer() {
    handle_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(handle_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  }
  UvTimer(const UvTimer&) = delete;
  UvTimer& operator=(const UvTimer&) = delete;

  void start(uint64_t timeout_ms, uint64_t repeat_ms = 0) {
    uv_timer_start(handle_, &UvTimer::fire, timeout_ms, repeat_ms);
  }
  void stop() { uv_timer_stop(handle_); }

 private:
  static void fire(uv_timer_t* handle) {
    if (auto* self = static_cast<UvTimer*>(handle->data)) self->on_fire_();
  }
  uv_timer_t* handle_;
  std::function<void()> on_fire_;
};

}  // namespace sfu
