// The SDP the bench's clients give Janus: the browser-like SDP of client_sdp.h plus what Janus
// needs because it does full ICE (it checks us back): a host candidate with our real address
// and port on every m-section, and end-of-candidates (Janus runs half-trickle).
#pragma once

#include "base/socket_address.h"
#include "bench/client/client_sdp.h"
#include "sfu/sdp/sdp.h"

namespace sfu::bench {

// Adds "candidate:1 1 udp 2130706431 <ip> <port> typ host" and a=end-of-candidates to every
// m-section that is not rejected, and puts the address on its c= line and port on its m= line.
void add_host_candidate(sdp::SessionDescription& description, const SocketAddress& local);

sdp::SessionDescription janus_publish_offer(const client::PublishOfferParams& params,
                                            const SocketAddress& local);

}  // namespace sfu::bench
