#include "dtls/dtls_certificate.h"

#include <gtest/gtest.h>
#include <openssl/asn1.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <ctime>
#include <regex>
#include <string>

namespace sfu::dtls {
namespace {

// A fixed P-256 certificate made with the openssl command line; its fingerprints were
// computed there too (`openssl x509 -noout -fingerprint -sha256`), independently of the
// code under test.
constexpr const char* kFixtureCertificatePem = R"(-----BEGIN CERTIFICATE-----
MIIBeDCCAR+gAwIBAgIUayfnzJp1defQuIfWhsbzswX5hgwwCgYIKoZIzj0EAwIw
EjEQMA4GA1UEAwwHZml4dHVyZTAeFw0yNjExMjYxNDAyNTdaFw0zNjExMjMxNDAy
NTdaMBIxEDAOBgNVBAMMB2ZpeHR1cmUwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNC
AATKiqEIy3Ogh8Nx+LkWWKpZyPPpC8LstcBbcL/IxSDecOoDMlftWb3bXZlBiQRr
IvmhPDAGWRIttBYlzqH/XIdEo1MwUTAdBgNVHQ4EFgQUdJRdIxRRJqGJ+eLkz7oU
I28TC/EwHwYDVR0jBBgwFoAUdJRdIxRRJqGJ+eLkz7oUI28TC/EwDwYDVR0TAQH/
BAUwAwEB/zAKBggqhkjOPQQDAgNHADBEAiBPGZX5AZR7IuqzkJIxYulnzAdLwQg3
geOX2ufr+FotRgIgK0n0QHmrjtBzjwqpYP/ezmr/Oq7k2ruDV4+GU7H8Oug=
-----END CERTIFICATE-----
)";

constexpr const char* kFixtureKeyPem = R"(-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgSIIrN82RjyNkYgbj
rXfGSAk8L1xAXjjsjinkV44f4FahRANCAATKiqEIy3Ogh8Nx+LkWWKpZyPPpC8Ls
tcBbcL/IxSDecOoDMlftWb3bXZlBiQRrIvmhPDAGWRIttBYlzqH/XIdE
-----END PRIVATE KEY-----
)";

constexpr const char* kFixtureSha256 =
    "81:55:B2:15:74:86:2B:25:07:3F:02:43:0E:4A:85:5B:15:D9:12:BF:B2:DE:A8:E9:AB:91:DB:EF:A0:52:"
    "53:62";
constexpr const char* kFixtureSha1 = "93:2A:96:DB:2F:69:77:CE:CD:11:42:8C:A0:A0:9A:53:09:6A:74:E8";

std::string common_name(X509* x509) {
  char buf[64] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(x509), NID_commonName, buf, sizeof(buf));
  return buf;
}

// Seconds from now to the given ASN1 time (negative = in the past).
long seconds_from_now(const ASN1_TIME* t) {
  int days = 0;
  int seconds = 0;
  EXPECT_EQ(ASN1_TIME_diff(&days, &seconds, nullptr, t), 1);
  return static_cast<long>(days) * 86400 + seconds;
}

TEST(DtlsCertificateTest, GeneratesSelfSignedP256) {
  std::string error;
  auto cert = DtlsCertificate::generate(&error);
  ASSERT_NE(cert, nullptr) << error;
  EXPECT_EQ(ERR_peek_error(), 0u);  // leaves the thread's OpenSSL error queue clean
  X509* x509 = cert->x509();
  ASSERT_NE(x509, nullptr);
  ASSERT_NE(cert->private_key(), nullptr);

  EXPECT_EQ(EVP_PKEY_get_base_id(cert->private_key()), EVP_PKEY_EC);
  char group[64] = {};
  size_t group_len = 0;
  ASSERT_EQ(EVP_PKEY_get_utf8_string_param(cert->private_key(), OSSL_PKEY_PARAM_GROUP_NAME, group,
                                           sizeof(group), &group_len),
            1);
  EXPECT_STREQ(group, "prime256v1");

  EXPECT_EQ(common_name(x509), "sfu");
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(x509), X509_get_issuer_name(x509)), 0);
  EXPECT_EQ(X509_verify(x509, cert->private_key()), 1);  // signed by its own key
  EXPECT_EQ(X509_check_private_key(x509, cert->private_key()), 1);
  EXPECT_EQ(X509_get_signature_nid(x509), NID_ecdsa_with_SHA256);

  long not_before = seconds_from_now(X509_get0_notBefore(x509));
  long not_after = seconds_from_now(X509_get0_notAfter(x509));
  EXPECT_LE(not_before, -86400 + 60);
  EXPECT_GE(not_before, -86400 - 60);
  EXPECT_GE(not_after, 30 * 86400 - 60);
  EXPECT_LE(not_after, 30 * 86400 + 60);

  const ASN1_INTEGER* serial = X509_get0_serialNumber(x509);
  BIGNUM* bn = ASN1_INTEGER_to_BN(serial, nullptr);
  ASSERT_NE(bn, nullptr);
  EXPECT_FALSE(BN_is_zero(bn));
  EXPECT_FALSE(BN_is_negative(bn));
  BN_free(bn);
}

TEST(DtlsCertificateTest, FingerprintFormat) {
  auto cert = DtlsCertificate::generate();
  ASSERT_NE(cert, nullptr);
  const std::string& fp = cert->fingerprint_sha256();
  EXPECT_EQ(fp.size(), 32u * 3 - 1);
  EXPECT_TRUE(std::regex_match(fp, std::regex("([0-9A-F]{2}:){31}[0-9A-F]{2}"))) << fp;
  EXPECT_EQ(fp, fingerprint_sha256_of(cert->x509()));
}

TEST(DtlsCertificateTest, EachGenerationIsDistinct) {
  auto a = DtlsCertificate::generate();
  auto b = DtlsCertificate::generate();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  EXPECT_NE(a->fingerprint_sha256(), b->fingerprint_sha256());
  EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(a->x509()), X509_get0_serialNumber(b->x509())), 0);
  EXPECT_NE(X509_check_private_key(a->x509(), b->private_key()), 1);
}

TEST(DtlsCertificateTest, KnownFingerprints) {
  std::string error;
  auto cert = DtlsCertificate::load_pem(kFixtureCertificatePem, kFixtureKeyPem, &error);
  ASSERT_NE(cert, nullptr) << error;
  EXPECT_EQ(cert->fingerprint_sha256(), kFixtureSha256);
  EXPECT_EQ(fingerprint_sha256_of(cert->x509()), kFixtureSha256);
  EXPECT_EQ(fingerprint_of(cert->x509(), "sha-256"), kFixtureSha256);
  EXPECT_EQ(fingerprint_of(cert->x509(), "SHA-256"), kFixtureSha256);
  EXPECT_EQ(fingerprint_of(cert->x509(), "sha-1"), kFixtureSha1);
  EXPECT_EQ(fingerprint_of(cert->x509(), "sha-512")->size(), 64u * 3 - 1);
  EXPECT_EQ(fingerprint_of(cert->x509(), "md5"), std::nullopt);
  EXPECT_EQ(fingerprint_of(cert->x509(), "sha256"), std::nullopt);  // SDP spells it sha-256
  EXPECT_EQ(common_name(cert->x509()), "fixture");
}

TEST(DtlsCertificateTest, FingerprintOfNullIsEmpty) {
  EXPECT_EQ(fingerprint_sha256_of(nullptr), "");
  EXPECT_EQ(fingerprint_of(nullptr, "sha-256"), "");
}

TEST(DtlsCertificateTest, PemRoundTrip) {
  auto original = DtlsCertificate::generate();
  ASSERT_NE(original, nullptr);
  std::string cert_pem = original->certificate_pem();
  std::string key_pem = original->private_key_pem();
  EXPECT_EQ(cert_pem.rfind("-----BEGIN CERTIFICATE-----", 0), 0u);
  EXPECT_EQ(key_pem.rfind("-----BEGIN PRIVATE KEY-----", 0), 0u);

  std::string error;
  auto loaded = DtlsCertificate::load_pem(cert_pem, key_pem, &error);
  ASSERT_NE(loaded, nullptr) << error;
  EXPECT_EQ(loaded->fingerprint_sha256(), original->fingerprint_sha256());
  EXPECT_EQ(X509_cmp(loaded->x509(), original->x509()), 0);
  EXPECT_EQ(EVP_PKEY_eq(loaded->private_key(), original->private_key()), 1);
}

TEST(DtlsCertificateTest, LoadRejectsMismatchedKey) {
  auto other = DtlsCertificate::generate();
  ASSERT_NE(other, nullptr);
  std::string error;
  EXPECT_EQ(DtlsCertificate::load_pem(kFixtureCertificatePem, other->private_key_pem(), &error), nullptr);
  EXPECT_NE(error.find("does not match"), std::string::npos) << error;
}

TEST(DtlsCertificateTest, LoadRejectsGarbage) {
  std::string error;
  EXPECT_EQ(DtlsCertificate::load_pem("", "", &error), nullptr);
  EXPECT_FALSE(error.empty());
  error.clear();
  EXPECT_EQ(DtlsCertificate::load_pem("not a pem", kFixtureKeyPem, &error), nullptr);
  EXPECT_NE(error.find("certificate"), std::string::npos) << error;
  error.clear();
  EXPECT_EQ(DtlsCertificate::load_pem(kFixtureCertificatePem, "not a key", &error), nullptr);
  EXPECT_NE(error.find("private key"), std::string::npos) << error;
  // Certificate and key swapped.
  EXPECT_EQ(DtlsCertificate::load_pem(kFixtureKeyPem, kFixtureCertificatePem), nullptr);
  EXPECT_EQ(ERR_peek_error(), 0u);
}

TEST(DtlsCertificateTest, LoadRejectsEveryTruncation) {
  std::string cert(kFixtureCertificatePem);
  // Cutting anywhere inside the base64 body or the END line must fail cleanly; the only
  // acceptable prefix is the complete PEM (the trailing newline is optional).
  for (size_t len = 0; len + 1 < cert.size(); ++len) {
    std::string truncated = cert.substr(0, len);
    EXPECT_EQ(DtlsCertificate::load_pem(truncated, kFixtureKeyPem), nullptr) << len;
  }
  std::string key(kFixtureKeyPem);
  for (size_t len = 0; len + 1 < key.size(); len += 7) {
    EXPECT_EQ(DtlsCertificate::load_pem(kFixtureCertificatePem, key.substr(0, len)), nullptr) << len;
  }
}

TEST(DtlsCertificateTest, LoadRejectsEncryptedKeyWithoutPrompting) {
  auto cert = DtlsCertificate::generate();
  ASSERT_NE(cert, nullptr);
  BIO* bio = BIO_new(BIO_s_mem());
  ASSERT_NE(bio, nullptr);
  static const char kPassword[] = "secret";
  ASSERT_EQ(PEM_write_bio_PKCS8PrivateKey(bio, cert->private_key(), EVP_aes_128_cbc(), kPassword,
                                          sizeof(kPassword) - 1, nullptr, nullptr),
            1);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string encrypted(data, static_cast<size_t>(len));
  BIO_free(bio);
  std::string error;
  EXPECT_EQ(DtlsCertificate::load_pem(cert->certificate_pem(), encrypted, &error), nullptr);
  EXPECT_FALSE(error.empty());
}

}  // namespace
}  // namespace sfu::dtls
