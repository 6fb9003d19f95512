#include "sfu/media/webrtc_transport.h"

#include <algorithm>

#include "base/random.h"
#include "dtls/dtls_certificate.h"

namespace sfu {
namespace {

// Send and feedback times of the bandwidth estimate: microseconds, monotonic.
int64_t monotonic_us() { return static_cast<int64_t>(uv_hrtime() / 1000); }

constexpr size_t kMaxValidatedAddresses = 8;

// 8 ufrag characters give 48 random bits (RFC 8445 asks for at least 24), 24 pwd characters give
// 144 (at least 128).
std::string new_ice_ufrag() { return random_string(8, kIceCharacters); }
std::string new_ice_pwd() { return random_string(24, kIceCharacters); }

DropReason drop_reason_of(rtp::SrtpError error) {
  switch (error) {
    case rtp::SrtpError::AuthFail:
      return DropReason::SrtpAuthFailed;
    case rtp::SrtpError::ReplayOld:
    case rtp::SrtpError::ReplayFail:
      return DropReason::SrtpReplay;
    case rtp::SrtpError::SsrcLimit:
      return DropReason::SrtpSsrcLimit;
    default:
      return DropReason::SrtpOther;
  }
}

}  // namespace

WebRtcTransport::WebRtcTransport(uint64_t id, uv_loop_t* loop, const net::UdpSockets& sockets,
                                 std::shared_ptr<dtls::DtlsCertificate> certificate, Host& host,
                                 Observer& observer, Options options)
    : id_(id),
      loop_(loop),
      sockets_(sockets),
      path_socket_(sockets.v4 ? sockets.v4 : sockets.v6),
      host_(host),
      observer_(&observer),
      options_(options),
      ice_(new_ice_ufrag(), new_ice_pwd()),
      certificate_(std::move(certificate)),
      dtls_timer_(loop, [this] {
        if (dtls_) dtls_->handle_timeout(uv_now(loop_));
        arm_dtls_timer();
        flush_sends();
      }) {
  ice_.set_consent_timeout_ms(options_.consent_timeout_ms);
}

WebRtcTransport::~WebRtcTransport() {
  // The endpoint may still call back while it goes (an ABORT for the peer): nothing reaches the
  // observer or the socket any more.
  observer_ = nullptr;
  harvest_data_counters(/*final=*/true);
  state_ = State::Closed;
  data_.reset();
}

const std::string& WebRtcTransport::dtls_fingerprint() const { return certificate_->fingerprint_sha256(); }

void WebRtcTransport::update_remote_address() {
  // The nominated pair; before nomination, where the checks came from (a DTLS ClientHello may
  // race USE-CANDIDATE). Only ever an address still validated here: one evicted or taken over by
  // another transport is not this connection's path any more. Cached: the packet path reads it
  // for every packet it sends. An ICE-TCP connection is the path when the last nomination came
  // over it, or when no UDP address is left (the connection's own checks keep it alive).
  remote_tcp_ = nominated_tcp_;
  if (remote_tcp_) {
    remote_address_.reset();
    return;
  }
  auto selected = nominated_over_tcp_ ? std::nullopt : ice_.selected_address();
  auto path = selected ? std::find(validated_.begin(), validated_.end(), *selected) : validated_.end();
  if (path == validated_.end() && !validated_.empty()) path = validated_.end() - 1;
  remote_address_.reset();
  path_local_ = SocketAddress();
  if (path != validated_.end()) {
    // Validated addresses came in on one of the sockets, so there is one of their family.
    auto i = static_cast<size_t>(path - validated_.begin());
    remote_address_ = validated_[i];
    path_local_ = validated_local_[i];
    path_socket_ = sockets_.for_peer(validated_[i]);
  }
  if (!remote_address_ && !tcp_paths_.empty()) remote_tcp_ = tcp_paths_.back();
}

void WebRtcTransport::send_to_path(ByteSpan packet) {
  if (remote_tcp_)
    remote_tcp_->send(packet);
  else if (remote_address_)
    path_socket_->send(packet, *remote_address_, &path_local_);
}

// The handshake deadline counts from the moment the peer can start the handshake: when its
// description reached us, or its first authenticated ICE check if that came first (a browser
// checks while its answer is on the way). Never from join: a participant may turn its camera on
// minutes later. Once started it also bounds a peer that completes ICE and never sends DTLS. The
// DTLS session (an SSL object and its buffers, most of an idle transport's memory) is created
// here, so a participant that negotiates nothing does not pay for it.
void WebRtcTransport::start_dtls(uint64_t now_ms) {
  if (dtls_ || state_ == State::Closed) return;
  dtls::DtlsCallbacks callbacks;
  callbacks.send = [this](ByteSpan record) { send_to_path(record); };
  callbacks.on_connected = [this](const dtls::SrtpKeys& keys) { on_dtls_connected(keys); };
  callbacks.on_failed = [this](std::string_view reason) {
    // Without a single ICE check the handshake could not even begin: say so, it is the cause
    // (typically UDP blocked between the client and the server).
    fail(state_ == State::New ? std::string("no ice check received") : "dtls: " + std::string(reason));
  };
  callbacks.on_application_data = [this](ByteSpan packet) { on_application_data(packet); };
  // The peer closed its connection (RTCPeerConnection.close()): as final as a failure, and the
  // participant is told the same way, at once rather than when consent expires.
  callbacks.on_closed = [this] { fail("dtls: closed by peer"); };
  dtls_ = std::make_unique<dtls::DtlsTransport>(certificate_, dtls::DtlsRole::Server, std::move(callbacks));
  dtls_->set_handshake_timeout_ms(options_.dtls_handshake_timeout_ms);
  dtls_->start(now_ms);
  arm_dtls_timer();
}

void WebRtcTransport::set_remote_parameters(const std::string& ice_ufrag, const std::string& ice_pwd,
                                            const std::string& fingerprint_algorithm,
                                            const std::string& fingerprint) {
  ice_.set_remote_credentials(ice_ufrag, ice_pwd);
  remote_set_ms_ = uv_now(loop_);
  start_dtls(*remote_set_ms_);
  if (!dtls_) return;  // closed
  dtls_->set_remote_fingerprint(fingerprint_algorithm, fingerprint);
  auto early = std::move(early_dtls_);
  early_dtls_.clear();
  for (const auto& datagram : early) dtls_->handle_packet(ByteSpan(datagram), uv_now(loop_));
  if (!early.empty()) {
    arm_dtls_timer();
    flush_sends();
  }
}

void WebRtcTransport::restart_ice() {
  if (state_ == State::Closed) return;
  // A restart that replaces a pending one drops that one's ufrag; the one in use before both
  // stays until the peer nominates with the newest.
  std::string replaced = ice_.restart_pending() ? ice_.local_ufrag() : std::string();
  if (!ice_.restart_pending()) retiring_ufrag_ = ice_.local_ufrag();
  ice_.restart(new_ice_ufrag(), new_ice_pwd());
  host_.on_ufrag_added(*this, ice_.local_ufrag());
  if (!replaced.empty()) host_.on_ufrag_retired(*this, replaced);
}

void WebRtcTransport::set_remote_ice_credentials(const std::string& ice_ufrag, const std::string& ice_pwd) {
  ice_.set_remote_credentials(ice_ufrag, ice_pwd);
}

void WebRtcTransport::handle_stun(const net::UdpSocket::Datagram& datagram, uint64_t now_ms,
                                  net::TcpConnection* via) {
  if (state_ == State::Closed) {
    count_drop(DropReason::TransportClosed);
    return;
  }
  auto result = ice_.handle_stun(ByteSpan(datagram.data, datagram.size), datagram.from, now_ms,
                                 MutableByteSpan(stun_response_));
  if (result.response_length > 0) {
    ByteSpan response(stun_response_.data(), result.response_length);
    if (via)
      via->send(response);
    else if (net::UdpSocket* socket = sockets_.for_peer(datagram.from))
      socket->send(response, datagram.from, &datagram.local);  // from the address it was sent to
  }
  using Outcome = ice::IceLiteAgent::Outcome;
  if (result.outcome != Outcome::BindingSuccess && result.outcome != Outcome::Nominated) {
    switch (result.outcome) {
      case Outcome::MalformedStun:
        count_drop(DropReason::StunMalformed);
        break;
      case Outcome::NotBindingRequest:
      case Outcome::IgnoredIndication:
      case Outcome::IgnoredResponse:
        count_drop(DropReason::StunNotRequest);
        break;
      default:
        count_drop(DropReason::StunRejected);
        break;
    }
    return;
  }
  if (result.restart_completed && !retiring_ufrag_.empty()) {
    host_.on_ufrag_retired(*this, retiring_ufrag_);
    retiring_ufrag_.clear();
  }
  if (result.outcome == Outcome::Nominated) {
    nominated_over_tcp_ = via != nullptr;
    nominated_tcp_ = via;
  }
  if (via) {
    add_tcp_path(*via);
  } else if (auto known = std::find(validated_.begin(), validated_.end(), datagram.from);
             known == validated_.end()) {
    add_validated_address(datagram.from, datagram.local, now_ms);
  } else {
    auto i = static_cast<size_t>(known - validated_.begin());
    validated_check_ms_[i] = now_ms;
    // A peer checks each of our addresses from one of its own; the pair it nominates is the path.
    if (result.outcome == Outcome::Nominated) validated_local_[i] = datagram.local;
  }
  // A nomination from another address (the peer's network changed, or an ICE restart completed)
  // makes it the one media goes to, from this packet on. The address left behind is let go once
  // quiet (on_tick).
  update_remote_address();
  if (state_ == State::New) {
    state_ = State::IceConnected;
    start_dtls(now_ms);
  }
}

void WebRtcTransport::add_validated_address(const SocketAddress& address, const SocketAddress& local,
                                            uint64_t now_ms) {
  // Oldest first out: a peer that keeps moving (mobile networks) never grows this, nor the host's
  // table, which forgets the evicted address with it.
  if (validated_.size() == kMaxValidatedAddresses) {
    SocketAddress oldest = validated_.front();
    erase_validated(0);
    host_.on_address_released(*this, oldest);
  }
  validated_.push_back(address);
  validated_check_ms_.push_back(now_ms);
  validated_local_.push_back(local);
  host_.on_address_validated(*this, address);
}

void WebRtcTransport::erase_validated(size_t i) {
  auto offset = static_cast<std::ptrdiff_t>(i);
  validated_.erase(validated_.begin() + offset);
  validated_check_ms_.erase(validated_check_ms_.begin() + offset);
  validated_local_.erase(validated_local_.begin() + offset);
}

void WebRtcTransport::release_quiet_addresses(uint64_t now_ms) {
  // An address the peer has stopped checking from, and that media does not go to: the peer left
  // it (its network changed, or it nominated another pair). A pair in use is checked at least
  // every 6 s (RFC 7675 §5.1), so half the consent timeout only ever catches abandoned ones.
  const uint64_t quiet_ms = options_.consent_timeout_ms / 2;
  for (size_t i = 0; i < validated_.size();) {
    bool abandoned = now_ms >= validated_check_ms_[i] + quiet_ms &&
                     !(remote_address_ && *remote_address_ == validated_[i]);
    if (!abandoned) {
      ++i;
      continue;
    }
    SocketAddress address = validated_[i];
    erase_validated(i);
    host_.on_address_released(*this, address);
  }
}

void WebRtcTransport::handle_dtls(const net::UdpSocket::Datagram& datagram, uint64_t now_ms) {
  if (state_ == State::Closed) {
    count_drop(DropReason::TransportClosed);
    return;
  }
  if (!remote_set_ms_) {
    if (early_dtls_.size() < kMaxEarlyDtlsDatagrams)
      early_dtls_.emplace_back(datagram.data, datagram.data + datagram.size);
    else
      count_drop(DropReason::DtlsFailed);
    return;
  }
  if (!dtls_) return;  // not reached: set_remote_parameters() created it at the latest
  dtls_->handle_packet(ByteSpan(datagram.data, datagram.size), now_ms);
  arm_dtls_timer();
}

void WebRtcTransport::arm_dtls_timer() {
  if (!dtls_ || state_ == State::Closed) return;
  auto deadline = dtls_->next_timeout_ms();
  if (!deadline) {
    dtls_timer_.stop();
    return;
  }
  uint64_t now = uv_now(loop_);
  dtls_timer_.start(*deadline > now ? *deadline - now : 0);
}

void WebRtcTransport::on_dtls_connected(const dtls::SrtpKeys& keys) {
  std::string error;
  srtp_in_ = rtp::SrtpSession::create(options_.srtp_backend, keys.profile, keys.remote_key_salt,
                                      rtp::SrtpSession::Direction::Inbound, &error);
  srtp_out_ = rtp::SrtpSession::create(options_.srtp_backend, keys.profile, keys.local_key_salt,
                                       rtp::SrtpSession::Direction::Outbound, &error);
  if (!srtp_in_ || !srtp_out_) {
    fail("srtp: " + error);
    return;
  }
  srtp_in_->set_stream_limit(options_.max_inbound_ssrcs);
  state_ = State::DtlsConnected;
  start_data_channels();
  if (observer_) observer_->on_transport_connected(*this);
}

void WebRtcTransport::handle_srtp(const net::UdpSocket::Datagram& datagram, bool is_rtcp) {
  if (state_ != State::DtlsConnected || !srtp_in_) {
    count_drop(state_ == State::Closed ? DropReason::TransportClosed : DropReason::SrtpBeforeDtls);
    return;
  }
  size_t size = datagram.size;
  rtp::SrtpError error =
      is_rtcp ? srtp_in_->unprotect_rtcp(datagram.data, size) : srtp_in_->unprotect_rtp(datagram.data, size);
  if (error != rtp::SrtpError::Ok) {
    count_drop(drop_reason_of(error));
    return;
  }
  if (is_rtcp) {
    ++counters_.rtcp_packets_in;
    if (bwe_) {
      bwe_->on_rtcp(ByteSpan(datagram.data, size),
                    datagram.arrival_us > 0 ? datagram.arrival_us : monotonic_us());
      if (pacer_) update_pacing_rate(monotonic_us());
    }
    if (observer_) observer_->on_rtcp(*this, datagram.data, size);
  } else {
    ++counters_.rtp_packets_in;
    counters_.rtp_bytes_in += size;
    if (observer_) observer_->on_rtp(*this, datagram.data, size, datagram.arrival_us);
  }
}

void WebRtcTransport::enable_bandwidth_estimation(uint8_t extension_id) {
  if (bwe_ && bwe_->extension_id() == extension_id) return;
  bwe_ =
      std::make_unique<TransportBandwidthEstimator>(extension_id, host_.bwe_counters(), host_.flush_clock());
  // A new estimator starts without an estimate: what a previous pacer held goes out with the
  // next drain (the host still has it listed), then packets go out at once until feedback comes.
  if (options_.pacer && !pacer_) pacer_ = std::make_unique<Pacer>(*options_.pacer);
  if (pacer_) pacer_->set_estimate(0, monotonic_us());
}

void WebRtcTransport::update_pacing_rate(int64_t now_us) {
  const rtp::SendSideBwe& bwe = bwe_->estimator();
  // Before any feedback or REMB the estimate is only the estimator's start value.
  const bool known = bwe.has_transport_cc() || bwe.remb_bps().has_value();
  pacer_->set_estimate(known ? bwe.estimate_bps() : 0, now_us);
}

bool WebRtcTransport::commit_paced(MutableByteSpan slot, size_t size, MediaClass kind) {
  const int64_t now_us = monotonic_us();
  if (pacer_->admit(kind, size, now_us)) return commit_rtp(slot, size);
  // Held only what could be sent now: a packet for a closed connection is refused as before.
  if (state_ != State::DtlsConnected || !srtp_out_ || !has_path()) return false;
  if (!pacer_->enqueue(kind, ByteSpan(slot.data(), size), now_us)) return commit_rtp(slot, size);
  if (!pacer_scheduled) host_.on_pacer_queued(*this);
  return true;
}

bool WebRtcTransport::drain_pacer() {
  if (!pacer_) return false;
  pacer_->drain(monotonic_us(), [this](ByteSpan packet) {
    MutableByteSpan slot = acquire_send();
    if (packet.size() > slot.size()) return;
    std::copy(packet.begin(), packet.end(), slot.begin());
    commit_rtp(slot, packet.size());
  });
  harvest_pacer_stats();
  if (remote_tcp_) remote_tcp_->flush();
  return !pacer_->empty();
}

void WebRtcTransport::harvest_pacer_stats() {
  const PacerStats& now = pacer_->stats();
  if (now.dropped_packets > pacer_seen_.dropped_packets)
    host_.drop_counters().count(DropReason::PacerQueueFull,
                                now.dropped_packets - pacer_seen_.dropped_packets);
  host_.bwe_counters().count_paced(now.paced_packets - pacer_seen_.paced_packets,
                                   now.flushed_packets - pacer_seen_.flushed_packets);
  pacer_seen_ = now;
}

bool WebRtcTransport::commit_rtp(MutableByteSpan slot, size_t size) {
  if (state_ != State::DtlsConnected || !srtp_out_ || !has_path()) return false;
  if (bwe_) size = bwe_->stamp(slot, size);
  if (srtp_out_->protect_rtp(slot.data(), size, slot.size()) != rtp::SrtpError::Ok) return false;
  commit_to_path(size);
  if (bwe_) {
    if (remote_tcp_)
      bwe_->on_sent(size, monotonic_us());
    else
      bwe_->on_queued(size, monotonic_us);  // sent with the socket's next flush
  }
  ++counters_.rtp_packets_out;
  counters_.rtp_bytes_out += size;
  return true;
}

bool WebRtcTransport::commit_rtcp(MutableByteSpan slot, size_t size) {
  if (state_ != State::DtlsConnected || !srtp_out_ || !has_path()) return false;
  if (srtp_out_->protect_rtcp(slot.data(), size, slot.size()) != rtp::SrtpError::Ok) return false;
  commit_to_path(size);
  ++counters_.rtcp_packets_out;
  return true;
}

bool WebRtcTransport::send_rtcp(ByteSpan packet) {
  MutableByteSpan slot = acquire_send();
  if (packet.size() > slot.size()) return false;
  std::copy(packet.begin(), packet.end(), slot.begin());
  return commit_rtcp(slot, packet.size());
}

bool WebRtcTransport::on_tick(uint64_t now_ms) {
  if (state_ == State::Closed) return false;
  harvest_data_counters(/*final=*/false);
  // Consent (RFC 7675): checks must keep arriving once ICE is up; before that the DTLS handshake
  // timeout (armed by the remote description) or the room's join timeout bounds the wait.
  if (state_ != State::New && ice_.consent_expired(now_ms)) {
    fail("ice consent expired");
    return false;
  }
  release_quiet_addresses(now_ms);
  if (bwe_) bwe_->on_tick(monotonic_us());
  if (pacer_) update_pacing_rate(monotonic_us());
  // A connection the peer was told about (remote parameters set) must start within the timeout;
  // one not negotiated yet (a receive-only participant's publish side) may idle.
  if (state_ == State::New && remote_set_ms_ && now_ms - *remote_set_ms_ > options_.consent_timeout_ms) {
    fail("no ice check received");
    return false;
  }
  return true;
}

void WebRtcTransport::release_address(const SocketAddress& address) {
  auto it = std::find(validated_.begin(), validated_.end(), address);
  if (it == validated_.end()) return;
  erase_validated(static_cast<size_t>(it - validated_.begin()));
  update_remote_address();
}

void WebRtcTransport::add_tcp_path(net::TcpConnection& connection) {
  if (std::find(tcp_paths_.begin(), tcp_paths_.end(), &connection) != tcp_paths_.end()) return;
  // Oldest first out, as for UDP addresses; the host closes the evicted connection.
  if (tcp_paths_.size() == kMaxTcpPaths) {
    net::TcpConnection* oldest = tcp_paths_.front();
    release_tcp_path(*oldest);
    host_.on_tcp_path_released(*this, *oldest);
  }
  tcp_paths_.push_back(&connection);
  host_.on_tcp_path_validated(*this, connection);
}

void WebRtcTransport::release_tcp_path(const net::TcpConnection& connection) {
  std::erase(tcp_paths_, &connection);
  if (nominated_tcp_ == &connection) nominated_tcp_ = nullptr;
  update_remote_address();
}

void WebRtcTransport::fail(std::string_view reason) {
  if (state_ == State::Closed) return;
  failure_reason_ = std::string(reason);
  close(reason);
  // Not the observer, not now: fail() runs inside calls the room makes (set_remote_parameters()
  // replays early DTLS), and the room answers a closed transport by freeing the participant that
  // very call is working on. The host reports it from a safe point.
  host_.on_transport_failed(*this, *failure_reason_);
}

void WebRtcTransport::report_failure() {
  if (!failure_reason_) return;
  std::string why = std::move(*failure_reason_);
  failure_reason_.reset();
  if (observer_) observer_->on_transport_closed(*this, why);
}

void WebRtcTransport::close(std::string_view) {
  if (state_ == State::Closed) return;
  harvest_data_counters(/*final=*/true);
  state_ = State::Closed;
  dtls_timer_.stop();
  if (dtls_ && dtls_->state() == dtls::DtlsState::Connected) dtls_->close();
  srtp_in_.reset();
  srtp_out_.reset();
}

// ---- data channels ----

void WebRtcTransport::enable_data_channels(const DataChannelSetup& setup) {
  if (data_setup_ || state_ == State::Closed) return;
  data_setup_ = setup;
  if (state_ == State::DtlsConnected) start_data_channels();
}

// Both ends connect (SCTP simultaneous open, RFC 8261 §6): the peer's INIT may have come before
// this (and been dropped, counted as sctp_unexpected); SCTP retransmits, and ours gets through.
void WebRtcTransport::start_data_channels() {
  dtls::SctpMailbox* mailbox = host_.sctp_mailbox();
  if (data_ || !data_setup_ || !mailbox || state_ != State::DtlsConnected) return;
  dtls::DataChannelEndpoint::Observer& observer = *this;
  data_ = std::make_unique<dtls::DataChannelEndpoint>(*mailbox, observer, data_setup_->sctp,
                                                      /*is_dtls_client=*/false, data_setup_->limits);
  data_->set_remote_max_message_size(data_setup_->remote_max_message_size);
  data_->connect();
}

void WebRtcTransport::on_application_data(ByteSpan packet) {
  if (!data_ || state_ != State::DtlsConnected) {
    count_drop(DropReason::SctpUnexpected);
    return;
  }
  data_->handle_packet(packet);
}

void WebRtcTransport::send_data_packet(ByteSpan packet) {
  if (state_ != State::DtlsConnected || !dtls_ || !has_path()) return;
  dtls_->send_application_data(packet);
}

void WebRtcTransport::on_data_channels_ready() {
  harvest_data_counters(false);
  if (data_events_wanted()) observer_->on_data_channels_ready(*this);
}

void WebRtcTransport::on_channel_opened(const dtls::DataChannelInfo& channel) {
  if (data_events_wanted()) observer_->on_data_channel_opened(*this, channel);
}

void WebRtcTransport::on_channel_message(const dtls::DataChannelInfo& channel, bool binary,
                                         ByteSpan message) {
  if (data_events_wanted()) observer_->on_data_channel_message(*this, channel, binary, message);
}

void WebRtcTransport::on_channel_closed(const dtls::DataChannelInfo& channel) {
  if (data_events_wanted()) observer_->on_data_channel_closed(*this, channel);
}

void WebRtcTransport::on_data_channels_closed(std::string_view) {
  harvest_data_counters(false);
  if (data_events_wanted()) observer_->on_data_channels_closed(*this);
}

void WebRtcTransport::harvest_data_counters(bool final) {
  if (!data_ || data_seen_.final) return;
  DataCounters& counters = host_.data_counters();
  auto take = [](uint64_t now, uint64_t& seen) {
    uint64_t delta = now - seen;
    seen = now;
    return delta;
  };
  const dtls::SctpCounters& sctp = data_->sctp_counters();
  const dtls::DataChannelCounters& channels = data_->counters();
  uint64_t oversized = take(sctp.oversized_messages_in, data_seen_.oversized);
  uint64_t mailbox = take(sctp.mailbox_drops, data_seen_.mailbox_drops);
  uint64_t bad_dcep = take(channels.bad_dcep, data_seen_.bad_dcep);
  uint64_t refused = take(channels.refused_channels, data_seen_.refused);
  uint64_t unknown = take(channels.messages_unknown_stream, data_seen_.unknown_stream);
  uint64_t unknown_ppid = take(channels.messages_unknown_ppid, data_seen_.unknown_ppid);
  if (oversized) counters.drop(DataDropReason::MessageTooLarge, oversized);
  if (mailbox) counters.drop(DataDropReason::MailboxFull, mailbox);
  if (bad_dcep) counters.drop(DataDropReason::BadDcep, bad_dcep);
  if (refused) counters.drop(DataDropReason::ChannelLimit, refused);
  if (unknown) counters.drop(DataDropReason::UnknownChannel, unknown);
  if (unknown_ppid) counters.drop(DataDropReason::UnknownPpid, unknown_ppid);
  auto open_channels = final ? int64_t{0} : static_cast<int64_t>(data_->channel_count());
  int64_t up = !final && data_->ready() ? 1 : 0;
  counters.add_channels(open_channels - data_seen_.channels);
  counters.add_associations(up - data_seen_.associations);
  data_seen_.channels = open_channels;
  data_seen_.associations = up;
  data_seen_.final = final;
}

}  // namespace sfu
