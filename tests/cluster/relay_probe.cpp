#include "tests/cluster/relay_probe.h"

#include <arpa/inet.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <netinet/udp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

namespace sfu::cluster_test {

bool raw_sockets_available() {
  int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
  if (fd < 0) return false;
  close(fd);
  fd = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP));
  if (fd < 0) return false;
  close(fd);
  return true;
}

std::optional<CapturedDatagram> capture_udp(const std::vector<uint16_t>& from_ports,
                                            const std::vector<uint16_t>& to_ports,
                                            std::chrono::milliseconds timeout) {
  int fd = socket(AF_PACKET, SOCK_DGRAM, htons(ETH_P_IP));
  if (fd < 0) return std::nullopt;
  sockaddr_ll address{};
  address.sll_family = AF_PACKET;
  address.sll_protocol = htons(ETH_P_IP);
  address.sll_ifindex = static_cast<int>(if_nametoindex("lo"));
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return std::nullopt;
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::vector<uint8_t> buffer(65536);
  std::optional<CapturedDatagram> found;
  while (!found && std::chrono::steady_clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) <= 0) continue;
    ssize_t n = recv(fd, buffer.data(), buffer.size(), 0);
    if (n < static_cast<ssize_t>(sizeof(iphdr) + sizeof(udphdr))) continue;
    const auto* ip = reinterpret_cast<const iphdr*>(buffer.data());
    size_t ip_length = size_t{ip->ihl} * 4;
    if (ip->protocol != IPPROTO_UDP || static_cast<size_t>(n) < ip_length + sizeof(udphdr)) continue;
    const auto* udp = reinterpret_cast<const udphdr*>(buffer.data() + ip_length);
    uint16_t from = ntohs(udp->source), to = ntohs(udp->dest);
    if (std::find(from_ports.begin(), from_ports.end(), from) == from_ports.end() ||
        std::find(to_ports.begin(), to_ports.end(), to) == to_ports.end())
      continue;
    size_t udp_length = ntohs(udp->len);
    if (udp_length < sizeof(udphdr) || ip_length + udp_length > static_cast<size_t>(n)) continue;
    const uint8_t* payload = buffer.data() + ip_length + sizeof(udphdr);
    found = CapturedDatagram{from, to, std::vector<uint8_t>(payload, payload + udp_length - sizeof(udphdr))};
  }
  close(fd);
  return found;
}

bool send_spoofed_udp(uint16_t from_port, uint16_t to_port, const std::vector<uint8_t>& payload) {
  int fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
  if (fd < 0) return false;
  std::vector<uint8_t> packet(sizeof(iphdr) + sizeof(udphdr) + payload.size());
  auto* ip = reinterpret_cast<iphdr*>(packet.data());
  ip->version = 4;
  ip->ihl = 5;
  ip->ttl = 64;
  ip->protocol = IPPROTO_UDP;
  ip->tot_len = htons(static_cast<uint16_t>(packet.size()));
  ip->saddr = htonl(INADDR_LOOPBACK);
  ip->daddr = htonl(INADDR_LOOPBACK);  // the kernel fills in the id and the header checksum
  auto* udp = reinterpret_cast<udphdr*>(packet.data() + sizeof(iphdr));
  udp->source = htons(from_port);
  udp->dest = htons(to_port);
  udp->len = htons(static_cast<uint16_t>(sizeof(udphdr) + payload.size()));
  udp->check = 0;  // none: allowed over IPv4
  std::memcpy(packet.data() + sizeof(iphdr) + sizeof(udphdr), payload.data(), payload.size());
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool sent = sendto(fd, packet.data(), packet.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to)) ==
              static_cast<ssize_t>(packet.size());
  close(fd);
  return sent;
}

bool send_udp(uint16_t to_port, const std::vector<uint8_t>& payload) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0) return false;
  sockaddr_in to{};
  to.sin_family = AF_INET;
  to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  to.sin_port = htons(to_port);
  bool sent = sendto(fd, payload.data(), payload.size(), 0, reinterpret_cast<sockaddr*>(&to), sizeof(to)) ==
              static_cast<ssize_t>(payload.size());
  close(fd);
  return sent;
}

}  // namespace sfu::cluster_test
