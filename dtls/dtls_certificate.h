// The server's DTLS identity: a key pair and a self-signed X.509 certificate whose
// SHA-256 fingerprint goes into every SDP answer (a=fingerprint:sha-256 ...).
//
// Immutable once built and shared (std::shared_ptr) by every DtlsTransport of every
// worker; OpenSSL's X509 and EVP_PKEY are safe to use concurrently for reading.
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace sfu::dtls {

struct X509Deleter {
  void operator()(X509* x509) const { X509_free(x509); }
};
struct EvpPkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using X509Ptr = std::unique_ptr<X509, X509Deleter>;
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyDeleter>;

class DtlsCertificate {
 public:
  // A fresh ECDSA P-256 key and a self-signed certificate: CN "sfu", random serial,
  // valid from one day ago (tolerates peers with a slow clock) to 30 days ahead.
  static std::shared_ptr<DtlsCertificate> generate(std::string* error = nullptr);

  // A certificate and its private key in PEM (the key unencrypted, PKCS#8 or
  // traditional). Fails if either does not parse or the key does not match.
  static std::shared_ptr<DtlsCertificate> load_pem(std::string_view certificate_pem,
                                                   std::string_view private_key_pem,
                                                   std::string* error = nullptr);

  // "AB:CD:..." (uppercase hex, colon separated), as in a=fingerprint:sha-256.
  const std::string& fingerprint_sha256() const { return fingerprint_sha256_; }

  // Borrowed; valid as long as this object lives.
  X509* x509() const { return x509_.get(); }
  EVP_PKEY* private_key() const { return private_key_.get(); }

  // PEM encodings, e.g. to persist a generated identity (the key is unencrypted PKCS#8).
  std::string certificate_pem() const;
  std::string private_key_pem() const;

  struct PrivateTag {};  // keeps construction to the factories above, yet make_shared-able
  DtlsCertificate(PrivateTag, X509Ptr x509, EvpPkeyPtr private_key);

 private:
  X509Ptr x509_;
  EvpPkeyPtr private_key_;
  std::string fingerprint_sha256_;
};

// The certificate's SHA-256 digest in SDP fingerprint form ("AB:CD:..."); empty on error.
std::string fingerprint_sha256_of(X509* certificate);

// The fingerprint under an SDP hash-function name (RFC 8122: "sha-1", "sha-224",
// "sha-256", "sha-384", "sha-512"; case-insensitive). nullopt for an unknown name.
std::optional<std::string> fingerprint_of(X509* certificate, std::string_view algorithm);

}  // namespace sfu::dtls
