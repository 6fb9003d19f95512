// One worker's end of the media relay with one worker of another node (docs/protocol.md, "Media
// relay between nodes"): the peer's relay address, the sealer of this direction and the opener of
// the other (relay_frame.h), and consent in the spirit of RFC 7675: a consent frame goes to the
// peer every second, and when nothing valid came from the peer for cluster.dead_after_s this end
// stops sending it media (counted no_consent) until something valid arrives again. A new relay is
// granted consent for that long from its creation: it is only made after the two nodes exchanged
// signed envelopes for the room.
//
// Thread: the worker's. Owned by its CrossWorkerHub; sends through the hub's relay socket (batched:
// the hub flushes the socket once per loop turn). Nothing allocates per packet.
#pragma once

#include <uv.h>

#include <array>
#include <atomic>
#include <cstdint>

#include "base/socket_address.h"
#include "net/udp_socket.h"
#include "sfu/media/relay_frame.h"

namespace sfu {

// A worker's relay traffic (sfu_cluster_relay_*), written by its thread only.
struct RelayCounters {
  std::atomic<uint64_t> packets_sent{0}, bytes_sent{0}, packets_received{0}, bytes_received{0};
  std::atomic<uint64_t> consent_sent{0}, consent_received{0};
  std::atomic<uint64_t> dropped_not_member{0}, dropped_bad_tag{0}, dropped_replay{0}, dropped_malformed{0},
      dropped_too_large{0}, dropped_no_consent{0};
};

struct RelayPeerParams {
  uint32_t peer = 0;  // its peer index on this worker (a remote shard's slot)
  SocketAddress address;
  RelayKey send_key, receive_key;
  uint64_t dead_after_ms = 3000;
};

class RelayPeer {
 public:
  RelayPeer(uv_loop_t* loop, const RelayPeerParams& params, net::UdpSocket& socket, RelayCounters& counters);
  RelayPeer(const RelayPeer&) = delete;
  RelayPeer& operator=(const RelayPeer&) = delete;

  uint32_t peer() const { return peer_; }
  const SocketAddress& address() const { return address_; }
  bool consent_fresh() const;

  // Seals and queues one slot; false when dropped (counted: no_consent, too_large).
  bool send_slot(const CrossWorkerPacket& slot);
  void send_consent();
  // A datagram from this peer's address: true with `slot` filled when it carried a slot (a consent
  // frame only refreshes consent); false otherwise (drops counted).
  bool receive(ByteSpan datagram, CrossWorkerPacket& slot);

 private:
  bool send_frame(RelayFrameType type, ByteSpan plain);

  uv_loop_t* loop_;
  const uint32_t peer_;
  const SocketAddress address_;
  const uint64_t dead_after_ms_;
  net::UdpSocket& socket_;
  RelayCounters& counters_;
  RelaySealer sealer_;
  RelayOpener opener_;
  uint64_t last_valid_ms_;
  std::array<uint8_t, kRelayMaxFrameBytes> plain_{};
};

}  // namespace sfu
