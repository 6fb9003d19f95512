#include "sfu/control/kick_bans.h"

#include <openssl/evp.h>

#include <array>

namespace sfu {

std::string KickBans::key_of(std::string_view room, std::string_view identity) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(identity.data(), identity.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1)
    length = 0;  // cannot happen with SHA-256; the room alone would then ban too much, never too little
  // Room names are [A-Za-z0-9_-], so the separator cannot occur in one.
  std::string key(room);
  key += '/';
  key.append(reinterpret_cast<const char*>(digest.data()), length);
  return key;
}

void KickBans::forget_ended(uint64_t now_ms) {
  while (!bans_.empty() && bans_.front().end_ms <= now_ms) {
    ends_.erase(bans_.front().key);
    bans_.pop_front();
  }
}

void KickBans::ban(std::string_view room, std::string_view identity, uint64_t now_ms) {
  if (ban_ms_ == 0 || capacity_ == 0) return;
  forget_ended(now_ms);
  std::string key = key_of(room, identity);
  if (auto it = ends_.find(key); it != ends_.end()) {
    bans_.erase(it->second);
    ends_.erase(it);
  }
  if (bans_.size() >= capacity_) {
    ends_.erase(bans_.front().key);
    bans_.pop_front();
  }
  bans_.push_back({key, now_ms + ban_ms_});
  ends_.emplace(std::move(key), std::prev(bans_.end()));
}

uint64_t KickBans::remaining_ms(std::string_view room, std::string_view identity, uint64_t now_ms) {
  forget_ended(now_ms);
  auto it = ends_.find(key_of(room, identity));
  return it == ends_.end() ? 0 : it->second->end_ms - now_ms;
}

}  // namespace sfu
