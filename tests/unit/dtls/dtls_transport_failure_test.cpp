// DtlsTransport when the wire misbehaves: lost flights and retransmission, handshake timeouts,
// random garbage, every truncation of a ClientHello, bit flips in the server's flight, and
// undersized encrypted records (which OpenSSL alone would answer with a fatal alert).
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <thread>

#include "dtls/dtls_transport.h"
#include "tests/unit/dtls/dtls_transport_fixture.h"

namespace sfu::dtls {
namespace {

using namespace test;

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
  start_both();
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

}  // namespace
}  // namespace sfu::dtls
