// The passive side of ICE-TCP (RFC 6544 passive candidates): a listening TCP socket on a libuv
// loop that accepts connections and hands their RFC 4571 frames to a handler (the worker).
//
// A connection is pending until its owner vouches for it with assign() (the worker does when a
// valid ICE check arrived over it). Pending connections are bounded in total and per source IP
// address (refused at accept, counted) and get a deadline: one that has not been assigned within
// Limits::pending_timeout_ms is closed (CheckTimeout). Assigned ones stay until the peer closes,
// an error, or their owner closes them. Closed connections are freed at a safe point (a uv_check
// after the loop's I/O), never under one of their own callbacks.
#pragma once

#include <uv.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/socket_address.h"
#include "net/tcp_connection.h"

namespace sfu::net {

class TcpServer : private TcpConnection::Handler {
 public:
  struct Limits {
    uint32_t max_pending = 256;
    uint32_t max_pending_per_address = 16;
    uint64_t pending_timeout_ms = 5000;
  };

  // `handler` gets every connection's frames and its on_closed (pending ones included).
  TcpServer(uv_loop_t* loop, TcpConnection::Handler& handler, Limits limits, TcpCounters& counters);
  ~TcpServer();
  TcpServer(const TcpServer&) = delete;
  TcpServer& operator=(const TcpServer&) = delete;

  // Binds and listens; may be called again to listen on more addresses too (a worker's IPv4 and
  // IPv6 ones: an IPv6 listener is IPv6-only), all sharing the limits. Port 0 picks a free port.
  // False with *error set.
  bool listen(const SocketAddress& address, std::string* error);
  // The first listener's address (unset before listen()), and all of them in listen() order.
  SocketAddress local_address() const { return locals_.empty() ? SocketAddress() : locals_.front(); }
  const std::vector<SocketAddress>& local_addresses() const { return locals_; }

  // The owner vouches for `connection` (0 < owner_id): it is no longer pending.
  void assign(TcpConnection& connection, uint64_t owner_id);
  // Stops listening and closes every connection (Stopping). The server must then be kept alive
  // until the loop has run once more.
  void close();

  size_t connection_count() const { return connections_.size(); }

 private:
  struct Entry {
    std::unique_ptr<TcpConnection> connection;
    uint64_t accepted_ms = 0;
    bool pending = true;
  };

  static void on_connection(uv_stream_t* listener, int status);
  static void on_sweep(uv_timer_t* timer);
  static void on_check(uv_check_t* check);
  void accept_one(uv_stream_t* listener);
  // Why a new connection from `peer` must be refused; nullopt when it may be taken.
  std::optional<TcpCloseReason> refusal_for(const SocketAddress& peer) const;
  void stop_pending(Entry& entry);
  void close_expired();
  static SocketAddress ip_of(const SocketAddress& address);

  // TcpConnection::Handler
  void on_frame(TcpConnection& connection, uint8_t* data, size_t size) override;
  void on_frames_done(TcpConnection& connection) override;
  void on_closed(TcpConnection& connection, TcpCloseReason reason) override;

  uv_loop_t* loop_;
  TcpConnection::Handler& handler_;
  const Limits limits_;
  TcpCounters& counters_;
  std::vector<SocketAddress> locals_;
  std::vector<uv_tcp_t*> listeners_;  // heap-allocated so that uv_close can outlive us safely
  uv_timer_t* sweep_ = nullptr;
  uv_check_t* check_ = nullptr;
  std::unordered_map<TcpConnection*, Entry> connections_;
  std::vector<std::unique_ptr<TcpConnection>> closed_;  // freed by the check handle
  std::unordered_map<SocketAddress, uint32_t, SocketAddressHash> pending_by_ip_;
  uint32_t pending_ = 0;
};

}  // namespace sfu::net
