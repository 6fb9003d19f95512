// The datagrams of the media relay between two nodes of a cluster (docs/protocol.md, "Cluster",
// "Media relay between nodes"): one CrossWorkerPacket slot, or a consent frame, sealed with
// AES-128-GCM under a key of one direction between two (node, worker) pairs; or DTLS records of
// the handshake that makes those keys (relay_peer.h), carried as they are.
//
//   byte 0      frame type (1 = slot, 2 = consent, 3 = dtls)
//   dtls:       bytes 1-   the DTLS datagram, unsealed (DTLS protects itself)
//   slot, consent:
//   bytes 1-8   sequence number, big-endian, from 1
//   ...         ciphertext (a slot: a 36-byte slot header then its data; consent: empty)
//   last 16     GCM tag; bytes 0-8 are authenticated as additional data
//
// The keys are the SRTP master keys a DTLS 1.2 handshake between the two ends exported (RFC 5764
// section 4.2, profile AEAD_AES_128_GCM: a 16-byte key and a 12-byte salt per direction): what
// this end sends under is its local key, what it opens with the peer's. As in RFC 7714 section
// 8.1, the GCM nonce is the 12-byte salt XOR the sequence number (in its last 8 bytes), so a key
// never seals two frames under one nonce. The receiver keeps a replay window of the last
// kReplayWindow sequence numbers.
//
// Thread: a RelaySealer / RelayOpener belongs to one worker's thread; the EVP contexts are made
// once (and keyed again after a handshake), nothing allocates per frame.
#pragma once

#include <openssl/evp.h>

#include <array>
#include <cstddef>
#include <cstdint>

#include "base/bytes.h"
#include "sfu/media/cross_worker_link.h"

namespace sfu {

enum class RelayFrameType : uint8_t { kSlot = 1, kConsent = 2, kDtls = 3 };

struct RelayKey {
  std::array<uint8_t, 16> key{};
  std::array<uint8_t, 12> salt{};
};

// The key of one direction from DTLS-SRTP keying material of profile AEAD_AES_128_GCM: the master
// key then the master salt (dtls::SrtpKeys::local_key_salt or remote_key_salt); false when
// `key_salt` is not 28 bytes.
bool relay_key_from_srtp(ByteSpan key_salt, RelayKey& key);

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
  // A new key (a new handshake): the sequence starts again from 1.
  void rekey(const RelayKey& key);
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
  // A new key (a new handshake): the replay window starts empty.
  void rekey(const RelayKey& key);
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
