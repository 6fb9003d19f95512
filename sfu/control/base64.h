// Base64 of RFC 4648, both alphabets the control plane meets: the standard one (section 4) for
// binary in REST bodies and TURN credentials, and base64url without padding (section 5) as JWS uses it.
// Decoding is strict: no whitespace, no characters outside the alphabet, no impossible lengths, and no stray
// bits in the last character, so every byte string has exactly one accepted encoding.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace sfu {

// Standard alphabet; the '=' padding may be left out when decoding, and is always written.
std::string base64_encode(std::string_view data);
std::optional<std::string> base64_decode(std::string_view text);

// URL alphabet, no padding.
std::string base64url_encode(std::string_view data);
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace sfu
