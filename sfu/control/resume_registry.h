// Who may take a participant back on a new signaling WebSocket (docs/protocol.md, "Session
// resume"): each participant's resume token, and for a participant whose WebSocket dropped, how
// long it waits for one (signaling.resume_grace_s).
//
// A token is 32 bytes from OpenSSL's RAND_bytes (256 bits), base64url without padding: as hard to
// guess as the HS256 secret. Only its SHA-256 is kept, and a presented token is compared with it
// in constant time (CRYPTO_memcmp), so neither timing nor a memory dump tells a token. A token is
// good for one resume: taking the participant back revokes it (a new one is issued with
// `resumed`), and it is worthless once the participant is forgotten (left, removed, or its grace
// ran out). Bounded by the participants on the server. Control thread only; time is the caller's
// monotonic milliseconds.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sfu/control/deadline_queue.h"

namespace sfu {

class ResumeRegistry {
 public:
  // The result of a resume attempt, and its label in sfu_resumes_total.
  enum class Check { ok, bad_token, expired };

  explicit ResumeRegistry(uint64_t grace_ms) : grace_ms_(grace_ms) {}

  bool enabled() const { return grace_ms_ != 0; }
  uint64_t grace_ms() const { return grace_ms_; }

  // A fresh token for the participant; the one it had before stops working.
  std::string issue(const std::string& participant_id);
  // The participant's WebSocket dropped: it waits for a resume until now_ms + grace.
  void detach(const std::string& participant_id, uint64_t now_ms);
  // A resume took it back: its grace ends and its token is spent (issue() gives the next).
  void attach(const std::string& participant_id);
  // ok: the token is the participant's current one and its grace (if detached) has not run out.
  // expired: the participant is unknown here (it left, was removed, its grace ran out, or it never
  // was) or its grace has run out. bad_token: anything else (forged, spent, malformed).
  Check check(const std::string& participant_id, std::string_view token, uint64_t now_ms) const;
  // The detached participants whose grace has run out, earliest first; they stay known (as
  // expired) until forget().
  std::vector<std::string> take_expired(uint64_t now_ms);
  // The participant is gone: its token is worthless from now on.
  void forget(const std::string& participant_id);

  bool detached(const std::string& participant_id) const;
  size_t detached_count() const { return detached_; }
  size_t size() const { return entries_.size(); }

  static const char* label(Check check);

 private:
  using Digest = std::array<unsigned char, 32>;
  struct Entry {
    Digest digest{};
    bool has_token = false;
    uint64_t deadline_ms = 0;  // 0: attached (its WebSocket is open)
  };
  static Digest digest_of(std::string_view token);

  uint64_t grace_ms_;
  std::unordered_map<std::string, Entry> entries_;
  DeadlineQueue<std::string> deadlines_;  // the detached ones
  size_t detached_ = 0;
};

}  // namespace sfu
