// Parsers for the values of single SDP attributes (the text after "a=<name>:"), used by the
// description parser (sdp_parser.cpp) and usable alone, e.g. for a trickled candidate string.
// Each returns the value or a bad_request Error whose message names what is wrong (without a line
// number; the description parser adds it).
#pragma once

#include <algorithm>
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/result.h"
#include "sfu/sdp/sdp.h"

namespace sfu::sdp {

// <foundation> <component> <transport> <priority> <address> <port> typ <type> [raddr <a>]
// [rport <p>] [tcptype <t>] [<name> <value>]... A leading "candidate:" (as in
// RTCIceCandidate.candidate) is skipped.
Result<Candidate> parse_candidate(std::string_view value);
// <id>[/<direction>] <uri> [<attributes>], id 1-255.
Result<Extmap> parse_extmap(std::string_view value);
// <id> <send|recv> [pt=<pt>,...;<restriction>=<value>;...]
Result<Rid> parse_rid(std::string_view value);
// send|recv <streams> [send|recv <streams>]; streams ';'-separated, alternatives ',', paused '~'.
Result<Simulcast> parse_simulcast(std::string_view value);
// <semantics> <ssrc>...
Result<SsrcGroup> parse_ssrc_group(std::string_view value);
// <hash-function> <colon-separated hex>
Result<Fingerprint> parse_fingerprint(std::string_view value);
// "a=b;c;d=e" -> {a,b},{c,""},{d,e}; spaces around items are dropped.
std::vector<FmtpParam> parse_parameter_list(std::string_view text);
std::optional<Direction> direction_from(std::string_view name);  // "sendrecv" ... "inactive"

// Small tokenizing helpers shared by the SDP parsers.
namespace text {

using Tokens = std::vector<std::string_view>;

// Splits at every `separator`; empty items are kept ("a;;b" -> "a", "", "b").
inline Tokens split(std::string_view text, char separator) {
  Tokens out;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(separator, start);
    if (end == std::string_view::npos) end = text.size();
    out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// Whitespace-separated words; runs of spaces or tabs count as one separator.
inline Tokens words(std::string_view text) {
  Tokens out;
  size_t i = 0;
  while (i < text.size()) {
    while (i < text.size() && (text[i] == ' ' || text[i] == '\t')) ++i;
    size_t start = i;
    while (i < text.size() && text[i] != ' ' && text[i] != '\t') ++i;
    if (i > start) out.push_back(text.substr(start, i - start));
  }
  return out;
}

inline std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// The text after the first word, trimmed ("" if none).
inline std::string_view rest_after_first_word(std::string_view text) {
  text = trim(text);
  size_t space = text.find_first_of(" \t");
  if (space == std::string_view::npos) return {};
  return trim(text.substr(space));
}

// Decimal digits only (no sign, no spaces), at most `max`.
template <typename T>
bool to_uint(std::string_view text, T& out, uint64_t max = std::numeric_limits<T>::max()) {
  if (text.empty() || text.size() > 20) return false;
  uint64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size() || value > max) return false;
  out = static_cast<T>(value);
  return true;
}

// Quotes a piece of input inside an error message, clipped so messages stay short.
// Appends rather than `"'" + std::string(...)`: GCC 12 at -O3 reports a bogus -Wrestrict inside that
// operator+ (GCC bug 105329).
// Clipped on a UTF-8 character boundary: the message goes into JSON, which must stay valid UTF-8.
inline std::string quoted(std::string_view text) {
  constexpr size_t kMax = 60;
  const bool clipped = text.size() > kMax;
  size_t keep = std::min(text.size(), kMax);
  // Back off continuation bytes (10xxxxxx) so a multi-byte character is kept whole or dropped.
  if (clipped)
    while (keep > 0 && (static_cast<unsigned char>(text[keep]) & 0xC0) == 0x80) --keep;
  std::string out;
  out.reserve(keep + 5);
  out += '\'';
  out += text.substr(0, keep);
  out += clipped ? "...'" : "'";
  return out;
}

}  // namespace text
}  // namespace sfu::sdp
