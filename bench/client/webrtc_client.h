// The client side of one WebRTC connection, built from the project's own layers: a UDP socket (or,
// with use_ice_tcp(), an ICE-TCP connection to the server's passive candidate, RFC 6544 and RFC
// 4571 framing), an ICE agent (controlling by default), a DTLS client (or server) and SRTP. The integration
// tests and the load generator use it the way a browser would use a peer connection's transport. It lives on
// one libuv loop and is used only from that loop's thread.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>

#include "base/bytes.h"
#include "base/socket_address.h"
#include "dtls/dtls_certificate.h"
#include "dtls/dtls_transport.h"
#include "ice/ice_client.h"
#include "net/tcp_connection.h"
#include "net/udp_socket.h"
#include "rtp/srtp_session.h"

namespace sfu::client {

struct ClientCounters {
  uint64_t rtp_received = 0, rtcp_received = 0, rtp_sent = 0, rtcp_sent = 0;
  uint64_t srtp_errors = 0, stun_errors = 0, ice_error_responses = 0;
  uint64_t ice_success_responses = 0;  // answers to our checks: the server has our address
  // UDP datagrams whose source is not the server address our checks go to (a multi-address
  // server must answer from the address it was sent to; a real agent would drop them).
  uint64_t from_other_address = 0;
  // DTLS application-data datagrams (SCTP) the test hooks dropped: set_datagram_loss() on the way
  // out and in, stall_application_data() on the way in.
  uint64_t application_datagrams_sent = 0, application_datagrams_received = 0;
  uint64_t dropped_out = 0, dropped_in = 0, stalled_in = 0;
};

class WebRtcClient : private net::TcpConnection::Handler {
 public:
  // What the server's SDP says about its side of the connection.
  struct RemoteParameters {
    SocketAddress address;
    std::string ice_ufrag;
    std::string ice_pwd;
    std::string fingerprint;                   // sha-256, colon hex
    std::optional<SocketAddress> tcp_address;  // its passive TCP candidate, for use_ice_tcp()
  };
  enum class State { New, Checking, IceConnected, Connected, Failed };

  WebRtcClient(uv_loop_t* loop, std::shared_ptr<dtls::DtlsCertificate> certificate,
               dtls::DtlsRole dtls_role = dtls::DtlsRole::Client, bool ice_controlling = true);
  ~WebRtcClient() override;

  bool open(const SocketAddress& bind_address, std::string* error);
  const SocketAddress& local_address() const { return socket_.local_address(); }
  // The server's UDP candidate the checks go to (from connect() or restart_ice()).
  const SocketAddress& remote_address() const { return remote_.address; }
  const std::string& ice_ufrag() const { return ice_ufrag_; }
  const std::string& ice_pwd() const { return ice_pwd_; }
  const std::string& fingerprint() const { return certificate_->fingerprint_sha256(); }
  // The server's ICE ufrag the checks use (from connect() or restart_ice()).
  const std::string& remote_ice_ufrag() const { return remote_.ice_ufrag; }

  // Everything goes over one ICE-TCP connection to RemoteParameters::tcp_address instead of UDP
  // (an active TCP candidate, as a browser behind a UDP-blocking firewall). Call before connect().
  void use_ice_tcp() { ice_tcp_ = true; }
  bool ice_tcp() const { return ice_tcp_; }
  // The SRTP implementation of this client (OpenSSL by default). Call before connect().
  void use_srtp_backend(rtp::SrtpBackend backend) { srtp_backend_ = backend; }
  // Starts ICE checks toward the server; DTLS starts when ICE has connected.
  void connect(const RemoteParameters& remote);

  // ICE restart, the client's half (RFC 8445 §9): new local credentials (ice_ufrag(), ice_pwd())
  // for the next description. Checks go on with the old ones until restart_ice().
  void renew_ice_credentials();
  // Checks the server with the credentials of its description after the restart (and ours from
  // renew_ice_credentials()), from the same socket, nominating at once; DTLS and SRTP go on.
  void restart_ice(const RemoteParameters& remote);
  // A network change: a new socket on a new local port, of `ip` (e.g. 127.0.0.2 for another
  // loopback address; empty: the same address), with the same credentials, and a nominating
  // check from it at once unless `check_now` is false (a NAT rebinding the client does not
  // notice: the next consent check finds the way). Media sent to the old address is lost. False
  // with *error when no new socket could be bound.
  bool switch_local_address(const std::string& ip, bool check_now, std::string* error);
  State state() const { return state_; }
  bool connected() const { return state_ == State::Connected; }
  const std::string& failure_reason() const { return failure_reason_; }

  // Encrypts a copy of a plain RTP/RTCP packet and sends it (queued; flushed when the loop turns
  // or by flush()). False when not connected or protection failed.
  bool send_rtp(ByteSpan packet);
  bool send_rtcp(ByteSpan packet);
  void flush() {
    if (tcp_) tcp_->flush();
    socket_.flush();
  }
  // Closes the UDP socket as a vanished network would: nothing is sent or received any more,
  // not even ICE consent checks. For tests of the server's consent freshness.
  void drop_network() {
    socket_.close();
    if (tcp_) tcp_->close(net::TcpCloseReason::Released);
  }
  // Stops at ICE: the DTLS handshake is never started, as with a client that vanished between its
  // connectivity checks and its ClientHello. Call before connect(). For the soak's vanishing
  // clients and tests of the server's DTLS deadline.
  void hold_dtls() { hold_dtls_ = true; }
  // Closes the connection as a browser's RTCPeerConnection.close() does: a DTLS close_notify (once
  // the handshake is done) and no more checks or media. state() is Failed afterwards, with
  // failure_reason() "closed locally".
  void close();

  // Decrypted media, valid during the call.
  std::function<void(uint8_t* data, size_t size)> on_rtp;
  std::function<void(uint8_t* data, size_t size)> on_rtcp;
  // DTLS is up (after the keys were exported); and its decrypted application data (SCTP packets),
  // valid during the call. For data channels (client_data_channels.h).
  std::function<void()> on_dtls_connected;
  std::function<void(ByteSpan data)> on_application_data;
  // Sends one DTLS application-data record (an SCTP packet); false when DTLS is not up.
  bool send_application_data(ByteSpan data);

  // Test hooks on the data-channel path, applied only to DTLS application-data datagrams (content
  // type 23) so that ICE, the handshake and media are untouched: drop a `share` (0..1) of them in
  // each direction, chosen by a generator seeded with `seed`, as a lossy network would; or stop
  // taking them in at all, as a peer that stopped reading (its SCTP stops acknowledging).
  void set_datagram_loss(double share, uint64_t seed);
  void stall_application_data(bool stalled) { stalled_ = stalled; }

  const ClientCounters& counters() const { return counters_; }
  const net::UdpSocketCounters& socket_counters() const { return socket_.counters(); }
  const net::TcpCounters& tcp_counters() const { return tcp_counters_; }
  std::optional<int> last_ice_error() const { return ice_ ? ice_->last_error_code() : std::nullopt; }

 private:
  void on_datagrams(std::span<net::UdpSocket::Datagram> batch);
  void handle_packet(const net::UdpSocket::Datagram& datagram, uint64_t now_ms);
  void handle_stun(const net::UdpSocket::Datagram& datagram, uint64_t now_ms);
  void handle_srtp(const net::UdpSocket::Datagram& datagram, bool rtcp);
  // To the server on the connection's path (UDP to `to`, or the ICE-TCP connection).
  void send_packet(ByteSpan packet, const SocketAddress& to);
  // net::TcpConnection::Handler
  void on_frame(net::TcpConnection& connection, uint8_t* data, size_t size) override;
  void on_closed(net::TcpConnection& connection, net::TcpCloseReason reason) override;
  void on_timer();
  void send_check(uint64_t now_ms);
  void start_dtls();
  void fail(std::string reason);
  bool send_protected(ByteSpan packet, bool rtcp);
  // Counts an application-data datagram; true when the loss hook drops it.
  bool drop_application_datagram(ByteSpan datagram, bool outgoing);

  uv_loop_t* loop_;
  std::shared_ptr<dtls::DtlsCertificate> certificate_;
  dtls::DtlsRole dtls_role_;
  bool ice_controlling_;
  bool hold_dtls_ = false;
  std::string ice_ufrag_;
  std::string ice_pwd_;
  net::UdpSocket socket_;
  bool ice_tcp_ = false;
  net::TcpCounters tcp_counters_;
  std::unique_ptr<net::TcpConnection> tcp_;  // with use_ice_tcp(), from connect()
  uv_timer_t* timer_;
  RemoteParameters remote_;
  std::unique_ptr<ice::IceClient> ice_;
  std::unique_ptr<dtls::DtlsTransport> dtls_;
  rtp::SrtpBackend srtp_backend_ = rtp::SrtpBackend::OpenSsl;
  std::unique_ptr<rtp::SrtpSession> srtp_in_;
  std::unique_ptr<rtp::SrtpSession> srtp_out_;
  State state_ = State::New;
  std::string failure_reason_;
  ClientCounters counters_;
  std::array<uint8_t, 1024> stun_buffer_{};
  double loss_share_ = 0;
  bool stalled_ = false;
  std::mt19937_64 loss_random_;
};

}  // namespace sfu::client
