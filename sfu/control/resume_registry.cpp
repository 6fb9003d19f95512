#include "sfu/control/resume_registry.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>

#include "sfu/control/base64.h"

namespace sfu {
namespace {

constexpr size_t kTokenBytes = 32;

}  // namespace

ResumeRegistry::Digest ResumeRegistry::digest_of(std::string_view token) {
  Digest digest{};
  unsigned int length = 0;
  // Cannot fail with SHA-256; a zero digest would then match no issued token (has_token aside,
  // issue() refuses to hand out a token it could not digest).
  if (EVP_Digest(token.data(), token.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1 ||
      length != digest.size())
    digest.fill(0);
  return digest;
}

std::string ResumeRegistry::issue(const std::string& participant_id) {
  std::array<unsigned char, kTokenBytes> random{};
  Entry& entry = entries_[participant_id];
  entry.has_token = false;
  if (RAND_bytes(random.data(), static_cast<int>(random.size())) != 1) return {};
  std::string token =
      base64url_encode(std::string_view(reinterpret_cast<const char*>(random.data()), random.size()));
  entry.digest = digest_of(token);
  entry.has_token = true;
  return token;
}

void ResumeRegistry::detach(const std::string& participant_id, uint64_t now_ms) {
  Entry& entry = entries_[participant_id];
  if (entry.deadline_ms == 0) ++detached_;
  // A deadline of 0 means attached: a clock at 0 still gets a real one.
  entry.deadline_ms = std::max<uint64_t>(now_ms + grace_ms_, 1);
  deadlines_.schedule(participant_id, entry.deadline_ms);
}

void ResumeRegistry::attach(const std::string& participant_id) {
  auto it = entries_.find(participant_id);
  if (it == entries_.end()) return;
  if (it->second.deadline_ms != 0) --detached_;
  it->second.deadline_ms = 0;
  it->second.has_token = false;  // spent: one token, one resume
  deadlines_.cancel(participant_id);
}

ResumeRegistry::Check ResumeRegistry::check(const std::string& participant_id, std::string_view token,
                                            uint64_t now_ms) const {
  auto it = entries_.find(participant_id);
  if (it == entries_.end()) return Check::expired;
  const Entry& entry = it->second;
  if (entry.deadline_ms != 0 && entry.deadline_ms <= now_ms) return Check::expired;
  // Always digest and compare, whatever the token looks like: the time taken says nothing.
  Digest presented = digest_of(token);
  bool same = CRYPTO_memcmp(presented.data(), entry.digest.data(), presented.size()) == 0;
  return same && entry.has_token ? Check::ok : Check::bad_token;
}

std::vector<std::string> ResumeRegistry::take_expired(uint64_t now_ms) { return deadlines_.take_due(now_ms); }

void ResumeRegistry::forget(const std::string& participant_id) {
  auto it = entries_.find(participant_id);
  if (it == entries_.end()) return;
  if (it->second.deadline_ms != 0) --detached_;
  deadlines_.cancel(participant_id);
  entries_.erase(it);
}

bool ResumeRegistry::detached(const std::string& participant_id) const {
  auto it = entries_.find(participant_id);
  return it != entries_.end() && it->second.deadline_ms != 0;
}

const char* ResumeRegistry::label(Check check) {
  switch (check) {
    case Check::ok:
      return "ok";
    case Check::bad_token:
      return "bad_token";
    case Check::expired:
      return "expired";
  }
  return "expired";
}

}  // namespace sfu
