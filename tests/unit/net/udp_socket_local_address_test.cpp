// UdpSocket on several local addresses, on real loopback sockets: a wildcard socket learns the
// address each datagram was sent to and its replies leave from that address (IP_PKTINFO /
// IPV6_PKTINFO), an IPv6 socket is IPv6-only so an IPv4 one shares its port, and a socket bound
// to one address reports that address. And each datagram carries the time the kernel received
// it (SO_TIMESTAMPNS), not the time the loop got to it.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <optional>
#include <thread>
#include <vector>

#include "net/udp_socket.h"
#include "tests/support/ipv6_loopback.h"

namespace sfu::net {
namespace {

using namespace std::chrono_literals;

// A plain UDP socket for the peer's side.
class Peer {
 public:
  explicit Peer(const SocketAddress& bind_to) {
    fd_ = ::socket(bind_to.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    EXPECT_GE(fd_, 0);
    EXPECT_EQ(::bind(fd_, bind_to.sockaddr_ptr(), bind_to.length()), 0) << bind_to.to_string();
  }
  ~Peer() { ::close(fd_); }
  Peer(const Peer&) = delete;
  Peer& operator=(const Peer&) = delete;
  void send_to(const SocketAddress& to, uint8_t byte) {
    EXPECT_EQ(::sendto(fd_, &byte, 1, 0, to.sockaddr_ptr(), to.length()), 1) << to.to_string();
  }
  // The source of the next datagram that arrives, if any is there.
  std::optional<SocketAddress> receive_from() {
    uint8_t byte = 0;
    sockaddr_storage from{};
    socklen_t length = sizeof(from);
    if (::recvfrom(fd_, &byte, 1, 0, reinterpret_cast<sockaddr*>(&from), &length) != 1) return std::nullopt;
    return SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&from));
  }

 private:
  int fd_ = -1;
};

using test_support::ipv6_loopback_available;

class UdpSocketLocalAddressTest : public ::testing::Test {
 protected:
  void SetUp() override { uv_loop_init(&loop_); }
  void TearDown() override {
    sockets_.clear();
    for (int i = 0; i < 50 && uv_run(&loop_, UV_RUN_NOWAIT) != 0; ++i) std::this_thread::sleep_for(1ms);
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "handles left open";
  }
  // A socket bound to `ip`:`port` that records what arrives and, with `reply`, answers each
  // datagram (from its local address when `from_local`, else from the kernel's choice).
  UdpSocket& open(const std::string& ip, uint16_t port, bool reply, bool from_local = true,
                  UdpSocketCounters* counters = nullptr) {
    sockets_.push_back(std::make_unique<UdpSocket>(
        &loop_,
        [this, reply, from_local, index = sockets_.size()](std::span<UdpSocket::Datagram> batch) {
          for (const auto& datagram : batch) {
            received_.push_back(datagram);
            if (reply)
              sockets_[index]->send(ByteSpan(datagram.data, datagram.size), datagram.from,
                                    from_local ? &datagram.local : nullptr);
          }
        },
        counters));
    std::string error;
    EXPECT_TRUE(sockets_.back()->bind(*SocketAddress::from_ip(ip, port), 1 << 16, 1 << 16, &error)) << error;
    return *sockets_.back();
  }
  std::optional<SocketAddress> reply_to(Peer& peer) {
    for (auto deadline = std::chrono::steady_clock::now() + 5s;
         std::chrono::steady_clock::now() < deadline;) {
      uv_run(&loop_, UV_RUN_NOWAIT);
      if (auto from = peer.receive_from()) return from;
      std::this_thread::sleep_for(1ms);
    }
    return std::nullopt;
  }
  bool run_until_received(size_t count) {
    for (auto deadline = std::chrono::steady_clock::now() + 5s; received_.size() < count;) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      uv_run(&loop_, UV_RUN_NOWAIT);
      std::this_thread::sleep_for(1ms);
    }
    return true;
  }

  uv_loop_t loop_{};
  std::vector<std::unique_ptr<UdpSocket>> sockets_;
  std::vector<UdpSocket::Datagram> received_;  // data pointers are stale; addresses are what count
};

TEST_F(UdpSocketLocalAddressTest, WildcardSocketRepliesFromTheAddressItWasSentTo) {
  UdpSocket& server = open("0.0.0.0", 0, /*reply=*/true);
  EXPECT_TRUE(server.wildcard());
  uint16_t port = server.local_address().port();
  Peer peer(*SocketAddress::from_ip("127.0.0.1", 0));
  for (const char* ip : {"127.0.0.2", "127.0.0.1", "127.0.0.3"}) {
    SocketAddress to = *SocketAddress::from_ip(ip, port);
    peer.send_to(to, 1);
    auto from = reply_to(peer);
    ASSERT_TRUE(from.has_value()) << ip;
    EXPECT_EQ(from->to_string(), to.to_string()) << "the reply comes from the address the peer sent to";
    EXPECT_EQ(received_.back().local.to_string(), to.to_string());
  }
}

// Without a source the kernel picks one (127.0.0.1 toward a peer on 127.0.0.1): what the test
// above proves is the socket's doing.
TEST_F(UdpSocketLocalAddressTest, WithoutASourceTheKernelChooses) {
  UdpSocket& server = open("0.0.0.0", 0, /*reply=*/true, /*from_local=*/false);
  Peer peer(*SocketAddress::from_ip("127.0.0.1", 0));
  peer.send_to(*SocketAddress::from_ip("127.0.0.2", server.local_address().port()), 1);
  auto from = reply_to(peer);
  ASSERT_TRUE(from.has_value());
  EXPECT_EQ(from->ip_string(), "127.0.0.1");
}

TEST_F(UdpSocketLocalAddressTest, SocketBoundToOneAddressReportsIt) {
  UdpSocket& server = open("127.0.0.1", 0, /*reply=*/true);
  EXPECT_FALSE(server.wildcard());
  Peer peer(*SocketAddress::from_ip("127.0.0.1", 0));
  peer.send_to(server.local_address(), 1);
  auto from = reply_to(peer);
  ASSERT_TRUE(from.has_value());
  EXPECT_EQ(*from, server.local_address());
  EXPECT_EQ(received_.back().local, server.local_address());
}

TEST_F(UdpSocketLocalAddressTest, IPv6WildcardIsIPv6OnlyAndSharesThePortWithIPv4) {
  if (!ipv6_loopback_available()) GTEST_SKIP() << "no IPv6 loopback (::1) on this machine";
  UdpSocketCounters shared;
  UdpSocket& v4 = open("0.0.0.0", 0, /*reply=*/true, true, &shared);
  uint16_t port = v4.local_address().port();
  UdpSocket& v6 = open("::", port, /*reply=*/true, true, &shared);  // would fail without IPV6_V6ONLY
  EXPECT_TRUE(v6.wildcard());
  EXPECT_EQ(v6.local_address().port(), port);

  Peer peer6(*SocketAddress::from_ip("::1", 0));
  SocketAddress to6 = *SocketAddress::from_ip("::1", port);
  peer6.send_to(to6, 6);
  auto from6 = reply_to(peer6);
  ASSERT_TRUE(from6.has_value());
  EXPECT_EQ(*from6, to6);
  EXPECT_EQ(received_.back().local, to6);

  Peer peer4(*SocketAddress::from_ip("127.0.0.1", 0));
  SocketAddress to4 = *SocketAddress::from_ip("127.0.0.2", port);
  peer4.send_to(to4, 4);
  auto from4 = reply_to(peer4);
  ASSERT_TRUE(from4.has_value());
  EXPECT_EQ(*from4, to4);
  ASSERT_TRUE(run_until_received(2));
  EXPECT_TRUE(received_.back().from.is_v4()) << "IPv4 arrives on the IPv4 socket, not as ::ffff:";
  // One set of counters for both sockets (a worker's, on its one thread).
  EXPECT_EQ(shared.rx_packets.load(), 2u);
  EXPECT_EQ(shared.tx_packets.load(), 2u);
  EXPECT_EQ(&v4.counters(), &shared);
  EXPECT_EQ(&v6.counters(), &shared);
}

// A datagram that waits in the socket while the loop is busy keeps the time it arrived: what
// transport-cc feedback reports to the sender must not include this process's scheduling.
TEST_F(UdpSocketLocalAddressTest, ADatagramCarriesTheKernelsReceiveTime) {
  for (const char* ip : {"127.0.0.1", "0.0.0.0"}) {
    received_.clear();
    UdpSocket& server = open(ip, 0, /*reply=*/false);
    Peer peer(*SocketAddress::from_ip("127.0.0.1", 0));
    const auto sent_us = static_cast<int64_t>(uv_hrtime() / 1000);
    peer.send_to(*SocketAddress::from_ip("127.0.0.1", server.local_address().port()), 1);
    std::this_thread::sleep_for(300ms);  // the loop is busy elsewhere
    ASSERT_TRUE(run_until_received(1)) << ip;
    const auto read_us = static_cast<int64_t>(uv_hrtime() / 1000);
    const int64_t arrival_us = received_.back().arrival_us;
    EXPECT_GE(arrival_us, sent_us) << ip;
    EXPECT_LE(arrival_us, sent_us + 150'000)
        << ip << ": stamped when read (" << read_us - sent_us << " us after the send), not when received";
  }
}

}  // namespace
}  // namespace sfu::net
