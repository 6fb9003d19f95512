// HttpServer's protections against clients that hold its resources: the connection caps (checked
// when lws accepts a socket, before it allocates anything for it), the deadline of each HTTP
// request, and refused WebSocket upgrades. The WebSocket idle policy is in websocket_session.cpp.
#include <libwebsockets.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "sfu/control/http_request_reader.h"
#include "sfu/control/http_server.h"
#include "sfu/control/http_server_core.h"

namespace sfu::detail {

namespace {

const char* reason_phrase(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Refused";
  }
}

}  // namespace

// LWS_CALLBACK_FILTER_NETWORK_CONNECTION: the socket is accepted, no wsi exists yet; non-zero makes
// lws close it at once. `args` carries the socket (lws 4.1 also passes it in `in`).
int HttpServerCore::on_filter_connection(const lws_filter_network_conn_args* args, void* in) {
  if (options_.max_connections != 0 && open_connections_ >= options_.max_connections) {
    ++counters_.refused_connections;
    return -1;
  }
  if (options_.max_connections_per_address == 0) return 0;
  const int fd = args != nullptr ? args->accept_fd : static_cast<int>(reinterpret_cast<intptr_t>(in));
  auto counted = connections_per_address_.find(peer_ip(fd));
  if (counted != connections_per_address_.end() && counted->second >= options_.max_connections_per_address) {
    ++counters_.refused_connections_per_address;
    return -1;
  }
  return 0;
}

// LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED: the connection that passed the filter now has its
// wsi; count it until LWS_CALLBACK_WSI_DESTROY and start its first request's deadline.
int HttpServerCore::on_new_connection(lws* wsi) {
  Connection* conn = connection(wsi, true);
  if (conn->source_ip.empty()) {
    conn->source_ip = peer_ip(lws_get_socket_fd(wsi));
    if (conn->source_ip.empty()) conn->source_ip = "?";  // counted all the same
    ++open_connections_;
    ++connections_per_address_[conn->source_ip];
  }
  arm_request_timer(wsi);
  return 0;
}

void HttpServerCore::release_connection(Connection& conn) {
  if (conn.source_ip.empty()) return;
  --open_connections_;
  auto counted = connections_per_address_.find(conn.source_ip);
  if (counted != connections_per_address_.end() && --counted->second == 0)
    connections_per_address_.erase(counted);
  conn.source_ip.clear();
}

void HttpServerCore::arm_request_timer(lws* wsi) const {
  if (options_.request_timeout_ms != 0)
    lws_set_timer_usecs(wsi, static_cast<lws_usec_t>(options_.request_timeout_ms) * 1000);
}

void HttpServerCore::cancel_timer(lws* wsi) { lws_set_timer_usecs(wsi, LWS_SET_TIMER_USEC_CANCEL); }

// The per-wsi timer: a WebSocket's idle policy and close handshake, or an HTTP request's deadline.
int HttpServerCore::on_timer(lws* wsi) {
  Connection* conn = connection(wsi, false);
  if (conn == nullptr) return 0;
  if (conn->session) return on_ws_timer(*conn->session);
  return on_request_timer(*conn);
}

// The request (head or body) did not arrive in time: drop the connection (-1). Once a request is
// complete the timer is cancelled, so an answer being written is never cut here.
int HttpServerCore::on_request_timer(Connection& conn) {
  if (conn.responding || conn.close_once_flushed || state_ != State::Running) return 0;
  ++counters_.request_timeouts;
  return -1;
}

// Sends `response` in place of the 101 and hangs up (-1). The answer goes out in one write of a few
// hundred bytes, which the fresh socket's send buffer takes whole, so it precedes the close. (lws
// would also let this callback answer and return > 0 to keep the connection, but that path of
// lws_handshake_server is where CVE-2025-11677, a use-after-free, lies; hanging up avoids it.)
// The head is written here: lws's header helpers would say HTTP/1.0 at this stage of the request.
int HttpServerCore::refuse_upgrade(lws* wsi, const HttpResponse& response) {
  std::string text =
      "HTTP/1.1 " + std::to_string(response.status) + " " + reason_phrase(response.status) + "\r\n";
  if (!response.content_type.empty()) text += "content-type: " + response.content_type + "\r\n";
  text += "content-length: " + std::to_string(response.body.size()) + "\r\n";
  for (const auto& [name, value] : response.headers) text += lowercase(name) + ": " + value + "\r\n";
  text += "connection: close\r\n\r\n" + response.body;
  std::vector<unsigned char> buffer(LWS_PRE + text.size());
  std::copy(text.begin(), text.end(), buffer.begin() + LWS_PRE);
  lws_write(wsi, buffer.data() + LWS_PRE, text.size(), LWS_WRITE_RAW);
  return -1;
}

}  // namespace sfu::detail
