#include "sfu/control/ordered_poster.h"

#include <utility>

namespace sfu {

OrderedPoster::OrderedPoster(TryPost try_post, size_t event_limit)
    : try_post_(std::move(try_post)), event_limit_(event_limit) {}

bool OrderedPoster::post_request(TaskQueue::Task task) {
  if (retry() && try_post_(task)) return true;
  count(refused_);
  return false;
}

void OrderedPoster::post_lifecycle(TaskQueue::Task task) {
  if (retry() && try_post_(task)) return;
  keep(std::move(task), false);
}

bool OrderedPoster::post_event(TaskQueue::Task task) {
  if (retry() && try_post_(task)) return true;
  if (waiting_events_ >= event_limit_) {
    count(refused_);
    return false;
  }
  keep(std::move(task), true);
  return true;
}

bool OrderedPoster::retry() {
  while (!waiting_.empty()) {
    Waiting& first = waiting_.front();
    if (!try_post_(first.task)) return false;
    if (first.is_event) --waiting_events_;
    waiting_.pop_front();
    waiting_count_.store(waiting_.size(), std::memory_order_relaxed);
  }
  return true;
}

void OrderedPoster::keep(TaskQueue::Task task, bool is_event) {
  waiting_.push_back({std::move(task), is_event});
  if (is_event) ++waiting_events_;
  waiting_count_.store(waiting_.size(), std::memory_order_relaxed);
  count(deferred_);
}

}  // namespace sfu
