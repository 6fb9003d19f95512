// The signaling WebSocket client (bench/client/signaling_client.h) against a scripted server on the
// same libuv loop: correct and fragmented frames, pings, close handshakes, and servers that break
// RFC 6455 in every way the client must notice.
#include "bench/client/signaling_client.h"

#include <gtest/gtest.h>
#include <uv.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

using namespace sfu;
using namespace std::chrono_literals;
using client::SignalingClient;

namespace {

// Accepts one TCP connection, answers the upgrade (correctly unless told otherwise), then writes
// `script` and records what the client sends.
class ScriptedWsServer {
 public:
  std::function<std::string(const std::string& key)> handshake_response = [](const std::string& key) {
    return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: "
           "Upgrade\r\nSec-WebSocket-Accept: " +
           SignalingClient::accept_key_for(key) + "\r\n\r\n";
  };
  std::string script;
  std::string from_client;  // bytes after the handshake
  bool close_after_script = false;

  explicit ScriptedWsServer(uv_loop_t* loop) : loop_(loop) {
    uv_tcp_init(loop_, &listener_);
    listener_.data = this;
    sockaddr_in address{};
    uv_ip4_addr("127.0.0.1", 0, &address);
    uv_tcp_bind(&listener_, reinterpret_cast<sockaddr*>(&address), 0);
    uv_listen(reinterpret_cast<uv_stream_t*>(&listener_), 4, [](uv_stream_t* server, int) {
      auto* self = static_cast<ScriptedWsServer*>(server->data);
      if (self->accepted_) return;
      uv_tcp_init(self->loop_, &self->connection_);
      self->connection_.data = self;
      self->accepted_ = true;
      uv_accept(server, reinterpret_cast<uv_stream_t*>(&self->connection_));
      uv_read_start(
          reinterpret_cast<uv_stream_t*>(&self->connection_),
          [](uv_handle_t* h, size_t, uv_buf_t* buf) {
            auto* s = static_cast<ScriptedWsServer*>(h->data);
            *buf = uv_buf_init(s->buffer_, sizeof(s->buffer_));
          },
          [](uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
            auto* s = static_cast<ScriptedWsServer*>(stream->data);
            if (nread < 0) {
              s->peer_closed = true;
              uv_read_stop(stream);
              return;
            }
            s->on_bytes(std::string(buf->base, static_cast<size_t>(nread)));
          });
    });
    sockaddr_storage bound{};
    int length = sizeof(bound);
    uv_tcp_getsockname(&listener_, reinterpret_cast<sockaddr*>(&bound), &length);
    port_ = ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  }
  ~ScriptedWsServer() {
    uv_close(reinterpret_cast<uv_handle_t*>(&listener_), nullptr);
    if (accepted_) uv_close(reinterpret_cast<uv_handle_t*>(&connection_), nullptr);
    for (int i = 0; i < 10; ++i) uv_run(loop_, UV_RUN_NOWAIT);
  }
  uint16_t port() const { return port_; }
  bool peer_closed = false;

 private:
  void on_bytes(std::string bytes) {
    if (handshake_done_) {
      from_client += bytes;
      return;
    }
    request_ += bytes;
    size_t end = request_.find("\r\n\r\n");
    if (end == std::string::npos) return;
    std::string key;
    size_t at = request_.find("Sec-WebSocket-Key: ");
    if (at != std::string::npos) key = request_.substr(at + 19, request_.find("\r\n", at) - at - 19);
    handshake_done_ = true;
    write(handshake_response(key) + script);
    if (close_after_script) uv_shutdown(&shutdown_, reinterpret_cast<uv_stream_t*>(&connection_), nullptr);
  }
  void write(std::string bytes) {
    auto* request = new std::pair<uv_write_t, std::string>();
    request->second = std::move(bytes);
    uv_buf_t buf = uv_buf_init(request->second.data(), static_cast<unsigned>(request->second.size()));
    uv_write(&request->first, reinterpret_cast<uv_stream_t*>(&connection_), &buf, 1,
             [](uv_write_t* w, int) { delete reinterpret_cast<std::pair<uv_write_t, std::string>*>(w); });
  }

  uv_loop_t* loop_;
  uv_tcp_t listener_{};
  uv_tcp_t connection_{};
  uv_shutdown_t shutdown_{};
  bool accepted_ = false;
  bool handshake_done_ = false;
  std::string request_;
  char buffer_[4096];
  uint16_t port_ = 0;
};

std::string server_frame(uint8_t first_byte, std::string_view payload) {
  std::string frame(1, static_cast<char>(first_byte));
  if (payload.size() < 126) {
    frame.push_back(static_cast<char>(payload.size()));
  } else {
    frame.push_back(126);
    frame.push_back(static_cast<char>(payload.size() >> 8));
    frame.push_back(static_cast<char>(payload.size() & 0xFF));
  }
  return frame + std::string(payload);
}

class SignalingClientTest : public ::testing::Test {
 protected:
  void SetUp() override { uv_loop_init(&loop_); }
  void TearDown() override {
    client_.reset();
    server_.reset();
    for (int i = 0; i < 100 && uv_run(&loop_, UV_RUN_NOWAIT) != 0; ++i) std::this_thread::sleep_for(1ms);
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }

  // Callbacks that record what the client reports in the members below.
  SignalingClient::Callbacks recording_callbacks() {
    SignalingClient::Callbacks callbacks;
    callbacks.on_open = [this] { ++opened_; };
    callbacks.on_message = [this](const nlohmann::json& m) { messages_.push_back(m); };
    callbacks.on_close = [this](uint16_t code, const std::string& reason) {
      ++closed_;
      close_code_ = code;
      close_reason_ = reason;
    };
    return callbacks;
  }

  // Runs the loop, a millisecond a round, until `done` holds or the rounds run out.
  void pump_until(const std::function<bool()>& done, int max_rounds) {
    for (int i = 0; i < max_rounds && !done(); ++i) {
      uv_run(&loop_, UV_RUN_NOWAIT);
      std::this_thread::sleep_for(1ms);
    }
  }

  // Connects a client to a scripted server and runs until it closes (or `until` holds).
  void run(std::function<void(ScriptedWsServer&)> setup, std::function<bool()> until = {}) {
    server_ = std::make_unique<ScriptedWsServer>(&loop_);
    setup(*server_);
    client_ = std::make_unique<SignalingClient>(&loop_);
    std::string error;
    ASSERT_TRUE(client_->connect("127.0.0.1", server_->port(), "/v1/rtc", recording_callbacks(), &error))
        << error;
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (closed_ == 0 && !(until && until()) && std::chrono::steady_clock::now() < deadline) {
      uv_run(&loop_, UV_RUN_NOWAIT);
      std::this_thread::sleep_for(1ms);
    }
    pump_until([] { return false; }, 20);  // lets the client's last frames reach the server
  }

  // The client's frames after the handshake: {opcode, masked, unmasked payload}.
  struct ClientFrame {
    uint8_t opcode;
    bool masked;
    std::string payload;
  };
  std::vector<ClientFrame> client_frames() const {
    std::vector<ClientFrame> frames;
    const std::string& data = server_->from_client;
    size_t i = 0;
    while (data.size() - i >= 2) {
      auto b0 = static_cast<uint8_t>(data[i]), b1 = static_cast<uint8_t>(data[i + 1]);
      size_t length = b1 & 0x7F, header = 2;
      if (length == 126) {
        length = (static_cast<uint8_t>(data[i + 2]) << 8) | static_cast<uint8_t>(data[i + 3]);
        header = 4;
      }
      bool masked = b1 & 0x80;
      if (masked) header += 4;
      if (data.size() - i < header + length) break;
      std::string payload = data.substr(i + header, length);
      if (masked)
        for (size_t k = 0; k < length; ++k)
          payload[k] = static_cast<char>(payload[k] ^ data[i + header - 4 + (k & 3)]);
      frames.push_back({static_cast<uint8_t>(b0 & 0x0F), masked, payload});
      i += header + length;
    }
    return frames;
  }

  uv_loop_t loop_{};
  std::unique_ptr<ScriptedWsServer> server_;
  std::unique_ptr<SignalingClient> client_;
  int opened_ = 0, closed_ = 0;
  uint16_t close_code_ = 0;
  std::string close_reason_;
  std::vector<nlohmann::json> messages_;
};

TEST(SignalingClientKeys, AcceptKeyMatchesRfc6455Example) {
  // RFC 6455 section 1.3.
  EXPECT_EQ(SignalingClient::accept_key_for("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(SignalingClientKeys, Utf8Validation) {
  EXPECT_TRUE(SignalingClient::valid_utf8("plain"));
  EXPECT_TRUE(SignalingClient::valid_utf8("\xC3\xA9t\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));
  EXPECT_FALSE(SignalingClient::valid_utf8("\xC3"));              // truncated
  EXPECT_FALSE(SignalingClient::valid_utf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(SignalingClient::valid_utf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(SignalingClient::valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(SignalingClient::valid_utf8("\xFF"));
}

TEST_F(SignalingClientTest, FragmentedMessageWithPingInBetween) {
  run(
      [](ScriptedWsServer& s) {
        s.script = server_frame(0x01, R"({"type":)") + server_frame(0x89, "hi") +
                   server_frame(0x00, R"("x",)") + server_frame(0x80, R"("n":1})") +
                   server_frame(0x81, R"({"type":"y"})");
      },
      [this] { return messages_.size() == 2; });
  EXPECT_EQ(opened_, 1);
  ASSERT_EQ(messages_.size(), 2u);
  EXPECT_EQ(messages_[0], (nlohmann::json{{"type", "x"}, {"n", 1}}));
  EXPECT_EQ(messages_[1].value("type", ""), "y");
  // The ping was answered with a masked pong carrying the same payload.
  auto frames = client_frames();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].opcode, 0xA);
  EXPECT_TRUE(frames[0].masked);
  EXPECT_EQ(frames[0].payload, "hi");

  // Sending: one masked text frame with the JSON.
  ASSERT_TRUE(client_->send({{"type", "ping"}}));
  pump_until([this] { return client_frames().size() >= 2; }, 50);
  frames = client_frames();
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[1].opcode, 0x1);
  EXPECT_TRUE(frames[1].masked);
  EXPECT_EQ(frames[1].payload, R"({"type":"ping"})");
  EXPECT_EQ(closed_, 0);
}

TEST_F(SignalingClientTest, ServerCloseIsEchoed) {
  run([](ScriptedWsServer& s) { s.script = server_frame(0x88, std::string("\x03\xE9", 2) + "bye"); });
  EXPECT_EQ(closed_, 1);
  EXPECT_EQ(close_code_, 1001);
  EXPECT_EQ(close_reason_, "bye");
  auto frames = client_frames();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].opcode, 0x8);
  EXPECT_EQ(frames[0].payload, std::string("\x03\xE9", 2));
}

struct MalformedCase {
  const char* name;
  std::string script;
  uint16_t expected_code;
};

class SignalingClientMalformed : public SignalingClientTest,
                                 public ::testing::WithParamInterface<MalformedCase> {};

TEST_P(SignalingClientMalformed, ClosesWithError) {
  run([](ScriptedWsServer& s) { s.script = GetParam().script; });
  EXPECT_EQ(opened_, 1);
  EXPECT_EQ(closed_, 1);
  EXPECT_EQ(close_code_, GetParam().expected_code) << close_reason_;
  EXPECT_TRUE(messages_.empty());
  EXPECT_EQ(client_->counters().protocol_errors, 1u);
  // The client told the server why, in a masked close frame with that code.
  auto frames = client_frames();
  ASSERT_FALSE(frames.empty());
  EXPECT_EQ(frames.back().opcode, 0x8);
  EXPECT_TRUE(frames.back().masked);
  ASSERT_GE(frames.back().payload.size(), 2u);
  EXPECT_EQ(
      (static_cast<uint8_t>(frames.back().payload[0]) << 8) | static_cast<uint8_t>(frames.back().payload[1]),
      GetParam().expected_code);
}

INSTANTIATE_TEST_SUITE_P(
    Frames, SignalingClientMalformed,
    ::testing::Values(
        MalformedCase{"Masked", std::string("\x81\x82\x01\x02\x03\x04zz", 8), 1002},
        MalformedCase{"ReservedBit", server_frame(0xC1, "{}"), 1002},
        MalformedCase{"UnknownOpcode", server_frame(0x83, "{}"), 1002},
        MalformedCase{"FragmentedPing", server_frame(0x09, "x"), 1002},
        MalformedCase{"ContinuationWithoutStart", server_frame(0x80, "{}"), 1002},
        MalformedCase{"TextInsideFragmentedText", server_frame(0x01, "{") + server_frame(0x81, "{}"), 1002},
        MalformedCase{"NonMinimalLength", std::string("\x81\x7E\x00\x02{}", 6), 1002},
        MalformedCase{"HugeLength", std::string("\x81\x7F\x00\x00\x00\x01\x00\x00\x00\x00", 10), 1009},
        MalformedCase{"InvalidUtf8", server_frame(0x81, "{\"a\":\"\xC3\"}"), 1007},
        MalformedCase{"NotJson", server_frame(0x81, "hello"), 1008},
        MalformedCase{"Binary", server_frame(0x82, "{}"), 1003},
        MalformedCase{"BadCloseCode", server_frame(0x88, std::string("\x03\xED", 2)), 1002}),
    [](const ::testing::TestParamInfo<MalformedCase>& info) { return std::string(info.param.name); });

TEST_F(SignalingClientTest, WrongAcceptKeyRefusesTheUpgrade) {
  run([](ScriptedWsServer& s) {
    s.handshake_response = [](const std::string&) {
      return std::string(
          "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
    };
    s.script = server_frame(0x81, R"({"type":"x"})");
  });
  EXPECT_EQ(opened_, 0);
  EXPECT_EQ(closed_, 1);
  EXPECT_EQ(close_code_, 1002);
  EXPECT_NE(close_reason_.find("Accept"), std::string::npos) << close_reason_;
  EXPECT_TRUE(messages_.empty());
}

TEST_F(SignalingClientTest, NotAnUpgradeIsRefused) {
  run([](ScriptedWsServer& s) {
    s.handshake_response = [](const std::string&) {
      return std::string("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    };
  });
  EXPECT_EQ(opened_, 0);
  EXPECT_EQ(closed_, 1);
  EXPECT_EQ(close_code_, 1002);
}

TEST_F(SignalingClientTest, ConnectionDroppedWithoutCloseFrame) {
  run([](ScriptedWsServer& s) {
    s.script = server_frame(0x81, R"({"type":"x"})");
    s.close_after_script = true;
  });
  EXPECT_EQ(opened_, 1);
  EXPECT_EQ(messages_.size(), 1u);
  EXPECT_EQ(closed_, 1);
  EXPECT_EQ(close_code_, 1006);
}

TEST_F(SignalingClientTest, RefusedConnection) {
  // A port that was just free: nothing listens there.
  uint16_t port = 0;
  {
    ScriptedWsServer probe(&loop_);
    port = probe.port();
  }
  client_ = std::make_unique<SignalingClient>(&loop_);
  SignalingClient::Callbacks callbacks = recording_callbacks();
  std::string error;
  ASSERT_TRUE(client_->connect("127.0.0.1", port, "/v1/rtc", callbacks, &error)) << error;
  pump_until([this] { return closed_ != 0; }, 5000);
  EXPECT_EQ(closed_, 1);
  EXPECT_EQ(close_code_, 1006);
  EXPECT_FALSE(client_->connect("127.0.0.1", port, "/v1/rtc", callbacks, &error));  // one use only
}

}  // namespace
