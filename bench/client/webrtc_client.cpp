#include "bench/client/webrtc_client.h"

#include <cstring>

#include "base/random.h"
#include "net/packet_demux.h"

namespace sfu::client {
namespace {

constexpr uint64_t kTimerMs = 10;
constexpr uint8_t kDtlsApplicationData = 23;  // TLS content type (RFC 5246 section 6.2.1)

}  // namespace

WebRtcClient::WebRtcClient(uv_loop_t* loop, std::shared_ptr<dtls::DtlsCertificate> certificate,
                           dtls::DtlsRole dtls_role, bool ice_controlling)
    : loop_(loop),
      certificate_(std::move(certificate)),
      dtls_role_(dtls_role),
      ice_controlling_(ice_controlling),
      ice_ufrag_(random_string(8, kIceCharacters)),
      ice_pwd_(random_string(24, kIceCharacters)),
      socket_(loop, [this](auto batch) { on_datagrams(batch); }),
      timer_(new uv_timer_t) {
  uv_timer_init(loop_, timer_);
  timer_->data = this;
}

WebRtcClient::~WebRtcClient() {
  tcp_.reset();  // its handles close with the loop's next turn
  timer_->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(timer_),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  socket_.close();
}

bool WebRtcClient::open(const SocketAddress& bind_address, std::string* error) {
  return socket_.bind(bind_address, 1 << 22, 1 << 22, error);
}

void WebRtcClient::connect(const RemoteParameters& remote) {
  remote_ = remote;
  ice_ = std::make_unique<ice::IceClient>(ice_ufrag_, ice_pwd_, remote.ice_ufrag, remote.ice_pwd,
                                          random_value<uint64_t>(), ice_controlling_);
  state_ = State::Checking;
  if (ice_tcp_) {
    std::string error;
    tcp_ = std::make_unique<net::TcpConnection>(loop_, static_cast<net::TcpConnection::Handler&>(*this),
                                                tcp_counters_);
    if (!remote.tcp_address) return fail("ice-tcp: the server offered no passive TCP candidate");
    if (!tcp_->connect(*remote.tcp_address, &error)) return fail("ice-tcp: " + error);
  }
  uv_timer_start(
      timer_,
      [](uv_timer_t* t) {
        if (auto* self = static_cast<WebRtcClient*>(t->data)) self->on_timer();
      },
      0, kTimerMs);
}

void WebRtcClient::renew_ice_credentials() {
  ice_ufrag_ = random_string(8, kIceCharacters);
  ice_pwd_ = random_string(24, kIceCharacters);
}

void WebRtcClient::restart_ice(const RemoteParameters& remote) {
  if (state_ == State::Failed || !ice_) return;
  // The new generation replaces the old at once: this client has one pair, and the server keeps
  // answering the old credentials only until this one nominates.
  remote_.address = remote.address;
  remote_.ice_ufrag = remote.ice_ufrag;
  remote_.ice_pwd = remote.ice_pwd;
  ice_ = std::make_unique<ice::IceClient>(ice_ufrag_, ice_pwd_, remote.ice_ufrag, remote.ice_pwd,
                                          random_value<uint64_t>(), ice_controlling_);
  send_check(uv_now(loop_));
  flush();
}

bool WebRtcClient::switch_local_address(const std::string& ip, bool check_now, std::string* error) {
  SocketAddress old_address = socket_.local_address();
  auto any_port = SocketAddress::from_ip(ip.empty() ? old_address.ip_string() : ip, 0);
  if (!any_port) {
    if (error) *error = "not an IP address: " + ip;
    return false;
  }
  // The kernel picks ephemeral ports at random; the freed one again is possible, so retry then.
  for (int attempt = 0; attempt < 5; ++attempt) {
    socket_.close();
    if (!socket_.bind(*any_port, 1 << 22, 1 << 22, error)) return false;
    if (!(socket_.local_address() == old_address)) break;
  }
  if (check_now && ice_ && state_ != State::Failed) {
    send_check(uv_now(loop_));
    socket_.flush();
  }
  return true;
}

void WebRtcClient::send_check(uint64_t now_ms) {
  // Regular nomination by the controlling side: every check carries USE-CANDIDATE, as an
  // aggressive browser would; the server (lite) selects the first valid one.
  size_t size = ice_->build_check(now_ms, ice_controlling_, MutableByteSpan(stun_buffer_));
  if (size > 0) send_packet(ByteSpan(stun_buffer_.data(), size), remote_.address);
}

void WebRtcClient::on_timer() {
  uint64_t now = uv_now(loop_);
  if (state_ == State::Failed) {
    uv_timer_stop(timer_);
    return;
  }
  if (ice_ && ice_->needs_check(now)) send_check(now);
  if (dtls_) {
    auto deadline = dtls_->next_timeout_ms();
    if (deadline && *deadline <= now) dtls_->handle_timeout(now);
  }
  if (ice_ && ice_->consent_expired(now) && state_ != State::New) fail("ice consent expired");
  flush();
}

void WebRtcClient::send_packet(ByteSpan packet, const SocketAddress& to) {
  if (tcp_)
    tcp_->send(packet);
  else
    socket_.send(packet, to);
}

void WebRtcClient::start_dtls() {
  dtls::DtlsCallbacks callbacks;
  callbacks.send = [this](ByteSpan record) {
    if (!drop_application_datagram(record, /*outgoing=*/true)) send_packet(record, remote_.address);
  };
  callbacks.on_connected = [this](const dtls::SrtpKeys& keys) {
    std::string error;
    srtp_in_ = rtp::SrtpSession::create(srtp_backend_, keys.profile, keys.remote_key_salt,
                                        rtp::SrtpSession::Direction::Inbound, &error);
    srtp_out_ = rtp::SrtpSession::create(srtp_backend_, keys.profile, keys.local_key_salt,
                                         rtp::SrtpSession::Direction::Outbound, &error);
    if (!srtp_in_ || !srtp_out_) return fail("srtp: " + error);
    state_ = State::Connected;
    if (on_dtls_connected) on_dtls_connected();
  };
  callbacks.on_failed = [this](std::string_view reason) { fail("dtls: " + std::string(reason)); };
  callbacks.on_application_data = [this](ByteSpan data) {
    if (on_application_data) on_application_data(data);
  };
  dtls_ = std::make_unique<dtls::DtlsTransport>(certificate_, dtls_role_, std::move(callbacks));
  dtls_->set_remote_fingerprint("sha-256", remote_.fingerprint);
  dtls_->start(uv_now(loop_));
}

void WebRtcClient::on_datagrams(std::span<net::UdpSocket::Datagram> batch) {
  uint64_t now = uv_now(loop_);
  for (const auto& datagram : batch) {
    if (!(datagram.from == remote_.address)) ++counters_.from_other_address;
    handle_packet(datagram, now);
  }
}

void WebRtcClient::on_frame(net::TcpConnection& connection, uint8_t* data, size_t size) {
  handle_packet({data, size, connection.remote_address()}, uv_now(loop_));
}

void WebRtcClient::on_closed(net::TcpConnection&, net::TcpCloseReason reason) {
  fail(std::string("ice-tcp: connection ended (") + net::kTcpCloseReasonNames[static_cast<size_t>(reason)] +
       ")");
}

// RFC 7983 demux, as in the worker.
void WebRtcClient::handle_packet(const net::UdpSocket::Datagram& datagram, uint64_t now) {
  ByteSpan bytes(datagram.data, datagram.size);
  switch (net::classify_packet(bytes)) {
    case net::PacketKind::Stun:
      handle_stun(datagram, now);
      break;
    case net::PacketKind::Dtls:
      if (dtls_ && !drop_application_datagram(bytes, /*outgoing=*/false)) dtls_->handle_packet(bytes, now);
      break;
    case net::PacketKind::Rtp:
      handle_srtp(datagram, false);
      break;
    case net::PacketKind::Rtcp:
      handle_srtp(datagram, true);
      break;
    default:
      break;
  }
}

void WebRtcClient::handle_stun(const net::UdpSocket::Datagram& datagram, uint64_t now) {
  if (!ice_) return;
  size_t response_size = 0;
  auto outcome = ice_->handle_stun(ByteSpan(datagram.data, datagram.size), datagram.from, now,
                                   MutableByteSpan(stun_buffer_), response_size);
  if (response_size > 0) send_packet(ByteSpan(stun_buffer_.data(), response_size), datagram.from);
  if (outcome == ice::IceClient::Outcome::ErrorResponse) ++counters_.ice_error_responses;
  if (outcome == ice::IceClient::Outcome::Connected || outcome == ice::IceClient::Outcome::ConsentRefreshed)
    ++counters_.ice_success_responses;
  if (outcome == ice::IceClient::Outcome::BadIntegrity || outcome == ice::IceClient::Outcome::MalformedStun)
    ++counters_.stun_errors;
  if (ice_->connected() && state_ == State::Checking) {
    state_ = State::IceConnected;
    if (!hold_dtls_) start_dtls();
  }
}

void WebRtcClient::handle_srtp(const net::UdpSocket::Datagram& datagram, bool rtcp) {
  if (!srtp_in_) {
    ++counters_.srtp_errors;
    return;
  }
  size_t size = datagram.size;
  auto error =
      rtcp ? srtp_in_->unprotect_rtcp(datagram.data, size) : srtp_in_->unprotect_rtp(datagram.data, size);
  if (error != rtp::SrtpError::Ok) {
    ++counters_.srtp_errors;
    return;
  }
  if (rtcp) {
    ++counters_.rtcp_received;
    if (on_rtcp) on_rtcp(datagram.data, size);
  } else {
    ++counters_.rtp_received;
    if (on_rtp) on_rtp(datagram.data, size);
  }
}

bool WebRtcClient::send_protected(ByteSpan packet, bool rtcp) {
  if (state_ != State::Connected || !srtp_out_) return false;
  MutableByteSpan slot = tcp_ ? tcp_->acquire_send() : socket_.acquire_send();
  if (packet.size() + rtp::SrtpSession::kMaxRtcpTrailer > slot.size()) return false;
  std::memcpy(slot.data(), packet.data(), packet.size());
  size_t size = packet.size();
  auto error = rtcp ? srtp_out_->protect_rtcp(slot.data(), size, slot.size())
                    : srtp_out_->protect_rtp(slot.data(), size, slot.size());
  if (error != rtp::SrtpError::Ok) return false;
  if (tcp_)
    tcp_->commit_send(size);
  else
    socket_.commit_send(size, remote_.address);
  ++(rtcp ? counters_.rtcp_sent : counters_.rtp_sent);
  return true;
}

bool WebRtcClient::send_rtp(ByteSpan packet) { return send_protected(packet, false); }
bool WebRtcClient::send_rtcp(ByteSpan packet) { return send_protected(packet, true); }

bool WebRtcClient::send_application_data(ByteSpan data) {
  return state_ == State::Connected && dtls_ && dtls_->send_application_data(data);
}

void WebRtcClient::set_datagram_loss(double share, uint64_t seed) {
  loss_share_ = share;
  loss_random_.seed(seed);
}

bool WebRtcClient::drop_application_datagram(ByteSpan datagram, bool outgoing) {
  if (datagram.empty() || datagram[0] != kDtlsApplicationData) return false;
  ++(outgoing ? counters_.application_datagrams_sent : counters_.application_datagrams_received);
  if (!outgoing && stalled_) {
    ++counters_.stalled_in;
    return true;
  }
  if (loss_share_ <= 0) return false;
  // One draw per datagram in each direction, so a seed fixes the pattern of a run.
  bool drop = std::uniform_real_distribution<double>(0.0, 1.0)(loss_random_) < loss_share_;
  if (drop) ++(outgoing ? counters_.dropped_out : counters_.dropped_in);
  return drop;
}

void WebRtcClient::close() {
  if (state_ == State::Failed) return;
  if (dtls_) dtls_->close();
  flush();
  uv_timer_stop(timer_);
  fail("closed locally");
}

void WebRtcClient::fail(std::string reason) {
  if (state_ == State::Failed) return;
  state_ = State::Failed;
  failure_reason_ = std::move(reason);
}

}  // namespace sfu::client
