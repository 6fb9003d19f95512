#include "config/config.h"

namespace sfu::config {

// Keep in step with the schema in config_loader.cpp and the "Configuration" section of docs/protocol.md.
std::string_view default_config_yaml() {
  return R"(# sfu configuration. Every key is optional; these are the defaults.
http:
  listen: 127.0.0.1:8080     # control plane: REST, WebSocket, metrics, demo page
workers: auto                # worker threads; auto = one per core
rtc:
  udp_port: 40000            # worker i listens on udp_port + i
  announced_ip: 127.0.0.1    # the address put in ICE candidates
  bind_ip: ""                # "" = announced_ip when it is loopback, else all interfaces
  consent_timeout_s: 30      # no valid ICE check for this long closes a connection (RFC 7675)
  dtls_handshake_timeout_s: 30
  udp_recv_buffer_bytes: 4194304
  udp_send_buffer_bytes: 4194304
dtls:
  certificate_file: ""       # PEM; empty = generate an ECDSA P-256 certificate at start-up
  private_key_file: ""
limits:
  rooms: 1000
  participants_per_room: 100
  tracks_per_participant: 8
  message_bytes: 65536       # largest signaling message or REST body
  worker_queue_messages: 4096
log:
  level: info                # trace, debug, info, warn, error
auth:
  enabled: false
  secret: ""
  allow_public_without_auth: false  # allow binding a non-loopback address with auth off
)";
}

}  // namespace sfu::config
