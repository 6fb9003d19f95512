// SHA1_Init/Update/Final are deprecated since OpenSSL 3.0 in favour of EVP_MD, whose re-init
// allocates (see the header); they are still part of libcrypto 3.x. Ask for the 1.1.1 API here
// so using them is not a warning. It must come before the first OpenSSL header.
#define OPENSSL_API_COMPAT 10101

#include "rtp/srtp_cipher.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/sha.h>

#include <climits>
#include <cstring>

namespace sfu::rtp {

void CipherContextDeleter::operator()(evp_cipher_ctx_st* ctx) const { EVP_CIPHER_CTX_free(ctx); }

namespace {

// OSSL_CIPHER_PARAM_AEAD_TLS1_IV_FIXED with this length sets the whole IV (the provider's
// setivfixed(); EVP_CTRL_GCM_SET_IV_FIXED with -1 passes the same).
constexpr size_t kWholeIv = static_cast<size_t>(-1);

bool fits_int(size_t size) { return size <= static_cast<size_t>(INT_MAX); }

const EVP_CIPHER* aes_ctr(size_t key_size) {
  if (key_size == 16) return EVP_aes_128_ctr();
  return key_size == 32 ? EVP_aes_256_ctr() : nullptr;
}

const EVP_CIPHER* aes_gcm(size_t key_size) {
  if (key_size == 16) return EVP_aes_128_gcm();
  return key_size == 32 ? EVP_aes_256_gcm() : nullptr;
}

bool add_aad(EVP_CIPHER_CTX* ctx, ByteSpan aad) {
  if (aad.empty()) return true;
  if (!fits_int(aad.size())) return false;
  int out = 0;
  return EVP_CipherUpdate(ctx, nullptr, &out, aad.data(), static_cast<int>(aad.size())) == 1;
}

// In place; counter mode and GCM produce exactly as many bytes as they take.
bool crypt(EVP_CIPHER_CTX* ctx, uint8_t* data, size_t size) {
  if (size == 0) return true;
  if (!fits_int(size)) return false;
  int out = 0;
  return EVP_CipherUpdate(ctx, data, &out, data, static_cast<int>(size)) == 1 &&
         static_cast<size_t>(out) == size;
}

}  // namespace

bool AesCounterMode::init(ByteSpan key) {
  const EVP_CIPHER* cipher = aes_ctr(key.size());
  if (cipher == nullptr) return false;
  ctx_.reset(EVP_CIPHER_CTX_new());
  return ctx_ && EVP_EncryptInit_ex(ctx_.get(), cipher, nullptr, key.data(), nullptr) == 1;
}

bool AesCounterMode::apply(const std::array<uint8_t, kIvSize>& iv, uint8_t* data, size_t size) {
  if (!ctx_) return false;
  // Only the counter block changes: the key schedule stays from init().
  return EVP_EncryptInit_ex(ctx_.get(), nullptr, nullptr, nullptr, iv.data()) == 1 &&
         crypt(ctx_.get(), data, size);
}

bool AesGcm::init(ByteSpan key, bool encrypt) {
  const EVP_CIPHER* cipher = aes_gcm(key.size());
  if (cipher == nullptr) return false;
  ctx_.reset(EVP_CIPHER_CTX_new());
  if (!ctx_) return false;
  EVP_CIPHER_CTX* ctx = ctx_.get();
  const int enc = encrypt ? 1 : 0;
  return EVP_CipherInit_ex(ctx, cipher, nullptr, nullptr, nullptr, enc) == 1 &&
         EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(kIvSize), nullptr) == 1 &&
         EVP_CipherInit_ex(ctx, nullptr, nullptr, key.data(), nullptr, enc) == 1;
}

// The per-packet IV goes in as the provider's "restore the whole fixed IV" parameter
// (EVP_CTRL_GCM_SET_IV_FIXED with length -1, OSSL_CIPHER_PARAM_AEAD_TLS1_IV_FIXED): in OpenSSL 3.0
// EVP_CipherInit_ex(ctx, NULL, NULL, NULL, iv, -1) first asks the provider for the IV length through
// a parameter query (EVP_CIPHER_CTX_get_iv_length), which costs more than the whole IV change. The
// provider copies the 12 bytes and applies them at the next update, as a re-init does; the key
// schedule and the GHASH key stay from init().
bool AesGcm::seal(const std::array<uint8_t, kIvSize>& iv, ByteSpan aad_head, ByteSpan aad_tail, uint8_t* data,
                  size_t size, uint8_t* tag) {
  EVP_CIPHER_CTX* ctx = ctx_.get();
  if (ctx == nullptr) return false;
  uint8_t final_block[16];
  int out = 0;
  // The parameter takes a non-const pointer, but the IV is only copied from it.
  OSSL_PARAM set_iv[] = {OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_IV_FIXED,
                                                           const_cast<uint8_t*>(iv.data()), kWholeIv),
                         OSSL_PARAM_construct_end()};
  // The tag through the parameter call itself: EVP_CIPHER_CTX_ctrl(EVP_CTRL_GCM_GET_TAG) builds the
  // same parameter and costs more in OpenSSL 3.
  OSSL_PARAM get_tag[] = {OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, tag, kTagSize),
                          OSSL_PARAM_construct_end()};
  return EVP_CIPHER_CTX_set_params(ctx, set_iv) == 1 && add_aad(ctx, aad_head) && add_aad(ctx, aad_tail) &&
         crypt(ctx, data, size) && EVP_CipherFinal_ex(ctx, final_block, &out) == 1 &&
         EVP_CIPHER_CTX_get_params(ctx, get_tag) == 1;
}

bool AesGcm::open(const std::array<uint8_t, kIvSize>& iv, ByteSpan aad_head, ByteSpan aad_tail, uint8_t* data,
                  size_t size, const uint8_t* tag) {
  EVP_CIPHER_CTX* ctx = ctx_.get();
  if (ctx == nullptr) return false;
  uint8_t final_block[16];
  int out = 0;
  // The IV and the expected tag in one parameter call (the provider keeps the tag for the final
  // check; nothing before it reads or changes it). Both are only copied from.
  OSSL_PARAM set_iv_and_tag[] = {
      OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TLS1_IV_FIXED, const_cast<uint8_t*>(iv.data()),
                                        kWholeIv),
      OSSL_PARAM_construct_octet_string(OSSL_CIPHER_PARAM_AEAD_TAG, const_cast<uint8_t*>(tag), kTagSize),
      OSSL_PARAM_construct_end()};
  return EVP_CIPHER_CTX_set_params(ctx, set_iv_and_tag) == 1 && add_aad(ctx, aad_head) &&
         add_aad(ctx, aad_tail) && crypt(ctx, data, size) && EVP_CipherFinal_ex(ctx, final_block, &out) == 1;
}

void HmacSha1::init(ByteSpan key) {
  // RFC 2104: keys longer than the block are hashed first (SRTP's are 20 bytes, never longer).
  std::array<uint8_t, SHA_CBLOCK> block{};
  if (key.size() > block.size()) {
    SHA1(key.data(), key.size(), block.data());
  } else {
    std::memcpy(block.data(), key.data(), key.size());
  }
  std::array<uint8_t, SHA_CBLOCK> pad;
  for (size_t i = 0; i < block.size(); ++i) pad[i] = block[i] ^ 0x36;
  SHA1_Init(&inner_);
  SHA1_Update(&inner_, pad.data(), pad.size());
  for (size_t i = 0; i < block.size(); ++i) pad[i] = block[i] ^ 0x5c;
  SHA1_Init(&outer_);
  SHA1_Update(&outer_, pad.data(), pad.size());
  OPENSSL_cleanse(block.data(), block.size());
  OPENSSL_cleanse(pad.data(), pad.size());
}

void HmacSha1::compute(ByteSpan head, ByteSpan tail, uint8_t* digest) const {
  SHA_CTX ctx = inner_;
  SHA1_Update(&ctx, head.data(), head.size());
  SHA1_Update(&ctx, tail.data(), tail.size());
  uint8_t inner_digest[kDigestSize];
  SHA1_Final(inner_digest, &ctx);
  ctx = outer_;
  SHA1_Update(&ctx, inner_digest, sizeof(inner_digest));
  SHA1_Final(digest, &ctx);
}

HmacSha1::~HmacSha1() {
  OPENSSL_cleanse(&inner_, sizeof(inner_));
  OPENSSL_cleanse(&outer_, sizeof(outer_));
}

}  // namespace sfu::rtp
