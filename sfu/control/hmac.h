// HMAC through OpenSSL, shared by the JWS check (HS256) and the TURN REST credentials (HMAC-SHA1).
#pragma once

#include <openssl/evp.h>

#include <optional>
#include <string>
#include <string_view>

namespace sfu {

// The raw MAC of `data` under `key` with `digest` (e.g. EVP_sha256()); nullopt only when OpenSSL
// itself fails.
std::optional<std::string> hmac(const EVP_MD* digest, std::string_view key, std::string_view data);

}  // namespace sfu
