#include "sfu/control/hmac.h"

#include <openssl/hmac.h>

#include <array>

namespace sfu {

std::optional<std::string> hmac(const EVP_MD* digest, std::string_view key, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int length = 0;
  // A zero-length key still needs a valid pointer (the config never allows one, tests might).
  static const unsigned char kEmpty = 0;
  const void* key_ptr = key.empty() ? static_cast<const void*>(&kEmpty) : key.data();
  if (HMAC(digest, key_ptr, static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(data.data()),
           data.size(), mac.data(), &length) == nullptr)
    return std::nullopt;
  return std::string(reinterpret_cast<const char*>(mac.data()), length);
}

}  // namespace sfu
