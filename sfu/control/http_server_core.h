// The inside of HttpServer: the state libwebsockets calls back into, which may outlive the
// HttpServer object (see HttpServer::core_). Its lifecycle, the lws callback dispatch and the HTTP
// exchange are in http_server.cpp; the WebSocket sessions in websocket_session.cpp.
#pragma once

#include <libwebsockets.h>
#include <uv.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "sfu/control/http_server.h"

namespace sfu::detail {

// Per-connection state, attached to the wsi with lws_set_opaque_user_data and freed on
// LWS_CALLBACK_WSI_DESTROY. One HTTP exchange at a time (HTTP/1.1 without pipelined overlap);
// after an upgrade the same object holds the WebSocketSession.
struct Connection {
  // The peer's IP address, counted toward the connection caps until the connection is destroyed;
  // "" when it was not counted. Kept across the HTTP exchanges of a keep-alive connection.
  std::string source_ip;
  HttpRequest request;
  HttpResponse response;
  bool awaiting_body = false;
  bool discarding_body = false;  // an oversized body being read and dropped before the 413
  bool responding = false;
  bool close_once_flushed = false;
  bool headers_sent = false;
  bool head_only = false;
  bool close_after_response = false;
  size_t body_offset = 0;
  uint64_t exchange_id = 0;  // of the current request
  bool deferred = false;     // its handler answers later (HttpServer::complete)
  std::unique_ptr<WebSocketSession> session;
};

class HttpServerCore {
 public:
  HttpServerCore(uv_loop_t* loop, HttpServer::Options options, std::string ws_path,
                 HttpServer::Handlers handlers)
      : loop_(loop),
        options_(std::move(options)),
        ws_path_(std::move(ws_path)),
        handlers_(std::move(handlers)) {
    std::memset(protocols_, 0, sizeof(protocols_));
    protocols_[0].name = "sfu-http";
    protocols_[0].callback = &HttpServerCore::lws_callback;
    protocols_[0].per_session_data_size = 0;
    protocols_[0].rx_buffer_size = size_t{16} * 1024;
  }

  Status start();
  void stop();
  // The owning HttpServer is gone: delete now, or when the lws teardown has finished.
  void release_owner() {
    owner_released_ = true;
    if (state_ == State::Idle || state_ == State::Done) delete this;
  }
  // The owner is being destroyed: its handlers must not run any more (not even on_ws_close).
  // (A flag, not clearing handlers_: the owner may be destroyed from inside one of them.)
  void forget_handlers() { handlers_silenced_ = true; }

  uint16_t port() const { return port_; }
  size_t max_ws_queue_bytes() const { return options_.max_ws_queue_bytes; }
  int ws_close_grace_seconds() const { return std::max(1, options_.ws_close_grace_seconds); }
  WebSocketSession* find_session(uint64_t id) {
    auto it = sessions_.find(id);
    return it == sessions_.end() ? nullptr : it->second;
  }
  size_t session_count() const { return sessions_.size(); }
  bool complete(uint64_t exchange_id, HttpResponse response);
  const HttpServer::Counters& counters() const { return counters_; }

 private:
  enum class State { Idle, Running, TearingDown, Done };

  static int lws_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);
  // Dispatch: one handler per callback reason (the on_* below); see http_server.cpp.
  int handle(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len);
  // Connection caps (connection_limits.cpp): the accept-time check, the count, the release.
  int on_filter_connection(const lws_filter_network_conn_args* args, void* in);
  int on_new_connection(lws* wsi);
  void release_connection(Connection& conn);
  int on_wsi_destroy(lws* wsi);
  int on_timer(lws* wsi);
  // HTTP request phases, only while running.
  int on_http_body(lws* wsi, const char* data, size_t len);
  int on_http_body_completion(lws* wsi);
  int on_http_writeable(lws* wsi);
  int confirm_upgrade(lws* wsi, const char* protocol);
  int refuse_upgrade(lws* wsi, const HttpResponse& response);
  // The request deadline (Options::request_timeout_ms): armed when a connection opens and after
  // each answer, cancelled once a request is complete.
  void arm_request_timer(lws* wsi) const;
  static void cancel_timer(lws* wsi);
  int on_request_timer(Connection& conn);
  // WebSocket phases.
  int on_ws_established(lws* wsi);
  int on_ws_receive(lws* wsi, const char* data, size_t len, bool running);
  int on_ws_pong(lws* wsi);
  int on_ws_writeable(lws* wsi);
  int on_ws_timer(WebSocketSession& session);
  int on_ws_closed(lws* wsi);
  int on_ws_peer_close(lws* wsi, const char* payload, size_t len);
  // The WebSocket idle policy (Options::ws_ping_interval_ms, ws_idle_timeout_ms).
  void note_ws_activity(WebSocketSession& session) const;
  void arm_ws_timer(WebSocketSession& session) const;

  Connection* connection(lws* wsi, bool create) {
    auto* conn = static_cast<Connection*>(lws_get_opaque_user_data(wsi));
    if (conn == nullptr && create) {
      conn = new Connection;
      lws_set_opaque_user_data(wsi, conn);
    }
    return conn;
  }

  int begin_http(lws* wsi, std::string_view path);
  // on_http's answer; 404 without a handler, 500 when it throws.
  HttpResponse call_http_handler(const HttpRequest& request);
  void respond(lws* wsi, Connection& conn, HttpResponse response);
  int write_http(lws* wsi, Connection& conn);
  int write_http_headers(lws* wsi, Connection& conn);
  static bool add_response_headers(lws* wsi, const HttpResponse& response, bool close_after,
                                   unsigned char** p, unsigned char* end);
  int write_http_body_chunk(lws* wsi, Connection& conn);
  int finish_http(lws* wsi, Connection& conn);
  void open_session(lws* wsi, Connection& conn);
  void receive_ws(WebSocketSession& session, lws* wsi, const char* data, size_t len);
  int write_ws(WebSocketSession& session);
  static int write_ws_ping(WebSocketSession& session);
  void finish_session(WebSocketSession& session);

  void begin_teardown();
  static void on_teardown_timer(uv_timer_t* timer);
  bool lws_handles_remain();

  uv_loop_t* loop_;
  HttpServer::Options options_;
  std::string ws_path_;
  HttpServer::Handlers handlers_;
  lws_protocols protocols_[2];
  lws_context* context_ = nullptr;  // lws writes nullptr here (info.pcontext) once freed
  uint16_t port_ = 0;
  State state_ = State::Idle;
  bool owner_released_ = false;
  bool handlers_silenced_ = false;
  std::unordered_map<uint64_t, WebSocketSession*> sessions_;
  uint64_t next_session_id_ = 1;
  std::unordered_map<uint64_t, lws*> deferred_;  // exchange id -> connection awaiting complete()
  uint64_t next_exchange_id_ = 1;
  std::vector<const uv_handle_t*> lws_static_handles_;
  uv_timer_t* teardown_timer_ = nullptr;
  uint64_t teardown_started_ms_ = 0;
  bool context_destroy_started_ = false;
  int callback_depth_ = 0;  // > 0 while lws is calling us (and so our handlers)
  HttpServer::Counters counters_;
  size_t open_connections_ = 0;
  std::unordered_map<std::string, uint32_t> connections_per_address_;
};

}  // namespace sfu::detail
