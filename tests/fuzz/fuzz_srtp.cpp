// SRTP/SRTCP unprotect, differentially: every input packet goes to an inbound session of each
// backend (OpenSSL's libcrypto directly, and libsrtp2) keyed alike, and both must give the same
// result, error or plaintext; a difference aborts. To reach the paths behind authentication, a
// record may first be protected by an outbound session of each backend (which must agree too)
// and then have one byte flipped.
//
// Input: one byte choosing the profile, then records of [flags][length: 2 bytes][bytes]. flags bit 0:
// RTCP instead of RTP; bit 1: protect first; bit 2: then flip the byte at offset `length` mod size.
#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

#include "rtp/srtp_session.h"

namespace {

using sfu::ByteSpan;
using sfu::rtp::SrtpBackend;
using sfu::rtp::SrtpError;
using sfu::rtp::SrtpProfile;
using sfu::rtp::SrtpSession;

struct Sessions {
  std::unique_ptr<SrtpSession> openssl;
  std::unique_ptr<SrtpSession> libsrtp;
};

Sessions make_pair(SrtpProfile profile, SrtpSession::Direction direction) {
  std::array<uint8_t, 64> key{};
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(i * 29 + 3);
  ByteSpan key_and_salt = ByteSpan(key).first(sfu::rtp::srtp_key_salt_length(profile));
  return {SrtpSession::create(SrtpBackend::OpenSsl, profile, key_and_salt, direction),
          SrtpSession::create(SrtpBackend::Libsrtp2, profile, key_and_salt, direction)};
}

// Runs one call on both backends' copies of `packet`; traps when they disagree. Returns the
// agreed outcome and leaves the result in `packet`.
template <typename Call>
SrtpError both(Sessions& sessions, std::vector<uint8_t>& packet, size_t& len, Call call) {
  std::vector<uint8_t> other = packet;
  size_t other_len = len;
  SrtpError a = call(*sessions.openssl, packet.data(), len, packet.size());
  SrtpError b = call(*sessions.libsrtp, other.data(), other_len, other.size());
  if (a != b) __builtin_trap();
  if (a == SrtpError::Ok && (len != other_len || std::memcmp(packet.data(), other.data(), len) != 0))
    __builtin_trap();
  return a;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 1) return 0;
  const SrtpProfile profile = sfu::rtp::kAllSrtpProfiles[data[0] % 4];
  Sessions sender = make_pair(profile, SrtpSession::Direction::Outbound);
  Sessions receiver = make_pair(profile, SrtpSession::Direction::Inbound);
  if (!sender.openssl || !sender.libsrtp || !receiver.openssl || !receiver.libsrtp) __builtin_trap();
  size_t pos = 1;
  while (pos + 3 <= size) {
    const uint8_t flags = data[pos];
    const size_t length = (size_t{data[pos + 1]} << 8) | data[pos + 2];
    pos += 3;
    const size_t take = length < size - pos ? length : size - pos;
    std::vector<uint8_t> packet(take + SrtpSession::kMaxRtcpTrailer);
    std::memcpy(packet.data(), data + pos, take);
    pos += take;
    size_t len = take;
    const bool rtcp = (flags & 1) != 0;
    if ((flags & 2) != 0) {
      SrtpError sealed =
          both(sender, packet, len, [rtcp](SrtpSession& s, uint8_t* b, size_t& l, size_t capacity) {
            return rtcp ? s.protect_rtcp(b, l, capacity) : s.protect_rtp(b, l, capacity);
          });
      if (sealed == SrtpError::Ok && (flags & 4) != 0 && len > 0) packet[length % len] ^= 0x5a;
    }
    both(receiver, packet, len, [rtcp](SrtpSession& s, uint8_t* b, size_t& l, size_t) {
      return rtcp ? s.unprotect_rtcp(b, l) : s.unprotect_rtp(b, l);
    });
  }
  return 0;
}
