#include "sfu/server.h"

#include <csignal>
#include <fstream>
#include <sstream>

#include "base/logger.h"
#include "base/socket_address.h"
#include "dtls/dtls_certificate.h"
#include "sfu/control/control_plane.h"
#include "sfu/media/worker.h"

namespace sfu {
namespace {

std::string comma_joined(const std::vector<std::string>& items) {
  std::string out;
  for (const std::string& item : items) out.append(out.empty() ? "" : ",").append(item);
  return out;
}

// What a worker listens on, one address per family: udp=127.0.0.1:40000,[::1]:40000.
void log_worker_listening(const Worker& worker, const config::Config& config) {
  std::vector<std::string> udp, tcp;
  for (const net::UdpSocket* socket : {worker.udp_sockets().v4, worker.udp_sockets().v6})
    if (socket) udp.push_back(socket->local_address().to_string());
  for (const SocketAddress& listener : worker.tcp_addresses()) tcp.push_back(listener.to_string());
  log_info("main", "worker listening",
           {{"worker", std::to_string(worker.index())},
            {"udp", comma_joined(udp)},
            {"ice_tcp", tcp.empty() ? std::string("off") : comma_joined(tcp)},
            {"announced_ip", comma_joined(config.rtc.resolved_announced_addresses())}});
}

Result<std::shared_ptr<dtls::DtlsCertificate>> load_certificate(const config::Config& config) {
  std::string reason;
  if (config.dtls.certificate_file.empty()) {
    if (auto generated = dtls::DtlsCertificate::generate(&reason)) return generated;
    return Error{ErrorCode::internal_error, reason};
  }
  auto read = [](const std::string& path, std::string* out) {
    std::ifstream in(path);
    if (!in) return false;
    std::stringstream buffer;
    buffer << in.rdbuf();
    *out = buffer.str();
    return true;
  };
  std::string cert_pem, key_pem;
  if (!read(config.dtls.certificate_file, &cert_pem))
    return Error{ErrorCode::internal_error,
                 "cannot read dtls.certificate_file " + config.dtls.certificate_file};
  if (!read(config.dtls.private_key_file, &key_pem))
    return Error{ErrorCode::internal_error,
                 "cannot read dtls.private_key_file " + config.dtls.private_key_file};
  if (auto loaded = dtls::DtlsCertificate::load_pem(cert_pem, key_pem, &reason)) return loaded;
  return Error{ErrorCode::internal_error, reason};
}

// The TURN relays every `joined` names, if any. The secret never goes into a log.
void log_turn(const config::TurnConfig& turn) {
  if (!turn.enabled()) return;
  std::string urls;
  for (const std::string& url : turn.urls) urls += (urls.empty() ? "" : ",") + url;
  log_info("main", "turn credentials enabled", {{"urls", urls}, {"ttl_s", std::to_string(turn.ttl_s)}});
}

}  // namespace

Server::Server(config::Config config) : config_(std::move(config)) { uv_loop_init(&loop_); }

Server::~Server() {
  for (auto& worker : workers_) worker->stop();
  workers_.clear();
  uv_run(&loop_, UV_RUN_NOWAIT);
  uv_loop_close(&loop_);
}

void Server::drain_loop() {
  // libwebsockets finishes its teardown in loop callbacks (closing uv handles); run the loop
  // until nothing is left, bounded in case something never closes.
  for (int i = 0; i < 200 && uv_run(&loop_, UV_RUN_NOWAIT) != 0; ++i) uv_sleep(1);
}

int Server::run() {
  auto listen = SocketAddress::from_ip(config_.http.host, config_.http.port);
  if (!listen->is_loopback() && !config_.auth.enabled && !config_.auth.allow_public_without_auth) {
    log_error("main", "refusing to listen on a non-loopback address with auth off",
              {{"http.listen", listen->to_string()},
               {"hint", "set auth.enabled: true with a secret, or auth.allow_public_without_auth: true"}});
    return 2;
  }
  if (config_.auth.enabled && config_.auth.secret.empty()) {
    log_error("main", "auth.enabled is true but auth.secret is empty");
    return 2;
  }
  if (config_.metrics.require_auth && !config_.auth.enabled) {
    log_error("main",
              "metrics.require_auth is true but auth.enabled is false: there is no admin token to check",
              {{"hint", "set auth.enabled: true with a secret, or metrics.require_auth: false"}});
    return 2;
  }
  // Worker i binds rtc.udp_port + i; past 65535 the port would wrap (to 0, a random port, or low ports).
  if (config_.last_udp_port() > 65535) {
    log_error("main", "UDP ports past 65535: worker i binds rtc.udp_port + i",
              {{"rtc.udp_port", std::to_string(config_.rtc.udp_port)},
               {"workers", std::to_string(config_.resolved_workers())},
               {"last_udp_port", std::to_string(config_.last_udp_port())},
               {"hint", "lower rtc.udp_port or workers"}});
    return 2;
  }
  if (config_.last_tcp_port() > 65535) {
    log_error("main", "TCP ports past 65535: worker i binds rtc.tcp_port + i",
              {{"rtc.tcp_port", std::to_string(*config_.rtc.tcp_port)},
               {"workers", std::to_string(config_.resolved_workers())},
               {"last_tcp_port", std::to_string(config_.last_tcp_port())},
               {"hint", "lower rtc.tcp_port or workers, or 0 for no ICE-TCP"}});
    return 2;
  }

  auto loaded = load_certificate(config_);
  if (!loaded) {
    log_error("main", "DTLS certificate unavailable", {{"error", loaded.error().message}});
    return 1;
  }
  std::shared_ptr<dtls::DtlsCertificate> certificate = std::move(loaded.value());
  log_info("main", "DTLS certificate ready",
           {{"fingerprint", "sha-256 " + certificate->fingerprint_sha256()},
            {"source", config_.dtls.certificate_file.empty() ? "generated" : config_.dtls.certificate_file}});

  uint32_t count = config_.resolved_workers();
  for (uint32_t i = 0; i < count; ++i) {
    auto worker = std::make_unique<Worker>(i, config_, certificate);
    if (Status started = worker->start(); !started) {
      log_error("main", "worker failed to start",
                {{"worker", std::to_string(i)}, {"error", started.error().message}});
      return 1;
    }
    log_worker_listening(*worker, config_);
    workers_.push_back(std::move(worker));
  }

  std::vector<Worker*> worker_pointers;
  for (auto& worker : workers_) worker_pointers.push_back(worker.get());
  auto control = std::make_unique<ControlPlane>(&loop_, config_, worker_pointers);
  if (Status started = control->start(); !started) {
    log_error("main", "HTTP server failed to start",
              {{"listen", listen->to_string()}, {"error", started.error().message}});
    control->stop();
    control.reset();
    drain_loop();
    for (auto& worker : workers_) worker->stop();
    return 1;
  }
  std::string base = "http://" + (listen->is_v6() ? "[" + listen->ip_string() + "]" : listen->ip_string()) +
                     ":" + std::to_string(control->port());
  log_info("main", "http listening",
           {{"demo", base + "/"},
            {"signaling", base + "/v1/rtc"},
            {"rest", base + "/v1/rooms"},
            {"metrics", base + "/metrics"}});
  log_turn(config_.turn);

  uv_signal_t sigint, sigterm;
  uv_signal_init(&loop_, &sigint);
  uv_signal_init(&loop_, &sigterm);
  auto on_signal = [](uv_signal_t* handle, int signum) {
    log_info("main", "stop signal received", {{"signal", signum == SIGINT ? "SIGINT" : "SIGTERM"}});
    uv_stop(handle->loop);
  };
  uv_signal_start(&sigint, on_signal, SIGINT);
  uv_signal_start(&sigterm, on_signal, SIGTERM);
  std::signal(SIGPIPE, SIG_IGN);

  log_info("main", "sfu ready",
           {{"workers", std::to_string(count)},
            {"srtp", config::srtp_backend_choice_name(config_.rtc.srtp_backend)}});
  uv_run(&loop_, UV_RUN_DEFAULT);

  // Signaling first (sessions close), then the workers (rooms and transports), then the loop's
  // remaining handles.
  control->stop();
  for (auto& worker : workers_) worker->stop();
  control.reset();
  workers_.clear();
  uv_close(reinterpret_cast<uv_handle_t*>(&sigint), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&sigterm), nullptr);
  drain_loop();
  log_info("main", "stopped cleanly");
  return 0;
}

}  // namespace sfu
