// Several announced addresses (rtc.announced_addresses) against the whole server on loopback: a
// client over IPv6 and one over IPv4 exchange media in one room, each through the server's socket
// of its family; every datagram a client gets comes from the server address it sent to, also when
// two IPv4 addresses share the wildcard socket (IP_PKTINFO); an IPv6 client over ICE-TCP; and the
// candidates in the descriptions, with RFC 8445 priorities and foundations.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <set>

#include "tests/integration/conference_fixture.h"
#include "tests/support/ipv6_loopback.h"

namespace sfu::conference_test {
namespace {

using test_support::ipv6_loopback_available;

constexpr const char* kNoIpv6 = "no IPv6 loopback (::1) on this machine: nothing to announce over IPv6";

class AnnouncedAddresses : public Conference {
 protected:
  void configure(config::Config& config) override {
    ipv6_ = ipv6_loopback_available();
    config.rtc.announced_addresses = addresses();
    // Without IPv6 the server still starts (IPv4 only) and each test skips.
    if (!ipv6_) std::erase(config.rtc.announced_addresses, std::string("::1"));
  }
  virtual std::vector<std::string> addresses() const { return {"127.0.0.1", "::1"}; }

  static auto bound_to(const std::string& ip, const std::string& server_ip = {}) {
    return [ip, server_ip](ParticipantClient::Options& o) {
      o.bind_ip = ip;
      o.server_media_ip = server_ip;
    };
  }
  // Both connections of `c` talk to `server_ip` (any port) from its own address family, and got
  // nothing from any other address.
  static void expect_path(const ParticipantClient& c, const std::string& server_ip) {
    for (const client::WebRtcClient* connection : {&c.publish_connection(), &c.subscribe_connection()}) {
      EXPECT_EQ(connection->remote_address().ip_string(), server_ip) << c.participant_id();
      EXPECT_EQ(connection->local_address().family(), connection->remote_address().family());
      EXPECT_EQ(connection->counters().from_other_address, 0u)
          << c.participant_id() << ": a datagram came from another server address than " << server_ip;
    }
    EXPECT_GT(c.subscribe_connection().socket_counters().rx_packets.load(), 50u);
  }
  void exchange_media(ParticipantClient& a, ParticipantClient& b) {
    a.start_media();
    b.start_media();
    ASSERT_TRUE(run_until([&] {
      return receives_both_kinds_from(a, b.participant_id(), 50) &&
             receives_both_kinds_from(b, a.participant_id(), 50);
    })) << describe(a)
        << "\n"
        << describe(b);
    expect_clean_media(a);
    expect_clean_media(b);
  }

  bool ipv6_ = false;
};

TEST_F(AnnouncedAddresses, Ipv6ClientAndIpv4ClientExchangeMedia) {
  if (!ipv6_) GTEST_SKIP() << kNoIpv6;
  const net::UdpSockets& sockets = server_.worker().udp_sockets();
  ASSERT_NE(sockets.v4, nullptr);
  ASSERT_NE(sockets.v6, nullptr);
  // One loopback address per family: each socket binds its own (nothing listens elsewhere).
  EXPECT_EQ(sockets.v4->local_address().ip_string(), "127.0.0.1");
  EXPECT_EQ(sockets.v6->local_address().ip_string(), "::1");

  auto& six = add_client("dual", "six", bound_to("::1"));
  auto& four = add_client("dual", "four", bound_to("127.0.0.1"));
  exchange_media(six, four);
  expect_path(six, "::1");
  expect_path(four, "127.0.0.1");
  EXPECT_EQ(six.subscribe_connection().remote_address().port(), sockets.v6->local_address().port());
  EXPECT_EQ(four.subscribe_connection().remote_address().port(), sockets.v4->local_address().port());
}

// The descriptions carry a UDP and a passive TCP candidate per address, in the configured order,
// with distinct RFC 8445 priorities and foundations; the default candidate is the first UDP one.
TEST_F(AnnouncedAddresses, CandidatesPerAddressWithPrioritiesAndFoundations) {
  if (!ipv6_) GTEST_SKIP() << kNoIpv6;
  auto& a = add_client("cands", "a");
  auto& b = add_client("cands", "b");
  a.start_media();
  ASSERT_TRUE(run_until([&] { return b.last_subscribe_offer().has_value() && a.publish_answered(); }))
      << describe(b);
  const net::UdpSockets& sockets = server_.worker().udp_sockets();
  std::vector<SocketAddress> tcp = server_.worker().tcp_addresses();
  ASSERT_EQ(tcp.size(), 2u);
  const sdp::MediaSection& m = b.last_subscribe_offer()->media.front();
  ASSERT_EQ(m.candidates.size(), 4u);
  struct Expected {
    const char* address;
    const char* transport;
    uint16_t port;
    uint32_t local_preference;
  };
  const Expected expected[] = {
      {"127.0.0.1", "udp", sockets.v4->local_address().port(), 65535},
      {"::1", "udp", sockets.v6->local_address().port(), 65534},
      {"127.0.0.1", "tcp", tcp[0].port(), 32768 + 8191},
      {"::1", "tcp", tcp[1].port(), 32768 + 8190},
  };
  std::set<std::string> foundations;
  for (size_t i = 0; i < 4; ++i) {
    const sdp::Candidate& c = m.candidates[i];
    EXPECT_EQ(c.address, expected[i].address) << i;
    EXPECT_EQ(c.transport, expected[i].transport) << i;
    EXPECT_EQ(c.port, expected[i].port) << i;
    EXPECT_EQ(c.priority, (126u << 24) + (expected[i].local_preference << 8) + 255u) << i;
    EXPECT_EQ(c.type, "host");
    foundations.insert(c.foundation);
  }
  EXPECT_EQ(foundations.size(), 4u);
  EXPECT_EQ(m.port, sockets.v4->local_address().port());
  ASSERT_TRUE(m.connection.has_value());
  EXPECT_EQ(m.connection->address, "127.0.0.1");
}

TEST_F(AnnouncedAddresses, Ipv6ClientOverIceTcp) {
  if (!ipv6_) GTEST_SKIP() << kNoIpv6;
  auto& six = add_client("tcp6", "six", [](ParticipantClient::Options& o) {
    o.bind_ip = "::1";
    o.ice_tcp = true;
  });
  auto& four = add_client("tcp6", "four", bound_to("127.0.0.1"));
  exchange_media(six, four);
  EXPECT_EQ(six.subscribe_connection().remote_address().ip_string(), "::1");
  EXPECT_GT(six.subscribe_connection().tcp_counters().rx_frames.load(), 50u);
  EXPECT_EQ(server_.worker().tcp_counters().open.load(), 2u);
}

// Two IPv4 addresses share the IPv4 wildcard socket: a client that sends to 127.0.0.2 (from
// 127.0.0.1) gets everything from 127.0.0.2, though the kernel would pick 127.0.0.1 toward it.
class AnnouncedAddressesOneFamilyTwice : public AnnouncedAddresses {
 protected:
  std::vector<std::string> addresses() const override { return {"127.0.0.1", "127.0.0.2", "::1"}; }
};

TEST_F(AnnouncedAddressesOneFamilyTwice, RepliesLeaveFromTheAddressTheClientSentTo) {
  const net::UdpSockets& sockets = server_.worker().udp_sockets();
  ASSERT_NE(sockets.v4, nullptr);
  EXPECT_TRUE(sockets.v4->wildcard());
  EXPECT_EQ(sockets.v4->local_address().ip_string(), "0.0.0.0");

  auto& second = add_client("pktinfo", "second", bound_to("127.0.0.1", "127.0.0.2"));
  auto& first = add_client("pktinfo", "first", bound_to("127.0.0.1", "127.0.0.1"));
  exchange_media(second, first);
  expect_path(second, "127.0.0.2");
  expect_path(first, "127.0.0.1");
  if (!ipv6_) return;
  auto& six = add_client("pktinfo", "six", bound_to("::1"));
  six.start_media();
  ASSERT_TRUE(run_until([&] {
    return receives_both_kinds_from(six, second.participant_id(), 50) &&
           receives_both_kinds_from(second, six.participant_id(), 50);
  })) << describe(six);
  expect_clean_media(six);
  expect_path(six, "::1");
  expect_path(second, "127.0.0.2");
}

}  // namespace
}  // namespace sfu::conference_test
