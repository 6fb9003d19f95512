// The server's configuration: typed values, the embedded default, and the loader that validates
// YAML against the schema. Every key the YAML may hold is a field here.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/logger.h"

namespace sfu::config {

// The log levels are the logger's own (base/logger.h); the config only chooses one.
using ::sfu::LogLevel;

struct HttpConfig {
  std::string host;  // from http.listen "host:port"
  uint16_t port = 0;
  // Origins (scheme://host[:port]) whose pages may open the signaling WebSocket. Empty = the
  // server's own origin and pages served from loopback hosts.
  std::vector<std::string> allowed_origins;
  uint32_t max_connections = 0;              // open HTTP/WebSocket connections in total
  uint32_t max_connections_per_address = 0;  // ... from one source IP address
  uint32_t websocket_ping_interval_s = 0;    // a silent WebSocket is pinged after this long
  uint32_t websocket_idle_timeout_s = 0;     // ... and closed when nothing arrives for this long
};

// The signaling WebSocket's sessions.
struct SignalingConfig {
  // A participant whose WebSocket is lost stays in its room this long, waiting for a resume with
  // its token; 0 = it leaves at once.
  uint32_t resume_grace_s = 0;
};

// Which implementation protects and unprotects SRTP (the rtp layer's SrtpBackend; config knows
// only the choice). OpenSSL's libcrypto directly, or libsrtp2 for platforms whose libsrtp2 is
// built on OpenSSL.
enum class SrtpBackendChoice { OpenSsl, Libsrtp2 };

// "openssl" / "libsrtp2", as the YAML and the start-up log name them.
const char* srtp_backend_choice_name(SrtpBackendChoice choice);
std::optional<SrtpBackendChoice> srtp_backend_choice_from_name(std::string_view name);

struct RtcConfig {
  uint16_t udp_port = 0;     // worker i listens on udp_port + i
  std::string announced_ip;  // put in ICE candidates when announced_addresses is empty
  // The addresses put in ICE candidates, IPv4 and IPv6, most preferred first (the first is the
  // default candidate); empty = announced_ip alone. The loader refuses both keys in one file.
  std::vector<std::string> announced_addresses;
  std::string bind_ip;  // empty = see bind_ip_for()
  uint32_t consent_timeout_s = 0;
  uint32_t dtls_handshake_timeout_s = 0;  // counted from the remote description (or first check)
  uint32_t join_timeout_s = 0;  // a participant with no connected transport this long after join is removed
  uint32_t udp_recv_buffer_bytes = 0;
  uint32_t udp_send_buffer_bytes = 0;
  // ICE-TCP (RFC 6544 passive candidates): worker i also listens on TCP port tcp_port + i.
  // nullopt (YAML 0) = no ICE-TCP; 0 (tests only, the schema maps 0 to nullopt) = any free port.
  std::optional<uint16_t> tcp_port;
  uint32_t tcp_max_pending = 0;              // per worker: connections with no valid ICE check yet
  uint32_t tcp_max_pending_per_address = 0;  // ... from one source IP address
  uint32_t tcp_pending_timeout_s = 0;        // a connection with no valid ICE check this long is closed
  SrtpBackendChoice srtp_backend = SrtpBackendChoice::OpenSsl;

  // More addresses make every m-section's candidate list longer (two lines per address).
  static constexpr size_t kMaxAnnouncedAddresses = 4;

  // announced_addresses, or announced_ip alone when that list is empty.
  std::vector<std::string> resolved_announced_addresses() const;
  // The address a worker's sockets of one family (IPv6 when `v6`) bind; "" when no announced
  // address is of that family (no socket). rtc.bind_ip when it is of that family; else the one
  // announced address of the family when it is a loopback one (nothing listens on the host's
  // other interfaces); else the family's wildcard (0.0.0.0, or :: IPv6-only), whose replies
  // leave from the address each peer sent to (IP_PKTINFO, see net/udp_socket.h). A reply must:
  // a browser drops an answer to its check of 127.0.0.1 that comes from the host's own address.
  std::string bind_ip_for(bool v6) const;
};

struct DtlsConfig {
  std::string certificate_file;  // PEM; empty = generate an ECDSA P-256 certificate at start-up
  std::string private_key_file;
};

struct LimitsConfig {
  uint32_t rooms = 0;
  uint32_t participants_per_room = 0;
  uint32_t tracks_per_participant = 0;
  uint32_t message_bytes = 0;           // largest signaling WebSocket message / REST body
  uint32_t worker_queue_messages = 0;   // bound of each control<->worker message queue
  uint32_t control_queue_messages = 0;  // bound of the workers->control queue (join admission budget)
  uint32_t participants = 0;            // participants on the whole server
  uint32_t ssrcs_per_transport = 0;     // distinct inbound SSRCs one SRTP session may learn
  uint32_t empty_room_grace_s = 0;      // a room created by join is freed this long after it empties
};

// Per-subscriber protections on the media path.
struct MediaConfig {
  uint32_t retransmissions_per_second = 0;      // NACK answers one subscriber may get per second
  uint32_t keyframe_request_interval_ms = 0;    // one subscriber's PLI/FIR reach a track at most this often
  uint32_t publisher_keyframe_interval_ms = 0;  // a publisher is asked for a keyframe at most this often
  bool dynacast = false;                        // publishers are told to stop simulcast layers nobody needs
  uint32_t dynacast_off_delay_ms = 0;           // a layer unneeded this long is turned off (on: at once)
};

// Audio levels (RFC 6464) and what the room does with them (docs/protocol.md, "Active speakers").
struct AudioConfig {
  bool active_speakers = false;            // send `active_speakers` events
  uint32_t active_level_dbov = 0;          // a packet at most this many dB below overload counts as voice
  uint32_t speaker_events_per_second = 0;  // at most this many active_speakers events per second
  uint32_t forward_loudest = 0;            // forward only the N loudest audio tracks; 0 = all
  bool red = true;                         // negotiate audio RED (RFC 2198) when a publisher offers it
};

// Congestion control toward each subscriber (docs/protocol.md, "Bandwidth allocation"): its
// send-side estimate shared among its tracks, and probing for more.
struct BandwidthConfig {
  bool allocation = true;            // share the estimate among the subscriber's tracks (else forward all)
  bool probing = false;              // padding clusters on RTX when the estimate holds layers back
  uint32_t up_hold_ms = 0;           // a higher layer or a resume must fit this long first
  uint32_t up_headroom_percent = 0;  // ... with this much of its cost to spare
  uint32_t pause_hold_ms = 0;        // a video is paused only after its lowest layer has not fit this long
  uint32_t down_hold_ms = 0;         // no loss: a lower layer only once the current has not fit this long
  uint32_t event_interval_ms = 0;    // the `bandwidth` event to each subscriber; 0 = none
  // The highest-priority video keeps its lowest layer (not paused) up to this share over the estimate.
  uint32_t lowest_layer_oversend_percent = 0;
  bool pacing = false;               // pace each subscriber's packets at its estimate (sfu/media/pacer.h)
  double pacing_factor = 0;          // the pacing rate is the estimate times this
  uint32_t pacer_queue_packets = 0;  // packets a subscriber's pacer may hold (oldest video dropped past it)
  uint32_t pacer_max_delay_ms = 0;   // a queue holding more than this long is sent at once
};

// WebRTC data channels (SCTP over DTLS), relayed between the participants of a room.
struct DataChannelsConfig {
  bool enabled = false;                   // false: m=application is rejected (port 0)
  uint16_t sctp_port = 0;                 // our a=sctp-port
  uint32_t max_message_bytes = 0;         // our a=max-message-size: the largest message taken and relayed
  uint32_t channels_per_participant = 0;  // data channels one participant may open
  uint32_t send_buffer_bytes = 0;         // queued bytes per subscriber association before drops/closes
  uint32_t bytes_per_second_per_participant = 0;  // what one participant may send; 0 = unlimited
  uint32_t burst_bytes = 0;                       // ... in bursts up to this many bytes
};

// How the participants of one room are placed on the workers (docs/protocol.md, "Rooms across
// workers").
enum class SpanWorkers : uint8_t {
  Off,         // a room lives on one worker (the least loaded when it is created)
  Auto,        // a new participant may go to another, less loaded worker than the room's others
  RoundRobin,  // tests only: the n-th participant of a room goes to worker n mod workers
};

struct RoomsConfig {
  SpanWorkers span_workers = SpanWorkers::Auto;
  // Auto: a room takes a new worker only when that one carries at least this many fewer
  // participants than the least loaded of the room's workers.
  uint32_t span_margin = 0;
  uint32_t ring_packets = 0;  // slots of each inter-worker ring (per direction and worker pair)
};

struct MetricsConfig {
  bool require_auth = false;  // /metrics needs the admin token (auth.enabled must be true)
};

struct AuthConfig {
  bool enabled = false;
  std::string secret;                      // empty or at least kMinSecretBytes (checked at load)
  bool allow_public_without_auth = false;  // bind a non-loopback address with auth off anyway
  uint32_t clock_skew_s = 0;               // leeway for a token's exp and nbf, either way
  std::string audience;                    // not empty: a token's `aud` must contain it
  std::string issuer;                      // not empty: a token's `iss` must equal it
  uint32_t kick_ban_s = 0;                 // a kicked identity may not rejoin that room for this long

  // HS256 keys shorter than the hash's output can be brute-forced offline (RFC 7518 section 3.2).
  static constexpr size_t kMinSecretBytes = 32;
};

// TURN relays (coturn) for clients that cannot reach the media ports directly (docs/protocol.md,
// 2.6 "TURN relays"). The server runs no relay itself: it hands each participant `ice_servers` with
// credentials of the TURN REST API scheme (draft-uberti-behave-turn-rest), which coturn checks
// with the same shared secret (`use-auth-secret`, `static-auth-secret`).
struct TurnConfig {
  std::vector<std::string> urls;  // turn: / turns: URLs for clients; empty = TURN off
  std::string secret;             // coturn's static-auth-secret; at least kMinSecretBytes, required with urls
  uint32_t ttl_s = 0;             // how long a participant's credentials stay valid after its join

  // An HMAC key shorter than this can be found offline from one credential, which then lets anyone
  // mint their own; the same bound as auth.secret.
  static constexpr size_t kMinSecretBytes = 32;
  bool enabled() const { return !urls.empty(); }
};

// Cluster mode (docs/protocol.md, "Cluster"): Redis holds the node registry and the room directory,
// REST changes reach a room's home node over pub/sub, and joins for a room homed elsewhere get a
// `redirect`. Off by default: a single node needs no Redis.
struct ClusterConfig {
  bool enabled = false;
  std::string redis_url;      // redis://host:port
  std::string node_id;        // "" = hostname + random suffix, chosen at start-up
  std::string advertise;      // this node's public http:// base URL; "" = from http.listen
  std::string secret;         // HMAC-SHA256 key of every pub/sub message; at least kMinSecretBytes
  uint32_t refresh_s = 1;     // the node's registry entry and rooms are written this often
  uint32_t dead_after_s = 3;  // ... and expire this long after the last write
  // A Redis connection not up, or a command on it not answered, in this long is dropped and made again.
  uint32_t redis_timeout_ms = 1000;
  // The media relay between nodes of a room that spans them: each worker's relay socket binds
  // relay_address:relay_port + worker index (relay_port 0: a free port each).
  std::string relay_address = "127.0.0.1";
  uint32_t relay_port = 0;
  // Each relay link's DTLS handshake fails when not done in this long, and a failed one is tried
  // again this long after.
  uint32_t relay_handshake_timeout_s = 10;
  uint32_t relay_handshake_retry_s = 2;
  // A join for a room homed on another node joins here (the room spans both) when the home has this
  // many participants of it; 0 = no limit (redirect to the home, unless the join says `stay`).
  uint32_t max_room_participants_per_node = 0;
  // Where the node is (e.g. "eu-west"), published in its registry entry: a join reaching it for a
  // room homed on a node of another region stays here (the room spans), and a new room asked for
  // here gets a home of this region while one is live. "" = no region (placement by load only).
  std::string region;
  static constexpr size_t kMaxRegionLength = 32;
  static constexpr size_t kMinSecretBytes = 32;
};

struct Config {
  HttpConfig http;
  SignalingConfig signaling;
  uint32_t workers = 0;  // 0 = auto: one per core
  RtcConfig rtc;
  DtlsConfig dtls;
  LimitsConfig limits;
  MediaConfig media;
  BandwidthConfig bandwidth;
  AudioConfig audio;
  DataChannelsConfig data_channels;
  RoomsConfig rooms;
  MetricsConfig metrics;
  LogLevel log_level = LogLevel::Info;
  AuthConfig auth;
  TurnConfig turn;
  ClusterConfig cluster;

  // Worker threads to start: `workers`, or the number of cores when it is auto.
  uint32_t resolved_workers() const;
  // The UDP port of the last worker: rtc.udp_port + resolved_workers() - 1. Start-up refuses a
  // value over 65535 (the loader cannot: with `workers: auto` it depends on the machine).
  uint32_t last_udp_port() const { return uint32_t{rtc.udp_port} + resolved_workers() - 1; }
  // The same for ICE-TCP: rtc.tcp_port + resolved_workers() - 1; 0 when ICE-TCP is off.
  uint32_t last_tcp_port() const {
    return rtc.tcp_port ? uint32_t{*rtc.tcp_port} + resolved_workers() - 1 : 0;
  }
};

struct ConfigError {
  std::string source;   // file name, or "<default>"
  std::string key;      // dotted path, e.g. "rtc.udp_port"
  int line = 0;         // 1-based; 0 when unknown (e.g. the file could not be read)
  std::string message;  // what was expected
  std::string to_string() const;
};

using ConfigResult = std::variant<Config, ConfigError>;

// The embedded default configuration, as YAML with comments (`sfu --print-default-config`).
std::string_view default_config_yaml();

// Parses YAML text on top of the embedded default: keys present override, others keep defaults.
ConfigResult load_config_text(std::string_view yaml_text, std::string_view source_name);
// Reads and parses a file; an unreadable file is a ConfigError too.
ConfigResult load_config_file(const std::string& path);
// The embedded default alone.
Config default_config();

using ::sfu::log_level_name;

}  // namespace sfu::config
