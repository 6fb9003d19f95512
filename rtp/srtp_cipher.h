// The three primitives SRTP is built from, on OpenSSL's libcrypto, each keyed once and then used
// per packet without allocating: AES in counter mode (RFC 3711 AES-CM, also the key derivation
// PRF), AES-GCM (RFC 7714) and HMAC-SHA1 (RFC 2104).
//
// Why not EVP_MAC for HMAC: in OpenSSL 3.0 every HMAC re-init copies the digest context with a
// fresh allocation (EVP_MD_CTX_copy_ex -> dupctx), twice per packet. HmacSha1 instead keeps the
// SHA-1 states after the inner and outer padded keys as plain values and copies them per packet;
// the compression function is still OpenSSL's (SHA-NI where the CPU has it).
#pragma once

#include <openssl/sha.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <memory>

#include "base/bytes.h"

struct evp_cipher_ctx_st;  // EVP_CIPHER_CTX, kept out of this header

namespace sfu::rtp {

struct CipherContextDeleter {
  void operator()(evp_cipher_ctx_st* ctx) const;
};
using CipherContext = std::unique_ptr<evp_cipher_ctx_st, CipherContextDeleter>;

// AES-128 or AES-256 in counter mode with a full 16-byte initial counter block.
class AesCounterMode {
 public:
  static constexpr size_t kIvSize = 16;
  // key is 16 or 32 bytes. False when OpenSSL refuses (or another key length).
  bool init(ByteSpan key);
  // XORs the key stream that starts at counter block `iv` into data[0, size), in place.
  bool apply(const std::array<uint8_t, kIvSize>& iv, uint8_t* data, size_t size);

 private:
  CipherContext ctx_;
};

// AES-128-GCM or AES-256-GCM with 12-byte IVs and 16-byte tags, one direction.
class AesGcm {
 public:
  static constexpr size_t kIvSize = 12;
  static constexpr size_t kTagSize = 16;
  bool init(ByteSpan key, bool encrypt);
  // Authenticates aad_head || aad_tail and encrypts data[0, size) in place; writes the tag.
  bool seal(const std::array<uint8_t, kIvSize>& iv, ByteSpan aad_head, ByteSpan aad_tail, uint8_t* data,
            size_t size, uint8_t* tag);
  // Decrypts data[0, size) in place and checks `tag`; false when it does not authenticate (the data
  // is then garbage).
  bool open(const std::array<uint8_t, kIvSize>& iv, ByteSpan aad_head, ByteSpan aad_tail, uint8_t* data,
            size_t size, const uint8_t* tag);

 private:
  CipherContext ctx_;
};

// HMAC-SHA1 with a fixed key over a message given in two parts (SRTP: packet, then ROC).
class HmacSha1 {
 public:
  static constexpr size_t kDigestSize = 20;
  void init(ByteSpan key);
  void compute(ByteSpan head, ByteSpan tail, uint8_t* digest) const;
  ~HmacSha1();

 private:
  SHA_CTX inner_{};  // after (key ^ ipad)
  SHA_CTX outer_{};  // after (key ^ opad)
};

}  // namespace sfu::rtp
