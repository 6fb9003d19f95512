#include "sfu/media/worker.h"

#include <openssl/rand.h>
#include <pthread.h>

#include <chrono>

#include "base/logger.h"
#include "dtls/dtls_certificate.h"
#include "dtls/sctp_stack.h"
#include "ice/ice_lite_agent.h"
#include "ice/stun_message.h"
#include "net/packet_demux.h"
#include "sfu/sdp/host_candidates.h"

namespace sfu {
namespace {
constexpr uint64_t kTickMs = 100;

// "udp port 40000 on 0.0.0.0: bind: Address already in use"
Error bind_error(const char* protocol, uint32_t port, const std::string& ip, const std::string& reason) {
  std::string message = protocol;
  message.append(" port ").append(std::to_string(port)).append(" on ").append(ip).append(": ").append(reason);
  return Error{ErrorCode::bind_failed, std::move(message)};
}

}  // namespace

Worker::Worker(uint32_t index, const config::Config& config,
               std::shared_ptr<dtls::DtlsCertificate> certificate)
    : index_(index),
      config_(config),
      takeover_quiet_ms_(uint64_t{config.rtc.consent_timeout_s} * 1000 / 4),
      certificate_(std::move(certificate)),
      data_relay_options_(DataRelayOptions::from_config(config)) {
  uv_loop_init(&loop_);
  // A socket for each family some announced address is of (its buffers are a few MB: none for an
  // unused family). The first address's family is the primary one (udp_address()).
  for (bool v6 : {false, true}) {
    if (config_.rtc.bind_ip_for(v6).empty()) continue;
    auto& socket = v6 ? socket_v6_ : socket_v4_;
    socket = std::make_unique<net::UdpSocket>(
        &loop_, [this](auto batch) { on_datagrams(batch); }, &udp_counters_);
    (v6 ? sockets_.v6 : sockets_.v4) = socket.get();
  }
  auto first = SocketAddress::from_ip(config_.rtc.resolved_announced_addresses().front(), 0);
  primary_socket_ = first && first->is_v6() ? sockets_.v6 : sockets_.v4;
  if (!primary_socket_) {  // an unchecked config (tests): no valid announced address
    socket_v4_ = std::make_unique<net::UdpSocket>(
        &loop_, [this](auto batch) { on_datagrams(batch); }, &udp_counters_);
    sockets_.v4 = primary_socket_ = socket_v4_.get();
  }
  // Each flush's time is the send time of what it sent (the bandwidth estimators read it).
  sockets_.set_flush_clock(&flush_clock_);
  tasks_ = std::make_unique<TaskQueue>(&loop_, config_.limits.worker_queue_messages);
  tick_ = std::make_unique<UvTimer>(&loop_, [this] { on_tick(); });
  pacer_timer_ = std::make_unique<UvTimer>(&loop_, [this] { on_pacer_timer(); });
  paced_.reserve(64);
  // What other workers hand over is fanned out by the drain: its sends go out at once.
  cross_worker_ = std::make_unique<CrossWorkerHub>(&loop_, index_, [this] {
    flush_sends();
    report_failed_transports();
  });
}

Worker::~Worker() {
  stop();
  // Handles closed in stop() (or never started) are released by one more loop turn.
  transports_.clear();
  retired_.clear();  // destroyed transports not yet freed by a datagram batch or tick
  tick_.reset();
  pacer_timer_.reset();
  cross_worker_->close();  // every linked worker has stopped (Server stops all before freeing any)
  if (tasks_) tasks_->close();
  for (auto* socket : {sockets_.v4, sockets_.v6})
    if (socket) socket->close();
  tcp_.reset();
  uv_run(&loop_, UV_RUN_NOWAIT);
  uv_loop_close(&loop_);
}

Status Worker::start() {
  if (Status udp_started = start_udp(); !udp_started) return udp_started;
  if (Status tcp_started = start_tcp(); !tcp_started) return tcp_started;
  if (Status relay_started = start_relay(); !relay_started) return relay_started;
  make_host_candidates();
  last_tick_ms_ = uv_now(&loop_);
  tick_->start(kTickMs, kTickMs);
  running_ = true;
  thread_ = std::thread([this] { run(); });
  return {};
}

Status Worker::start_udp() {
  // udp_port 0 (tests only; the config schema requires 1..65535) lets every worker pick a free port.
  // Start-up refuses a range past 65535 (Server::run); this only keeps a port from wrapping.
  uint32_t wanted = config_.rtc.udp_port == 0 ? 0 : uint32_t{config_.rtc.udp_port} + index_;
  if (wanted > 65535)
    return Error{ErrorCode::bind_failed, "udp port " + std::to_string(wanted) + ": beyond 65535"};
  auto port = static_cast<uint16_t>(wanted);
  for (bool v6 : {false, true}) {
    net::UdpSocket* socket = v6 ? sockets_.v6 : sockets_.v4;
    if (!socket) continue;
    std::string ip = config_.rtc.bind_ip_for(v6);
    auto address = SocketAddress::from_ip(ip.empty() ? "127.0.0.1" : ip, port);
    std::string reason;
    if (!address || !socket->bind(*address, config_.rtc.udp_recv_buffer_bytes,
                                  config_.rtc.udp_send_buffer_bytes, &reason))
      return bind_error("udp", port, ip, reason);
  }
  return {};
}

// Cluster mode: the socket of the media relay between nodes (relay_peer.h).
Status Worker::start_relay() {
  if (!config_.cluster.enabled) return {};
  uint32_t wanted = config_.cluster.relay_port == 0 ? 0 : config_.cluster.relay_port + index_;
  if (wanted > 65535)
    return Error{ErrorCode::bind_failed, "relay port " + std::to_string(wanted) + ": beyond 65535"};
  auto address = SocketAddress::from_ip(config_.cluster.relay_address, static_cast<uint16_t>(wanted));
  std::string reason = "not an IP address";
  if (!address || !cross_worker_->open_relay(*address, certificate_, &reason))
    return bind_error("relay udp", wanted, config_.cluster.relay_address, reason);
  return {};
}

Status Worker::start_tcp() {
  if (!config_.rtc.tcp_port) return {};
  // Port 0 (tests only) lets every worker pick a free port, as for UDP.
  uint32_t wanted = *config_.rtc.tcp_port == 0 ? 0 : uint32_t{*config_.rtc.tcp_port} + index_;
  if (wanted > 65535)
    return Error{ErrorCode::bind_failed, "tcp port " + std::to_string(wanted) + ": beyond 65535"};
  net::TcpServer::Limits limits;
  limits.max_pending = config_.rtc.tcp_max_pending;
  limits.max_pending_per_address = config_.rtc.tcp_max_pending_per_address;
  limits.pending_timeout_ms = uint64_t{config_.rtc.tcp_pending_timeout_s} * 1000;
  tcp_ = std::make_unique<net::TcpServer>(&loop_, static_cast<net::TcpConnection::Handler&>(*this), limits,
                                          tcp_counters_);
  // The primary family's listener first: tcp_address() is the first one.
  for (net::UdpSocket* socket :
       {primary_socket_, primary_socket_ == sockets_.v4 ? sockets_.v6 : sockets_.v4}) {
    if (!socket) continue;
    auto address = socket->local_address();
    std::string ip = address.ip_string();
    address = *SocketAddress::from_ip(ip, static_cast<uint16_t>(wanted));
    std::string reason;
    if (!tcp_->listen(address, &reason)) {
      tcp_.reset();
      uv_run(&loop_, UV_RUN_NOWAIT);  // frees the listeners' handles
      return bind_error("tcp", wanted, ip, reason);
    }
  }
  return {};
}

void Worker::make_host_candidates() {
  std::vector<sdp::HostAddress> hosts;
  const std::vector<SocketAddress> tcp = tcp_addresses();
  for (const std::string& ip : config_.rtc.resolved_announced_addresses()) {
    auto announced = SocketAddress::from_ip(ip, 0);
    net::UdpSocket* socket = announced ? sockets_.for_peer(*announced) : nullptr;
    if (!socket) continue;
    sdp::HostAddress host{ip, socket->local_address().port(), 0};
    for (const SocketAddress& listener : tcp)
      if (listener.family() == announced->family()) host.tcp_port = listener.port();
    hosts.push_back(std::move(host));
  }
  host_candidates_ = sdp::host_candidates(hosts);
}

void Worker::run() {
  // Named so that top, perf and the benchmark's per-thread CPU figures can tell workers apart.
  std::string name = "sfu-worker-" + std::to_string(index_);
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
  uv_update_time(&loop_);
  last_tick_ms_ = uv_now(&loop_);
  start_data_channels();
  uv_run(&loop_, UV_RUN_DEFAULT);
  stop_data_channels();
}

void Worker::start_data_channels() {
  if (!data_relay_options_.enabled) return;
  dtls::SctpStack::ensure_initialized();
  sctp_mailbox_ = std::make_unique<dtls::SctpMailbox>(&loop_);
  if (index_ == 0) sctp_timers_ = std::make_unique<dtls::SctpTimerDriver>(&loop_);
  flush_check_ = new uv_check_t;
  uv_check_init(&loop_, flush_check_);
  flush_check_->data = this;
  uv_check_start(flush_check_, [](uv_check_t* check) {
    if (auto* self = static_cast<Worker*>(check->data)) self->sockets_.flush();
  });
}

// After the loop stopped (the stop task freed every room and transport, so no association is
// left): on this thread, as the mailbox requires. Their handles close with the next loop run
// (~Worker).
void Worker::stop_data_channels() {
  transports_.clear();
  retired_.clear();
  sctp_timers_.reset();
  sctp_mailbox_.reset();
  if (flush_check_) {
    flush_check_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(flush_check_),
             [](uv_handle_t* handle) { delete reinterpret_cast<uv_check_t*>(handle); });
    flush_check_ = nullptr;
  }
}

void Worker::stop() {
  if (!thread_.joinable()) return;
  auto stop_task = [this] {
    for (auto& [name, room] : rooms_) room->close("server stopping");
    rooms_.clear();
    room_count_ = 0;
    for (auto& [id, transport] : transports_) transport->close("server stopping");
    transports_.clear();
    retired_.clear();
    by_ufrag_.clear();
    by_address_.clear();
    transport_count_ = 0;
    tick_.reset();
    pacer_timer_.reset();
    paced_.clear();
    for (auto* socket : {sockets_.v4, sockets_.v6})
      if (socket) socket->close();
    if (tcp_) tcp_->close();
    tasks_->close();
    uv_stop(&loop_);
  };
  bool posted = tasks_->post(stop_task);
  // A full queue drains within a loop turn: keep offering the stop task rather than touching
  // the loop from this thread.
  for (int attempt = 0; !posted && attempt < 5000; ++attempt) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    posted = tasks_->post(stop_task);
  }
  thread_.join();
  running_ = false;
}

bool Worker::post(std::function<void(Worker&)> task) {
  return tasks_->post([this, task = std::move(task)] {
    task(*this);
    report_failed_transports();  // e.g. early DTLS a subscribe answer replayed, refused
  });
}

WebRtcTransport& Worker::create_transport(WebRtcTransport::Observer& observer) {
  uint64_t id = next_transport_id_++;
  WebRtcTransport::Options options;
  options.consent_timeout_ms = uint64_t{config_.rtc.consent_timeout_s} * 1000;
  options.dtls_handshake_timeout_ms = uint64_t{config_.rtc.dtls_handshake_timeout_s} * 1000;
  options.max_inbound_ssrcs = config_.limits.ssrcs_per_transport;
  options.srtp_backend = config_.rtc.srtp_backend == config::SrtpBackendChoice::Libsrtp2
                             ? rtp::SrtpBackend::Libsrtp2
                             : rtp::SrtpBackend::OpenSsl;
  if (config_.bandwidth.pacing)
    options.pacer = PacerOptions{.pacing_factor = config_.bandwidth.pacing_factor,
                                 .queue_packets = config_.bandwidth.pacer_queue_packets,
                                 .max_delay_ms = config_.bandwidth.pacer_max_delay_ms};
  auto transport = std::make_unique<WebRtcTransport>(
      id, &loop_, sockets_, certificate_, static_cast<WebRtcTransport::Host&>(*this), observer, options);
  WebRtcTransport& ref = *transport;
  by_ufrag_[ref.ice_ufrag()] = &ref;
  transports_[id] = std::move(transport);
  transport_count_ = transports_.size();
  return ref;
}

WebRtcTransport* Worker::find_transport(uint64_t transport_id) {
  auto it = transports_.find(transport_id);
  return it == transports_.end() ? nullptr : it->second.get();
}

Room* Worker::find_room(const std::string& name) {
  auto it = rooms_.find(name);
  return it == rooms_.end() ? nullptr : it->second.get();
}

Room& Worker::create_room(const std::string& name, RoomEvents& events, RoomLimits limits) {
  auto& slot = rooms_[name];
  if (!slot) slot = std::make_unique<Room>(name, *this, events, router_counters_, limits);
  room_count_ = rooms_.size();
  return *slot;
}

Room& Worker::open_room_shard(const std::string& name, RoomEvents& events, RoomLimits limits,
                              const std::vector<uint32_t>& peers) {
  Room& room = create_room(name, events, limits);
  room.expect_peer_shards(peers);
  return room;
}

void Worker::remove_room(const std::string& name) {
  auto it = rooms_.find(name);
  if (it == rooms_.end()) return;
  it->second->close("room deleted");
  rooms_.erase(it);
  room_count_ = rooms_.size();
}

void Worker::destroy_transport(uint64_t transport_id) {
  auto it = transports_.find(transport_id);
  if (it == transports_.end()) return;
  WebRtcTransport& transport = *it->second;
  for (const auto& address : transport.validated_addresses()) {
    auto found = by_address_.find(address);
    if (found != by_address_.end() && found->second == &transport) by_address_.erase(found);
  }
  for (const std::string* ufrag : {&transport.ice_ufrag(), &transport.retiring_ice_ufrag()})
    if (!ufrag->empty()) on_ufrag_retired(transport, *ufrag);
  std::vector<net::TcpConnection*> tcp_paths = transport.tcp_paths();
  transport.detach_observer();
  transport.close("destroyed");
  // Freed later, never under a caller that may still be inside one of its methods.
  retired_.push_back(std::move(it->second));
  transports_.erase(it);
  transport_count_ = transports_.size();
  for (net::TcpConnection* connection : tcp_paths) connection->close(net::TcpCloseReason::Released);
}

void Worker::on_address_validated(WebRtcTransport& transport, const SocketAddress& address) {
  // A validated address moves to the transport that proved it last (a peer reusing a port for a
  // new connection while the server still has the old one); the old one lets go of it.
  auto [entry, added] = by_address_.try_emplace(address, &transport);
  if (added || entry->second == &transport) return;
  WebRtcTransport* previous = entry->second;
  entry->second = &transport;
  previous->release_address(address);
}

void Worker::on_address_released(WebRtcTransport& transport, const SocketAddress& address) {
  auto entry = by_address_.find(address);
  if (entry != by_address_.end() && entry->second == &transport) by_address_.erase(entry);
}

void Worker::on_tcp_path_validated(WebRtcTransport& transport, net::TcpConnection& connection) {
  if (tcp_) tcp_->assign(connection, transport.id());
}

void Worker::on_tcp_path_released(WebRtcTransport&, net::TcpConnection& connection) {
  connection.close(net::TcpCloseReason::Released);
}

void Worker::on_ufrag_added(WebRtcTransport& transport, const std::string& ufrag) {
  by_ufrag_[ufrag] = &transport;
}

void Worker::on_ufrag_retired(WebRtcTransport& transport, const std::string& ufrag) {
  auto entry = by_ufrag_.find(ufrag);
  if (entry != by_ufrag_.end() && entry->second == &transport) by_ufrag_.erase(entry);
}

void Worker::on_transport_failed(WebRtcTransport& transport, std::string_view reason) {
  log_info("worker", "transport failed",
           {{"worker", std::to_string(index_)},
            {"transport", std::to_string(transport.id())},
            {"reason", std::string(reason)}});
  failed_transports_.push_back(transport.id());
}

void Worker::report_failed_transports() {
  // Observers may fail or destroy other transports meanwhile: take the list, look each one up.
  while (!failed_transports_.empty()) {
    std::vector<uint64_t> failed;
    failed.swap(failed_transports_);
    for (uint64_t id : failed)
      if (WebRtcTransport* transport = find_transport(id)) transport->report_failure();
  }
}

bool Worker::in_use(const WebRtcTransport& transport, uint64_t now_ms) const {
  auto last_check = transport.last_valid_check_ms();
  return transport.state() != WebRtcTransport::State::Closed && last_check &&
         now_ms < *last_check + takeover_quiet_ms_;
}

WebRtcTransport* Worker::transport_for_stun(ByteSpan stun, WebRtcTransport* address_owner, uint64_t now_ms) {
  // Only an authenticated binding request for a live ufrag may open a new 5-tuple, or move a known
  // one whose transport has gone quiet (a peer reusing a local port for a new connection while the
  // server still has the old one); that transport's agent checks MESSAGE-INTEGRITY and reports the
  // address when it is valid. Everything else from a known address is its owner's to answer or
  // count.
  if (address_owner && in_use(*address_owner, now_ms)) return address_owner;
  auto parsed = ice::parse_stun(stun);
  if (!parsed.ok()) {
    if (!address_owner) drops_.count(DropReason::StunMalformed);
    return address_owner;
  }
  auto ufrag = ice::IceLiteAgent::local_ufrag_of_request(parsed.message);
  auto named = ufrag ? by_ufrag_.find(*ufrag) : by_ufrag_.end();
  if (named != by_ufrag_.end()) return named->second;
  if (!address_owner) drops_.count(DropReason::StunUnknownUfrag);
  return address_owner;
}

void Worker::on_datagrams(std::span<net::UdpSocket::Datagram> batch) {
  uint64_t now = uv_now(&loop_);
  for (const auto& datagram : batch) {
    ByteSpan bytes(datagram.data, datagram.size);
    net::PacketKind kind = net::classify_packet(bytes);
    auto known = by_address_.find(datagram.from);
    WebRtcTransport* transport = known == by_address_.end() ? nullptr : known->second;
    switch (kind) {
      case net::PacketKind::Stun:
        transport = transport_for_stun(bytes, transport, now);
        if (transport) transport->handle_stun(datagram, now);
        break;
      case net::PacketKind::Dtls:
        if (!transport)
          drops_.count(DropReason::DtlsBeforeIce);
        else
          transport->handle_dtls(datagram, now);
        break;
      case net::PacketKind::Rtp:
      case net::PacketKind::Rtcp:
        if (!transport)
          drops_.count(DropReason::UnknownAddress);
        else
          transport->handle_srtp(datagram, kind == net::PacketKind::Rtcp);
        break;
      default:
        drops_.count(DropReason::UnknownPacketKind);
        break;
    }
  }
  // What this batch queued on the other family's socket (an IPv4 publisher's media forwarded to
  // an IPv6 subscriber); the receiving socket flushes its own after the batch anyway.
  sockets_.flush();
  report_failed_transports();
  retired_.clear();
}

void Worker::on_frame(net::TcpConnection& connection, uint8_t* data, size_t size) {
  uint64_t now = uv_now(&loop_);
  net::PacketKind kind = net::classify_packet(ByteSpan(data, size));
  net::UdpSocket::Datagram frame{data, size, connection.remote_address()};
  if (connection.owner_id() == 0) {
    on_pending_tcp_frame(connection, frame, kind, now);
    return;
  }
  WebRtcTransport* transport = find_transport(connection.owner_id());
  if (!transport) {  // not reached: destroy_transport() closes its connections
    connection.close(net::TcpCloseReason::Released);
    return;
  }
  switch (kind) {
    case net::PacketKind::Stun:
      transport->handle_stun(frame, now, &connection);
      break;
    case net::PacketKind::Dtls:
      transport->handle_dtls(frame, now);
      break;
    case net::PacketKind::Rtp:
    case net::PacketKind::Rtcp:
      transport->handle_srtp(frame, kind == net::PacketKind::Rtcp);
      break;
    default:
      drops_.count(DropReason::UnknownPacketKind);
      break;
  }
}

void Worker::on_pending_tcp_frame(net::TcpConnection& connection, const net::UdpSocket::Datagram& frame,
                                  net::PacketKind kind, uint64_t now_ms) {
  // A peer opens an ICE-TCP connection to check it (RFC 6544 §7.1): a binding request comes first.
  if (kind != net::PacketKind::Stun) {
    connection.close(net::TcpCloseReason::NotIce);
    return;
  }
  auto parsed = ice::parse_stun(ByteSpan(frame.data, frame.size));
  if (!parsed.ok()) {
    drops_.count(DropReason::StunMalformed);
    connection.close(net::TcpCloseReason::NotIce);
    return;
  }
  auto ufrag = ice::IceLiteAgent::local_ufrag_of_request(parsed.message);
  auto named = ufrag ? by_ufrag_.find(*ufrag) : by_ufrag_.end();
  if (named == by_ufrag_.end()) {
    drops_.count(DropReason::StunUnknownUfrag);
    connection.close(net::TcpCloseReason::UnknownUfrag);
    return;
  }
  // A valid check makes the connection one of the transport's paths (on_tcp_path_validated); a
  // rejected one is answered and the connection stays pending until its deadline.
  named->second->handle_stun(frame, now_ms, &connection);
}

void Worker::on_frames_done(net::TcpConnection&) {
  // What a TCP client's packets made the worker send to UDP peers (forwarded media, feedback)
  // goes out now, as after a datagram batch; TCP connections flush themselves before the loop
  // blocks.
  sockets_.flush();
  report_failed_transports();
  retired_.clear();
}

void Worker::on_closed(net::TcpConnection& connection, net::TcpCloseReason) {
  if (connection.owner_id() == 0) return;
  if (WebRtcTransport* transport = find_transport(connection.owner_id()))
    transport->release_tcp_path(connection);
}

void Worker::on_tick() {
  uint64_t now = uv_now(&loop_);
  // Loop lag: how late this periodic timer fired; a busy or blocked loop shows here first.
  uint64_t expected = last_tick_ms_ + kTickMs;
  loop_lag_ms_.store(now > expected ? now - expected : 0, std::memory_order_relaxed);
  last_tick_ms_ = now;
  retired_.clear();

  // A transport that fails here only queues its report (see report_failed_transports), so
  // nothing is destroyed during this walk.
  std::vector<uint64_t> closed;
  BweCounters::Snapshot estimates;  // sfu_subscriber_bwe_bps
  for (auto& [id, transport] : transports_) {
    if (!transport->on_tick(now)) closed.push_back(id);
    if (const TransportBandwidthEstimator* bwe = transport->bandwidth_estimator())
      estimates.add(bwe->estimator().estimate_bps());
  }
  bwe_counters_.publish(estimates);
  report_failed_transports();
  // Failed transports whose observer kept them (the room frees its participant's, others may not).
  for (uint64_t id : closed) destroy_transport(id);
}

void Worker::on_pacer_queued(WebRtcTransport& transport) {
  transport.pacer_scheduled = true;
  paced_.push_back(transport.id());  // grows to the number of paced subscribers once, then stays
  if (paced_.size() == 1) pacer_timer_->start(kPacerIntervalMs, kPacerIntervalMs);
}

void Worker::on_pacer_timer() {
  // Drains every queue that holds packets; the ones left empty leave the list (a transport gone
  // since is skipped by its id).
  std::erase_if(paced_, [this](uint64_t id) {
    WebRtcTransport* transport = find_transport(id);
    if (!transport) return true;
    if (transport->drain_pacer()) return false;
    transport->pacer_scheduled = false;
    return true;
  });
  flush_sends();
  report_failed_transports();
  if (paced_.empty()) pacer_timer_->stop();
}

}  // namespace sfu
