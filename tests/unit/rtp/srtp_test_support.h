// Shared by the SRTP tests: packet buffers, keys, sessions per backend, and random RTP/RTCP
// packets shaped like real ones (CSRCs, header extensions, padding bit, any payload size).
#pragma once

#include <gtest/gtest.h>

#include <cstring>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "rtp/srtp_profile.h"
#include "rtp/srtp_session.h"

namespace sfu::rtp::test {

inline constexpr size_t kBufferSize = 1600;

struct Packet {
  std::vector<uint8_t> buf = std::vector<uint8_t>(kBufferSize, 0);
  size_t len = 0;

  static Packet of(ByteSpan bytes) {
    Packet p;
    std::memcpy(p.buf.data(), bytes.data(), bytes.size());
    p.len = bytes.size();
    return p;
  }
  ByteSpan bytes() const { return ByteSpan(buf.data(), len); }
  std::vector<uint8_t> vec() const { return std::vector<uint8_t>(buf.begin(), buf.begin() + len); }
};

inline std::vector<uint8_t> key_for(SrtpProfile profile, uint8_t seed) {
  std::vector<uint8_t> key(srtp_key_salt_length(profile));
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(seed + i * 13);
  return key;
}

inline std::unique_ptr<SrtpSession> make_session(SrtpBackend backend, SrtpProfile profile, ByteSpan key,
                                                 SrtpSession::Direction direction) {
  std::string error;
  auto session = SrtpSession::create(backend, profile, key, direction, &error);
  EXPECT_NE(session, nullptr) << srtp_backend_name(backend) << ": " << error;
  return session;
}

inline std::string profile_label(SrtpProfile profile) {
  switch (profile) {
    case SrtpProfile::AeadAes128Gcm:
      return "Gcm128";
    case SrtpProfile::AeadAes256Gcm:
      return "Gcm256";
    case SrtpProfile::AesCm128HmacSha1_80:
      return "AesCmSha1_80";
    case SrtpProfile::AesCm128HmacSha1_32:
      return "AesCmSha1_32";
  }
  return "Unknown";
}

inline std::string backend_label(SrtpBackend backend) {
  return backend == SrtpBackend::OpenSsl ? "OpenSsl" : "Libsrtp2";
}

// An RTP packet with `csrcs` CSRCs, an RFC 8285 extension block of `extension_words` 32-bit words
// when that is not negative, and `payload` bytes of payload.
inline Packet make_rtp(uint16_t seq, uint32_t ssrc, size_t csrcs, int extension_words, size_t payload,
                       uint8_t fill = 0) {
  Packet p;
  uint8_t* b = p.buf.data();
  b[0] = static_cast<uint8_t>(0x80 | (extension_words >= 0 ? 0x10 : 0) | csrcs);
  b[1] = 96;
  store_be16(b + 2, seq);
  store_be32(b + 4, 90000u * seq);
  store_be32(b + 8, ssrc);
  size_t off = 12;
  for (size_t i = 0; i < csrcs; ++i, off += 4) store_be32(b + off, 0xaaaa0000 + static_cast<uint32_t>(i));
  if (extension_words >= 0) {
    store_be16(b + off, 0xbede);
    store_be16(b + off + 2, static_cast<uint16_t>(extension_words));
    off += 4;
    for (int i = 0; i < extension_words * 4; ++i) b[off++] = static_cast<uint8_t>(0x10 + i);
  }
  for (size_t i = 0; i < payload; ++i) b[off + i] = static_cast<uint8_t>(i * 7 + seq + fill);
  p.len = off + payload;
  return p;
}

// A random RTP packet: 0-3 CSRCs (now and then 15), an extension block or not, 0-1200 payload bytes.
inline Packet random_rtp(std::mt19937& rng, uint16_t seq, uint32_t ssrc) {
  std::uniform_int_distribution<int> pick(0, 99);
  size_t csrcs = pick(rng) < 5 ? 15 : static_cast<size_t>(pick(rng) % 4);
  int extension_words = pick(rng) < 60 ? pick(rng) % 6 : -1;
  size_t payload = pick(rng) < 30 ? static_cast<size_t>(pick(rng)) : static_cast<size_t>(pick(rng) * 12);
  Packet p = make_rtp(seq, ssrc, csrcs, extension_words, payload, static_cast<uint8_t>(rng()));
  if (pick(rng) < 10) p.buf[0] |= 0x20;  // padding bit: SRTP does not care
  return p;
}

// A random RTCP packet (or compound): a valid first header from `ssrc`, then random words.
inline Packet random_rtcp(std::mt19937& rng, uint32_t ssrc) {
  Packet p;
  uint8_t* b = p.buf.data();
  std::uniform_int_distribution<int> words(1, 60);
  int count = words(rng);
  b[0] = 0x81;
  b[1] = static_cast<uint8_t>(200 + rng() % 7);
  store_be16(b + 2, static_cast<uint16_t>(count));
  store_be32(b + 4, ssrc);
  for (int i = 0; i < count * 4; ++i) b[8 + i] = static_cast<uint8_t>(rng());
  p.len = 8 + static_cast<size_t>(count) * 4;
  return p;
}

}  // namespace sfu::rtp::test
