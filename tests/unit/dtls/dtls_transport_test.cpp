// DtlsTransport over an in-memory wire: the handshake and the SRTP keys it exports, profile
// choice, fingerprint checks, application data, close, and certificates large enough to be
// fragmented. Loss, timeouts and hostile input are in dtls_transport_failure_test.cpp.
#include "dtls/dtls_transport.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "rtp/srtp_session.h"
#include "tests/unit/dtls/dtls_transport_fixture.h"

namespace sfu::dtls {
namespace {

using namespace test;

TEST_F(DtlsTransportTest, HandshakeCompletesAndKeysAreMirrored) {
  make();
  EXPECT_EQ(client->state(), DtlsState::New);
  EXPECT_EQ(client->transport->role(), DtlsRole::Client);
  EXPECT_EQ(server->transport->role(), DtlsRole::Server);
  exchange_fingerprints();
  start_both();
  EXPECT_EQ(client->state(), DtlsState::Connecting);
  EXPECT_EQ(server->state(), DtlsState::Connecting);
  EXPECT_EQ(client->outbox.size(), 1u);  // ClientHello
  EXPECT_TRUE(server->outbox.empty());   // the server waits
  pump();

  ASSERT_EQ(client->state(), DtlsState::Connected) << client->failed_reason;
  ASSERT_EQ(server->state(), DtlsState::Connected) << server->failed_reason;
  EXPECT_EQ(client->connected_calls, 1);
  EXPECT_EQ(server->connected_calls, 1);
  EXPECT_EQ(client->failed_calls + server->failed_calls, 0);
  EXPECT_EQ(client->transport->selected_profile(), SrtpProfile::AeadAes128Gcm);
  EXPECT_EQ(server->transport->selected_profile(), SrtpProfile::AeadAes128Gcm);
  expect_mirrored_keys(*client, *server, SrtpProfile::AeadAes128Gcm);
  EXPECT_EQ(client->transport->remote_certificate_fingerprint(), server_cert_->fingerprint_sha256());
  EXPECT_EQ(server->transport->remote_certificate_fingerprint(), client_cert_->fingerprint_sha256());
  EXPECT_TRUE(client->transport->failure_reason().empty());
  EXPECT_EQ(client->transport->next_timeout_ms(), std::nullopt);
  EXPECT_EQ(server->transport->next_timeout_ms(), std::nullopt);
  for (size_t size : client->sent_sizes) EXPECT_LE(size, DtlsTransport::kMtu);
  for (size_t size : server->sent_sizes) EXPECT_LE(size, DtlsTransport::kMtu);
}

TEST_F(DtlsTransportTest, HandshakesProduceFreshKeys) {
  connect();
  Bytes first = client->keys->local_key_salt;
  connect();
  EXPECT_NE(client->keys->local_key_salt, first);
}

struct ProfileCase {
  std::vector<SrtpProfile> client;
  std::vector<SrtpProfile> server;
  SrtpProfile expected;
};

class DtlsProfileTest : public DtlsTransportTest, public ::testing::WithParamInterface<ProfileCase> {};

TEST_P(DtlsProfileTest, ServerPreferenceDecides) {
  ASSERT_NO_FATAL_FAILURE(connect(GetParam().client, GetParam().server));
  EXPECT_EQ(client->transport->selected_profile(), GetParam().expected);
  EXPECT_EQ(server->transport->selected_profile(), GetParam().expected);
  expect_mirrored_keys(*client, *server, GetParam().expected);
}

INSTANTIATE_TEST_SUITE_P(
    Preferences, DtlsProfileTest,
    ::testing::Values(
        ProfileCase{kDefaultProfiles, kDefaultProfiles, SrtpProfile::AeadAes128Gcm},
        ProfileCase{kDefaultProfiles, {SrtpProfile::AesCm128HmacSha1_80}, SrtpProfile::AesCm128HmacSha1_80},
        ProfileCase{{SrtpProfile::AesCm128HmacSha1_80}, kDefaultProfiles, SrtpProfile::AesCm128HmacSha1_80},
        ProfileCase{{SrtpProfile::AeadAes128Gcm}, {SrtpProfile::AeadAes128Gcm}, SrtpProfile::AeadAes128Gcm},
        ProfileCase{{SrtpProfile::AesCm128HmacSha1_80, SrtpProfile::AeadAes128Gcm},
                    kDefaultProfiles,
                    SrtpProfile::AeadAes128Gcm},
        ProfileCase{kDefaultProfiles,
                    {SrtpProfile::AesCm128HmacSha1_80, SrtpProfile::AeadAes128Gcm},
                    SrtpProfile::AesCm128HmacSha1_80}));

TEST_F(DtlsTransportTest, NoCommonProfileFails) {
  make({SrtpProfile::AeadAes128Gcm}, {SrtpProfile::AesCm128HmacSha1_80});
  exchange_fingerprints();
  start_both();
  pump();
  EXPECT_EQ(client->state(), DtlsState::Failed);
  EXPECT_EQ(server->state(), DtlsState::Failed);
  EXPECT_EQ(client->connected_calls + server->connected_calls, 0);
  EXPECT_NE(server->failed_reason.find("SRTP"), std::string::npos) << server->failed_reason;
}

TEST_F(DtlsTransportTest, ExportedKeysDriveSrtpBothWays) {
  connect();
  for (bool client_sends : {true, false}) {
    const SrtpKeys& sender_keys = client_sends ? *client->keys : *server->keys;
    const SrtpKeys& receiver_keys = client_sends ? *server->keys : *client->keys;
    auto protect = rtp::SrtpSession::create(sender_keys.profile, sender_keys.local_key_salt,
                                            rtp::SrtpSession::Direction::Outbound);
    auto unprotect = rtp::SrtpSession::create(receiver_keys.profile, receiver_keys.remote_key_salt,
                                              rtp::SrtpSession::Direction::Inbound);
    ASSERT_NE(protect, nullptr);
    ASSERT_NE(unprotect, nullptr);

    Bytes packet(1500, 0);
    const uint8_t header[12] = {0x80, 111, 0x00, 0x01, 0, 0, 0x03, 0xc0, 0xde, 0xad, 0xbe, 0xef};
    std::copy(std::begin(header), std::end(header), packet.begin());
    for (size_t i = 12; i < 172; ++i) packet[i] = static_cast<uint8_t>(i);
    Bytes original(packet.begin(), packet.begin() + 172);
    size_t len = 172;
    ASSERT_EQ(protect->protect_rtp(packet.data(), len, packet.size()), rtp::SrtpError::Ok);
    EXPECT_GT(len, 172u);
    ASSERT_EQ(unprotect->unprotect_rtp(packet.data(), len), rtp::SrtpError::Ok);
    EXPECT_EQ(Bytes(packet.begin(), packet.begin() + static_cast<long>(len)), original);

    // The other direction's key does not open it.
    auto wrong = rtp::SrtpSession::create(receiver_keys.profile, receiver_keys.local_key_salt,
                                          rtp::SrtpSession::Direction::Inbound);
    ASSERT_NE(wrong, nullptr);
    std::copy(original.begin(), original.end(), packet.begin());
    len = original.size();
    ASSERT_EQ(protect->protect_rtp(packet.data(), len, packet.size()), rtp::SrtpError::Ok);
    // (Same sequence number re-protected: allowed for retransmissions.)
    EXPECT_EQ(wrong->unprotect_rtp(packet.data(), len), rtp::SrtpError::AuthFail);
  }
}

TEST_F(DtlsTransportTest, ServerRejectsWrongClientFingerprint) {
  make();
  client->transport->set_remote_fingerprint("sha-256", server_cert_->fingerprint_sha256());
  server->transport->set_remote_fingerprint("sha-256", stranger_cert_->fingerprint_sha256());
  start_both();
  pump();
  EXPECT_EQ(server->state(), DtlsState::Failed);
  EXPECT_EQ(server->failed_reason, "fingerprint mismatch");
  EXPECT_EQ(server->transport->failure_reason(), "fingerprint mismatch");
  EXPECT_EQ(server->failed_calls, 1);
  EXPECT_EQ(server->connected_calls, 0);
  EXPECT_FALSE(server->keys.has_value());
  EXPECT_FALSE(server->transport->selected_profile().has_value());
  // The server's alert stops the client before it ever sees a Finished.
  EXPECT_EQ(client->state(), DtlsState::Failed);
  EXPECT_EQ(client->connected_calls, 0);
}

TEST_F(DtlsTransportTest, ClientRejectsWrongServerFingerprint) {
  make();
  client->transport->set_remote_fingerprint("sha-256", stranger_cert_->fingerprint_sha256());
  server->transport->set_remote_fingerprint("sha-256", client_cert_->fingerprint_sha256());
  start_both();
  pump();
  EXPECT_EQ(client->state(), DtlsState::Failed);
  EXPECT_EQ(client->failed_reason, "fingerprint mismatch");
  EXPECT_EQ(client->connected_calls, 0);
  EXPECT_EQ(server->state(), DtlsState::Failed);
  EXPECT_EQ(server->connected_calls, 0);
}

TEST_F(DtlsTransportTest, FingerprintOfTheRightCertWithOneDigitChangedIsRejected) {
  make();
  std::string almost = server_cert_->fingerprint_sha256();
  almost.back() = almost.back() == '0' ? '1' : '0';
  client->transport->set_remote_fingerprint("sha-256", almost);
  server->transport->set_remote_fingerprint("sha-256", client_cert_->fingerprint_sha256());
  client->transport->start(now_ms);
  pump();
  EXPECT_EQ(client->failed_reason, "fingerprint mismatch");
  EXPECT_EQ(client->connected_calls + server->connected_calls, 0);
}

TEST_F(DtlsTransportTest, FingerprintComparisonIgnoresCase) {
  make();
  std::string lower = server_cert_->fingerprint_sha256();
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  client->transport->set_remote_fingerprint("SHA-256", lower);
  server->transport->set_remote_fingerprint("sha-256", client_cert_->fingerprint_sha256());
  client->transport->start(now_ms);
  pump();
  EXPECT_EQ(client->state(), DtlsState::Connected) << client->failed_reason;
  EXPECT_EQ(server->state(), DtlsState::Connected) << server->failed_reason;
}

TEST_F(DtlsTransportTest, OtherFingerprintAlgorithmsWork) {
  make();
  client->transport->set_remote_fingerprint("sha-512", *fingerprint_of(server_cert_->x509(), "sha-512"));
  server->transport->set_remote_fingerprint("sha-1", *fingerprint_of(client_cert_->x509(), "sha-1"));
  client->transport->start(now_ms);
  pump();
  EXPECT_EQ(client->state(), DtlsState::Connected) << client->failed_reason;
  EXPECT_EQ(server->state(), DtlsState::Connected) << server->failed_reason;
}

TEST_F(DtlsTransportTest, UnknownFingerprintAlgorithmFails) {
  make();
  client->transport->set_remote_fingerprint("md5", "00:11");
  server->transport->set_remote_fingerprint("sha-256", client_cert_->fingerprint_sha256());
  client->transport->start(now_ms);
  pump();
  EXPECT_EQ(client->state(), DtlsState::Failed);
  EXPECT_NE(client->failed_reason.find("unsupported fingerprint algorithm"), std::string::npos);
  EXPECT_EQ(client->connected_calls, 0);
}

TEST_F(DtlsTransportTest, MissingRemoteFingerprintFailsAtCompletion) {
  make();
  client->transport->set_remote_fingerprint("sha-256", server_cert_->fingerprint_sha256());
  // The server never learns the client's fingerprint.
  client->transport->start(now_ms);
  pump();
  EXPECT_EQ(server->state(), DtlsState::Failed);
  EXPECT_EQ(server->failed_reason, "no remote fingerprint");
  EXPECT_EQ(server->connected_calls, 0);
  EXPECT_FALSE(server->keys.has_value());
  // The server tells the client with close_notify.
  EXPECT_EQ(client->state(), DtlsState::Closed);
  EXPECT_EQ(client->closed_calls, 1);
}

TEST_F(DtlsTransportTest, RemoteFingerprintMayArriveDuringTheHandshake) {
  make();
  client->transport->set_remote_fingerprint("sha-256", server_cert_->fingerprint_sha256());
  client->transport->start(now_ms);
  deliver(*client, *server, nullptr);  // ClientHello reaches the server
  server->transport->set_remote_fingerprint("sha-256", client_cert_->fingerprint_sha256());
  pump();
  EXPECT_EQ(client->state(), DtlsState::Connected) << client->failed_reason;
  EXPECT_EQ(server->state(), DtlsState::Connected) << server->failed_reason;
}

TEST_F(DtlsTransportTest, PacketBeforeStartStartsTheServer) {
  make();
  exchange_fingerprints();
  client->transport->start(now_ms);
  pump();  // the server never had start() called
  EXPECT_EQ(client->state(), DtlsState::Connected) << client->failed_reason;
  EXPECT_EQ(server->state(), DtlsState::Connected) << server->failed_reason;
}

TEST_F(DtlsTransportTest, ApplicationDataBothWays) {
  make();
  EXPECT_FALSE(client->transport->send_application_data(Bytes{1}));  // not connected yet
  connect();
  Bytes big(1000);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>(i);
  ASSERT_TRUE(client->transport->send_application_data(big));
  ASSERT_TRUE(server->transport->send_application_data(Bytes{'p', 'o', 'n', 'g'}));
  ASSERT_EQ(client->outbox.size(), 1u);
  EXPECT_EQ(client->outbox.front()[0], 23);  // an application_data record
  EXPECT_LE(client->outbox.front().size(), DtlsTransport::kMtu);
  pump();
  ASSERT_EQ(server->received.size(), 1u);
  EXPECT_EQ(server->received[0], big);
  ASSERT_EQ(client->received.size(), 1u);
  EXPECT_EQ(client->received[0], (Bytes{'p', 'o', 'n', 'g'}));
  EXPECT_FALSE(client->transport->send_application_data(Bytes{}));
  EXPECT_FALSE(client->transport->send_application_data(Bytes(16385)));
}

TEST_F(DtlsTransportTest, ReplayedApplicationRecordIsDeliveredOnce) {
  connect();
  ASSERT_TRUE(client->transport->send_application_data(Bytes{9, 9}));
  ASSERT_EQ(client->outbox.size(), 1u);
  Bytes record = client->outbox.front();
  pump();
  server->transport->handle_packet(record, now_ms);  // a replay
  EXPECT_EQ(server->received.size(), 1u);
}

TEST_F(DtlsTransportTest, CloseSendsCloseNotify) {
  connect();
  client->transport->close();
  EXPECT_EQ(client->state(), DtlsState::Closed);
  EXPECT_FALSE(client->outbox.empty());
  pump();
  EXPECT_EQ(server->state(), DtlsState::Closed);
  EXPECT_EQ(server->closed_calls, 1);
  EXPECT_EQ(server->failed_calls, 0);
  EXPECT_FALSE(server->transport->send_application_data(Bytes{1}));
  client->transport->close();  // idempotent
  EXPECT_EQ(client->state(), DtlsState::Closed);
}

TEST_F(DtlsTransportTest, CloseDuringHandshakeStops) {
  make();
  exchange_fingerprints();
  client->transport->start(now_ms);
  client->transport->close();
  EXPECT_EQ(client->state(), DtlsState::Closed);
  EXPECT_EQ(client->transport->next_timeout_ms(), std::nullopt);
  pump();
  EXPECT_EQ(client->connected_calls, 0);
  EXPECT_EQ(client->failed_calls, 0);
}

TEST_F(DtlsTransportTest, MissingCertificateFailsOnStart) {
  Endpoint broken(nullptr, DtlsRole::Client);
  broken.transport->start(now_ms);
  EXPECT_EQ(broken.state(), DtlsState::Failed);
  EXPECT_EQ(broken.failed_reason, "no local certificate");
  EXPECT_TRUE(broken.outbox.empty());
}

TEST_F(DtlsTransportTest, EmptyProfileListFailsOnStart) {
  Endpoint broken(client_cert_, DtlsRole::Client, {});
  broken.transport->start(now_ms);
  EXPECT_EQ(broken.state(), DtlsState::Failed);
  EXPECT_FALSE(broken.failed_reason.empty());
}

// A P-256 certificate padded with a 3000-byte comment extension, so its Certificate
// message must be fragmented across several records and datagrams.
std::shared_ptr<DtlsCertificate> make_oversized_certificate() {
  auto base = DtlsCertificate::generate();
  if (!base) return nullptr;
  X509* x509 = X509_new();
  X509_set_version(x509, X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(x509), 42);
  X509_gmtime_adj(X509_getm_notBefore(x509), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x509), 3600);
  X509_set_pubkey(x509, base->private_key());
  X509_NAME* name = X509_get_subject_name(x509);
  static const unsigned char kCn[] = "big";
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, kCn, -1, -1, 0);
  X509_set_issuer_name(x509, name);
  std::string comment(3000, 'x');
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, nullptr, NID_netscape_comment, comment.c_str());
  X509_add_ext(x509, ext, -1);
  X509_EXTENSION_free(ext);
  X509_sign(x509, base->private_key(), EVP_sha256());
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, x509);
  char* data = nullptr;
  long len = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(len));
  BIO_free(bio);
  X509_free(x509);
  return DtlsCertificate::load_pem(pem, base->private_key_pem());
}

TEST_F(DtlsTransportTest, LargeCertificatesAreFragmentedWithinTheMtu) {
  auto big = make_oversized_certificate();
  ASSERT_NE(big, nullptr);
  ASSERT_GT(i2d_X509(big->x509(), nullptr), 3000);
  client = std::make_unique<Endpoint>(big, DtlsRole::Client);
  server = std::make_unique<Endpoint>(big, DtlsRole::Server);
  client->transport->set_remote_fingerprint("sha-256", big->fingerprint_sha256());
  server->transport->set_remote_fingerprint("sha-256", big->fingerprint_sha256());
  client->transport->start(now_ms);
  pump();
  ASSERT_EQ(client->state(), DtlsState::Connected) << client->failed_reason;
  ASSERT_EQ(server->state(), DtlsState::Connected) << server->failed_reason;
  size_t largest = 0;
  for (size_t size : server->sent_sizes) largest = std::max(largest, size);
  for (size_t size : client->sent_sizes) largest = std::max(largest, size);
  EXPECT_LE(largest, DtlsTransport::kMtu);
  EXPECT_GT(largest, DtlsTransport::kMtu - 200);  // records are packed, not sent one by one
  EXPECT_GE(server->sent_sizes.size(), 3u);       // 3000+ bytes need at least 3 datagrams
}

TEST(DtlsStateTest, Names) {
  EXPECT_STREQ(dtls_state_name(DtlsState::New), "new");
  EXPECT_STREQ(dtls_state_name(DtlsState::Connecting), "connecting");
  EXPECT_STREQ(dtls_state_name(DtlsState::Connected), "connected");
  EXPECT_STREQ(dtls_state_name(DtlsState::Failed), "failed");
  EXPECT_STREQ(dtls_state_name(DtlsState::Closed), "closed");
}

}  // namespace
}  // namespace sfu::dtls
