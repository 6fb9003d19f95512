// The published test vectors against the OpenSSL backend's parts: RFC 3711 Appendix B.2 (the
// AES-CM key stream) and B.3 (key derivation), RFC 6188 §7.2 (AES-256 key derivation), and RFC
// 7714 §16 (SRTP) and §17 (SRTCP, encrypted and authenticated-only) for AES-128-GCM and
// AES-256-GCM. RFC 7714's vectors start from session keys, so they drive OpensslSrtp keyed with
// them directly; libsrtp2 agrees with it byte for byte on everything else (srtp_oracle_test).
#include <gtest/gtest.h>

#include <cctype>
#include <string>
#include <vector>

#include "rtp/srtp_cipher.h"
#include "rtp/srtp_key_derivation.h"
#include "rtp/srtp_openssl.h"

namespace sfu::rtp {
namespace {

std::vector<uint8_t> hex(const std::string& text) {
  std::vector<uint8_t> out;
  std::string digits;
  for (char c : text)
    if (std::isxdigit(static_cast<unsigned char>(c)) != 0) digits += c;
  for (size_t i = 0; i + 1 < digits.size(); i += 2)
    out.push_back(static_cast<uint8_t>(std::stoi(digits.substr(i, 2), nullptr, 16)));
  return out;
}

std::vector<uint8_t> derive(const std::string& key, const std::string& salt, SrtpKeyLabel label,
                            size_t size) {
  std::vector<uint8_t> out(size);
  EXPECT_TRUE(srtp_derive_key(hex(key), hex(salt), label, out));
  return out;
}

// RFC 3711 B.2: session key 2B7E..., IV = salt << 16 with SSRC, ROC and SEQ all zero. The last
// three blocks (counters FEFF to FF01) are RFC 3686's AES-CTR vectors.
TEST(SrtpRfc3711, B2AesCounterModeKeyStream) {
  AesCounterMode ctr;
  ASSERT_TRUE(ctr.init(hex("2B7E151628AED2A6ABF7158809CF4F3C")));
  std::array<uint8_t, 16> iv{};
  std::vector<uint8_t> salt = hex("F0F1F2F3F4F5F6F7F8F9FAFBFCFD");
  std::copy(salt.begin(), salt.end(), iv.begin());
  std::vector<uint8_t> stream(0xFF02 * 16, 0);
  ASSERT_TRUE(ctr.apply(iv, stream.data(), stream.size()));
  auto block = [&](size_t counter) {
    return std::vector<uint8_t>(stream.begin() + static_cast<long>(counter * 16),
                                stream.begin() + static_cast<long>(counter * 16 + 16));
  };
  EXPECT_EQ(block(0x0000), hex("E03EAD0935C95E80E166B16DD92B4EB4"));
  EXPECT_EQ(block(0x0001), hex("D23513162B02D0F72A43A2FE4A5F97AB"));
  EXPECT_EQ(block(0x0002), hex("41E95B3BB0A2E8DD477901E4FCA894C0"));
  EXPECT_EQ(block(0xFEFF), hex("EC8CDF7398607CB0F2D21675EA9EA1E4"));
  EXPECT_EQ(block(0xFF00), hex("362B7C3C6773516318A077D7FC5073AE"));
  EXPECT_EQ(block(0xFF01), hex("6A2CC3787889374FBEB4C81B17BA6C44"));
}

constexpr const char* kB3MasterKey = "E1F97A0D3E018BE0D64FA32C06DE4139";
constexpr const char* kB3MasterSalt = "0EC675AD498AFEEBB6960B3AABE6";

TEST(SrtpRfc3711, B3KeyDerivation) {
  EXPECT_EQ(derive(kB3MasterKey, kB3MasterSalt, SrtpKeyLabel::RtpEncryption, 16),
            hex("C61E7A93744F39EE10734AFE3FF7A087"));
  EXPECT_EQ(derive(kB3MasterKey, kB3MasterSalt, SrtpKeyLabel::RtpSalt, 14),
            hex("30CBBC08863D8C85D49DB34A9AE1"));
  // The 94-byte authentication key of the appendix (SRTP uses its first 20 bytes).
  EXPECT_EQ(derive(kB3MasterKey, kB3MasterSalt, SrtpKeyLabel::RtpAuthentication, 94),
            hex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA48F0A0ACF3C34E2359E6CDBCE"
                "E049646C43D9327AD175578EF72270986371C10C9A369AC2F94A8C5FBCDDDC25"
                "6D6E919A48B610EF17C2041E474035766B68642C59BBFC2F34DB60DBDFB2"));
}

TEST(SrtpRfc3711, SessionKeysAreTheB3Derivations) {
  std::vector<uint8_t> master = hex(std::string(kB3MasterKey) + kB3MasterSalt);
  for (SrtpProfile profile : {SrtpProfile::AesCm128HmacSha1_80, SrtpProfile::AesCm128HmacSha1_32}) {
    auto keys = derive_srtp_session_keys(profile, master);
    ASSERT_TRUE(keys);
    EXPECT_EQ(std::vector<uint8_t>(keys->rtp.encryption_key().begin(), keys->rtp.encryption_key().end()),
              hex("C61E7A93744F39EE10734AFE3FF7A087"));
    EXPECT_EQ(std::vector<uint8_t>(keys->rtp.salt_bytes().begin(), keys->rtp.salt_bytes().end()),
              hex("30CBBC08863D8C85D49DB34A9AE1"));
    EXPECT_EQ(std::vector<uint8_t>(keys->rtp.authentication.begin(), keys->rtp.authentication.end()),
              hex("CEBE321F6FF7716B6FD4AB49AF256A156D38BAA4"));
    // SRTCP's keys come from labels 3 to 5.
    EXPECT_EQ(std::vector<uint8_t>(keys->rtcp.encryption_key().begin(), keys->rtcp.encryption_key().end()),
              derive(kB3MasterKey, kB3MasterSalt, SrtpKeyLabel::RtcpEncryption, 16));
    EXPECT_EQ(std::vector<uint8_t>(keys->rtcp.authentication.begin(), keys->rtcp.authentication.end()),
              derive(kB3MasterKey, kB3MasterSalt, SrtpKeyLabel::RtcpAuthentication, 20));
  }
  EXPECT_FALSE(derive_srtp_session_keys(SrtpProfile::AesCm128HmacSha1_80, hex(kB3MasterKey)));
}

// RFC 6188 §7.2: the same PRF with AES-256 (a 32-byte master key).
TEST(SrtpRfc6188, Aes256KeyDerivation) {
  const char* key = "F0F04914B513F2763A1B1FA130F10E2998F6F6E43E4309D1E622A0E332B9F1B6";
  const char* salt = "3B04803DE51EE7C96423AB5B78D2";
  EXPECT_EQ(derive(key, salt, SrtpKeyLabel::RtpEncryption, 32),
            hex("5BA1064E30EC51613CAD926C5A28EF731EC7FB397F70A960653CAF06554CD8C4"));
  EXPECT_EQ(derive(key, salt, SrtpKeyLabel::RtpSalt, 14), hex("FA31791685CA444A9E07C6C64E93"));
}

// RFC 7714 §16 and §17: session key 000102..., session salt "Quid pro quo".
constexpr const char* kGcmKey128 = "000102030405060708090a0b0c0d0e0f";
constexpr const char* kGcmKey256 = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
constexpr const char* kGcmSalt = "517569642070726f2071756f";
constexpr const char* kRtp =  // SSRC 5501a0b2, SEQ f17b, ROC 0: "Gallia est omnis divisa in partes tres"
    "8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973 20646976 69736120 696e2070 61727465"
    "73207472 6573";
constexpr const char* kRtcp =  // an SR from "Mars"
    "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61 deadbeef deadbeef deadbeef"
    "deadbeef deadbeef";

std::unique_ptr<OpensslSrtp> gcm_session(SrtpProfile profile, bool outbound) {
  SrtpSessionKeys keys;
  for (SrtpKeys* k : {&keys.rtp, &keys.rtcp}) {
    std::vector<uint8_t> key = hex(profile == SrtpProfile::AeadAes256Gcm ? kGcmKey256 : kGcmKey128);
    std::vector<uint8_t> salt = hex(kGcmSalt);
    std::copy(key.begin(), key.end(), k->encryption.begin());
    std::copy(salt.begin(), salt.end(), k->salt.begin());
    k->encryption_size = key.size();
    k->salt_size = salt.size();
  }
  std::string error;
  auto session = OpensslSrtp::create(profile, keys, outbound, &error);
  EXPECT_NE(session, nullptr) << error;
  return session;
}

struct GcmVector {
  SrtpProfile profile;
  const char* srtp;
  const char* srtcp;              // E = 1, SRTCP index 0x5d4
  const char* srtcp_unencrypted;  // E = 0, SRTCP index 0x5d4
};

class SrtpRfc7714 : public ::testing::TestWithParam<GcmVector> {};

INSTANTIATE_TEST_SUITE_P(
    Vectors, SrtpRfc7714,
    ::testing::Values(
        GcmVector{SrtpProfile::AeadAes128Gcm,
                  "8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca be633bd5 0d294e6f 42a5f47a"
                  "51c7d19b 36de3adf 8833899d 7f27beb1 6a9152cf 765ee439 0cce",
                  "81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7 6c06f32d c676a5f1 730d6fda"
                  "4ce09b46 86303ded 0bb9275b c84aa458 96cf4d2f c5abf872 45d9eade 800005d4",
                  "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61 deadbeef deadbeef"
                  "deadbeef deadbeef deadbeef 841dd968 3dd78ec9 2ae58790 125f62b3 000005d4"},
        GcmVector{SrtpProfile::AeadAes256Gcm,
                  "8040f17b 8041f8d3 5501a0b2 32b1de78 a822fe12 ef9f78fa 332e33aa b1801238 9a58e2f3 b50b2a02"
                  "76ffae0f 1ba63799 b87b7aa3 db36dfff d6b0f9bb 7878d7a7 6c13",
                  "81c8000d 4d617273 d50ae4d1 f5ce5d30 4ba297e4 7d470c28 2c3ece5d bffe0a50 a2eaa5c1 110555be"
                  "8415f658 c61de047 6f1b6fad 1d1eb30c 4446839f 57ff6f6c b26ac3be 800005d4",
                  "81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61 deadbeef deadbeef"
                  "deadbeef deadbeef deadbeef 91db4afb feee5a97 8fab4393 ed2615fe 000005d4"}),
    [](const auto& info) { return info.param.profile == SrtpProfile::AeadAes128Gcm ? "Gcm128" : "Gcm256"; });

// Protect and unprotect on a copy in a buffer with room for the trailer.
using Operation = SrtpError (OpensslSrtp::*)(uint8_t*, size_t&);
std::vector<uint8_t> apply(OpensslSrtp& session, Operation operation, const std::vector<uint8_t>& input,
                           SrtpError expected = SrtpError::Ok) {
  std::vector<uint8_t> buf(input.size() + 64);
  std::copy(input.begin(), input.end(), buf.begin());
  size_t len = input.size();
  EXPECT_EQ((session.*operation)(buf.data(), len), expected);
  buf.resize(len);
  return buf;
}

TEST_P(SrtpRfc7714, SrtpProtectAndUnprotect) {
  auto sender = gcm_session(GetParam().profile, true);
  auto receiver = gcm_session(GetParam().profile, false);
  ASSERT_TRUE(sender && receiver);
  EXPECT_EQ(apply(*sender, &OpensslSrtp::protect_rtp, hex(kRtp)), hex(GetParam().srtp));
  EXPECT_EQ(apply(*receiver, &OpensslSrtp::unprotect_rtp, hex(GetParam().srtp)), hex(kRtp));
  apply(*receiver, &OpensslSrtp::unprotect_rtp, hex(GetParam().srtp), SrtpError::ReplayFail);
}

TEST_P(SrtpRfc7714, SrtcpProtectAndUnprotect) {
  auto sender = gcm_session(GetParam().profile, true);
  auto receiver = gcm_session(GetParam().profile, false);
  ASSERT_TRUE(sender && receiver);
  // The vectors use SRTCP index 0x5d4; the sender numbers its packets from 1.
  for (uint32_t index = 1; index < 0x5d4; ++index) apply(*sender, &OpensslSrtp::protect_rtcp, hex(kRtcp));
  EXPECT_EQ(apply(*sender, &OpensslSrtp::protect_rtcp, hex(kRtcp)), hex(GetParam().srtcp));
  EXPECT_EQ(apply(*receiver, &OpensslSrtp::unprotect_rtcp, hex(GetParam().srtcp)), hex(kRtcp));
  apply(*receiver, &OpensslSrtp::unprotect_rtcp, hex(GetParam().srtcp), SrtpError::ReplayFail);
}

// RFC 7714 §9.3: with E = 0 the whole packet is authenticated and nothing is encrypted. The server
// never sends that, but accepts it as libsrtp does.
TEST_P(SrtpRfc7714, UnencryptedSrtcpIsAuthenticated) {
  auto receiver = gcm_session(GetParam().profile, false);
  ASSERT_TRUE(receiver);
  std::vector<uint8_t> forged = hex(GetParam().srtcp_unencrypted);
  forged[20] ^= 0x01;
  apply(*receiver, &OpensslSrtp::unprotect_rtcp, forged, SrtpError::AuthFail);
  EXPECT_EQ(apply(*receiver, &OpensslSrtp::unprotect_rtcp, hex(GetParam().srtcp_unencrypted)), hex(kRtcp));
}

}  // namespace
}  // namespace sfu::rtp
