#include "bench/janus_sdp.h"

namespace sfu::bench {

void add_host_candidate(sdp::SessionDescription& description, const SocketAddress& local) {
  for (auto& m : description.media) {
    if (m.rejected()) continue;
    sdp::Candidate candidate;
    candidate.foundation = "1";
    candidate.component = 1;
    candidate.transport = "udp";
    candidate.priority = 2130706431u;
    candidate.address = local.ip_string();
    candidate.port = local.port();
    candidate.type = "host";
    m.candidates.push_back(candidate);
    m.end_of_candidates = true;
    m.port = local.port();
    m.connection = sdp::Connection{"IP4", local.ip_string()};
  }
}

sdp::SessionDescription janus_publish_offer(const client::PublishOfferParams& params,
                                            const SocketAddress& local) {
  sdp::SessionDescription offer = client::build_publish_offer(params);
  add_host_candidate(offer, local);
  return offer;
}

}  // namespace sfu::bench
