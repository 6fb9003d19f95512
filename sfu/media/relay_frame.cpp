#include "sfu/media/relay_frame.h"

#include <cstring>

namespace sfu {
namespace {

// RFC 7714 section 8.1 in spirit: the salt XOR the sequence number in the nonce's last 8 bytes.
void nonce_of(const RelayKey& key, uint64_t sequence, std::array<uint8_t, 12>& iv) {
  iv = key.salt;
  for (size_t i = 0; i < 8; ++i) iv[11 - i] ^= static_cast<uint8_t>(sequence >> (8 * i));
}

}  // namespace

bool relay_key_from_srtp(ByteSpan key_salt, RelayKey& key) {
  if (key_salt.size() != key.key.size() + key.salt.size()) return false;
  std::memcpy(key.key.data(), key_salt.data(), key.key.size());
  std::memcpy(key.salt.data(), key_salt.data() + key.key.size(), key.salt.size());
  return true;
}

size_t encode_relay_slot(const CrossWorkerPacket& slot, MutableByteSpan out) {
  size_t size = kRelaySlotHeaderBytes + slot.size;
  if (slot.size > CrossWorkerPacket::kMaxBytes || out.size() < size) return 0;
  uint8_t* p = out.data();
  p[0] = static_cast<uint8_t>(slot.kind);
  p[1] = slot.layer;
  store_be16(p + 2, slot.size);
  store_be32(p + 4, slot.track.export_id);
  store_be32(p + 8, slot.track.generation);
  store_be64(p + 12, slot.arrival_ms);
  store_be64(p + 20, slot.ntp);
  store_be32(p + 28, slot.rtp_timestamp);
  store_be32(p + 32, slot.layers);
  if (slot.size > 0) std::memcpy(p + kRelaySlotHeaderBytes, slot.data.data(), slot.size);
  return size;
}

bool decode_relay_slot(ByteSpan plain, CrossWorkerPacket& slot) {
  if (plain.size() < kRelaySlotHeaderBytes) return false;
  const uint8_t* p = plain.data();
  if (p[0] > static_cast<uint8_t>(CrossWorkerKind::kLayerDemand)) return false;
  uint16_t size = load_be16(p + 2);
  if (size > CrossWorkerPacket::kMaxBytes || plain.size() != kRelaySlotHeaderBytes + size) return false;
  slot.kind = static_cast<CrossWorkerKind>(p[0]);
  slot.layer = p[1];
  slot.size = size;
  slot.track.export_id = load_be32(p + 4);
  slot.track.generation = load_be32(p + 8);
  slot.arrival_ms = load_be64(p + 12);
  slot.ntp = load_be64(p + 20);
  slot.rtp_timestamp = load_be32(p + 28);
  slot.layers = load_be32(p + 32);
  if (size > 0) std::memcpy(slot.data.data(), p + kRelaySlotHeaderBytes, size);
  return true;
}

// ---- sealing ----

RelaySealer::RelaySealer(const RelayKey& key) : key_(key), ctx_(EVP_CIPHER_CTX_new()) {
  if (ctx_) EVP_EncryptInit_ex(ctx_, EVP_aes_128_gcm(), nullptr, key_.key.data(), nullptr);
}

RelaySealer::~RelaySealer() { EVP_CIPHER_CTX_free(ctx_); }

void RelaySealer::rekey(const RelayKey& key) {
  key_ = key;
  next_ = 1;
  if (ctx_) EVP_EncryptInit_ex(ctx_, nullptr, nullptr, key_.key.data(), nullptr);
}

size_t RelaySealer::seal(RelayFrameType type, ByteSpan plain, MutableByteSpan out) {
  const size_t size = kRelayHeaderBytes + plain.size() + kRelayTagBytes;
  if (!ctx_ || out.size() < size) return 0;
  const uint64_t sequence = next_++;
  uint8_t* p = out.data();
  p[0] = static_cast<uint8_t>(type);
  store_be64(p + 1, sequence);
  std::array<uint8_t, 12> iv{};
  nonce_of(key_, sequence, iv);
  int length = 0;
  if (EVP_EncryptInit_ex(ctx_, nullptr, nullptr, nullptr, iv.data()) != 1 ||
      EVP_EncryptUpdate(ctx_, nullptr, &length, p, static_cast<int>(kRelayHeaderBytes)) != 1)
    return 0;
  if (!plain.empty() && EVP_EncryptUpdate(ctx_, p + kRelayHeaderBytes, &length, plain.data(),
                                          static_cast<int>(plain.size())) != 1)
    return 0;
  if (EVP_EncryptFinal_ex(ctx_, p + kRelayHeaderBytes + plain.size(), &length) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_GCM_GET_TAG, static_cast<int>(kRelayTagBytes),
                          p + kRelayHeaderBytes + plain.size()) != 1)
    return 0;
  return size;
}

// ---- opening ----

RelayOpener::RelayOpener(const RelayKey& key) : key_(key), ctx_(EVP_CIPHER_CTX_new()) {
  if (ctx_) EVP_DecryptInit_ex(ctx_, EVP_aes_128_gcm(), nullptr, key_.key.data(), nullptr);
}

RelayOpener::~RelayOpener() { EVP_CIPHER_CTX_free(ctx_); }

void RelayOpener::rekey(const RelayKey& key) {
  key_ = key;
  highest_ = 0;
  seen_.fill(0);
  if (ctx_) EVP_DecryptInit_ex(ctx_, nullptr, nullptr, key_.key.data(), nullptr);
}

RelayOpenResult RelayOpener::open(ByteSpan frame, MutableByteSpan plain, RelayFrameType& type,
                                  size_t& plain_size) {
  if (!ctx_ || frame.size() < kRelayHeaderBytes + kRelayTagBytes) return RelayOpenResult::kMalformed;
  const uint8_t* p = frame.data();
  if (p[0] != static_cast<uint8_t>(RelayFrameType::kSlot) &&
      p[0] != static_cast<uint8_t>(RelayFrameType::kConsent))
    return RelayOpenResult::kMalformed;
  const uint64_t sequence = load_be64(p + 1);
  const size_t payload = frame.size() - kRelayHeaderBytes - kRelayTagBytes;
  if (sequence == 0 || plain.size() < payload) return RelayOpenResult::kMalformed;
  // Replay check before the (costlier) authentication; recorded only once authenticated.
  if ((highest_ >= kReplayWindow && sequence <= highest_ - kReplayWindow) ||
      seen_[sequence % kReplayWindow] == sequence)
    return RelayOpenResult::kReplay;
  std::array<uint8_t, 12> iv{};
  nonce_of(key_, sequence, iv);
  std::array<uint8_t, kRelayTagBytes> tag{};
  std::memcpy(tag.data(), p + kRelayHeaderBytes + payload, kRelayTagBytes);
  int length = 0;
  if (EVP_DecryptInit_ex(ctx_, nullptr, nullptr, nullptr, iv.data()) != 1 ||
      EVP_DecryptUpdate(ctx_, nullptr, &length, p, static_cast<int>(kRelayHeaderBytes)) != 1)
    return RelayOpenResult::kBadTag;
  if (payload > 0 &&
      EVP_DecryptUpdate(ctx_, plain.data(), &length, p + kRelayHeaderBytes, static_cast<int>(payload)) != 1)
    return RelayOpenResult::kBadTag;
  if (EVP_CIPHER_CTX_ctrl(ctx_, EVP_CTRL_GCM_SET_TAG, static_cast<int>(kRelayTagBytes), tag.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx_, plain.data() + payload, &length) != 1)
    return RelayOpenResult::kBadTag;
  seen_[sequence % kReplayWindow] = sequence;
  if (sequence > highest_) highest_ = sequence;
  type = static_cast<RelayFrameType>(p[0]);
  plain_size = payload;
  return RelayOpenResult::kOk;
}

}  // namespace sfu
