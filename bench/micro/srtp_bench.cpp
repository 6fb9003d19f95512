// SRTP protect and unprotect through SrtpSession (libsrtp2), for AEAD_AES_128_GCM and
// AES_CM_128_HMAC_SHA1_80 at 100-byte (audio) and 1,200-byte (video) payloads. Every forwarded
// packet is unprotected once and protected once per subscriber, which makes SRTP the largest
// user-space cost per packet. Allocations are reported, not asserted: Debian builds libsrtp2 on
// NSS, which allocates per packet.
//
// Sequence numbers advance every packet, as a real sender's do (libsrtp rejects replays). Protect
// copies the plaintext in and protects it (the copy is a few ns of the total). Unprotect consumes a
// ring of packets protected in order by a matching sender; the ring is refilled with the timer
// paused and its allocations excluded, so only unprotect is measured, for any number of iterations.
#include <array>
#include <cstring>
#include <memory>
#include <string>

#include "bench/micro/micro_support.h"
#include "rtp/srtp_session.h"

namespace sfu::bench {
namespace {

using rtp::SrtpError;
using rtp::SrtpProfile;
using rtp::SrtpSession;

constexpr size_t kBufferSize = 1500;

std::unique_ptr<SrtpSession> make_session(SrtpProfile profile, SrtpSession::Direction direction) {
  std::array<uint8_t, 32> key_and_salt;
  for (size_t i = 0; i < key_and_salt.size(); ++i) key_and_salt[i] = static_cast<uint8_t>(i * 7 + 1);
  return SrtpSession::create(profile, ByteSpan(key_and_salt).first(rtp::srtp_key_salt_length(profile)),
                             direction);
}

// A sender and a receiver keyed alike, and the plaintext packet the sender sends again and again
// with the next sequence number. Both sessions have seen one packet, so libsrtp's one-time stream
// setup for the SSRC is not measured.
class SrtpLink {
 public:
  SrtpLink(SrtpProfile profile, size_t payload_size)
      : sender_(make_session(profile, SrtpSession::Direction::Outbound)),
        receiver_(make_session(profile, SrtpSession::Direction::Inbound)),
        plaintext_(build_packet({kVp8PayloadType, payload_size, false})) {
    std::array<uint8_t, kBufferSize> warm_up;
    size_t size = sender_ && receiver_ ? protect_next(warm_up.data()) : 0;
    ok_ = size > 0 && receiver_->unprotect_rtp(warm_up.data(), size) == SrtpError::Ok;
  }

  bool ok() const { return ok_; }
  SrtpSession& receiver() { return *receiver_; }

  // Writes the next packet into `buffer` (kBufferSize bytes) and protects it; returns the SRTP
  // size, 0 on failure.
  size_t protect_next(uint8_t* buffer) {
    std::memcpy(buffer, plaintext_.data(), plaintext_.size());
    store_be16(buffer + 2, next_sequence_++);  // wraps; libsrtp then advances the rollover counter
    size_t size = plaintext_.size();
    return sender_->protect_rtp(buffer, size, kBufferSize) == SrtpError::Ok ? size : 0;
  }

 private:
  std::unique_ptr<SrtpSession> sender_;
  std::unique_ptr<SrtpSession> receiver_;
  std::vector<uint8_t> plaintext_;
  uint16_t next_sequence_ = 0;
  bool ok_ = false;
};

// Packets protected in order, waiting to be unprotected. 512 x 1.5 KB stays in L2.
struct ProtectedRing {
  static constexpr size_t kPackets = 512;
  using Buffer = std::array<uint8_t, kBufferSize>;
  std::vector<Buffer> packets = std::vector<Buffer>(kPackets);
  std::array<size_t, kPackets> sizes{};

  bool refill(SrtpLink& link) {
    for (size_t i = 0; i < kPackets; ++i) {
      sizes[i] = link.protect_next(packets[i].data());
      if (sizes[i] == 0) return false;
    }
    return true;
  }
};

void BM_SrtpProtect(benchmark::State& state, SrtpProfile profile) {
  const auto payload_size = static_cast<size_t>(state.range(0));
  SrtpLink link(profile, payload_size);
  if (!link.ok()) return fail(state, "SRTP session setup failed");
  std::array<uint8_t, kBufferSize> buffer;
  run_op(state, AllocationPolicy::kReportOnly, "protect_rtp failed",
         [&] { return link.protect_next(buffer.data()); });
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * payload_size));
}

void BM_SrtpUnprotect(benchmark::State& state, SrtpProfile profile) {
  const auto payload_size = static_cast<size_t>(state.range(0));
  SrtpLink link(profile, payload_size);
  if (!link.ok()) return fail(state, "SRTP session setup failed");
  ProtectedRing ring;
  size_t next = ProtectedRing::kPackets;  // empty: filled on the first iteration
  uint64_t refill_allocations = 0;
  const uint64_t start = allocation_count();
  for (auto _ : state) {
    if (next == ProtectedRing::kPackets) {
      const uint64_t before = allocation_count();
      state.PauseTiming();
      bool refilled = ring.refill(link);
      state.ResumeTiming();
      refill_allocations += allocation_count() - before;
      if (!refilled) return fail(state, "protect_rtp failed while refilling the ring");
      next = 0;
    }
    size_t size = ring.sizes[next];
    if (link.receiver().unprotect_rtp(ring.packets[next].data(), size) != SrtpError::Ok) {
      return fail(state, "unprotect_rtp failed");
    }
    ++next;
  }
  report_allocations(state, allocation_count() - start - refill_allocations, AllocationPolicy::kReportOnly);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * payload_size));
}

BENCHMARK_CAPTURE(BM_SrtpProtect, aes_128_gcm, SrtpProfile::AeadAes128Gcm)->Arg(100)->Arg(1200);
BENCHMARK_CAPTURE(BM_SrtpUnprotect, aes_128_gcm, SrtpProfile::AeadAes128Gcm)->Arg(100)->Arg(1200);
BENCHMARK_CAPTURE(BM_SrtpProtect, aes_cm_128_hmac_sha1_80, SrtpProfile::AesCm128HmacSha1_80)
    ->Arg(100)
    ->Arg(1200);
BENCHMARK_CAPTURE(BM_SrtpUnprotect, aes_cm_128_hmac_sha1_80, SrtpProfile::AesCm128HmacSha1_80)
    ->Arg(100)
    ->Arg(1200);

}  // namespace
}  // namespace sfu::bench
