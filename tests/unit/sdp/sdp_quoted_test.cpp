// Error messages quote the offending SDP text, clipped; the quote ends up in a JSON error, so a
// clip must never split a UTF-8 character.
#include <gtest/gtest.h>

#include <string>

#include "sfu/sdp/sdp_attributes.h"

namespace sfu::sdp::text {
namespace {

bool valid_utf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    size_t length = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (length == 0 || i + length > s.size()) return false;
    for (size_t k = 1; k < length; ++k)
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    i += length;
  }
  return true;
}

TEST(SdpQuoted, ShortTextIsQuotedWhole) { EXPECT_EQ(text::quoted("a=foo"), "'a=foo'"); }

TEST(SdpQuoted, LongAsciiIsClippedAtSixtyBytes) {
  EXPECT_EQ(text::quoted(std::string(100, 'a')), "'" + std::string(60, 'a') + "...'");
}

TEST(SdpQuoted, ClipNeverSplitsAMultiByteCharacter) {
  // "x" then two-byte characters: byte 60 falls inside one of them.
  std::string text = "x";
  for (int i = 0; i < 40; ++i) text += "\xC3\xA9";  // é
  std::string q = text::quoted(text);
  EXPECT_TRUE(valid_utf8(q)) << q;
  EXPECT_EQ(q, "'x" + text.substr(1, 58) + "...'");
  // Three- and four-byte characters too.
  for (const char* character : {"\xE2\x82\xAC", "\xF0\x9F\x8E\xA5"}) {  // €, 🎥
    std::string wide;
    for (int i = 0; i < 30; ++i) wide += character;
    for (size_t prefix = 0; prefix < 4; ++prefix)
      EXPECT_TRUE(valid_utf8(text::quoted(std::string(prefix, 'y') + wide))) << prefix;
  }
}

}  // namespace
}  // namespace sfu::sdp::text
