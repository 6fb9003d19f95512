#include "sfu/media/relay_frame.h"

#include <openssl/kdf.h>

#include <cstring>
#include <string>

namespace sfu {
namespace {

constexpr std::string_view kLabel = "sfu cluster relay v1";

std::string end_label(const RelayEnd& end) {
  return std::string(end.node) + "/" + std::to_string(end.worker);
}

void nonce_of(const RelayKey& key, uint64_t sequence, std::array<uint8_t, 12>& iv) {
  std::memcpy(iv.data(), key.salt.data(), key.salt.size());
  store_be64(iv.data() + key.salt.size(), sequence);
}

}  // namespace

RelayKey derive_relay_key(std::string_view secret, const RelayEnd& from, const RelayEnd& to) {
  // Salt: both runs' nonces (a restarted node gets new keys); info: the direction's two ends.
  std::string salt = std::string(from.nonce) + "|" + std::string(to.nonce);
  std::string info = std::string(kLabel) + "|" + end_label(from) + ">" + end_label(to);
  std::array<uint8_t, 20> okm{};
  size_t length = okm.size();
  EVP_PKEY_CTX* ctx = EVP_PKEY_CTX_new_id(EVP_PKEY_HKDF, nullptr);
  bool ok = ctx && EVP_PKEY_derive_init(ctx) > 0 && EVP_PKEY_CTX_set_hkdf_md(ctx, EVP_sha256()) > 0 &&
            EVP_PKEY_CTX_set1_hkdf_salt(ctx, reinterpret_cast<const unsigned char*>(salt.data()),
                                        static_cast<int>(salt.size())) > 0 &&
            EVP_PKEY_CTX_set1_hkdf_key(ctx, reinterpret_cast<const unsigned char*>(secret.data()),
                                       static_cast<int>(secret.size())) > 0 &&
            EVP_PKEY_CTX_add1_hkdf_info(ctx, reinterpret_cast<const unsigned char*>(info.data()),
                                        static_cast<int>(info.size())) > 0 &&
            EVP_PKEY_derive(ctx, okm.data(), &length) > 0;
  EVP_PKEY_CTX_free(ctx);
  RelayKey key;
  if (!ok) return key;  // all zero: frames of the other end will not open (counted bad_tag)
  std::memcpy(key.key.data(), okm.data(), key.key.size());
  std::memcpy(key.salt.data(), okm.data() + key.key.size(), key.salt.size());
  return key;
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
