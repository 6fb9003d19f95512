#include "rtp/srtp_key_derivation.h"

#include <openssl/crypto.h>  // OPENSSL_cleanse

#include <algorithm>

#include "rtp/srtp_cipher.h"

namespace sfu::rtp {

namespace {

constexpr size_t kPrfSaltSize = 14;  // x is 112 bits (RFC 3711 §4.3.3)
constexpr size_t kLabelOffset = 7;   // key_id = label || r (48 bits, 0 with KDR 0), right-aligned

bool derive_with(AesCounterMode& prf, ByteSpan master_salt, SrtpKeyLabel label, MutableByteSpan out) {
  std::array<uint8_t, AesCounterMode::kIvSize> iv{};
  std::copy(master_salt.begin(), master_salt.end(), iv.begin());
  iv[kLabelOffset] ^= static_cast<uint8_t>(label);
  std::fill(out.begin(), out.end(), 0);
  return prf.apply(iv, out.data(), out.size());
}

bool derive_keys(AesCounterMode& prf, ByteSpan master_salt, SrtpProfile profile, bool rtcp, SrtpKeys& keys) {
  keys.encryption_size = srtp_key_length(profile);
  keys.salt_size = srtp_salt_length(profile);
  auto label = [rtcp](SrtpKeyLabel rtp_label) {
    return static_cast<SrtpKeyLabel>(static_cast<uint8_t>(rtp_label) + (rtcp ? 3 : 0));
  };
  bool ok = derive_with(prf, master_salt, label(SrtpKeyLabel::RtpEncryption),
                        MutableByteSpan(keys.encryption).first(keys.encryption_size)) &&
            derive_with(prf, master_salt, label(SrtpKeyLabel::RtpSalt),
                        MutableByteSpan(keys.salt).first(keys.salt_size));
  if (ok && !srtp_profile_is_aead(profile))
    ok = derive_with(prf, master_salt, label(SrtpKeyLabel::RtpAuthentication), keys.authentication);
  return ok;
}

}  // namespace

bool srtp_derive_key(ByteSpan master_key, ByteSpan master_salt, SrtpKeyLabel label, MutableByteSpan out) {
  if (master_salt.size() > kPrfSaltSize) return false;
  AesCounterMode prf;
  return prf.init(master_key) && derive_with(prf, master_salt, label, out);
}

SrtpSessionKeys::~SrtpSessionKeys() { OPENSSL_cleanse(this, sizeof(*this)); }

std::optional<SrtpSessionKeys> derive_srtp_session_keys(SrtpProfile profile, ByteSpan key_and_salt) {
  if (key_and_salt.size() != srtp_key_salt_length(profile)) return std::nullopt;
  ByteSpan master_key = key_and_salt.first(srtp_key_length(profile));
  ByteSpan master_salt = key_and_salt.subspan(srtp_key_length(profile));
  AesCounterMode prf;
  if (!prf.init(master_key)) return std::nullopt;
  SrtpSessionKeys keys;
  if (!derive_keys(prf, master_salt, profile, false, keys.rtp) ||
      !derive_keys(prf, master_salt, profile, true, keys.rtcp))
    return std::nullopt;
  return keys;
}

}  // namespace sfu::rtp
