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

namespace sfu {

// The claims object when the token is well formed, signed with `secret` (HMAC-SHA256, compared in
// constant time), has a numeric `exp` after now_unix and, if present, a numeric `nbf` not after
// now_unix. Otherwise an `unauthorized` Error whose message is a short reason.
Result<nlohmann::json> verify_jwt_hs256(std::string_view token, std::string_view secret, int64_t now_unix);

// Header {"alg":"HS256","typ":"JWT"}; the claims exactly as given (no exp is added).
std::string sign_jwt_hs256(const nlohmann::json& claims, std::string_view secret);

// base64url without padding (RFC 4648 section 5), as JWS uses it. Decoding is strict: no padding,
// no characters outside the alphabet, no impossible lengths, no stray bits in the last character.
std::string base64url_encode(std::string_view data);
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace sfu
