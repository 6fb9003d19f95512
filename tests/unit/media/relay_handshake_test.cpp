// The relay between two nodes' workers keys itself with a real DTLS handshake (relay_peer.h): two
// CrossWorkerHubs, each with its own certificate and relay socket on loopback, attached to each
// other as a node's control plane attaches them (the peer's address and the fingerprint its node
// announced). With the right fingerprints the handshake completes and slots cross both ways; with
// a wrong one no slot ever gets through, the failure is counted and the handshake is tried again.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <uv.h>

#include <chrono>
#include <cstdio>
#include <functional>
#include <memory>
#include <vector>

#include "dtls/dtls_certificate.h"
#include "dtls/dtls_transport.h"
#include "sfu/media/cross_worker_hub.h"

namespace sfu {
namespace {

using namespace std::chrono_literals;

constexpr uint32_t kPeer = 1024;  // a remote shard's peer index, as the control plane numbers them

uint64_t value(const std::atomic<uint64_t>& counter) { return counter.load(std::memory_order_relaxed); }

class RelayHandshake : public ::testing::Test {
 protected:
  void SetUp() override {
    uv_loop_init(&loop_);
    for (auto& certificate : certificates_) {
      certificate = dtls::DtlsCertificate::generate();
      ASSERT_TRUE(certificate);
    }
    auto loopback = SocketAddress::from_ip("127.0.0.1", 0);
    ASSERT_TRUE(loopback);
    for (size_t i = 0; i < 2; ++i) {
      hubs_[i] = std::make_unique<CrossWorkerHub>(&loop_, 0, nullptr);
      std::string error;
      ASSERT_TRUE(hubs_[i]->open_relay(*loopback, certificates_[i], &error)) << error;
    }
  }

  void TearDown() override {
    for (auto& hub : hubs_)
      if (hub) hub->close();
    uv_run(&loop_, UV_RUN_NOWAIT);
    hubs_ = {};
    uv_run(&loop_, UV_RUN_NOWAIT);
    uv_loop_close(&loop_);
  }

  // Hub `i` attached to the other one, which it knows by `fingerprint`; hub 0 is the DTLS client
  // (the lower end).
  void attach(size_t i, const std::string& fingerprint, uint64_t retry_ms = 2000,
              uint64_t dead_after_ms = 3000) {
    RelayPeerParams params;
    params.dead_after_ms = dead_after_ms;
    params.peer = kPeer;
    params.address = hubs_[1 - i]->relay_address();
    params.dtls_client = i == 0;
    params.remote_fingerprint = fingerprint;
    params.retry_ms = retry_ms;
    hubs_[i]->attach_remote(params);
  }

  // Each 5 ms: both hubs send one media slot to the other (when `send`); stops when `done` or
  // after `limit`.
  bool pump(const std::function<bool()>& done, std::chrono::milliseconds limit, bool send = true) {
    struct Tick {
      RelayHandshake* self;
      const std::function<bool()>* done;
      std::chrono::steady_clock::time_point deadline;
      bool send;
      bool finished = false;
    } tick{this, &done, std::chrono::steady_clock::now() + limit, send};
    uv_timer_t timer;
    uv_timer_init(&loop_, &timer);
    timer.data = &tick;
    uv_timer_start(
        &timer,
        [](uv_timer_t* t) {
          auto* tick = static_cast<Tick*>(t->data);
          if (tick->send)
            for (auto& hub : tick->self->hubs_) tick->self->send_slot(*hub);
          tick->finished = (*tick->done)();
          if (tick->finished || std::chrono::steady_clock::now() > tick->deadline) uv_stop(t->loop);
        },
        5, 5);
    uv_run(&loop_, UV_RUN_DEFAULT);
    uv_close(reinterpret_cast<uv_handle_t*>(&timer), nullptr);
    uv_run(&loop_, UV_RUN_NOWAIT);
    return tick.finished;
  }

  void send_slot(CrossWorkerHub& hub) {
    CrossWorkerLink* link = hub.to_peer(kPeer);
    if (!link) return;
    std::vector<uint8_t> rtp(200, 0x5a);
    link->push_rtp(CrossWorkerKind::kMedia, {1, 1}, 0, rtp, uv_now(&loop_));
  }

  uv_loop_t loop_{};
  std::array<std::shared_ptr<dtls::DtlsCertificate>, 3> certificates_;  // the third is no hub's
  std::array<std::unique_ptr<CrossWorkerHub>, 2> hubs_;
};

TEST_F(RelayHandshake, CompletesAndSlotsCrossBothWays) {
  auto created = std::chrono::steady_clock::now();
  attach(0, certificates_[1]->fingerprint_sha256());
  attach(1, certificates_[0]->fingerprint_sha256());
  const RelayCounters& a = hubs_[0]->relay_counters();
  const RelayCounters& b = hubs_[1]->relay_counters();
  ASSERT_TRUE(pump([&] { return value(a.packets_received) > 0 && value(b.packets_received) > 0; }, 10s))
      << "handshakes completed " << value(a.handshakes_completed) << "/" << value(b.handshakes_completed)
      << ", failed " << value(a.handshakes_failed) << "/" << value(b.handshakes_failed);
  std::printf("[ relay    ] link creation to a slot delivered both ways on loopback: %.2f ms\n",
              std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - created).count());
  EXPECT_TRUE(hubs_[0]->remote(kPeer)->connected());
  EXPECT_TRUE(hubs_[1]->remote(kPeer)->connected());
  ASSERT_TRUE(pump([&] { return value(a.packets_received) >= 50 && value(b.packets_received) >= 50; }, 10s));
  for (const RelayCounters* c : {&a, &b}) {
    EXPECT_EQ(value(c->handshakes_completed), 1u);
    EXPECT_EQ(value(c->handshakes_failed), 0u);
    EXPECT_EQ(value(c->dropped_bad_tag), 0u);
    EXPECT_EQ(value(c->dropped_replay), 0u);
    EXPECT_EQ(value(c->dropped_no_consent), 0u);
    EXPECT_GT(value(c->consent_received), 0u);  // each sends one as soon as it is connected
  }
}

TEST_F(RelayHandshake, AnEndThatLostItsLinkIsHandshakenAgainOnceConsentLapses) {
  attach(0, certificates_[1]->fingerprint_sha256(), 2000, /*dead_after_ms=*/300);
  attach(1, certificates_[0]->fingerprint_sha256(), 2000, /*dead_after_ms=*/300);
  const RelayCounters& a = hubs_[0]->relay_counters();
  ASSERT_TRUE(pump([&] { return value(hubs_[1]->relay_counters().packets_received) > 0; }, 10s));
  // Hub 1's end goes and comes back on the same address with a new link (no handshake state):
  // hub 0 still thinks its link connected, and what it seals is dropped there (handshaking).
  SocketAddress address = hubs_[1]->relay_address();
  hubs_[1]->close();
  uv_run(&loop_, UV_RUN_NOWAIT);
  hubs_[1] = std::make_unique<CrossWorkerHub>(&loop_, 0, nullptr);
  std::string error;
  ASSERT_TRUE(hubs_[1]->open_relay(address, certificates_[1], &error)) << error;
  attach(1, certificates_[0]->fingerprint_sha256(), 2000, 300);
  const RelayCounters& b = hubs_[1]->relay_counters();
  // Hub 0's consent lapses (nothing valid for 300 ms), it starts over and slots flow again.
  ASSERT_TRUE(pump([&] { return value(b.packets_received) > 0 && value(a.packets_received) > 0; }, 10s))
      << "hub 0 handshakes " << value(a.handshakes_completed) << ", hub 1 drops while handshaking "
      << value(b.dropped_handshaking);
  EXPECT_EQ(value(a.handshakes_completed), 2u);
  EXPECT_EQ(value(b.handshakes_completed), 1u);
  EXPECT_GT(value(b.dropped_handshaking), 0u);
  EXPECT_GT(value(a.dropped_no_consent), 0u);
}

TEST_F(RelayHandshake, APeerWithAnotherCertificateNeverGetsASlotThroughAndIsCounted) {
  // Hub 1 expects a certificate hub 0 does not hold (as if an impostor had hub 0's address).
  attach(0, certificates_[1]->fingerprint_sha256(), /*retry_ms=*/200);
  attach(1, certificates_[2]->fingerprint_sha256(), /*retry_ms=*/200);
  const RelayCounters& a = hubs_[0]->relay_counters();
  const RelayCounters& b = hubs_[1]->relay_counters();
  // Failed on both ends, then tried again (with a new transport) and failed again.
  EXPECT_TRUE(pump([&] { return value(a.handshakes_failed) >= 2 && value(b.handshakes_failed) >= 2; }, 10s))
      << value(a.handshakes_failed) << "/" << value(b.handshakes_failed);
  for (const RelayCounters* c : {&a, &b}) {
    EXPECT_EQ(value(c->handshakes_completed), 0u);
    EXPECT_EQ(value(c->packets_sent), 0u);
    EXPECT_EQ(value(c->packets_received), 0u);
    EXPECT_EQ(value(c->consent_received), 0u);
    EXPECT_GT(value(c->dropped_handshaking), 0u);  // the slots pushed meanwhile
  }
  EXPECT_FALSE(hubs_[0]->remote(kPeer)->connected());
  EXPECT_FALSE(hubs_[1]->remote(kPeer)->connected());
}

// A plain UDP socket on loopback standing for a peer's relay socket.
class RawPeer {
 public:
  RawPeer() {
    fd_ = socket(AF_INET, SOCK_DGRAM, 0);
    sockaddr_in any{};
    any.sin_family = AF_INET;
    any.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&any), sizeof(any));
    socklen_t length = sizeof(any);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&any), &length);
    port_ = ntohs(any.sin_port);
  }
  ~RawPeer() { ::close(fd_); }
  SocketAddress address() const { return *SocketAddress::from_ip("127.0.0.1", port_); }
  void send_to(const SocketAddress& to, ByteSpan datagram) const {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    address.sin_port = htons(to.port());
    sendto(fd_, datagram.data(), datagram.size(), 0, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  }

 private:
  int fd_ = -1;
  uint16_t port_ = 0;
};

TEST_F(RelayHandshake, FramesBeforeTheHandshakeAndForeignClientHellosAreDroppedAndGrantNoConsent) {
  RawPeer member, stranger;
  RelayPeerParams params;
  params.peer = kPeer;
  params.address = member.address();
  params.dtls_client = false;  // waits for a ClientHello the raw socket never sends
  params.remote_fingerprint = certificates_[0]->fingerprint_sha256();
  hubs_[1]->attach_remote(params);
  const RelayCounters& b = hubs_[1]->relay_counters();
  // From the member's address: a well-formed sealed slot and a consent frame under some key.
  RelaySealer sealer(RelayKey{});
  std::vector<uint8_t> plain(kRelayMaxFrameBytes), frame(kRelayMaxFrameBytes);
  CrossWorkerPacket slot;
  slot.size = 100;
  size_t size = encode_relay_slot(slot, plain);
  size_t sealed = sealer.seal(RelayFrameType::kSlot, ByteSpan(plain.data(), size), frame);
  member.send_to(hubs_[1]->relay_address(), ByteSpan(frame.data(), sealed));
  sealed = sealer.seal(RelayFrameType::kConsent, {}, frame);
  member.send_to(hubs_[1]->relay_address(), ByteSpan(frame.data(), sealed));
  // From a stranger's address: a genuine ClientHello of a DTLS client holding hub 0's certificate.
  std::vector<uint8_t> client_hello;
  dtls::DtlsCallbacks callbacks;
  callbacks.send = [&](ByteSpan datagram) {
    if (client_hello.empty()) {
      client_hello.push_back(static_cast<uint8_t>(RelayFrameType::kDtls));
      client_hello.insert(client_hello.end(), datagram.begin(), datagram.end());
    }
  };
  callbacks.on_connected = [](const dtls::SrtpKeys&) {};
  callbacks.on_failed = [](std::string_view) {};
  callbacks.on_application_data = [](ByteSpan) {};
  dtls::DtlsTransport client(certificates_[0], dtls::DtlsRole::Client, std::move(callbacks));
  client.start(0);
  ASSERT_GT(client_hello.size(), 14u);
  stranger.send_to(hubs_[1]->relay_address(), client_hello);
  EXPECT_TRUE(pump([&] { return value(b.dropped_handshaking) >= 2 && value(b.dropped_not_member) >= 1; }, 5s,
                   /*send=*/false));
  EXPECT_EQ(value(b.dropped_handshaking), 2u);
  EXPECT_EQ(value(b.dropped_not_member), 1u);
  EXPECT_EQ(value(b.packets_received), 0u);
  EXPECT_EQ(value(b.consent_received), 0u);
  EXPECT_FALSE(hubs_[1]->remote(kPeer)->connected());
  EXPECT_FALSE(hubs_[1]->remote(kPeer)->consent_fresh());
}

TEST_F(RelayHandshake, AHandshakeWithASilentPeerTimesOutAndIsTriedAgain) {
  RawPeer silent;
  RelayPeerParams params;
  params.peer = kPeer;
  params.address = silent.address();
  params.dtls_client = true;  // retransmits its ClientHello to nobody
  params.remote_fingerprint = certificates_[1]->fingerprint_sha256();
  params.handshake_timeout_ms = 200;
  params.retry_ms = 100;
  hubs_[0]->attach_remote(params);
  const RelayCounters& a = hubs_[0]->relay_counters();
  EXPECT_TRUE(pump([&] { return value(a.handshakes_failed) >= 2; }, 5s)) << value(a.handshakes_failed);
  EXPECT_EQ(value(a.handshakes_completed), 0u);
  EXPECT_GT(value(a.dropped_handshaking), 0u);
}

}  // namespace
}  // namespace sfu
