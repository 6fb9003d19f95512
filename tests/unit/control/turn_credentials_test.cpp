// TURN REST API credentials (sfu/control/turn_credentials.h) and the standard base64 they use.
#include "sfu/control/turn_credentials.h"

#include <gtest/gtest.h>

#include "sfu/control/base64.h"

using namespace sfu;

// RFC 4648 section 10.
TEST(Base64Encode, Rfc4648Vectors) {
  EXPECT_EQ(base64_encode(""), "");
  EXPECT_EQ(base64_encode("f"), "Zg==");
  EXPECT_EQ(base64_encode("fo"), "Zm8=");
  EXPECT_EQ(base64_encode("foo"), "Zm9v");
  EXPECT_EQ(base64_encode("foob"), "Zm9vYg==");
  EXPECT_EQ(base64_encode("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64_encode("foobar"), "Zm9vYmFy");
  // The standard alphabet's last two characters, where it differs from base64url.
  EXPECT_EQ(base64_encode(std::string("\xfb\xff", 2)), "+/8=");
  EXPECT_EQ(base64_decode(base64_encode(std::string("\x00\xfb\xff\x10", 4))),
            std::string("\x00\xfb\xff\x10", 4));
}

// RFC 2202 section 3, test case 2: HMAC-SHA1(key "Jefe", "what do ya want for nothing?") =
// effcdf6ae5eb2fa2d27416d5f184df9c259a7c79, whose base64 is 7/zfauXrL6LSdBbV8YTfnCWafHk=
// (printf '\xef\xfc...' | base64, or the openssl line below).
TEST(TurnCredentials, PasswordIsBase64OfHmacSha1Rfc2202) {
  EXPECT_EQ(turn_rest_password("Jefe", "what do ya want for nothing?"), "7/zfauXrL6LSdBbV8YTfnCWafHk=");
}

// A credential as coturn checks it. The expected values were computed outside this code with
//   echo -n '1700000000:p3k9x0q2m7ab1' |
//     openssl dgst -sha1 -hmac 'sfu-turn-test-shared-secret-0123456789' -binary | base64
TEST(TurnCredentials, UsernameIsExpiryColonParticipantAndPasswordItsHmac) {
  TurnCredential c =
      make_turn_credential("sfu-turn-test-shared-secret-0123456789", "p3k9x0q2m7ab1", 1700000000);
  EXPECT_EQ(c.username, "1700000000:p3k9x0q2m7ab1");
  EXPECT_EQ(c.credential, "5pSrzBuAy5VpRrJhVWRHN93nwqQ=");
}

// The credential depends on every byte of the username and of the secret: another expiry, another
// participant or another secret gives another password (so a client cannot extend its own expiry).
TEST(TurnCredentials, AnyChangeChangesThePassword) {
  const std::string secret = "sfu-turn-test-shared-secret-0123456789";
  const std::string base = make_turn_credential(secret, "p3k9x0q2m7ab1", 1700000000).credential;
  EXPECT_NE(make_turn_credential(secret, "p3k9x0q2m7ab1", 1700000001).credential, base);
  EXPECT_NE(make_turn_credential(secret, "p3k9x0q2m7ab2", 1700000000).credential, base);
  EXPECT_NE(make_turn_credential(secret + "x", "p3k9x0q2m7ab1", 1700000000).credential, base);
  EXPECT_EQ(make_turn_credential(secret, "p3k9x0q2m7ab1", 1700000000).credential, base);
  EXPECT_EQ(base.size(), 28u);  // 20 bytes of SHA-1, base64 with padding
}
