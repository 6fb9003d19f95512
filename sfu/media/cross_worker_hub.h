// A worker's end of the rings to and from the other workers (rooms spanning workers,
// cross_worker_link.h): its doorbell (a uv_async_t other workers' links ring), the links to and
// from each peer worker, and its CrossWorkerTables. When its doorbell rings, it drains every
// inbound link and dispatches each slot (tables), then runs `after_drain` (the worker flushes the
// sends the fan-out queued). Once per loop turn (a uv_check handle, after the turn's I/O) it rings
// the doorbell of every peer its links pushed to during the turn: one wake-up per burst.
//
// Rooms spanning cluster nodes (relay_peer.h): the hub also owns the worker's relay socket and one
// RelayPeer per worker of another node a room spans to, each with a relay-mode link as `to_peer`;
// datagrams arriving on the relay socket are checked (sender, then DTLS handshake or tag and replay)
// and dispatched like drained ring slots, and a consent frame goes to each relay peer every second.
// One timer drives the relay peers' DTLS handshakes (retransmissions, deadlines, retries): armed
// for the earliest one due, idle once every handshake is done.
//
// Thread: the worker's, except doorbell() and counters(), which the control thread uses to build
// links (their addresses only; ringing is thread-safe, the counters are written by this worker).
// Owned by the Worker, created before its loop runs. close() the handles before the loop's last run;
// every worker linked to this one must have stopped by then (another worker may ring the doorbell
// until it stops).
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "net/udp_socket.h"
#include "sfu/media/cross_worker_link.h"
#include "sfu/media/cross_worker_tables.h"
#include "sfu/media/relay_peer.h"

namespace sfu {

class CrossWorkerHub final : private RingDoorbell {
 public:
  CrossWorkerHub(uv_loop_t* loop, uint32_t worker_index, std::function<void()> after_drain);
  ~CrossWorkerHub() override;
  CrossWorkerHub(const CrossWorkerHub&) = delete;
  CrossWorkerHub& operator=(const CrossWorkerHub&) = delete;

  // Any thread.
  RingDoorbell& doorbell() { return *this; }
  CrossWorkerCounters& counters() { return counters_; }
  const CrossWorkerCounters& counters() const { return counters_; }

  // ---- loop thread ----
  // The two directions between this worker and `peer` (built by the control plane). Queued slots
  // from `peer` are drained at once.
  void attach(uint32_t peer, std::shared_ptr<CrossWorkerLink> to_peer,
              std::shared_ptr<CrossWorkerLink> from_peer);
  // The link to `peer`; nullptr until attached.
  CrossWorkerLink* to_peer(uint32_t peer) const {
    return peer < links_.size() && links_[peer].out ? links_[peer].out.get() : nullptr;
  }
  CrossWorkerTables& tables() { return tables_; }

  // ---- relay between nodes (loop thread, except relay_address(), relay_fingerprint() and
  // relay_counters()) ----
  // Binds the relay socket (before the loop runs); false with *error set. `certificate` is this
  // process's DTLS identity, whose fingerprint the other nodes learn from the signed envelopes.
  bool open_relay(const SocketAddress& address, std::shared_ptr<dtls::DtlsCertificate> certificate,
                  std::string* error);
  // The bound address; family 0 without a relay socket. Immutable once bound.
  const SocketAddress& relay_address() const { return relay_address_; }
  // The SHA-256 fingerprint of the relay's DTLS certificate; empty without a relay socket.
  // Immutable once bound.
  const std::string& relay_fingerprint() const { return relay_fingerprint_; }
  RelayCounters& relay_counters() { return relay_counters_; }
  const RelayCounters& relay_counters() const { return relay_counters_; }
  // A worker of another node, as peer `params.peer` (at most once per peer index); its DTLS
  // handshake starts at once.
  void attach_remote(const RelayPeerParams& params);
  // Peer `peer`'s node run is gone: its relay peer stops (RelayPeer::retire) and datagrams from its
  // address go to a later run's peer on that address (a node restarted on a fixed relay_port).
  void retire_remote(uint32_t peer);
  // The relay peer of peer index `peer`; nullptr when none.
  const RelayPeer* remote(uint32_t peer) const;
  size_t remote_peers() const { return remotes_.size(); }
  // Drains every inbound link now (the doorbell's callback; tests call it directly).
  void drain(uint64_t now_ms);
  // Rings the peers pushed to since the last call (the uv_check callback).
  void wake_peers();
  void close();

 private:
  struct PeerLinks {
    std::shared_ptr<CrossWorkerLink> out;
    std::shared_ptr<CrossWorkerLink> in;
  };
  void ring() override;  // RingDoorbell: any thread
  void on_relay_datagrams(std::span<net::UdpSocket::Datagram> batch);
  void send_consent();
  // Drives the handshakes due, then arms the handshake timer for the next one.
  void on_handshake_timer();
  void schedule_handshakes();

  const uint32_t index_;
  std::function<void()> after_drain_;
  CrossWorkerCounters counters_;
  CrossWorkerTables tables_{counters_};
  std::vector<PeerLinks> links_;  // by peer worker index
  uv_loop_t* loop_;
  uv_async_t* doorbell_ = nullptr;
  uv_check_t* wake_check_ = nullptr;
  // Relay between nodes.
  RelayCounters relay_counters_;
  std::unique_ptr<net::UdpSocket> relay_socket_;
  SocketAddress relay_address_{};
  std::string relay_fingerprint_;
  std::vector<std::unique_ptr<RelayPeer>> remotes_;
  std::vector<std::unique_ptr<RelayPeer>> retired_;  // kept: links_ may still name them
  std::unique_ptr<CrossWorkerPacket> relay_slot_;    // where an arriving slot is decoded
  uv_timer_t* consent_timer_ = nullptr;
  uv_timer_t* handshake_timer_ = nullptr;
  std::shared_ptr<dtls::DtlsCertificate> certificate_;
};

}  // namespace sfu
