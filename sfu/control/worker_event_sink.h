// What the rooms of one worker tell the control thread (their RoomEvents), queued to the control
// thread's task queue in order through an OrderedPoster, so that a full queue loses nothing
// silently (docs/protocol.md, "Queues between threads"):
//   - participant_removed and a shard's message to the room's other shards (rooms across workers)
//     are lifecycle messages: never lost, they wait and are retried;
//   - an event for a signaling session waits while fewer than `event_limit` of this worker's events
//     wait; beyond that it is dropped, and that session is closed instead (events_lost, itself a
//     lifecycle message), so no client waits forever for a subscribe_offer that never comes;
//   - send() carries an answer someone waits for with a timeout (a room query): it waits like an
//     event and is dropped beyond the limit (the asker then times out).
// Waiting messages are offered again before every later one and by retry(), which the control
// thread's timer has the worker run (claim_retry()).
//
// Threading: the RoomEvents methods, send() and retry() run on the worker's thread only;
// claim_retry(), retry_not_posted() and poster() counters may be used from the control thread.
// Created and owned by the control plane, one per worker, and outlives that worker's rooms.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_set>

#include "base/task_queue.h"
#include "sfu/control/ordered_poster.h"
#include "sfu/media/room_events.h"

namespace sfu {

class WorkerEventSink : public RoomEvents {
 public:
  // What the control thread does with each message (run on the control thread).
  struct Handlers {
    std::function<void(uint64_t session_id, const RoomEvent& event)> deliver;
    std::function<void(const std::string& room, const std::string& participant_id, uint64_t session_id,
                       const Error& why)>
        participant_removed;
    // Events for this session were dropped: the control plane closes it.
    std::function<void(uint64_t session_id)> events_lost;
    // A room shard's message for the room's other shards (rooms across workers).
    std::function<void(const std::shared_ptr<const ShardMessage>& message)> shard_message;
  };

  WorkerEventSink(TaskQueue& control_queue, Handlers handlers, size_t event_limit);

  // RoomEvents (worker thread)
  void deliver(uint64_t session_id, RoomEvent event) override;
  void participant_removed(const std::string& room, const std::string& participant_id, uint64_t session_id,
                           const Error& why) override;
  // A lifecycle message: the shards must not miss one.
  void to_shards(ShardMessage message) override;

  // Worker thread: a task for the control thread that may be dropped when too much waits.
  void send(TaskQueue::Task task);
  // Worker thread: a task for the control thread that is never dropped; it runs after every
  // message given before it (the queue and the waiting list keep their order).
  void after_events(TaskQueue::Task task);
  // Worker thread: offers the waiting messages again.
  void retry();

  // Control thread: true when messages wait and no retry is on its way to the worker yet; the
  // caller then posts retry() to the worker, or calls retry_not_posted() when it cannot.
  bool claim_retry();
  void retry_not_posted() { retry_claimed_.store(false, std::memory_order_relaxed); }

  const OrderedPoster& poster() const { return poster_; }

 private:
  // Called after every post: once nothing waits, every closing notice has been sent.
  void forget_closed_sessions_if_sent();

  Handlers handlers_;
  OrderedPoster poster_;
  std::unordered_set<uint64_t> sessions_closing_;  // notices sent or waiting, while anything waits
  std::atomic<bool> retry_claimed_{false};
};

}  // namespace sfu
