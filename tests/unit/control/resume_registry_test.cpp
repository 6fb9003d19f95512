// Resume tokens and the resume grace (docs/protocol.md, "Session resume"): a token works for its
// participant only, once, while the participant is known and its grace lasts; a forged, spent or
// malformed token is bad_token; a participant gone or past its grace is expired. Time is passed in.
#include "sfu/control/resume_registry.h"

#include <gtest/gtest.h>

#include <set>
#include <string>

#include "sfu/control/base64.h"

namespace sfu {
namespace {

using Check = ResumeRegistry::Check;
constexpr uint64_t kGraceMs = 20000;

TEST(ResumeRegistry, ATokenIs256RandomBitsInBase64url) {
  ResumeRegistry registry(kGraceMs);
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    std::string token = registry.issue("p" + std::to_string(i));
    auto raw = base64url_decode(token);
    ASSERT_TRUE(raw.has_value()) << token;
    EXPECT_EQ(raw->size(), 32u) << token;
    EXPECT_TRUE(seen.insert(token).second) << "a token repeated: " << token;
  }
}

TEST(ResumeRegistry, TheIssuedTokenResumesItsParticipantOnly) {
  ResumeRegistry registry(kGraceMs);
  std::string alice = registry.issue("palice");
  std::string bob = registry.issue("pbob");
  EXPECT_EQ(registry.check("palice", alice, 0), Check::ok);  // attached: an old socket may linger
  registry.detach("palice", 1000);
  EXPECT_EQ(registry.check("palice", alice, 1000), Check::ok);
  EXPECT_EQ(registry.check("palice", bob, 1000), Check::bad_token) << "another participant's token";
  EXPECT_EQ(registry.check("pbob", alice, 1000), Check::bad_token);
}

TEST(ResumeRegistry, ForgedAndMalformedTokensAreBad) {
  ResumeRegistry registry(kGraceMs);
  std::string token = registry.issue("p1");
  registry.detach("p1", 0);
  std::string flipped = token;
  flipped[5] = flipped[5] == 'A' ? 'B' : 'A';
  for (const std::string& forged : {flipped, token.substr(0, token.size() - 1), token + "A", std::string(),
                                    std::string(token.size(), 'A'), std::string("\0\xff", 2)})
    EXPECT_EQ(registry.check("p1", forged, 100), Check::bad_token) << "'" << forged << "'";
  EXPECT_EQ(registry.check("p1", token, 100), Check::ok) << "a bad attempt does not spend the real token";
}

TEST(ResumeRegistry, ATokenIsSpentByTheResumeAndReplacedByTheNextOne) {
  ResumeRegistry registry(kGraceMs);
  std::string first = registry.issue("p1");
  registry.detach("p1", 0);
  ASSERT_EQ(registry.check("p1", first, 10), Check::ok);
  registry.attach("p1");
  EXPECT_EQ(registry.check("p1", first, 20), Check::bad_token) << "a token is good for one resume";
  std::string second = registry.issue("p1");  // sent with `resumed`
  EXPECT_NE(second, first);
  registry.detach("p1", 30);
  EXPECT_EQ(registry.check("p1", first, 40), Check::bad_token) << "reused";
  EXPECT_EQ(registry.check("p1", second, 40), Check::ok);
}

TEST(ResumeRegistry, TheGraceRunsOutAtItsDeadline) {
  ResumeRegistry registry(kGraceMs);
  std::string token = registry.issue("p1");
  registry.detach("p1", 5000);
  EXPECT_TRUE(registry.detached("p1"));
  EXPECT_EQ(registry.detached_count(), 1u);
  EXPECT_TRUE(registry.take_expired(5000 + kGraceMs - 1).empty());
  EXPECT_EQ(registry.check("p1", token, 5000 + kGraceMs - 1), Check::ok);
  // Past the deadline the token is refused even before the housekeeping takes it out.
  EXPECT_EQ(registry.check("p1", token, 5000 + kGraceMs), Check::expired);
  EXPECT_EQ(registry.check("p1", "forged", 5000 + kGraceMs), Check::expired);
  EXPECT_EQ(registry.take_expired(5000 + kGraceMs), std::vector<std::string>{"p1"});
  EXPECT_TRUE(registry.take_expired(5000 + kGraceMs).empty());
  registry.forget("p1");
  EXPECT_EQ(registry.detached_count(), 0u);
  EXPECT_EQ(registry.size(), 0u);
}

TEST(ResumeRegistry, AResumeStopsTheGraceAndANewDropStartsItAgain) {
  ResumeRegistry registry(kGraceMs);
  registry.issue("p1");
  registry.detach("p1", 0);
  registry.attach("p1");
  EXPECT_FALSE(registry.detached("p1"));
  EXPECT_EQ(registry.detached_count(), 0u);
  EXPECT_TRUE(registry.take_expired(10 * kGraceMs).empty()) << "an attached participant never expires";
  std::string token = registry.issue("p1");
  registry.detach("p1", 10 * kGraceMs);
  EXPECT_EQ(registry.check("p1", token, 11 * kGraceMs - 1), Check::ok);
  EXPECT_EQ(registry.take_expired(11 * kGraceMs), std::vector<std::string>{"p1"});
}

TEST(ResumeRegistry, AForgottenParticipantsTokenIsWorthless) {
  ResumeRegistry registry(kGraceMs);
  std::string token = registry.issue("p1");
  registry.forget("p1");  // left, kicked, removed, or its room deleted
  EXPECT_EQ(registry.check("p1", token, 0), Check::expired);
  EXPECT_EQ(registry.check("never-was", token, 0), Check::expired);
  EXPECT_STREQ(ResumeRegistry::label(Check::ok), "ok");
  EXPECT_STREQ(ResumeRegistry::label(Check::bad_token), "bad_token");
  EXPECT_STREQ(ResumeRegistry::label(Check::expired), "expired");
}

TEST(ResumeRegistry, ZeroGraceIsOff) {
  EXPECT_FALSE(ResumeRegistry(0).enabled());
  EXPECT_TRUE(ResumeRegistry(1000).enabled());
}

}  // namespace
}  // namespace sfu
