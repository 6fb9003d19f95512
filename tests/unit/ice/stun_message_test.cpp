#include "ice/stun_message.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cctype>
#include <string>
#include <vector>

namespace sfu::ice {
namespace {

std::vector<uint8_t> from_hex(std::string_view hex) {
  std::vector<uint8_t> out;
  int high = -1;
  for (char c : hex) {
    if (!std::isxdigit(static_cast<unsigned char>(c))) continue;
    const int nibble = std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : std::tolower(c) - 'a' + 10;
    if (high < 0) {
      high = nibble;
    } else {
      out.push_back(static_cast<uint8_t>(high << 4 | nibble));
      high = -1;
    }
  }
  return out;
}

// RFC 5769 §2.1: sample request, short-term credentials, padded with spaces.
const std::vector<uint8_t> kSampleRequest = from_hex(
    "00 01 00 58 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"
    "80 22 00 10 53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74"
    "00 24 00 04 6e 00 01 ff"
    "80 29 00 08 93 2f f9 b1 51 26 3b 36"
    "00 06 00 09 65 76 74 6a 3a 68 36 76 59 20 20 20"
    "00 08 00 14 9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2"
    "80 28 00 04 e5 7a 3b cf");
constexpr std::string_view kSamplePassword = "VOkJxbRl1RmTxUk/WvJxBt";

// RFC 5769 §2.2: sample IPv4 response.
const std::vector<uint8_t> kIpv4Response = from_hex(
    "01 01 00 3c 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"
    "80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20"
    "00 20 00 08 00 01 a1 47 e1 12 a6 43"
    "00 08 00 14 2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7"
    "80 28 00 04 c0 7d 4c 96");

// RFC 5769 §2.3: sample IPv6 response.
const std::vector<uint8_t> kIpv6Response = from_hex(
    "01 01 00 48 21 12 a4 42 b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"
    "80 22 00 0b 74 65 73 74 20 76 65 63 74 6f 72 20"
    "00 20 00 14 00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9"
    "00 08 00 14 a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41"
    "80 28 00 04 c8 fb 0b 4c");

// RFC 5769 §2.4: sample request with long-term authentication (no FINGERPRINT).
const std::vector<uint8_t> kLongTermRequest = from_hex(
    "00 01 00 60 21 12 a4 42 78 ad 34 33 c6 ad 72 c0 29 da 41 2e"
    "00 06 00 12 e3 83 9e e3 83 88 e3 83 aa e3 83 83 e3 82 af e3 82 b9 00 00"
    "00 15 00 1c 66 2f 2f 34 39 39 6b 39 35 34 64 36 4f 4c 33 34 6f 4c 39 46 53 54 76 79 36 34 73 41"
    "00 14 00 0b 65 78 61 6d 70 6c 65 2e 6f 72 67 00"
    "00 08 00 14 f6 70 24 65 6d d6 4a 3e 02 b8 e0 71 2e 85 c9 a2 8c a8 96 66");

const StunTransactionId kSampleTid = {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};

SocketAddress addr(const char* ip, uint16_t port) { return *SocketAddress::from_ip(ip, port); }

std::string md5_key(std::string_view input) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EXPECT_EQ(EVP_Digest(input.data(), input.size(), digest, &length, EVP_md5(), nullptr), 1);
  return std::string(reinterpret_cast<const char*>(digest), length);
}

// Attribute boundaries of a message: the cut points at which a shortened message is still whole.
std::vector<size_t> attribute_boundaries(const std::vector<uint8_t>& msg) {
  std::vector<size_t> cuts = {kStunHeaderSize};
  size_t offset = kStunHeaderSize;
  while (offset < msg.size()) {
    offset += 4 + ((load_be16(msg.data() + offset + 2) + 3u) & ~3u);
    cuts.push_back(offset);
  }
  return cuts;
}

// ------------------------------------------------------------------------------------------------
// RFC 5769 vectors: parse and verify

TEST(StunVectors, SampleRequestParsesAndVerifies) {
  ASSERT_TRUE(looks_like_stun(kSampleRequest));
  const auto r = parse_stun(kSampleRequest);
  ASSERT_TRUE(r.ok()) << to_string(r.error);
  const StunMessage& m = r.message;
  EXPECT_EQ(m.method, kStunBindingMethod);
  EXPECT_EQ(m.message_class, StunClass::Request);
  EXPECT_TRUE(m.is_binding_request());
  EXPECT_EQ(m.transaction_id, kSampleTid);
  EXPECT_EQ(m.software, "STUN test client");
  EXPECT_EQ(m.username, "evtj:h6vY");
  EXPECT_EQ(m.priority, 0x6e0001ffu);
  EXPECT_EQ(m.ice_controlled, 0x932ff9b151263b36ull);
  EXPECT_FALSE(m.ice_controlling.has_value());
  EXPECT_FALSE(m.use_candidate);
  EXPECT_EQ(m.message_integrity_offset, 76u);
  EXPECT_EQ(m.fingerprint_offset, 100u);
  EXPECT_EQ(m.fingerprint, 0xe57a3bcfu);
  EXPECT_FALSE(m.has_unknown_required());
  EXPECT_TRUE(verify_message_integrity(kSampleRequest, m, kSamplePassword));
  EXPECT_FALSE(verify_message_integrity(kSampleRequest, m, "VOkJxbRl1RmTxUk/WvJxBu"));
  EXPECT_FALSE(verify_message_integrity(kSampleRequest, m, ""));
  EXPECT_TRUE(verify_fingerprint(kSampleRequest, m));
}

TEST(StunVectors, Ipv4ResponseParsesAndVerifies) {
  const auto r = parse_stun(kIpv4Response);
  ASSERT_TRUE(r.ok()) << to_string(r.error);
  EXPECT_EQ(r.message.message_class, StunClass::SuccessResponse);
  EXPECT_EQ(r.message.method, kStunBindingMethod);
  EXPECT_EQ(r.message.software, "test vector");
  ASSERT_TRUE(r.message.xor_mapped_address.has_value());
  EXPECT_EQ(*r.message.xor_mapped_address, addr("192.0.2.1", 32853));
  EXPECT_TRUE(verify_message_integrity(kIpv4Response, r.message, kSamplePassword));
  EXPECT_TRUE(verify_fingerprint(kIpv4Response, r.message));
}

TEST(StunVectors, Ipv6ResponseParsesAndVerifies) {
  const auto r = parse_stun(kIpv6Response);
  ASSERT_TRUE(r.ok()) << to_string(r.error);
  ASSERT_TRUE(r.message.xor_mapped_address.has_value());
  EXPECT_EQ(*r.message.xor_mapped_address, addr("2001:db8:1234:5678:11:2233:4455:6677", 32853));
  EXPECT_TRUE(verify_message_integrity(kIpv6Response, r.message, kSamplePassword));
  EXPECT_TRUE(verify_fingerprint(kIpv6Response, r.message));
}

TEST(StunVectors, LongTermRequestVerifiesWithMd5Key) {
  const auto r = parse_stun(kLongTermRequest);
  ASSERT_TRUE(r.ok()) << to_string(r.error);
  const std::string username = "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9";
  EXPECT_EQ(r.message.username, username);
  EXPECT_EQ(r.message.realm, "example.org");
  EXPECT_EQ(r.message.nonce, "f//499k954d6OL34oL9FSTvy64sA");
  EXPECT_FALSE(r.message.has_fingerprint());
  EXPECT_FALSE(verify_fingerprint(kLongTermRequest, r.message));
  // key = MD5(username ":" realm ":" SASLprep(password)); the vector's password prepares to "TheMatrIX".
  const std::string key = md5_key(username + ":example.org:TheMatrIX");
  EXPECT_TRUE(verify_message_integrity(kLongTermRequest, r.message, key));
  EXPECT_FALSE(verify_message_integrity(kLongTermRequest, r.message, md5_key(username + ":example.org:x")));
}

// ------------------------------------------------------------------------------------------------
// RFC 5769 vectors: build and compare bytes

TEST(StunVectors, BuildsSampleRequestByteForByte) {
  std::vector<uint8_t> buf(kSampleRequest.size());
  StunBuilder b(buf);
  b.set_padding_byte(0x20);
  b.start(kStunBindingMethod, StunClass::Request, kSampleTid);
  b.add_software("STUN test client");
  b.add_priority(0x6e0001ff);
  b.add_ice_controlled(0x932ff9b151263b36ull);
  b.add_username("evtj:h6vY");
  b.add_message_integrity(kSamplePassword);
  b.add_fingerprint();
  ASSERT_EQ(b.finish(), kSampleRequest.size());
  EXPECT_EQ(buf, kSampleRequest);
}

// The RFC 5769 sample responses (2.2 IPv4, 2.3 IPv6) differ only in the mapped address.
void expect_builds_sample_response(const SocketAddress& mapped, const std::vector<uint8_t>& expected) {
  std::vector<uint8_t> buf(expected.size());
  StunBuilder b(buf);
  b.set_padding_byte(0x20);
  b.start(kStunBindingMethod, StunClass::SuccessResponse, kSampleTid);
  b.add_software("test vector");
  b.add_xor_mapped_address(mapped);
  b.add_message_integrity(kSamplePassword);
  b.add_fingerprint();
  ASSERT_EQ(b.finish(), expected.size());
  EXPECT_EQ(buf, expected);
}

TEST(StunVectors, BuildsIpv4ResponseByteForByte) {
  expect_builds_sample_response(addr("192.0.2.1", 32853), kIpv4Response);
}

TEST(StunVectors, BuildsIpv6ResponseByteForByte) {
  expect_builds_sample_response(addr("2001:db8:1234:5678:11:2233:4455:6677", 32853), kIpv6Response);
}

TEST(StunVectors, BuildsLongTermRequestByteForByte) {
  const std::string username = "\xe3\x83\x9e\xe3\x83\x88\xe3\x83\xaa\xe3\x83\x83\xe3\x82\xaf\xe3\x82\xb9";
  const StunTransactionId tid = {0x78, 0xad, 0x34, 0x33, 0xc6, 0xad, 0x72, 0xc0, 0x29, 0xda, 0x41, 0x2e};
  const std::string nonce = "f//499k954d6OL34oL9FSTvy64sA";
  const std::string realm = "example.org";
  std::vector<uint8_t> buf(kLongTermRequest.size());
  StunBuilder b(buf);
  b.start(kStunBindingMethod, StunClass::Request, tid);
  b.add_username(username);
  b.add_attribute(stun_attr::kNonce, ByteSpan(reinterpret_cast<const uint8_t*>(nonce.data()), nonce.size()));
  b.add_attribute(stun_attr::kRealm, ByteSpan(reinterpret_cast<const uint8_t*>(realm.data()), realm.size()));
  b.add_message_integrity(md5_key(username + ":example.org:TheMatrIX"));
  ASSERT_EQ(b.finish(), kLongTermRequest.size());
  EXPECT_EQ(buf, kLongTermRequest);
}

// ------------------------------------------------------------------------------------------------
// Truncation and malformed input

TEST(StunParse, EveryTruncationOfEveryVectorIsRejected) {
  for (const auto* vector : {&kSampleRequest, &kIpv4Response, &kIpv6Response, &kLongTermRequest}) {
    for (size_t n = 0; n < vector->size(); ++n) {
      // An exact-size heap copy, so ASan flags any read past the end.
      std::vector<uint8_t> cut(vector->begin(), vector->begin() + static_cast<std::ptrdiff_t>(n));
      const auto r = parse_stun(cut);
      EXPECT_FALSE(r.ok()) << "length " << n;
      EXPECT_EQ(r.error, n < kStunHeaderSize ? StunParseError::TooShort : StunParseError::BadLength)
          << "length " << n;
      EXPECT_FALSE(looks_like_stun(cut));
    }
  }
}

TEST(StunParse, TruncationWithFixedUpLengthFieldIsCleanlyHandled) {
  for (const auto* vector : {&kSampleRequest, &kIpv4Response, &kIpv6Response, &kLongTermRequest}) {
    const auto boundaries = attribute_boundaries(*vector);
    for (size_t n = kStunHeaderSize; n < vector->size(); n += 4) {
      std::vector<uint8_t> cut(vector->begin(), vector->begin() + static_cast<std::ptrdiff_t>(n));
      store_be16(cut.data() + 2, static_cast<uint16_t>(n - kStunHeaderSize));
      ASSERT_TRUE(looks_like_stun(cut));
      const auto r = parse_stun(cut);
      const bool whole = std::find(boundaries.begin(), boundaries.end(), n) != boundaries.end();
      if (whole) {
        ASSERT_TRUE(r.ok()) << "length " << n << ": " << to_string(r.error);
        // A shortened message never keeps a valid fingerprint.
        EXPECT_FALSE(r.message.has_fingerprint() && verify_fingerprint(cut, r.message));
      } else {
        EXPECT_EQ(r.error, StunParseError::TruncatedAttribute) << "length " << n;
      }
    }
  }
}

TEST(StunParse, RejectsNonStunHeaders) {
  auto bad_bits = kSampleRequest;
  bad_bits[0] = 0x80;  // RTP-like
  EXPECT_EQ(parse_stun(bad_bits).error, StunParseError::NotStun);
  EXPECT_FALSE(looks_like_stun(bad_bits));
  bad_bits[0] = 0x40;
  EXPECT_EQ(parse_stun(bad_bits).error, StunParseError::NotStun);

  auto bad_cookie = kSampleRequest;
  bad_cookie[7] ^= 1;
  EXPECT_EQ(parse_stun(bad_cookie).error, StunParseError::NotStun);
  EXPECT_FALSE(looks_like_stun(bad_cookie));

  auto odd_length = kSampleRequest;
  store_be16(odd_length.data() + 2, 0x57);
  EXPECT_EQ(parse_stun(odd_length).error, StunParseError::BadLength);
  EXPECT_FALSE(looks_like_stun(odd_length));

  auto long_length = kSampleRequest;
  store_be16(long_length.data() + 2, 0x5c);
  EXPECT_EQ(parse_stun(long_length).error, StunParseError::BadLength);

  std::vector<uint8_t> extra = kSampleRequest;
  extra.push_back(0);
  EXPECT_EQ(parse_stun(extra).error, StunParseError::BadLength);
}

// Builds a header-only message followed by raw attribute bytes.
std::vector<uint8_t> with_attributes(std::string_view attributes_hex, uint16_t type = 0x0001) {
  std::vector<uint8_t> msg(kStunHeaderSize);
  store_be16(msg.data(), type);
  store_be32(msg.data() + 4, kStunMagicCookie);
  for (size_t i = 0; i < 12; ++i) msg[8 + i] = static_cast<uint8_t>(i + 1);
  const auto attributes = from_hex(attributes_hex);
  msg.insert(msg.end(), attributes.begin(), attributes.end());
  store_be16(msg.data() + 2, static_cast<uint16_t>(msg.size() - kStunHeaderSize));
  return msg;
}

TEST(StunParse, HeaderOnlyMessageIsValid) {
  const auto msg = with_attributes("");
  const auto r = parse_stun(msg);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.message.is_binding_request());
  EXPECT_FALSE(r.message.username.has_value());
  EXPECT_FALSE(r.message.has_message_integrity());
  EXPECT_FALSE(verify_message_integrity(msg, r.message, "x"));
}

TEST(StunParse, RejectsKnownAttributesWithImpossibleSizes) {
  EXPECT_EQ(parse_stun(with_attributes("00 24 00 03 00 00 00 00")).error, StunParseError::BadAttributeValue);
  EXPECT_EQ(parse_stun(with_attributes("00 25 00 04 00 00 00 00")).error, StunParseError::BadAttributeValue);
  EXPECT_EQ(parse_stun(with_attributes("80 2a 00 04 00 00 00 00")).error, StunParseError::BadAttributeValue);
  EXPECT_EQ(parse_stun(with_attributes("80 29 00 0c 00 00 00 00 00 00 00 00 00 00 00 00")).error,
            StunParseError::BadAttributeValue);
  EXPECT_EQ(parse_stun(with_attributes("00 08 00 10 00000000 00000000 00000000 00000000")).error,
            StunParseError::BadAttributeValue);
  EXPECT_EQ(parse_stun(with_attributes("80 28 00 08 00000000 00000000")).error,
            StunParseError::BadAttributeValue);
  // XOR-MAPPED-ADDRESS: unknown family, IPv4 family with IPv6 size, too short.
  EXPECT_EQ(parse_stun(with_attributes("00 20 00 08 00 03 00 00 00 00 00 00")).error,
            StunParseError::BadAttributeValue);
  EXPECT_EQ(parse_stun(with_attributes("00 20 00 14 00 01 00 00 00000000 00000000 00000000 00000000")).error,
            StunParseError::BadAttributeValue);
  EXPECT_EQ(parse_stun(with_attributes("00 20 00 02 00 01 00 00")).error, StunParseError::BadAttributeValue);
  // ERROR-CODE: class 2 and number 100 are outside the allowed ranges, and 3 bytes is too short.
  EXPECT_EQ(parse_stun(with_attributes("00 09 00 04 00 00 02 00")).error, StunParseError::BadAttributeValue);
  EXPECT_EQ(parse_stun(with_attributes("00 09 00 04 00 00 04 64")).error, StunParseError::BadAttributeValue);
  EXPECT_EQ(parse_stun(with_attributes("00 09 00 03 00 00 04 00")).error, StunParseError::BadAttributeValue);
}

TEST(StunParse, AttributeLengthPastEndIsTruncated) {
  EXPECT_EQ(parse_stun(with_attributes("00 06 00 09 61 62 63 64 65 66 67 68")).error,
            StunParseError::TruncatedAttribute);
  EXPECT_EQ(parse_stun(with_attributes("00 06 ff ff 61 62 63 64")).error, StunParseError::TruncatedAttribute);
}

TEST(StunParse, FingerprintMustBeLast) {
  EXPECT_EQ(parse_stun(with_attributes("80 28 00 04 00 00 00 00 00 25 00 00")).error,
            StunParseError::AttributeAfterFingerprint);
  EXPECT_EQ(parse_stun(with_attributes("80 28 00 04 00 00 00 00 80 28 00 04 00 00 00 00")).error,
            StunParseError::AttributeAfterFingerprint);
}

TEST(StunParse, RecordsUnknownComprehensionRequiredAttributes) {
  // 0x0030 and 0x7fff are unknown and required; 0xc057 is unknown but optional.
  const auto r = parse_stun(with_attributes("00 30 00 01 aa 00 00 00 c0 57 00 04 00 01 00 0a 7f ff 00 00"));
  ASSERT_TRUE(r.ok());
  ASSERT_TRUE(r.message.has_unknown_required());
  ASSERT_EQ(r.message.unknown_required_types().size(), 2u);
  EXPECT_EQ(r.message.unknown_required_types()[0], 0x0030);
  EXPECT_EQ(r.message.unknown_required_types()[1], 0x7fff);

  const auto many =
      parse_stun(with_attributes("00 31 00 00 00 32 00 00 00 33 00 00 00 34 00 00 00 35 00 00 00 36 00 00"));
  ASSERT_TRUE(many.ok());
  EXPECT_EQ(many.message.unknown_required_count, 6u);
  EXPECT_EQ(many.message.unknown_required_types().size(), StunMessage::kMaxUnknownKept);

  const auto optional_only = parse_stun(with_attributes("c0 57 00 04 00 01 00 0a"));
  ASSERT_TRUE(optional_only.ok());
  EXPECT_FALSE(optional_only.message.has_unknown_required());
}

TEST(StunParse, FirstOccurrenceWinsAndAttributesAfterIntegrityAreIgnored) {
  // The message owns the bytes the parsed views point into, so it must outlive `r`.
  const auto msg = with_attributes(
      "00 06 00 01 61 00 00 00"                                   // USERNAME "a"
      "00 06 00 01 62 00 00 00"                                   // USERNAME "b" (ignored)
      "00 24 00 04 00 00 00 07"                                   // PRIORITY 7
      "00 08 00 14 00000000 00000000 00000000 00000000 00000000"  // MESSAGE-INTEGRITY
      "00 25 00 00"                                               // USE-CANDIDATE (ignored)
      "00 24 00 04 00 00 00 09"                                   // PRIORITY (ignored)
      "00 40 00 00"                                               // unknown (ignored)
      "80 28 00 04 00 00 00 00");                                 // FINGERPRINT
  const auto r = parse_stun(msg);
  ASSERT_TRUE(r.ok()) << to_string(r.error);
  EXPECT_EQ(r.message.username, "a");
  EXPECT_EQ(r.message.priority, 7u);
  EXPECT_FALSE(r.message.use_candidate);
  EXPECT_FALSE(r.message.has_unknown_required());
  EXPECT_EQ(r.message.message_integrity_offset, 44u);
  EXPECT_TRUE(r.message.has_fingerprint());
}

TEST(StunParse, DecodesAllClassesAndMethodBits) {
  for (StunClass c :
       {StunClass::Request, StunClass::Indication, StunClass::SuccessResponse, StunClass::ErrorResponse}) {
    for (uint16_t method :
         {uint16_t{0x001}, uint16_t{0x003}, uint16_t{0x0F0}, uint16_t{0xABC}, uint16_t{0xFFF}}) {
      std::vector<uint8_t> buf(kStunHeaderSize);
      StunBuilder b(buf);
      b.start(method, c, kSampleTid);
      ASSERT_EQ(b.finish(), kStunHeaderSize);
      const auto r = parse_stun(buf);
      ASSERT_TRUE(r.ok());
      EXPECT_EQ(r.message.method, method);
      EXPECT_EQ(r.message.message_class, c);
    }
  }
  // Known encodings of the binding method (RFC 8489 §6).
  auto type_of = [](StunClass c) {
    std::vector<uint8_t> buf(kStunHeaderSize);
    StunBuilder b(buf);
    b.start(kStunBindingMethod, c, kSampleTid);
    return load_be16(buf.data());
  };
  EXPECT_EQ(type_of(StunClass::Request), 0x0001);
  EXPECT_EQ(type_of(StunClass::Indication), 0x0011);
  EXPECT_EQ(type_of(StunClass::SuccessResponse), 0x0101);
  EXPECT_EQ(type_of(StunClass::ErrorResponse), 0x0111);
}

TEST(StunIntegrity, TamperingIsDetected) {
  for (size_t i = 0; i < kSampleRequest.size(); ++i) {
    if (i >= 2 && i < 4) continue;  // the length field: changing it breaks parsing instead
    auto tampered = kSampleRequest;
    tampered[i] ^= 0x01;
    const auto r = parse_stun(tampered);
    if (!r.ok()) continue;  // e.g. a type or length byte became invalid
    const bool mi_ok =
        r.message.has_message_integrity() && verify_message_integrity(tampered, r.message, kSamplePassword);
    const bool fp_ok = r.message.has_fingerprint() && verify_fingerprint(tampered, r.message);
    EXPECT_FALSE(mi_ok && fp_ok) << "byte " << i;
    if (i < 100) {
      EXPECT_FALSE(mi_ok) << "byte " << i;  // everything up to the end of the MAC is covered
    }
    EXPECT_FALSE(fp_ok) << "byte " << i;
  }
}

TEST(StunIntegrity, VerifyRejectsBufferThatDoesNotMatchMessage) {
  const auto r = parse_stun(kSampleRequest);
  ASSERT_TRUE(r.ok());
  const std::vector<uint8_t> shorter(kSampleRequest.begin(), kSampleRequest.begin() + 60);
  EXPECT_FALSE(verify_message_integrity(shorter, r.message, kSamplePassword));
  EXPECT_FALSE(verify_fingerprint(shorter, r.message));
}

TEST(StunCrc32, KnownCheckValue) {
  const std::string check = "123456789";
  EXPECT_EQ(stun_crc32(ByteSpan(reinterpret_cast<const uint8_t*>(check.data()), check.size())), 0xCBF43926u);
  EXPECT_EQ(stun_crc32({}), 0u);
}

// ------------------------------------------------------------------------------------------------
// Builder

std::vector<uint8_t> build_full_request(MutableByteSpan out, size_t* length) {
  StunBuilder b(out);
  b.start(kStunBindingMethod, StunClass::Request, kSampleTid);
  b.add_username("abcd:efgh");
  b.add_priority(0x6effffff);
  b.add_use_candidate();
  b.add_ice_controlling(0x0102030405060708ull);
  const uint16_t unknown[] = {0x0030, 0x0031, 0x0032};
  b.add_unknown_attributes(unknown);
  b.add_error_code(487, "Role Conflict");
  b.add_xor_mapped_address(addr("::1", 9));
  b.add_message_integrity("password");
  b.add_fingerprint();
  *length = b.finish();
  return std::vector<uint8_t>(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(*length));
}

TEST(StunBuilderTest, RoundTripsEveryAttribute) {
  std::vector<uint8_t> buf(512);
  size_t length = 0;
  const auto msg = build_full_request(buf, &length);
  ASSERT_GT(length, 0u);
  ASSERT_TRUE(looks_like_stun(msg));
  const auto r = parse_stun(msg);
  ASSERT_TRUE(r.ok()) << to_string(r.error);
  const StunMessage& m = r.message;
  EXPECT_EQ(m.username, "abcd:efgh");
  EXPECT_EQ(m.priority, 0x6effffffu);
  EXPECT_TRUE(m.use_candidate);
  EXPECT_EQ(m.ice_controlling, 0x0102030405060708ull);
  ASSERT_TRUE(m.error_code.has_value());
  EXPECT_EQ(m.error_code->code, 487);
  EXPECT_EQ(m.error_code->reason, "Role Conflict");
  EXPECT_EQ(m.xor_mapped_address, addr("::1", 9));
  EXPECT_FALSE(m.has_unknown_required());  // UNKNOWN-ATTRIBUTES itself is a known attribute
  EXPECT_TRUE(verify_message_integrity(msg, m, "password"));
  EXPECT_FALSE(verify_message_integrity(msg, m, "passwore"));
  EXPECT_TRUE(verify_fingerprint(msg, m));
  // Padding is zero by default: the 9-byte username is followed by three zero bytes.
  EXPECT_EQ(msg[20 + 4 + 9], 0);
  EXPECT_EQ(msg[20 + 4 + 11], 0);
}

TEST(StunBuilderTest, EveryTooSmallBufferFailsWithoutOverrun) {
  std::vector<uint8_t> big(512);
  size_t full = 0;
  build_full_request(big, &full);
  ASSERT_GT(full, 0u);
  for (size_t n = 0; n < full; ++n) {
    std::vector<uint8_t> small(n);  // exact size so ASan catches writes past the end
    size_t length = 123;
    build_full_request(small, &length);
    EXPECT_EQ(length, 0u) << "buffer " << n;
  }
  std::vector<uint8_t> exact(full);
  size_t length = 0;
  build_full_request(exact, &length);
  EXPECT_EQ(length, full);
}

TEST(StunBuilderTest, RejectsMisuse) {
  std::vector<uint8_t> buf(256);
  {
    StunBuilder b(buf);
    b.add_username("x");  // no start()
    EXPECT_EQ(b.finish(), 0u);
  }
  {
    StunBuilder b(buf);
    b.start(kStunBindingMethod, StunClass::ErrorResponse, kSampleTid);
    b.add_error_code(200, "not an error");
    EXPECT_EQ(b.finish(), 0u);
  }
  {
    StunBuilder b(buf);
    b.start(kStunBindingMethod, StunClass::SuccessResponse, kSampleTid);
    b.add_xor_mapped_address(SocketAddress());  // no family
    EXPECT_EQ(b.finish(), 0u);
  }
  {
    StunBuilder b(buf);
    b.start(kStunBindingMethod, StunClass::Request, kSampleTid);
    b.add_username(std::string(300, 'u'));  // does not fit in 256 bytes
    b.add_fingerprint();
    EXPECT_EQ(b.finish(), 0u);
  }
  {
    // A restart after failure starts clean.
    StunBuilder b(buf);
    b.start(kStunBindingMethod, StunClass::Request, kSampleTid);
    b.add_username(std::string(300, 'u'));
    b.start(kStunBindingMethod, StunClass::Request, kSampleTid);
    b.add_username("ok");
    EXPECT_EQ(b.finish(), kStunHeaderSize + 8);
  }
}

TEST(StunBuilderTest, EmptyIntegrityKeyStillProducesAVerifiableMac) {
  std::vector<uint8_t> buf(128);
  StunBuilder b(buf);
  b.start(kStunBindingMethod, StunClass::Request, kSampleTid);
  b.add_username("a:b");
  b.add_message_integrity("");
  const size_t n = b.finish();
  ASSERT_GT(n, 0u);
  buf.resize(n);
  const auto r = parse_stun(buf);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(verify_message_integrity(buf, r.message, ""));
  EXPECT_FALSE(verify_message_integrity(buf, r.message, "a"));
}

}  // namespace
}  // namespace sfu::ice
