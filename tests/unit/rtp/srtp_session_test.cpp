#include "rtp/srtp_session.h"

#include <gtest/gtest.h>

#include <array>
#include <cstring>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "rtp/srtp_profile.h"
#include "tests/unit/rtp/srtp_test_support.h"

namespace sfu::rtp {
namespace {

using Direction = SrtpSession::Direction;
using test::key_for;
using test::Packet;

constexpr SrtpBackend kBackends[] = {SrtpBackend::OpenSsl, SrtpBackend::Libsrtp2};

// libSRTP's reference vectors (test/srtp_driver.c, srtp_validate and srtp_validate_gcm):
// an RTP packet with SSRC 0xcafebabe, seq 0x1234, 16 bytes of 0xab payload, and an RTCP
// sender-report header with the same SSRC, protected with the default policies.
constexpr std::array<uint8_t, 30> kAesCmKeySalt = {
    0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f, 0xa3, 0x2c, 0x06, 0xde, 0x41,
    0x39, 0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6};

constexpr std::array<uint8_t, 28> kGcmKeySalt = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
                                                 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0xa0, 0xa1, 0xa2, 0xa3,
                                                 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab};

constexpr std::array<uint8_t, 28> kRtpPlaintext = {0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe,
                                                   0xba, 0xbe, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
                                                   0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab};

constexpr std::array<uint8_t, 24> kRtcpPlaintext = {0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe,
                                                    0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab,
                                                    0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab, 0xab};

constexpr std::array<uint8_t, 38> kAesCmSrtp = {0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe,
                                                0xba, 0xbe, 0x4e, 0x55, 0xdc, 0x4c, 0xe7, 0x99, 0x78, 0xd8,
                                                0x8c, 0xa4, 0xd2, 0x15, 0x94, 0x9d, 0x24, 0x02, 0xb7, 0x8d,
                                                0x6a, 0xcc, 0x99, 0xea, 0x17, 0x9b, 0x8d, 0xbb};

constexpr std::array<uint8_t, 38> kAesCmSrtcp = {0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0x71, 0x28,
                                                 0x03, 0x5b, 0xe4, 0x87, 0xb9, 0xbd, 0xbe, 0xf8, 0x90, 0x41,
                                                 0xf9, 0x77, 0xa5, 0xa8, 0x80, 0x00, 0x00, 0x01, 0x99, 0x3e,
                                                 0x08, 0xcd, 0x54, 0xd6, 0xc1, 0x23, 0x07, 0x98};

constexpr std::array<uint8_t, 44> kGcmSrtp = {
    0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe, 0xc5, 0x00, 0x2e,
    0xde, 0x04, 0xcf, 0xdd, 0x2e, 0xb9, 0x11, 0x59, 0xe0, 0x88, 0x0a, 0xa0, 0x6e, 0xd2, 0x97,
    0x68, 0x26, 0xf7, 0x96, 0xb2, 0x01, 0xdf, 0x31, 0x31, 0xa1, 0x27, 0xe8, 0xa3, 0x92};

constexpr std::array<uint8_t, 44> kGcmSrtcp = {
    0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0xc9, 0x8b, 0x8b, 0x5d, 0xf0, 0x39, 0x2a,
    0x55, 0x85, 0x2b, 0x6c, 0x21, 0xac, 0x8e, 0x70, 0x25, 0xc5, 0x2c, 0x6f, 0xbe, 0xa2, 0xb3,
    0xb4, 0x46, 0xea, 0x31, 0x12, 0x3b, 0xa8, 0x8c, 0xe6, 0x1e, 0x80, 0x00, 0x00, 0x01};

std::vector<uint8_t> to_vec(ByteSpan bytes) { return std::vector<uint8_t>(bytes.begin(), bytes.end()); }

// An RTP packet with two CSRCs and a one-byte header extension, so the header is not
// the minimal one the reference vectors use.
Packet make_rtp(uint16_t seq, uint32_t ssrc = 0x11223344, size_t payload_size = 200) {
  Packet p;
  uint8_t* b = p.buf.data();
  b[0] = 0x80 | 0x10 | 0x02;  // V=2, X=1, CC=2
  b[1] = 96;
  store_be16(b + 2, seq);
  store_be32(b + 4, 90000u * seq);
  store_be32(b + 8, ssrc);
  store_be32(b + 12, 0xaaaa0001);
  store_be32(b + 16, 0xaaaa0002);
  store_be16(b + 20, 0xbede);
  store_be16(b + 22, 1);
  b[24] = 0x10;  // id 1, length 1
  b[25] = 0x42;
  b[26] = 0;
  b[27] = 0;
  size_t off = 28;
  for (size_t i = 0; i < payload_size; ++i) b[off + i] = static_cast<uint8_t>(i * 7 + seq);
  p.len = off + payload_size;
  return p;
}

// A receiver report with one report block.
Packet make_rtcp(uint32_t ssrc = 0x11223344) {
  Packet p;
  uint8_t* b = p.buf.data();
  b[0] = 0x81;
  b[1] = 201;
  store_be16(b + 2, 7);
  store_be32(b + 4, ssrc);
  store_be32(b + 8, 0x55667788);
  for (size_t i = 12; i < 32; ++i) b[i] = static_cast<uint8_t>(i);
  p.len = 32;
  return p;
}

std::unique_ptr<SrtpSession> make_session(SrtpBackend backend, SrtpProfile profile, ByteSpan key,
                                          Direction dir) {
  return test::make_session(backend, profile, key, dir);
}

// Every test on both backends and every profile.
class SrtpSessionProfileTest : public ::testing::TestWithParam<std::tuple<SrtpBackend, SrtpProfile>> {
 protected:
  SrtpBackend backend() const { return std::get<0>(GetParam()); }
  SrtpProfile profile() const { return std::get<1>(GetParam()); }
  std::vector<uint8_t> key = key_for(profile(), 1);
  std::unique_ptr<SrtpSession> sender = make_session(backend(), profile(), key, Direction::Outbound);
  std::unique_ptr<SrtpSession> receiver = make_session(backend(), profile(), key, Direction::Inbound);
};

INSTANTIATE_TEST_SUITE_P(Profiles, SrtpSessionProfileTest,
                         ::testing::Combine(::testing::ValuesIn(kBackends),
                                            ::testing::ValuesIn(kAllSrtpProfiles)),
                         [](const auto& info) {
                           return test::backend_label(std::get<0>(info.param)) + "_" +
                                  test::profile_label(std::get<1>(info.param));
                         });

TEST(SrtpProfileTest, LengthsAndNames) {
  EXPECT_EQ(srtp_key_length(SrtpProfile::AesCm128HmacSha1_80), 16u);
  EXPECT_EQ(srtp_salt_length(SrtpProfile::AesCm128HmacSha1_80), 14u);
  EXPECT_EQ(srtp_key_salt_length(SrtpProfile::AesCm128HmacSha1_80), 30u);
  EXPECT_EQ(srtp_key_salt_length(SrtpProfile::AesCm128HmacSha1_32), 30u);
  EXPECT_EQ(srtp_key_length(SrtpProfile::AeadAes128Gcm), 16u);
  EXPECT_EQ(srtp_salt_length(SrtpProfile::AeadAes128Gcm), 12u);
  EXPECT_EQ(srtp_key_salt_length(SrtpProfile::AeadAes128Gcm), 28u);
  EXPECT_EQ(srtp_key_length(SrtpProfile::AeadAes256Gcm), 32u);
  EXPECT_EQ(srtp_key_salt_length(SrtpProfile::AeadAes256Gcm), 44u);
  EXPECT_EQ(srtp_rtp_tag_length(SrtpProfile::AesCm128HmacSha1_32), 4u);
  EXPECT_EQ(srtp_rtcp_tag_length(SrtpProfile::AesCm128HmacSha1_32), 10u);  // RFC 5764 §4.1.2
  EXPECT_EQ(srtp_rtp_tag_length(SrtpProfile::AeadAes256Gcm), 16u);
  EXPECT_STREQ(srtp_profile_openssl_name(SrtpProfile::AeadAes128Gcm), "SRTP_AEAD_AES_128_GCM");
  EXPECT_STREQ(srtp_profile_openssl_name(SrtpProfile::AesCm128HmacSha1_80), "SRTP_AES128_CM_SHA1_80");
  EXPECT_STREQ(srtp_profile_openssl_name(SrtpProfile::AeadAes256Gcm), "SRTP_AEAD_AES_256_GCM");
  EXPECT_STREQ(srtp_profile_openssl_name(SrtpProfile::AesCm128HmacSha1_32), "SRTP_AES128_CM_SHA1_32");
  for (SrtpProfile p : kAllSrtpProfiles) {
    EXPECT_EQ(srtp_profile_from_dtls_id(srtp_profile_dtls_id(p)), p);
    EXPECT_EQ(srtp_profile_from_name(srtp_profile_name(p)), p);
  }
  EXPECT_EQ(srtp_profile_from_dtls_id(0x0002), SrtpProfile::AesCm128HmacSha1_32);
  EXPECT_EQ(srtp_profile_from_dtls_id(0x0008), SrtpProfile::AeadAes256Gcm);
  EXPECT_EQ(srtp_profile_from_dtls_id(0x0005), std::nullopt);  // SRTP_NULL_HMAC_SHA1_80: no cipher, not ours
  EXPECT_EQ(srtp_profile_from_name("bogus"), std::nullopt);
}

TEST(SrtpBackendTest, NamesRoundTrip) {
  for (SrtpBackend backend : kBackends)
    EXPECT_EQ(srtp_backend_from_name(srtp_backend_name(backend)), backend);
  EXPECT_STREQ(srtp_backend_name(SrtpBackend::OpenSsl), "openssl");
  EXPECT_STREQ(srtp_backend_name(SrtpBackend::Libsrtp2), "libsrtp2");
  EXPECT_EQ(srtp_backend_from_name("nss"), std::nullopt);
}

TEST(SrtpErrorTest, NamesAreDistinct) {
  std::set<std::string> names;
  for (SrtpError e :
       {SrtpError::Ok, SrtpError::ReplayOld, SrtpError::ReplayFail, SrtpError::AuthFail,
        SrtpError::BufferTooSmall, SrtpError::BadInput, SrtpError::SsrcLimit, SrtpError::Other}) {
    names.insert(srtp_error_name(e));
  }
  EXPECT_EQ(names.size(), 8u);
  EXPECT_STREQ(srtp_error_name(SrtpError::AuthFail), "auth_fail");
}

TEST(SrtpSessionTest, RejectsWrongKeyLength) {
  std::string error;
  std::vector<uint8_t> key(29);
  EXPECT_EQ(SrtpSession::create(SrtpProfile::AesCm128HmacSha1_80, key, Direction::Inbound, &error), nullptr);
  EXPECT_NE(error.find("30"), std::string::npos) << error;
  // A 30-byte AES-CM key is too long for GCM (28).
  std::vector<uint8_t> long_key(30);
  EXPECT_EQ(SrtpSession::create(SrtpProfile::AeadAes128Gcm, long_key, Direction::Inbound), nullptr);
  EXPECT_EQ(SrtpSession::create(SrtpProfile::AeadAes128Gcm, {}, Direction::Outbound), nullptr);
  // AES-256-GCM takes a 32-byte key and a 12-byte salt; 28 bytes are refused on either backend.
  std::vector<uint8_t> gcm128_key(28);
  for (SrtpBackend backend : kBackends) {
    EXPECT_EQ(SrtpSession::create(backend, SrtpProfile::AeadAes256Gcm, gcm128_key, Direction::Inbound),
              nullptr);
    std::vector<uint8_t> gcm256_key(44);
    EXPECT_NE(SrtpSession::create(backend, SrtpProfile::AeadAes256Gcm, gcm256_key, Direction::Inbound),
              nullptr);
  }
}

TEST(SrtpSessionTest, TheDefaultBackendIsOpenSsl) {
  auto session = SrtpSession::create(SrtpProfile::AeadAes128Gcm, key_for(SrtpProfile::AeadAes128Gcm, 3),
                                     Direction::Outbound);
  ASSERT_NE(session, nullptr);
  EXPECT_EQ(session->backend(), SrtpBackend::OpenSsl);
  auto libsrtp = SrtpSession::create(SrtpBackend::Libsrtp2, SrtpProfile::AeadAes128Gcm,
                                     key_for(SrtpProfile::AeadAes128Gcm, 3), Direction::Outbound);
  ASSERT_NE(libsrtp, nullptr);
  EXPECT_EQ(libsrtp->backend(), SrtpBackend::Libsrtp2);
}

struct KnownAnswer {
  SrtpProfile profile;
  ByteSpan key;
  ByteSpan srtp;
  ByteSpan srtcp;
};

class SrtpKnownAnswerTest : public ::testing::TestWithParam<std::tuple<SrtpBackend, KnownAnswer>> {
 protected:
  SrtpBackend backend() const { return std::get<0>(GetParam()); }
  const KnownAnswer& vectors() const { return std::get<1>(GetParam()); }
};

INSTANTIATE_TEST_SUITE_P(LibsrtpVectors, SrtpKnownAnswerTest,
                         ::testing::Combine(::testing::ValuesIn(kBackends),
                                            ::testing::Values(KnownAnswer{SrtpProfile::AesCm128HmacSha1_80,
                                                                          kAesCmKeySalt, kAesCmSrtp,
                                                                          kAesCmSrtcp},
                                                              KnownAnswer{SrtpProfile::AeadAes128Gcm,
                                                                          kGcmKeySalt, kGcmSrtp, kGcmSrtcp})),
                         [](const auto& info) {
                           return test::backend_label(std::get<0>(info.param)) + "_" +
                                  test::profile_label(std::get<1>(info.param).profile);
                         });

TEST_P(SrtpKnownAnswerTest, ProtectProducesReferenceBytes) {
  const KnownAnswer& v = vectors();
  auto sender = make_session(backend(), v.profile, v.key, Direction::Outbound);
  ASSERT_NE(sender, nullptr);

  Packet rtp = Packet::of(kRtpPlaintext);
  ASSERT_EQ(sender->protect_rtp(rtp.buf.data(), rtp.len, rtp.buf.size()), SrtpError::Ok);
  EXPECT_EQ(rtp.vec(), to_vec(v.srtp));

  Packet rtcp = Packet::of(kRtcpPlaintext);
  ASSERT_EQ(sender->protect_rtcp(rtcp.buf.data(), rtcp.len, rtcp.buf.size()), SrtpError::Ok);
  EXPECT_EQ(rtcp.vec(), to_vec(v.srtcp));
}

TEST_P(SrtpKnownAnswerTest, UnprotectRecoversReferencePlaintext) {
  const KnownAnswer& v = vectors();
  auto receiver = make_session(backend(), v.profile, v.key, Direction::Inbound);
  ASSERT_NE(receiver, nullptr);

  Packet rtp = Packet::of(v.srtp);
  ASSERT_EQ(receiver->unprotect_rtp(rtp.buf.data(), rtp.len), SrtpError::Ok);
  EXPECT_EQ(rtp.vec(), to_vec(kRtpPlaintext));

  Packet rtcp = Packet::of(v.srtcp);
  ASSERT_EQ(receiver->unprotect_rtcp(rtcp.buf.data(), rtcp.len), SrtpError::Ok);
  EXPECT_EQ(rtcp.vec(), to_vec(kRtcpPlaintext));
}

TEST_P(SrtpSessionProfileTest, RtpRoundTrip) {
  ASSERT_NE(sender, nullptr);
  ASSERT_NE(receiver, nullptr);
  for (uint16_t seq = 65500; seq != 100; ++seq) {  // crosses the 16-bit wrap (ROC 0 -> 1)
    Packet original = make_rtp(seq);
    Packet p = original;
    ASSERT_EQ(sender->protect_rtp(p.buf.data(), p.len, p.buf.size()), SrtpError::Ok);
    ASSERT_EQ(p.len, original.len + srtp_rtp_tag_length(profile()));
    // The header stays in the clear, the payload does not.
    EXPECT_TRUE(std::equal(p.buf.begin(), p.buf.begin() + 28, original.buf.begin()));
    EXPECT_FALSE(std::equal(p.buf.begin() + 28, p.buf.begin() + original.len, original.buf.begin() + 28));
    ASSERT_EQ(receiver->unprotect_rtp(p.buf.data(), p.len), SrtpError::Ok) << seq;
    ASSERT_EQ(p.vec(), original.vec()) << seq;
  }
}

TEST_P(SrtpSessionProfileTest, RtcpRoundTrip) {
  ASSERT_NE(sender, nullptr);
  ASSERT_NE(receiver, nullptr);
  for (int i = 0; i < 20; ++i) {
    Packet original = make_rtcp(0x11223344 + static_cast<uint32_t>(i % 3));
    Packet p = original;
    ASSERT_EQ(sender->protect_rtcp(p.buf.data(), p.len, p.buf.size()), SrtpError::Ok);
    ASSERT_EQ(p.len, original.len + 4 + srtp_rtcp_tag_length(profile()));
    ASSERT_EQ(receiver->unprotect_rtcp(p.buf.data(), p.len), SrtpError::Ok);
    ASSERT_EQ(p.vec(), original.vec());
  }
}

TEST_P(SrtpSessionProfileTest, ManySsrcsShareOneSession) {
  for (uint32_t ssrc = 1; ssrc <= 8; ++ssrc) {
    Packet original = make_rtp(10, ssrc);
    Packet p = original;
    ASSERT_EQ(sender->protect_rtp(p.buf.data(), p.len, p.buf.size()), SrtpError::Ok);
    ASSERT_EQ(receiver->unprotect_rtp(p.buf.data(), p.len), SrtpError::Ok);
    EXPECT_EQ(p.vec(), original.vec());
  }
}

TEST_P(SrtpSessionProfileTest, TamperedRtpByteFailsAuthentication) {
  Packet protected_packet = make_rtp(1000);
  ASSERT_EQ(
      sender->protect_rtp(protected_packet.buf.data(), protected_packet.len, protected_packet.buf.size()),
      SrtpError::Ok);
  // Every byte, header, payload or tag, is covered by the authentication. Bytes that
  // shape the header (V/P/X/CC in byte 0, the extension length in 22..23) may instead
  // make the packet malformed, which is rejected just the same.
  for (size_t i = 0; i < protected_packet.len; ++i) {
    Packet p = protected_packet;
    p.buf[i] ^= 0x01;
    size_t len_before = p.len;
    SrtpError result = receiver->unprotect_rtp(p.buf.data(), p.len);
    if (i == 0 || i == 22 || i == 23) {
      EXPECT_TRUE(result == SrtpError::AuthFail || result == SrtpError::BadInput) << i;
    } else {
      EXPECT_EQ(result, SrtpError::AuthFail) << i;
    }
    EXPECT_EQ(p.len, len_before);
  }
  // The untouched packet still authenticates afterwards.
  Packet p = protected_packet;
  EXPECT_EQ(receiver->unprotect_rtp(p.buf.data(), p.len), SrtpError::Ok);
}

TEST_P(SrtpSessionProfileTest, TamperedRtcpByteFailsAuthentication) {
  Packet protected_packet = make_rtcp();
  ASSERT_EQ(
      sender->protect_rtcp(protected_packet.buf.data(), protected_packet.len, protected_packet.buf.size()),
      SrtpError::Ok);
  for (size_t i = 1; i < protected_packet.len; ++i) {
    Packet p = protected_packet;
    p.buf[i] ^= 0x80;
    SrtpError result = receiver->unprotect_rtcp(p.buf.data(), p.len);
    EXPECT_EQ(result, SrtpError::AuthFail) << i;
  }
}

TEST_P(SrtpSessionProfileTest, ReplayedRtpIsRejected) {
  Packet p = make_rtp(500);
  ASSERT_EQ(sender->protect_rtp(p.buf.data(), p.len, p.buf.size()), SrtpError::Ok);
  Packet copy = p;
  ASSERT_EQ(receiver->unprotect_rtp(p.buf.data(), p.len), SrtpError::Ok);
  EXPECT_EQ(receiver->unprotect_rtp(copy.buf.data(), copy.len), SrtpError::ReplayFail);
}

TEST_P(SrtpSessionProfileTest, RtpOlderThanReplayWindowIsRejected) {
  Packet old_packet = make_rtp(1);
  ASSERT_EQ(sender->protect_rtp(old_packet.buf.data(), old_packet.len, old_packet.buf.size()), SrtpError::Ok);
  Packet new_packet = make_rtp(static_cast<uint16_t>(1 + SrtpSession::kReplayWindow + 100));
  ASSERT_EQ(sender->protect_rtp(new_packet.buf.data(), new_packet.len, new_packet.buf.size()), SrtpError::Ok);
  ASSERT_EQ(receiver->unprotect_rtp(new_packet.buf.data(), new_packet.len), SrtpError::Ok);
  EXPECT_EQ(receiver->unprotect_rtp(old_packet.buf.data(), old_packet.len), SrtpError::ReplayOld);
}

TEST_P(SrtpSessionProfileTest, ReorderingWithinWindowIsAccepted) {
  std::vector<Packet> packets;
  for (uint16_t seq = 0; seq < 50; ++seq) {
    Packet p = make_rtp(seq);
    ASSERT_EQ(sender->protect_rtp(p.buf.data(), p.len, p.buf.size()), SrtpError::Ok);
    packets.push_back(p);
  }
  for (size_t i = packets.size(); i-- > 0;) {
    EXPECT_EQ(receiver->unprotect_rtp(packets[i].buf.data(), packets[i].len), SrtpError::Ok) << i;
  }
}

TEST_P(SrtpSessionProfileTest, ReplayedRtcpIsRejected) {
  Packet p = make_rtcp();
  ASSERT_EQ(sender->protect_rtcp(p.buf.data(), p.len, p.buf.size()), SrtpError::Ok);
  Packet copy = p;
  ASSERT_EQ(receiver->unprotect_rtcp(p.buf.data(), p.len), SrtpError::Ok);
  SrtpError second = receiver->unprotect_rtcp(copy.buf.data(), copy.len);
  EXPECT_TRUE(second == SrtpError::ReplayFail || second == SrtpError::ReplayOld) << srtp_error_name(second);
}

TEST_P(SrtpSessionProfileTest, WrongKeyFailsAuthentication) {
  auto other_receiver = make_session(backend(), profile(), key_for(profile(), 99), Direction::Inbound);
  ASSERT_NE(other_receiver, nullptr);
  Packet p = make_rtp(7);
  ASSERT_EQ(sender->protect_rtp(p.buf.data(), p.len, p.buf.size()), SrtpError::Ok);
  Packet copy = p;
  EXPECT_EQ(other_receiver->unprotect_rtp(p.buf.data(), p.len), SrtpError::AuthFail);

  Packet rtcp = make_rtcp();
  ASSERT_EQ(sender->protect_rtcp(rtcp.buf.data(), rtcp.len, rtcp.buf.size()), SrtpError::Ok);
  EXPECT_EQ(other_receiver->unprotect_rtcp(rtcp.buf.data(), rtcp.len), SrtpError::AuthFail);
  // The right key still works on the same bytes.
  EXPECT_EQ(receiver->unprotect_rtp(copy.buf.data(), copy.len), SrtpError::Ok);
}

TEST_P(SrtpSessionProfileTest, OutboundMayProtectTheSameSequenceTwice) {
  Packet first = make_rtp(42);
  Packet retransmission = first;
  ASSERT_EQ(sender->protect_rtp(first.buf.data(), first.len, first.buf.size()), SrtpError::Ok);
  for (uint16_t seq = 43; seq < 60; ++seq) {  // newer packets go out in between
    Packet p = make_rtp(seq);
    ASSERT_EQ(sender->protect_rtp(p.buf.data(), p.len, p.buf.size()), SrtpError::Ok);
  }
  ASSERT_EQ(sender->protect_rtp(retransmission.buf.data(), retransmission.len, retransmission.buf.size()),
            SrtpError::Ok);
  EXPECT_EQ(retransmission.vec(), first.vec());
  // A receiver that lost the original accepts the retransmission.
  Packet original = make_rtp(42);
  ASSERT_EQ(receiver->unprotect_rtp(retransmission.buf.data(), retransmission.len), SrtpError::Ok);
  EXPECT_EQ(retransmission.vec(), original.vec());
}

TEST_P(SrtpSessionProfileTest, OutboundRetransmissionOlderThanWindowIsRefused) {
  Packet old_packet = make_rtp(1);
  Packet retransmission = old_packet;
  ASSERT_EQ(sender->protect_rtp(old_packet.buf.data(), old_packet.len, old_packet.buf.size()), SrtpError::Ok);
  Packet newer = make_rtp(static_cast<uint16_t>(1 + SrtpSession::kReplayWindow + 10));
  ASSERT_EQ(sender->protect_rtp(newer.buf.data(), newer.len, newer.buf.size()), SrtpError::Ok);
  EXPECT_EQ(sender->protect_rtp(retransmission.buf.data(), retransmission.len, retransmission.buf.size()),
            SrtpError::ReplayOld);
}

TEST_P(SrtpSessionProfileTest, CapacityIsChecked) {
  Packet p = make_rtp(3);
  Packet original = p;
  size_t len = p.len;
  EXPECT_EQ(sender->protect_rtp(p.buf.data(), len, len + SrtpSession::kMaxRtpTrailer - 1),
            SrtpError::BufferTooSmall);
  EXPECT_EQ(len, p.len);
  EXPECT_EQ(p.vec(), original.vec());
  EXPECT_EQ(sender->protect_rtp(p.buf.data(), len, len + SrtpSession::kMaxRtpTrailer), SrtpError::Ok);

  Packet r = make_rtcp();
  len = r.len;
  EXPECT_EQ(sender->protect_rtcp(r.buf.data(), len, len + SrtpSession::kMaxRtcpTrailer - 1),
            SrtpError::BufferTooSmall);
  EXPECT_EQ(sender->protect_rtcp(r.buf.data(), len, len + SrtpSession::kMaxRtcpTrailer), SrtpError::Ok);
}

TEST_P(SrtpSessionProfileTest, WrongDirectionIsBadInput) {
  Packet p = make_rtp(3);
  EXPECT_EQ(receiver->protect_rtp(p.buf.data(), p.len, p.buf.size()), SrtpError::BadInput);
  EXPECT_EQ(receiver->protect_rtcp(p.buf.data(), p.len, p.buf.size()), SrtpError::BadInput);
  EXPECT_EQ(sender->unprotect_rtp(p.buf.data(), p.len), SrtpError::BadInput);
  EXPECT_EQ(sender->unprotect_rtcp(p.buf.data(), p.len), SrtpError::BadInput);
  EXPECT_EQ(p.vec(), make_rtp(3).vec());
}

TEST_P(SrtpSessionProfileTest, MalformedPlaintextIsBadInput) {
  Packet p = make_rtp(3);
  for (size_t len = 0; len < 12; ++len) {
    size_t l = len;
    EXPECT_EQ(sender->protect_rtp(p.buf.data(), l, p.buf.size()), SrtpError::BadInput) << len;
  }
  for (size_t len = 0; len < 8; ++len) {
    size_t l = len;
    EXPECT_EQ(sender->protect_rtcp(p.buf.data(), l, p.buf.size()), SrtpError::BadInput) << len;
  }
  Packet v1 = make_rtp(4);
  v1.buf[0] = 0x40;  // version 1
  EXPECT_EQ(sender->protect_rtp(v1.buf.data(), v1.len, v1.buf.size()), SrtpError::BadInput);
  // CSRC count and extension length claiming more bytes than the packet has.
  Packet lying = make_rtp(5, 0x11223344, 0);
  lying.len = 24;  // cuts into the extension
  EXPECT_EQ(sender->protect_rtp(lying.buf.data(), lying.len, lying.buf.size()), SrtpError::BadInput);
  EXPECT_EQ(sender->protect_rtp(nullptr, lying.len, 2000), SrtpError::BadInput);
}

TEST_P(SrtpSessionProfileTest, EveryTruncationOfSrtpIsRejected) {
  Packet protected_packet = make_rtp(9);
  ASSERT_EQ(
      sender->protect_rtp(protected_packet.buf.data(), protected_packet.len, protected_packet.buf.size()),
      SrtpError::Ok);
  for (size_t len = 0; len < protected_packet.len; ++len) {
    // Exactly len bytes on the heap so ASan catches any read past them.
    std::vector<uint8_t> truncated(protected_packet.buf.begin(), protected_packet.buf.begin() + len);
    size_t l = len;
    SrtpError result = receiver->unprotect_rtp(truncated.data(), l);
    EXPECT_TRUE(result == SrtpError::AuthFail || result == SrtpError::BadInput)
        << len << " " << srtp_error_name(result);
    EXPECT_EQ(l, len);
  }
  Packet p = protected_packet;
  EXPECT_EQ(receiver->unprotect_rtp(p.buf.data(), p.len), SrtpError::Ok);
}

TEST_P(SrtpSessionProfileTest, EveryTruncationOfSrtcpIsRejected) {
  Packet protected_packet = make_rtcp();
  ASSERT_EQ(
      sender->protect_rtcp(protected_packet.buf.data(), protected_packet.len, protected_packet.buf.size()),
      SrtpError::Ok);
  for (size_t len = 0; len < protected_packet.len; ++len) {
    std::vector<uint8_t> truncated(protected_packet.buf.begin(), protected_packet.buf.begin() + len);
    size_t l = len;
    SrtpError result = receiver->unprotect_rtcp(truncated.data(), l);
    EXPECT_TRUE(result == SrtpError::AuthFail || result == SrtpError::BadInput)
        << len << " " << srtp_error_name(result);
  }
}

TEST_P(SrtpSessionProfileTest, GarbageIsRejected) {
  std::vector<uint8_t> garbage(300);
  uint32_t x = 12345;
  for (int round = 0; round < 50; ++round) {
    for (auto& b : garbage) {
      x = x * 1103515245 + 12345;
      b = static_cast<uint8_t>(x >> 16);
    }
    garbage[0] = static_cast<uint8_t>(0x80 | (garbage[0] & 0x3f));
    std::vector<uint8_t> copy = garbage;
    size_t len = copy.size();
    EXPECT_NE(receiver->unprotect_rtp(copy.data(), len), SrtpError::Ok);
    copy = garbage;
    len = copy.size();
    EXPECT_NE(receiver->unprotect_rtcp(copy.data(), len), SrtpError::Ok);
  }
}

TEST_P(SrtpSessionProfileTest, MoveTransfersOwnership) {
  SrtpSession moved(std::move(*sender));
  Packet p = make_rtp(1);
  EXPECT_EQ(sender->protect_rtp(p.buf.data(), p.len, p.buf.size()), SrtpError::BadInput);
  ASSERT_EQ(moved.protect_rtp(p.buf.data(), p.len, p.buf.size()), SrtpError::Ok);
  EXPECT_EQ(moved.profile(), profile());
  EXPECT_EQ(moved.direction(), Direction::Outbound);

  SrtpSession assigned = std::move(*receiver);
  ASSERT_EQ(assigned.unprotect_rtp(p.buf.data(), p.len), SrtpError::Ok);
  EXPECT_EQ(p.vec(), make_rtp(1).vec());
}

// Inbound sessions take any SSRC the peer authenticates (ssrc_any_inbound), and libsrtp keeps
// a stream with its own replay window for each: the limit bounds how many, before libsrtp sees
// the packet of one more.
TEST_P(SrtpSessionProfileTest, InboundStreamsAreLimitedAndFurtherSsrcsRefusedBeforeLibsrtp) {
  receiver->set_stream_limit(3);
  auto deliver_rtp = [&](uint32_t ssrc, uint16_t seq) {
    Packet p = make_rtp(seq, ssrc);
    EXPECT_EQ(sender->protect_rtp(p.buf.data(), p.len, p.buf.size()), SrtpError::Ok);
    return receiver->unprotect_rtp(p.buf.data(), p.len);
  };
  auto deliver_rtcp = [&](uint32_t ssrc) {
    Packet p = make_rtcp(ssrc);
    EXPECT_EQ(sender->protect_rtcp(p.buf.data(), p.len, p.buf.size()), SrtpError::Ok);
    return receiver->unprotect_rtcp(p.buf.data(), p.len);
  };
  // A forged packet on a new SSRC authenticates nothing and takes no place.
  Packet forged = make_rtp(1, 0x99);
  ASSERT_EQ(sender->protect_rtp(forged.buf.data(), forged.len, forged.buf.size()), SrtpError::Ok);
  forged.buf[forged.len - 1] ^= 0x01;
  EXPECT_EQ(receiver->unprotect_rtp(forged.buf.data(), forged.len), SrtpError::AuthFail);

  EXPECT_EQ(deliver_rtp(1, 10), SrtpError::Ok);
  EXPECT_EQ(deliver_rtp(2, 10), SrtpError::Ok);
  EXPECT_EQ(deliver_rtcp(3), SrtpError::Ok) << "RTCP's sender SSRC takes a place like RTP's";
  EXPECT_EQ(receiver->stream_count(), 3u);
  EXPECT_EQ(deliver_rtp(4, 10), SrtpError::SsrcLimit);
  EXPECT_EQ(deliver_rtcp(5), SrtpError::SsrcLimit);
  EXPECT_EQ(receiver->stream_count(), 3u);
  // Known streams go on, on RTP and RTCP alike.
  EXPECT_EQ(deliver_rtp(1, 11), SrtpError::Ok);
  EXPECT_EQ(deliver_rtcp(2), SrtpError::Ok);
  EXPECT_EQ(deliver_rtp(3, 10), SrtpError::Ok);

  // A stream the user is done with frees its place (libsrtp's state with it).
  receiver->forget_stream(2);
  EXPECT_EQ(receiver->stream_count(), 2u);
  EXPECT_EQ(deliver_rtp(4, 11), SrtpError::Ok);
  EXPECT_EQ(deliver_rtp(5, 10), SrtpError::SsrcLimit);
}

TEST_P(SrtpSessionProfileTest, WithoutALimitEveryAuthenticatedSsrcIsTaken) {
  for (uint32_t ssrc = 1; ssrc <= 100; ++ssrc) {
    Packet p = make_rtp(1, ssrc);
    ASSERT_EQ(sender->protect_rtp(p.buf.data(), p.len, p.buf.size()), SrtpError::Ok);
    ASSERT_EQ(receiver->unprotect_rtp(p.buf.data(), p.len), SrtpError::Ok) << ssrc;
  }
}

TEST(SrtpSessionTest, CreatesConcurrentlyFromManyThreads) {
  for (SrtpBackend backend : kBackends) {
    std::vector<std::thread> threads;
    std::array<bool, 8> ok{};
    for (size_t i = 0; i < ok.size(); ++i) {
      threads.emplace_back([&ok, i, backend] {
        auto key = key_for(SrtpProfile::AesCm128HmacSha1_80, static_cast<uint8_t>(i));
        auto out = SrtpSession::create(backend, SrtpProfile::AesCm128HmacSha1_80, key, Direction::Outbound);
        auto in = SrtpSession::create(backend, SrtpProfile::AesCm128HmacSha1_80, key, Direction::Inbound);
        if (!out || !in) return;
        Packet p = make_rtp(static_cast<uint16_t>(i));
        ok[i] = out->protect_rtp(p.buf.data(), p.len, p.buf.size()) == SrtpError::Ok &&
                in->unprotect_rtp(p.buf.data(), p.len) == SrtpError::Ok &&
                p.vec() == make_rtp(static_cast<uint16_t>(i)).vec();
      });
    }
    for (auto& t : threads) t.join();
    for (size_t i = 0; i < ok.size(); ++i) EXPECT_TRUE(ok[i]) << srtp_backend_name(backend) << " " << i;
  }
}

}  // namespace
}  // namespace sfu::rtp
