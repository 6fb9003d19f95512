// One thread's way into a bounded TaskQueue of another thread, for control messages that must not
// vanish when that queue is full (docs/protocol.md, "Queues between threads"). Every message is of
// one of three kinds, and the poster keeps them in the order they were given:
//   - a request someone waits for (join, publish, GET /v1/rooms/{name}): posted now or refused, so
//     the caller can answer `overloaded` and undo what it did;
//   - a lifecycle message (leave, kick, room deleted or freed, participant removed): never refused;
//     when the queue is full it waits in a list and is offered again by retry() (the owner's
//     timer) and before every later message;
//   - an event (a message for a signaling session): waits like a lifecycle message while fewer than
//     `event_limit` events wait, and is refused beyond that (the caller closes that session).
// While anything waits, requests are refused and everything else waits behind it, so the
// receiving thread sees the messages in the order they were given. Lifecycle messages need no
// bound of their own: there is at most one per participant or room that exists (a join is
// refused before it opens anything while messages wait, ControlPlane::join_events_fit).
//
// Threading: used by one thread (the producer's), except the counters, has_waiting() and waiting(), which
// any thread may read. Owns the waiting tasks; allocates a list node per waiting task only.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>

#include "base/task_queue.h"

namespace sfu {

class OrderedPoster {
 public:
  // Offers one task to the queue: moves it away and returns true, or leaves it and returns false
  // (TaskQueue::try_post).
  using TryPost = std::function<bool(TaskQueue::Task&)>;

  OrderedPoster(TryPost try_post, size_t event_limit);

  // False (counted as refused) when the task cannot be queued now, also while others wait.
  bool post_request(TaskQueue::Task task);
  // Never refused: queued now, or kept (counted as deferred) and offered again by retry().
  void post_lifecycle(TaskQueue::Task task);
  // Queued now, or kept (counted as deferred) while fewer than event_limit events wait; false
  // (counted as refused) beyond that.
  bool post_event(TaskQueue::Task task);
  // Offers the waiting tasks again, oldest first, until the queue refuses one. True when none waits.
  bool retry();

  bool has_waiting() const { return waiting() > 0; }
  // Messages waiting for a retry now.
  size_t waiting() const { return waiting_count_.load(std::memory_order_relaxed); }
  // Messages that found the queue full and were kept for a retry; messages refused.
  uint64_t deferred_total() const { return deferred_.load(std::memory_order_relaxed); }
  uint64_t refused_total() const { return refused_.load(std::memory_order_relaxed); }

 private:
  struct Waiting {
    TaskQueue::Task task;
    bool is_event = false;
  };
  // Keeps `task` at the end of the list. Single writer: plain load and store on the counter.
  void keep(TaskQueue::Task task, bool is_event);
  void count(std::atomic<uint64_t>& counter) {
    counter.store(counter.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }

  TryPost try_post_;
  size_t event_limit_;
  std::deque<Waiting> waiting_;
  size_t waiting_events_ = 0;
  std::atomic<size_t> waiting_count_{0};  // waiting_.size(), readable from any thread
  std::atomic<uint64_t> deferred_{0};
  std::atomic<uint64_t> refused_{0};
};

}  // namespace sfu
