// DCEP (RFC 8832 §5): the byte layout of DATA_CHANNEL_OPEN and ACK, every channel type, and input
// that is short, long, absurd or unknown.
#include "dtls/dcep.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace sfu::dtls {
namespace {

using Bytes = std::vector<uint8_t>;
using Kind = SctpReliability::Kind;

// An OPEN written out by hand, as a browser sends it.
Bytes open_bytes(uint8_t channel_type, uint16_t priority, uint32_t parameter, const std::string& label,
                 const std::string& protocol) {
  Bytes b = {0x03,
             channel_type,
             static_cast<uint8_t>(priority >> 8),
             static_cast<uint8_t>(priority),
             static_cast<uint8_t>(parameter >> 24),
             static_cast<uint8_t>(parameter >> 16),
             static_cast<uint8_t>(parameter >> 8),
             static_cast<uint8_t>(parameter),
             static_cast<uint8_t>(label.size() >> 8),
             static_cast<uint8_t>(label.size()),
             static_cast<uint8_t>(protocol.size() >> 8),
             static_cast<uint8_t>(protocol.size())};
  b.insert(b.end(), label.begin(), label.end());
  b.insert(b.end(), protocol.begin(), protocol.end());
  return b;
}

DcepOpen parse_open_ok(const Bytes& bytes) {
  auto parsed = parse_dcep(bytes);
  EXPECT_TRUE(std::holds_alternative<DcepMessage>(parsed)) << dcep_error_name(std::get<DcepError>(parsed));
  if (!std::holds_alternative<DcepMessage>(parsed)) return {};
  const DcepMessage& message = std::get<DcepMessage>(parsed);
  EXPECT_TRUE(std::holds_alternative<DcepOpen>(message));
  return std::holds_alternative<DcepOpen>(message) ? std::get<DcepOpen>(message) : DcepOpen{};
}

DcepError parse_error(const Bytes& bytes, const DcepLimits& limits = {}) {
  auto parsed = parse_dcep(bytes, limits);
  EXPECT_TRUE(std::holds_alternative<DcepError>(parsed));
  return std::holds_alternative<DcepError>(parsed) ? std::get<DcepError>(parsed) : DcepError::kUnknownType;
}

TEST(DcepTest, ParsesAChromiumStyleOpen) {
  DcepOpen open = parse_open_ok(open_bytes(0x00, 256, 0, "chat", ""));
  EXPECT_EQ(open.label, "chat");
  EXPECT_EQ(open.protocol, "");
  EXPECT_EQ(open.priority, 256);
  EXPECT_TRUE(open.reliability.ordered);
  EXPECT_EQ(open.reliability.kind, Kind::kReliable);
}

struct ChannelTypeCase {
  uint8_t type;
  bool ordered;
  Kind kind;
  uint32_t parameter;
  uint32_t expected_value;
};

class DcepChannelTypeTest : public ::testing::TestWithParam<ChannelTypeCase> {};

TEST_P(DcepChannelTypeTest, MapsToReliabilityAndBack) {
  const ChannelTypeCase& c = GetParam();
  Bytes bytes = open_bytes(c.type, 512, c.parameter, "label", "proto");
  DcepOpen open = parse_open_ok(bytes);
  EXPECT_EQ(open.reliability.ordered, c.ordered);
  EXPECT_EQ(open.reliability.kind, c.kind);
  EXPECT_EQ(open.reliability.value, c.expected_value);
  EXPECT_EQ(open.priority, 512);
  EXPECT_EQ(open.label, "label");
  EXPECT_EQ(open.protocol, "proto");
  if (c.kind != Kind::kReliable) {
    EXPECT_EQ(serialize_dcep_open(open), bytes) << "byte-identical round trip";
  }
}

INSTANTIATE_TEST_SUITE_P(AllTypes, DcepChannelTypeTest,
                         ::testing::Values(ChannelTypeCase{0x00, true, Kind::kReliable, 0, 0},
                                           ChannelTypeCase{0x80, false, Kind::kReliable, 7, 0},
                                           ChannelTypeCase{0x01, true, Kind::kMaxRetransmits, 3, 3},
                                           ChannelTypeCase{0x81, false, Kind::kMaxRetransmits, 0, 0},
                                           ChannelTypeCase{0x02, true, Kind::kMaxLifetimeMs, 1500, 1500},
                                           ChannelTypeCase{0x82, false, Kind::kMaxLifetimeMs, 0xFFFFFFFF,
                                                           0xFFFFFFFF}));

TEST(DcepTest, SerializesTheRfcLayout) {
  DcepOpen open;
  open.reliability.ordered = false;
  open.reliability.kind = Kind::kMaxRetransmits;
  open.reliability.value = 0x01020304;
  open.priority = 0x0102;
  open.label = "ab";
  open.protocol = "xyz";
  Bytes expected = {0x03, 0x81, 0x01, 0x02, 0x01, 0x02, 0x03, 0x04, 0x00,
                    0x02, 0x00, 0x03, 'a',  'b',  'x',  'y',  'z'};
  EXPECT_EQ(serialize_dcep_open(open), expected);
  EXPECT_EQ(serialize_dcep_ack(), Bytes{0x02});
}

TEST(DcepTest, ParsesTheAck) {
  auto parsed = parse_dcep(Bytes{0x02});
  ASSERT_TRUE(std::holds_alternative<DcepMessage>(parsed));
  EXPECT_TRUE(std::holds_alternative<DcepAck>(std::get<DcepMessage>(parsed)));
  EXPECT_EQ(parse_error(Bytes{0x02, 0x00}), DcepError::kTrailingBytes);
}

TEST(DcepTest, RefusesTruncatedInputAtEveryLength) {
  Bytes full = open_bytes(0x01, 256, 5, "label", "protocol");
  for (size_t length = 0; length < full.size(); ++length) {
    Bytes cut(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(length));
    EXPECT_EQ(parse_error(cut), DcepError::kTruncated) << "length " << length;
  }
}

TEST(DcepTest, RefusesAnAbsurdLabelLengthWithoutReadingPastTheInput) {
  // Label length 65535 in a 10-byte message: cut short, and over the limit.
  Bytes absurd = {0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF};
  EXPECT_EQ(parse_error(absurd), DcepError::kTruncated);
  Bytes header_only = {0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF, 0x00, 0x00};
  EXPECT_EQ(parse_error(header_only), DcepError::kLabelTooLong);
  DcepLimits generous;
  generous.max_label_bytes = 65535;
  EXPECT_EQ(parse_error(header_only, generous), DcepError::kTruncated);
  Bytes protocol = {0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xFF, 0xFF};
  EXPECT_EQ(parse_error(protocol), DcepError::kProtocolTooLong);
}

TEST(DcepTest, RefusesUnknownTypesTrailingBytesAndUnknownChannelTypes) {
  EXPECT_EQ(parse_error(Bytes{}), DcepError::kTruncated);
  for (uint8_t type : {0x00, 0x01, 0x04, 0xFF}) EXPECT_EQ(parse_error(Bytes{type}), DcepError::kUnknownType);
  Bytes trailing = open_bytes(0x00, 256, 0, "a", "b");
  trailing.push_back(0);
  EXPECT_EQ(parse_error(trailing), DcepError::kTrailingBytes);
  for (uint8_t channel_type : {0x03, 0x7F, 0x83, 0xFF}) {
    EXPECT_EQ(parse_error(open_bytes(channel_type, 256, 0, "a", "")), DcepError::kUnknownChannelType);
  }
  for (DcepError error : {DcepError::kTruncated, DcepError::kUnknownType, DcepError::kUnknownChannelType,
                          DcepError::kLabelTooLong, DcepError::kProtocolTooLong, DcepError::kTrailingBytes}) {
    EXPECT_STRNE(dcep_error_name(error), "unknown");
  }
}

TEST(DcepTest, KeepsLabelsAsBytes) {
  std::string label("caf\xC3\xA9\0x", 7);  // UTF-8 and an embedded zero pass through unchanged
  DcepOpen open = parse_open_ok(open_bytes(0x00, 0, 0, label, std::string(1024, 'p')));
  EXPECT_EQ(open.label, label);
  EXPECT_EQ(open.protocol.size(), 1024u);
}

}  // namespace
}  // namespace sfu::dtls
