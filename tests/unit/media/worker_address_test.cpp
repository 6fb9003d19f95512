// The worker's table of validated remote 5-tuples, driven by real ICE checks over loopback: it agrees
// with what each transport has validated (at most 8 addresses each), forgets an address the moment
// its transport does (eviction, takeover, destruction), and so never routes a datagram to a freed
// transport. Audit rows 1 (stale entries after eviction: unbounded growth, use-after-free) and 18
// (a valid check for another transport takes the address of one that has gone quiet).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "tests/unit/media/room_test_support.h"
#include "tests/unit/media/udp_test_peer.h"

namespace sfu {
namespace {

using media_test::on_worker;
using media_test::UdpTestPeer;

constexpr size_t kMaxAddressesPerTransport = 8;

struct NullObserver : WebRtcTransport::Observer {
  void on_transport_connected(WebRtcTransport&) override {}
  void on_transport_closed(WebRtcTransport&, std::string_view) override {}
  void on_rtp(WebRtcTransport&, uint8_t*, size_t, int64_t) override {}
  void on_rtcp(WebRtcTransport&, uint8_t*, size_t) override {}
};

struct Credentials {
  uint64_t id = 0;
  std::string ufrag, pwd;
};

class WorkerAddressTest : public media_test::WorkerFixture {
 protected:
  SocketAddress server() const { return *SocketAddress::from_ip("127.0.0.1", worker_->udp_address().port()); }

  Credentials create_transport() {
    return on_worker(*worker_, [this](Worker& w) {
      WebRtcTransport& t = w.create_transport(observer_);
      return Credentials{t.id(), t.ice_ufrag(), t.ice_pwd()};
    });
  }
  std::vector<SocketAddress> validated_by(uint64_t transport_id) {
    return on_worker(*worker_, [transport_id](Worker& w) {
      WebRtcTransport* t = w.find_transport(transport_id);
      return t ? t->validated_addresses() : std::vector<SocketAddress>{};
    });
  }
  size_t known_addresses() {
    return on_worker(*worker_, [](Worker& w) { return w.known_address_count(); });
  }
  // Sends a plain RTP-looking datagram (version 2, PT 96) from `peer` and waits until the worker
  // has handled it.
  void send_rtp_from(const UdpTestPeer& peer) {
    uint64_t received = worker_->socket_counters().rx_packets.load();
    std::vector<uint8_t> rtp(40, 0);
    rtp[0] = 0x80;
    rtp[1] = 0x60;
    peer.send(ByteSpan(rtp), server());
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (worker_->socket_counters().rx_packets.load() == received &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    on_worker(*worker_, [](Worker&) { return true; });  // the batch it came in is done
  }

  NullObserver observer_;
};

// Audit row 1, as an attacker would do it: a participant validates 9 source ports (it knows its own
// ICE password from its SDP), leaves, then sends one datagram from the first port. The evicted
// address must not outlive its transport in the worker's table.
TEST_F(WorkerAddressTest, AnAddressEvictedBeforeTheParticipantLeftIsForgotten) {
  media_test::RecordingRoomEvents events;
  sdp::SessionDescription offer = media_test::parse_sdp_file("chromium_publish_offer.sdp");
  std::string client_ufrag = offer.media[0].ice_ufrag.empty() ? offer.ice_ufrag : offer.media[0].ice_ufrag;
  on_worker(*worker_, [&](Worker& w) {
    Room& room = w.create_room("lobby", events, RoomLimits{});
    EXPECT_TRUE(room.join("mallory", "Mallory", 1).ok());
    room.publish("mallory", offer);
    return true;
  });
  Credentials publish;
  for (const auto& event : events.take(1)) {
    const auto* answer = std::get_if<PublishAnswer>(&event);
    if (!answer) continue;
    auto parsed = std::get<sdp::SessionDescription>(sdp::parse_sdp(answer->sdp));
    publish.ufrag = parsed.media[0].ice_ufrag.empty() ? parsed.ice_ufrag : parsed.media[0].ice_ufrag;
    publish.pwd = parsed.media[0].ice_pwd.empty() ? parsed.ice_pwd : parsed.media[0].ice_pwd;
  }
  ASSERT_FALSE(publish.ufrag.empty());

  std::vector<std::unique_ptr<UdpTestPeer>> peers;
  for (size_t i = 0; i <= kMaxAddressesPerTransport; ++i) {
    peers.push_back(std::make_unique<UdpTestPeer>());
    ASSERT_EQ(peers.back()->check(publish.ufrag, publish.pwd, server(), false, client_ufrag), 200) << i;
  }
  EXPECT_EQ(known_addresses(), kMaxAddressesPerTransport) << "the first address was evicted";

  on_worker(*worker_, [](Worker& w) {
    w.find_room("lobby")->leave("mallory", "left");
    return true;
  });
  EXPECT_EQ(known_addresses(), 0u);
  // Destroyed transports are freed at the worker's next safe point (its 100 ms tick at the latest).
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  uint64_t unknown = worker_->drops().get(DropReason::UnknownAddress);
  send_rtp_from(*peers.front());
  EXPECT_EQ(worker_->drops().get(DropReason::UnknownAddress), unknown + 1);
  EXPECT_EQ(worker_->drops().get(DropReason::TransportClosed), 0u);
}

// A client that keeps validating new ports (or an attacker looping over them) never grows the table
// beyond 8 addresses for its transport, and the table always matches the transport's own list.
TEST_F(WorkerAddressTest, AClientValidatingNewPortsKeepsTheTableBounded) {
  Credentials t = create_transport();
  std::vector<std::unique_ptr<UdpTestPeer>> peers;
  for (size_t i = 0; i < 3 * kMaxAddressesPerTransport; ++i) {
    peers.push_back(std::make_unique<UdpTestPeer>());
    ASSERT_EQ(peers.back()->check(t.ufrag, t.pwd, server()), 200) << i;
    EXPECT_LE(known_addresses(), kMaxAddressesPerTransport) << i;
  }
  EXPECT_EQ(known_addresses(), kMaxAddressesPerTransport);
  std::vector<SocketAddress> validated = validated_by(t.id);
  ASSERT_EQ(validated.size(), kMaxAddressesPerTransport);
  for (size_t i = 0; i < kMaxAddressesPerTransport; ++i)
    EXPECT_EQ(validated[i], peers[peers.size() - kMaxAddressesPerTransport + i]->address()) << i;

  // An evicted address is unknown again: media from it is dropped as such ...
  uint64_t unknown = worker_->drops().get(DropReason::UnknownAddress);
  send_rtp_from(*peers.front());
  EXPECT_EQ(worker_->drops().get(DropReason::UnknownAddress), unknown + 1);
  // ... until it proves itself again, which evicts the then oldest.
  ASSERT_EQ(peers.front()->check(t.ufrag, t.pwd, server()), 200);
  EXPECT_EQ(known_addresses(), kMaxAddressesPerTransport);
  EXPECT_EQ(validated_by(t.id).back(), peers.front()->address());

  on_worker(*worker_, [&](Worker& w) {
    w.destroy_transport(t.id);
    return true;
  });
  EXPECT_EQ(known_addresses(), 0u);
}

// Audit row 18: a client reuses a local port for a new connection while the server still has the
// old one. Once the old transport has gone quiet (no valid check for a quarter of the consent
// timeout), a check naming the new transport's ufrag with valid integrity moves the address there.
// While the old one is in use, nothing moves: a spoofed check cannot take a live peer's address.
class WorkerAddressTakeoverTest : public WorkerAddressTest {
 protected:
  void configure(config::Config& config) override { config.rtc.consent_timeout_s = 4; }  // quiet after 1 s
  static void wait_until_quiet() { std::this_thread::sleep_for(std::chrono::milliseconds(1500)); }
};

TEST_F(WorkerAddressTakeoverTest, AValidCheckForAnotherTransportTakesOverTheAddressOfAQuietOne) {
  Credentials old_transport = create_transport();
  Credentials new_transport = create_transport();
  UdpTestPeer peer;
  ASSERT_EQ(peer.check(old_transport.ufrag, old_transport.pwd, server(), true), 200);
  EXPECT_EQ(validated_by(old_transport.id), std::vector<SocketAddress>{peer.address()});

  // In use: the old transport answers (401, the ufrag is not its own) and keeps the address.
  EXPECT_EQ(peer.check(new_transport.ufrag, new_transport.pwd, server(), true), 401);
  EXPECT_EQ(validated_by(old_transport.id), std::vector<SocketAddress>{peer.address()});
  EXPECT_TRUE(validated_by(new_transport.id).empty());

  wait_until_quiet();
  // Knowing the ufrag is not enough.
  EXPECT_EQ(peer.check(new_transport.ufrag, "wrong-password-wrong-password", server()), 401);
  EXPECT_EQ(validated_by(old_transport.id), std::vector<SocketAddress>{peer.address()});
  EXPECT_TRUE(validated_by(new_transport.id).empty());

  // The right password takes it over; the old transport no longer has it, or sends to it.
  EXPECT_EQ(peer.check(new_transport.ufrag, new_transport.pwd, server(), true), 200);
  EXPECT_EQ(validated_by(new_transport.id), std::vector<SocketAddress>{peer.address()});
  EXPECT_TRUE(validated_by(old_transport.id).empty());
  EXPECT_EQ(known_addresses(), 1u);
  bool old_sends_nowhere = on_worker(
      *worker_, [&](Worker& w) { return !w.find_transport(old_transport.id)->remote_address().has_value(); });
  EXPECT_TRUE(old_sends_nowhere);
  // Now the new transport is the one in use.
  EXPECT_EQ(peer.check(old_transport.ufrag, old_transport.pwd, server()), 401);
  EXPECT_EQ(validated_by(new_transport.id), std::vector<SocketAddress>{peer.address()});

  // Destroying the transport that lost the address leaves the new owner's entry alone.
  on_worker(*worker_, [&](Worker& w) {
    w.destroy_transport(old_transport.id);
    return true;
  });
  EXPECT_EQ(known_addresses(), 1u);
  EXPECT_EQ(peer.check(new_transport.ufrag, new_transport.pwd, server()), 200);
}

}  // namespace
}  // namespace sfu
