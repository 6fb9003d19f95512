// Tests for rtp/retransmission_buffer.h.

#include "rtp/retransmission_buffer.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <vector>

namespace sfu::rtp {
namespace {

using Bytes = std::vector<uint8_t>;

// A distinguishable fake packet: its bytes encode the sequence number and a generation.
Bytes make_packet(uint16_t seq, uint8_t generation = 0, size_t size = 100) {
  Bytes packet(size);
  for (size_t i = 0; i < size; ++i) packet[i] = static_cast<uint8_t>(seq + i + generation * 31);
  if (size >= 3) {
    packet[0] = static_cast<uint8_t>(seq >> 8);
    packet[1] = static_cast<uint8_t>(seq);
    packet[2] = generation;
  }
  return packet;
}

Bytes to_bytes(ByteSpan span) { return Bytes(span.begin(), span.end()); }

TEST(RetransmissionBufferTest, CapacityIsRoundedUpToAPowerOfTwo) {
  EXPECT_EQ(RetransmissionBuffer(512).capacity(), 512u);
  EXPECT_EQ(RetransmissionBuffer(500).capacity(), 512u);
  EXPECT_EQ(RetransmissionBuffer(513).capacity(), 1024u);
  EXPECT_EQ(RetransmissionBuffer(1).capacity(), 1u);
  EXPECT_EQ(RetransmissionBuffer(0).capacity(), 1u);
  EXPECT_EQ(RetransmissionBuffer(100000, 16).capacity(), RetransmissionBuffer::kMaxCapacity);
  EXPECT_EQ(RetransmissionBuffer(8, 1200).max_packet_size(), 1200u);
}

TEST(RetransmissionBufferTest, StoresAndReturnsPackets) {
  RetransmissionBuffer buffer(16);
  for (uint16_t seq = 100; seq < 110; ++seq) buffer.store(make_packet(seq), seq, 1000);
  for (uint16_t seq = 100; seq < 110; ++seq) {
    const auto packet = buffer.get(seq, 1010);
    ASSERT_TRUE(packet.has_value()) << seq;
    EXPECT_EQ(to_bytes(*packet), make_packet(seq));
  }
  EXPECT_FALSE(buffer.get(99, 1010).has_value());
  EXPECT_FALSE(buffer.get(110, 1010).has_value());  // never stored (its slot is empty)
  EXPECT_EQ(buffer.counters().stored, 10u);
  EXPECT_EQ(buffer.counters().hits, 10u);
  EXPECT_EQ(buffer.counters().misses, 2u);
}

TEST(RetransmissionBufferTest, GetBeforeAnyStoreMisses) {
  RetransmissionBuffer buffer(8);
  EXPECT_FALSE(buffer.get(0, 0).has_value());
  EXPECT_FALSE(buffer.mark_resent(0, 0, 0));
}

TEST(RetransmissionBufferTest, PacketsOfDifferentSizesAndEmptyPackets) {
  RetransmissionBuffer buffer(8, 200);
  buffer.store(make_packet(1, 0, 200), 1, 0);
  buffer.store(make_packet(2, 0, 12), 2, 0);
  buffer.store(Bytes{}, 3, 0);
  EXPECT_EQ(buffer.get(1, 0)->size(), 200u);
  EXPECT_EQ(to_bytes(*buffer.get(2, 0)), make_packet(2, 0, 12));
  ASSERT_TRUE(buffer.get(3, 0).has_value());
  EXPECT_TRUE(buffer.get(3, 0)->empty());
}

TEST(RetransmissionBufferTest, NewerPacketOverwritesItsSlotOnWrap) {
  RetransmissionBuffer buffer(8);
  for (uint16_t seq = 0; seq < 8; ++seq) buffer.store(make_packet(seq), seq, 0);
  buffer.store(make_packet(8), 8, 0);  // same slot as 0
  EXPECT_FALSE(buffer.get(0, 0).has_value());
  EXPECT_EQ(to_bytes(*buffer.get(8, 0)), make_packet(8));
  for (uint16_t seq = 1; seq < 8; ++seq) EXPECT_TRUE(buffer.get(seq, 0).has_value()) << seq;
}

TEST(RetransmissionBufferTest, LateOlderPacketDoesNotEvictNewerOne) {
  RetransmissionBuffer buffer(8);
  for (uint16_t seq = 0; seq < 16; ++seq) {
    if (seq != 3) buffer.store(make_packet(seq), seq, 0);
  }
  // 3 arrives late (a retransmission); its slot holds 11, which is newer.
  buffer.store(make_packet(3), 3, 0);
  EXPECT_FALSE(buffer.get(3, 0).has_value());
  EXPECT_EQ(to_bytes(*buffer.get(11, 0)), make_packet(11));
  EXPECT_EQ(buffer.counters().too_old, 1u);
}

TEST(RetransmissionBufferTest, LatePacketFillsItsEmptySlot) {
  RetransmissionBuffer buffer(16);
  buffer.store(make_packet(10), 10, 0);
  buffer.store(make_packet(12), 12, 0);
  buffer.store(make_packet(11), 11, 5);  // reordered, slot empty
  ASSERT_TRUE(buffer.get(11, 5).has_value());
  EXPECT_EQ(to_bytes(*buffer.get(11, 5)), make_packet(11));
}

TEST(RetransmissionBufferTest, DuplicateKeepsFirstCopyAndResendState) {
  RetransmissionBuffer buffer(16);
  buffer.store(make_packet(5, 1), 5, 0);
  EXPECT_TRUE(buffer.mark_resent(5, 10, 100));
  buffer.store(make_packet(5, 2), 5, 20);
  EXPECT_EQ(to_bytes(*buffer.get(5, 20)), make_packet(5, 1));
  EXPECT_FALSE(buffer.mark_resent(5, 50, 100));  // still throttled: the duplicate did not reset it
  EXPECT_EQ(buffer.counters().duplicates, 1u);
}

TEST(RetransmissionBufferTest, SequenceNumberWrapAt65535) {
  RetransmissionBuffer buffer(16);
  for (uint32_t i = 0; i < 10; ++i) {
    const auto seq = static_cast<uint16_t>(65530 + i);  // 65530 .. 65535, 0 .. 3
    buffer.store(make_packet(seq), seq, 0);
  }
  for (uint32_t i = 0; i < 10; ++i) {
    const auto seq = static_cast<uint16_t>(65530 + i);
    ASSERT_TRUE(buffer.get(seq, 0).has_value()) << seq;
    EXPECT_EQ(to_bytes(*buffer.get(seq, 0)), make_packet(seq));
  }
}

TEST(RetransmissionBufferTest, ExactMatchAfterAFull65536Wrap) {
  // Capacity 1 << 16 is the whole sequence space: every seq has its own slot, so only the
  // extended sequence number can tell the packet from one a full wrap earlier.
  RetransmissionBuffer buffer(65536, 16);
  buffer.store(make_packet(1000, 1, 16), 1000, 0);
  // Walk the stream forward a full cycle, skipping 1000 the second time round.
  for (uint32_t i = 1; i < 65536; ++i) {
    const auto seq = static_cast<uint16_t>(1000 + i);
    buffer.store(make_packet(seq, 0, 16), seq, 0);
  }
  // 1000 of the next cycle is lost; 1001 of the next cycle arrives and replaces the old 1001.
  buffer.store(make_packet(1001, 1, 16), 1001, 0);
  EXPECT_EQ(to_bytes(*buffer.get(1001, 0)), make_packet(1001, 1, 16));
  // A NACK for 1000 means the lost one of this cycle: the slot's packet from the previous cycle
  // has the same 16-bit number but is not it.
  EXPECT_FALSE(buffer.get(1000, 0).has_value());
  EXPECT_FALSE(buffer.mark_resent(1000, 0, 0));
  EXPECT_EQ(buffer.counters().misses, 1u);
}

TEST(RetransmissionBufferTest, ExactMatchWhenSlotHoldsPacketOneWrapOlder) {
  // A small ring: after a long outage (no store for that slot) the same 16-bit number comes round
  // again. The slot holds seq 5 of cycle 0; a NACK for seq 5 of cycle 1 must not get it.
  RetransmissionBuffer buffer(8);
  buffer.store(make_packet(5), 5, 0);
  // Advance through the sequence space in steps that never land on slot 5 (seq % 8 != 5).
  for (uint32_t seq = 6; seq < 65536 + 5; ++seq) {
    if (seq % 8 == 5) continue;
    buffer.store(make_packet(static_cast<uint16_t>(seq)), static_cast<uint16_t>(seq), 0);
  }
  EXPECT_FALSE(buffer.get(5, 0).has_value());
  // The next cycle's packet 5 is stored normally.
  buffer.store(make_packet(5, 9), 5, 0);
  EXPECT_EQ(to_bytes(*buffer.get(5, 0)), make_packet(5, 9));
}

TEST(RetransmissionBufferTest, PacketsOlderThanMaxAgeAreNotReturned) {
  RetransmissionBuffer buffer(16);
  EXPECT_EQ(buffer.max_age_ms(), RetransmissionBuffer::kDefaultMaxAgeMs);
  buffer.store(make_packet(1), 1, 10'000);
  EXPECT_TRUE(buffer.get(1, 10'999).has_value());
  EXPECT_FALSE(buffer.get(1, 11'000).has_value());
  EXPECT_EQ(buffer.counters().expired, 1u);

  buffer.set_max_age_ms(200);
  buffer.store(make_packet(2), 2, 20'000);
  EXPECT_TRUE(buffer.get(2, 20'199).has_value());
  EXPECT_FALSE(buffer.get(2, 20'200).has_value());
  // A clock that went backwards counts as age 0.
  EXPECT_TRUE(buffer.get(2, 19'000).has_value());
}

TEST(RetransmissionBufferTest, OversizePacketsAreNotStored) {
  RetransmissionBuffer buffer(16, 100);
  buffer.store(make_packet(1, 0, 100), 1, 0);
  buffer.store(make_packet(2, 0, 101), 2, 0);
  EXPECT_TRUE(buffer.get(1, 0).has_value());
  EXPECT_FALSE(buffer.get(2, 0).has_value());
  EXPECT_EQ(buffer.counters().oversize, 1u);
  EXPECT_EQ(buffer.counters().stored, 1u);
}

TEST(RetransmissionBufferTest, OversizePacketDoesNotClobberNeighbours) {
  // Slots are contiguous; a too-large copy would spill into the next slot.
  RetransmissionBuffer buffer(4, 50);
  buffer.store(make_packet(1, 0, 50), 1, 0);
  buffer.store(make_packet(0, 0, 51), 0, 0);
  EXPECT_EQ(to_bytes(*buffer.get(1, 0)), make_packet(1, 0, 50));
}

TEST(RetransmissionBufferTest, MarkResentThrottlesPerPacket) {
  RetransmissionBuffer buffer(16);
  buffer.store(make_packet(7), 7, 0);
  buffer.store(make_packet(8), 8, 0);
  EXPECT_TRUE(buffer.mark_resent(7, 100, 50));
  // A storm of NACKs for 7 within one RTT: answered once.
  EXPECT_FALSE(buffer.mark_resent(7, 100, 50));
  EXPECT_FALSE(buffer.mark_resent(7, 149, 50));
  // Other packets are independent.
  EXPECT_TRUE(buffer.mark_resent(8, 120, 50));
  // After the interval it may go again, and the interval restarts from then.
  EXPECT_TRUE(buffer.mark_resent(7, 150, 50));
  EXPECT_FALSE(buffer.mark_resent(7, 199, 50));
  EXPECT_TRUE(buffer.mark_resent(7, 200, 50));
  EXPECT_EQ(buffer.counters().resend_throttled, 3u);
  // An interval of 0 never throttles.
  EXPECT_TRUE(buffer.mark_resent(8, 120, 0));
  EXPECT_TRUE(buffer.mark_resent(8, 120, 0));
}

TEST(RetransmissionBufferTest, MarkResentNeedsTheExactPacket) {
  RetransmissionBuffer buffer(8);
  buffer.store(make_packet(3), 3, 0);
  EXPECT_FALSE(buffer.mark_resent(4, 0, 10));
  EXPECT_FALSE(buffer.mark_resent(11, 0, 10));  // same slot, not stored
  EXPECT_TRUE(buffer.mark_resent(3, 0, 10));
}

TEST(RetransmissionBufferTest, MarkResentThrottlesPerRecipient) {
  RetransmissionBuffer buffer(16);
  buffer.store(make_packet(7), 7, 0);
  EXPECT_FALSE(buffer.resent_recently(7, 100, 50, 1));
  EXPECT_TRUE(buffer.mark_resent(7, 100, 50, 1));
  EXPECT_TRUE(buffer.resent_recently(7, 120, 50, 1));
  EXPECT_FALSE(buffer.mark_resent(7, 120, 50, 1)) << "the same receiver within the interval";
  EXPECT_FALSE(buffer.resent_recently(7, 120, 50, 2));
  EXPECT_TRUE(buffer.mark_resent(7, 120, 50, 2)) << "another receiver lost it too";
  EXPECT_FALSE(buffer.resent_recently(7, 200, 50, 2));
  EXPECT_FALSE(buffer.resent_recently(8, 120, 50, 1)) << "a packet not held";
  EXPECT_EQ(buffer.counters().resend_throttled, 1u) << "resent_recently() counts nothing";
}

TEST(RetransmissionBufferTest, GrowKeepsEveryHeldPacketAndItsResendState) {
  RetransmissionBuffer buffer(8);
  for (uint32_t i = 0; i < 12; ++i) {
    const auto seq = static_cast<uint16_t>(65530 + i);  // across the wrap; 65530..65533 overwritten
    buffer.store(make_packet(seq), seq, 0);
  }
  ASSERT_TRUE(buffer.mark_resent(2, 10, 100, 9));
  buffer.grow(20);
  EXPECT_EQ(buffer.capacity(), 32u);
  for (uint32_t i = 4; i < 12; ++i) {
    const auto seq = static_cast<uint16_t>(65530 + i);
    ASSERT_TRUE(buffer.get(seq, 0).has_value()) << seq;
    EXPECT_EQ(to_bytes(*buffer.get(seq, 0)), make_packet(seq));
  }
  EXPECT_FALSE(buffer.get(65531, 0).has_value()) << "overwritten before the growth, still gone";
  EXPECT_TRUE(buffer.resent_recently(2, 50, 100, 9));
  for (uint16_t seq = 6; seq < 30; ++seq) buffer.store(make_packet(seq), seq, 0);
  EXPECT_TRUE(buffer.get(65535, 0).has_value()) << "the larger ring holds 32 packets";
  buffer.grow(16);
  EXPECT_EQ(buffer.capacity(), 32u) << "never shrinks";
}

TEST(RetransmissionBufferTest, OverwrittenSlotForgetsResendTime) {
  RetransmissionBuffer buffer(8);
  buffer.store(make_packet(3), 3, 0);
  EXPECT_TRUE(buffer.mark_resent(3, 0, 1000));
  buffer.store(make_packet(11), 11, 10);
  EXPECT_TRUE(buffer.mark_resent(11, 20, 1000));
  EXPECT_FALSE(buffer.mark_resent(3, 20, 1000));
}

TEST(RetransmissionBufferTest, ClearForgetsEverything) {
  RetransmissionBuffer buffer(8);
  buffer.store(make_packet(3), 3, 0);
  buffer.clear();
  EXPECT_FALSE(buffer.get(3, 0).has_value());
  buffer.store(make_packet(40000), 40000, 0);  // a fresh start anywhere in the space
  EXPECT_TRUE(buffer.get(40000, 0).has_value());
}

TEST(RetransmissionBufferTest, SourceRestartFarBackIsDetectedOnSecondPacket) {
  RetransmissionBuffer buffer(64);
  for (uint16_t seq = 20000; seq < 20010; ++seq) buffer.store(make_packet(seq), seq, 0);
  // The publisher restarts at 1000: 19000 behind, more than any plausible late arrival.
  buffer.store(make_packet(1000), 1000, 10);
  EXPECT_FALSE(buffer.get(1000, 10).has_value());  // first one only proposes a restart
  EXPECT_TRUE(buffer.get(20005, 10).has_value());
  buffer.store(make_packet(1001), 1001, 11);
  EXPECT_EQ(buffer.counters().restarts, 1u);
  EXPECT_TRUE(buffer.get(1001, 11).has_value());
  EXPECT_FALSE(buffer.get(20005, 11).has_value());
  buffer.store(make_packet(1002), 1002, 12);
  EXPECT_TRUE(buffer.get(1002, 12).has_value());
}

TEST(RetransmissionBufferTest, LateArrivalsDoNotRestart) {
  RetransmissionBuffer buffer(64);
  for (uint16_t seq = 20000; seq < 20010; ++seq) buffer.store(make_packet(seq), seq, 0);
  // Stray very old packets that do not follow each other.
  buffer.store(make_packet(1000), 1000, 10);
  buffer.store(make_packet(5000), 5000, 10);
  buffer.store(make_packet(1000), 1000, 10);
  EXPECT_EQ(buffer.counters().restarts, 0u);
  EXPECT_TRUE(buffer.get(20009, 10).has_value());
  // Two consecutive late packets within the restart distance are just too old to keep.
  buffer.store(make_packet(19000), 19000, 10);
  buffer.store(make_packet(19001), 19001, 10);
  EXPECT_EQ(buffer.counters().restarts, 0u);
  EXPECT_TRUE(buffer.get(20009, 10).has_value());
}

TEST(RetransmissionBufferTest, LargeForwardJumpKeepsWorking) {
  RetransmissionBuffer buffer(16);
  buffer.store(make_packet(100), 100, 0);
  buffer.store(make_packet(30000), 30000, 1);
  EXPECT_TRUE(buffer.get(30000, 1).has_value());
  EXPECT_TRUE(buffer.get(100, 1).has_value());  // different slot, still the exact packet
  buffer.store(make_packet(30001), 30001, 2);
  EXPECT_TRUE(buffer.get(30001, 2).has_value());
}

}  // namespace
}  // namespace sfu::rtp
