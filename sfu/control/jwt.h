// HS256 JSON Web Tokens (RFC 7519 over the JWS compact serialization, RFC 7515): verification for
// the control plane's auth, signing for tests and tooling. Only HS256 is accepted; "none" and every
// other algorithm are refused, so a token can never pick a weaker check than the server's.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "base/result.h"
#include "sfu/control/base64.h"  // base64url, which JWS uses

namespace sfu {

// What a token's registered claims must satisfy (RFC 7519 section 4.1).
struct JwtRequirements {
  int64_t now_unix = 0;
  int64_t leeway_s = 0;       // clock skew allowed either way: exp + leeway_s > now >= nbf - leeway_s
  std::string_view audience;  // not empty: `aud` (a string, or an array of strings) must contain it
  std::string_view issuer;    // not empty: `iss` must be this string
};

// The claims object when the token is well formed, signed with `secret` (HMAC-SHA256, compared in
// constant time), has a numeric `exp` and, if present, a numeric `nbf` that hold at now_unix
// (give or take leeway_s), and the audience and issuer required. Otherwise an `unauthorized`
// Error whose message is a short reason.
Result<nlohmann::json> verify_jwt_hs256(std::string_view token, std::string_view secret,
                                        const JwtRequirements& required);
// The same without leeway, audience or issuer.
inline Result<nlohmann::json> verify_jwt_hs256(std::string_view token, std::string_view secret,
                                               int64_t now_unix) {
  return verify_jwt_hs256(token, secret, JwtRequirements{.now_unix = now_unix});
}

// Header {"alg":"HS256","typ":"JWT"}; the claims exactly as given (no exp is added).
std::string sign_jwt_hs256(const nlohmann::json& claims, std::string_view secret);

}  // namespace sfu
