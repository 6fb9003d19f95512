#include "sfu/control/worker_event_sink.h"

#include <utility>

namespace sfu {

WorkerEventSink::WorkerEventSink(TaskQueue& control_queue, Handlers handlers, size_t event_limit)
    : handlers_(std::move(handlers)),
      poster_([&control_queue](TaskQueue::Task& task) { return control_queue.try_post(task); }, event_limit) {
}

void WorkerEventSink::deliver(uint64_t session_id, RoomEvent event) {
  bool queued = poster_.post_event(
      [this, session_id, event = std::move(event)] { handlers_.deliver(session_id, event); });
  if (!queued && sessions_closing_.insert(session_id).second)
    poster_.post_lifecycle([this, session_id] { handlers_.events_lost(session_id); });
  forget_closed_sessions_if_sent();
}

void WorkerEventSink::participant_removed(const std::string& room, const std::string& participant_id,
                                          uint64_t session_id, const Error& why) {
  poster_.post_lifecycle([this, room, participant_id, session_id, why] {
    handlers_.participant_removed(room, participant_id, session_id, why);
  });
  forget_closed_sessions_if_sent();
}

void WorkerEventSink::to_shards(ShardMessage message) {
  if (!handlers_.shard_message) return;
  poster_.post_lifecycle([this, shared = std::make_shared<const ShardMessage>(std::move(message))] {
    handlers_.shard_message(shared);
  });
  forget_closed_sessions_if_sent();
}

void WorkerEventSink::send(TaskQueue::Task task) {
  poster_.post_event(std::move(task));
  forget_closed_sessions_if_sent();
}

void WorkerEventSink::after_events(TaskQueue::Task task) {
  poster_.post_lifecycle(std::move(task));
  forget_closed_sessions_if_sent();
}

void WorkerEventSink::retry() {
  retry_claimed_.store(false, std::memory_order_relaxed);
  poster_.retry();
  forget_closed_sessions_if_sent();
}

bool WorkerEventSink::claim_retry() {
  if (!poster_.has_waiting()) return false;
  return !retry_claimed_.exchange(true, std::memory_order_relaxed);
}

void WorkerEventSink::forget_closed_sessions_if_sent() {
  if (!sessions_closing_.empty() && !poster_.has_waiting()) sessions_closing_.clear();
}

}  // namespace sfu
