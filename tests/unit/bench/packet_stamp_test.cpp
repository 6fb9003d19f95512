#include "bench/packet_stamp.h"

#include <gtest/gtest.h>

#include <vector>

namespace sfu::bench {
namespace {

TEST(PacketStamp, RoundTripsAtTheEndOfThePayload) {
  std::vector<uint8_t> payload(100, 0xAB);
  PacketStamp stamp{7, 123456, 0x0102030405060708ull};
  ASSERT_TRUE(write_stamp(stamp, MutableByteSpan(payload)));
  // The start of the payload (codec headers) is untouched.
  for (size_t i = 0; i < payload.size() - kStampSize; ++i) ASSERT_EQ(payload[i], 0xAB) << i;
  EXPECT_EQ(load_be32(payload.data() + 80), kStampMagic);
  auto read = read_stamp(ByteSpan(payload));
  ASSERT_TRUE(read);
  EXPECT_EQ(*read, stamp);
}

TEST(PacketStamp, ExtremeValuesRoundTrip) {
  std::vector<uint8_t> payload(kStampSize);
  for (PacketStamp stamp : {PacketStamp{0, 0, 0}, PacketStamp{UINT32_MAX, UINT32_MAX, UINT64_MAX}}) {
    ASSERT_TRUE(write_stamp(stamp, MutableByteSpan(payload)));
    EXPECT_EQ(read_stamp(ByteSpan(payload)), stamp);
  }
}

TEST(PacketStamp, ShortPayloadsAreRejected) {
  std::vector<uint8_t> payload(kStampSize);
  ASSERT_TRUE(write_stamp({1, 2, 3}, MutableByteSpan(payload)));
  for (size_t size = 0; size < kStampSize; ++size) {
    EXPECT_FALSE(read_stamp(ByteSpan(payload.data() + (kStampSize - size), size))) << size;
    std::vector<uint8_t> small(size);
    EXPECT_FALSE(write_stamp({1, 2, 3}, MutableByteSpan(small))) << size;
  }
}

TEST(PacketStamp, UnstampedPayloadIsRejected) {
  std::vector<uint8_t> payload(64, 0);
  EXPECT_FALSE(read_stamp(ByteSpan(payload)));
  ASSERT_TRUE(write_stamp({1, 2, 3}, MutableByteSpan(payload)));
  payload[payload.size() - kStampSize] ^= 1;  // one bit of the magic
  EXPECT_FALSE(read_stamp(ByteSpan(payload)));
}

TEST(PacketStamp, MonotonicClockAdvances) {
  uint64_t a = monotonic_ns();
  uint64_t b = monotonic_ns();
  EXPECT_GT(a, 0u);
  EXPECT_GE(b, a);
}

}  // namespace
}  // namespace sfu::bench
