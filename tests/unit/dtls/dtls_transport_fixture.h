// The DtlsTransport tests' in-memory wire: two endpoints (client and server) whose datagrams a test
// moves by hand, optionally dropping some, with real-time retransmission timers shortened for
// tests. Shared by dtls_transport_test.cpp (handshake, keys, fingerprints, data, close) and
// dtls_transport_failure_test.cpp (loss, timeouts, garbage, truncated and tampered records).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "dtls/dtls_transport.h"
#include "rtp/srtp_session.h"

namespace sfu::dtls::test {

using rtp::SrtpProfile;
using Bytes = std::vector<uint8_t>;

inline const std::vector<SrtpProfile> kDefaultProfiles = {SrtpProfile::AeadAes128Gcm,
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

inline bool is_done(const Endpoint& e) {
  return e.state() != DtlsState::Connecting && e.state() != DtlsState::New;
}

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

  void start_both() {
    client->transport->start(now_ms);
    server->transport->start(now_ms);
  }

  // Makes both sides, runs the handshake without loss and requires it to succeed.
  void connect(std::vector<SrtpProfile> client_profiles = kDefaultProfiles,
               std::vector<SrtpProfile> server_profiles = kDefaultProfiles) {
    make(std::move(client_profiles), std::move(server_profiles));
    exchange_fingerprints();
    start_both();
    pump();
    ASSERT_EQ(client->state(), DtlsState::Connected) << client->failed_reason;
    ASSERT_EQ(server->state(), DtlsState::Connected) << server->failed_reason;
  }

  void use_fast_retransmits() {
    client->transport->set_initial_retransmit_ms(kTestRetransmitMs);
    server->transport->set_initial_retransmit_ms(kTestRetransmitMs);
  }

  static constexpr uint32_t kTestRetransmitMs = 100;
  inline static std::shared_ptr<DtlsCertificate> client_cert_;
  inline static std::shared_ptr<DtlsCertificate> server_cert_;
  inline static std::shared_ptr<DtlsCertificate> stranger_cert_;

  uint64_t now_ms = 1'000'000;
  std::unique_ptr<Endpoint> client;
  std::unique_ptr<Endpoint> server;
};

inline void expect_mirrored_keys(const Endpoint& client, const Endpoint& server, SrtpProfile profile) {
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

}  // namespace sfu::dtls::test
