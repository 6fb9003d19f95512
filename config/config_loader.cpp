// Validates YAML against the schema below and fills a Config. Any unknown key, wrong type or
// out-of-range value is an error naming the key, its line and what was expected.
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <fstream>
#include <functional>
#include <limits>
#include <map>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "base/socket_address.h"
#include "config/config.h"

namespace sfu::config {
namespace {

// A value check: returns an empty string when the node was applied, else what was expected.
using Apply = std::function<std::string(const YAML::Node&, Config&)>;

std::string scalar_text(const YAML::Node& node) { return node.IsScalar() ? node.Scalar() : std::string(); }

template <typename Member>
Apply uint_in(Member member, uint64_t min, uint64_t max) {
  return [member, min, max](const YAML::Node& node, Config& config) -> std::string {
    std::string expected = "an integer from " + std::to_string(min) + " to " + std::to_string(max);
    if (!node.IsScalar()) return expected;
    const std::string& text = node.Scalar();
    if (text.empty() || text.find_first_not_of("0123456789") != std::string::npos) return expected;
    if (text.size() > 12) return expected;
    uint64_t value = std::stoull(text);
    if (value < min || value > max) return expected;
    member(config) = static_cast<std::remove_reference_t<decltype(member(config))>>(value);
    return {};
  };
}

// A decimal number (e.g. 2.5) from min to max.
template <typename Member>
Apply number_in(Member member, double min, double max) {
  return [member, min, max](const YAML::Node& node, Config& config) -> std::string {
    std::ostringstream expected;
    expected << "a number from " << min << " to " << max;
    if (!node.IsScalar()) return expected.str();
    const std::string& text = node.Scalar();
    if (text.empty() || text.size() > 12 || text.find_first_not_of("0123456789.") != std::string::npos)
      return expected.str();
    std::istringstream in(text);
    double value = 0;
    if (!(in >> value) || !in.eof() || value < min || value > max) return expected.str();
    member(config) = value;
    return {};
  };
}

template <typename Member>
Apply string_field(Member member) {
  return [member](const YAML::Node& node, Config& config) -> std::string {
    if (!node.IsScalar()) return "a string";
    member(config) = node.Scalar();
    return {};
  };
}

template <typename Member>
Apply bool_field(Member member) {
  return [member](const YAML::Node& node, Config& config) -> std::string {
    std::string text = scalar_text(node);
    if (text == "true")
      member(config) = true;
    else if (text == "false")
      member(config) = false;
    else
      return "true or false";
    return {};
  };
}

// A YAML sequence of strings (`[]` or a block list).
template <typename Member>
Apply string_list_field(Member member, const char* expected) {
  return [member, expected](const YAML::Node& node, Config& config) -> std::string {
    if (!node.IsSequence()) return expected;
    std::vector<std::string> values;
    for (const auto& item : node) {
      if (!item.IsScalar() || item.Scalar().empty()) return expected;
      values.push_back(item.Scalar());
    }
    member(config) = std::move(values);
    return {};
  };
}

Apply listen_field() {
  return [](const YAML::Node& node, Config& config) -> std::string {
    const char* expected = "host:port with an IP address and a port from 1 to 65535 (e.g. 127.0.0.1:8080)";
    std::string text = scalar_text(node);
    auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0) return expected;
    std::string host = text.substr(0, colon);
    std::string port = text.substr(colon + 1);
    if (host.size() > 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos)
      return expected;
    unsigned long value = std::stoul(port);
    if (value < 1 || value > 65535 || !SocketAddress::from_ip(host, 0)) return expected;
    config.http.host = host;
    config.http.port = static_cast<uint16_t>(value);
    return {};
  };
}

template <typename Member>
Apply ip_field(Member member, bool allow_empty) {
  return [member, allow_empty](const YAML::Node& node, Config& config) -> std::string {
    std::string text = scalar_text(node);
    if (allow_empty && node.IsScalar() && text.empty()) {
      member(config).clear();
      return {};
    }
    if (!SocketAddress::from_ip(text, 0))
      return allow_empty ? "an IPv4 or IPv6 address, or \"\"" : "an IPv4 or IPv6 address";
    member(config) = text;
    return {};
  };
}

// Why `text` cannot be an announced address, "" when it can: it goes into ICE candidates, so a
// client must be able to send to it as written.
std::string announced_address_problem(const std::string& text) {
  auto address = SocketAddress::from_ip(text, 0);
  if (!address) return "'" + text + "' is not an IPv4 or IPv6 address";
  if (address->is_v4()) {
    uint32_t ip = ntohl(address->v4().sin_addr.s_addr);
    if (ip == 0) return "'" + text + "' is the wildcard address; name one clients can reach";
    if ((ip >> 28) == 0xe || ip == 0xffffffffu) return "'" + text + "' is a multicast or broadcast address";
    return {};
  }
  const in6_addr& ip = address->v6().sin6_addr;
  if (IN6_IS_ADDR_UNSPECIFIED(&ip))
    return "'" + text + "' is the wildcard address; name one clients can reach";
  if (IN6_IS_ADDR_MULTICAST(&ip)) return "'" + text + "' is a multicast address";
  if (IN6_IS_ADDR_V4MAPPED(&ip)) return "'" + text + "' is IPv4-mapped; write the IPv4 address";
  if (IN6_IS_ADDR_LINKLOCAL(&ip)) return "'" + text + "' is link-local, which needs an interface zone";
  return {};
}

constexpr const char* kAnnouncedExpected = "an IPv4 or IPv6 address clients can reach";

Apply announced_ip_field() {
  return [](const YAML::Node& node, Config& config) -> std::string {
    std::string problem = announced_address_problem(scalar_text(node));
    if (!problem.empty()) return std::string(kAnnouncedExpected) + " (" + problem + ")";
    config.rtc.announced_ip = node.Scalar();
    return {};
  };
}

// rtc.announced_addresses: distinct announced addresses, at most kMaxAnnouncedAddresses.
Apply announced_addresses_field() {
  return [](const YAML::Node& node, Config& config) -> std::string {
    std::string expected = "a list of at most " + std::to_string(RtcConfig::kMaxAnnouncedAddresses) +
                           " distinct IPv4 or IPv6 addresses clients can reach";
    auto because = [&expected](const std::string& why) {
      return expected.append(" (").append(why).append(")");
    };
    if (!node.IsSequence()) return expected;
    if (node.size() > RtcConfig::kMaxAnnouncedAddresses)
      return because(std::to_string(node.size()) + " given");
    std::vector<std::string> addresses;
    std::vector<SocketAddress> parsed;
    for (const auto& item : node) {
      std::string problem =
          item.IsScalar() ? announced_address_problem(item.Scalar()) : "an entry is not a string";
      if (!problem.empty()) return because(problem);
      auto address = *SocketAddress::from_ip(item.Scalar(), 0);
      if (std::find(parsed.begin(), parsed.end(), address) != parsed.end())
        return because("'" + item.Scalar() + "' is listed twice");
      parsed.push_back(address);
      addresses.push_back(item.Scalar());
    }
    config.rtc.announced_addresses = std::move(addresses);
    return {};
  };
}

// rtc.tcp_port: 0 turns ICE-TCP off (nullopt), 1-65535 is the first worker's port.
Apply tcp_port_field() {
  return [](const YAML::Node& node, Config& config) -> std::string {
    uint32_t port = 0;
    auto into = [&port](Config&) -> uint32_t& { return port; };
    if (!uint_in(into, 0, 65535)(node, config).empty()) return "0 (no ICE-TCP) or a port from 1 to 65535";
    config.rtc.tcp_port = port == 0 ? std::nullopt : std::optional<uint16_t>(static_cast<uint16_t>(port));
    return {};
  };
}

Apply workers_field() {
  return [](const YAML::Node& node, Config& config) -> std::string {
    if (scalar_text(node) == "auto") {
      config.workers = 0;
      return {};
    }
    return uint_in([](Config& c) -> uint32_t& { return c.workers; }, 1, 256)(node, config).empty()
               ? std::string()
               : std::string("auto or an integer from 1 to 256");
  };
}

Apply span_workers_field() {
  return [](const YAML::Node& node, Config& config) -> std::string {
    static const std::map<std::string, SpanWorkers> values = {
        {"off", SpanWorkers::Off}, {"auto", SpanWorkers::Auto}, {"round_robin", SpanWorkers::RoundRobin}};
    auto it = values.find(scalar_text(node));
    if (it == values.end()) return "one of auto, off, round_robin (round_robin is for tests)";
    config.rooms.span_workers = it->second;
    return {};
  };
}

Apply srtp_backend_field() {
  return [](const YAML::Node& node, Config& config) -> std::string {
    auto choice = srtp_backend_choice_from_name(scalar_text(node));
    if (!choice) return "openssl or libsrtp2";
    config.rtc.srtp_backend = *choice;
    return {};
  };
}

Apply log_level_field() {
  return [](const YAML::Node& node, Config& config) -> std::string {
    static const std::map<std::string, LogLevel> levels = {{"trace", LogLevel::Trace},
                                                           {"debug", LogLevel::Debug},
                                                           {"info", LogLevel::Info},
                                                           {"warn", LogLevel::Warn},
                                                           {"error", LogLevel::Error}};
    auto it = levels.find(scalar_text(node));
    if (it == levels.end()) return "one of trace, debug, info, warn, error";
    config.log_level = it->second;
    return {};
  };
}

// cluster.redis_url: redis://host:port (the host a name or an address literal).
Apply redis_url_field() {
  return [](const YAML::Node& node, Config& config) -> std::string {
    const char* expected = "a URL redis://host:port, e.g. redis://127.0.0.1:6379";
    if (!node.IsScalar()) return expected;
    const std::string& url = node.Scalar();
    const std::string scheme = "redis://";
    if (url.rfind(scheme, 0) != 0) return expected;
    size_t colon = url.rfind(':');
    if (colon == std::string::npos || colon < scheme.size() + 1) return expected;
    std::string port = url.substr(colon + 1);
    if (port.empty() || port.size() > 5 || port.find_first_not_of("0123456789") != std::string::npos ||
        std::stoul(port) < 1 || std::stoul(port) > 65535)
      return expected;
    config.cluster.redis_url = url;
    return {};
  };
}

// cluster.node_id: "" or 1-64 of [A-Za-z0-9_.-] (it is part of Redis keys and channel names).
Apply node_id_field() {
  return [](const YAML::Node& node, Config& config) -> std::string {
    const char* expected = "\"\" or 1-64 characters of [A-Za-z0-9_.-]";
    if (!node.IsScalar()) return expected;
    const std::string& id = node.Scalar();
    bool ok = id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
                return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
              });
    if (!ok) return expected;
    config.cluster.node_id = id;
    return {};
  };
}

// cluster.region: "" or 1-32 of [a-z0-9-] (it is compared between nodes' registry entries).
Apply region_field() {
  return [](const YAML::Node& node, Config& config) -> std::string {
    const char* expected = "\"\" or 1-32 characters of [a-z0-9-], e.g. eu-west";
    if (!node.IsScalar()) return expected;
    const std::string& region = node.Scalar();
    bool ok = region.size() <= ClusterConfig::kMaxRegionLength &&
              std::all_of(region.begin(), region.end(), [](char c) {
                return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
              });
    if (!ok) return expected;
    config.cluster.region = region;
    return {};
  };
}

// cluster.advertise: "" or an http:// or https:// base URL without a path.
Apply advertise_field() {
  return [](const YAML::Node& node, Config& config) -> std::string {
    const char* expected = "\"\" or a base URL http://host:port (https:// behind a TLS proxy), no path";
    if (!node.IsScalar()) return expected;
    const std::string& url = node.Scalar();
    if (!url.empty()) {
      size_t start = url.rfind("http://", 0) == 0 ? 7 : url.rfind("https://", 0) == 0 ? 8 : 0;
      bool printable = std::all_of(url.begin(), url.end(), [](char c) { return c > ' ' && c < 0x7f; });
      if (start == 0 || url.size() == start || url.find('/', start) != std::string::npos || !printable)
        return expected;
    }
    config.cluster.advertise = url;
    return {};
  };
}

// A shared secret (auth.secret, turn.secret): "" (none), or a key of at least 32 bytes. `why` says
// what a shorter one would let an attacker do.
template <typename Member>
Apply secret_field(Member member, const char* why) {
  static_assert(AuthConfig::kMinSecretBytes == TurnConfig::kMinSecretBytes, "one bound, one message");
  return [member, why](const YAML::Node& node, Config& config) -> std::string {
    if (!node.IsScalar()) return "a string";
    const std::string& secret = node.Scalar();
    if (!secret.empty() && secret.size() < AuthConfig::kMinSecretBytes)
      return "a secret of at least " + std::to_string(AuthConfig::kMinSecretBytes) + " bytes (" + why +
             "; e.g. openssl rand -base64 32)";
    member(config) = secret;
    return {};
  };
}

// turn.urls: the URLs clients get in `ice_servers` (RFC 7065 turn: and turns: URIs). Only their
// scheme and shape are checked: the client's browser resolves and uses them, not this server.
Apply turn_urls_field() {
  return [](const YAML::Node& node, Config& config) -> std::string {
    const char* expected =
        "a list of turn: or turns: URLs without spaces, e.g. [turn:turn.example.com:3478?transport=udp]";
    if (!node.IsSequence()) return expected;
    std::vector<std::string> urls;
    for (const auto& item : node) {
      if (!item.IsScalar()) return expected;
      const std::string& url = item.Scalar();
      size_t colon = url.find(':');
      std::string scheme = colon == std::string::npos ? std::string() : url.substr(0, colon);
      bool printable = std::all_of(url.begin(), url.end(), [](char c) { return c > ' ' && c < 0x7f; });
      if ((scheme != "turn" && scheme != "turns") || colon + 1 >= url.size() || !printable ||
          url.size() > 256)
        return expected;
      urls.push_back(url);
    }
    config.turn.urls = std::move(urls);
    return {};
  };
}

// What an error says it got: the value, except for a secret, which never goes into a log.
std::string shown_value(const std::string& key, const YAML::Node& node) {
  if (node.IsSequence() &&
      std::all_of(node.begin(), node.end(), [](const YAML::Node& item) { return item.IsScalar(); })) {
    std::string list = "[";
    for (const auto& item : node) list.append(list.size() > 1 ? ", " : "").append(item.Scalar());
    return list + "]";
  }
  if (!node.IsScalar()) return "a non-scalar value";
  if (key == "auth.secret" || key == "turn.secret" || key == "cluster.secret")
    return std::to_string(node.Scalar().size()) + " bytes";
  return "'" + node.Scalar() + "'";
}

// `expr` is a member path (rtc.udp_port), so it cannot be parenthesized: `c.(expr)` is not C++.
#define FIELD(expr) \
  [](Config & c) -> auto& { return c.expr; }  // NOLINT(bugprone-macro-parentheses): a member path, see above

// The schema: every leaf key with its check. Sections are the prefixes before the dot.
const std::map<std::string, Apply>& schema() {
  static const std::map<std::string, Apply> fields = {
      {"http.listen", listen_field()},
      {"http.allowed_origins",
       string_list_field(FIELD(http.allowed_origins), "a list of origins like https://meet.example.com")},
      {"http.max_connections", uint_in(FIELD(http.max_connections), 1, 1000000)},
      {"http.max_connections_per_address", uint_in(FIELD(http.max_connections_per_address), 1, 1000000)},
      {"http.websocket_ping_interval_s", uint_in(FIELD(http.websocket_ping_interval_s), 1, 3600)},
      {"http.websocket_idle_timeout_s", uint_in(FIELD(http.websocket_idle_timeout_s), 2, 86400)},
      {"signaling.resume_grace_s", uint_in(FIELD(signaling.resume_grace_s), 0, 3600)},
      {"workers", workers_field()},
      {"rtc.udp_port", uint_in(FIELD(rtc.udp_port), 1, 65535)},
      {"rtc.announced_ip", announced_ip_field()},
      {"rtc.announced_addresses", announced_addresses_field()},
      {"rtc.bind_ip", ip_field(FIELD(rtc.bind_ip), true)},
      {"rtc.consent_timeout_s", uint_in(FIELD(rtc.consent_timeout_s), 10, 3600)},
      {"rtc.dtls_handshake_timeout_s", uint_in(FIELD(rtc.dtls_handshake_timeout_s), 1, 600)},
      {"rtc.join_timeout_s", uint_in(FIELD(rtc.join_timeout_s), 5, 86400)},
      {"rtc.udp_recv_buffer_bytes", uint_in(FIELD(rtc.udp_recv_buffer_bytes), 65536, 1u << 30)},
      {"rtc.udp_send_buffer_bytes", uint_in(FIELD(rtc.udp_send_buffer_bytes), 65536, 1u << 30)},
      {"rtc.tcp_port", tcp_port_field()},
      {"rtc.tcp_max_pending", uint_in(FIELD(rtc.tcp_max_pending), 1, 100000)},
      {"rtc.tcp_max_pending_per_address", uint_in(FIELD(rtc.tcp_max_pending_per_address), 1, 100000)},
      {"rtc.tcp_pending_timeout_s", uint_in(FIELD(rtc.tcp_pending_timeout_s), 1, 60)},
      {"rtc.srtp_backend", srtp_backend_field()},
      {"dtls.certificate_file", string_field(FIELD(dtls.certificate_file))},
      {"dtls.private_key_file", string_field(FIELD(dtls.private_key_file))},
      {"limits.rooms", uint_in(FIELD(limits.rooms), 1, 1000000)},
      {"limits.participants_per_room", uint_in(FIELD(limits.participants_per_room), 1, 10000)},
      {"limits.tracks_per_participant", uint_in(FIELD(limits.tracks_per_participant), 1, 64)},
      {"limits.message_bytes", uint_in(FIELD(limits.message_bytes), 1024, 16u << 20)},
      {"limits.worker_queue_messages", uint_in(FIELD(limits.worker_queue_messages), 16, 1u << 20)},
      {"limits.control_queue_messages", uint_in(FIELD(limits.control_queue_messages), 64, 1u << 22)},
      {"limits.participants", uint_in(FIELD(limits.participants), 1, 10000000)},
      {"limits.ssrcs_per_transport", uint_in(FIELD(limits.ssrcs_per_transport), 4, 4096)},
      {"limits.empty_room_grace_s", uint_in(FIELD(limits.empty_room_grace_s), 0, 86400)},
      {"media.retransmissions_per_second", uint_in(FIELD(media.retransmissions_per_second), 1, 1000000)},
      {"media.keyframe_request_interval_ms", uint_in(FIELD(media.keyframe_request_interval_ms), 0, 60000)},
      {"media.publisher_keyframe_interval_ms",
       uint_in(FIELD(media.publisher_keyframe_interval_ms), 0, 60000)},
      {"bandwidth.allocation", bool_field(FIELD(bandwidth.allocation))},
      {"bandwidth.probing", bool_field(FIELD(bandwidth.probing))},
      {"bandwidth.up_hold_ms", uint_in(FIELD(bandwidth.up_hold_ms), 0, 60000)},
      {"bandwidth.up_headroom_percent", uint_in(FIELD(bandwidth.up_headroom_percent), 0, 100)},
      {"bandwidth.pause_hold_ms", uint_in(FIELD(bandwidth.pause_hold_ms), 0, 60000)},
      {"bandwidth.down_hold_ms", uint_in(FIELD(bandwidth.down_hold_ms), 0, 60000)},
      {"bandwidth.lowest_layer_oversend_percent",
       uint_in(FIELD(bandwidth.lowest_layer_oversend_percent), 0, 50)},
      {"bandwidth.event_interval_ms", uint_in(FIELD(bandwidth.event_interval_ms), 0, 60000)},
      {"bandwidth.pacing", bool_field(FIELD(bandwidth.pacing))},
      {"bandwidth.pacing_factor", number_in(FIELD(bandwidth.pacing_factor), 1.0, 10.0)},
      {"bandwidth.pacer_queue_packets", uint_in(FIELD(bandwidth.pacer_queue_packets), 16, 8192)},
      {"bandwidth.pacer_max_delay_ms", uint_in(FIELD(bandwidth.pacer_max_delay_ms), 20, 10000)},
      {"media.dynacast", bool_field(FIELD(media.dynacast))},
      {"media.dynacast_off_delay_ms", uint_in(FIELD(media.dynacast_off_delay_ms), 0, 60000)},
      {"audio.active_speakers", bool_field(FIELD(audio.active_speakers))},
      {"audio.active_level_dbov", uint_in(FIELD(audio.active_level_dbov), 0, 127)},
      {"audio.speaker_events_per_second", uint_in(FIELD(audio.speaker_events_per_second), 1, 50)},
      {"audio.forward_loudest", uint_in(FIELD(audio.forward_loudest), 0, 1000)},
      {"audio.red", bool_field(FIELD(audio.red))},
      {"data_channels.enabled", bool_field(FIELD(data_channels.enabled))},
      {"data_channels.sctp_port", uint_in(FIELD(data_channels.sctp_port), 1, 65535)},
      {"data_channels.max_message_bytes", uint_in(FIELD(data_channels.max_message_bytes), 1024, 16u << 20)},
      {"data_channels.channels_per_participant",
       uint_in(FIELD(data_channels.channels_per_participant), 1, 1024)},
      {"data_channels.send_buffer_bytes", uint_in(FIELD(data_channels.send_buffer_bytes), 65536, 64u << 20)},
      {"data_channels.bytes_per_second_per_participant",
       uint_in(FIELD(data_channels.bytes_per_second_per_participant), 0, 1u << 30)},
      {"data_channels.burst_bytes", uint_in(FIELD(data_channels.burst_bytes), 1024, 1u << 30)},
      {"rooms.span_workers", span_workers_field()},
      {"rooms.span_margin", uint_in(FIELD(rooms.span_margin), 1, 1000000)},
      {"rooms.ring_packets", uint_in(FIELD(rooms.ring_packets), 16, 65536)},
      {"metrics.require_auth", bool_field(FIELD(metrics.require_auth))},
      {"log.level", log_level_field()},
      {"auth.enabled", bool_field(FIELD(auth.enabled))},
      {"auth.secret", secret_field(FIELD(auth.secret),
                                   "an HS256 key shorter than the 32-byte hash can be brute-forced offline "
                                   "from any token, RFC 7518 section 3.2")},
      {"auth.allow_public_without_auth", bool_field(FIELD(auth.allow_public_without_auth))},
      {"auth.clock_skew_s", uint_in(FIELD(auth.clock_skew_s), 0, 300)},
      {"auth.audience", string_field(FIELD(auth.audience))},
      {"auth.issuer", string_field(FIELD(auth.issuer))},
      {"auth.kick_ban_s", uint_in(FIELD(auth.kick_ban_s), 0, 86400)},
      {"turn.urls", turn_urls_field()},
      {"turn.secret", secret_field(FIELD(turn.secret),
                                   "a shorter HMAC key can be found offline from one TURN credential, and "
                                   "with it anyone can mint credentials for the relay")},
      {"turn.ttl_s", uint_in(FIELD(turn.ttl_s), 60, 604800)},
      {"cluster.enabled", bool_field(FIELD(cluster.enabled))},
      {"cluster.redis_url", redis_url_field()},
      {"cluster.node_id", node_id_field()},
      {"cluster.advertise", advertise_field()},
      {"cluster.secret", secret_field(FIELD(cluster.secret),
                                      "a shorter HMAC key lets anyone who reads Redis forge commands to the "
                                      "nodes")},
      {"cluster.refresh_s", uint_in(FIELD(cluster.refresh_s), 1, 60)},
      {"cluster.dead_after_s", uint_in(FIELD(cluster.dead_after_s), 2, 600)},
      {"cluster.redis_timeout_ms", uint_in(FIELD(cluster.redis_timeout_ms), 100, 60000)},
      {"cluster.relay_address", ip_field(FIELD(cluster.relay_address), false)},
      {"cluster.relay_port", uint_in(FIELD(cluster.relay_port), 0, 65535)},
      {"cluster.relay_handshake_timeout_s", uint_in(FIELD(cluster.relay_handshake_timeout_s), 1, 120)},
      {"cluster.relay_handshake_retry_s", uint_in(FIELD(cluster.relay_handshake_retry_s), 1, 600)},
      {"cluster.max_room_participants_per_node",
       uint_in(FIELD(cluster.max_room_participants_per_node), 0, 1000000)},
      {"cluster.region", region_field()},
  };
  return fields;
}

#undef FIELD

bool is_section(const std::string& prefix) {
  auto it = schema().lower_bound(prefix + ".");
  return it != schema().end() && it->first.rfind(prefix + ".", 0) == 0;
}

std::string keys_under(const std::string& prefix) {
  std::string out;
  for (const auto& [key, apply] : schema()) {
    std::string_view k = key;
    if (!prefix.empty()) {
      if (k.rfind(prefix + ".", 0) != 0) continue;
      k.remove_prefix(prefix.size() + 1);
    }
    k = k.substr(0, k.find('.'));
    if (out.find(std::string(k)) != std::string::npos) continue;
    out += out.empty() ? "" : ", ";
    out += k;
  }
  return out;
}

int line_of(const YAML::Node& node) { return node.Mark().is_null() ? 0 : node.Mark().line + 1; }

// Walks one mapping level; returns an error or nothing.
std::optional<ConfigError> apply_map(const YAML::Node& map, const std::string& prefix, Config& config,
                                     std::string_view source) {
  for (const auto& entry : map) {
    std::string name = entry.first.IsScalar() ? entry.first.Scalar() : std::string("?");
    std::string key = prefix.empty() ? name : std::string(prefix).append(".").append(name);
    int line = line_of(entry.first);
    if (is_section(key)) {
      if (!entry.second.IsMap())
        return ConfigError{std::string(source), key, line, "a mapping with keys " + keys_under(key)};
      if (auto error = apply_map(entry.second, key, config, source)) return error;
      continue;
    }
    auto field = schema().find(key);
    if (field == schema().end())
      return ConfigError{std::string(source), key, line,
                         "unknown key; known keys here: " + keys_under(prefix)};
    std::string expected = field->second(entry.second, config);
    if (!expected.empty()) {
      return ConfigError{
          std::string(source), key, line_of(entry.second),
          std::string("expected ").append(expected).append(", got ").append(shown_value(key, entry.second))};
    }
  }
  return std::nullopt;
}

// The 1-based line of a dotted key in the YAML, or 0 when the key is not there (a default).
int line_of_key(const YAML::Node& root, const std::string& dotted) {
  // Node::reset rebinds; operator= would assign through to the tree (yaml-cpp's reference semantics).
  YAML::Node node;
  node.reset(root);
  size_t start = 0;
  while (start <= dotted.size()) {
    size_t dot = dotted.find('.', start);
    std::string part = dotted.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!node.IsMap()) return 0;
    const YAML::Node& map = node;
    YAML::Node child = map[part];  // const lookup: never inserts the key
    if (!child) return 0;
    node.reset(child);
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return line_of(node);
}

// announced_ip is the one-address form of announced_addresses: a file that gives both is
// ambiguous. A bind_ip serves only the announced addresses of its family: one of them must be.
std::optional<ConfigError> check_announced_addresses(const Config& config, const YAML::Node& root,
                                                     std::string_view source) {
  const RtcConfig& rtc = config.rtc;
  if (!rtc.announced_addresses.empty() && line_of_key(root, "rtc.announced_ip") != 0)
    return ConfigError{std::string(source), "rtc.announced_addresses",
                       line_of_key(root, "rtc.announced_addresses"),
                       "give either rtc.announced_ip (one address) or rtc.announced_addresses, not both"};
  auto bind = SocketAddress::from_ip(rtc.bind_ip, 0);
  if (!bind) return std::nullopt;
  for (const std::string& announced : rtc.resolved_announced_addresses())
    if (SocketAddress::from_ip(announced, 0)->family() == bind->family()) return std::nullopt;
  return ConfigError{std::string(source), "rtc.bind_ip", line_of_key(root, "rtc.bind_ip"),
                     std::string("is ") + (bind->is_v6() ? "IPv6" : "IPv4") +
                         " but no announced address is: a socket bound to it would serve no candidate"};
}

// Rules that tie two keys together, checked once everything is applied.
std::optional<ConfigError> check_across_keys(const Config& config, const YAML::Node& root,
                                             std::string_view source) {
  const DataChannelsConfig& dc = config.data_channels;
  auto error = [&](const std::string& key, std::string message) {
    return ConfigError{std::string(source), key, line_of_key(root, key), std::move(message)};
  };
  // A message larger than the subscriber's queue could never be relayed on a reliable channel.
  if (dc.send_buffer_bytes < dc.max_message_bytes)
    return error("data_channels.send_buffer_bytes", "must be at least data_channels.max_message_bytes (" +
                                                        std::to_string(dc.max_message_bytes) + "), got " +
                                                        std::to_string(dc.send_buffer_bytes));
  // A message larger than the burst would never fit the sender's rate budget.
  if (dc.bytes_per_second_per_participant != 0 && dc.burst_bytes < dc.max_message_bytes)
    return error("data_channels.burst_bytes",
                 "must be at least data_channels.max_message_bytes (" + std::to_string(dc.max_message_bytes) +
                     ") unless bytes_per_second_per_participant is 0, got " + std::to_string(dc.burst_bytes));
  if (auto error = check_announced_addresses(config, root, source)) return error;
  // Credentials signed with no key would be refused by coturn, so every relayed call would fail.
  if (config.cluster.enabled && config.cluster.secret.empty())
    return error("cluster.secret",
                 "required when cluster.enabled is true: the key that authenticates the "
                 "nodes' messages (at least 32 bytes, the same on every node)");
  if (config.cluster.enabled && config.cluster.dead_after_s <= config.cluster.refresh_s)
    return error("cluster.dead_after_s", "must be more than cluster.refresh_s");
  if (config.turn.enabled() && config.turn.secret.empty())
    return error("turn.secret", "required when turn.urls is set: coturn's static-auth-secret (at least " +
                                    std::to_string(TurnConfig::kMinSecretBytes) + " bytes)");
  return std::nullopt;
}

ConfigResult apply_text(Config config, std::string_view text, std::string_view source) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(text));
  } catch (const YAML::Exception& e) {
    return ConfigError{std::string(source), "", e.mark.is_null() ? 0 : e.mark.line + 1,
                       "not valid YAML: " + e.msg};
  }
  if (root.IsNull()) return config;  // an empty file keeps every default
  if (!root.IsMap())
    return ConfigError{std::string(source), "", line_of(root), "expected a mapping at the top"};
  try {
    if (auto error = apply_map(root, "", config, source)) return *error;
    if (auto error = check_across_keys(config, root, source)) return *error;
  } catch (const YAML::Exception& e) {
    return ConfigError{std::string(source), "", e.mark.is_null() ? 0 : e.mark.line + 1, e.msg};
  }
  return config;
}

}  // namespace

const char* srtp_backend_choice_name(SrtpBackendChoice choice) {
  return choice == SrtpBackendChoice::OpenSsl ? "openssl" : "libsrtp2";
}

std::optional<SrtpBackendChoice> srtp_backend_choice_from_name(std::string_view name) {
  if (name == "openssl") return SrtpBackendChoice::OpenSsl;
  if (name == "libsrtp2") return SrtpBackendChoice::Libsrtp2;
  return std::nullopt;
}

std::vector<std::string> RtcConfig::resolved_announced_addresses() const {
  if (!announced_addresses.empty()) return announced_addresses;
  return {announced_ip};
}

std::string RtcConfig::bind_ip_for(bool v6) const {
  std::vector<SocketAddress> of_family;
  for (const std::string& text : resolved_announced_addresses())
    if (auto address = SocketAddress::from_ip(text, 0); address && address->is_v6() == v6)
      of_family.push_back(*address);
  if (of_family.empty()) return {};
  if (auto bind = SocketAddress::from_ip(bind_ip, 0); bind && bind->is_v6() == v6) return bind_ip;
  if (of_family.size() == 1 && of_family.front().is_loopback()) return of_family.front().ip_string();
  return v6 ? "::" : "0.0.0.0";
}

uint32_t Config::resolved_workers() const {
  if (workers > 0) return workers;
  unsigned cores = std::thread::hardware_concurrency();
  return cores > 0 ? cores : 1;
}

std::string ConfigError::to_string() const {
  std::ostringstream out;
  out << source;
  if (line > 0) out << ":" << line;
  out << ": ";
  if (!key.empty()) out << "'" << key << "': ";
  out << message;
  return out.str();
}

Config default_config() {
  // The embedded default is checked by the same schema; a failure here is a build-time bug that
  // the unit tests catch.
  auto result = apply_text(Config{}, default_config_yaml(), "<default>");
  if (const auto* error = std::get_if<ConfigError>(&result))
    throw std::logic_error("the embedded default config is invalid: " + error->to_string());
  return std::get<Config>(std::move(result));
}

ConfigResult load_config_text(std::string_view yaml_text, std::string_view source_name) {
  return apply_text(default_config(), yaml_text, source_name);
}

ConfigResult load_config_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) return ConfigError{path, "", 0, "cannot read the file"};
  std::stringstream buffer;
  buffer << in.rdbuf();
  return load_config_text(buffer.str(), path);
}

}  // namespace sfu::config
