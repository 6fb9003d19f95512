// SRTP protect and unprotect through SrtpSession, on both backends (OpenSSL's libcrypto directly,
// and libsrtp2) and every profile, at 100-byte (audio) and 1,200-byte (video) payloads. Every
// forwarded packet is unprotected once and protected once per subscriber, which makes SRTP the
// largest user-space cost per packet. The OpenSSL backend must not allocate per packet (asserted
// with --require_zero_allocs); libsrtp2's allocations are only reported: Debian builds it on NSS,
// which allocates per packet.
//
// Sequence numbers advance every packet, as a real sender's do (both backends reject replays).
// Protect copies the plaintext in and protects it (the copy is a few ns of the total). Unprotect
// consumes a ring of packets protected in order by a matching sender; the ring is refilled with the
// timer paused and its allocations excluded, so only unprotect is measured, for any number of
// iterations. RoundTrip protects a packet and unprotects it again: the cost of one hop.
#include <array>
#include <cstring>
#include <memory>
#include <string>

#include "bench/micro/micro_support.h"
#include "rtp/srtp_session.h"

namespace sfu::bench {
namespace {

using rtp::SrtpBackend;
using rtp::SrtpError;
using rtp::SrtpProfile;
using rtp::SrtpSession;

constexpr size_t kBufferSize = 1500;

std::unique_ptr<SrtpSession> make_session(SrtpBackend backend, SrtpProfile profile,
                                          SrtpSession::Direction direction) {
  std::array<uint8_t, 64> key_and_salt;
  for (size_t i = 0; i < key_and_salt.size(); ++i) key_and_salt[i] = static_cast<uint8_t>(i * 7 + 1);
  return SrtpSession::create(backend, profile,
                             ByteSpan(key_and_salt).first(rtp::srtp_key_salt_length(profile)), direction);
}

AllocationPolicy policy_of(SrtpBackend backend) {
  return backend == SrtpBackend::OpenSsl ? AllocationPolicy::kMustNotAllocate : AllocationPolicy::kReportOnly;
}

// A sender and a receiver keyed alike, and the plaintext packet the sender sends again and again
// with the next sequence number. Both sessions have seen one packet, so the one-time stream setup
// for the SSRC is not measured.
class SrtpLink {
 public:
  SrtpLink(SrtpBackend backend, SrtpProfile profile, size_t payload_size)
      : sender_(make_session(backend, profile, SrtpSession::Direction::Outbound)),
        receiver_(make_session(backend, profile, SrtpSession::Direction::Inbound)),
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
    store_be16(buffer + 2, next_sequence_++);  // wraps; the rollover counter then advances
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

void BM_SrtpProtect(benchmark::State& state, SrtpBackend backend, SrtpProfile profile) {
  const auto payload_size = static_cast<size_t>(state.range(0));
  SrtpLink link(backend, profile, payload_size);
  if (!link.ok()) return fail(state, "SRTP session setup failed");
  std::array<uint8_t, kBufferSize> buffer;
  run_op(state, policy_of(backend), "protect_rtp failed", [&] { return link.protect_next(buffer.data()); });
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * payload_size));
}

void BM_SrtpUnprotect(benchmark::State& state, SrtpBackend backend, SrtpProfile profile) {
  const auto payload_size = static_cast<size_t>(state.range(0));
  SrtpLink link(backend, profile, payload_size);
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
  report_allocations(state, allocation_count() - start - refill_allocations, policy_of(backend));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * payload_size));
}

void BM_SrtpRoundTrip(benchmark::State& state, SrtpBackend backend, SrtpProfile profile) {
  const auto payload_size = static_cast<size_t>(state.range(0));
  SrtpLink link(backend, profile, payload_size);
  if (!link.ok()) return fail(state, "SRTP session setup failed");
  std::array<uint8_t, kBufferSize> buffer;
  run_op(state, policy_of(backend), "protect_rtp or unprotect_rtp failed", [&] {
    size_t size = link.protect_next(buffer.data());
    return size > 0 && link.receiver().unprotect_rtp(buffer.data(), size) == SrtpError::Ok ? size : 0;
  });
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * payload_size));
}

// Each benchmark for one backend and profile, at both payload sizes.
#define SFU_SRTP_BENCHMARKS(backend_name, backend, profile_name, profile)                                    \
  BENCHMARK_CAPTURE(BM_SrtpProtect, backend_name##_##profile_name, backend, profile)->Arg(100)->Arg(1200);   \
  BENCHMARK_CAPTURE(BM_SrtpUnprotect, backend_name##_##profile_name, backend, profile)->Arg(100)->Arg(1200); \
  BENCHMARK_CAPTURE(BM_SrtpRoundTrip, backend_name##_##profile_name, backend, profile)->Arg(100)->Arg(1200)

SFU_SRTP_BENCHMARKS(openssl, SrtpBackend::OpenSsl, aes_128_gcm, SrtpProfile::AeadAes128Gcm);
SFU_SRTP_BENCHMARKS(libsrtp2, SrtpBackend::Libsrtp2, aes_128_gcm, SrtpProfile::AeadAes128Gcm);
SFU_SRTP_BENCHMARKS(openssl, SrtpBackend::OpenSsl, aes_256_gcm, SrtpProfile::AeadAes256Gcm);
SFU_SRTP_BENCHMARKS(libsrtp2, SrtpBackend::Libsrtp2, aes_256_gcm, SrtpProfile::AeadAes256Gcm);
SFU_SRTP_BENCHMARKS(openssl, SrtpBackend::OpenSsl, aes_cm_128_hmac_sha1_80, SrtpProfile::AesCm128HmacSha1_80);
SFU_SRTP_BENCHMARKS(libsrtp2, SrtpBackend::Libsrtp2, aes_cm_128_hmac_sha1_80,
                    SrtpProfile::AesCm128HmacSha1_80);
SFU_SRTP_BENCHMARKS(openssl, SrtpBackend::OpenSsl, aes_cm_128_hmac_sha1_32, SrtpProfile::AesCm128HmacSha1_32);
SFU_SRTP_BENCHMARKS(libsrtp2, SrtpBackend::Libsrtp2, aes_cm_128_hmac_sha1_32,
                    SrtpProfile::AesCm128HmacSha1_32);

}  // namespace
}  // namespace sfu::bench
