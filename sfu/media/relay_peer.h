// One worker's end of the media relay with one worker of another node (docs/protocol.md, "Media
// relay between nodes"). It first runs a DTLS 1.2 handshake with the peer over the relay socket
// (dtls::DtlsTransport; its records travel as relay frames of type dtls), which authenticates the
// peer by the certificate fingerprint its node announced in a signed cluster envelope and exports
// the keys of the two directions (relay_frame.h). Until that handshake completes, slots for the
// peer are dropped (counted handshaking) and nothing the peer sends but DTLS records is looked at.
// The end whose (node id, worker index) is lower is the DTLS client. A failed handshake (timeout,
// fingerprint mismatch) is counted and tried again with a new transport after retry_ms.
//
// Then consent in the spirit of RFC 7675: a consent frame goes to the peer every second, and when
// nothing valid came from the peer for cluster.dead_after_s this end stops sending it media
// (counted no_consent) and, at the next consent tick, starts a new handshake (the peer may have
// lost its end of the old one); the completed handshake grants consent.
//
// Thread: the worker's. Owned by its CrossWorkerHub, which drives the handshake's timers
// (next_timeout_ms(), handle_timeout()); sends through the hub's relay socket (batched: the hub
// flushes the socket once per loop turn). The handshake allocates; nothing allocates per packet.
#pragma once

#include <uv.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "base/socket_address.h"
#include "dtls/dtls_certificate.h"
#include "dtls/dtls_transport.h"
#include "net/udp_socket.h"
#include "sfu/media/relay_frame.h"

namespace sfu {

// A worker's relay traffic (sfu_cluster_relay_*), written by its thread only.
struct RelayCounters {
  std::atomic<uint64_t> packets_sent{0}, bytes_sent{0}, packets_received{0}, bytes_received{0};
  std::atomic<uint64_t> consent_sent{0}, consent_received{0};
  std::atomic<uint64_t> dropped_not_member{0}, dropped_bad_tag{0}, dropped_replay{0}, dropped_malformed{0},
      dropped_too_large{0}, dropped_no_consent{0}, dropped_handshaking{0};
  std::atomic<uint64_t> handshakes_completed{0}, handshakes_failed{0};
};

struct RelayPeerParams {
  uint32_t peer = 0;  // its peer index on this worker (a remote shard's slot)
  SocketAddress address;
  bool dtls_client = false;        // this end starts the handshake
  std::string remote_fingerprint;  // the peer's certificate, SHA-256 ("AB:CD:..."), as signed
  uint64_t dead_after_ms = 3000;
  uint64_t handshake_timeout_ms = 10000;  // cluster.relay_handshake_timeout_s
  uint64_t retry_ms = 2000;               // cluster.relay_handshake_retry_s: after a failed handshake
};

class RelayPeer {
 public:
  // The first retransmission of a flight; it doubles on each. Short: a ClientHello sent before the
  // peer's node attached this end is dropped there (not_member), and the peers are servers.
  static constexpr uint32_t kInitialRetransmitMs = 100;

  RelayPeer(uv_loop_t* loop, const RelayPeerParams& params,
            std::shared_ptr<dtls::DtlsCertificate> certificate, net::UdpSocket& socket,
            RelayCounters& counters);
  ~RelayPeer();
  RelayPeer(const RelayPeer&) = delete;
  RelayPeer& operator=(const RelayPeer&) = delete;

  uint32_t peer() const { return peer_; }
  const SocketAddress& address() const { return address_; }
  bool connected() const { return connected_; }
  bool consent_fresh() const;

  // Starts the handshake (a client sends its ClientHello).
  void start();
  // The peer's run is gone (its node died or restarted): no handshake, consent or media any more.
  // The object stays (a link may still name it); its hub no longer gives it datagrams.
  void retire();
  bool retired() const { return retired_; }
  // When handle_timeout() is next due (uv_now clock): a retransmission, the handshake's deadline or
  // the retry after a failure; nullopt once connected.
  std::optional<uint64_t> next_timeout_ms() const;
  void handle_timeout(uint64_t now_ms);

  // Seals and queues one slot; false when dropped (counted: handshaking, no_consent, too_large).
  bool send_slot(const CrossWorkerPacket& slot);
  // Once a second (the hub's consent timer): a consent frame, or a new handshake when consent lapsed.
  void send_consent();
  // A datagram from this peer's address: true with `slot` filled when it carried a slot (a consent
  // frame only refreshes consent, a DTLS frame feeds the handshake); false otherwise (drops counted).
  bool receive(ByteSpan datagram, CrossWorkerPacket& slot);

 private:
  bool send_frame(RelayFrameType type, ByteSpan plain);
  void send_dtls(ByteSpan datagram);
  void on_connected(const dtls::SrtpKeys& keys);
  void on_failed(std::string_view reason);

  uv_loop_t* loop_;
  const uint32_t peer_;
  const SocketAddress address_;
  const bool dtls_client_;
  const std::string remote_fingerprint_;
  const uint64_t dead_after_ms_;
  const uint64_t handshake_timeout_ms_;
  const uint64_t retry_ms_;
  std::shared_ptr<dtls::DtlsCertificate> certificate_;
  net::UdpSocket& socket_;
  RelayCounters& counters_;
  std::unique_ptr<dtls::DtlsTransport> dtls_;  // a new one for each attempt
  bool connected_ = false;
  bool retired_ = false;
  bool failed_ = false;  // dtls_ failed: a new one at retry_at_ms_
  uint64_t retry_at_ms_ = 0;
  bool failure_logged_ = false;  // since the last completed handshake
  RelaySealer sealer_;
  RelayOpener opener_;
  uint64_t last_valid_ms_ = 0;
  uint64_t created_ms_ = 0, started_ms_ = 0;  // the link, and the current handshake (logged)
  std::array<uint8_t, kRelayMaxFrameBytes> plain_{};
};

}  // namespace sfu
