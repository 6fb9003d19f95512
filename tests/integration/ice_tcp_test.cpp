// ICE-TCP (RFC 6544 passive candidates, RFC 4571 framing) against the whole server on loopback:
// a client whose connections run over TCP completes ICE, DTLS and SRTP and exchanges media with
// a UDP client in the same room; and what the TCP port refuses, each counted under its reason in
// the worker's TcpCounters (sfu_ice_tcp_refused_total): garbage, a 64 KiB frame header that
// stalls, a check for an unknown ufrag, silence, and too many pending connections per source.
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>

#include "ice/ice_client.h"
#include "sfu/control/metrics.h"
#include "tests/integration/conference_fixture.h"

namespace sfu::conference_test {
namespace {

using net::TcpCloseReason;

uint64_t closed(const net::TcpCounters& counters, TcpCloseReason reason) {
  return counters.closed[static_cast<size_t>(reason)].load(std::memory_order_relaxed);
}

// A plain blocking TCP socket to the worker's ICE-TCP port, from `source_ip` (any 127.x address
// is local on Linux, so a test can come from several "hosts").
class RawTcp {
 public:
  RawTcp(uint16_t port, const char* source_ip = "127.0.0.1") {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in local{};
    local.sin_family = AF_INET;
    inet_pton(AF_INET, source_ip, &local.sin_addr);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) return;
    sockaddr_in remote{};
    remote.sin_family = AF_INET;
    remote.sin_port = htons(port);
    inet_pton(AF_INET, "127.0.0.1", &remote.sin_addr);
    connected_ = ::connect(fd_, reinterpret_cast<sockaddr*>(&remote), sizeof(remote)) == 0;
  }
  ~RawTcp() {
    if (fd_ >= 0) ::close(fd_);
  }
  RawTcp(const RawTcp&) = delete;
  RawTcp& operator=(const RawTcp&) = delete;

  bool connected() const { return connected_; }
  bool write(const std::vector<uint8_t>& bytes) {
    return ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(bytes.size());
  }
  // True once the server has closed its side (EOF or reset); reads and discards what came before.
  bool closed_by_server() {
    std::array<uint8_t, 4096> buffer{};
    for (;;) {
      ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), MSG_DONTWAIT);
      if (n == 0) return true;
      if (n < 0) return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
    }
  }

 private:
  int fd_ = -1;
  bool connected_ = false;
};

std::vector<uint8_t> framed(const std::vector<uint8_t>& packet) {
  std::vector<uint8_t> out(2 + packet.size());
  store_be16(out.data(), static_cast<uint16_t>(packet.size()));
  if (!packet.empty()) std::memcpy(out.data() + 2, packet.data(), packet.size());
  return out;
}

class IceTcp : public Conference {
 protected:
  const net::TcpCounters& tcp() { return server_.worker().tcp_counters(); }
  uint16_t tcp_port() { return server_.worker().tcp_port(); }
  // Pumps the client loop until the server has closed `socket`.
  bool wait_closed(RawTcp& socket, std::chrono::milliseconds timeout = 10s) {
    return run_until([&] { return socket.closed_by_server(); }, timeout);
  }
  static auto tcp_client() {
    return [](ParticipantClient::Options& o) { o.ice_tcp = true; };
  }
};

TEST_F(IceTcp, TcpClientExchangesMediaWithUdpClient) {
  ASSERT_NE(tcp_port(), 0);
  auto& tina = add_client("mixed", "tina", tcp_client());
  auto& ulla = add_client("mixed", "ulla");
  tina.start_media();
  ulla.start_media();
  ASSERT_TRUE(run_until([&] {
    return receives_both_kinds_from(tina, ulla.participant_id(), 50) &&
           receives_both_kinds_from(ulla, tina.participant_id(), 50);
  })) << describe(tina)
      << "\n"
      << describe(ulla);
  expect_clean_media(tina);
  expect_clean_media(ulla);

  // Tina's two connections ran over TCP only (STUN, DTLS, RTCP on the publish one, media on the
  // subscribe one): her UDP sockets never received anything.
  for (const client::WebRtcClient* connection : {&tina.publish_connection(), &tina.subscribe_connection()}) {
    EXPECT_TRUE(connection->ice_tcp());
    EXPECT_GT(connection->tcp_counters().rx_frames.load(), 5u);
    EXPECT_EQ(connection->socket_counters().rx_packets.load(), 0u);
  }
  EXPECT_GT(tina.subscribe_connection().tcp_counters().rx_frames.load(), 100u);
  // Ulla's stayed on UDP.
  EXPECT_EQ(ulla.subscribe_connection().tcp_counters().rx_frames.load(), 0u);
  EXPECT_GT(ulla.subscribe_connection().socket_counters().rx_packets.load(), 50u);

  // The server holds two validated connections, none pending, and refused nothing.
  EXPECT_EQ(tcp().open.load(), 2u);
  EXPECT_EQ(tcp().pending.load(), 0u);
  EXPECT_GT(tcp().tx_frames.load(), 100u);
  EXPECT_EQ(tcp().tx_dropped_queue_full.load(), 0u);
  for (size_t i = 0; i < net::kTcpRefusalReasons; ++i) EXPECT_EQ(tcp().closed[i].load(), 0u) << i;

  // /metrics says so.
  std::string metrics = render_metrics({&server_.worker()}, ControlStats{});
  EXPECT_NE(metrics.find("sfu_ice_tcp_connections{worker=\"0\",state=\"validated\"} 2"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("sfu_ice_tcp_refused_total{worker=\"0\",reason=\"not_ice\"} 0"), std::string::npos);

  // Leaving closes them.
  tina.leave();
  ASSERT_TRUE(run_until([&] { return tcp().open.load() == 0; }, 10s));
  EXPECT_EQ(closed(tcp(), TcpCloseReason::Released) + closed(tcp(), TcpCloseReason::PeerClosed), 2u);
}

// The offer and answer carry the passive TCP candidate after the UDP one, with a lower priority.
TEST_F(IceTcp, CandidatesOfferTcpPassiveBelowUdp) {
  auto& a = add_client("cands", "a");
  auto& b = add_client("cands", "b");
  a.start_media();
  ASSERT_TRUE(run_until([&] { return b.last_subscribe_offer().has_value() && a.publish_answered(); }))
      << describe(b);
  const sdp::MediaSection& m = b.last_subscribe_offer()->media.front();
  ASSERT_EQ(m.candidates.size(), 2u);
  EXPECT_EQ(m.candidates[0].transport, "udp");
  EXPECT_EQ(m.candidates[1].transport, "tcp");
  EXPECT_EQ(m.candidates[1].tcp_type, "passive");
  EXPECT_EQ(m.candidates[1].port, tcp_port());
  EXPECT_LT(m.candidates[1].priority, m.candidates[0].priority);
  EXPECT_EQ(m.port, server_.worker().udp_address().port()) << "the default candidate stays UDP";
}

TEST_F(IceTcp, GarbageIsRefusedAndCounted) {
  RawTcp http(tcp_port());
  ASSERT_TRUE(http.connected());
  const std::string request = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";  // "GE" = length 18245: too large
  ASSERT_TRUE(http.write(std::vector<uint8_t>(request.begin(), request.end())));
  ASSERT_TRUE(wait_closed(http));
  EXPECT_EQ(closed(tcp(), TcpCloseReason::FrameTooLarge), 1u);

  // A well-framed packet that is not STUN (here RTP-looking bytes) before any ICE check.
  RawTcp rtp(tcp_port());
  ASSERT_TRUE(rtp.write(framed({0x80, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1})));
  ASSERT_TRUE(wait_closed(rtp));
  EXPECT_EQ(closed(tcp(), TcpCloseReason::NotIce), 1u);

  // STUN-looking bytes that do not parse.
  RawTcp bad_stun(tcp_port());
  ASSERT_TRUE(bad_stun.write(framed({0x00, 0x01, 0x00, 0x00, 0x21, 0x12})));
  ASSERT_TRUE(wait_closed(bad_stun));
  EXPECT_EQ(closed(tcp(), TcpCloseReason::NotIce), 2u);

  // A proper binding request for a ufrag nobody has.
  RawTcp stranger(tcp_port());
  ice::IceClient check("local", "localpasswordlocalpass12", "nobody", "remotepasswordremotepas1", 1);
  std::array<uint8_t, ice::IceClient::kMaxMessageSize> request_bytes{};
  size_t size = check.build_check(0, true, MutableByteSpan(request_bytes));
  ASSERT_GT(size, 0u);
  ASSERT_TRUE(stranger.write(
      framed(std::vector<uint8_t>(request_bytes.begin(), request_bytes.begin() + static_cast<long>(size)))));
  ASSERT_TRUE(wait_closed(stranger));
  EXPECT_EQ(closed(tcp(), TcpCloseReason::UnknownUfrag), 1u);

  EXPECT_EQ(tcp().open.load(), 0u);
  EXPECT_EQ(tcp().pending.load(), 0u);
  std::string metrics = render_metrics({&server_.worker()}, ControlStats{});
  EXPECT_NE(metrics.find("sfu_ice_tcp_refused_total{worker=\"0\",reason=\"not_ice\"} 2"), std::string::npos)
      << metrics;
  EXPECT_NE(metrics.find("sfu_ice_tcp_refused_total{worker=\"0\",reason=\"frame_too_large\"} 1"),
            std::string::npos);
}

// A peer announces a 64 KiB frame (0xFFFF) and stalls: closed at the header, counted, and the
// conference going on over UDP and ICE-TCP never notices.
TEST_F(IceTcp, StalledOversizedFrameIsClosedWithoutHurtingOthers) {
  auto& tina = add_client("stall", "tina", tcp_client());
  auto& ulla = add_client("stall", "ulla");
  tina.start_media();
  ulla.start_media();
  ASSERT_TRUE(run_until([&] {
    return receives_both_kinds_from(tina, ulla.participant_id(), 20) &&
           receives_both_kinds_from(ulla, tina.participant_id(), 20);
  })) << describe(tina)
      << "\n"
      << describe(ulla);

  std::vector<std::unique_ptr<RawTcp>> stallers;
  for (int i = 0; i < 4; ++i) {
    stallers.push_back(std::make_unique<RawTcp>(tcp_port()));
    ASSERT_TRUE(stallers.back()->write({0xff, 0xff, 0x00, 0x01, 0x00}));
  }
  for (auto& s : stallers) ASSERT_TRUE(wait_closed(*s));
  EXPECT_EQ(closed(tcp(), TcpCloseReason::FrameTooLarge), 4u);

  uint64_t tina_before = tina.received_from(ulla.participant_id()).video_packets;
  uint64_t ulla_before = ulla.received_from(tina.participant_id()).video_packets;
  ASSERT_TRUE(run_until([&] {
    return tina.received_from(ulla.participant_id()).video_packets > tina_before + 50 &&
           ulla.received_from(tina.participant_id()).video_packets > ulla_before + 50;
  })) << describe(tina)
      << "\n"
      << describe(ulla);
  expect_clean_media(tina);
  expect_clean_media(ulla);
  EXPECT_EQ(tcp().open.load(), 2u) << "Tina's connections are untouched";
}

class IceTcpShortConsent : public IceTcp {
 protected:
  void configure(config::Config& config) override { config.rtc.consent_timeout_s = 10; }  // the least allowed
};

// A TCP connection the client closes stops being a path at once (nothing more is sent on it);
// with no other path, consent freshness then removes the participant, as for a UDP client that
// went quiet.
TEST_F(IceTcpShortConsent, ClosedConnectionReleasesThePathAndConsentDecides) {
  auto& tina = add_client("gone", "tina", tcp_client());
  auto& ulla = add_client("gone", "ulla");
  tina.start_media();
  ulla.start_media();
  ASSERT_TRUE(run_until([&] { return receives_both_kinds_from(ulla, tina.participant_id(), 20); }))
      << describe(ulla);
  std::string tina_id = tina.participant_id();
  tina.stop_media();
  tina.publish_connection().drop_network();
  tina.subscribe_connection().drop_network();
  ASSERT_TRUE(run_until([&] { return tcp().open.load() == 0; }, 10s));
  // A FIN, or a reset when the client closed with media it had not read yet (Linux then sends RST:
  // the server's read fails with ECONNRESET). Which one depends on timing; failed the CI run once.
  EXPECT_EQ(closed(tcp(), TcpCloseReason::PeerClosed) + closed(tcp(), TcpCloseReason::Error), 2u);
  // Media for Tina is no longer sent anywhere; she is removed when her consent expires.
  ASSERT_TRUE(run_until([&] { return ulla.message_count("participant_left") > 0; }, 25s)) << describe(ulla);
  EXPECT_EQ(ulla.participants().count(tina_id), 0u);
  EXPECT_EQ(server_.worker().tcp_counters().tx_dropped_queue_full.load(), 0u);
}

class IceTcpPendingLimits : public IceTcp {
 protected:
  void configure(config::Config& config) override {
    config.rtc.tcp_max_pending = 3;
    config.rtc.tcp_max_pending_per_address = 2;
    config.rtc.tcp_pending_timeout_s = 2;
  }
};

// Connections that have not sent a valid ICE check are bounded per source IP address and in
// total; the ones over either bound are closed at accept, and silent ones at their deadline.
TEST_F(IceTcpPendingLimits, PerSourceAndTotalPendingLimits) {
  RawTcp a1(tcp_port(), "127.0.0.1"), a2(tcp_port(), "127.0.0.1");
  ASSERT_TRUE(run_until([&] { return tcp().pending.load() == 2; }, 5s));
  RawTcp a3(tcp_port(), "127.0.0.1");  // a third from the same address
  ASSERT_TRUE(a3.connected());
  ASSERT_TRUE(wait_closed(a3, 5s));
  EXPECT_EQ(closed(tcp(), TcpCloseReason::PendingPerAddress), 1u);

  RawTcp b1(tcp_port(), "127.0.0.2");  // another address: within both limits
  ASSERT_TRUE(run_until([&] { return tcp().pending.load() == 3; }, 5s));
  RawTcp c1(tcp_port(), "127.0.0.3");  // over the total
  ASSERT_TRUE(wait_closed(c1, 5s));
  EXPECT_EQ(closed(tcp(), TcpCloseReason::PendingLimit), 1u);
  EXPECT_EQ(tcp().pending.load(), 3u);

  // Silent connections are closed at their deadline, which frees the limits for a real client
  // (its connections are pending only until their first check).
  ASSERT_TRUE(wait_closed(a1));
  ASSERT_TRUE(wait_closed(a2));
  ASSERT_TRUE(wait_closed(b1));
  EXPECT_EQ(closed(tcp(), TcpCloseReason::CheckTimeout), 3u);
  EXPECT_EQ(tcp().pending.load(), 0u);

  auto& tina = add_client("limits", "tina", tcp_client());
  auto& ulla = add_client("limits", "ulla");
  ulla.start_media();
  ASSERT_TRUE(run_until([&] { return receives_both_kinds_from(tina, ulla.participant_id(), 20); }))
      << describe(tina);
  EXPECT_EQ(tcp().pending.load(), 0u);
}

}  // namespace
}  // namespace sfu::conference_test
