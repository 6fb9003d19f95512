// The server's ICE candidates: one UDP host candidate per announced address and, with ICE-TCP, one
// passive TCP host candidate per address (RFC 6544), with priorities and foundations computed as
// RFC 8445 section 5.1.2.1 and 5.1.1.3 say.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sfu/sdp/sdp.h"

namespace sfu::sdp {

// One announced address and the ports a worker serves it on.
struct HostAddress {
  std::string ip;         // IPv4 or IPv6 literal, as put in the candidate
  uint16_t udp_port = 0;  // the worker's UDP socket of the address's family
  uint16_t tcp_port = 0;  // its ICE-TCP listener of that family; 0 = no TCP candidate
};

// Candidates for `addresses`, most preferred first (at most 256 addresses). All UDP candidates come
// first, in the order given, then the TCP ones, so the first UDP candidate is the default one (m=
// and c= lines). Priority = 2^24 * 126 (host) + 2^8 * local preference + (256 - component 1):
//   UDP, address i: local preference 65535 - i;
//   TCP, address i: 2^13 * 4 (passive host, RFC 6544 section 4.2) + 8191 - i;
// so every UDP candidate outranks every TCP one and, within a protocol, the list order is the
// preference. Foundations differ per (type, base address, protocol): "2i+1" for UDP and "2i+2"
// for TCP (a single address keeps "1" and "2").
std::vector<Candidate> host_candidates(const std::vector<HostAddress>& addresses);

}  // namespace sfu::sdp
