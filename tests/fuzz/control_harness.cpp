#include "tests/fuzz/control_harness.h"

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <variant>

#include "base/logger.h"
#include "bench/client/client_sdp.h"
#include "dtls/dtls_certificate.h"
#include "sfu/control/jwt.h"

namespace sfu::fuzz {
namespace {

constexpr auto kWorkerDeadline = std::chrono::seconds(10);

// SFU_FUZZ_TRACE=1 prints what the server answers, to see how far an input gets.
bool tracing() {
  static const bool on = std::getenv("SFU_FUZZ_TRACE") != nullptr;
  return on;
}

void trace(const std::string& who, std::string_view text) {
  if (tracing())
    std::fprintf(stderr, "%s: %.*s\n", who.c_str(), static_cast<int>(std::min<size_t>(text.size(), 300)),
                 text.data());
}

int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::shared_ptr<dtls::DtlsCertificate> certificate() {
  static std::shared_ptr<dtls::DtlsCertificate> generated = [] {
    set_log_level(LogLevel::Error);  // join/leave lines would drown the fuzzer's own output
    auto cert = dtls::DtlsCertificate::generate();
    if (!cert) fail("setup", "no DTLS certificate");
    return cert;
  }();
  return generated;
}

config::Config make_config(ControlFlags flags) {
  config::Config config = config::default_config();
  config.rtc.udp_port = 0;      // any free port, so parallel fuzzers and tests never collide
  config.rtc.tcp_port.reset();  // no ICE-TCP listener
  config.rtc.bind_ip = "127.0.0.1";
  config.rtc.announced_ip = "127.0.0.1";
  config.workers = flags.two_workers ? 2 : 1;
  config.auth.enabled = flags.auth;
  config.auth.secret = kAuthSecret;
  if (flags.tight_limits) {
    config.limits.rooms = 2;
    config.limits.participants_per_room = 2;
    config.limits.tracks_per_participant = 2;
    config.limits.message_bytes = 8192;
  }
  return config;
}

// The JSON string contents (no quotes) for `text`.
std::string json_string_contents(const std::string& text) {
  std::string quoted = nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return quoted.substr(1, quoted.size() - 2);
}

const client::ClientTransport& fuzz_client_transport() {
  static const client::ClientTransport transport{
      "fzuf", "fuzzpasswordfuzzpassword",
      "AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99"};
  return transport;
}

std::string publish_offer_sdp() {
  static const std::string text = [] {
    client::PublishOfferParams params;
    params.transport = fuzz_client_transport();
    params.stream_id = "stream";
    params.cname = "cname";
    params.audio_track_id = "audio";
    params.video_track_id = "video";
    params.audio_ssrc = 1111;
    params.video_ssrc = 2222;
    params.video_rtx_ssrc = 3333;
    return json_string_contents(sdp::write_sdp(client::build_publish_offer(params)));
  }();
  return text;
}

// The answer a browser would give to `offer` (a subscribe_offer message); "" when there is none.
std::string subscribe_answer_sdp(const nlohmann::json& offer) {
  if (!offer.is_object()) return {};
  auto parsed = sdp::parse_sdp(offer.value("sdp", std::string()));
  auto* description = std::get_if<sdp::SessionDescription>(&parsed);
  if (!description) fail("the server's subscribe offer does not parse", offer.value("sdp", std::string()));
  auto answer = client::build_subscribe_answer(*description, fuzz_client_transport(), 1, 2);
  auto* built = std::get_if<client::SubscribeAnswer>(&answer);
  if (!built) return {};
  return json_string_contents(sdp::write_sdp(built->answer));
}

// Replaces every "$<name><digit>" (or "$<name>" when digit_follows is false) with what `value`
// gives for the digit.
template <typename Value>
void replace_placeholder(std::string& text, std::string_view name, bool digit_follows, Value value) {
  for (size_t at = text.find(name); at != std::string::npos; at = text.find(name, at)) {
    size_t end = at + name.size();
    int digit = -1;
    if (digit_follows) {
      if (end >= text.size() || text[end] < '0' || text[end] > '9') {
        at = end;
        continue;
      }
      digit = text[end] - '0';
      ++end;
    }
    std::string replacement = value(digit);
    text.replace(at, end - at, replacement);
    at += replacement.size();
  }
}

void check_http_response(const HttpRequest& request, const HttpResponse& response) {
  std::string what = request.method + " " + request.path;
  if (response.status < 100 || response.status > 599) fail("HTTP status out of range", what);
  // 500 is internal_error: a handler threw (docs/protocol.md: a bug). 503 is an honest overload.
  if (response.status >= 500 && response.status != 503) fail("HTTP 5xx answer", what + "\n" + response.body);
  auto has_line_break = [](const std::string& s) { return s.find_first_of("\r\n") != std::string::npos; };
  if (has_line_break(response.content_type)) fail("line break in Content-Type", what);
  for (const auto& [name, value] : response.headers)
    if (has_line_break(name) || has_line_break(value)) fail("line break in a response header", what);
  bool json = response.content_type.rfind("application/json", 0) == 0;
  if (json && !response.body.empty()) {
    auto body = nlohmann::json::parse(response.body, nullptr, false);
    if (body.is_discarded()) fail("REST body is not JSON", what + "\n" + response.body);
    if (response.status >= 400) {
      auto error = body.find("error");
      if (!body.is_object() || error == body.end() || !error->is_object() || !error->contains("code") ||
          !(*error)["code"].is_string())
        fail("REST error without {\"error\":{\"code\"}}", what + "\n" + response.body);
    }
  }
}

}  // namespace

[[noreturn]] void fail(std::string_view what, std::string_view detail) {
  std::fprintf(stderr, "\n== FUZZ FINDING: %.*s\n%.*s\n", static_cast<int>(what.size()), what.data(),
               static_cast<int>(std::min<size_t>(detail.size(), 4000)), detail.data());
  std::abort();
}

ControlFlags control_flags(uint8_t byte) {
  return ControlFlags{(byte & 1) != 0, (byte & 2) != 0, (byte & 4) != 0};
}

const config::Config& control_config(ControlFlags flags) {
  static const std::vector<config::Config> configs = [] {
    std::vector<config::Config> all;
    for (uint8_t byte = 0; byte < 8; ++byte) all.push_back(make_config(control_flags(byte)));
    return all;
  }();
  return configs[(flags.auth ? 1 : 0) | (flags.tight_limits ? 2 : 0) | (flags.two_workers ? 4 : 0)];
}

const std::vector<std::string>& signed_tokens() {
  static const std::vector<std::string> tokens = [] {
    const int64_t later = unix_now() + 10LL * 365 * 24 * 3600;
    const int64_t earlier = unix_now() - 3600;
    std::vector<nlohmann::json> claims = {
        {{"room", "r1"}, {"name", "alice"}, {"exp", later}},
        {{"room", "r1"}, {"sub", "bob"}, {"exp", later}},
        {{"room", "r2"}, {"name", "carol"}, {"exp", later}},
        {{"room", "r1"}, {"sub", 12345}, {"exp", later}},  // a numeric subject (identity providers do that)
        {{"room", 1}, {"name", "dave"}, {"exp", later}},   // a room of the wrong type
        {{"room", "r1"}, {"name", "erin"}, {"exp", earlier}},  // expired
        {{"room", "r1"}, {"name", {{"first", "frank"}}}, {"exp", later}},
        {{"admin", true}, {"exp", later}},
        {{"room", "r1"}, {"name", "grace"}, {"nbf", later - 60}, {"exp", later}},  // not yet valid
        {{"room", "r2"},
         {"name", std::string(40, 'x') + "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
                                         "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"},
         {"exp", later}},
    };
    std::vector<std::string> signed_claims;
    for (const auto& c : claims) signed_claims.push_back(sign_jwt_hs256(c, kAuthSecret));
    return signed_claims;
  }();
  return tokens;
}

bool FuzzClient::send_text(std::string_view message) {
  if (closing_) return false;
  ++messages_received_;
  trace("client " + std::to_string(id_), message);
  auto json = nlohmann::json::parse(message, nullptr, /*allow_exceptions=*/false);
  if (json.is_discarded()) fail("the server sent a message that is not JSON", message);
  auto type = json.is_object() ? json.find("type") : json.end();
  if (!json.is_object() || type == json.end() || !type->is_string())
    fail("the server sent a message without a string \"type\"", message);
  const auto& kind = type->get_ref<const std::string&>();
  if (kind == "error") {
    auto code = json.find("code");
    if (code == json.end() || !code->is_string()) fail("an error without a string \"code\"", message);
    if (*code == "internal_error") fail("the signaling handler threw (internal_error)", message);
  } else if (kind == "joined") {
    participant_id_ = json.value("participant_id", std::string());
  } else if (kind == "subscribe_offer") {
    last_subscribe_offer_ = std::move(json);
  }
  return true;
}

void FuzzClient::close(uint16_t code, std::string /*reason*/) {
  if (code < 1000 || code > 4999) fail("close code out of range", std::to_string(code));
  closing_ = true;
}

ControlUnderTest::ControlUnderTest(ControlFlags flags) : config_(control_config(flags)) {
  uv_loop_init(&loop_);
  std::vector<Worker*> pointers;
  for (uint32_t i = 0; i < config_.workers; ++i) {
    auto worker = std::make_unique<Worker>(i, config_, certificate());
    if (Status started = worker->start(); !started)
      fail("setup: worker did not start", started.error().message);
    pointers.push_back(worker.get());
    workers_.push_back(std::move(worker));
  }
  control_ = std::make_unique<ControlPlane>(&loop_, config_, pointers);
  control_->set_deferred_answers(
      [this](uint64_t exchange_id, HttpResponse response) { deferred_[exchange_id] = std::move(response); });
}

ControlUnderTest::~ControlUnderTest() {
  // As the server stops: the control plane first (it closes every session), then the workers,
  // whose late events the closed control queue refuses; then the loop frees the closed handles.
  for (auto& c : clients_)
    if (c) {
      control_->on_ws_close(*c);
      c.reset();
    }
  control_->stop();
  for (auto& worker : workers_) worker->stop();
  control_.reset();
  workers_.clear();
  while (uv_run(&loop_, UV_RUN_NOWAIT) != 0) {
  }
  uv_loop_close(&loop_);
}

FuzzClient& ControlUnderTest::client(size_t index) {
  auto& slot = clients_[index % kClients];
  if (!slot) {
    slot = std::make_unique<FuzzClient>(next_client_id_++);
    control_->on_ws_open(*slot);
  }
  return *slot;
}

void ControlUnderTest::send(size_t index, std::string_view text) {
  FuzzClient& c = client(index);
  if (c.closing()) return;  // HttpServer delivers nothing more once close() was called
  if (text.size() > config_.limits.message_bytes)
    control_->on_ws_protocol_error(
        c, "message larger than " + std::to_string(config_.limits.message_bytes) + " bytes");
  else
    control_->guarded_ws_message(c, text);
  settle();
}

void ControlUnderTest::protocol_error(size_t index, bool binary) {
  FuzzClient& c = client(index);
  if (c.closing()) return;
  control_->on_ws_protocol_error(
      c, binary ? "binary messages are not supported" : "message larger than 1 bytes");
  settle();
}

void ControlUnderTest::disconnect(size_t index) {
  auto& slot = clients_[index % kClients];
  if (!slot) return;
  control_->on_ws_close(*slot);
  slot.reset();
  settle();
}

HttpResponse ControlUnderTest::http(const HttpRequest& request) {
  HttpResponse response = checked_http(request);
  settle();
  return response;
}

void ControlUnderTest::settle() {
  // A round trip through every worker runs what was posted before it; the control loop then runs
  // what the workers sent back. Only a connection closed by the server posts more (its leave).
  for (int round = 0; round < 4; ++round) {
    for (auto& worker : workers_) {
      auto done = std::make_shared<std::promise<void>>();
      auto future = done->get_future();
      bool posted = false;
      for (int attempt = 0; !posted && attempt < 1000; ++attempt) {
        posted = worker->post([done](Worker&) { done->set_value(); });
        if (!posted) std::this_thread::sleep_for(std::chrono::milliseconds(1));
      }
      if (!posted || future.wait_for(kWorkerDeadline) != std::future_status::ready)
        fail("a worker stopped answering", "worker " + std::to_string(worker->index()));
    }
    uv_run(&loop_, UV_RUN_NOWAIT);
    if (!report_closed_clients()) return;
  }
}

bool ControlUnderTest::report_closed_clients() {
  // A WebSocket the server closed is reported closed once the close handshake is over.
  bool reported = false;
  for (auto& c : clients_)
    if (c && c->closing()) {
      control_->on_ws_close(*c);
      c.reset();
      reported = true;
    }
  return reported;
}

void ControlUnderTest::finish() {
  for (auto& c : clients_)
    if (c) {
      control_->on_ws_close(*c);
      c.reset();
    }
  settle();
  check_nothing_left();
}

HttpResponse ControlUnderTest::checked_http(const HttpRequest& original) {
  HttpRequest request = original;
  request.exchange_id = ++last_exchange_id_;
  HttpResponse response = control_->guarded_http(request);
  if (response.deferred) {
    // Answered later (GET /v1/rooms/{name}), once the worker's reply reaches the control loop.
    settle();
    auto answer = deferred_.find(request.exchange_id);
    if (answer == deferred_.end())
      fail("a deferred HTTP answer never came", request.method + " " + request.path);
    response = std::move(answer->second);
    deferred_.erase(answer);
  }
  trace(request.method + " " + request.path + " -> " + std::to_string(response.status), response.body);
  check_http_response(request, response);
  return response;
}

void ControlUnderTest::check_nothing_left() {
  HttpRequest list;
  list.method = "GET";
  list.path = "/v1/rooms";
  list.headers["authorization"] = "Bearer " + signed_tokens()[kAdminToken];
  HttpResponse rooms = checked_http(list);
  if (rooms.status != 200) fail("GET /v1/rooms as admin failed", rooms.body);
  const nlohmann::json listed = nlohmann::json::parse(rooms.body);
  for (const auto& room : listed["rooms"]) {
    if (room["participants"] != 0) fail("a participant outlived its closed connection", rooms.body);
    HttpRequest detail = list;
    detail.path += "/" + room["name"].get<std::string>();
    HttpResponse described = checked_http(detail);
    if (described.status != 200) fail("GET of a listed room failed", described.body);
    if (!nlohmann::json::parse(described.body)["participants"].empty())
      fail("a participant outlived its closed connection on the worker", described.body);
  }
  HttpRequest metrics = list;
  metrics.path = "/metrics";
  const HttpResponse exported = checked_http(metrics);
  for (const auto& line : split_lines(exported.body))
    if (line.rfind("sfu_internal_errors_total{", 0) == 0 && line.substr(line.rfind(' ') + 1) != "0")
      fail("an exception was caught at a handler boundary", line);
}

std::string ControlUnderTest::expand(std::string_view input) {
  std::string text(input);
  if (text.find('$') == std::string::npos) return text;
  replace_placeholder(text, "$TOKEN", true, [](int n) { return signed_tokens()[static_cast<size_t>(n)]; });
  replace_placeholder(text, "$P", true, [this](int n) {
    auto& slot = clients_[static_cast<size_t>(n) % kClients];
    return slot ? slot->participant_id() : std::string("p-gone");
  });
  replace_placeholder(text, "$OFFER", false, [](int) { return publish_offer_sdp(); });
  replace_placeholder(text, "$ANSWER", true, [this](int n) {
    auto& slot = clients_[static_cast<size_t>(n) % kClients];
    return slot ? subscribe_answer_sdp(slot->last_subscribe_offer()) : std::string();
  });
  return text;
}

std::vector<std::string_view> split_lines(std::string_view data) {
  std::vector<std::string_view> lines;
  size_t start = 0;
  while (start <= data.size()) {
    size_t end = data.find('\n', start);
    if (end == std::string_view::npos) end = data.size();
    lines.push_back(data.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

}  // namespace sfu::fuzz
