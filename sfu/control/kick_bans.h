// Who was kicked from which room, so that a kick holds (auth.kick_ban_s): the control plane bans
// the kicked participant's identity (its token's `sub`, or the token itself) in that room, and
// refuses its joins there until the ban ends. Bounded: at most `capacity` bans, the oldest dropped
// first, and ended bans are forgotten. Identities are kept as SHA-256 digests, so an entry's size
// does not depend on the token. Control thread only; time is the caller's monotonic milliseconds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>

namespace sfu {

class KickBans {
 public:
  KickBans(uint64_t ban_ms, size_t capacity) : ban_ms_(ban_ms), capacity_(capacity) {}

  // Bans the identity in the room for ban_ms from now (again from now when it is banned already).
  void ban(std::string_view room, std::string_view identity, uint64_t now_ms);
  // How long the identity's ban in the room still lasts; 0 when it is not banned.
  uint64_t remaining_ms(std::string_view room, std::string_view identity, uint64_t now_ms);
  size_t size() const { return ends_.size(); }

 private:
  struct Ban {
    std::string key;
    uint64_t end_ms;
  };
  static std::string key_of(std::string_view room, std::string_view identity);
  void forget_ended(uint64_t now_ms);

  uint64_t ban_ms_;
  size_t capacity_;
  // Oldest first. Every ban lasts ban_ms_, so the oldest is also the first to end.
  std::list<Ban> bans_;
  std::unordered_map<std::string, std::list<Ban>::iterator> ends_;  // key -> its entry in bans_
};

}  // namespace sfu
