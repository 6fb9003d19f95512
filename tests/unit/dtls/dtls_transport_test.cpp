#include "dtls/dtls_transport.h"

#include <gtest/gtest.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <chrono>
#include <deque>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include "rtp/srtp_session.h"

namespace sfu::dtls {
namespace {

using rtp::SrtpProfile;
using Bytes = std::vector<uint8_t>;

const std::vector<SrtpProfile> kDefaultProfiles = {SrtpProfile::AeadAes128Gcm,
                                                   SrtpProfile::AesCm128HmacSha1_80};

// One side of the in-memory wire: records what its transport sends and reports.
struct Endpoint {
  Endpoint(std::shared_ptr<DtlsCertificate> cert, DtlsRole role,
           std::vector<SrtpProfile> profiles = kDefaultProfiles)
      : certificate(std::move(cert)) {
    DtlsCallbacks callbacks;
    callbacks.send = [this](ByteSpan datagram) {
      outbox.emplace_back(datagram.begin(), datagram.end());
      sent_sizes.push_back(datagram.size());
    };
    callbacks.on_connected = [this](const SrtpKeys& k) {
      ++connected_calls;
      keys = k;
    };
    callbacks.on_failed = [this](std::string_view reason) {
      ++failed_calls;
      failed_reason = std::string(reason);
    };
    callbacks.on_application_data = [this](ByteSpan data) {
      received.emplace_back(data.begin(), data.end());
    };
    callbacks.on_closed = [this] { ++closed_calls; };
    transport = std::make_unique<DtlsTransport>(certificate, role, std::move(callbacks), std::move(profiles));
  }
  Endpoint(const Endpoint&) = delete;

  DtlsState state() const { return transport->state(); }

  std::shared_ptr<DtlsCertificate> certificate;
  std::unique_ptr<DtlsTransport> transport;
  std::deque<Bytes> outbox;
  std::vector<size_t> sent_sizes;
  int connected_calls = 0;
  std::optional<SrtpKeys> keys;
  int failed_calls = 0;
  std::string failed_reason;
  std::vector<Bytes> received;
  int closed_calls = 0;
};

// Decides whether a datagram is lost on the way; gets the sender and the bytes.
using DropFilter = std::function<bool(const Endpoint& from, const Bytes& datagram)>;

bool is_done(const Endpoint& e) { return e.state() != DtlsState::Connecting && e.state() != DtlsState::New; }

class DtlsTransportTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    client_cert_ = DtlsCertificate::generate();
    server_cert_ = DtlsCertificate::generate();
    stranger_cert_ = DtlsCertificate::generate();
    ASSERT_NE(client_cert_, nullptr);
    ASSERT_NE(server_cert_, nullptr);
    ASSERT_NE(stranger_cert_, nullptr);
  }
  static void TearDownTestSuite() {
    client_cert_.reset();
    server_cert_.reset();
    stranger_cert_.reset();
  }

  void make(std::vector<SrtpProfile> client_profiles = kDefaultProfiles,
            std::vector<SrtpProfile> server_profiles = kDefaultProfiles) {
    client = std::make_unique<Endpoint>(client_cert_, DtlsRole::Client, std::move(client_profiles));
    server = std::make_unique<Endpoint>(server_cert_, DtlsRole::Server, std::move(server_profiles));
  }

  void exchange_fingerprints() {
    client->transport->set_remote_fingerprint("sha-256", server_cert_->fingerprint_sha256());
    server->transport->set_remote_fingerprint("sha-256", client_cert_->fingerprint_sha256());
  }

  // Moves every queued datagram to the other side until both are quiet.
  void pump(const DropFilter& drop = nullptr) {
    for (int round = 0; round < 100; ++round) {
      if (client->outbox.empty() && server->outbox.empty()) return;
      deliver(*client, *server, drop);
      deliver(*server, *client, drop);
    }
    FAIL() << "the transports never went quiet";
  }

  void deliver(Endpoint& from, Endpoint& to, const DropFilter& drop) {
    std::deque<Bytes> batch;
    batch.swap(from.outbox);
    for (const Bytes& datagram : batch) {
      if (drop && drop(from, datagram)) continue;
      to.transport->handle_packet(datagram, now_ms);
    }
  }

  // Pumps, and when both sides wait, lets the (real-time) retransmission timers expire
  // and fires them, until both are done or the attempts run out.
  void run(const DropFilter& drop, int max_timeouts = 10) {
    for (int i = 0; i <= max_timeouts; ++i) {
      pump(drop);
      if (is_done(*client) && is_done(*server)) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(kTestRetransmitMs + 20));
      now_ms += 1000;
      client->transport->handle_timeout(now_ms);
      server->transport->handle_timeout(now_ms);
    }
  }

  void connect() {
    make();
    exchange_fingerprints();
    client->transport->start(now_ms);
    server->transport->start(now_ms);
    pump();
    ASSERT_EQ(client->state(), DtlsState::Connected) << client->failed_reason;
    ASSERT_EQ(server->state(), DtlsState::Connected) << server->failed_reason;
  }

  void use_fast_retransmits() {
    client->transport->set_initial_retransmit_ms(kTestRetransmitMs);
    server->transport->set_initial_retransmit_ms(kTestRetransmitMs);
  }

  static constexpr uint32_t kTestRetransmitMs = 100;
  static std::shared_ptr<DtlsCertificate> client_cert_;
  static std::shared_ptr<DtlsCertificate> server_cert_;
  static std::shared_ptr<DtlsCertificate> stranger_cert_;

  uint64_t now_ms = 1'000'000;
  std::unique_ptr<Endpoint> client;
  std::unique_ptr<Endpoint> server;
};

std::shared_ptr<DtlsCertificate> DtlsTransportTest::client_cert_;
std::shared_ptr<DtlsCertificate> DtlsTransportTest::server_cert_;
std::shared_ptr<DtlsCertificate> DtlsTransportTest::stranger_cert_;

void expect_mirrored_keys(const Endpoint& client, const Endpoint& server, SrtpProfile profile) {
  ASSERT_TRUE(client.keys.has_value());
  ASSERT_TRUE(server.keys.has_value());
  EXPECT_EQ(client.keys->profile, profile);
  EXPECT_EQ(server.keys->profile, profile);
  EXPECT_EQ(client.keys->local_key_salt.size(), rtp::srtp_key_salt_length(profile));
  EXPECT_EQ(client.keys->remote_key_salt.size(), rtp::srtp_key_salt_length(profile));
  EXPECT_EQ(client.keys->local_key_salt, server.keys->remote_key_salt);
  EXPECT_EQ(client.keys->remote_key_salt, server.keys->local_key_salt);
  EXPECT_NE(client.keys->local_key_salt, client.keys->remote_key_salt);
}

TEST_F(DtlsTransportTest, HandshakeCompletesAndKeysAreMirrored) {
  make();
  EXPECT_EQ(client->state(), DtlsState::New);
  EXPECT_EQ(client->transport->role(), DtlsRole::Client);
  EXPECT_EQ(server->transport->role(), DtlsRole::Server);
  exchange_fingerprints();
  client->transport->start(now_ms);
  server->transport->start(now_ms);
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
  make(GetParam().client, GetParam().server);
  exchange_fingerprints();
  client->transport->start(now_ms);
  server->transport->start(now_ms);
  pump();
  ASSERT_EQ(client->state(), DtlsState::Connected) << client->failed_reason;
  ASSERT_EQ(server->state(), DtlsState::Connected) << server->failed_reason;
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
  client->transport->start(now_ms);
  server->transport->start(now_ms);
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
  client->transport->start(now_ms);
  server->transport->start(now_ms);
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
  client->transport->start(now_ms);
  server->transport->start(now_ms);
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

TEST_F(DtlsTransportTest, LostClientHelloIsRetransmitted) {
  make();
  exchange_fingerprints();
  client->transport->set_initial_retransmit_ms(200);
  client->transport->start(now_ms);
  ASSERT_EQ(client->outbox.size(), 1u);
  Bytes client_hello = client->outbox.front();
  client->outbox.clear();  // lost

  std::optional<uint64_t> due = client->transport->next_timeout_ms();
  ASSERT_TRUE(due.has_value());
  EXPECT_GT(*due, now_ms);
  EXPECT_LE(*due, now_ms + 200);
  // Not yet expired: nothing is resent.
  client->transport->handle_timeout(now_ms + 1);
  EXPECT_TRUE(client->outbox.empty());

  std::this_thread::sleep_for(std::chrono::milliseconds(250));
  now_ms += 1000;
  client->transport->handle_timeout(now_ms);
  ASSERT_EQ(client->outbox.size(), 1u);
  EXPECT_EQ(client->outbox.front()[0], 22);         // a handshake record again
  EXPECT_NE(client->outbox.front(), client_hello);  // new record sequence number
  pump();
  EXPECT_EQ(client->state(), DtlsState::Connected) << client->failed_reason;
  EXPECT_EQ(server->state(), DtlsState::Connected) << server->failed_reason;
}

TEST_F(DtlsTransportTest, LostServerFlightIsRecovered) {
  make();
  exchange_fingerprints();
  use_fast_retransmits();
  client->transport->start(now_ms);
  bool dropped = false;
  run([&](const Endpoint& from, const Bytes&) {
    if (&from != server.get() || dropped) return false;
    dropped = true;  // the whole first server flight fits one datagram
    return true;
  });
  EXPECT_TRUE(dropped);
  EXPECT_EQ(client->state(), DtlsState::Connected) << client->failed_reason;
  EXPECT_EQ(server->state(), DtlsState::Connected) << server->failed_reason;
  expect_mirrored_keys(*client, *server, SrtpProfile::AeadAes128Gcm);
}

TEST_F(DtlsTransportTest, LostFinalServerFlightIsResentWhenTheClientRetransmits) {
  make();
  exchange_fingerprints();
  use_fast_retransmits();
  client->transport->start(now_ms);
  int dropped = 0;
  run([&](const Endpoint& from, const Bytes& datagram) {
    // The server's last flight starts with its ChangeCipherSpec record (content type 20).
    if (&from == server.get() && datagram[0] == 20 && dropped == 0) {
      ++dropped;
      return true;
    }
    return false;
  });
  EXPECT_EQ(dropped, 1);
  // The server finished first; the client got there through its own retransmission.
  EXPECT_EQ(server->connected_calls, 1);
  EXPECT_EQ(client->connected_calls, 1);
  EXPECT_EQ(client->state(), DtlsState::Connected) << client->failed_reason;
  expect_mirrored_keys(*client, *server, SrtpProfile::AeadAes128Gcm);
}

TEST_F(DtlsTransportTest, HandshakeTimesOut) {
  make();
  exchange_fingerprints();
  client->transport->start(now_ms);
  server->transport->start(now_ms);
  client->outbox.clear();  // nothing ever arrives anywhere

  std::optional<uint64_t> client_due = client->transport->next_timeout_ms();
  std::optional<uint64_t> server_due = server->transport->next_timeout_ms();
  ASSERT_TRUE(client_due.has_value());
  ASSERT_TRUE(server_due.has_value());
  EXPECT_LE(*client_due, now_ms + DtlsTransport::kDefaultInitialRetransmitMs);
  EXPECT_EQ(*server_due, now_ms + DtlsTransport::kDefaultHandshakeTimeoutMs);

  const uint64_t deadline = now_ms + DtlsTransport::kDefaultHandshakeTimeoutMs;
  client->transport->handle_timeout(deadline - 1);
  server->transport->handle_timeout(deadline - 1);
  EXPECT_EQ(client->state(), DtlsState::Connecting);
  EXPECT_EQ(server->state(), DtlsState::Connecting);

  client->transport->handle_timeout(deadline);
  server->transport->handle_timeout(deadline);
  EXPECT_EQ(client->state(), DtlsState::Failed);
  EXPECT_EQ(server->state(), DtlsState::Failed);
  EXPECT_EQ(client->failed_reason, "handshake timeout");
  EXPECT_EQ(server->failed_reason, "handshake timeout");
  EXPECT_EQ(client->failed_calls, 1);
  EXPECT_EQ(client->transport->next_timeout_ms(), std::nullopt);

  // Dead transports stay dead and quiet.
  client->outbox.clear();
  client->transport->handle_timeout(deadline + 100'000);
  client->transport->handle_packet(Bytes{22, 0xfe, 0xfd}, deadline + 100'000);
  EXPECT_FALSE(client->transport->send_application_data(Bytes{1, 2, 3}));
  EXPECT_TRUE(client->outbox.empty());
  EXPECT_EQ(client->failed_calls, 1);
}

TEST_F(DtlsTransportTest, HandshakeTimeoutIsConfigurable) {
  make();
  client->transport->set_handshake_timeout_ms(5'000);
  client->transport->start(now_ms);
  EXPECT_LE(*client->transport->next_timeout_ms(), now_ms + 5'000);
  client->transport->handle_timeout(now_ms + 4'999);
  EXPECT_EQ(client->state(), DtlsState::Connecting);
  client->transport->handle_timeout(now_ms + 5'000);
  EXPECT_EQ(client->state(), DtlsState::Failed);
  EXPECT_EQ(client->failed_reason, "handshake timeout");
}

TEST_F(DtlsTransportTest, NoTimeoutBeforeStart) {
  make();
  EXPECT_EQ(client->transport->next_timeout_ms(), std::nullopt);
  client->transport->handle_timeout(now_ms + 10'000'000);
  EXPECT_EQ(client->state(), DtlsState::New);
  EXPECT_TRUE(client->outbox.empty());
}

TEST_F(DtlsTransportTest, PacketBeforeStartStartsTheServer) {
  make();
  exchange_fingerprints();
  client->transport->start(now_ms);
  pump();  // the server never had start() called
  EXPECT_EQ(client->state(), DtlsState::Connected) << client->failed_reason;
  EXPECT_EQ(server->state(), DtlsState::Connected) << server->failed_reason;
}

Bytes pseudo_random_bytes(uint32_t& x, size_t size) {
  Bytes out(size);
  for (auto& b : out) {
    x = x * 1664525u + 1013904223u;
    b = static_cast<uint8_t>(x >> 24);
  }
  return out;
}

TEST_F(DtlsTransportTest, GarbageBeforeAndDuringTheHandshakeIsSurvived) {
  make();
  exchange_fingerprints();
  uint32_t seed = 7;
  // Random datagrams, some with a plausible DTLS 1.2 record header in front.
  for (int i = 0; i < 200; ++i) {
    Bytes garbage = pseudo_random_bytes(seed, 1 + (seed % 300));
    if (i % 2 == 0 && garbage.size() >= 13) {
      garbage[0] = static_cast<uint8_t>(20 + i % 4);
      garbage[1] = 0xfe;
      garbage[2] = 0xfd;
    }
    server->transport->handle_packet(garbage, now_ms);
  }
  server->outbox.clear();
  ASSERT_EQ(server->state(), DtlsState::Connecting) << server->failed_reason;

  client->transport->start(now_ms);
  deliver(*client, *server, nullptr);
  for (int i = 0; i < 50; ++i) {
    client->transport->handle_packet(pseudo_random_bytes(seed, 1 + (seed % 200)), now_ms);
  }
  pump();
  EXPECT_EQ(client->state(), DtlsState::Connected) << client->failed_reason;
  EXPECT_EQ(server->state(), DtlsState::Connected) << server->failed_reason;
}

TEST_F(DtlsTransportTest, EveryTruncationOfTheClientHelloIsRejectedCleanly) {
  make();
  exchange_fingerprints();
  client->transport->start(now_ms);
  ASSERT_EQ(client->outbox.size(), 1u);
  const Bytes client_hello = client->outbox.front();

  for (size_t len = 1; len < client_hello.size(); ++len) {
    Endpoint fresh(server_cert_, DtlsRole::Server);
    fresh.transport->set_remote_fingerprint("sha-256", client_cert_->fingerprint_sha256());
    fresh.transport->handle_packet(ByteSpan(client_hello.data(), len), now_ms);
    EXPECT_TRUE(fresh.outbox.empty()) << len;  // no ServerHello for a partial ClientHello
    ASSERT_EQ(fresh.state(), DtlsState::Connecting) << len << " " << fresh.failed_reason;
    // Still able to answer the real ClientHello afterwards.
    fresh.transport->handle_packet(client_hello, now_ms);
    EXPECT_FALSE(fresh.outbox.empty()) << len;
  }
}

// Flip one bit of the server's first flight at a time: the client may fail, or (when
// the bit is not covered by anything, e.g. a record sequence number) still connect, but
// it never crashes and never ends up with keys that differ from the server's.
TEST_F(DtlsTransportTest, TamperedServerFlightNeverYieldsMismatchedKeys) {
  make();
  exchange_fingerprints();
  client->transport->start(now_ms);
  deliver(*client, *server, nullptr);
  ASSERT_EQ(server->outbox.size(), 1u);
  const size_t flight_size = server->outbox.front().size();

  int failures = 0;
  for (size_t position = 0; position < flight_size; position += 3) {
    make();
    exchange_fingerprints();
    client->transport->start(now_ms);
    deliver(*client, *server, nullptr);
    ASSERT_EQ(server->outbox.size(), 1u);
    // ECDSA signatures vary in length by a byte or two between handshakes.
    if (position >= server->outbox.front().size()) continue;
    server->outbox.front()[position] ^= 0x04;
    pump();
    EXPECT_NE(client->state(), DtlsState::New);
    if (client->state() == DtlsState::Connected && server->state() == DtlsState::Connected) {
      expect_mirrored_keys(*client, *server, *client->transport->selected_profile());
    } else {
      ++failures;
      EXPECT_FALSE(client->connected_calls == 1 && server->connected_calls == 1) << position;
    }
  }
  EXPECT_GT(failures, 0);  // most bits matter
}

TEST_F(DtlsTransportTest, GarbageAfterConnectIsDropped) {
  connect();
  uint32_t seed = 99;
  for (int i = 0; i < 100; ++i) {
    Bytes garbage = pseudo_random_bytes(seed, 13 + (seed % 200));
    garbage[0] = 23;  // application data
    garbage[1] = 0xfe;
    garbage[2] = 0xfd;
    garbage[3] = 0;
    garbage[4] = 1;  // epoch 1
    store_be16(garbage.data() + 11, static_cast<uint16_t>(garbage.size() - 13));
    server->transport->handle_packet(garbage, now_ms);
  }
  EXPECT_EQ(server->state(), DtlsState::Connected) << server->failed_reason;
  EXPECT_TRUE(server->received.empty());
  ASSERT_TRUE(client->transport->send_application_data(Bytes{1, 2, 3}));
  pump();
  ASSERT_EQ(server->received.size(), 1u);
  EXPECT_EQ(server->received[0], (Bytes{1, 2, 3}));
}

Bytes record(uint8_t type, uint16_t epoch, size_t body_size) {
  Bytes out(13 + body_size, 0x5a);
  out[0] = type;
  out[1] = 0xfe;  // DTLS 1.2
  out[2] = 0xfd;
  store_be16(out.data() + 3, epoch);
  out[10] = 77;  // sequence number
  store_be16(out.data() + 11, static_cast<uint16_t>(body_size));
  return out;
}

// OpenSSL 3.0 would answer these with a fatal alert; the transport must drop them.
TEST_F(DtlsTransportTest, UndersizedEncryptedRecordsAreDroppedAfterConnect) {
  connect();
  uint64_t expected_drops = 0;
  for (uint8_t type : {20, 21, 22, 23}) {
    for (size_t body = 0; body < 24; ++body) {
      server->transport->handle_packet(record(type, 1, body), now_ms);
      ++expected_drops;
      ASSERT_EQ(server->state(), DtlsState::Connected)
          << int{type} << " " << body << " " << server->failed_reason;
    }
    // Full-size garbage reaches OpenSSL, which discards it on its own.
    server->transport->handle_packet(record(type, 1, 40), now_ms);
    ASSERT_EQ(server->state(), DtlsState::Connected) << server->failed_reason;
  }
  EXPECT_EQ(server->transport->dropped_datagrams(), expected_drops);
  // A datagram with a good record followed by a runt is dropped whole.
  ASSERT_TRUE(client->transport->send_application_data(Bytes{4, 5}));
  Bytes coalesced = client->outbox.front();
  client->outbox.clear();
  Bytes runt = record(23, 1, 5);
  coalesced.insert(coalesced.end(), runt.begin(), runt.end());
  server->transport->handle_packet(coalesced, now_ms);
  EXPECT_TRUE(server->received.empty());
  EXPECT_EQ(server->state(), DtlsState::Connected);
  ASSERT_TRUE(client->transport->send_application_data(Bytes{6}));
  pump();
  ASSERT_EQ(server->received.size(), 1u);
  EXPECT_EQ(server->received[0], Bytes{6});
}

TEST_F(DtlsTransportTest, UndersizedEncryptedRecordsAreDroppedDuringTheHandshake) {
  make();
  exchange_fingerprints();
  client->transport->start(now_ms);
  auto inject = [&](Endpoint& target) {
    for (uint8_t type : {21, 22, 23}) {
      for (size_t body = 0; body < 24; ++body) target.transport->handle_packet(record(type, 1, body), now_ms);
    }
  };
  inject(*server);  // before the ClientHello
  deliver(*client, *server, nullptr);
  inject(*server);  // after it: epoch-1 records get buffered for later
  inject(*client);
  pump();
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
