// HttpServer and the lifecycle of its core: start (bind, lws context and vhost), stop and the
// asynchronous lws teardown, the dispatch of lws callbacks, and the HTTP request/response
// exchange. The WebSocket sessions are in websocket_session.cpp.
#include "sfu/control/http_server.h"

#include <libwebsockets.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <optional>

#include "base/logger.h"
#include "sfu/control/http_bind_target.h"
#include "sfu/control/http_request_reader.h"
#include "sfu/control/http_server_core.h"
#include "sfu/control/protocol_messages.h"

namespace sfu {

namespace {

constexpr size_t kHttpWriteChunkBytes = size_t{32} * 1024;  // body bytes handed to lws per writeable event
constexpr size_t kHttpHeaderBufferBytes = 4096;
constexpr uint64_t kTeardownPollMs = 1;
constexpr uint64_t kTeardownGiveUpMs = 10000;

// lws logs through one process-wide hook; keep only errors and send them to our logger (stderr).
void emit_lws_log(int /*level*/, const char* line) {
  std::string_view text(line);
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.remove_suffix(1);
  log_error("lws", text);
}

}  // namespace

HttpResponse error_response(const Error& error) {
  HttpResponse response;
  response.status = protocol::http_status_of(error.code);
  response.body = protocol::to_text(protocol::rest_error_body(error));
  return response;
}

namespace detail {

Status HttpServerCore::start() {
  if (state_ != State::Idle) return Error{ErrorCode::internal_error, "HTTP server already started"};
  Result<BindTarget> target = resolve_bind_target(options_.host);
  if (!target) return target.error();
  std::string where = options_.host + ":" + std::to_string(options_.port);
  if (options_.port != 0) {
    // Fail before creating any lws state, so a taken port leaves nothing on the loop.
    std::string reason = bind_failure_reason(*target, options_.port);
    if (!reason.empty()) return Error{ErrorCode::bind_failed, "cannot listen on " + where + ": " + reason};
  }

  lws_set_log_level(LLL_ERR, &emit_lws_log);

  // Handles present before lws_create_context are not lws's; the new idle/timer ones are the
  // static handles whose closing marks the end of lws's teardown (see lws_handles_remain).
  std::vector<const uv_handle_t*> before;
  uv_walk(
      loop_,
      [](uv_handle_t* h, void* arg) { static_cast<std::vector<const uv_handle_t*>*>(arg)->push_back(h); },
      &before);

  void* foreign_loops[1] = {loop_};
  lws_context_creation_info info;
  std::memset(&info, 0, sizeof(info));
  info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_EXPLICIT_VHOSTS |
                 LWS_SERVER_OPTION_UV_NO_SIGSEGV_SIGFPE_SPIN;
  info.foreign_loops = foreign_loops;
  info.pcontext = &context_;
  info.user = this;
  info.port = CONTEXT_PORT_NO_LISTEN;
  context_ = lws_create_context(&info);
  if (context_ == nullptr)
    return Error{ErrorCode::internal_error,
                 "libwebsockets context creation failed (is libwebsockets-evlib-uv installed?)"};
  state_ = State::Running;
  std::vector<const uv_handle_t*> after;
  uv_walk(
      loop_,
      [](uv_handle_t* h, void* arg) { static_cast<std::vector<const uv_handle_t*>*>(arg)->push_back(h); },
      &after);
  for (const uv_handle_t* h : after)
    if (std::find(before.begin(), before.end(), h) == before.end() &&
        (h->type == UV_IDLE || h->type == UV_TIMER))
      lws_static_handles_.push_back(h);

  lws_context_creation_info vhost_info;
  std::memset(&vhost_info, 0, sizeof(vhost_info));
  vhost_info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_FAIL_UPON_UNABLE_TO_BIND |
                       LWS_SERVER_OPTION_UV_NO_SIGSEGV_SIGFPE_SPIN;
  if (!target->ipv6) vhost_info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
  vhost_info.port = options_.port;
  vhost_info.iface = target->iface ? target->iface->c_str() : nullptr;
  vhost_info.protocols = protocols_;
  vhost_info.vhost_name = "sfu";
  vhost_info.max_http_header_data = 8192;
  vhost_info.keepalive_timeout = 30;
  vhost_info.timeout_secs = 20;
  lws_vhost* vhost = lws_create_vhost(context_, &vhost_info);
  if (vhost == nullptr) {
    std::string reason = bind_failure_reason(*target, options_.port);
    begin_teardown();
    return Error{ErrorCode::bind_failed,
                 "cannot listen on " + where +
                     (reason.empty() ? std::string(" (libwebsockets refused the vhost)") : ": " + reason)};
  }
  int bound = lws_get_vhost_listen_port(vhost);
  port_ = static_cast<uint16_t>(bound > 0 ? bound : options_.port);
  return {};
}

void HttpServerCore::stop() {
  if (state_ != State::Running) return;
  // Report every session closed first, so owners see a complete lifecycle; after this point no
  // handler runs again (lws still calls us while tearing down, only for bookkeeping).
  std::vector<WebSocketSession*> open;
  open.reserve(sessions_.size());
  for (auto& [id, session] : sessions_) open.push_back(session);
  for (WebSocketSession* session : open) finish_session(*session);
  begin_teardown();
}

void HttpServerCore::begin_teardown() {
  state_ = State::TearingDown;
  sessions_.clear();
  deferred_.clear();  // never answered: lws closes those connections
  // First lws_context_destroy: lws closes every connection and the listener; the uv handle closes
  // complete later. Not from inside an lws callback (stop() called by a handler): lws would free
  // what it is still using, so the timer's first tick does it.
  if (callback_depth_ == 0) {
    context_destroy_started_ = true;
    lws_context_destroy(context_);
  }
  teardown_timer_ = new uv_timer_t;
  uv_timer_init(loop_, teardown_timer_);
  teardown_timer_->data = this;
  teardown_started_ms_ = uv_now(loop_);
  uv_timer_start(teardown_timer_, &HttpServerCore::on_teardown_timer, kTeardownPollMs, kTeardownPollMs);
}

bool HttpServerCore::lws_handles_remain() {
  struct Search {
    const std::vector<const uv_handle_t*>* wanted;
    bool found_wanted;
    bool found_closing;
  } search{&lws_static_handles_, false, false};
  uv_walk(
      loop_,
      [](uv_handle_t* h, void* arg) {
        auto* s = static_cast<Search*>(arg);
        if (std::find(s->wanted->begin(), s->wanted->end(), h) != s->wanted->end()) s->found_wanted = true;
        if (uv_is_closing(h)) s->found_closing = true;
      },
      &search);
  // Without identified handles (another lws build), fall back to "nothing is closing any more".
  return lws_static_handles_.empty() ? search.found_closing : search.found_wanted;
}

// With a foreign libuv loop, lws 4.1 closes its connections' poll handles and then its own idle
// and timer handles asynchronously, but never frees the context by itself: a second
// lws_context_destroy is needed once those handles are gone (earlier would free memory the
// pending uv close callbacks still use). Poll for that moment on the loop.
void HttpServerCore::on_teardown_timer(uv_timer_t* timer) {
  auto* self = static_cast<HttpServerCore*>(timer->data);
  if (!self->context_destroy_started_) {
    self->context_destroy_started_ = true;
    lws_context_destroy(self->context_);
    return;
  }
  bool gave_up = uv_now(timer->loop) - self->teardown_started_ms_ > kTeardownGiveUpMs;
  if (self->context_ != nullptr && self->lws_handles_remain() && !gave_up) return;
  if (self->context_ != nullptr) {
    if (gave_up)
      log_error("http", "libwebsockets teardown did not finish; leaking its context");
    else
      lws_context_destroy(self->context_);  // frees the vhost and the context, nulls context_
  }
  uv_timer_stop(timer);
  uv_close(reinterpret_cast<uv_handle_t*>(timer),
           [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  self->teardown_timer_ = nullptr;
  self->state_ = State::Done;
  if (self->owner_released_) delete self;
}

int HttpServerCore::lws_callback(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  lws_context* context = wsi ? lws_get_context(wsi) : nullptr;
  auto* self = context ? static_cast<HttpServerCore*>(lws_context_user(context)) : nullptr;
  if (self == nullptr) return lws_callback_http_dummy(wsi, reason, user, in, len);
  ++self->callback_depth_;
  int result = self->handle(wsi, reason, user, in, len);
  --self->callback_depth_;
  return result;
}

// The dispatch of lws callbacks, one handler per reason. Once the server is stopping, new work is
// refused (-1: lws drops the connection); the rest only does lws's teardown bookkeeping.
int HttpServerCore::handle(lws* wsi, lws_callback_reasons reason, void* user, void* in, size_t len) {
  const bool running = state_ == State::Running;
  const auto* data = static_cast<const char*>(in);
  switch (reason) {
    // Connections
    case LWS_CALLBACK_FILTER_NETWORK_CONNECTION:
      return running ? on_filter_connection(static_cast<const lws_filter_network_conn_args*>(user), in) : -1;
    case LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED:
      return running ? on_new_connection(wsi) : -1;
    case LWS_CALLBACK_WSI_DESTROY:
      return on_wsi_destroy(wsi);
    case LWS_CALLBACK_TIMER:
      return on_timer(wsi);

    // HTTP request phases
    case LWS_CALLBACK_HTTP:
      return running ? begin_http(wsi, std::string_view(data, len)) : -1;
    case LWS_CALLBACK_HTTP_BODY:
      return running ? on_http_body(wsi, data, len) : -1;
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
      return running ? on_http_body_completion(wsi) : -1;
    case LWS_CALLBACK_HTTP_WRITEABLE:
      return running ? on_http_writeable(wsi) : -1;
    case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
      return running ? confirm_upgrade(wsi, data) : -1;

    // WebSocket phases
    case LWS_CALLBACK_ESTABLISHED:
      return running ? on_ws_established(wsi) : -1;
    case LWS_CALLBACK_RECEIVE:
      return on_ws_receive(wsi, data, len, running);
    case LWS_CALLBACK_RECEIVE_PONG:
      return on_ws_pong(wsi);
    case LWS_CALLBACK_SERVER_WRITEABLE:
      return on_ws_writeable(wsi);
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
      return on_ws_peer_close(wsi, data, len);  // lws answers the close frame, then LWS_CALLBACK_CLOSED
    case LWS_CALLBACK_CLOSED:
      return on_ws_closed(wsi);

    default:
      return lws_callback_http_dummy(wsi, reason, user, in, len);
  }
}

int HttpServerCore::on_wsi_destroy(lws* wsi) {
  if (auto* conn = connection(wsi, false)) {
    if (conn->deferred) deferred_.erase(conn->exchange_id);  // the client left before the answer
    if (conn->session) finish_session(*conn->session);
    release_connection(*conn);
    lws_set_opaque_user_data(wsi, nullptr);
    delete conn;
  }
  return 0;
}

int HttpServerCore::on_http_body(lws* wsi, const char* data, size_t len) {
  Connection* conn = connection(wsi, false);
  // lws reports an empty body (Content-Length: 0) as one empty chunk after the request was
  // answered: nothing to read, not an error.
  if (conn != nullptr && len == 0) return 0;
  if (conn == nullptr || !conn->awaiting_body) return -1;
  if (conn->discarding_body) return 0;
  // lws enforces content-length already; belt and braces.
  if (conn->request.body.size() + len > options_.max_body_bytes) {
    conn->discarding_body = true;
    std::string().swap(conn->request.body);
    return 0;
  }
  conn->request.body.append(data, len);
  return 0;
}

int HttpServerCore::on_http_body_completion(lws* wsi) {
  Connection* conn = connection(wsi, false);
  if (conn == nullptr) return -1;
  if (!conn->awaiting_body) return 0;
  conn->awaiting_body = false;
  if (conn->discarding_body) {
    respond(wsi, *conn, error_response({ErrorCode::payload_too_large, "request body too large"}));
    return 0;
  }
  respond(wsi, *conn, call_http_handler(conn->request));
  return 0;
}

int HttpServerCore::on_http_writeable(lws* wsi) {
  Connection* conn = connection(wsi, false);
  return conn == nullptr ? -1 : write_http(wsi, *conn);
}

// Only WebSocket upgrades on ws_path; anything else is hung up on. The owner may refuse one with an
// answer of its own (on_ws_upgrade).
int HttpServerCore::confirm_upgrade(lws* wsi, const char* protocol) {
  if (protocol == nullptr || std::strcmp(protocol, "websocket") != 0) return -1;
  if (copy_header(wsi, WSI_TOKEN_GET_URI) != ws_path_) return -1;
  if (handlers_.on_ws_upgrade) {
    std::optional<HttpResponse> refusal;
    try {
      refusal = handlers_.on_ws_upgrade(read_request(wsi, ws_path_));
    } catch (const std::exception&) {
      refusal = error_response({ErrorCode::internal_error, "internal server error"});
    }
    if (refusal) return refuse_upgrade(wsi, *refusal);
  }
  cancel_timer(wsi);  // the request is complete; the WebSocket's own timer starts at ESTABLISHED
  return 0;
}

int HttpServerCore::on_ws_established(lws* wsi) {
  open_session(wsi, *connection(wsi, true));
  return 0;
}

// Without a session, -1 makes lws close the connection; while stopping, data is dropped.
int HttpServerCore::on_ws_receive(lws* wsi, const char* data, size_t len, bool running) {
  Connection* conn = connection(wsi, false);
  if (conn == nullptr || !conn->session) return -1;
  if (running) receive_ws(*conn->session, wsi, data, len);
  return 0;
}

int HttpServerCore::on_ws_writeable(lws* wsi) {
  Connection* conn = connection(wsi, false);
  if (conn == nullptr || !conn->session) return -1;
  return write_ws(*conn->session);
}

int HttpServerCore::on_ws_closed(lws* wsi) {
  if (Connection* conn = connection(wsi, false); conn && conn->session) finish_session(*conn->session);
  return 0;
}

int HttpServerCore::begin_http(lws* wsi, std::string_view path) {
  Connection* conn = connection(wsi, true);
  if (conn->deferred) deferred_.erase(conn->exchange_id);  // a new request before the answer
  std::string source_ip = std::move(conn->source_ip);      // the connection's, not the exchange's
  *conn = Connection{};
  conn->source_ip = std::move(source_ip);
  conn->exchange_id = next_exchange_id_++;
  conn->request = read_request(wsi, path);
  HttpRequest& request = conn->request;
  request.exchange_id = conn->exchange_id;
  conn->head_only = request.method == "HEAD";

  auto content_length = request.headers.find("content-length");
  if (content_length != request.headers.end()) {
    char* end = nullptr;
    errno = 0;
    unsigned long long declared = std::strtoull(content_length->second.c_str(), &end, 10);
    if (end == content_length->second.c_str() || *end != '\0' || errno != 0) {
      conn->close_after_response = true;
      respond(wsi, *conn, error_response({ErrorCode::bad_request, "invalid content-length"}));
      return 0;
    }
    if (declared > options_.max_body_bytes) {
      if (declared > std::max<unsigned long long>(4ull * options_.max_body_bytes, 1ull << 20)) {
        // Far too big to be worth reading: answer at once and close. (A client that already sent
        // part of the body may see a reset instead of the 413; acceptable at this size.)
        conn->close_after_response = true;
        respond(wsi, *conn, error_response({ErrorCode::payload_too_large, "request body too large"}));
        return 0;
      }
      // Read and drop the body, then answer: closing with unread data would make the kernel
      // reset the connection and the client might never see the 413.
      conn->awaiting_body = true;
      conn->discarding_body = true;
      return 0;
    }
    if (declared > 0) {
      conn->awaiting_body = true;  // LWS_CALLBACK_HTTP_BODY... then BODY_COMPLETION
      request.body.reserve(static_cast<size_t>(declared));
      return 0;
    }
  } else if (request.headers.count("transfer-encoding") != 0) {
    conn->close_after_response = true;
    respond(wsi, *conn, error_response({ErrorCode::length_required, "request bodies need a content-length"}));
    return 0;
  }

  respond(wsi, *conn, call_http_handler(request));
  return 0;
}

HttpResponse HttpServerCore::call_http_handler(const HttpRequest& request) {
  try {
    return handlers_.on_http ? handlers_.on_http(request)
                             : error_response({ErrorCode::not_found, "no such resource"});
  } catch (const std::exception&) {
    return error_response({ErrorCode::internal_error, "internal server error"});
  }
}

void HttpServerCore::respond(lws* wsi, Connection& conn, HttpResponse response) {
  cancel_timer(wsi);  // the request is complete
  if (response.deferred) {
    conn.deferred = true;
    deferred_[conn.exchange_id] = wsi;
    return;
  }
  conn.response = std::move(response);
  conn.responding = true;
  conn.headers_sent = false;
  conn.body_offset = 0;
  lws_callback_on_writable(wsi);
}

// One lws_write per writeable event: first the header block, then body chunks. lws buffers any
// part the socket did not take and only signals writeable again once that is flushed.
int HttpServerCore::write_http(lws* wsi, Connection& conn) {
  // lws only calls back once everything written so far has left its buffers: now it may close.
  if (conn.close_once_flushed) return -1;
  if (!conn.responding) return 0;
  return conn.headers_sent ? write_http_body_chunk(wsi, conn) : write_http_headers(wsi, conn);
}

int HttpServerCore::write_http_headers(lws* wsi, Connection& conn) {
  const HttpResponse& response = conn.response;
  size_t extra = 0;
  for (const auto& [name, value] : response.headers) extra += name.size() + value.size() + 4;
  std::vector<unsigned char> buffer(LWS_PRE + kHttpHeaderBufferBytes + extra + response.content_type.size());
  unsigned char* start = buffer.data() + LWS_PRE;
  unsigned char* p = start;
  unsigned char* end = buffer.data() + buffer.size() - 1;
  if (!add_response_headers(wsi, response, conn.close_after_response, &p, end)) return -1;
  if (lws_finalize_write_http_header(wsi, start, &p, end)) return -1;
  conn.headers_sent = true;
  const bool no_body = conn.head_only || response.status == 204 || response.status == 304;
  if (no_body || response.body.empty()) return finish_http(wsi, conn);
  lws_callback_on_writable(wsi);
  return 0;
}

// The status line and headers of `response` into [*p, end); false when lws refuses one (no room).
bool HttpServerCore::add_response_headers(lws* wsi, const HttpResponse& response, bool close_after,
                                          unsigned char** p, unsigned char* end) {
  if (lws_add_http_header_status(wsi, static_cast<unsigned int>(response.status) | LWSAHH_FLAG_NO_SERVER_NAME,
                                 p, end))
    return false;
  if (!response.content_type.empty() &&
      lws_add_http_header_by_token(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE,
                                   reinterpret_cast<const unsigned char*>(response.content_type.data()),
                                   static_cast<int>(response.content_type.size()), p, end))
    return false;
  if (response.status != 204 && response.status != 304 &&
      lws_add_http_header_content_length(wsi, response.body.size(), p, end))
    return false;
  for (const auto& [name, value] : response.headers) {
    std::string header_name = lowercase(name) + ":";
    if (lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char*>(header_name.c_str()),
                                    reinterpret_cast<const unsigned char*>(value.data()),
                                    static_cast<int>(value.size()), p, end))
      return false;
  }
  return !(close_after &&
           lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION,
                                        reinterpret_cast<const unsigned char*>("close"), 5, p, end));
}

int HttpServerCore::write_http_body_chunk(lws* wsi, Connection& conn) {
  const HttpResponse& response = conn.response;
  size_t remaining = response.body.size() - conn.body_offset;
  size_t chunk = std::min(remaining, kHttpWriteChunkBytes);
  std::vector<unsigned char> buffer(LWS_PRE + chunk);
  std::memcpy(buffer.data() + LWS_PRE, response.body.data() + conn.body_offset, chunk);
  bool last = chunk == remaining;
  int written = lws_write(wsi, buffer.data() + LWS_PRE, chunk, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP);
  if (written < 0 || static_cast<size_t>(written) < chunk) return -1;
  conn.body_offset += chunk;
  if (last) return finish_http(wsi, conn);
  lws_callback_on_writable(wsi);
  return 0;
}

bool HttpServerCore::complete(uint64_t exchange_id, HttpResponse response) {
  auto it = deferred_.find(exchange_id);
  if (state_ != State::Running || it == deferred_.end()) return false;
  lws* wsi = it->second;
  deferred_.erase(it);
  Connection* conn = connection(wsi, false);
  if (conn == nullptr || !conn->deferred || conn->exchange_id != exchange_id) return false;
  conn->deferred = false;
  response.deferred = false;
  respond(wsi, *conn, std::move(response));  // lws_callback_on_writable: the loop writes it
  return true;
}

int HttpServerCore::finish_http(lws* wsi, Connection& conn) {
  conn.responding = false;
  conn.request = HttpRequest{};
  conn.response = HttpResponse{};
  if (conn.close_after_response) {
    // Returning -1 from a writeable callback makes lws drop the socket at once, losing any part of
    // the response it still buffers; wait for the next writeable event, which comes after the flush.
    conn.close_once_flushed = true;
    lws_callback_on_writable(wsi);
    return 0;
  }
  if (lws_http_transaction_completed(wsi)) return -1;
  arm_request_timer(wsi);  // the next request on this keep-alive connection
  return 0;
}

}  // namespace detail

// ---- HttpServer ----

HttpServer::HttpServer(uv_loop_t* loop, Options options, std::string ws_path, Handlers handlers)
    : core_(new detail::HttpServerCore(loop, std::move(options), std::move(ws_path), std::move(handlers))) {}

HttpServer::~HttpServer() {
  core_->forget_handlers();
  core_->stop();
  core_->release_owner();
}

Status HttpServer::start() { return core_->start(); }
void HttpServer::stop() { core_->stop(); }
uint16_t HttpServer::port() const { return core_->port(); }
WebSocketSession* HttpServer::find_session(uint64_t id) { return core_->find_session(id); }
size_t HttpServer::session_count() const { return core_->session_count(); }
bool HttpServer::complete(uint64_t exchange_id, HttpResponse response) {
  return core_->complete(exchange_id, std::move(response));
}
const HttpServer::Counters& HttpServer::counters() const { return core_->counters(); }

}  // namespace sfu
