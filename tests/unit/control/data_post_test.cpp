// The body of POST /v1/rooms/{name}/data (sfu/control/data_post.h) and its base64.
#include "sfu/control/data_post.h"

#include <gtest/gtest.h>

#include "sfu/control/base64.h"

using namespace sfu;

namespace {

TEST(Base64, DecodesTheStandardAlphabetWithOrWithoutPadding) {
  EXPECT_EQ(base64_decode(""), "");
  EXPECT_EQ(base64_decode("Zg=="), "f");
  EXPECT_EQ(base64_decode("Zg"), "f");
  EXPECT_EQ(base64_decode("Zm8="), "fo");
  EXPECT_EQ(base64_decode("Zm9v"), "foo");
  EXPECT_EQ(base64_decode("AAEC/w=="), std::string("\x00\x01\x02\xff", 4));
  EXPECT_EQ(base64_decode("+/+/"), std::string("\xfb\xff\xbf", 3));
}

TEST(Base64, RefusesWhatIsNotBase64) {
  EXPECT_FALSE(base64_decode("Z"));          // 6 bits end no byte
  EXPECT_FALSE(base64_decode("Zh=="));       // leftover bits not zero
  EXPECT_FALSE(base64_decode("Zm9v YmFy"));  // whitespace
  EXPECT_FALSE(base64_decode("Zm9-"));       // base64url's alphabet
  EXPECT_FALSE(base64_decode("Zg="));        // padding to no multiple of 4
  EXPECT_FALSE(base64_decode("Zg==="));
}

TEST(DataPost, TakesTextOrBinaryAndOptionalParticipants) {
  auto text = parse_data_post(R"({"text":"hi"})", 100);
  ASSERT_TRUE(text);
  EXPECT_FALSE(text->binary);
  EXPECT_EQ(text->message, "hi");
  EXPECT_TRUE(text->participants.empty());

  auto binary = parse_data_post(R"({"binary_base64":"AAEC","participants":["p1","p2"]})", 100);
  ASSERT_TRUE(binary);
  EXPECT_TRUE(binary->binary);
  EXPECT_EQ(binary->message, std::string("\x00\x01\x02", 3));
  EXPECT_EQ(binary->participants, (std::vector<std::string>{"p1", "p2"}));

  auto empty = parse_data_post(R"({"text":""})", 100);
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->message, "");
}

TEST(DataPost, RefusesBadBodiesWithAClearError) {
  auto code_of = [](std::string_view body) {
    auto post = parse_data_post(body, 4);
    return post ? std::string("ok") : std::string(to_string(post.error().code)) + ": " + post.error().message;
  };
  EXPECT_EQ(code_of("nope"), "bad_request: the body must be a JSON object");
  EXPECT_EQ(code_of("[]"), "bad_request: the body must be a JSON object");
  EXPECT_EQ(code_of("{}"), "bad_request: give exactly one of 'text' (a string) or 'binary_base64'");
  EXPECT_EQ(code_of(R"({"text":"a","binary_base64":"YQ=="})"),
            "bad_request: give exactly one of 'text' (a string) or 'binary_base64'");
  EXPECT_EQ(code_of(R"({"text":5})"), "bad_request: 'text' must be a string");
  EXPECT_EQ(code_of(R"({"binary_base64":"***"})"),
            "bad_request: 'binary_base64' must be a base64 string (RFC 4648, standard alphabet)");
  EXPECT_EQ(code_of(R"({"text":"a","participants":[]})"),
            "bad_request: 'participants' must be a non-empty array of participant ids");
  EXPECT_EQ(code_of(R"({"text":"a","participants":"p1"})"),
            "bad_request: 'participants' must be a non-empty array of participant ids");
  EXPECT_EQ(code_of(R"({"text":"a","participants":[1]})"),
            "bad_request: 'participants' must be a non-empty array of participant ids");
  EXPECT_EQ(code_of(R"({"text":"12345"})"),
            "payload_too_large: the message is 5 bytes; data_channels.max_message_bytes is 4");
  EXPECT_EQ(code_of(R"({"text":"1234"})"), "ok");
}

}  // namespace
