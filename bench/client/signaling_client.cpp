#include "bench/client/signaling_client.h"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <cstring>

namespace sfu::client {
namespace {

constexpr std::string_view kWebSocketGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
constexpr size_t kReadBufferSize = size_t{64} * 1024;
constexpr size_t kMaxControlPayload = 125;

constexpr uint8_t kOpContinuation = 0x0;
constexpr uint8_t kOpText = 0x1;
constexpr uint8_t kOpBinary = 0x2;
constexpr uint8_t kOpClose = 0x8;
constexpr uint8_t kOpPing = 0x9;
constexpr uint8_t kOpPong = 0xA;

// Status codes (RFC 6455 section 7.4.1).
constexpr uint16_t kCloseProtocolError = 1002;
constexpr uint16_t kCloseUnsupportedData = 1003;
constexpr uint16_t kCloseAbnormal = 1006;  // never sent: no close frame was received
constexpr uint16_t kCloseInvalidPayload = 1007;
constexpr uint16_t kClosePolicy = 1008;
constexpr uint16_t kCloseTooBig = 1009;

std::string base64(const uint8_t* data, size_t size) {
  std::string out(4 * ((size + 2) / 3) + 1, '\0');
  int written = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()), data, static_cast<int>(size));
  out.resize(written > 0 ? static_cast<size_t>(written) : 0);
  return out;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// True if the comma-separated header value lists `token` (case-insensitive).
bool has_token(std::string_view value, std::string_view token) {
  std::string wanted = lower(token);
  while (!value.empty()) {
    size_t comma = value.find(',');
    if (lower(trim(value.substr(0, comma))) == wanted) return true;
    if (comma == std::string_view::npos) break;
    value.remove_prefix(comma + 1);
  }
  return false;
}

// Status codes a peer may put in a close frame (RFC 6455 section 7.4).
bool valid_close_code(uint16_t code) {
  if (code >= 3000 && code <= 4999) return true;
  return code >= 1000 && code <= 1014 && code != 1004 && code != 1005 && code != 1006;
}

}  // namespace

struct SignalingClient::Handle {
  uv_tcp_t tcp{};
  uv_timer_t timer{};
  uv_connect_t connect_request{};
  uv_shutdown_t shutdown_request{};
  SignalingClient* owner = nullptr;
  int open_handles = 0;
  std::array<char, kReadBufferSize> read_buffer{};

  static Handle* of(uv_handle_t* handle) { return static_cast<Handle*>(handle->data); }
  static void on_closed(uv_handle_t* h) {
    Handle* self = of(h);
    if (--self->open_handles == 0) delete self;
  }
  void close_handles() {
    owner = nullptr;
    uv_timer_stop(&timer);
    if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&tcp)))
      uv_close(reinterpret_cast<uv_handle_t*>(&tcp), on_closed);
    if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&timer)))
      uv_close(reinterpret_cast<uv_handle_t*>(&timer), on_closed);
  }
};

namespace {
struct WriteRequest {
  uv_write_t request{};
  std::string bytes;
};
}  // namespace

SignalingClient::SignalingClient(uv_loop_t* loop, Options options)
    : loop_(loop), options_(options), alive_(std::make_shared<bool>(true)) {}

SignalingClient::~SignalingClient() {
  *alive_ = false;
  if (handle_) {
    handle_->close_handles();
    handle_ = nullptr;
  }
}

std::string SignalingClient::accept_key_for(std::string_view key) {
  std::string input = std::string(key) + std::string(kWebSocketGuid);
  std::array<uint8_t, EVP_MAX_MD_SIZE> digest{};
  unsigned int digest_size = 0;
  if (EVP_Digest(input.data(), input.size(), digest.data(), &digest_size, EVP_sha1(), nullptr) != 1)
    return {};
  return base64(digest.data(), digest_size);
}

bool SignalingClient::valid_utf8(std::string_view text) {
  size_t i = 0;
  while (i < text.size()) {
    auto byte = static_cast<uint8_t>(text[i]);
    if (byte < 0x80) {
      ++i;
      continue;
    }
    size_t length = 0;
    uint32_t code_point = 0;
    if ((byte & 0xE0) == 0xC0) {
      length = 2;
      code_point = byte & 0x1F;
    } else if ((byte & 0xF0) == 0xE0) {
      length = 3;
      code_point = byte & 0x0F;
    } else if ((byte & 0xF8) == 0xF0) {
      length = 4;
      code_point = byte & 0x07;
    } else {
      return false;
    }
    if (text.size() - i < length) return false;
    for (size_t k = 1; k < length; ++k) {
      auto next = static_cast<uint8_t>(text[i + k]);
      if ((next & 0xC0) != 0x80) return false;
      code_point = (code_point << 6) | (next & 0x3F);
    }
    static constexpr uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code_point < kMinimum[length] || code_point > 0x10FFFF) return false;  // overlong or too large
    if (code_point >= 0xD800 && code_point <= 0xDFFF) return false;            // UTF-16 surrogates
    i += length;
  }
  return true;
}

bool SignalingClient::connect(const std::string& host, uint16_t port, const std::string& path,
                              Callbacks callbacks, std::string* error) {
  if (state_ != State::Idle) {
    if (error) *error = "this client was connected already";
    return false;
  }
  std::string ip = host == "localhost" ? "127.0.0.1" : host;
  sockaddr_storage address{};
  bool v6 = ip.find(':') != std::string::npos;
  int rc = v6 ? uv_ip6_addr(ip.c_str(), port, reinterpret_cast<sockaddr_in6*>(&address))
              : uv_ip4_addr(ip.c_str(), port, reinterpret_cast<sockaddr_in*>(&address));
  if (rc != 0) {
    if (error) *error = "not an IP address: " + host;
    return false;
  }
  if (path.empty() || path.front() != '/' || path.find_first_of("\r\n ") != std::string::npos) {
    if (error) *error = "bad path: " + path;
    return false;
  }
  auto* handle = new Handle;
  handle->owner = this;
  uv_tcp_init(loop_, &handle->tcp);
  uv_timer_init(loop_, &handle->timer);
  handle->tcp.data = handle;
  handle->timer.data = handle;
  handle->open_handles = 2;
  handle_ = handle;
  rc = uv_tcp_connect(&handle->connect_request, &handle->tcp, reinterpret_cast<const sockaddr*>(&address),
                      [](uv_connect_t* request, int status) {
                        Handle* h = Handle::of(reinterpret_cast<uv_handle_t*>(request->handle));
                        if (h->owner) h->owner->on_connected(status);
                      });
  if (rc != 0) {
    handle_->close_handles();
    handle_ = nullptr;
    if (error) *error = std::string("connect: ") + uv_strerror(rc);
    return false;
  }
  uv_tcp_nodelay(&handle->tcp, 1);
  uv_timer_start(
      &handle->timer,
      [](uv_timer_t* timer) {
        Handle* h = Handle::of(reinterpret_cast<uv_handle_t*>(timer));
        if (h->owner) h->owner->on_timeout();
      },
      options_.connect_timeout_ms, 0);
  callbacks_ = std::move(callbacks);
  host_header_ = (v6 ? "[" + ip + "]" : ip) + ":" + std::to_string(port);
  path_ = path;
  std::array<uint8_t, 16> nonce{};
  RAND_bytes(nonce.data(), static_cast<int>(nonce.size()));
  key_ = base64(nonce.data(), nonce.size());
  state_ = State::Connecting;
  return true;
}

void SignalingClient::on_connected(int status) {
  if (status < 0) {
    shutdown_transport();
    finish(kCloseAbnormal, std::string("connect failed: ") + uv_strerror(status));
    return;
  }
  uv_read_start(
      reinterpret_cast<uv_stream_t*>(&handle_->tcp),
      [](uv_handle_t* h, size_t, uv_buf_t* buf) {
        Handle* self = Handle::of(h);
        *buf = uv_buf_init(self->read_buffer.data(), static_cast<unsigned>(self->read_buffer.size()));
      },
      [](uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
        Handle* self = Handle::of(reinterpret_cast<uv_handle_t*>(stream));
        if (!self->owner) return;
        if (nread > 0)
          self->owner->on_read(buf->base, static_cast<size_t>(nread));
        else if (nread < 0)
          self->owner->on_eof(static_cast<int>(nread));
      });
  std::string request = "GET " + path_ + " HTTP/1.1\r\n" + "Host: " + host_header_ + "\r\n" +
                        "Upgrade: websocket\r\n" + "Connection: Upgrade\r\n" + "Sec-WebSocket-Key: " + key_ +
                        "\r\n" + "Sec-WebSocket-Version: 13\r\n" + "User-Agent: sfu-test-client\r\n\r\n";
  write_raw(std::move(request));
}

void SignalingClient::write_raw(std::string bytes) {
  if (!handle_) return;
  auto* write = new WriteRequest;
  write->bytes = std::move(bytes);
  uv_buf_t buffer = uv_buf_init(write->bytes.data(), static_cast<unsigned>(write->bytes.size()));
  int rc = uv_write(&write->request, reinterpret_cast<uv_stream_t*>(&handle_->tcp), &buffer, 1,
                    [](uv_write_t* request, int status) {
                      auto* w = reinterpret_cast<WriteRequest*>(request);
                      Handle* h = Handle::of(reinterpret_cast<uv_handle_t*>(request->handle));
                      delete w;
                      if (status < 0 && status != UV_ECANCELED && h->owner) h->owner->on_eof(status);
                    });
  if (rc != 0) delete write;
}

void SignalingClient::on_read(const char* data, size_t size) {
  rx_.append(data, size);
  if (!handshake_done_) {
    if (!handle_handshake()) return;
  }
  handle_frames();
}

// NOLINTNEXTLINE(readability-function-cognitive-complexity): RFC 6455 handshake checks in order, each an early return.
bool SignalingClient::handle_handshake() {
  size_t end = rx_.find("\r\n\r\n");
  if (end == std::string::npos) {
    if (rx_.size() > options_.max_handshake_bytes) {
      shutdown_transport();
      finish(kCloseProtocolError, "handshake: response headers too large");
      return false;
    }
    return false;
  }
  std::string_view head(rx_.data(), end);
  auto refuse = [this](const std::string& why) {
    shutdown_transport();
    finish(kCloseProtocolError, "handshake: " + why);
    return false;
  };
  size_t line_end = head.find("\r\n");
  std::string_view status_line = head.substr(0, line_end);
  if (status_line.substr(0, 13) != "HTTP/1.1 101 " && status_line != "HTTP/1.1 101")
    return refuse("expected 101, got '" + std::string(status_line) + "'");
  bool upgrade = false, connection = false, accepted = false;
  std::string expected_accept = accept_key_for(key_);
  std::string_view rest = line_end == std::string_view::npos ? std::string_view() : head.substr(line_end + 2);
  while (!rest.empty()) {
    size_t next = rest.find("\r\n");
    std::string_view line = rest.substr(0, next);
    rest = next == std::string_view::npos ? std::string_view() : rest.substr(next + 2);
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) return refuse("malformed header line");
    std::string name = lower(trim(line.substr(0, colon)));
    std::string_view value = trim(line.substr(colon + 1));
    if (name == "upgrade")
      upgrade = lower(value) == "websocket";
    else if (name == "connection")
      connection = has_token(value, "upgrade");
    else if (name == "sec-websocket-accept")
      accepted = value == expected_accept;
    else if (name == "sec-websocket-extensions" && !value.empty())
      return refuse("extension not offered: " + std::string(value));
    else if (name == "sec-websocket-protocol" && !value.empty())
      return refuse("subprotocol not offered: " + std::string(value));
  }
  if (!upgrade) return refuse("missing 'Upgrade: websocket'");
  if (!connection) return refuse("missing 'Connection: Upgrade'");
  if (!accepted) return refuse("Sec-WebSocket-Accept missing or wrong");
  rx_.erase(0, end + 4);
  handshake_done_ = true;
  state_ = State::Open;
  uv_timer_stop(&handle_->timer);
  if (callbacks_.on_open) {
    auto alive = alive_;
    callbacks_.on_open();
    if (!*alive || state_ != State::Open) return false;
  }
  return true;
}

// NOLINTNEXTLINE(readability-function-cognitive-complexity): RFC 6455 frame header decoding (lengths, mask, fragments) in wire order; to split.
bool SignalingClient::handle_frames() {
  size_t offset = 0;
  auto alive = alive_;
  bool keep_going = true;
  while (keep_going && handle_) {
    std::string_view data(rx_.data() + offset, rx_.size() - offset);
    if (data.size() < 2) break;
    auto b0 = static_cast<uint8_t>(data[0]);
    auto b1 = static_cast<uint8_t>(data[1]);
    bool fin = (b0 & 0x80) != 0;
    uint8_t opcode = b0 & 0x0F;
    if (b0 & 0x70) return fail(kCloseProtocolError, "reserved bits set in a frame"), false;
    if (b1 & 0x80) return fail(kCloseProtocolError, "masked frame from the server"), false;
    bool control = (opcode & 0x8) != 0;
    if (opcode != kOpContinuation && opcode != kOpText && opcode != kOpBinary && opcode != kOpClose &&
        opcode != kOpPing && opcode != kOpPong)
      return fail(kCloseProtocolError, "unknown opcode " + std::to_string(opcode)), false;
    size_t header = 2;
    uint64_t length = b1 & 0x7F;
    if (length == 126) {
      if (data.size() < 4) break;
      length = (static_cast<uint64_t>(static_cast<uint8_t>(data[2])) << 8) | static_cast<uint8_t>(data[3]);
      header = 4;
      if (length < 126) return fail(kCloseProtocolError, "non-minimal frame length"), false;
    } else if (length == 127) {
      if (data.size() < 10) break;
      length = 0;
      for (size_t i = 2; i < 10; ++i) length = (length << 8) | static_cast<uint8_t>(data[i]);
      header = 10;
      if (length >> 63) return fail(kCloseProtocolError, "frame length with the top bit set"), false;
      if (length < 65536) return fail(kCloseProtocolError, "non-minimal frame length"), false;
    }
    if (control && (!fin || length > kMaxControlPayload))
      return fail(kCloseProtocolError, "fragmented or oversized control frame"), false;
    if (!control &&
        length > options_.max_message_bytes - std::min(options_.max_message_bytes, message_.size()))
      return fail(kCloseTooBig,
                  "message larger than " + std::to_string(options_.max_message_bytes) + " bytes"),
             false;
    if (data.size() - header < length) break;  // wait for the rest of the frame
    std::string_view payload = data.substr(header, static_cast<size_t>(length));
    offset += header + static_cast<size_t>(length);
    keep_going = handle_frame(opcode, fin, payload);
    if (!*alive) return false;
  }
  if (handle_ && offset > 0) rx_.erase(0, offset);
  return keep_going && handle_ != nullptr;
}

// NOLINTNEXTLINE(readability-function-cognitive-complexity): one case per RFC 6455 opcode.
bool SignalingClient::handle_frame(uint8_t opcode, bool fin, std::string_view payload) {
  switch (opcode) {
    case kOpText:
      if (in_message_) return fail(kCloseProtocolError, "a new message inside a fragmented one"), false;
      message_.assign(payload);
      in_message_ = !fin;
      return fin ? deliver_message() : true;
    case kOpBinary:
      return fail(kCloseUnsupportedData, "binary messages are not part of the protocol"), false;
    case kOpContinuation:
      if (!in_message_) return fail(kCloseProtocolError, "continuation frame without a message"), false;
      message_.append(payload);
      if (!fin) return true;
      in_message_ = false;
      return deliver_message();
    case kOpPing:
      ++counters_.pings_received;
      if (state_ == State::Open) send_frame(kOpPong, payload);
      return true;
    case kOpPong:
      return true;
    case kOpClose: {
      uint16_t code = 1005;  // "no status received"
      std::string reason;
      if (payload.size() == 1) return fail(kCloseProtocolError, "close frame with a 1-byte payload"), false;
      if (payload.size() >= 2) {
        code =
            static_cast<uint16_t>((static_cast<uint8_t>(payload[0]) << 8) | static_cast<uint8_t>(payload[1]));
        reason.assign(payload.substr(2));
        if (!valid_close_code(code))
          return fail(kCloseProtocolError, "invalid close code " + std::to_string(code)), false;
        if (!valid_utf8(reason)) return fail(kCloseInvalidPayload, "close reason is not UTF-8"), false;
      }
      if (!close_sent_) {
        // Echo the status (RFC 6455 section 5.5.1), then let the server drop the TCP connection.
        std::string echo;
        if (payload.size() >= 2) echo.assign(payload.substr(0, 2));
        send_frame(kOpClose, echo);
        close_sent_ = true;
      }
      state_ = State::Closing;
      shutdown_transport();
      finish(code, reason.empty() ? "closed by the server" : reason);
      return false;
    }
    default:
      return fail(kCloseProtocolError, "unknown opcode"), false;
  }
}

bool SignalingClient::deliver_message() {
  std::string text = std::move(message_);
  message_.clear();
  if (state_ != State::Open) return true;  // we are closing: data is discarded
  if (!valid_utf8(text)) return fail(kCloseInvalidPayload, "text message is not UTF-8"), false;
  nlohmann::json message = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (message.is_discarded() || !message.is_object())
    return fail(kClosePolicy, "message is not a JSON object"), false;
  ++counters_.messages_received;
  if (callbacks_.on_message) {
    auto alive = alive_;
    callbacks_.on_message(message);
    if (!*alive) return false;
  }
  return handle_ != nullptr;
}

void SignalingClient::send_frame(uint8_t opcode, std::string_view payload) {
  std::string frame;
  frame.reserve(payload.size() + 14);
  frame.push_back(static_cast<char>(0x80 | opcode));
  if (payload.size() < 126) {
    frame.push_back(static_cast<char>(0x80 | payload.size()));
  } else if (payload.size() <= 0xFFFF) {
    frame.push_back(static_cast<char>(0x80 | 126));
    frame.push_back(static_cast<char>(payload.size() >> 8));
    frame.push_back(static_cast<char>(payload.size() & 0xFF));
  } else {
    frame.push_back(static_cast<char>(0x80 | 127));
    for (int shift = 56; shift >= 0; shift -= 8)
      frame.push_back(static_cast<char>((uint64_t{payload.size()} >> shift) & 0xFF));
  }
  // Client frames are masked with a fresh unpredictable key (RFC 6455 section 5.3).
  std::array<uint8_t, 4> mask{};
  RAND_bytes(mask.data(), static_cast<int>(mask.size()));
  frame.append(reinterpret_cast<const char*>(mask.data()), mask.size());
  size_t start = frame.size();
  frame.append(payload);
  for (size_t i = 0; i < payload.size(); ++i)
    frame[start + i] = static_cast<char>(frame[start + i] ^ mask[i & 3]);
  write_raw(std::move(frame));
}

bool SignalingClient::send(const nlohmann::json& message) { return send_text(message.dump()); }

bool SignalingClient::send_text(std::string_view text) {
  if (state_ != State::Open || !handle_) return false;
  size_t queued = uv_stream_get_write_queue_size(reinterpret_cast<uv_stream_t*>(&handle_->tcp));
  if (queued + text.size() > options_.max_send_queue_bytes) return false;
  send_frame(kOpText, text);
  ++counters_.messages_sent;
  return true;
}

void SignalingClient::close(uint16_t code, std::string_view reason) {
  if (state_ == State::Connecting) {
    shutdown_transport();
    finish(code, "closed by the client before opening");
    return;
  }
  if (state_ != State::Open) return;
  std::string payload;
  payload.push_back(static_cast<char>(code >> 8));
  payload.push_back(static_cast<char>(code & 0xFF));
  payload.append(reason.substr(0, kMaxControlPayload - 2));
  send_frame(kOpClose, payload);
  close_sent_ = true;
  close_code_ = code;
  close_reason_ = std::string(reason);
  state_ = State::Closing;
  uv_timer_start(
      &handle_->timer,
      [](uv_timer_t* timer) {
        Handle* h = Handle::of(reinterpret_cast<uv_handle_t*>(timer));
        if (h->owner) h->owner->on_timeout();
      },
      options_.close_timeout_ms, 0);
}

void SignalingClient::on_timeout() {
  if (state_ == State::Connecting) {
    shutdown_transport();
    finish(kCloseAbnormal, "connect or upgrade timed out");
  } else if (state_ == State::Closing) {
    shutdown_transport();
    finish(kCloseAbnormal, "the server did not answer our close frame");
  }
}

void SignalingClient::on_eof(int status) {
  shutdown_transport();
  if (state_ == State::Closing && close_sent_) {
    finish(close_code_, close_reason_.empty() ? "closed" : close_reason_);
    return;
  }
  finish(kCloseAbnormal, status == UV_EOF ? "the server closed the connection without a close frame"
                                          : std::string("connection error: ") + uv_strerror(status));
}

void SignalingClient::fail(uint16_t code, const std::string& reason) {
  ++counters_.protocol_errors;
  if (state_ == State::Open && !close_sent_) {
    std::string payload;
    payload.push_back(static_cast<char>(code >> 8));
    payload.push_back(static_cast<char>(code & 0xFF));
    send_frame(kOpClose, payload);
    close_sent_ = true;
  }
  state_ = State::Closing;
  shutdown_transport();
  finish(code, reason);
}

SignalingClient::Handle* SignalingClient::detach_handle() {
  if (!handle_) return nullptr;
  Handle* handle = handle_;
  handle_ = nullptr;
  handle->owner = nullptr;
  uv_read_stop(reinterpret_cast<uv_stream_t*>(&handle->tcp));
  uv_timer_stop(&handle->timer);
  return handle;
}

void SignalingClient::drop() {
  Handle* handle = detach_handle();
  if (!handle) return;
  // RST rather than FIN, and nothing queued is flushed: the server learns only that it is gone.
  if (uv_tcp_close_reset(&handle->tcp, Handle::on_closed) != 0) {
    if (!uv_is_closing(reinterpret_cast<uv_handle_t*>(&handle->tcp)))
      uv_close(reinterpret_cast<uv_handle_t*>(&handle->tcp), Handle::on_closed);
  }
  uv_close(reinterpret_cast<uv_handle_t*>(&handle->timer), Handle::on_closed);
  finish(kCloseAbnormal, "dropped by the client");
}

void SignalingClient::shutdown_transport() {
  Handle* handle = detach_handle();
  if (!handle) return;
  // Let queued frames (a close frame above all) reach the peer before the socket goes.
  int rc = uv_shutdown(&handle->shutdown_request, reinterpret_cast<uv_stream_t*>(&handle->tcp),
                       [](uv_shutdown_t* request, int) {
                         Handle::of(reinterpret_cast<uv_handle_t*>(request->handle))->close_handles();
                       });
  if (rc != 0) handle->close_handles();
}

bool SignalingClient::finish(uint16_t code, const std::string& reason) {
  state_ = State::Closed;
  if (finished_) return true;
  finished_ = true;
  if (callbacks_.on_close) {
    auto alive = alive_;
    callbacks_.on_close(code, reason);
    return *alive;
  }
  return true;
}

}  // namespace sfu::client
