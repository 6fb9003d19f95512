// Cryptographically random values (OpenSSL's RAND_bytes) for everything a peer must not guess:
// ICE credentials, SSRCs, participant ids, initial sequence numbers and timestamps.
#pragma once

#include <openssl/rand.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace sfu {

// The 64 characters RFC 8839 allows in ICE credentials (ice-char = ALPHA / DIGIT / "+" / "/").
inline constexpr std::string_view kIceCharacters =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
// Lower-case letters and digits: ids that appear in URLs and logs.
inline constexpr std::string_view kIdCharacters = "abcdefghijklmnopqrstuvwxyz0123456789";

template <typename T>
T random_value() {
  static_assert(std::is_integral_v<T>);
  T value{};
  RAND_bytes(reinterpret_cast<uint8_t*>(&value), sizeof(value));
  return value;
}

// A non-zero 32-bit value: SSRCs (0 means "none" throughout the project).
inline uint32_t random_nonzero_u32() {
  uint32_t value = 0;
  while (value == 0) value = random_value<uint32_t>();
  return value;
}

inline std::string random_string(size_t length, std::string_view alphabet) {
  std::vector<uint8_t> random(length);
  RAND_bytes(random.data(), static_cast<int>(length));
  std::string out(length, ' ');
  // Modulo bias is negligible for these alphabets (64 divides 256 exactly; 36 is close enough
  // for identifiers whose only job is to be unique).
  for (size_t i = 0; i < length; ++i) out[i] = alphabet[random[i] % alphabet.size()];
  return out;
}

}  // namespace sfu
