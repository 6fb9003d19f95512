// The relay frames between cluster nodes (relay_frame.h): a slot survives seal, open and decode;
// a frame changed anywhere, opened under another key, replayed, or cut short is refused.
#include "sfu/media/relay_frame.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <vector>

namespace sfu {
namespace {

// DTLS-SRTP keying material of profile AEAD_AES_128_GCM as a handshake exports it: a 16-byte
// master key then a 12-byte master salt.
std::vector<uint8_t> key_salt(uint8_t seed) {
  std::vector<uint8_t> material(28);
  for (size_t i = 0; i < material.size(); ++i) material[i] = static_cast<uint8_t>(seed + i * 31);
  return material;
}

RelayKey key_of(uint8_t seed) {
  RelayKey key;
  EXPECT_TRUE(relay_key_from_srtp(key_salt(seed), key));
  return key;
}

RelayKey key_a_to_b() { return key_of(1); }

CrossWorkerPacket media_slot(size_t size) {
  CrossWorkerPacket slot;
  slot.kind = CrossWorkerKind::kMedia;
  slot.layer = 2;
  slot.track = {7, 3};
  slot.arrival_ms = 123456789;
  slot.ntp = 0x0102030405060708ull;
  slot.rtp_timestamp = 90000;
  slot.layers = 5;
  slot.size = static_cast<uint16_t>(size);
  for (size_t i = 0; i < size; ++i) slot.data[i] = static_cast<uint8_t>(i * 7);
  return slot;
}

std::vector<uint8_t> sealed(RelaySealer& sealer, const CrossWorkerPacket& slot) {
  std::vector<uint8_t> plain(kRelayMaxFrameBytes), frame(kRelayMaxFrameBytes);
  size_t size = encode_relay_slot(slot, plain);
  EXPECT_GT(size, 0u);
  size_t frame_size = sealer.seal(RelayFrameType::kSlot, ByteSpan(plain.data(), size), frame);
  EXPECT_EQ(frame_size, kRelayHeaderBytes + size + kRelayTagBytes);
  frame.resize(frame_size);
  return frame;
}

RelayOpenResult open_into(RelayOpener& opener, const std::vector<uint8_t>& frame, CrossWorkerPacket& out) {
  std::vector<uint8_t> plain(kRelayMaxFrameBytes);
  RelayFrameType type{};
  size_t size = 0;
  RelayOpenResult result = opener.open(frame, plain, type, size);
  if (result == RelayOpenResult::kOk) {
    EXPECT_EQ(type, RelayFrameType::kSlot);
    EXPECT_TRUE(decode_relay_slot(ByteSpan(plain.data(), size), out));
  }
  return result;
}

TEST(RelayFrame, KeyAndSaltComeFromTheExportedSrtpKeyingMaterial) {
  std::vector<uint8_t> material = key_salt(1);
  RelayKey key;
  ASSERT_TRUE(relay_key_from_srtp(material, key));
  EXPECT_TRUE(std::equal(key.key.begin(), key.key.end(), material.begin()));
  EXPECT_TRUE(std::equal(key.salt.begin(), key.salt.end(), material.begin() + 16));
  // Other profiles' sizes (AES_CM_128_HMAC_SHA1_80: 16 + 14) are refused.
  std::vector<uint8_t> cm(30);
  EXPECT_FALSE(relay_key_from_srtp(cm, key));
  EXPECT_FALSE(relay_key_from_srtp({}, key));
}

TEST(RelayFrame, SlotRoundTripsAndEveryFieldSurvives) {
  RelaySealer sealer(key_a_to_b());
  RelayOpener opener(key_a_to_b());
  CrossWorkerPacket in = media_slot(CrossWorkerPacket::kMaxBytes);
  std::vector<uint8_t> frame = sealed(sealer, in);
  CrossWorkerPacket out;
  ASSERT_EQ(open_into(opener, frame, out), RelayOpenResult::kOk);
  EXPECT_EQ(out.kind, in.kind);
  EXPECT_EQ(out.layer, in.layer);
  EXPECT_EQ(out.track, in.track);
  EXPECT_EQ(out.arrival_ms, in.arrival_ms);
  EXPECT_EQ(out.ntp, in.ntp);
  EXPECT_EQ(out.rtp_timestamp, in.rtp_timestamp);
  EXPECT_EQ(out.layers, in.layers);
  ASSERT_EQ(out.size, in.size);
  EXPECT_EQ(0, std::memcmp(out.data.data(), in.data.data(), in.size));
  // The payload is encrypted: the RTP bytes do not appear in the frame.
  std::vector<uint8_t> rtp(in.data.begin() + 100, in.data.begin() + 132);
  EXPECT_EQ(std::search(frame.begin(), frame.end(), rtp.begin(), rtp.end()), frame.end());
}

TEST(RelayFrame, ConsentFrameHasNoPayload) {
  RelaySealer sealer(key_a_to_b());
  RelayOpener opener(key_a_to_b());
  std::vector<uint8_t> frame(kRelayMaxFrameBytes), plain(kRelayMaxFrameBytes);
  size_t size = sealer.seal(RelayFrameType::kConsent, {}, frame);
  ASSERT_EQ(size, kRelayHeaderBytes + kRelayTagBytes);
  RelayFrameType type{};
  size_t plain_size = 99;
  EXPECT_EQ(opener.open(ByteSpan(frame.data(), size), plain, type, plain_size), RelayOpenResult::kOk);
  EXPECT_EQ(type, RelayFrameType::kConsent);
  EXPECT_EQ(plain_size, 0u);
}

TEST(RelayFrame, AnyChangedByteFailsTheTag) {
  RelaySealer sealer(key_a_to_b());
  std::vector<uint8_t> frame = sealed(sealer, media_slot(200));
  // Every byte but the type (a changed type byte may be refused as malformed first) and the
  // sequence's (a changed sequence may look like another frame: still the tag refuses it).
  for (size_t at = 1; at < frame.size(); at += 13) {
    RelayOpener opener(key_a_to_b());
    std::vector<uint8_t> tampered = frame;
    tampered[at] ^= 0x20;
    CrossWorkerPacket out;
    EXPECT_EQ(open_into(opener, tampered, out), RelayOpenResult::kBadTag) << "byte " << at;
  }
  // The type byte is authenticated too: slot -> consent.
  RelayOpener opener(key_a_to_b());
  std::vector<uint8_t> retyped = frame;
  retyped[0] = static_cast<uint8_t>(RelayFrameType::kConsent);
  CrossWorkerPacket out;
  EXPECT_EQ(open_into(opener, retyped, out), RelayOpenResult::kBadTag);
  // And the untouched frame still opens after all those refusals.
  EXPECT_EQ(open_into(opener, frame, out), RelayOpenResult::kOk);
}

TEST(RelayFrame, WrongKeyOrSaltIsRefused) {
  RelaySealer sealer(key_a_to_b());
  std::vector<uint8_t> frame = sealed(sealer, media_slot(100));
  CrossWorkerPacket out;
  RelayOpener other_direction(key_of(2));
  EXPECT_EQ(open_into(other_direction, frame, out), RelayOpenResult::kBadTag);
  // The same key under another salt: the salt is in the nonce.
  RelayKey other_salt = key_a_to_b();
  other_salt.salt[11] ^= 0x01;
  RelayOpener salted(other_salt);
  EXPECT_EQ(open_into(salted, frame, out), RelayOpenResult::kBadTag);
  RelayOpener right(key_a_to_b());
  EXPECT_EQ(open_into(right, frame, out), RelayOpenResult::kOk);
}

TEST(RelayFrame, ANewHandshakesKeyStartsTheSequenceAndTheReplayWindowAfresh) {
  RelaySealer sealer(key_of(3));
  RelayOpener opener(key_of(3));
  CrossWorkerPacket out;
  for (int i = 0; i < 3; ++i)
    ASSERT_EQ(open_into(opener, sealed(sealer, media_slot(10)), out), RelayOpenResult::kOk);
  EXPECT_EQ(sealer.next_sequence(), 4u);
  sealer.rekey(key_a_to_b());
  EXPECT_EQ(sealer.next_sequence(), 1u);
  std::vector<uint8_t> frame = sealed(sealer, media_slot(10));
  // Under the old key it does not open (and sequence 1 was seen under it).
  EXPECT_NE(open_into(opener, frame, out), RelayOpenResult::kOk);
  opener.rekey(key_a_to_b());
  EXPECT_EQ(open_into(opener, frame, out), RelayOpenResult::kOk);
  EXPECT_EQ(open_into(opener, frame, out), RelayOpenResult::kReplay);
}

TEST(RelayFrame, ReplaysAndFramesOlderThanTheWindowAreRefused) {
  RelaySealer sealer(key_a_to_b());
  RelayOpener opener(key_a_to_b());
  CrossWorkerPacket out;
  std::vector<std::vector<uint8_t>> frames;
  for (size_t i = 0; i < RelayOpener::kReplayWindow + 10; ++i)
    frames.push_back(sealed(sealer, media_slot(20)));
  // Out of order within the window: accepted once each.
  ASSERT_EQ(open_into(opener, frames[5], out), RelayOpenResult::kOk);
  ASSERT_EQ(open_into(opener, frames[2], out), RelayOpenResult::kOk);
  EXPECT_EQ(open_into(opener, frames[5], out), RelayOpenResult::kReplay);
  EXPECT_EQ(open_into(opener, frames[2], out), RelayOpenResult::kReplay);
  EXPECT_EQ(open_into(opener, frames[3], out), RelayOpenResult::kOk);
  // The newest moves the window past the oldest ones, which are refused even if never seen.
  ASSERT_EQ(open_into(opener, frames.back(), out), RelayOpenResult::kOk);
  EXPECT_EQ(open_into(opener, frames[0], out), RelayOpenResult::kReplay);
  EXPECT_EQ(open_into(opener, frames[frames.size() - 2], out), RelayOpenResult::kOk);
}

TEST(RelayFrame, TruncatedAndMalformedFramesAreRefused) {
  RelaySealer sealer(key_a_to_b());
  std::vector<uint8_t> frame = sealed(sealer, media_slot(64));
  CrossWorkerPacket out;
  for (size_t size : {size_t{0}, size_t{1}, kRelayHeaderBytes, kRelayHeaderBytes + kRelayTagBytes - 1}) {
    RelayOpener opener(key_a_to_b());
    std::vector<uint8_t> cut(frame.begin(), frame.begin() + static_cast<std::ptrdiff_t>(size));
    EXPECT_EQ(open_into(opener, cut, out), RelayOpenResult::kMalformed) << size;
  }
  {
    // Cut inside the payload: the tag no longer matches.
    RelayOpener opener(key_a_to_b());
    std::vector<uint8_t> cut(frame.begin(), frame.end() - 5);
    EXPECT_EQ(open_into(opener, cut, out), RelayOpenResult::kBadTag);
  }
  {
    RelayOpener opener(key_a_to_b());
    std::vector<uint8_t> unknown_type = frame;
    unknown_type[0] = 9;
    EXPECT_EQ(open_into(opener, unknown_type, out), RelayOpenResult::kMalformed);
  }
  // A slot whose header does not match its length, or names an unknown kind, does not decode.
  std::vector<uint8_t> plain(kRelayMaxFrameBytes);
  size_t size = encode_relay_slot(media_slot(64), plain);
  CrossWorkerPacket decoded;
  EXPECT_TRUE(decode_relay_slot(ByteSpan(plain.data(), size), decoded));
  EXPECT_FALSE(decode_relay_slot(ByteSpan(plain.data(), size - 1), decoded));
  EXPECT_FALSE(decode_relay_slot(ByteSpan(plain.data(), kRelaySlotHeaderBytes - 1), decoded));
  plain[0] = 42;
  EXPECT_FALSE(decode_relay_slot(ByteSpan(plain.data(), size), decoded));
  // A frame buffer too small to seal into is refused (0), never overrun.
  std::vector<uint8_t> small(kRelayHeaderBytes + kRelayTagBytes + 3);
  EXPECT_EQ(sealer.seal(RelayFrameType::kSlot, ByteSpan(plain.data(), 64), small), 0u);
}

}  // namespace
}  // namespace sfu
