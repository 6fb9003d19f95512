// WebSocket sessions of HttpServer: the core's side (open, receive and reassemble, write the send
// queue, close) and the session's own methods.
#include <libwebsockets.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

#include "sfu/control/http_request_reader.h"
#include "sfu/control/http_server.h"
#include "sfu/control/http_server_core.h"

namespace sfu {

namespace {

constexpr size_t kMaxCloseReasonBytes = 123;  // close frame payload is at most 125 bytes
constexpr uint16_t kIdleCloseCode = 1001;
constexpr std::string_view kPingPayload = "sfu";

uint64_t steady_ms() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

}  // namespace

namespace detail {

void HttpServerCore::open_session(lws* wsi, Connection& conn) {
  uint64_t id = next_session_id_++;
  conn.session.reset(new WebSocketSession(*this, wsi, id, peer_address(wsi)));
  sessions_[id] = conn.session.get();
  note_ws_activity(*conn.session);
  arm_ws_timer(*conn.session);
  if (handlers_.on_ws_open) handlers_.on_ws_open(*conn.session);
}

// Anything from the peer proves it alive: a data frame or a pong (its pings lws answers itself).
// Only a clock read and two stores: this runs for every received fragment.
void HttpServerCore::note_ws_activity(WebSocketSession& session) const {
  session.last_rx_ms_ = steady_ms();
  session.ping_sent_ = false;
}

// One timer per session, armed for the next moment the idle policy has something to do: the ping
// after ws_ping_interval_ms of silence, the close after ws_idle_timeout_ms. Activity does not re-arm
// it (that would cost a timer operation per message); on_ws_timer re-arms from last_rx_ms_.
void HttpServerCore::arm_ws_timer(WebSocketSession& session) const {
  const uint64_t now = steady_ms();
  uint64_t due = UINT64_MAX;
  if (options_.ws_idle_timeout_ms != 0) due = session.last_rx_ms_ + options_.ws_idle_timeout_ms;
  if (options_.ws_ping_interval_ms != 0)
    due = std::min(due, session.ping_sent_ ? now + options_.ws_ping_interval_ms
                                           : session.last_rx_ms_ + options_.ws_ping_interval_ms);
  if (due == UINT64_MAX) return;
  const uint64_t wait_ms = due > now ? due - now : 1;
  lws_set_timer_usecs(session.wsi_, static_cast<lws_usec_t>(wait_ms) * 1000);
}

// The session's timer: the close handshake's start (see write_ws: -1 is lws's polite close) or the
// idle policy.
int HttpServerCore::on_ws_timer(WebSocketSession& session) {
  if (session.close_started_) return -1;
  if (session.closing() || state_ != State::Running) return 0;
  const uint64_t silent_ms = steady_ms() - session.last_rx_ms_;
  if (options_.ws_idle_timeout_ms != 0 && silent_ms >= options_.ws_idle_timeout_ms) {
    ++counters_.websocket_idle_closes;
    session.idle_closed_ = true;
    session.close(kIdleCloseCode, "idle timeout");
    return 0;
  }
  if (options_.ws_ping_interval_ms != 0 && silent_ms >= options_.ws_ping_interval_ms && !session.ping_sent_) {
    session.ping_sent_ = true;
    session.ping_due_ = true;
    lws_callback_on_writable(session.wsi_);
  }
  arm_ws_timer(session);
  return 0;
}

// The peer's close frame: its status code (RFC 6455 5.5.1: the first two bytes of the payload, if
// any) says whether the peer said goodbye or the connection should count as lost.
int HttpServerCore::on_ws_peer_close(lws* wsi, const char* payload, size_t len) {
  Connection* conn = connection(wsi, false);
  if (conn != nullptr && conn->session && payload != nullptr && len >= 2)
    conn->session->peer_close_code_ =
        static_cast<uint16_t>((static_cast<uint8_t>(payload[0]) << 8) | static_cast<uint8_t>(payload[1]));
  return 0;
}

int HttpServerCore::on_ws_pong(lws* wsi) {
  Connection* conn = connection(wsi, false);
  if (conn != nullptr && conn->session) note_ws_activity(*conn->session);
  return 0;
}

// The ping carries a payload: lws 4.1 reports no LWS_CALLBACK_RECEIVE_PONG for an empty pong.
int HttpServerCore::write_ws_ping(WebSocketSession& session) {
  session.ping_due_ = false;
  unsigned char frame[LWS_PRE + kPingPayload.size()] = {};
  std::copy(kPingPayload.begin(), kPingPayload.end(), frame + LWS_PRE);
  if (lws_write(session.wsi_, frame + LWS_PRE, kPingPayload.size(), LWS_WRITE_PING) < 0) return -1;
  if (!session.send_queue_.empty() || session.close_requested_) lws_callback_on_writable(session.wsi_);
  return 0;
}

// lws hands over a message in pieces (frames, and frames split by its rx buffer);
// lws_is_final_fragment() marks the last piece of the message.
void HttpServerCore::receive_ws(WebSocketSession& session, lws* wsi, const char* data, size_t len) {
  note_ws_activity(session);
  if (!session.rx_in_message_) {
    session.rx_in_message_ = true;
    session.rx_discarding_ = false;
    session.rx_message_.clear();
    if (lws_frame_is_binary(wsi)) {
      session.rx_discarding_ = true;
      if (!session.closing() && handlers_.on_ws_protocol_error)
        handlers_.on_ws_protocol_error(session, "binary messages are not supported");
    }
  }
  if (!session.rx_discarding_) {
    if (session.rx_message_.size() + len > options_.max_ws_message_bytes) {
      session.rx_discarding_ = true;
      std::string().swap(session.rx_message_);
      if (!session.closing() && handlers_.on_ws_protocol_error)
        handlers_.on_ws_protocol_error(
            session, "message larger than " + std::to_string(options_.max_ws_message_bytes) + " bytes");
    } else {
      session.rx_message_.append(data, len);
    }
  }
  if (!lws_is_final_fragment(wsi)) return;
  session.rx_in_message_ = false;
  std::string message = std::move(session.rx_message_);
  session.rx_message_.clear();
  if (!session.rx_discarding_ && !session.closing() && handlers_.on_ws_message)
    handlers_.on_ws_message(session, message);
  session.rx_discarding_ = false;
}

int HttpServerCore::write_ws(WebSocketSession& session) {
  if (state_ != State::Running || session.closed_) return -1;
  if (session.ping_due_ && !session.close_requested_) return write_ws_ping(session);
  if (!session.send_queue_.empty()) {
    std::string& framed = session.send_queue_.front();
    size_t payload = framed.size() - LWS_PRE;
    int written = lws_write(session.wsi_, reinterpret_cast<unsigned char*>(framed.data()) + LWS_PRE, payload,
                            LWS_WRITE_TEXT);
    session.queued_bytes_ -= payload;
    session.send_queue_.pop_front();
    if (written < 0 || static_cast<size_t>(written) < payload) return -1;  // lws closes; CLOSED follows
    if (!session.send_queue_.empty() || session.close_requested_) lws_callback_on_writable(session.wsi_);
    return 0;
  }
  if (session.close_requested_ && !session.close_started_) {
    // lws 4.1 drops the socket without a close frame when a *writeable* callback returns -1, even
    // after lws_close_reason. Returning -1 from LWS_CALLBACK_TIMER takes lws's polite path instead:
    // it sends the close frame with this reason and waits for the peer (or the grace timeout).
    session.close_started_ = true;
    lws_close_reason(session.wsi_, static_cast<lws_close_status>(session.close_code_),
                     reinterpret_cast<unsigned char*>(session.close_reason_.data()),
                     session.close_reason_.size());
    lws_set_timer_usecs(session.wsi_, 1);
  }
  return 0;
}

void HttpServerCore::finish_session(WebSocketSession& session) {
  if (session.closed_) return;
  session.closed_ = true;
  session.send_queue_.clear();
  session.queued_bytes_ = 0;
  sessions_.erase(session.id_);
  if (state_ == State::Running && !handlers_silenced_ && handlers_.on_ws_close)
    handlers_.on_ws_close(session);
}

}  // namespace detail

WebSocketSession::WebSocketSession(detail::HttpServerCore& core, struct lws* wsi, uint64_t id,
                                   std::string remote_address)
    : core_(core), wsi_(wsi), id_(id), remote_address_(std::move(remote_address)) {}

bool WebSocketSession::send_text(std::string_view message) {
  if (closing()) return false;
  if (queued_bytes_ + message.size() > core_.max_ws_queue_bytes()) {
    close_now(1008, "send queue overflow");
    return false;
  }
  std::string framed;
  framed.reserve(LWS_PRE + message.size());
  framed.assign(LWS_PRE, '\0');
  framed += message;
  queued_bytes_ += message.size();
  send_queue_.push_back(std::move(framed));
  lws_callback_on_writable(wsi_);
  return true;
}

void WebSocketSession::close(uint16_t code, std::string reason) {
  if (closing()) return;
  // Codes that must never appear on the wire (RFC 6455 7.4) become a normal close.
  if (code < 1000 || code == 1004 || code == 1005 || code == 1006 || code == 1015 || code > 4999) code = 1000;
  size_t cut = std::min(reason.size(), kMaxCloseReasonBytes);
  while (cut > 0 && cut < reason.size() && (static_cast<unsigned char>(reason[cut]) & 0xC0) == 0x80)
    --cut;  // keep UTF-8 whole
  reason.resize(cut);
  close_requested_ = true;
  close_code_ = code;
  close_reason_ = std::move(reason);
  // Bounds the whole goodbye: flushing the queue, the close frame and the peer's answer.
  lws_set_timeout(wsi_, PENDING_TIMEOUT_CLOSE_ACK, core_.ws_close_grace_seconds());
  lws_callback_on_writable(wsi_);
}

bool WebSocketSession::lost() const {
  if (idle_closed_) return true;
  if (close_requested_) return false;  // the server ended it on purpose
  return peer_close_code_ != 1000 && peer_close_code_ != 1001;
}

void WebSocketSession::close_now(uint16_t code, std::string reason) {
  send_queue_.clear();
  queued_bytes_ = 0;
  close(code, std::move(reason));
}

}  // namespace sfu
