// A generic HTTP/1.1 + WebSocket server on libwebsockets, running on a libuv loop that the caller
// owns ("foreign loop"). It knows nothing of rooms: requests go to `on_http`, WebSocket upgrades on
// one path become WebSocketSessions whose complete text messages go to `on_ws_message`. A handler
// may answer later (deferred_response(), then complete()), so it never has to wait on the loop.
//
// Threading: everything (handlers, send_text, close, stop, find_session, complete, the destructor)
// runs on the loop's thread. Handlers may call send_text()/close() on any session, find_session(), and
// even stop() or destroy the server (the libwebsockets part of it is then torn down on the next
// loop iteration, never under lws's feet).
//
// Shutdown: stop() reports on_ws_close for every open session, then starts libwebsockets' teardown,
// which finishes asynchronously on the loop (uv handle closes). After stop() no handler is called
// again. Destroying the server without stop() does the same but calls no handler at all. Either
// way, keep running the loop afterwards (uv_run until it returns) so the teardown completes and
// every handle and allocation is freed; it takes a few milliseconds.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/result.h"
#include "sfu/control/client_connection.h"

struct lws;

namespace sfu {

namespace detail {
class HttpServerCore;
}

struct HttpRequest {
  std::string method;  // "GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"
  std::string path;    // percent-decoded by libwebsockets, without the query
  std::string query;   // the part after '?', arguments joined by '&' (libwebsockets decodes %xx)
  std::map<std::string, std::string> headers;  // lowercased names; headers libwebsockets knows
  std::string body;
  uint64_t exchange_id = 0;  // names this request/response exchange for HttpServer::complete()
};

struct HttpResponse {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers, e.g. {"Allow", "GET"}
  // Set by a handler that answers later with HttpServer::complete(); nothing is sent until then.
  bool deferred = false;
};

// What a handler returns to answer later (see HttpResponse::deferred).
inline HttpResponse deferred_response() {
  HttpResponse response;
  response.deferred = true;
  return response;
}

// The REST error answer for `error`: its HTTP status and {"error":{"code","message"}}.
HttpResponse error_response(const Error& error);

// One accepted WebSocket. Owned by the server; valid from on_ws_open until on_ws_close returns.
// Other code should keep the id and look the session up with HttpServer::find_session().
class WebSocketSession final : public ClientConnection {
 public:
  uint64_t id() const override { return id_; }
  const std::string& remote_address() const override { return remote_address_; }  // "ip:port"
  bool closing() const override { return close_requested_ || closed_; }

  // Queues one text message. Returns false (and drops it) when the session is closing. When the
  // queued bytes would exceed Options::max_ws_queue_bytes the queue is discarded and the session
  // is closed with 1008, so a slow reader never grows the server's memory without bound.
  bool send_text(std::string_view message) override;

  // Sends what is already queued, then a close frame with this code and reason (reason cut to 123
  // bytes, invalid codes become 1000). The socket is dropped when the peer answers, or after
  // Options::ws_close_grace_seconds. on_ws_close follows either way.
  void close(uint16_t code, std::string reason) override;

  // Lost rather than ended: no close frame from the peer, or one with a code other than 1000/1001,
  // or closed by the idle timeout (see ClientConnection::lost).
  bool lost() const override;

 private:
  friend class detail::HttpServerCore;
  WebSocketSession(detail::HttpServerCore& core, struct lws* wsi, uint64_t id, std::string remote_address);
  void close_now(uint16_t code, std::string reason);

  detail::HttpServerCore& core_;
  struct lws* wsi_;
  uint64_t id_;
  std::string remote_address_;
  std::deque<std::string> send_queue_;  // each entry starts with LWS_PRE bytes of headroom
  size_t queued_bytes_ = 0;
  bool close_requested_ = false;
  bool close_started_ = false;
  bool closed_ = false;
  uint16_t close_code_ = 1000;
  std::string close_reason_;
  std::string rx_message_;  // fragments of the message being received
  bool rx_in_message_ = false;
  bool rx_discarding_ = false;
  uint64_t last_rx_ms_ = 0;       // steady clock, when anything (a frame, a pong) last arrived
  bool ping_sent_ = false;        // since last_rx_ms_
  bool ping_due_ = false;         // to be written at the next writeable callback
  uint16_t peer_close_code_ = 0;  // the status of the peer's close frame; 0: none (or none received)
  bool idle_closed_ = false;      // closed by the idle timeout
};

class HttpServer {
 public:
  struct Options {
    std::string host = "127.0.0.1";  // IP literal or name; "" / "0.0.0.0" / "::" = all interfaces
    uint16_t port = 8080;            // 0 = any free port, see port()
    size_t max_body_bytes = 65536;
    size_t max_ws_message_bytes = 65536;
    size_t max_ws_queue_bytes = 1 << 20;
    int ws_close_grace_seconds = 5;  // after close(): time for the queue, close frame and peer's answer
    // Open connections (HTTP and WebSocket), in total and from one source IP address; 0 = no cap.
    // A connection over a cap is closed as soon as it is accepted, before anything is read.
    uint32_t max_connections = 0;
    uint32_t max_connections_per_address = 0;
    // Each HTTP request, head and body, must arrive in full within this time of the connection's
    // opening or of the previous answer on it; else the connection is dropped. Also bounds a
    // keep-alive connection's wait for its next request, and the WebSocket upgrade request.
    uint32_t request_timeout_ms = 10000;
    // A WebSocket from which nothing has arrived for ws_ping_interval_ms gets a ping; one from which
    // nothing at all (no message, no pong) has arrived for ws_idle_timeout_ms is closed with 1001
    // "idle timeout". 0 = never.
    uint32_t ws_ping_interval_ms = 0;
    uint32_t ws_idle_timeout_ms = 0;
  };
  // What the server refused or cut off on its own (read on the loop's thread).
  struct Counters {
    uint64_t refused_connections = 0;              // over max_connections
    uint64_t refused_connections_per_address = 0;  // over max_connections_per_address
    uint64_t request_timeouts = 0;                 // no whole request within request_timeout_ms
    uint64_t websocket_idle_closes = 0;            // WebSockets closed after ws_idle_timeout_ms of silence
  };
  struct Handlers {
    // Every HTTP request except WebSocket upgrades on ws_path. Exceptions become a 500.
    std::function<HttpResponse(const HttpRequest&)> on_http;
    std::function<void(WebSocketSession&)> on_ws_open;
    // A complete text message (fragments reassembled).
    std::function<void(WebSocketSession&, std::string_view message)> on_ws_message;
    // Exactly once per opened session, whoever closed it (peer, error, close(), stop()).
    std::function<void(WebSocketSession&)> on_ws_close;
    // An oversized message (then discarded) or a binary message. The server sends nothing itself
    // and the session stays open; the owner decides what to answer.
    std::function<void(WebSocketSession&, std::string_view reason)> on_ws_protocol_error;
    // A WebSocket upgrade on ws_path (body-less request with its headers), before it is accepted:
    // return a response to refuse it (the response is sent and the connection closed), nullopt to
    // accept it. Unset: every upgrade on ws_path is accepted.
    std::function<std::optional<HttpResponse>(const HttpRequest& upgrade)> on_ws_upgrade;
  };

  HttpServer(uv_loop_t* loop, Options options, std::string ws_path, Handlers handlers);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds and starts listening; bind_failed with a readable message when the address is taken or
  // invalid.
  Status start();
  // Closes every session (on_ws_close for each) and the listener. Idempotent.
  void stop();
  // The bound port (useful with Options::port = 0); 0 before start().
  uint16_t port() const;
  WebSocketSession* find_session(uint64_t id);
  size_t session_count() const;
  // Sends the answer to a request whose handler returned deferred_response(), named by its
  // HttpRequest::exchange_id. False, and nothing is sent, when that exchange is over: the client
  // closed the connection, the server stopped, or it was completed already.
  bool complete(uint64_t exchange_id, HttpResponse response);
  const Counters& counters() const;

 private:
  // Heap-allocated and possibly outliving this object: libwebsockets calls back into it until
  // its asynchronous teardown has finished.
  detail::HttpServerCore* core_;
};

}  // namespace sfu
