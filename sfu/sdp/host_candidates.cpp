#include "sfu/sdp/host_candidates.h"

#include <algorithm>

#include "sfu/sdp/sdp_negotiation.h"

namespace sfu::sdp {

std::vector<Candidate> host_candidates(const std::vector<HostAddress>& addresses) {
  std::vector<Candidate> candidates;
  candidates.reserve(addresses.size() * 2);
  const size_t count = std::min<size_t>(addresses.size(), 256);
  for (size_t i = 0; i < count; ++i) {
    auto rank = static_cast<uint16_t>(i);
    Candidate udp = make_host_candidate(addresses[i].ip, addresses[i].udp_port, "udp",
                                        static_cast<uint16_t>(65535 - rank));
    udp.foundation = std::to_string(2 * i + 1);
    candidates.push_back(std::move(udp));
  }
  for (size_t i = 0; i < count; ++i) {
    if (addresses[i].tcp_port == 0) continue;
    auto rank = static_cast<uint16_t>(i);
    Candidate tcp = make_host_candidate(addresses[i].ip, addresses[i].tcp_port, "tcp",
                                        static_cast<uint16_t>(kTcpPassiveLocalPreference - rank));
    tcp.foundation = std::to_string(2 * i + 2);
    candidates.push_back(std::move(tcp));
  }
  return candidates;
}

}  // namespace sfu::sdp
