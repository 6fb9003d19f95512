// Tests for rtp/rtp_packet.h and rtp/sequence_number.h.
//
// Fixtures (all written out here as byte arrays):
// - kChromeCapture1/2/3: Chrome video packets captured with Wireshark, headers only (the capture
//   cut the payload), as dissected in olivermichel/webrtc-analysis test/include/data.h. They use
//   an older Chrome extension numbering: 2 abs-send-time, 4 transport-wide-cc, 9 mid,
//   3 video-orientation, 6 video-content-type, 7 video-timing, 13 generic frame descriptor.
//   Capture 3 uses the two-byte form (profile 0x1000).
// - kChromeVp8: hand-assembled in the shape Chrome sends today (one-byte extensions with
//   abs-send-time id 2, transport-wide-cc id 3, mid id 4; a VP8 payload descriptor with a 15-bit
//   picture id and the start of a 640x480 key frame).
// - kChromeOpus: hand-assembled like Chrome's audio (ssrc-audio-level id 1 per RFC 6464 with the
//   voice bit set, abs-send-time 2, transport-wide-cc 3, mid 4; Opus TOC 0x78).
// - kCsrcPadding: hand-assembled mixer output with two CSRCs and 4 bytes of RTP padding.

#include "rtp/rtp_packet.h"

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "rtp/sequence_number.h"

namespace sfu::rtp {
namespace {

using Bytes = std::vector<uint8_t>;

// clang-format off
const Bytes kChromeCapture1 = {
    0x90, 0x2d, 0x1a, 0x5f, 0xd4, 0x09, 0x05, 0x49, 0xf7, 0xb1, 0x6e, 0x83,  // PT 45, seq 6751
    0xbe, 0xde, 0x00, 0x03,                                                  // one-byte, 3 words
    0x22, 0xf3, 0x43, 0x50,                                                  // id 2, abs-send-time
    0x41, 0x00, 0x9b,                                                        // id 4, transport seq 155
    0xd2, 0x81, 0x00, 0x45,                                                  // id 13, 3 bytes
    0x00,                                                                    // padding
};

const Bytes kChromeCapture2 = {
    0x90, 0xad, 0x19, 0xd4, 0xd4, 0x05, 0xe7, 0x97, 0xf7, 0xb1, 0x6e, 0x83,  // marker, seq 6612
    0xbe, 0xde, 0x00, 0x08,                                                  // one-byte, 8 words
    0x22, 0xea, 0x43, 0x2b,                                                  // id 2
    0x41, 0x00, 0x04,                                                        // id 4
    0x90, 0x30,                                                              // id 9: mid "0"
    0x30, 0x00,                                                              // id 3
    0x60, 0x02,                                                              // id 6
    0x7c, 0x01, 0x00, 0x03, 0x00, 0x09, 0x00, 0x0a, 0x00, 0x23, 0x00, 0x00, 0x00, 0x00,  // id 7
    0xd2, 0x40, 0x00, 0x01,                                                  // id 13
    0x00,                                                                    // padding
};

const Bytes kChromeCapture3 = {
    0x90, 0x2d, 0x61, 0xc5, 0x95, 0x0a, 0x0f, 0xee, 0x8d, 0x38, 0x14, 0xe5,  // seq 25029
    0x10, 0x00, 0x00, 0x11,                                                  // two-byte, 17 words
    0x02, 0x03, 0x03, 0xf7, 0xae,                                            // id 2
    0x04, 0x02, 0x00, 0x02,                                                  // id 4
    0x09, 0x01, 0x30,                                                        // id 9
    0x03, 0x01, 0x00,                                                        // id 3
    0x06, 0x01, 0x02,                                                        // id 6
    0x07, 0x0d, 0x01, 0x00, 0x01, 0x00, 0x07, 0x00, 0x07, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x00,  // id 7
    0x0d, 0x21, 0xc0, 0x00, 0x01, 0x80, 0x03, 0x18, 0x7a, 0xaa, 0xf1, 0x30, 0xa0, 0xa0, 0x14,  // id 13,
    0xd1, 0x41, 0x38, 0x23, 0x04, 0x60, 0x08, 0x64, 0x22, 0x22, 0x26, 0x50, 0x09, 0xf0, 0x07,  // 33 bytes
    0x70, 0x13, 0xf0, 0x0e, 0xf0,
};

const Bytes kChromeVp8 = {
    0x90, 0x60, 0x1b, 0x3f, 0x5e, 0x2c, 0x6a, 0x10, 0x4f, 0x2b, 0x1a, 0x9c,  // PT 96, seq 6975
    0xbe, 0xde, 0x00, 0x03,                                                  // one-byte, 3 words
    0x22, 0x4c, 0x2b, 0x8e,                                                  // id 2 abs-send-time
    0x31, 0x01, 0x2c,                                                        // id 3 transport seq 300
    0x40, 0x30,                                                              // id 4 mid "0"
    0x00, 0x00, 0x00,                                                        // padding
    0x90, 0x80, 0x9c, 0x3f,                                                  // VP8 descriptor, pic id
    0x50, 0x42, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01,              // key frame 640x480
    0x39, 0x6b, 0x00, 0x27, 0x1c, 0x24, 0x0c, 0x2c,
};

const Bytes kChromeOpus = {
    0x90, 0x6f, 0x3a, 0x1c, 0x00, 0x01, 0xe2, 0x40, 0x2a, 0x3b, 0x4c, 0x5d,  // PT 111, seq 14876
    0xbe, 0xde, 0x00, 0x03,                                                  // one-byte, 3 words
    0x10, 0xa2,                                                              // id 1: voice, -34 dBov
    0x22, 0x0f, 0x11, 0x22,                                                  // id 2 abs-send-time
    0x31, 0x00, 0x07,                                                        // id 3 transport seq 7
    0x40, 0x30,                                                              // id 4 mid "0"
    0x00,                                                                    // padding
    0x78, 0x0b, 0xe4, 0xc1, 0x36, 0xec, 0xc5, 0x8d, 0x8c, 0x49, 0x46, 0x99,  // Opus
};

const Bytes kCsrcPadding = {
    0xa2, 0x80, 0xff, 0xff, 0x00, 0x00, 0x03, 0xe8, 0x00, 0x00, 0x00, 0x01,  // P, CC=2, M, PT 0
    0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x00, 0x0b,                          // CSRCs 10, 11
    0xde, 0xad, 0xbe, 0xef,                                                  // payload
    0x00, 0x00, 0x00, 0x04,                                                  // padding
};
// clang-format on

std::vector<const Bytes*> all_fixtures() {
  return {&kChromeCapture1, &kChromeCapture2, &kChromeCapture3, &kChromeVp8, &kChromeOpus, &kCsrcPadding};
}

std::vector<uint8_t> ids_of(const RtpPacket& packet) {
  std::vector<uint8_t> ids;
  for (const HeaderExtension& e : packet.extensions()) ids.push_back(e.id);
  return ids;
}

Bytes to_bytes(ByteSpan span) { return Bytes(span.begin(), span.end()); }

// Touches everything a parsed packet exposes; under ASan any read past the buffer fails the test.
void exercise(RtpPacket& packet, std::mt19937& rng) {
  ASSERT_LE(packet.header_size() + packet.padding_size(), packet.size());
  unsigned sum = packet.version() + packet.payload_type() + packet.sequence_number() + packet.timestamp() +
                 packet.ssrc() + packet.extension_profile();
  for (size_t i = 0; i < packet.csrc_count(); ++i) sum += packet.csrc(i);
  for (uint8_t b : packet.payload()) sum += b;
  for (const HeaderExtension& e : packet.extensions()) {
    for (uint8_t b : e.value) sum += b;
  }
  for (int id = 0; id < 256; id += 17) {
    sum += packet.find_extension(static_cast<uint8_t>(id)).has_value();
    sum += packet.abs_send_time(static_cast<uint8_t>(id)).value_or(0);
    sum += packet.transport_sequence_number(static_cast<uint8_t>(id)).value_or(0);
    sum += packet.audio_level(static_cast<uint8_t>(id)).has_value();
    sum += static_cast<unsigned>(packet.mid(static_cast<uint8_t>(id)).value_or("").size());
    packet.set_abs_send_time(static_cast<uint8_t>(id), 1);
  }
  std::array<uint8_t, 256> map;
  for (auto& m : map) m = static_cast<uint8_t>(rng());
  packet.remap_extension_ids(map);
  for (const HeaderExtension& e : packet.extensions()) sum += e.id;
  Bytes rtx(packet.size() + 2);
  const size_t rtx_size = build_rtx(packet, 97, 5, 6, rtx);
  ASSERT_EQ(rtx_size, packet.header_size() + 2 + packet.payload_size());
  rtx.resize(rtx_size);
  auto parsed_rtx = RtpPacket::parse(rtx);
  ASSERT_TRUE(parsed_rtx.has_value());
  Bytes restored(rtx_size);
  EXPECT_EQ(unwrap_rtx(*parsed_rtx, 96, 7, restored), rtx_size - 2);
  (void)sum;
}

// --- sequence numbers -------------------------------------------------------------------------

TEST(SequenceNumber, NewerAcrossWrap) {
  EXPECT_TRUE(seq_newer(1, 0));
  EXPECT_FALSE(seq_newer(0, 1));
  EXPECT_FALSE(seq_newer(5, 5));
  EXPECT_TRUE(seq_newer(0, 65535));
  EXPECT_FALSE(seq_newer(65535, 0));
  EXPECT_TRUE(seq_newer(100, 65000));
  // Exactly half apart: the larger value wins, so the relation stays antisymmetric.
  EXPECT_TRUE(seq_newer(0x8000, 0));
  EXPECT_FALSE(seq_newer(0, 0x8000));
  EXPECT_TRUE(timestamp_newer(5, 0xFFFFFFF0u));
  EXPECT_FALSE(timestamp_newer(0xFFFFFFF0u, 5));
}

TEST(SequenceNumber, Distance) {
  EXPECT_EQ(seq_distance(10, 15), 5);
  EXPECT_EQ(seq_distance(15, 10), -5);
  EXPECT_EQ(seq_distance(65535, 1), 2);
  EXPECT_EQ(seq_distance(1, 65535), -2);
  EXPECT_EQ(seq_distance(0, 0x7FFF), 0x7FFF);
  EXPECT_EQ(seq_distance(0, 0x8000), -32768);
}

TEST(SequenceNumber, UnwrapsForwardAcrossWraps) {
  SequenceNumberUnwrapper unwrapper;
  EXPECT_EQ(unwrapper.unwrap(65534), 65534);
  EXPECT_EQ(unwrapper.unwrap(65535), 65535);
  EXPECT_EQ(unwrapper.unwrap(0), 65536);
  EXPECT_EQ(unwrapper.unwrap(1), 65537);
  EXPECT_EQ(unwrapper.unwrap(65535), 65535);  // reordered, from before the wrap
  EXPECT_EQ(unwrapper.highest(), 65537);
  int64_t expected = 65537;
  uint16_t seq = 1;
  for (int i = 0; i < 1000; ++i) {  // ~15 more wraps in steps of 1000
    seq = static_cast<uint16_t>(seq + 1000);
    expected += 1000;
    ASSERT_EQ(unwrapper.unwrap(seq), expected);
  }
}

TEST(SequenceNumber, UnwrapBeforeFirstIsNegative) {
  SequenceNumberUnwrapper unwrapper;
  EXPECT_EQ(unwrapper.unwrap(0), 0);
  EXPECT_EQ(unwrapper.unwrap(65535), -1);
  EXPECT_EQ(unwrapper.peek(2), 2);
  EXPECT_EQ(unwrapper.highest(), 0);
  unwrapper.reset();
  EXPECT_FALSE(unwrapper.has_value());
  EXPECT_EQ(unwrapper.unwrap(40000), 40000);
}

TEST(SequenceNumber, TimestampUnwrap) {
  TimestampUnwrapper unwrapper;
  EXPECT_EQ(unwrapper.unwrap(0xFFFFFFF0u), 0xFFFFFFF0ll);
  EXPECT_EQ(unwrapper.unwrap(0x10), 0x100000010ll);
  EXPECT_EQ(unwrapper.unwrap(0xFFFFFFFFu), 0xFFFFFFFFll);
}

// --- parsing ----------------------------------------------------------------------------------

TEST(RtpPacket, ParsesChromeVp8WithOneByteExtensions) {
  Bytes buffer = kChromeVp8;
  auto packet = RtpPacket::parse(buffer);
  ASSERT_TRUE(packet.has_value());
  EXPECT_EQ(packet->version(), 2);
  EXPECT_FALSE(packet->has_padding());
  EXPECT_TRUE(packet->has_extension());
  EXPECT_FALSE(packet->marker());
  EXPECT_EQ(packet->payload_type(), 96);
  EXPECT_EQ(packet->sequence_number(), 6975);
  EXPECT_EQ(packet->timestamp(), 0x5e2c6a10u);
  EXPECT_EQ(packet->ssrc(), 0x4f2b1a9cu);
  EXPECT_EQ(packet->csrc_count(), 0);
  EXPECT_EQ(packet->extension_profile(), 0xBEDE);
  EXPECT_EQ(packet->extension_form(), HeaderExtensionForm::kOneByte);
  EXPECT_EQ(packet->extension_data().size(), 12u);
  EXPECT_EQ(packet->header_size(), 28u);
  EXPECT_EQ(packet->payload_size(), kChromeVp8.size() - 28);
  EXPECT_EQ(packet->payload()[0], 0x90);
  EXPECT_EQ(ids_of(*packet), (std::vector<uint8_t>{2, 3, 4}));
  EXPECT_EQ(packet->abs_send_time(2), 0x4c2b8eu);
  EXPECT_EQ(packet->transport_sequence_number(3), 300);
  EXPECT_EQ(packet->mid(4), "0");
  EXPECT_FALSE(packet->find_extension(5).has_value());
  EXPECT_FALSE(packet->find_extension(0).has_value());
  EXPECT_FALSE(packet->abs_send_time(3).has_value());  // wrong size
}

TEST(RtpPacket, ParsesChromeCaptureWithoutPayload) {
  Bytes buffer = kChromeCapture1;
  auto packet = RtpPacket::parse(buffer);
  ASSERT_TRUE(packet.has_value());
  EXPECT_EQ(packet->payload_type(), 45);
  EXPECT_EQ(packet->sequence_number(), 6751);
  EXPECT_EQ(packet->timestamp(), 3557360969u);
  EXPECT_EQ(packet->ssrc(), 0xf7b16e83u);
  EXPECT_EQ(packet->payload_size(), 0u);
  EXPECT_EQ(ids_of(*packet), (std::vector<uint8_t>{2, 4, 13}));
  EXPECT_EQ(packet->abs_send_time(2), 0xf34350u);
  EXPECT_EQ(packet->transport_sequence_number(4), 155);
  EXPECT_EQ(to_bytes(*packet->find_extension(13)), (Bytes{0x81, 0x00, 0x45}));
}

TEST(RtpPacket, ParsesChromeCaptureWithSevenExtensions) {
  Bytes buffer = kChromeCapture2;
  auto packet = RtpPacket::parse(buffer);
  ASSERT_TRUE(packet.has_value());
  EXPECT_TRUE(packet->marker());
  EXPECT_EQ(packet->sequence_number(), 6612);
  EXPECT_EQ(packet->timestamp(), 3557156759u);
  EXPECT_EQ(ids_of(*packet), (std::vector<uint8_t>{2, 4, 9, 3, 6, 7, 13}));
  EXPECT_EQ(packet->mid(9), "0");
  EXPECT_EQ(packet->transport_sequence_number(4), 4);
  EXPECT_EQ(packet->find_extension(7)->size(), 13u);
  EXPECT_EQ(packet->find_extension(6)->size(), 1u);
}

TEST(RtpPacket, ParsesChromeCaptureWithTwoByteExtensions) {
  Bytes buffer = kChromeCapture3;
  auto packet = RtpPacket::parse(buffer);
  ASSERT_TRUE(packet.has_value());
  EXPECT_EQ(packet->extension_form(), HeaderExtensionForm::kTwoByte);
  EXPECT_EQ(packet->sequence_number(), 25029);
  EXPECT_EQ(packet->timestamp(), 2500464622u);
  EXPECT_EQ(packet->header_size(), kChromeCapture3.size());
  EXPECT_EQ(ids_of(*packet), (std::vector<uint8_t>{2, 4, 9, 3, 6, 7, 13}));
  EXPECT_EQ(packet->abs_send_time(2), 0x03f7aeu);
  EXPECT_EQ(packet->transport_sequence_number(4), 2);
  EXPECT_EQ(packet->mid(9), "0");
  EXPECT_EQ(packet->find_extension(13)->size(), 33u);
  EXPECT_EQ(packet->find_extension(13)->back(), 0xf0);
}

TEST(RtpPacket, ParsesOpusWithAudioLevel) {
  Bytes buffer = kChromeOpus;
  auto packet = RtpPacket::parse(buffer);
  ASSERT_TRUE(packet.has_value());
  EXPECT_EQ(packet->payload_type(), 111);
  EXPECT_EQ(packet->timestamp(), 123456u);
  auto level = packet->audio_level(1);
  ASSERT_TRUE(level.has_value());
  EXPECT_TRUE(level->voice);
  EXPECT_EQ(level->level, 34);
  EXPECT_EQ(packet->transport_sequence_number(3), 7);
  EXPECT_EQ(packet->payload()[0], 0x78);
  EXPECT_EQ(packet->payload_size(), 12u);
}

TEST(RtpPacket, ParsesCsrcsAndPadding) {
  Bytes buffer = kCsrcPadding;
  auto packet = RtpPacket::parse(buffer);
  ASSERT_TRUE(packet.has_value());
  EXPECT_TRUE(packet->marker());
  EXPECT_EQ(packet->payload_type(), 0);
  EXPECT_EQ(packet->sequence_number(), 65535);
  EXPECT_EQ(packet->csrc_count(), 2);
  EXPECT_EQ(packet->csrc(0), 10u);
  EXPECT_EQ(packet->csrc(1), 11u);
  EXPECT_EQ(packet->extension_form(), HeaderExtensionForm::kNone);
  EXPECT_EQ(packet->header_size(), 20u);
  EXPECT_EQ(packet->padding_size(), 4u);
  EXPECT_EQ(to_bytes(packet->payload()), (Bytes{0xde, 0xad, 0xbe, 0xef}));
}

TEST(RtpPacket, RejectsMalformedHeaders) {
  auto parse_error = [](Bytes bytes) {
    RtpParseError error{};
    EXPECT_FALSE(RtpPacket::parse(bytes, &error).has_value());
    return error;
  };
  EXPECT_EQ(parse_error({}), RtpParseError::kTooShort);
  EXPECT_EQ(parse_error(Bytes(11, 0x80)), RtpParseError::kTooShort);
  Bytes v1 = kChromeVp8;
  v1[0] = 0x50;
  EXPECT_EQ(parse_error(v1), RtpParseError::kBadVersion);
  Bytes csrcs(12 + 4 * 14, 0);
  csrcs[0] = 0x8F;  // 15 CSRCs, room for 14
  EXPECT_EQ(parse_error(csrcs), RtpParseError::kBadCsrcCount);
  Bytes long_block = kChromeCapture1;
  long_block[15] = 4;  // 4 words, 3 present
  EXPECT_EQ(parse_error(long_block), RtpParseError::kBadExtension);
  Bytes long_element = kChromeCapture1;
  long_element[23] = 0xd5;  // id 13 with 6 bytes: runs past the block
  EXPECT_EQ(parse_error(long_element), RtpParseError::kBadExtension);
  Bytes two_byte = kChromeCapture3;
  two_byte[two_byte.size() - 34] = 0x22;  // id 13 length 34 instead of 33
  EXPECT_EQ(parse_error(two_byte), RtpParseError::kBadExtension);
  Bytes zero_padding = kCsrcPadding;
  zero_padding.back() = 0;
  EXPECT_EQ(parse_error(zero_padding), RtpParseError::kBadPadding);
  Bytes big_padding = kCsrcPadding;
  big_padding.back() = 9;  // payload 4 + padding 4 = 8 bytes after the header
  EXPECT_EQ(parse_error(big_padding), RtpParseError::kBadPadding);
  Bytes padding_no_room(kCsrcPadding.begin(), kCsrcPadding.begin() + 20);
  EXPECT_EQ(parse_error(padding_no_room), RtpParseError::kBadPadding);
  EXPECT_STREQ(to_string(RtpParseError::kBadPadding), "bad padding");
}

TEST(RtpPacket, PaddingMayCoverTheWholePayload) {
  Bytes buffer = kCsrcPadding;
  buffer.back() = 8;
  auto packet = RtpPacket::parse(buffer);
  ASSERT_TRUE(packet.has_value());
  EXPECT_EQ(packet->payload_size(), 0u);
  EXPECT_EQ(packet->padding_size(), 8u);
}

TEST(RtpPacket, OneByteIdFifteenStopsProcessing) {
  Bytes buffer = {0x90, 0x60, 0,    1,    0,   0, 0, 1, 0, 0, 0, 1,  // header
                  0xbe, 0xde, 0x00, 0x02,                            // 2 words
                  0x10, 0xaa,                                        // id 1
                  0xf0,                                              // id 15: stop
                  0x2f, 0xff, 0xff, 0xff, 0xff};                     // would run past the block
  auto packet = RtpPacket::parse(buffer);
  ASSERT_TRUE(packet.has_value());
  EXPECT_EQ(ids_of(*packet), (std::vector<uint8_t>{1}));
}

TEST(RtpPacket, OtherProfilesAreOpaque) {
  Bytes buffer = {0x90, 0x60, 0,    1,    0,    0,    0,    1,    0,    0,   0,
                  1,    0xab, 0xcd, 0x00, 0x01, 0xff, 0xff, 0xff, 0xff, 0x42};
  auto packet = RtpPacket::parse(buffer);
  ASSERT_TRUE(packet.has_value());
  EXPECT_EQ(packet->extension_form(), HeaderExtensionForm::kOther);
  EXPECT_EQ(packet->extension_data().size(), 4u);
  EXPECT_TRUE(ids_of(*packet).empty());
  EXPECT_EQ(packet->payload_size(), 1u);
}

TEST(RtpPacket, EveryTruncationIsRejectedOrSafe) {
  std::mt19937 rng(1);
  for (const Bytes* fixture : all_fixtures()) {
    Bytes full = *fixture;
    const size_t header_size = RtpPacket::parse(full)->header_size();
    for (size_t length = 0; length < fixture->size(); ++length) {
      Bytes cut(fixture->begin(), fixture->begin() + static_cast<std::ptrdiff_t>(length));
      auto packet = RtpPacket::parse(cut);
      if (length < header_size) {
        EXPECT_FALSE(packet.has_value()) << "length " << length;
      }
      if (packet) exercise(*packet, rng);
    }
  }
}

// --- rewriting --------------------------------------------------------------------------------

TEST(RtpPacket, RewritesHeaderFieldsInPlace) {
  Bytes buffer = kChromeCapture2;
  auto packet = RtpPacket::parse(buffer);
  ASSERT_TRUE(packet.has_value());
  packet->set_ssrc(0x01020304);
  packet->set_sequence_number(0xfffe);
  packet->set_timestamp(0xa0b0c0d0);
  packet->set_payload_type(100);
  EXPECT_TRUE(packet->marker());  // untouched by set_payload_type
  packet->set_marker(false);
  EXPECT_EQ(packet->payload_type(), 100);  // untouched by set_marker
  auto again = RtpPacket::parse(buffer);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->ssrc(), 0x01020304u);
  EXPECT_EQ(again->sequence_number(), 0xfffe);
  EXPECT_EQ(again->timestamp(), 0xa0b0c0d0u);
  EXPECT_EQ(again->payload_type(), 100);
  EXPECT_FALSE(again->marker());
  EXPECT_TRUE(std::equal(buffer.begin() + 12, buffer.end(), kChromeCapture2.begin() + 12));
}

TEST(RtpPacket, RewritesExtensionValuesInPlace) {
  Bytes buffer = kChromeVp8;
  auto packet = RtpPacket::parse(buffer);
  ASSERT_TRUE(packet.has_value());
  EXPECT_TRUE(packet->set_abs_send_time(2, 0x12345678));  // only 24 bits are kept
  EXPECT_FALSE(packet->set_abs_send_time(3, 1));          // 2-byte element
  EXPECT_EQ(packet->abs_send_time(2), 0x345678u);
  EXPECT_EQ(packet->mid(4), "0");
  EXPECT_EQ(to_bytes(packet->payload()), Bytes(kChromeVp8.begin() + 28, kChromeVp8.end()));
}

std::array<uint8_t, 256> identity_map() {
  std::array<uint8_t, 256> map;
  for (size_t i = 0; i < map.size(); ++i) map[i] = static_cast<uint8_t>(i);
  return map;
}

TEST(RtpPacket, RemapsOneByteExtensionIds) {
  Bytes buffer = kChromeCapture2;
  auto packet = RtpPacket::parse(buffer);
  ASSERT_TRUE(packet.has_value());
  auto map = identity_map();
  map[2] = 5;   // abs-send-time moves
  map[4] = 3;   // transport-cc takes video-orientation's old id
  map[3] = 0;   // video-orientation removed
  map[7] = 15;  // not expressible in the one-byte form: removed
  map[13] = 1;
  packet->remap_extension_ids(map);
  auto again = RtpPacket::parse(buffer);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(ids_of(*again), (std::vector<uint8_t>{5, 3, 9, 6, 1}));
  EXPECT_EQ(again->abs_send_time(5), 0xea432bu);
  EXPECT_EQ(again->transport_sequence_number(3), 4);
  EXPECT_EQ(to_bytes(*again->find_extension(1)), (Bytes{0x40, 0x00, 0x01}));
  EXPECT_EQ(buffer.size(), kChromeCapture2.size());
  EXPECT_EQ(buffer[25], 0);  // the removed id 3 element became padding
  EXPECT_EQ(buffer[26], 0);
}

TEST(RtpPacket, RemapsTwoByteExtensionIds) {
  Bytes buffer = kChromeCapture3;
  auto packet = RtpPacket::parse(buffer);
  ASSERT_TRUE(packet.has_value());
  auto map = identity_map();
  map[13] = 200;
  map[2] = 0;
  packet->remap_extension_ids(map);
  auto again = RtpPacket::parse(buffer);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(ids_of(*again), (std::vector<uint8_t>{4, 9, 3, 6, 7, 200}));
  EXPECT_EQ(again->find_extension(200)->size(), 33u);
  EXPECT_FALSE(again->abs_send_time(2).has_value());
}

TEST(RtpPacket, IdentityRemapChangesNothing) {
  for (const Bytes* fixture : all_fixtures()) {
    Bytes buffer = *fixture;
    auto packet = RtpPacket::parse(buffer);
    ASSERT_TRUE(packet.has_value());
    packet->remap_extension_ids(identity_map());
    EXPECT_EQ(buffer, *fixture);
  }
}

// --- building ---------------------------------------------------------------------------------

TEST(RtpPacketBuilder, ReproducesChromeVp8Packet) {
  const uint8_t abs_send_time[] = {0x4c, 0x2b, 0x8e};
  const uint8_t transport_seq[] = {0x01, 0x2c};
  const uint8_t mid[] = {'0'};
  const HeaderExtension extensions[] = {{2, abs_send_time}, {3, transport_seq}, {4, mid}};
  RtpHeaderFields fields;
  fields.payload_type = 96;
  fields.sequence_number = 6975;
  fields.timestamp = 0x5e2c6a10;
  fields.ssrc = 0x4f2b1a9c;
  const ByteSpan payload(kChromeVp8.data() + 28, kChromeVp8.size() - 28);
  Bytes out(kChromeVp8.size());
  ASSERT_EQ(build_rtp_packet(fields, extensions, payload, 0, out), kChromeVp8.size());
  EXPECT_EQ(out, kChromeVp8);
  for (size_t size = 0; size < kChromeVp8.size(); ++size) {
    Bytes small(size);
    EXPECT_EQ(build_rtp_packet(fields, extensions, payload, 0, small), 0u) << size;
  }
}

TEST(RtpPacketBuilder, PicksTwoByteFormWhenNeeded) {
  const uint8_t long_value[20] = {1, 2, 3};
  const HeaderExtension extensions[] = {{1, ByteSpan()}, {20, long_value}};
  const uint32_t csrcs[] = {0xaabbccdd};
  RtpHeaderFields fields{true, 127, 1, 2, 3, csrcs};
  Bytes out(100);
  const size_t header_size = write_rtp_header(fields, extensions, out);
  ASSERT_EQ(header_size, 12u + 4 + 4 + 24);  // 2 + 0 + 2 + 20 = 24 bytes of elements
  out.resize(header_size);
  auto packet = RtpPacket::parse(out);
  ASSERT_TRUE(packet.has_value());
  EXPECT_EQ(packet->extension_form(), HeaderExtensionForm::kTwoByte);
  EXPECT_EQ(packet->csrc(0), 0xaabbccddu);
  EXPECT_TRUE(packet->marker());
  EXPECT_EQ(packet->payload_type(), 127);
  EXPECT_EQ(ids_of(*packet), (std::vector<uint8_t>{1, 20}));
  EXPECT_TRUE(packet->find_extension(1)->empty());
  EXPECT_EQ(packet->find_extension(20)->size(), 20u);
}

TEST(RtpPacketBuilder, RejectsUnencodableFields) {
  Bytes out(2000);
  const uint8_t value[1] = {0};
  const HeaderExtension id_zero[] = {{0, value}};
  EXPECT_EQ(write_rtp_header({}, id_zero, out), 0u);
  const std::vector<uint8_t> huge(256, 1);
  const HeaderExtension too_long[] = {{1, huge}};
  EXPECT_EQ(write_rtp_header({}, too_long, out), 0u);
  RtpHeaderFields bad_pt;
  bad_pt.payload_type = 128;
  EXPECT_EQ(write_rtp_header(bad_pt, {}, out), 0u);
  const uint32_t csrcs[16] = {};
  RtpHeaderFields too_many_csrcs;
  too_many_csrcs.csrcs = csrcs;
  EXPECT_EQ(write_rtp_header(too_many_csrcs, {}, out), 0u);
  EXPECT_EQ(build_rtp_packet({}, {}, {}, 256, out), 0u);
}

TEST(RtpPacketBuilder, WritesPaddingAndMovesPayloadInPlace) {
  Bytes buffer(64, 0);
  const Bytes payload = {1, 2, 3, 4, 5};
  std::copy(payload.begin(), payload.end(), buffer.begin());  // payload at the start of `out`
  RtpHeaderFields fields;
  fields.ssrc = 9;
  const size_t size = build_rtp_packet(fields, {}, ByteSpan(buffer.data(), payload.size()), 7, buffer);
  ASSERT_EQ(size, 12u + 5 + 7);
  buffer.resize(size);
  auto packet = RtpPacket::parse(buffer);
  ASSERT_TRUE(packet.has_value());
  EXPECT_TRUE(packet->has_padding());
  EXPECT_EQ(packet->padding_size(), 7u);
  EXPECT_EQ(to_bytes(packet->payload()), payload);
}

TEST(RtpRtx, BuildsAndUnwrapsRetransmission) {
  Bytes original = kChromeVp8;
  auto packet = RtpPacket::parse(original);
  ASSERT_TRUE(packet.has_value());
  Bytes rtx(original.size() + 2);
  ASSERT_EQ(build_rtx(*packet, 97, 0xcafe, 500, rtx), original.size() + 2);
  auto rtx_packet = RtpPacket::parse(rtx);
  ASSERT_TRUE(rtx_packet.has_value());
  EXPECT_EQ(rtx_packet->payload_type(), 97);
  EXPECT_EQ(rtx_packet->ssrc(), 0xcafeu);
  EXPECT_EQ(rtx_packet->sequence_number(), 500);
  EXPECT_EQ(rtx_packet->timestamp(), packet->timestamp());
  EXPECT_EQ(rtx_packet->transport_sequence_number(3), 300);
  EXPECT_EQ(load_be16(rtx_packet->payload().data()), 6975);
  EXPECT_TRUE(
      std::equal(packet->payload().begin(), packet->payload().end(), rtx_packet->payload().begin() + 2));

  Bytes restored(rtx.size());
  const size_t restored_size = unwrap_rtx(*rtx_packet, 96, 0x4f2b1a9c, restored);
  restored.resize(restored_size);
  EXPECT_EQ(restored, kChromeVp8);

  for (size_t size = 0; size < rtx.size(); ++size) {
    Bytes small(size);
    EXPECT_EQ(build_rtx(*packet, 97, 1, 1, small), 0u);
  }
}

TEST(RtpRtx, WorksInPlaceAndDropsPadding) {
  Bytes buffer = kCsrcPadding;  // 4 bytes of payload, 4 of padding: room for the 2-byte OSN
  auto packet = RtpPacket::parse(buffer);
  ASSERT_TRUE(packet.has_value());
  const size_t rtx_size = build_rtx(*packet, 98, 77, 1, buffer);
  ASSERT_EQ(rtx_size, 20u + 2 + 4);
  Bytes rtx(buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(rtx_size));
  auto rtx_packet = RtpPacket::parse(rtx);
  ASSERT_TRUE(rtx_packet.has_value());
  EXPECT_FALSE(rtx_packet->has_padding());
  EXPECT_TRUE(rtx_packet->marker());
  EXPECT_EQ(rtx_packet->csrc(1), 11u);
  EXPECT_EQ(to_bytes(rtx_packet->payload()), (Bytes{0xff, 0xff, 0xde, 0xad, 0xbe, 0xef}));

  const size_t restored_size = unwrap_rtx(*rtx_packet, 0, 1, rtx);  // in place again
  ASSERT_EQ(restored_size, 24u);
  rtx.resize(restored_size);
  auto restored = RtpPacket::parse(rtx);
  ASSERT_TRUE(restored.has_value());
  EXPECT_EQ(restored->sequence_number(), 65535);
  EXPECT_EQ(to_bytes(restored->payload()), (Bytes{0xde, 0xad, 0xbe, 0xef}));
}

TEST(RtpRtx, RejectsRtxPayloadWithoutOriginalSequence) {
  Bytes buffer = kChromeCapture1;  // no payload at all
  auto packet = RtpPacket::parse(buffer);
  ASSERT_TRUE(packet.has_value());
  Bytes out(100);
  EXPECT_EQ(unwrap_rtx(*packet, 96, 1, out), 0u);
}

// --- robustness -------------------------------------------------------------------------------

TEST(RtpPacket, RandomInputNeverCrashes) {
  std::mt19937 rng(0x5eed);
  for (int iteration = 0; iteration < 4000; ++iteration) {
    Bytes bytes(rng() % 200);
    for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng());
    if (!bytes.empty() && iteration % 2 == 0) bytes[0] = static_cast<uint8_t>(0x80 | (bytes[0] & 0x3F));
    if (bytes.size() > 13 && iteration % 4 == 0) {  // aim at the extension parser
      bytes[0] |= 0x10;
      bytes[12] = 0xbe;
      bytes[13] = 0xde;
    }
    auto packet = RtpPacket::parse(bytes);
    if (packet) exercise(*packet, rng);
  }
}

TEST(RtpPacket, MutatedFixturesNeverCrash) {
  std::mt19937 rng(42);
  const auto fixtures = all_fixtures();
  size_t parsed = 0;
  for (int iteration = 0; iteration < 4000; ++iteration) {
    Bytes bytes = *fixtures[rng() % fixtures.size()];
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < flips; ++i) bytes[rng() % bytes.size()] ^= static_cast<uint8_t>(1u << (rng() % 8));
    auto packet = RtpPacket::parse(bytes);
    if (packet) {
      ++parsed;
      exercise(*packet, rng);
    }
  }
  EXPECT_GT(parsed, 100u);  // the mutations must reach the accessors, not just the checks
}

}  // namespace
}  // namespace sfu::rtp
