// The control plane as the fuzz targets drive it: a real ControlPlane on a libuv loop that the
// target runs by hand, real started Workers (rooms, transports) on their own threads, and
// connections that stand in for WebSockets (the ClientConnection seam) and check every message
// the server sends. Everything is built fresh for one input and torn down after it, so no state
// leaks from one input into the next. Anything that breaks the protocol's promises (a message
// that is not JSON, internal_error, a hung worker, a participant left behind) aborts: libFuzzer
// reports it as a crash with the input.
#pragma once

#include <uv.h>

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "config/config.h"
#include "sfu/control/client_connection.h"
#include "sfu/control/control_plane.h"
#include "sfu/control/http_server.h"
#include "sfu/media/worker.h"

namespace sfu::fuzz {

// Prints what broke and aborts (a finding).
[[noreturn]] void fail(std::string_view what, std::string_view detail);

// The variants a target picks from an input's first byte: auth on or off, tight limits (two rooms of
// two participants, small messages) so the limits are reached, and one or two workers.
struct ControlFlags {
  bool auth = false;
  bool tight_limits = false;
  bool two_workers = false;
};
ControlFlags control_flags(uint8_t byte);
const config::Config& control_config(ControlFlags flags);

inline constexpr const char* kAuthSecret = "fuzz-secret-of-at-least-32-bytes";

// Correctly signed tokens (kAuthSecret), valid and deliberately wrong in every way a claim can be
// (see control_harness.cpp). "$TOKEN<n>" in a frame or request is replaced by token n.
const std::vector<std::string>& signed_tokens();
inline constexpr size_t kAdminToken = 7;  // {"admin":true}

// A connection that stands in for a WebSocket: every message the server sends must be a JSON
// object with a string "type" and must not be internal_error. Keeps the latest subscribe offer and
// the participant id it was given, for the placeholders below.
class FuzzClient final : public ClientConnection {
 public:
  explicit FuzzClient(uint64_t id) : id_(id) {}

  uint64_t id() const override { return id_; }
  const std::string& remote_address() const override { return address_; }
  bool closing() const override { return closing_; }
  bool send_text(std::string_view message) override;
  void close(uint16_t code, std::string reason) override;

  const std::string& participant_id() const { return participant_id_; }
  const nlohmann::json& last_subscribe_offer() const { return last_subscribe_offer_; }
  size_t messages_received() const { return messages_received_; }

 private:
  uint64_t id_;
  std::string address_ = "127.0.0.1:50000";
  bool closing_ = false;
  std::string participant_id_;
  nlohmann::json last_subscribe_offer_;
  size_t messages_received_ = 0;
};

class ControlUnderTest {
 public:
  static constexpr size_t kClients = 3;

  explicit ControlUnderTest(ControlFlags flags);
  ~ControlUnderTest();
  ControlUnderTest(const ControlUnderTest&) = delete;
  ControlUnderTest& operator=(const ControlUnderTest&) = delete;

  const config::Config& config() const { return config_; }

  // Client `index` (0..kClients-1): opened on first use, and again after it was closed.
  FuzzClient& client(size_t index);
  // One complete text message from client `index`, as HttpServer delivers it (a message over
  // limits.message_bytes becomes the protocol error HttpServer reports instead).
  void send(size_t index, std::string_view text);
  void protocol_error(size_t index, bool binary);
  // The peer went away: on_ws_close, as HttpServer reports it.
  void disconnect(size_t index);
  // One HTTP request as HttpServer hands it over (a body over the limit is answered 413 by the
  // server itself and never reaches the handler). The response is checked.
  HttpResponse http(const HttpRequest& request);

  // Lets every worker run what was posted to it and the control loop run what came back, so the
  // consequences of the last call have all happened.
  void settle();
  // Closes every client, settles, and checks that nothing is left behind: no participant in any
  // room, on the control plane or on the worker, and no exception caught anywhere.
  void finish();

  // "$TOKEN<n>", "$P<n>" (client n's participant id), "$OFFER" (a browser-like publish offer) and
  // "$ANSWER<n>" (client n's answer to its latest subscribe offer), each as JSON string contents.
  std::string expand(std::string_view text);

 private:
  // Reports on_ws_close for every client the server closed; false when there was none.
  bool report_closed_clients();
  HttpResponse checked_http(const HttpRequest& request);  // without settling, unless deferred
  void check_nothing_left();

  const config::Config& config_;
  uv_loop_t loop_{};
  std::vector<std::unique_ptr<Worker>> workers_;
  std::unique_ptr<ControlPlane> control_;
  std::unique_ptr<FuzzClient> clients_[kClients];
  uint64_t next_client_id_ = 1;
  std::map<uint64_t, HttpResponse> deferred_;  // answers guarded_http() deferred, by exchange id
  uint64_t last_exchange_id_ = 0;
};

// Splits `data` into lines (no '\n'), the unit of both text formats.
std::vector<std::string_view> split_lines(std::string_view data);

}  // namespace sfu::fuzz
