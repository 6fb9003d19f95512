#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "config/config.h"
#include "tests/unit/config/config_expect.h"

using namespace sfu::config;

namespace {}  // namespace

TEST(ConfigLoader, EmbeddedDefaultHasThePublicValues) {
  Config c = default_config();
  EXPECT_EQ(c.http.host, "127.0.0.1");
  EXPECT_EQ(c.http.port, 8080);
  EXPECT_EQ(c.workers, 0u);  // auto
  EXPECT_GE(c.resolved_workers(), 1u);
  EXPECT_EQ(c.rtc.udp_port, 40000);
  EXPECT_EQ(c.rtc.announced_ip, "127.0.0.1");
  EXPECT_EQ(c.log_level, LogLevel::Info);
  EXPECT_FALSE(c.auth.enabled);
  EXPECT_EQ(c.auth.secret, "");
  EXPECT_EQ(c.limits.message_bytes, 524288u);
  EXPECT_EQ(c.rtc.consent_timeout_s, 30u);
  EXPECT_EQ(c.rtc.tcp_port, std::optional<uint16_t>(40000));
  EXPECT_EQ(c.rtc.tcp_max_pending, 256u);
  EXPECT_EQ(c.rtc.tcp_max_pending_per_address, 16u);
  EXPECT_EQ(c.rtc.tcp_pending_timeout_s, 5u);
  EXPECT_EQ(c.rtc.srtp_backend, SrtpBackendChoice::OpenSsl);
}

// rtc.srtp_backend picks the SRTP implementation: OpenSSL's libcrypto (default) or libsrtp2.
TEST(ConfigLoader, SrtpBackendIsOpensslOrLibsrtp2) {
  EXPECT_EQ(expect_ok("rtc:\n  srtp_backend: libsrtp2\n").rtc.srtp_backend, SrtpBackendChoice::Libsrtp2);
  EXPECT_EQ(expect_ok("rtc:\n  srtp_backend: openssl\n").rtc.srtp_backend, SrtpBackendChoice::OpenSsl);
  ConfigError e = expect_error("rtc:\n  srtp_backend: nss\n");
  EXPECT_EQ(e.key, "rtc.srtp_backend");
  EXPECT_NE(e.message.find("openssl or libsrtp2"), std::string::npos) << e.message;
  EXPECT_STREQ(srtp_backend_choice_name(SrtpBackendChoice::Libsrtp2), "libsrtp2");
}

// rtc.tcp_port 0 turns ICE-TCP off; worker i listens on tcp_port + i, and start-up refuses a last
// port past 65535 as for UDP.
TEST(ConfigLoader, TcpPortZeroTurnsIceTcpOff) {
  Config off = expect_ok("rtc:\n  tcp_port: 0\n");
  EXPECT_FALSE(off.rtc.tcp_port.has_value());
  EXPECT_EQ(off.last_tcp_port(), 0u);
  Config on = expect_ok("workers: 4\nrtc:\n  tcp_port: 65533\n");
  EXPECT_EQ(on.rtc.tcp_port, std::optional<uint16_t>(65533));
  EXPECT_EQ(on.last_tcp_port(), 65536u);
  EXPECT_EQ(expect_error("rtc:\n  tcp_port: 65536\n").key, "rtc.tcp_port");
  EXPECT_EQ(expect_error("rtc:\n  tcp_port: -1\n").key, "rtc.tcp_port");
  EXPECT_EQ(expect_error("rtc:\n  tcp_max_pending: 0\n").key, "rtc.tcp_max_pending");
  EXPECT_EQ(expect_error("rtc:\n  tcp_max_pending_per_address: 0\n").key, "rtc.tcp_max_pending_per_address");
  EXPECT_EQ(expect_error("rtc:\n  tcp_pending_timeout_s: 61\n").key, "rtc.tcp_pending_timeout_s");
}

// Worker i binds rtc.udp_port + i; the server refuses to start when the last one is past 65535.
TEST(ConfigLoader, LastUdpPortIsTheLastWorkersPort) {
  EXPECT_EQ(expect_ok("workers: 3\nrtc:\n  udp_port: 65533\n").last_udp_port(), 65535u);
  EXPECT_EQ(expect_ok("workers: 4\nrtc:\n  udp_port: 65533\n").last_udp_port(), 65536u);
  EXPECT_EQ(expect_ok("workers: 256\nrtc:\n  udp_port: 65535\n").last_udp_port(), 65790u);
  Config automatic = expect_ok("rtc:\n  udp_port: 40000\n");
  EXPECT_EQ(automatic.last_udp_port(), 40000u + automatic.resolved_workers() - 1);
}

TEST(ConfigLoader, EmptyFileKeepsDefaults) {
  Config c = expect_ok("");
  EXPECT_EQ(c.http.port, 8080);
}

TEST(ConfigLoader, OverridesOnlyTheKeysGiven) {
  Config c = expect_ok("workers: 3\nrtc:\n  udp_port: 50000\nlog:\n  level: debug\n");
  EXPECT_EQ(c.workers, 3u);
  EXPECT_EQ(c.resolved_workers(), 3u);
  EXPECT_EQ(c.rtc.udp_port, 50000);
  EXPECT_EQ(c.rtc.announced_ip, "127.0.0.1");
  EXPECT_EQ(c.log_level, LogLevel::Debug);
}

TEST(ConfigLoader, ParsesListenWithIpv6) {
  Config c = expect_ok("http:\n  listen: \"[::1]:9000\"\n");
  EXPECT_EQ(c.http.host, "::1");
  EXPECT_EQ(c.http.port, 9000);
}

TEST(ConfigLoader, UnknownKeyNamesKeyAndLine) {
  ConfigError e = expect_error("workers: 2\nrtc:\n  udp_port: 40000\n  udp_prot: 1\n");
  EXPECT_EQ(e.key, "rtc.udp_prot");
  EXPECT_EQ(e.line, 4);
  EXPECT_NE(e.message.find("unknown key"), std::string::npos);
  EXPECT_NE(e.message.find("udp_port"), std::string::npos);  // lists what is known
  EXPECT_NE(e.to_string().find("test.yaml:4"), std::string::npos);
}

TEST(ConfigLoader, UnknownTopLevelSection) {
  ConfigError e = expect_error("htpp:\n  listen: 1.2.3.4:1\n");
  EXPECT_EQ(e.key, "htpp");
  EXPECT_EQ(e.line, 1);
}

TEST(ConfigLoader, WrongTypeNamesWhatWasExpected) {
  ConfigError e = expect_error("rtc:\n  udp_port: forty\n");
  EXPECT_EQ(e.key, "rtc.udp_port");
  EXPECT_EQ(e.line, 2);
  EXPECT_NE(e.message.find("integer from 1 to 65535"), std::string::npos);
  EXPECT_NE(e.message.find("forty"), std::string::npos);
}

TEST(ConfigLoader, OutOfRangeValues) {
  EXPECT_EQ(expect_error("rtc:\n  udp_port: 70000\n").key, "rtc.udp_port");
  EXPECT_EQ(expect_error("rtc:\n  udp_port: -1\n").key, "rtc.udp_port");
  EXPECT_EQ(expect_error("workers: 0\n").key, "workers");
  EXPECT_EQ(expect_error("workers: many\n").key, "workers");
  EXPECT_EQ(expect_error("limits:\n  tracks_per_participant: 1000\n").key, "limits.tracks_per_participant");
  EXPECT_EQ(expect_error("log:\n  level: loud\n").key, "log.level");
  EXPECT_EQ(expect_error("auth:\n  enabled: yes please\n").key, "auth.enabled");
  EXPECT_EQ(expect_error("http:\n  listen: localhost:8080\n").key, "http.listen");
  EXPECT_EQ(expect_error("http:\n  listen: 127.0.0.1:0\n").key, "http.listen");
  EXPECT_EQ(expect_error("rtc:\n  announced_ip: example.com\n").key, "rtc.announced_ip");
}

TEST(ConfigLoader, SectionMustBeMapping) {
  ConfigError e = expect_error("rtc: 5\n");
  EXPECT_EQ(e.key, "rtc");
  EXPECT_NE(e.message.find("udp_port"), std::string::npos);
}

TEST(ConfigLoader, InvalidYamlHasLine) {
  ConfigError e = expect_error("http:\n  listen: [1, 2\n");
  EXPECT_GT(e.line, 0);
  EXPECT_NE(e.message.find("not valid YAML"), std::string::npos);
}

TEST(ConfigLoader, TopLevelMustBeMapping) { expect_error("- a\n- b\n"); }

TEST(ConfigLoader, MissingFileIsAnError) {
  auto result = load_config_file("/nonexistent/sfu.yaml");
  ASSERT_TRUE(std::holds_alternative<ConfigError>(result));
  EXPECT_NE(std::get<ConfigError>(result).message.find("cannot read"), std::string::npos);
}

TEST(ConfigLoader, LoadsFile) {
  std::string path = ::testing::TempDir() + "sfu_config_test.yaml";
  {
    std::ofstream out(path);
    out << "auth:\n  enabled: true\n  secret: config-test-secret-of-32-bytes-0\n";
  }
  auto result = load_config_file(path);
  std::remove(path.c_str());
  ASSERT_TRUE(std::holds_alternative<Config>(result));
  EXPECT_TRUE(std::get<Config>(result).auth.enabled);
  EXPECT_EQ(std::get<Config>(result).auth.secret, "config-test-secret-of-32-bytes-0");
}

TEST(ConfigLoader, HardeningLimitsHaveInternetSafeDefaults) {
  Config c = default_config();
  EXPECT_TRUE(c.http.allowed_origins.empty());
  EXPECT_EQ(c.http.max_connections, 10000u);
  EXPECT_EQ(c.http.max_connections_per_address, 100u);
  EXPECT_EQ(c.http.websocket_ping_interval_s, 20u);
  EXPECT_EQ(c.http.websocket_idle_timeout_s, 60u);
  EXPECT_EQ(c.rtc.join_timeout_s, 600u);
  EXPECT_EQ(c.limits.participants, 10000u);
  EXPECT_EQ(c.limits.ssrcs_per_transport, 64u);
  EXPECT_EQ(c.limits.empty_room_grace_s, 60u);
  EXPECT_EQ(c.media.retransmissions_per_second, 1000u);
  EXPECT_EQ(c.media.keyframe_request_interval_ms, 1000u);
  EXPECT_EQ(c.media.publisher_keyframe_interval_ms, 500u);
  EXPECT_TRUE(c.bandwidth.allocation);
  EXPECT_TRUE(c.bandwidth.probing);
  EXPECT_EQ(c.bandwidth.up_hold_ms, 2000u);
  EXPECT_EQ(c.bandwidth.up_headroom_percent, 15u);
  EXPECT_EQ(c.bandwidth.pause_hold_ms, 1000u);
  EXPECT_EQ(c.bandwidth.down_hold_ms, 2000u);
  EXPECT_EQ(c.bandwidth.lowest_layer_oversend_percent, 20u);
  EXPECT_EQ(c.bandwidth.event_interval_ms, 1000u);
  EXPECT_FALSE(c.metrics.require_auth);
}

TEST(ConfigLoader, AllowedOriginsIsAListOfStrings) {
  Config c =
      expect_ok("http:\n  allowed_origins:\n    - https://meet.example.com\n    - http://localhost:3000\n");
  ASSERT_EQ(c.http.allowed_origins.size(), 2u);
  EXPECT_EQ(c.http.allowed_origins[0], "https://meet.example.com");
  EXPECT_EQ(c.http.allowed_origins[1], "http://localhost:3000");
  ConfigError error = expect_error("http:\n  allowed_origins: https://meet.example.com\n");
  EXPECT_EQ(error.key, "http.allowed_origins");
  EXPECT_NE(error.message.find("a list of origins"), std::string::npos) << error.message;
  expect_error("http:\n  allowed_origins: [\"\"]\n");
  expect_error("http:\n  allowed_origins: [[a]]\n");
}

TEST(ConfigLoader, DataChannelsDefaults) {
  Config c = default_config();
  EXPECT_TRUE(c.data_channels.enabled);
  EXPECT_EQ(c.data_channels.sctp_port, 5000);
  EXPECT_EQ(c.data_channels.max_message_bytes, 262144u);
  EXPECT_EQ(c.data_channels.channels_per_participant, 16u);
  EXPECT_EQ(c.data_channels.send_buffer_bytes, 1048576u);
  EXPECT_EQ(c.data_channels.bytes_per_second_per_participant, 2097152u);
  EXPECT_EQ(c.data_channels.burst_bytes, 4194304u);
}

TEST(ConfigLoader, DataChannelsOverridesAndBounds) {
  Config c = expect_ok(
      "data_channels:\n  enabled: false\n  sctp_port: 5001\n  max_message_bytes: 16777216\n"
      "  channels_per_participant: 1024\n  send_buffer_bytes: 67108864\n"
      "  bytes_per_second_per_participant: 0\n  burst_bytes: 1024\n");
  EXPECT_FALSE(c.data_channels.enabled);
  EXPECT_EQ(c.data_channels.sctp_port, 5001);
  EXPECT_EQ(c.data_channels.max_message_bytes, 16777216u);
  EXPECT_EQ(c.data_channels.channels_per_participant, 1024u);
  EXPECT_EQ(c.data_channels.send_buffer_bytes, 67108864u);
  EXPECT_EQ(c.data_channels.bytes_per_second_per_participant, 0u);  // unlimited
  EXPECT_EQ(c.data_channels.burst_bytes, 1024u);
  Config low = expect_ok(
      "data_channels:\n  max_message_bytes: 1024\n  channels_per_participant: 1\n"
      "  send_buffer_bytes: 65536\n  sctp_port: 1\n");
  EXPECT_EQ(low.data_channels.max_message_bytes, 1024u);
  EXPECT_EQ(low.data_channels.sctp_port, 1);
}

TEST(ConfigLoader, DataChannelsOutOfRange) {
  struct Case {
    const char* yaml;
    const char* key;
    const char* expected;
  };
  const Case cases[] = {
      {"data_channels:\n  enabled: 1\n", "data_channels.enabled", "true or false"},
      {"data_channels:\n  sctp_port: 0\n", "data_channels.sctp_port", "from 1 to 65535"},
      {"data_channels:\n  sctp_port: 65536\n", "data_channels.sctp_port", "from 1 to 65535"},
      {"data_channels:\n  max_message_bytes: 1023\n", "data_channels.max_message_bytes",
       "from 1024 to 16777216"},
      {"data_channels:\n  max_message_bytes: 16777217\n", "data_channels.max_message_bytes",
       "from 1024 to 16777216"},
      {"data_channels:\n  channels_per_participant: 0\n", "data_channels.channels_per_participant",
       "from 1 to 1024"},
      {"data_channels:\n  channels_per_participant: 1025\n", "data_channels.channels_per_participant",
       "from 1 to 1024"},
      {"data_channels:\n  send_buffer_bytes: 65535\n", "data_channels.send_buffer_bytes",
       "from 65536 to 67108864"},
      {"data_channels:\n  send_buffer_bytes: 67108865\n", "data_channels.send_buffer_bytes",
       "from 65536 to 67108864"},
      {"data_channels:\n  bytes_per_second_per_participant: -1\n",
       "data_channels.bytes_per_second_per_participant", "from 0 to 1073741824"},
      {"data_channels:\n  burst_bytes: 1000\n", "data_channels.burst_bytes", "from 1024 to 1073741824"},
      {"data_channels:\n  max_message_size: 1024\n", "data_channels.max_message_size", "unknown key"},
      {"data_channels: on\n", "data_channels", "a mapping with keys"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.yaml);
    ConfigError e = expect_error(c.yaml);
    EXPECT_EQ(e.key, c.key);
    EXPECT_NE(e.message.find(c.expected), std::string::npos) << e.message;
  }
}

// Two keys that must agree: a message larger than a subscriber's queue or than the sender's burst
// could never be relayed.
TEST(ConfigLoader, DataChannelsMessageMustFitBufferAndBurst) {
  ConfigError buffer = expect_error("data_channels:\n  max_message_bytes: 2097152\n");
  EXPECT_EQ(buffer.key, "data_channels.send_buffer_bytes");
  EXPECT_EQ(buffer.line, 0);  // the default is what is too small: no line of the file names it
  EXPECT_NE(buffer.message.find("at least data_channels.max_message_bytes (2097152)"), std::string::npos)
      << buffer.message;
  buffer = expect_error("data_channels:\n  max_message_bytes: 131072\n  send_buffer_bytes: 65536\n");
  EXPECT_EQ(buffer.key, "data_channels.send_buffer_bytes");
  EXPECT_EQ(buffer.line, 3);

  ConfigError burst = expect_error("data_channels:\n  burst_bytes: 4096\n");
  EXPECT_EQ(burst.key, "data_channels.burst_bytes");
  EXPECT_EQ(burst.line, 2);
  EXPECT_NE(burst.message.find("unless bytes_per_second_per_participant is 0"), std::string::npos)
      << burst.message;
  // Without a rate limit the burst does not matter.
  EXPECT_EQ(expect_ok("data_channels:\n  burst_bytes: 4096\n  bytes_per_second_per_participant: 0\n")
                .data_channels.burst_bytes,
            4096u);
  // Within bounds together.
  Config big = expect_ok(
      "data_channels:\n  max_message_bytes: 16777216\n  send_buffer_bytes: 16777216\n  burst_bytes: "
      "16777216\n");
  EXPECT_EQ(big.data_channels.max_message_bytes, 16777216u);
}

TEST(ConfigLoader, AuthClaimChecksDefaultToLeewayOnlyAndABriefKickBan) {
  Config c = default_config();
  EXPECT_EQ(c.auth.clock_skew_s, 30u);
  EXPECT_EQ(c.auth.audience, "");
  EXPECT_EQ(c.auth.issuer, "");
  EXPECT_EQ(c.auth.kick_ban_s, 60u);
  c = expect_ok(
      "auth:\n  clock_skew_s: 0\n  audience: sfu.example.com\n  issuer: https://idp.example.com\n"
      "  kick_ban_s: 86400\n");
  EXPECT_EQ(c.auth.clock_skew_s, 0u);
  EXPECT_EQ(c.auth.audience, "sfu.example.com");
  EXPECT_EQ(c.auth.issuer, "https://idp.example.com");
  EXPECT_EQ(c.auth.kick_ban_s, 86400u);
  EXPECT_EQ(expect_ok("auth:\n  clock_skew_s: 300\n  kick_ban_s: 0\n").auth.kick_ban_s, 0u);
  EXPECT_EQ(expect_error("auth:\n  clock_skew_s: 301\n").key, "auth.clock_skew_s");
  EXPECT_EQ(expect_error("auth:\n  kick_ban_s: 86401\n").key, "auth.kick_ban_s");
  EXPECT_EQ(expect_error("auth:\n  audience: [a, b]\n").key, "auth.audience");
}

// Session resume (docs/protocol.md 2.7): 20 s by default, 0 turns it off, at most an hour.
TEST(ConfigLoader, ResumeGraceDefaultsToTwentySecondsAndZeroTurnsItOff) {
  EXPECT_EQ(default_config().signaling.resume_grace_s, 20u);
  EXPECT_EQ(expect_ok("signaling:\n  resume_grace_s: 0\n").signaling.resume_grace_s, 0u);
  EXPECT_EQ(expect_ok("signaling:\n  resume_grace_s: 3600\n").signaling.resume_grace_s, 3600u);
  EXPECT_EQ(expect_error("signaling:\n  resume_grace_s: 3601\n").key, "signaling.resume_grace_s");
  EXPECT_EQ(expect_error("signaling:\n  resume_grace: 5\n").key, "signaling.resume_grace");
}

// Audio RED (docs/protocol.md 3.1): negotiated by default, audio.red: false turns it off.
TEST(ConfigLoader, AudioRedIsOnByDefaultAndCanBeTurnedOff) {
  EXPECT_TRUE(default_config().audio.red);
  EXPECT_FALSE(expect_ok("audio:\n  red: false\n").audio.red);
  EXPECT_EQ(expect_error("audio:\n  red: 3\n").key, "audio.red");
}

// RFC 7518 section 3.2: an HS256 key shorter than the hash can be brute-forced offline from any
// token. The error names the key and why, and never echoes the secret.
TEST(ConfigLoader, ShortSecretIsRefusedWithoutEchoingIt) {
  ConfigError e = expect_error("auth:\n  enabled: true\n  secret: hunter2-is-31-bytes-long-000000\n");
  EXPECT_EQ(e.key, "auth.secret");
  EXPECT_EQ(e.line, 3);
  EXPECT_NE(e.message.find("at least 32 bytes"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("brute-forced offline"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("got 31 bytes"), std::string::npos) << e.message;
  EXPECT_EQ(e.to_string().find("hunter2"), std::string::npos) << e.to_string();
  // Also with auth off: a configured secret is meant to be used.
  EXPECT_EQ(expect_error("auth:\n  secret: short\n").key, "auth.secret");
  EXPECT_EQ(expect_ok("auth:\n  secret: hunter2-is-32-bytes-long-0000000\n").auth.secret.size(), 32u);
  EXPECT_EQ(expect_ok("auth:\n  secret: \"\"\n").auth.secret, "");  // none: auth stays off
}

// TURN is off by default; urls, secret and ttl_s turn it on for clients (docs/protocol.md, 2.6 "TURN
// relays").
TEST(ConfigLoader, TurnIsOffByDefaultAndTakesUrlsSecretAndTtl) {
  Config c = default_config();
  EXPECT_FALSE(c.turn.enabled());
  EXPECT_TRUE(c.turn.urls.empty());
  EXPECT_EQ(c.turn.secret, "");
  EXPECT_EQ(c.turn.ttl_s, 86400u);
  c = expect_ok(
      "turn:\n  urls: [\"turn:10.0.0.1:3478?transport=udp\", \"turns:turn.example.com:5349?transport=tcp\"]\n"
      "  secret: coturn-static-auth-secret-32bytes\n  ttl_s: 3600\n");
  EXPECT_TRUE(c.turn.enabled());
  ASSERT_EQ(c.turn.urls.size(), 2u);
  EXPECT_EQ(c.turn.urls[0], "turn:10.0.0.1:3478?transport=udp");
  EXPECT_EQ(c.turn.urls[1], "turns:turn.example.com:5349?transport=tcp");
  EXPECT_EQ(c.turn.secret, "coturn-static-auth-secret-32bytes");
  EXPECT_EQ(c.turn.ttl_s, 3600u);
  EXPECT_EQ(expect_ok("turn:\n  ttl_s: 60\n").turn.ttl_s, 60u);
  EXPECT_EQ(expect_ok("turn:\n  ttl_s: 604800\n").turn.ttl_s, 604800u);
  EXPECT_EQ(expect_error("turn:\n  ttl_s: 59\n").key, "turn.ttl_s");
  EXPECT_EQ(expect_error("turn:\n  ttl_s: 604801\n").key, "turn.ttl_s");
}

// Only turn: and turns: URLs, each with something after the scheme and no spaces: what the config
// lists goes to every browser as RTCIceServer.urls, where a bad one fails the whole peer connection.
TEST(ConfigLoader, TurnUrlsMustBeTurnUrls) {
  const char* secret = "\n  secret: coturn-static-auth-secret-32bytes\n";
  for (const char* bad : {"[stun:10.0.0.1:3478]", "[\"http://turn.example.com\"]", "[\"turn:\"]",
                          "[\"turn:a b\"]", "[\"\"]", "turn:10.0.0.1", "[[turn:10.0.0.1]]"}) {
    ConfigError e = expect_error(std::string("turn:\n  urls: ") + bad + secret);
    EXPECT_EQ(e.key, "turn.urls") << bad;
    EXPECT_NE(e.message.find("turn: or turns: URLs"), std::string::npos) << e.message;
  }
  EXPECT_EQ(expect_ok(std::string("turn:\n  urls: []") + secret).turn.urls.size(), 0u);
}

// A TURN URL without a secret would hand out credentials coturn refuses; a short secret can be
// found from one credential. Both stop the start-up, and the error never shows the secret.
TEST(ConfigLoader, TurnSecretIsRequiredWithUrlsAndLongEnough) {
  ConfigError e = expect_error("turn:\n  urls: [\"turn:10.0.0.1:3478\"]\n");
  EXPECT_EQ(e.key, "turn.secret");
  EXPECT_NE(e.message.find("required when turn.urls is set"), std::string::npos) << e.message;
  e = expect_error("turn:\n  urls: [\"turn:10.0.0.1:3478\"]\n  secret: coturn-secret-of-31-bytes-00000\n");
  EXPECT_EQ(e.key, "turn.secret");
  EXPECT_EQ(e.line, 3);
  EXPECT_NE(e.message.find("at least 32 bytes"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("got 31 bytes"), std::string::npos) << e.message;
  EXPECT_EQ(e.to_string().find("coturn-secret"), std::string::npos) << e.to_string();
  // A secret without URLs is accepted (TURN stays off), but still not a short one.
  EXPECT_EQ(expect_error("turn:\n  secret: short\n").key, "turn.secret");
  EXPECT_FALSE(expect_ok("turn:\n  secret: coturn-static-auth-secret-32bytes\n").turn.enabled());
}

// Rooms across workers (docs/protocol.md, "Rooms across workers").
TEST(ConfigLoader, RoomsSpanWorkersByDefaultAndCanBeForcedForTests) {
  Config c = default_config();
  EXPECT_EQ(c.rooms.span_workers, SpanWorkers::Auto);
  EXPECT_EQ(c.rooms.span_margin, 8u);
  EXPECT_EQ(c.rooms.ring_packets, 1024u);
  Config off = expect_ok("rooms:\n  span_workers: off\n  span_margin: 1\n  ring_packets: 16\n");
  EXPECT_EQ(off.rooms.span_workers, SpanWorkers::Off);
  EXPECT_EQ(off.rooms.span_margin, 1u);
  EXPECT_EQ(off.rooms.ring_packets, 16u);
  EXPECT_EQ(expect_ok("rooms:\n  span_workers: round_robin\n").rooms.span_workers, SpanWorkers::RoundRobin);
  ConfigError error = expect_error("rooms:\n  span_workers: always\n");
  EXPECT_EQ(error.key, "rooms.span_workers");
  EXPECT_NE(error.message.find("one of auto, off, round_robin"), std::string::npos) << error.message;
  EXPECT_EQ(expect_error("rooms:\n  span_margin: 0\n").key, "rooms.span_margin");
  EXPECT_EQ(expect_error("rooms:\n  ring_packets: 15\n").key, "rooms.ring_packets");
  EXPECT_EQ(expect_error("rooms:\n  ring_packets: 65537\n").key, "rooms.ring_packets");
}
