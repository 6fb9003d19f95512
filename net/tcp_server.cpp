#include "net/tcp_server.h"

#include "base/counter.h"

namespace sfu::net {
namespace {

constexpr uint64_t kSweepMs = 250;
constexpr int kBacklog = 128;

template <typename Handle>
void close_handle(Handle*& handle) {
  if (!handle) return;
  handle->data = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(handle),
           [](uv_handle_t* h) { delete reinterpret_cast<Handle*>(h); });
  handle = nullptr;
}

void set_gauge(std::atomic<uint64_t>& gauge, uint64_t value) {
  gauge.store(value, std::memory_order_relaxed);
}

}  // namespace

TcpServer::TcpServer(uv_loop_t* loop, TcpConnection::Handler& handler, Limits limits, TcpCounters& counters)
    : loop_(loop), handler_(handler), limits_(limits), counters_(counters) {}

TcpServer::~TcpServer() { close(); }

bool TcpServer::listen(const SocketAddress& address, std::string* error) {
  auto* listener = new uv_tcp_t;
  if (int rc = uv_tcp_init(loop_, listener); rc != 0) {
    delete listener;
    if (error) *error = std::string("uv_tcp_init: ") + uv_strerror(rc);
    return false;
  }
  listener->data = this;
  auto fail = [&](const char* what, int rc) {
    if (error) *error = std::string(what) + ": " + uv_strerror(rc);
    close_handle(listener);
    return false;
  };
  // IPv4 has a listener of its own: :: must not take its connections as IPv4-mapped addresses.
  unsigned flags = address.is_v6() ? UV_TCP_IPV6ONLY : 0;
  if (int rc = uv_tcp_bind(listener, address.sockaddr_ptr(), flags); rc != 0) return fail("bind", rc);
  if (int rc = uv_listen(reinterpret_cast<uv_stream_t*>(listener), kBacklog, &TcpServer::on_connection);
      rc != 0)
    return fail("listen", rc);
  sockaddr_storage bound{};
  int length = sizeof(bound);
  if (int rc = uv_tcp_getsockname(listener, reinterpret_cast<sockaddr*>(&bound), &length); rc != 0)
    return fail("getsockname", rc);
  locals_.push_back(SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&bound)));
  listeners_.push_back(listener);
  if (sweep_) return true;

  sweep_ = new uv_timer_t;
  uv_timer_init(loop_, sweep_);
  sweep_->data = this;
  uv_timer_start(sweep_, &TcpServer::on_sweep, kSweepMs, kSweepMs);
  check_ = new uv_check_t;
  uv_check_init(loop_, check_);
  check_->data = this;
  uv_check_start(check_, &TcpServer::on_check);
  return true;
}

void TcpServer::close() {
  for (uv_tcp_t*& listener : listeners_) close_handle(listener);
  listeners_.clear();
  close_handle(sweep_);
  close_handle(check_);
  // Each close() calls back into on_closed, which moves the connection to closed_.
  while (!connections_.empty()) connections_.begin()->second.connection->close(TcpCloseReason::Stopping);
  closed_.clear();
  pending_by_ip_.clear();
  pending_ = 0;
  set_gauge(counters_.pending, 0);
}

void TcpServer::on_connection(uv_stream_t* listener, int status) {
  auto* self = static_cast<TcpServer*>(listener->data);
  if (!self || status != 0) return;
  self->accept_one(listener);
}

SocketAddress TcpServer::ip_of(const SocketAddress& address) {
  SocketAddress ip = address;
  if (ip.is_v4())
    reinterpret_cast<sockaddr_in*>(ip.sockaddr_ptr())->sin_port = 0;
  else if (ip.is_v6())
    reinterpret_cast<sockaddr_in6*>(ip.sockaddr_ptr())->sin6_port = 0;
  return ip;
}

std::optional<TcpCloseReason> TcpServer::refusal_for(const SocketAddress& peer) const {
  if (pending_ >= limits_.max_pending) return TcpCloseReason::PendingLimit;
  auto found = pending_by_ip_.find(ip_of(peer));
  if (found != pending_by_ip_.end() && found->second >= limits_.max_pending_per_address)
    return TcpCloseReason::PendingPerAddress;
  return std::nullopt;
}

void TcpServer::accept_one(uv_stream_t* listener) {
  auto connection =
      std::make_unique<TcpConnection>(loop_, static_cast<TcpConnection::Handler&>(*this), counters_);
  if (!connection->accept(listener)) return;
  TcpConnection* key = connection.get();
  bump(counters_.accepted);
  Entry& entry = connections_[key];
  entry.connection = std::move(connection);
  entry.accepted_ms = uv_now(loop_);
  // Refused after accept, so the kernel's backlog never fills with connections nobody takes.
  if (auto refusal = refusal_for(key->remote_address())) {
    entry.pending = false;
    key->close(*refusal);
    return;
  }
  ++pending_;
  ++pending_by_ip_[ip_of(key->remote_address())];
  set_gauge(counters_.pending, pending_);
}

void TcpServer::stop_pending(Entry& entry) {
  if (!entry.pending) return;
  entry.pending = false;
  --pending_;
  set_gauge(counters_.pending, pending_);
  auto found = pending_by_ip_.find(ip_of(entry.connection->remote_address()));
  if (found != pending_by_ip_.end() && --found->second == 0) pending_by_ip_.erase(found);
}

void TcpServer::assign(TcpConnection& connection, uint64_t owner_id) {
  auto found = connections_.find(&connection);
  if (found == connections_.end()) return;
  connection.set_owner_id(owner_id);
  stop_pending(found->second);
}

void TcpServer::on_sweep(uv_timer_t* timer) {
  if (auto* self = static_cast<TcpServer*>(timer->data)) self->close_expired();
}

void TcpServer::close_expired() {
  const uint64_t now = uv_now(loop_);
  std::vector<TcpConnection*> expired;
  for (auto& [connection, entry] : connections_)
    if (entry.pending && now - entry.accepted_ms >= limits_.pending_timeout_ms) expired.push_back(connection);
  for (TcpConnection* connection : expired) connection->close(TcpCloseReason::CheckTimeout);
}

void TcpServer::on_check(uv_check_t* check) {
  if (auto* self = static_cast<TcpServer*>(check->data)) self->closed_.clear();
}

void TcpServer::on_frame(TcpConnection& connection, uint8_t* data, size_t size) {
  handler_.on_frame(connection, data, size);
}

void TcpServer::on_frames_done(TcpConnection& connection) { handler_.on_frames_done(connection); }

void TcpServer::on_closed(TcpConnection& connection, TcpCloseReason reason) {
  auto found = connections_.find(&connection);
  if (found == connections_.end()) return;
  stop_pending(found->second);
  // Refused at accept: the handler never saw it.
  const bool refused = reason == TcpCloseReason::PendingLimit || reason == TcpCloseReason::PendingPerAddress;
  if (!refused) handler_.on_closed(connection, reason);
  closed_.push_back(std::move(found->second.connection));
  connections_.erase(found);
}

}  // namespace sfu::net
