// The datagrams of the media relay between two nodes of a cluster (docs/protocol.md, "Cluster",
// "Media relay between nodes"): one CrossWorkerPacket slot, or a consent frame, sealed with
// AES-128-GCM under a key of one direction between two (node, worker) pairs.
//
//   byte 0      frame type (1 = slot, 2 = consent)
//   bytes 1-8   sequence number, big-endian, from 1; the GCM nonce is the key's 4-byte salt and
//               this 8-byte sequence, so a key never seals two frames under one nonce
//   ...         ciphertext (a slot: a 36-byte slot header then its data; consent: empty)
//   last 16     GCM tag; bytes 0-8 are authenticated as additional data
//
// The keys are HKDF-SHA256 of cluster.secret (the key that already signs the directory's
// messages), salted with both processes' random nonces (exchanged in the signed envelopes) and
// bound to both ends' node ids and worker indices: one key per direction, per node pair and per
// process run. The receiver keeps a replay window of the last kReplayWindow sequence numbers.
//
// Thread: a RelaySealer / RelayOpener belongs to one worker's thread; the EVP contexts are made
// once, nothing allocates per frame.
#pragma once

#include <openssl/evp.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "base/bytes.h"
#include "sfu/media/cross_worker_link.h"

namespace sfu {

enum class RelayFrameType : uint8_t { kSlot = 1, kConsent = 2 };

struct RelayKey {
  std::array<uint8_t, 16> key{};
  std::array<uint8_t, 4> salt{};
};

// One end of a direction: a node, one of its workers, and its process's nonce (hex or raw bytes).
struct RelayEnd {
  std::string_view node;
  uint32_t worker = 0;
  std::string_view nonce;
};

// The key of the direction from `from` to `to`.
RelayKey derive_relay_key(std::string_view secret, const RelayEnd& from, const RelayEnd& to);

inline constexpr size_t kRelayHeaderBytes = 9;
inline constexpr size_t kRelayTagBytes = 16;
inline constexpr size_t kRelaySlotHeaderBytes = 36;
// The largest frame: a full slot.
inline constexpr size_t kRelayMaxFrameBytes =
    kRelayHeaderBytes + kRelaySlotHeaderBytes + CrossWorkerPacket::kMaxBytes + kRelayTagBytes;

// A slot as the plaintext of a frame: its size, 0 when `out` is too small.
size_t encode_relay_slot(const CrossWorkerPacket& slot, MutableByteSpan out);
// False when `plain` is not a well-formed slot.
bool decode_relay_slot(ByteSpan plain, CrossWorkerPacket& slot);

class RelaySealer {
 public:
  explicit RelaySealer(const RelayKey& key);
  ~RelaySealer();
  RelaySealer(const RelaySealer&) = delete;
  RelaySealer& operator=(const RelaySealer&) = delete;

  // Writes the frame into `out`; its size, 0 when `out` is too small or the cipher failed.
  size_t seal(RelayFrameType type, ByteSpan plain, MutableByteSpan out);
  uint64_t next_sequence() const { return next_; }

 private:
  RelayKey key_;
  EVP_CIPHER_CTX* ctx_;
  uint64_t next_ = 1;
};

enum class RelayOpenResult { kOk, kMalformed, kBadTag, kReplay };

class RelayOpener {
 public:
  static constexpr uint64_t kReplayWindow = 1024;

  explicit RelayOpener(const RelayKey& key);
  ~RelayOpener();
  RelayOpener(const RelayOpener&) = delete;
  RelayOpener& operator=(const RelayOpener&) = delete;

  // Authenticates `frame` and decrypts its payload into `plain` (at least frame.size() bytes);
  // on kOk, `type` and `plain_size` are set and the sequence is recorded (a replay is refused).
  RelayOpenResult open(ByteSpan frame, MutableByteSpan plain, RelayFrameType& type, size_t& plain_size);

 private:
  RelayKey key_;
  EVP_CIPHER_CTX* ctx_;
  uint64_t highest_ = 0;
  std::array<uint64_t, kReplayWindow> seen_{};  // by sequence % window: the sequence held there
};

}  // namespace sfu
