#include "sfu/control/turn_credentials.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <stdexcept>

#include "sfu/control/base64.h"

namespace sfu {
namespace {

constexpr size_t kSha1Bytes = 20;

}  // namespace

std::string turn_rest_password(std::string_view secret, std::string_view username) {
  std::array<unsigned char, kSha1Bytes> mac{};
  unsigned int length = 0;
  // A zero-length key still needs a valid pointer (the config never allows one, tests might).
  static const unsigned char kEmpty = 0;
  const void* key = secret.empty() ? static_cast<const void*>(&kEmpty) : secret.data();
  if (HMAC(EVP_sha1(), key, static_cast<int>(secret.size()),
           reinterpret_cast<const unsigned char*>(username.data()), username.size(), mac.data(),
           &length) == nullptr ||
      length != kSha1Bytes)
    throw std::runtime_error("HMAC-SHA1 failed");  // only when OpenSSL itself is broken
  return base64_encode(std::string_view(reinterpret_cast<const char*>(mac.data()), mac.size()));
}

TurnCredential make_turn_credential(std::string_view secret, std::string_view participant_id,
                                    int64_t expiry_unix) {
  std::string username = std::to_string(expiry_unix);
  username += ':';
  username += participant_id;
  std::string credential = turn_rest_password(secret, username);
  return {std::move(username), std::move(credential)};
}

}  // namespace sfu
