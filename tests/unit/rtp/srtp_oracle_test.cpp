// The OpenSSL backend against libsrtp2, the oracle: randomized streams (several SSRCs, sequence
// numbers wrapping past 65535 so the ROC advances, jumps, retransmissions, RTCP) protected by both
// must come out byte for byte the same; delivered with losses, reordering, duplicates, stale
// packets, tampering and truncation, both must unprotect them to the same plaintext or refuse them
// with the same SrtpError. Every profile, several seeds.
#include <gtest/gtest.h>

#include <algorithm>
#include <deque>
#include <map>
#include <random>
#include <tuple>

#include "tests/unit/rtp/srtp_test_support.h"

namespace sfu::rtp {
namespace {

using namespace test;
using Direction = SrtpSession::Direction;

struct Outcome {
  SrtpError error;
  std::vector<uint8_t> bytes;  // the packet after the call, when it succeeded
};

bool operator==(const Outcome& a, const Outcome& b) { return a.error == b.error && a.bytes == b.bytes; }

std::ostream& operator<<(std::ostream& out, const Outcome& o) {
  return out << srtp_error_name(o.error) << " (" << o.bytes.size() << " bytes)";
}

enum class Op { ProtectRtp, ProtectRtcp, UnprotectRtp, UnprotectRtcp };

Outcome run(SrtpSession& session, Op op, const Packet& input) {
  Packet p = input;
  SrtpError error = SrtpError::Other;
  switch (op) {
    case Op::ProtectRtp:
      error = session.protect_rtp(p.buf.data(), p.len, p.buf.size());
      break;
    case Op::ProtectRtcp:
      error = session.protect_rtcp(p.buf.data(), p.len, p.buf.size());
      break;
    case Op::UnprotectRtp:
      error = session.unprotect_rtp(p.buf.data(), p.len);
      break;
    case Op::UnprotectRtcp:
      error = session.unprotect_rtcp(p.buf.data(), p.len);
      break;
  }
  if (error != SrtpError::Ok) return {error, {}};
  return {error, p.vec()};
}

// One direction on both backends, keyed alike.
struct Pair {
  std::unique_ptr<SrtpSession> openssl;
  std::unique_ptr<SrtpSession> libsrtp;

  Pair(SrtpProfile profile, ByteSpan key, Direction direction)
      : openssl(make_session(SrtpBackend::OpenSsl, profile, key, direction)),
        libsrtp(make_session(SrtpBackend::Libsrtp2, profile, key, direction)) {}

  // Runs `op` on both and requires the same outcome; returns it.
  Outcome both(Op op, const Packet& input, const std::string& what) {
    Outcome a = run(*openssl, op, input);
    Outcome b = run(*libsrtp, op, input);
    EXPECT_EQ(a, b) << what << ": openssl " << a << ", libsrtp2 " << b;
    return a;
  }
};

struct Sent {
  bool rtcp;
  Packet plain;
  Packet wire;
};

class SrtpOracleTest : public ::testing::TestWithParam<std::tuple<SrtpProfile, unsigned>> {
 protected:
  SrtpProfile profile() const { return std::get<0>(GetParam()); }
  unsigned seed() const { return std::get<1>(GetParam()); }

  std::vector<uint8_t> key = key_for(profile(), static_cast<uint8_t>(seed()));
  Pair sender{profile(), key, Direction::Outbound};
  Pair receiver{profile(), key, Direction::Inbound};
  std::mt19937 rng{seed()};

  int percent() { return std::uniform_int_distribution<int>(0, 99)(rng); }
};

INSTANTIATE_TEST_SUITE_P(Profiles, SrtpOracleTest,
                         ::testing::Combine(::testing::ValuesIn(kAllSrtpProfiles),
                                            ::testing::Values(1u, 2u, 3u)),
                         [](const auto& info) {
                           return profile_label(std::get<0>(info.param)) + "_Seed" +
                                  std::to_string(std::get<1>(info.param));
                         });

// Sends ~6,000 packets on 4 SSRCs (one also sends RTCP only), one starting just below the wrap,
// with gaps, big jumps and retransmissions, through a channel that loses, reorders, duplicates,
// holds back, tampers with and truncates packets.
TEST_P(SrtpOracleTest, RandomStreamsProtectAndUnprotectAlike) {
  ASSERT_TRUE(sender.openssl && sender.libsrtp && receiver.openssl && receiver.libsrtp);
  struct Stream {
    uint32_t ssrc;
    uint16_t next;
  };
  std::vector<Stream> streams = {{0x11111111, 65535 - 700},
                                 {0x22222222, static_cast<uint16_t>(rng())},
                                 {0xcafebabe, 0},
                                 {0x01020304, 32000}};
  const uint32_t rtcp_only_ssrc = 0x0badcafe;
  std::vector<Sent> history;  // everything protected, for retransmissions and stale deliveries
  std::deque<Sent> in_flight;
  size_t accepted = 0, refused = 0, wraps = 0;
  std::map<SrtpError, int> refusals;

  auto deliver = [&](const Sent& sent, const Packet& wire, const std::string& what) {
    Outcome result = receiver.both(sent.rtcp ? Op::UnprotectRtcp : Op::UnprotectRtp, wire, what);
    if (result.error == SrtpError::Ok) {
      ++accepted;
      if (wire.vec() == sent.wire.vec()) {
        EXPECT_EQ(result.bytes, sent.plain.vec()) << what;
      }
    } else {
      ++refused;
      ++refusals[result.error];
    }
  };

  for (int step = 0; step < 6000; ++step) {
    Sent sent;
    const int kind = percent();
    if (kind < 8) {
      uint32_t ssrc = percent() < 30 ? rtcp_only_ssrc : streams[rng() % streams.size()].ssrc;
      sent.rtcp = true;
      sent.plain = random_rtcp(rng, ssrc);
    } else if (kind < 11 && !history.empty()) {
      // A retransmission of an earlier RTP packet (a NACK answer): the same bytes, the same index.
      const Sent& earlier = history[history.size() - 1 - rng() % std::min<size_t>(history.size(), 1500)];
      if (earlier.rtcp) continue;
      sent = earlier;
    } else {
      Stream& stream = streams[rng() % streams.size()];
      int gap = percent() < 3 ? 1 + static_cast<int>(rng() % 3000) : (percent() < 10 ? 2 : 1);
      sent.rtcp = false;
      sent.plain = random_rtp(rng, stream.next, stream.ssrc);
      uint16_t after = static_cast<uint16_t>(stream.next + gap);
      if (after < stream.next) ++wraps;
      stream.next = after;
    }
    Outcome sealed = sender.both(sent.rtcp ? Op::ProtectRtcp : Op::ProtectRtp, sent.plain,
                                 "protect step " + std::to_string(step));
    if (sealed.error != SrtpError::Ok) continue;  // a retransmission too old for the window, on both
    sent.wire = Packet::of(sealed.bytes);
    history.push_back(sent);
    // The channel: lose 5 %, hold back 5 % for a while (reordering), otherwise in order.
    if (percent() < 5) continue;
    if (percent() < 5 && !in_flight.empty()) {
      in_flight.insert(in_flight.begin() + static_cast<long>(rng() % in_flight.size()), sent);
    } else {
      in_flight.push_back(sent);
    }
    while (in_flight.size() > 40 || (!in_flight.empty() && percent() < 50)) {
      Sent next = in_flight.front();
      in_flight.pop_front();
      std::string what = "deliver step " + std::to_string(step);
      deliver(next, next.wire, what);
      if (percent() < 3) deliver(next, next.wire, what + " (duplicate)");
      if (percent() < 2) {
        const Sent& stale = history[rng() % history.size()];
        deliver(stale, stale.wire, what + " (stale)");
      }
      if (percent() < 3) {
        Packet tampered = next.wire;
        tampered.buf[rng() % tampered.len] ^= static_cast<uint8_t>(1u << (rng() % 8));
        deliver(next, tampered, what + " (tampered)");
      }
      if (percent() < 2) {
        Packet truncated = next.wire;
        truncated.len = rng() % truncated.len;
        deliver(next, truncated, what + " (truncated)");
      }
    }
  }
  EXPECT_GT(wraps, 0u) << "a stream's sequence number must wrap";
  EXPECT_GT(accepted, 4000u);
  EXPECT_GT(refused, 100u);
  // The channel produced every kind of refusal.
  for (SrtpError error :
       {SrtpError::ReplayOld, SrtpError::ReplayFail, SrtpError::AuthFail, SrtpError::BadInput})
    EXPECT_GT(refusals[error], 0) << srtp_error_name(error);
}

// Garbage and malformed headers, for every operation: the same error (or the same bytes).
TEST_P(SrtpOracleTest, MalformedInputIsRefusedAlike) {
  ASSERT_TRUE(sender.openssl && sender.libsrtp && receiver.openssl && receiver.libsrtp);
  for (int i = 0; i < 3000; ++i) {
    Packet p;
    const int shape = percent();
    if (shape < 40) {
      // A plausible header whose CSRC count or extension length may run past the end.
      p = random_rtp(rng, static_cast<uint16_t>(rng()), 0x5000 + static_cast<uint32_t>(rng() % 8));
      if (percent() < 50) p.buf[0] = static_cast<uint8_t>(0x80 | (rng() & 0x3f));
      if (percent() < 50) p.len = rng() % (p.len + 1);
    } else {
      p.len = rng() % 80;
      for (size_t j = 0; j < p.len; ++j) p.buf[j] = static_cast<uint8_t>(rng());
      if (percent() < 80) p.buf[0] = static_cast<uint8_t>(0x80 | (p.buf[0] & 0x3f));
    }
    std::string what = "input " + std::to_string(i);
    sender.both(Op::ProtectRtp, p, what + " protect_rtp");
    sender.both(Op::ProtectRtcp, p, what + " protect_rtcp");
    receiver.both(Op::UnprotectRtp, p, what + " unprotect_rtp");
    receiver.both(Op::UnprotectRtcp, p, what + " unprotect_rtcp");
  }
}

}  // namespace
}  // namespace sfu::rtp
