// Raw UDP on loopback for the relay tests: send a datagram from any port (a spoofed member's
// address, with a raw IPv4 socket), and capture one datagram between two ports (an AF_PACKET
// socket on lo), so a test can replay or alter a genuine relay frame. Both need CAP_NET_RAW;
// raw_sockets_available() says whether this process has it.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

namespace sfu::cluster_test {

bool raw_sockets_available();

struct CapturedDatagram {
  uint16_t from_port = 0, to_port = 0;
  std::vector<uint8_t> payload;
};
// The first UDP datagram 127.0.0.1:<one of from_ports> -> 127.0.0.1:<one of to_ports> seen on lo
// within `timeout`.
std::optional<CapturedDatagram> capture_udp(const std::vector<uint16_t>& from_ports,
                                            const std::vector<uint16_t>& to_ports,
                                            std::chrono::milliseconds timeout);
// 127.0.0.1:from_port -> 127.0.0.1:to_port, whoever holds from_port.
bool send_spoofed_udp(uint16_t from_port, uint16_t to_port, const std::vector<uint8_t>& payload);
// From an ephemeral port of a plain socket.
bool send_udp(uint16_t to_port, const std::vector<uint8_t>& payload);

}  // namespace sfu::cluster_test
