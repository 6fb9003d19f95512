#include "dtls/dtls_certificate.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <cctype>
#include <climits>
#include <cstdint>

namespace sfu::dtls {
namespace {

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;

struct EvpPkeyCtxDeleter {
  void operator()(EVP_PKEY_CTX* ctx) const { EVP_PKEY_CTX_free(ctx); }
};
using EvpPkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, EvpPkeyCtxDeleter>;

constexpr long kSecondsPerDay = 24L * 60 * 60;
constexpr long kNotBeforeSeconds = -kSecondsPerDay;
constexpr long kNotAfterSeconds = 30 * kSecondsPerDay;

// The oldest error on this thread's OpenSSL queue, and the queue cleared, so the next
// operation starts clean.
std::string take_openssl_error() {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof(buf));
  return buf;
}

std::shared_ptr<DtlsCertificate> fail(std::string* error, const std::string& what) {
  if (error != nullptr) *error = what;
  return nullptr;
}

EvpPkeyPtr generate_p256_key() {
  EvpPkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) <= 0 || EVP_PKEY_CTX_set_group_name(ctx.get(), "P-256") <= 0) {
    return nullptr;
  }
  EVP_PKEY* key = nullptr;
  if (EVP_PKEY_generate(ctx.get(), &key) <= 0) return nullptr;
  return EvpPkeyPtr(key);
}

// A positive, non-zero serial of 63 random bits, so two generated certificates never
// look like the same certificate to a peer's cache.
bool set_random_serial(X509* x509) {
  uint64_t serial = 0;
  if (RAND_bytes(reinterpret_cast<unsigned char*>(&serial), sizeof(serial)) != 1) return false;
  serial &= 0x7fffffffffffffffULL;
  if (serial == 0) serial = 1;
  return ASN1_INTEGER_set_uint64(X509_get_serialNumber(x509), serial) == 1;
}

X509Ptr build_self_signed(EVP_PKEY* key) {
  X509Ptr x509(X509_new());
  if (!x509) return nullptr;
  X509_NAME* name = X509_get_subject_name(x509.get());
  static const unsigned char kCommonName[] = "sfu";
  bool ok = X509_set_version(x509.get(), X509_VERSION_3) == 1 && set_random_serial(x509.get()) &&
            X509_gmtime_adj(X509_getm_notBefore(x509.get()), kNotBeforeSeconds) != nullptr &&
            X509_gmtime_adj(X509_getm_notAfter(x509.get()), kNotAfterSeconds) != nullptr &&
            X509_set_pubkey(x509.get(), key) == 1 &&
            X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, kCommonName, -1, -1, 0) == 1 &&
            X509_set_issuer_name(x509.get(), name) == 1 && X509_sign(x509.get(), key, EVP_sha256()) > 0;
  if (!ok) return nullptr;
  return x509;
}

// A PEM password callback that refuses, so an encrypted key fails to load instead of
// OpenSSL prompting on the terminal.
int no_password(char*, int, int, void*) { return 0; }

std::string bio_contents(BIO* bio) {
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  if (len <= 0 || data == nullptr) return {};
  return std::string(data, static_cast<size_t>(len));
}

std::string colon_hex(const unsigned char* digest, unsigned int len) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(size_t{len} * 3);
  for (unsigned int i = 0; i < len; ++i) {
    if (i != 0) out.push_back(':');
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0x0f]);
  }
  return out;
}

const EVP_MD* digest_for(std::string_view algorithm) {
  std::string lower;
  for (char c : algorithm) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (lower == "sha-1") return EVP_sha1();
  if (lower == "sha-224") return EVP_sha224();
  if (lower == "sha-256") return EVP_sha256();
  if (lower == "sha-384") return EVP_sha384();
  if (lower == "sha-512") return EVP_sha512();
  return nullptr;
}

std::string fingerprint_with(X509* certificate, const EVP_MD* md) {
  if (certificate == nullptr || md == nullptr) return {};
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (X509_digest(certificate, md, digest, &len) != 1) return {};
  return colon_hex(digest, len);
}

}  // namespace

DtlsCertificate::DtlsCertificate(PrivateTag, X509Ptr x509, EvpPkeyPtr private_key)
    : x509_(std::move(x509)),
      private_key_(std::move(private_key)),
      fingerprint_sha256_(fingerprint_sha256_of(x509_.get())) {}

std::shared_ptr<DtlsCertificate> DtlsCertificate::generate(std::string* error) {
  ERR_clear_error();
  EvpPkeyPtr key = generate_p256_key();
  if (!key) return fail(error, "generating the P-256 key failed: " + take_openssl_error());
  X509Ptr x509 = build_self_signed(key.get());
  if (!x509) return fail(error, "building the certificate failed: " + take_openssl_error());
  ERR_clear_error();  // key generation may leave benign entries; keep the thread's queue clean
  return std::make_shared<DtlsCertificate>(PrivateTag{}, std::move(x509), std::move(key));
}

std::shared_ptr<DtlsCertificate> DtlsCertificate::load_pem(std::string_view certificate_pem,
                                                           std::string_view private_key_pem,
                                                           std::string* error) {
  ERR_clear_error();
  if (certificate_pem.size() > INT_MAX || private_key_pem.size() > INT_MAX)
    return fail(error, "PEM input too large");

  BioPtr cert_bio(BIO_new_mem_buf(certificate_pem.data(), static_cast<int>(certificate_pem.size())));
  if (!cert_bio) return fail(error, "out of memory");
  X509Ptr x509(PEM_read_bio_X509(cert_bio.get(), nullptr, no_password, nullptr));
  if (!x509) return fail(error, "cannot parse the certificate PEM: " + take_openssl_error());

  BioPtr key_bio(BIO_new_mem_buf(private_key_pem.data(), static_cast<int>(private_key_pem.size())));
  if (!key_bio) return fail(error, "out of memory");
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(key_bio.get(), nullptr, no_password, nullptr));
  if (!key) return fail(error, "cannot parse the private key PEM: " + take_openssl_error());

  if (X509_check_private_key(x509.get(), key.get()) != 1) {
    ERR_clear_error();
    return fail(error, "the private key does not match the certificate");
  }
  ERR_clear_error();
  return std::make_shared<DtlsCertificate>(PrivateTag{}, std::move(x509), std::move(key));
}

std::string DtlsCertificate::certificate_pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_X509(bio.get(), x509_.get()) != 1) return {};
  return bio_contents(bio.get());
}

std::string DtlsCertificate::private_key_pem() const {
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio ||
      PEM_write_bio_PrivateKey(bio.get(), private_key_.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return {};
  }
  return bio_contents(bio.get());
}

std::string fingerprint_sha256_of(X509* certificate) { return fingerprint_with(certificate, EVP_sha256()); }

std::optional<std::string> fingerprint_of(X509* certificate, std::string_view algorithm) {
  const EVP_MD* md = digest_for(algorithm);
  if (md == nullptr) return std::nullopt;
  return fingerprint_with(certificate, md);
}

}  // namespace sfu::dtls
