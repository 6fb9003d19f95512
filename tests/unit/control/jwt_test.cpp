#include "sfu/control/jwt.h"

#include <gtest/gtest.h>

#include <string>
#include <variant>

namespace sfu {
namespace {

// RFC 7515 Appendix A.1: the HS256 example, its JWK "k" and its exp (1300819380).
constexpr const char* kRfcToken =
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ"
    ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
constexpr const char* kRfcKeyB64 =
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
constexpr int64_t kRfcExp = 1300819380;
constexpr int64_t kNow = 1700000000;
// 32 bytes, as the server's config requires (auth.secret; RFC 7518 section 3.2).
constexpr const char* kSecret = "jwt-test-secret-of-32-bytes-0123";

std::string rfc_key() {
  auto key = base64url_decode(kRfcKeyB64);
  EXPECT_TRUE(key.has_value());
  return key.value_or("");
}

std::string reason_of(const Result<nlohmann::json>& result) {
  return result.ok() ? std::string() : result.error().message;
}

bool verifies(std::string_view token, std::string_view secret, int64_t now) {
  return verify_jwt_hs256(token, secret, now).ok();
}

}  // namespace

TEST(Base64Url, KnownValues) {
  EXPECT_EQ(base64url_encode(""), "");
  EXPECT_EQ(base64url_encode("f"), "Zg");
  EXPECT_EQ(base64url_encode("fo"), "Zm8");
  EXPECT_EQ(base64url_encode("foo"), "Zm9v");
  EXPECT_EQ(base64url_encode("foob"), "Zm9vYg");
  EXPECT_EQ(base64url_encode("fooba"), "Zm9vYmE");
  EXPECT_EQ(base64url_encode("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64url_encode(std::string("\xfb\xff\xbf", 3)), "-_-_");
  EXPECT_EQ(base64url_decode("Zm9vYmE"), "fooba");
  EXPECT_EQ(base64url_decode("-_-_"), std::string("\xfb\xff\xbf", 3));
  EXPECT_EQ(base64url_decode(""), "");
}

TEST(Base64Url, RoundTripsEveryByteAndLength) {
  std::string data;
  for (int i = 0; i < 256; ++i) data += static_cast<char>(i);
  for (size_t n = 0; n <= data.size(); ++n) {
    std::string slice = data.substr(0, n);
    EXPECT_EQ(base64url_decode(base64url_encode(slice)), slice) << n;
  }
}

TEST(Base64Url, RejectsMalformedInput) {
  EXPECT_FALSE(base64url_decode("Zg==").has_value());    // padding
  EXPECT_FALSE(base64url_decode("Z").has_value());       // impossible length
  EXPECT_FALSE(base64url_decode("Zm9v+g").has_value());  // standard alphabet
  EXPECT_FALSE(base64url_decode("Zm9v/g").has_value());
  EXPECT_FALSE(base64url_decode("Zm 9v").has_value());
  EXPECT_FALSE(base64url_decode("Zh").has_value());  // stray low bits ("f" is "Zg")
  EXPECT_FALSE(base64url_decode(std::string_view("Zm\0v", 4)).has_value());
}

TEST(Jwt, Rfc7515AppendixA1Verifies) {
  auto result = verify_jwt_hs256(kRfcToken, rfc_key(), kRfcExp - 1);
  ASSERT_TRUE(result.ok()) << reason_of(result);
  const auto& claims = result.value();
  EXPECT_EQ(claims["iss"], "joe");
  EXPECT_EQ(claims["exp"], kRfcExp);
  EXPECT_EQ(claims["http://example.com/is_root"], true);
}

TEST(Jwt, Rfc7515ExampleExpiresAtExp) {
  EXPECT_EQ(reason_of(verify_jwt_hs256(kRfcToken, rfc_key(), kRfcExp)), "token expired");
  EXPECT_FALSE(verifies(kRfcToken, rfc_key(), kRfcExp + 1));
}

TEST(Jwt, TamperedPayloadFails) {
  std::string token = kRfcToken;
  // Re-encode the payload with is_root false, keeping the original signature.
  std::string payload =
      base64url_encode("{\"iss\":\"joe\",\r\n \"exp\":1300819380,\r\n \"http://example.com/is_root\":false}");
  size_t first = token.find('.');
  size_t second = token.find('.', first + 1);
  std::string tampered = token.substr(0, first + 1) + payload + token.substr(second);
  EXPECT_EQ(reason_of(verify_jwt_hs256(tampered, rfc_key(), kRfcExp - 1)), "bad signature");

  // A single changed character anywhere in the signed part or the signature also fails.
  for (size_t i = 0; i < token.size(); ++i) {
    if (token[i] == '.') continue;
    std::string flipped = token;
    flipped[i] = flipped[i] == 'A' ? 'B' : 'A';
    EXPECT_FALSE(verifies(flipped, rfc_key(), kRfcExp - 1)) << i;
  }
}

TEST(Jwt, WrongSecretFails) {
  std::string key = rfc_key();
  key[0] ^= 1;
  EXPECT_EQ(reason_of(verify_jwt_hs256(kRfcToken, key, kRfcExp - 1)), "bad signature");
  EXPECT_FALSE(verifies(kRfcToken, kSecret, kRfcExp - 1));
  EXPECT_EQ(reason_of(verify_jwt_hs256(kRfcToken, "", kRfcExp - 1)), "no secret configured");
}

TEST(Jwt, SignThenVerifyRoundTrips) {
  nlohmann::json claims = {{"room", "demo"}, {"name", "alice"}, {"exp", kNow + 60}, {"admin", true}};
  std::string token = sign_jwt_hs256(claims, kSecret);
  auto result = verify_jwt_hs256(token, kSecret, kNow);
  ASSERT_TRUE(result.ok()) << reason_of(result);
  EXPECT_EQ(result.value(), claims);
  EXPECT_FALSE(verifies(token, "another-secret-of-32-bytes-01234", kNow));
}

TEST(Jwt, AlgNoneIsRejected) {
  std::string payload = base64url_encode(nlohmann::json{{"exp", kNow + 60}}.dump());
  std::string none_header = base64url_encode(R"({"alg":"none","typ":"JWT"})");
  EXPECT_EQ(reason_of(verify_jwt_hs256(none_header + "." + payload + ".", kSecret, kNow)),
            "algorithm is not HS256");
  // Even with a valid HS256 MAC over it, a header that does not say HS256 is refused.
  std::string good = sign_jwt_hs256({{"exp", kNow + 60}}, kSecret);
  std::string signature = good.substr(good.rfind('.'));
  EXPECT_FALSE(verifies(none_header + "." + payload + signature, kSecret, kNow));
}

TEST(Jwt, OtherAlgorithmsAndOddHeadersAreRejected) {
  std::string payload = base64url_encode(nlohmann::json{{"exp", kNow + 60}}.dump());
  std::string sig = ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
  for (const char* header :
       {R"({"alg":"HS384"})", R"({"alg":"RS256"})", R"({"alg":"hs256"})", R"({"alg":["HS256"]})",
        R"({"typ":"JWT"})", R"(["HS256"])", R"({"alg":"HS256","crit":["exp"]})", "not json"}) {
    EXPECT_FALSE(verifies(base64url_encode(header) + "." + payload + sig, kSecret, kNow)) << header;
  }
}

TEST(Jwt, ExpiryAndNotBefore) {
  const std::string secret = kSecret;
  EXPECT_TRUE(verifies(sign_jwt_hs256({{"exp", kNow + 1}}, secret), secret, kNow));
  EXPECT_EQ(reason_of(verify_jwt_hs256(sign_jwt_hs256({{"exp", kNow}}, secret), secret, kNow)),
            "token expired");
  EXPECT_EQ(reason_of(verify_jwt_hs256(sign_jwt_hs256({{"exp", kNow - 100}}, secret), secret, kNow)),
            "token expired");
  EXPECT_EQ(reason_of(verify_jwt_hs256(sign_jwt_hs256({{"room", "x"}}, secret), secret, kNow)),
            "no exp claim");
  EXPECT_EQ(reason_of(verify_jwt_hs256(sign_jwt_hs256({{"exp", "tomorrow"}}, secret), secret, kNow)),
            "exp is not a number");
  EXPECT_TRUE(verifies(sign_jwt_hs256({{"exp", kNow + 60.5}}, secret), secret, kNow));
  EXPECT_TRUE(verifies(sign_jwt_hs256({{"exp", kNow + 60}, {"nbf", kNow}}, secret), secret, kNow));
  EXPECT_EQ(reason_of(verify_jwt_hs256(sign_jwt_hs256({{"exp", kNow + 60}, {"nbf", kNow + 1}}, secret),
                                       secret, kNow)),
            "token not yet valid");
  EXPECT_EQ(
      reason_of(verify_jwt_hs256(sign_jwt_hs256({{"exp", kNow + 60}, {"nbf", "now"}}, secret), secret, kNow)),
      "nbf is not a number");
}

TEST(Jwt, ClaimsMustBeAnObject) {
  const std::string secret = kSecret;
  for (const nlohmann::json& claims :
       {nlohmann::json::array({1, 2}), nlohmann::json(42), nlohmann::json("exp")}) {
    EXPECT_EQ(reason_of(verify_jwt_hs256(sign_jwt_hs256(claims, secret), secret, kNow)),
              "claims are not a JSON object")
        << claims.dump();
  }
}

TEST(Jwt, GarbageIsRejectedCleanly) {
  const std::string secret = kSecret;
  std::string good = sign_jwt_hs256({{"exp", kNow + 60}}, secret);
  ASSERT_TRUE(verifies(good, secret, kNow));
  for (const std::string& token :
       {std::string(), std::string("."), std::string(".."), std::string("..."), std::string("a.b.c"),
        std::string("abc"), std::string("Bearer ") + good, good + ".", good + "=", "." + good,
        std::string(20000, 'a'), std::string("\xff\xfe.\x01\x02.\x03"), std::string("a\0b.c.d", 7)}) {
    EXPECT_FALSE(verifies(token, secret, kNow)) << token.substr(0, 40);
  }
  // Every truncation of a valid token fails.
  for (size_t n = 0; n < good.size(); ++n) EXPECT_FALSE(verifies(good.substr(0, n), secret, kNow)) << n;
  // Signature of the wrong length.
  std::string short_sig = good.substr(0, good.rfind('.') + 1) + base64url_encode("short");
  EXPECT_EQ(reason_of(verify_jwt_hs256(short_sig, secret, kNow)), "bad signature");
}

TEST(Jwt, ClockSkewLeewayAppliesToExpAndNbf) {
  const JwtRequirements skew{.now_unix = kNow, .leeway_s = 30};
  auto reason = [&](const nlohmann::json& claims) {
    return reason_of(verify_jwt_hs256(sign_jwt_hs256(claims, kSecret), kSecret, skew));
  };
  // A server clock up to 30 s ahead of the issuer's still accepts the token...
  EXPECT_EQ(reason({{"exp", kNow - 29}}), "");
  EXPECT_EQ(reason({{"exp", kNow - 30}}), "token expired");
  // ... and one up to 30 s behind it.
  EXPECT_EQ(reason({{"exp", kNow + 60}, {"nbf", kNow + 30}}), "");
  EXPECT_EQ(reason({{"exp", kNow + 60}, {"nbf", kNow + 31}}), "token not yet valid");
  // Without leeway, the plain overload: exact.
  EXPECT_EQ(reason_of(verify_jwt_hs256(sign_jwt_hs256({{"exp", kNow - 1}}, kSecret), kSecret, kNow)),
            "token expired");
}

TEST(Jwt, AudienceIsCheckedOnlyWhenRequired) {
  const JwtRequirements required{.now_unix = kNow, .audience = "sfu.example.com"};
  auto reason = [&](const nlohmann::json& aud) {
    nlohmann::json claims = {{"exp", kNow + 60}};
    if (!aud.is_discarded()) claims["aud"] = aud;
    return reason_of(verify_jwt_hs256(sign_jwt_hs256(claims, kSecret), kSecret, required));
  };
  const nlohmann::json absent(nlohmann::json::value_t::discarded);
  // RFC 7519 section 4.1.3: a string, or an array of strings that must contain this server.
  EXPECT_EQ(reason("sfu.example.com"), "");
  EXPECT_EQ(reason(nlohmann::json::array({"other.example.com", "sfu.example.com"})), "");
  EXPECT_EQ(reason(absent), "token audience missing: expected 'sfu.example.com'");
  EXPECT_EQ(reason("other.example.com"), "token audience does not include 'sfu.example.com'");
  EXPECT_EQ(reason(nlohmann::json::array({"other.example.com"})),
            "token audience does not include 'sfu.example.com'");
  EXPECT_EQ(reason("SFU.example.com"),
            "token audience does not include 'sfu.example.com'");  // case-sensitive
  for (const nlohmann::json& odd : {nlohmann::json(7), nlohmann::json::array({"sfu.example.com", 7}),
                                    nlohmann::json::object({{"sfu.example.com", true}})})
    EXPECT_EQ(reason(odd), "token audience must be a string or an array of strings") << odd.dump();
  // Not required: any audience, or none, is accepted.
  nlohmann::json claims = {{"exp", kNow + 60}, {"aud", 7}};
  EXPECT_TRUE(verifies(sign_jwt_hs256(claims, kSecret), kSecret, kNow));
}

TEST(Jwt, IssuerIsCheckedOnlyWhenRequired) {
  const JwtRequirements required{.now_unix = kNow, .issuer = "https://idp.example.com"};
  auto reason = [&](const nlohmann::json& claims) {
    return reason_of(verify_jwt_hs256(sign_jwt_hs256(claims, kSecret), kSecret, required));
  };
  EXPECT_EQ(reason({{"exp", kNow + 60}, {"iss", "https://idp.example.com"}}), "");
  EXPECT_EQ(reason({{"exp", kNow + 60}}), "token issuer missing: expected 'https://idp.example.com'");
  EXPECT_EQ(reason({{"exp", kNow + 60}, {"iss", "https://evil.example.com"}}),
            "token issuer is not 'https://idp.example.com'");
  EXPECT_EQ(reason({{"exp", kNow + 60}, {"iss", nlohmann::json::array({"https://idp.example.com"})}}),
            "token issuer must be a string");
  EXPECT_TRUE(verifies(sign_jwt_hs256({{"exp", kNow + 60}, {"iss", 1}}, kSecret), kSecret, kNow));
}

}  // namespace sfu
