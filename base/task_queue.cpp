#include "base/task_queue.h"

#include <exception>

#include "base/logger.h"

namespace sfu {

TaskQueue::TaskQueue(uv_loop_t* loop, size_t capacity) : async_(new uv_async_t), capacity_(capacity) {
  uv_async_init(loop, async_, &TaskQueue::on_async);
  async_->data = this;
}

TaskQueue::~TaskQueue() { close(); }

bool TaskQueue::try_post(Task& task) {
  std::lock_guard lock(mutex_);
  if (closed_ || pending_.size() >= capacity_) return false;
  pending_.push_back(std::move(task));
  // Under the lock: close() marks the queue closed under it too, so the handle cannot be freed
  // between the check above and this wake-up.
  uv_async_send(async_);
  return true;
}

void TaskQueue::on_async(uv_async_t* handle) { static_cast<TaskQueue*>(handle->data)->drain(); }

void TaskQueue::drain() {
  {
    std::lock_guard lock(mutex_);
    running_.swap(pending_);
  }
  for (auto& task : running_) {
    try {
      task();
    } catch (const std::exception& e) {
      failed_tasks_.fetch_add(1, std::memory_order_relaxed);
      log_error("task_queue", "a task threw; the loop goes on", {{"what", e.what()}});
    }
  }
  running_.clear();
}

void TaskQueue::close() {
  {
    std::lock_guard lock(mutex_);
    if (closed_) return;
    closed_ = true;
    pending_.clear();
  }
  uv_close(reinterpret_cast<uv_handle_t*>(async_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_async_t*>(h); });
}

}  // namespace sfu
