// A bounded multi-producer queue of closures drained on one libuv loop, woken by uv_async_send.
// This is how threads talk: the control thread posts work to a worker and the worker posts
// results back, so no object is ever touched by two threads and the packet path takes no lock.
#pragma once

#include <uv.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <mutex>
#include <vector>

namespace sfu {

class TaskQueue {
 public:
  using Task = std::function<void()>;

  TaskQueue(uv_loop_t* loop, size_t capacity);
  ~TaskQueue();
  TaskQueue(const TaskQueue&) = delete;
  TaskQueue& operator=(const TaskQueue&) = delete;

  // Thread-safe. False when the queue holds `capacity` tasks already (the caller reports overload)
  // or is closed; the task is then dropped.
  bool post(Task task) { return try_post(task); }
  // Thread-safe. Like post(), but `task` is moved into the queue only when it is accepted: on false
  // the caller still holds it and may offer it again later (OrderedPoster keeps such tasks).
  bool try_post(Task& task);
  // Closes the async handle; call on the loop thread before the loop ends. Pending tasks are dropped.
  void close();
  // Tasks that threw. A task is a handler boundary: what it throws is caught, logged and counted
  // here (sfu_internal_errors_total), and the loop keeps serving. Readable from any thread.
  uint64_t failed_tasks() const { return failed_tasks_.load(std::memory_order_relaxed); }

 private:
  static void on_async(uv_async_t* handle);
  void drain();

  uv_async_t* async_;
  size_t capacity_;
  std::mutex mutex_;
  std::vector<Task> pending_;
  std::vector<Task> running_;  // swapped with pending_ so tasks run without holding the lock
  bool closed_ = false;
  std::atomic<uint64_t> failed_tasks_{0};
};

}  // namespace sfu
