// Keys with deadlines, taken out in deadline order once due: what the control thread's one
// housekeeping timer checks (empty rooms to free, room queries to time out) instead of a libuv
// timer per item. A key has at most one deadline; scheduling it again moves it. Plain value type,
// one thread; allocates a node per key.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <utility>
#include <vector>

namespace sfu {

template <typename Key>
class DeadlineQueue {
 public:
  void schedule(const Key& key, uint64_t deadline_ms) {
    cancel(key);
    deadline_of_.emplace(key, deadline_ms);
    by_deadline_.emplace(deadline_ms, key);
  }
  void cancel(const Key& key) {
    auto it = deadline_of_.find(key);
    if (it == deadline_of_.end()) return;
    by_deadline_.erase({it->second, key});
    deadline_of_.erase(it);
  }
  bool scheduled(const Key& key) const { return deadline_of_.count(key) > 0; }
  size_t size() const { return deadline_of_.size(); }

  // Removes and returns the keys whose deadline is at or before now_ms, earliest first.
  std::vector<Key> take_due(uint64_t now_ms) {
    std::vector<Key> due;
    while (!by_deadline_.empty() && by_deadline_.begin()->first <= now_ms) {
      due.push_back(by_deadline_.begin()->second);
      deadline_of_.erase(due.back());
      by_deadline_.erase(by_deadline_.begin());
    }
    return due;
  }

 private:
  std::map<Key, uint64_t> deadline_of_;
  std::set<std::pair<uint64_t, Key>> by_deadline_;
};

}  // namespace sfu
