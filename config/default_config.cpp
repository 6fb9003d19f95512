#include "config/config.h"

namespace sfu::config {

// Keep in step with the schema in config_loader.cpp and the "Configuration" section of docs/protocol.md.
std::string_view default_config_yaml() {
  return R"(# sfu configuration. Every key is optional; these are the defaults.
http:
  listen: 127.0.0.1:8080     # control plane: REST, WebSocket, metrics, demo page
  allowed_origins: []        # pages that may open the WebSocket; [] = this server's own origin and loopback pages
  max_connections: 10000     # open HTTP and WebSocket connections in total
  max_connections_per_address: 100  # ... from one source IP address
  websocket_ping_interval_s: 20     # a silent WebSocket gets a ping after this long
  websocket_idle_timeout_s: 60      # ... and is closed when nothing at all arrives for this long
signaling:
  resume_grace_s: 20         # a participant whose WebSocket is lost waits this long for a resume; 0 = leaves at once
workers: auto                # worker threads; auto = one per core
rtc:
  udp_port: 40000            # worker i listens on udp_port + i
  announced_ip: 127.0.0.1    # the address put in ICE candidates (one; see announced_addresses)
  announced_addresses: []    # several, IPv4 and IPv6, most preferred first, e.g. [203.0.113.5, "2001:db8::5"]; [] = [announced_ip]
  bind_ip: ""                # "" = per address family: its one announced address when that is loopback, else all interfaces
  consent_timeout_s: 30      # no valid ICE check for this long closes a connection (RFC 7675)
  dtls_handshake_timeout_s: 30  # counted from the peer's SDP (or its first ICE check), not from join
  join_timeout_s: 600        # a participant none of whose connections is up this long after join is removed
  udp_recv_buffer_bytes: 4194304
  udp_send_buffer_bytes: 4194304
  tcp_port: 40000            # ICE-TCP: worker i also listens on TCP port tcp_port + i; 0 = no ICE-TCP
  tcp_max_pending: 256       # per worker: TCP connections that have not sent a valid ICE check yet
  tcp_max_pending_per_address: 16  # ... from one IP address
  tcp_pending_timeout_s: 5   # a TCP connection with no valid ICE check this long is closed
  srtp_backend: openssl      # SRTP on OpenSSL's libcrypto directly; libsrtp2 = through libsrtp2
dtls:
  certificate_file: ""       # PEM; empty = generate an ECDSA P-256 certificate at start-up
  private_key_file: ""
limits:
  rooms: 1000
  participants_per_room: 100
  tracks_per_participant: 8
  message_bytes: 524288      # largest signaling message or REST body (a subscribe answer: ~2.7 KB per audio+video publisher)
  worker_queue_messages: 4096
  control_queue_messages: 65536  # workers -> signaling thread; joins wait (overloaded) rather than overflow it
  participants: 10000        # participants on the whole server
  ssrcs_per_transport: 64    # inbound SSRCs one connection may use
  empty_room_grace_s: 60     # a room created by join is freed this long after its last participant leaves
media:
  retransmissions_per_second: 1000    # NACK answers per subscriber per second
  keyframe_request_interval_ms: 1000  # one subscriber's PLI/FIR forwarded at most this often per track
  publisher_keyframe_interval_ms: 500 # a publisher is asked for a keyframe at most this often
  dynacast: true             # tell publishers to stop simulcast layers no subscriber needs (publisher_layers)
  dynacast_off_delay_ms: 3000  # a layer turns off after nobody needed it this long; back on at once
bandwidth:
  allocation: true           # share each subscriber's bandwidth estimate among its tracks (audio first; video layers, paused when nothing fits)
  probing: true              # probe with padding on RTX when the estimate holds back layers the subscriber wants
  up_hold_ms: 2000           # a higher layer (or a resume) must fit this long before it is taken
  up_headroom_percent: 15    # ... with this much of its cost to spare; lower layers are taken at once
  pause_hold_ms: 1000        # a video is paused only after even its lowest layer has not fit this long
  down_hold_ms: 2000         # while the link loses nothing, a lower layer only after the current one has not fit this long
  lowest_layer_oversend_percent: 20  # the highest-priority video keeps its lowest layer, not paused, while the estimate left covers its cost less this share
  event_interval_ms: 1000    # the `bandwidth` event to each subscriber (at most 1/s); 0 = none
  pacing: false              # pace each subscriber's packets at its estimate x pacing_factor (audio, RTCP and probes never held); off for now, see Known gaps
  pacing_factor: 2.5         # the pacing rate is the estimate times this (libwebrtc's)
  pacer_queue_packets: 512   # packets one subscriber's pacer may hold; past it its oldest video packet is dropped (counted)
  pacer_max_delay_ms: 500    # a pacer queue holding more than this long (or this much data) is sent at once (counted)
audio:
  active_speakers: true      # send the room active_speakers events from the RFC 6464 audio levels
  active_level_dbov: 40      # a packet at most this many dB below overload (RFC 6464 -dBov) counts as voice
  speaker_events_per_second: 2  # at most this many active_speakers events per second, only on change
  forward_loudest: 0         # forward only the N loudest audio tracks to each subscriber; 0 = all
  red: true                  # take audio RED (RFC 2198) from publishers that offer it; subscribers without it get plain Opus
data_channels:
  enabled: true              # false: data channel m-sections (m=application) are rejected with port 0
  sctp_port: 5000            # the server's a=sctp-port
  max_message_bytes: 262144  # largest data channel message (our a=max-message-size)
  channels_per_participant: 16        # data channels one participant may open
  send_buffer_bytes: 1048576          # bytes queued per subscriber association; past it unreliable messages drop, reliable channels close
  bytes_per_second_per_participant: 2097152  # data one participant may send per second; 0 = unlimited
  burst_bytes: 4194304       # ... in bursts up to this many bytes
rooms:
  span_workers: auto         # auto: a room's participants are placed on workers by load; off: one worker per room
  span_margin: 8             # auto: a room takes another worker only when it carries this many fewer participants
  ring_packets: 1024         # packets each inter-worker ring holds (per direction and pair of workers)
metrics:
  require_auth: false        # true: /metrics needs the admin token (auth must be enabled)
log:
  level: info                # trace, debug, info, warn, error
auth:
  enabled: false
  secret: ""                 # the HS256 key: at least 32 bytes (e.g. openssl rand -base64 32)
  allow_public_without_auth: false  # allow binding a non-loopback address with auth off
  clock_skew_s: 30           # a token's exp and nbf are accepted this many seconds either side
  audience: ""               # "" = not checked; else a token's aud must contain it
  issuer: ""                 # "" = not checked; else a token's iss must equal it
  kick_ban_s: 60             # a kicked participant's identity may not rejoin that room for this long
turn:
  urls: []                   # TURN servers (coturn) for clients, e.g. [turn:turn.example.com:3478?transport=udp]; [] = off
  secret: ""                 # coturn's static-auth-secret (use-auth-secret): at least 32 bytes, required with urls
  ttl_s: 86400               # a participant's TURN credentials are valid this long after its join
cluster:
  enabled: false             # true: join the cluster on redis_url (node registry, room directory, redirects)
  redis_url: redis://127.0.0.1:6379
  node_id: ""                # "" = hostname plus a random suffix
  advertise: ""              # this node's public base URL, e.g. http://10.0.0.5:8080; "" = from http.listen
  secret: ""                 # HMAC key of the nodes' pub/sub messages: at least 32 bytes, required when enabled
  refresh_s: 1               # the node's registry entry and rooms are refreshed this often
  dead_after_s: 3            # a node that stops refreshing is dead this long after its last refresh
  redis_timeout_ms: 1000     # a Redis connection not up, or a command on it not answered, in this long is made again
  relay_address: 127.0.0.1   # the media relay between nodes (rooms spanning nodes): each worker's UDP socket
  relay_port: 0              # ... binds relay_port + worker index; 0 = a free port each (advertised in the registry)
  relay_handshake_timeout_s: 10  # a relay link's DTLS handshake not done in this long fails
  relay_handshake_retry_s: 2     # ... and a failed one is tried again this long after
  max_room_participants_per_node: 0  # a join on a node that is not the room's home stays there (the room spans) once the home has this many; 0 = always redirect (unless the join says stay)
  region: ""                 # this node's region, 1-32 of [a-z0-9-] (e.g. eu-west): joins from clients that reached it stay for rooms homed in another region, and new rooms asked for here get a home here or in the same region; "" = none
)";
}

}  // namespace sfu::config
