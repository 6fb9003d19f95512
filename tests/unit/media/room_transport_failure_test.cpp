// A transport that fails while the room is in the middle of a call on its participant: the room
// must finish that call on a live participant and remove it afterwards, never under its own feet.
// Audit row 2: DTLS that arrived before the subscribe answer is replayed inside subscribe_answer()
// (set_remote_parameters); a ClientHello OpenSSL refuses fatally failed the transport there, and the
// participant subscribe_answer() was still using was freed.
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "tests/unit/media/room_test_support.h"
#include "tests/unit/media/udp_test_peer.h"

namespace sfu {
namespace {

using media_test::on_worker;
using media_test::parse_sdp_file;
using media_test::UdpTestPeer;

constexpr uint64_t kAliceSession = 11;
constexpr uint64_t kBobSession = 22;

// A complete, well-formed DTLS 1.0 ClientHello (RFC 4347 §4.2.2, version 0xfeff) offering one
// cipher suite. The server speaks DTLS 1.2 only, so OpenSSL ends the handshake at once with a
// fatal protocol_version alert.
std::vector<uint8_t> dtls10_client_hello() {
  std::vector<uint8_t> body = {0xfe, 0xff};         // client_version: DTLS 1.0
  body.insert(body.end(), 32, 0x42);                // random
  body.insert(body.end(), {0x00,                    // session_id: empty
                           0x00,                    // cookie: empty
                           0x00, 0x02, 0xc0, 0x2b,  // cipher_suites: ECDHE-ECDSA-AES128-GCM-SHA256
                           0x01, 0x00});            // compression_methods: null
  auto u24 = [](size_t v) { return std::vector<uint8_t>{uint8_t(v >> 16), uint8_t(v >> 8), uint8_t(v)}; };
  std::vector<uint8_t> handshake = {0x01};  // client_hello
  auto length = u24(body.size());
  handshake.insert(handshake.end(), length.begin(), length.end());
  handshake.insert(handshake.end(), {0x00, 0x00, 0x00, 0x00, 0x00});  // message_seq, fragment_offset
  handshake.insert(handshake.end(), length.begin(), length.end());    // fragment_length: whole
  handshake.insert(handshake.end(), body.begin(), body.end());
  std::vector<uint8_t> record = {0x16, 0xfe, 0xff};  // handshake, DTLS 1.0
  record.insert(record.end(), 8, 0x00);              // epoch 0, sequence number 0
  record.push_back(uint8_t(handshake.size() >> 8));
  record.push_back(uint8_t(handshake.size()));
  record.insert(record.end(), handshake.begin(), handshake.end());
  return record;
}

class RoomTransportFailureTest : public media_test::WorkerFixture {
 protected:
  SocketAddress server() const { return *SocketAddress::from_ip("127.0.0.1", worker_->udp_address().port()); }

  // Sends `bytes` from `peer` and waits until the worker has handled the datagram.
  void send_and_wait(const UdpTestPeer& peer, ByteSpan bytes) {
    uint64_t received = worker_->socket_counters().rx_packets.load();
    peer.send(bytes, server());
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (worker_->socket_counters().rx_packets.load() == received &&
           std::chrono::steady_clock::now() < deadline)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    on_worker(*worker_, [](Worker&) { return true; });
  }

  media_test::RecordingRoomEvents events_;
};

TEST_F(RoomTransportFailureTest, AnEarlyClientHelloRefusedWhenTheSubscribeAnswerArrivesRemovesTheSubscriber) {
  sdp::SessionDescription publish_offer = parse_sdp_file("chromium_publish_offer.sdp");
  on_worker(*worker_, [&](Worker& w) {
    Room& room = w.create_room("standup", events_, RoomLimits{});
    EXPECT_TRUE(room.join("alice", "Alice", kAliceSession).ok());
    EXPECT_TRUE(room.join("bob", "Bob", kBobSession).ok());
    room.publish("alice", publish_offer);
    return true;
  });
  events_.take(kAliceSession);
  std::string ufrag, pwd;
  for (const auto& event : events_.take(kBobSession)) {
    const auto* offer = std::get_if<SubscribeOffer>(&event);
    if (!offer) continue;
    auto parsed = std::get<sdp::SessionDescription>(sdp::parse_sdp(offer->sdp));
    ufrag = parsed.media[0].ice_ufrag.empty() ? parsed.ice_ufrag : parsed.media[0].ice_ufrag;
    pwd = parsed.media[0].ice_pwd.empty() ? parsed.ice_pwd : parsed.media[0].ice_pwd;
  }
  ASSERT_FALSE(ufrag.empty()) << "bob got no subscribe offer";

  // Bob's browser starts ICE and DTLS while its answer is still on the way: the ClientHello is held.
  UdpTestPeer bob_network;
  ASSERT_EQ(bob_network.check(ufrag, pwd, server(), true), 200);
  std::vector<uint8_t> hello = dtls10_client_hello();
  send_and_wait(bob_network, ByteSpan(hello));
  EXPECT_TRUE(events_.removed().empty());

  // The answer arrives; replaying the held ClientHello fails the subscribe connection.
  sdp::SessionDescription answer = parse_sdp_file("chromium_subscribe_answer.sdp");
  on_worker(*worker_, [&](Worker& w) {
    w.find_room("standup")->subscribe_answer("bob", answer);
    return true;
  });

  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (events_.removed().empty() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  auto removed = events_.removed();
  ASSERT_EQ(removed.size(), 1u);
  EXPECT_EQ(removed[0].participant_id, "bob");
  EXPECT_EQ(removed[0].session_id, kBobSession);
  EXPECT_EQ(removed[0].why.code, ErrorCode::connection_lost);
  EXPECT_EQ(removed[0].why.message.rfind("media connection lost: subscribe connection: dtls: ", 0), 0u)
      << removed[0].why.message;

  size_t left = 0;
  for (const auto& event : events_.take(kAliceSession))
    if (const auto* gone = std::get_if<ParticipantLeft>(&event)) left += gone->participant_id == "bob";
  EXPECT_EQ(left, 1u);
  EXPECT_EQ(on_worker(*worker_, [](Worker& w) { return w.find_room("standup")->participant_count(); }), 1u);
  EXPECT_EQ(worker_->transport_count(), 2u) << "only Alice's two transports are left";
}

}  // namespace
}  // namespace sfu
