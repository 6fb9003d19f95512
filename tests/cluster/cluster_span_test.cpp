// Rooms spanning nodes end to end (docs/protocol.md, "Cluster", "Rooms spanning nodes"): three
// real server processes and a real redis-server on loopback; bench clients join one room on
// different nodes with `stay`, and the nodes relay each published track to each other over their
// relay sockets (sealed datagrams), fanned out locally.
#include <signal.h>
#include <unistd.h>

#include <cstdio>
#include <nlohmann/json.hpp>
#include <sstream>
#include <tuple>

#include "dtls/dtls_certificate.h"
#include "dtls/dtls_transport.h"
#include "tests/cluster/cluster_fixture.h"
#include "tests/cluster/relay_probe.h"

namespace sfu::cluster_test {
namespace {

using client::ParticipantClient;
using json = nlohmann::json;

constexpr uint64_t kEnoughVideo = 150;  // a few seconds of the bench client's video

uint64_t video_from(const ParticipantClient& receiver, const ParticipantClient& sender) {
  return receiver.received_from(sender.participant_id()).video_packets;
}
uint64_t audio_from(const ParticipantClient& receiver, const ParticipantClient& sender) {
  return receiver.received_from(sender.participant_id()).audio_packets;
}
uint64_t missing_from(const ParticipantClient& receiver, const ParticipantClient& sender) {
  return receiver.missing_packets(sender.participant_id(), sdp::MediaKind::kVideo) +
         receiver.missing_packets(sender.participant_id(), sdp::MediaKind::kAudio);
}

// The relay ports a node advertises in its registry entry.
std::vector<uint16_t> relay_ports(uint16_t redis_port, const std::string& node) {
  json entry = json::parse(redis_get(redis_port, "sfu:node:" + node), nullptr, false);
  std::vector<uint16_t> ports;
  if (!entry.is_object()) return ports;
  for (const json& worker : entry["media"]["relay"]["workers"])
    ports.push_back(worker["port"].get<uint16_t>());
  return ports;
}

// A relay frame of type dtls (3) holding the ClientHello of a DTLS client with a certificate of its own.
std::vector<uint8_t> relay_client_hello() {
  std::vector<uint8_t> frame;
  dtls::DtlsCallbacks callbacks;
  callbacks.send = [&](ByteSpan datagram) {
    if (!frame.empty()) return;
    frame.push_back(3);
    frame.insert(frame.end(), datagram.begin(), datagram.end());
  };
  callbacks.on_connected = [](const dtls::SrtpKeys&) {};
  callbacks.on_failed = [](std::string_view) {};
  callbacks.on_application_data = [](ByteSpan) {};
  dtls::DtlsTransport client(dtls::DtlsCertificate::generate(), dtls::DtlsRole::Client, std::move(callbacks),
                             {rtp::SrtpProfile::AeadAes128Gcm});
  client.start(0);
  return frame;
}

double dropped(uint16_t port, const char* reason) {
  return metric(port, std::string("sfu_cluster_relay_dropped_total{reason=\"") + reason + "\"}");
}

class SpanningRoom : public Cluster {
 protected:
  // One publishing participant per node in room "span" (homed on node A), all flowing.
  void start_room() {
    ASSERT_EQ(http(port(0), "POST", "/v1/rooms", R"({"name":"span"})")->status, 201);
    for (size_t i = 0; i < kNodes; ++i)
      members_.push_back(&add_client(i, "span", std::string("member-") + static_cast<char>('a' + i),
                                     /*publish=*/true, /*stay=*/true));
    ASSERT_TRUE(run_until([&] {
      for (ParticipantClient* c : members_)
        if (!c->publish_connected()) return false;
      return true;
    })) << diagnostics();
    for (ParticipantClient* c : members_) c->start_media();
    ASSERT_TRUE(run_until([&] { return all_receive_all(kEnoughVideo); })) << counts() << diagnostics();
  }

  bool all_receive_all(uint64_t video) const {
    for (const ParticipantClient* receiver : members_)
      for (const ParticipantClient* sender : members_)
        if (receiver != sender && video_from(*receiver, *sender) < video) return false;
    return true;
  }

  std::string counts() const {
    std::string out = "\nvideo packets received (row: receiver):";
    for (const ParticipantClient* receiver : members_) {
      out += "\n ";
      for (const ParticipantClient* sender : members_)
        out += " " + std::to_string(receiver == sender ? 0 : video_from(*receiver, *sender));
    }
    return out;
  }

  std::vector<ParticipantClient*> members_;
};

TEST_F(SpanningRoom, ParticipantsOnThreeNodesReceiveEveryTrackWithNoLoss) {
  start_room();
  if (HasFatalFailure()) return;
  pump_for(2s);
  for (size_t i = 0; i < kNodes; ++i) {
    const ParticipantClient& member = *members_[i];
    EXPECT_EQ(member.redirects(), 0u) << "member " << i << " was redirected";
    EXPECT_EQ(member.server_port(), port(i));
    EXPECT_EQ(member.participants().size(), kNodes - 1) << "member " << i << " does not see the whole room";
    for (const ParticipantClient* sender : members_) {
      if (sender == &member) continue;
      EXPECT_GT(video_from(member, *sender), kEnoughVideo);
      EXPECT_GT(audio_from(member, *sender), 50u);
      EXPECT_EQ(missing_from(member, *sender), 0u)
          << "member " << i << " lost packets of " << sender->participant_id();
    }
  }
  for (size_t i = 0; i < kNodes; ++i) {
    EXPECT_GT(metric(port(i), "sfu_cluster_relay_packets_received_total"), 0) << node_id(i);
    EXPECT_GT(metric(port(i), "sfu_cluster_relay_packets_sent_total"), 0) << node_id(i);
    EXPECT_EQ(dropped(port(i), "bad_tag"), 0) << node_id(i);
    EXPECT_EQ(dropped(port(i), "no_consent"), 0) << node_id(i);
    // Two relay links (one per other node; one worker each), each keyed by one handshake.
    EXPECT_GE(metric(port(i), "sfu_cluster_relay_handshakes_total{result=\"completed\"}"), 2) << node_id(i);
    EXPECT_EQ(metric(port(i), "sfu_cluster_relay_handshakes_total{result=\"failed\"}"), 0) << node_id(i);
  }
  EXPECT_EQ(metric(port(0), "sfu_cluster_span_joins_total"), 0);  // the home
  EXPECT_EQ(metric(port(1), "sfu_cluster_span_joins_total"), 1);
  EXPECT_EQ(metric(port(2), "sfu_cluster_span_joins_total"), 1);
  std::printf("[ cluster  ] relay packets sent by node-a: %.0f, received: %.0f\n",
              metric(port(0), "sfu_cluster_relay_packets_sent_total"),
              metric(port(0), "sfu_cluster_relay_packets_received_total"));
}

TEST_F(SpanningRoom, ForeignForgedAndReplayedRelayDatagramsAreDroppedAndCounted) {
  start_room();
  if (HasFatalFailure()) return;
  std::vector<uint16_t> a_ports = relay_ports(redis().port(), "node-a");
  std::vector<uint16_t> b_ports = relay_ports(redis().port(), "node-b");
  ASSERT_FALSE(a_ports.empty());
  ASSERT_FALSE(b_ports.empty());
  std::vector<uint64_t> video_before, missing_before;
  for (const ParticipantClient* receiver : members_)
    for (const ParticipantClient* sender : members_)
      if (receiver != sender) video_before.push_back(video_from(*receiver, *sender));

  // From an address that is no member's relay: dropped before any decryption.
  double not_member = dropped(port(0), "not_member");
  for (int i = 0; i < 5; ++i) ASSERT_TRUE(send_udp(a_ports[0], std::vector<uint8_t>(100, 0x42)));
  EXPECT_TRUE(run_until([&] { return dropped(port(0), "not_member") == not_member + 5; }, 5s))
      << dropped(port(0), "not_member") - not_member;
  // A genuine DTLS ClientHello in a relay frame, from an address that is no member's relay: dropped
  // as not_member too, before any handshake state is made for it.
  ASSERT_TRUE(send_udp(a_ports[0], relay_client_hello()));
  EXPECT_TRUE(run_until([&] { return dropped(port(0), "not_member") == not_member + 6; }, 5s))
      << dropped(port(0), "not_member") - not_member;

  if (raw_sockets_available()) {
    // A genuine frame from B's relay to A's, captured on lo, sent again from B's address: a replay.
    auto frame = capture_udp(b_ports, a_ports, 5s);
    ASSERT_TRUE(frame) << "no relay datagram from node-b to node-a seen";
    double replay = dropped(port(0), "replay"), bad_tag = dropped(port(0), "bad_tag");
    for (int i = 0; i < 5; ++i)
      ASSERT_TRUE(send_spoofed_udp(frame->from_port, frame->to_port, frame->payload));
    EXPECT_TRUE(run_until([&] { return dropped(port(0), "replay") == replay + 5; }, 5s))
        << dropped(port(0), "replay") - replay;
    // The same frame with a new sequence number (past the replay window's check) and a changed
    // byte: the tag does not verify.
    for (int i = 0; i < 5; ++i) {
      std::vector<uint8_t> forged = frame->payload;
      forged[1] = 0x40;  // sequence ~2^62, never sent
      forged[8] = static_cast<uint8_t>(i);
      forged.back() ^= 0x01;
      ASSERT_TRUE(send_spoofed_udp(frame->from_port, frame->to_port, forged));
    }
    EXPECT_TRUE(run_until([&] { return dropped(port(0), "bad_tag") == bad_tag + 5; }, 5s))
        << dropped(port(0), "bad_tag") - bad_tag;
    double malformed = dropped(port(0), "malformed");
    ASSERT_TRUE(send_spoofed_udp(frame->from_port, frame->to_port, {1, 2, 3}));
    EXPECT_TRUE(run_until([&] { return dropped(port(0), "malformed") == malformed + 1; }, 5s));
  } else {
    std::printf(
        "[ cluster  ] no CAP_NET_RAW: the replayed and forged frames from a member's address "
        "were not sent\n");
  }
  // Media went on, whole.
  pump_for(1s);
  size_t at = 0;
  for (const ParticipantClient* receiver : members_)
    for (const ParticipantClient* sender : members_) {
      if (receiver == sender) continue;
      EXPECT_GT(video_from(*receiver, *sender), video_before[at++] + 20);
      EXPECT_EQ(missing_from(*receiver, *sender), 0u);
    }
}

TEST_F(SpanningRoom, KilledNodesParticipantsLeaveAndTheOthersKeepTheirMedia) {
  start_room();
  if (HasFatalFailure()) return;
  ParticipantClient& on_a = *members_[0];
  ParticipantClient& on_b = *members_[1];
  ParticipantClient& on_c = *members_[2];
  const std::string gone = on_a.participant_id();
  auto killed_at = std::chrono::steady_clock::now();
  kill(node(0).pid(), SIGKILL);  // the room's home
  uint64_t b_from_c = video_from(on_b, on_c), c_from_b = video_from(on_c, on_b);
  ASSERT_TRUE(
      run_until([&] { return !on_b.participants().count(gone) && !on_c.participants().count(gone); }, 15s))
      << diagnostics();
  double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - killed_at).count();
  std::printf("[ cluster  ] kill -9 of a node to its participant leaving the other nodes' view: %.2f s\n",
              seconds);
  EXPECT_GE(on_b.message_count("participant_left"), 1u);
  EXPECT_GE(on_c.message_count("participant_left"), 1u);
  pump_for(2s);
  // B and C went on receiving each other, with nothing lost over the event.
  EXPECT_GT(video_from(on_b, on_c), b_from_c + 50);
  EXPECT_GT(video_from(on_c, on_b), c_from_b + 50);
  EXPECT_EQ(missing_from(on_b, on_c), 0u);
  EXPECT_EQ(missing_from(on_c, on_b), 0u);
  EXPECT_EQ(on_b.participants().size(), 1u);
  EXPECT_EQ(on_c.participants().size(), 1u);
}

// Redis restarted (its data lost) under a room spanning A and B: media between them never needed
// Redis, and each node's next refresh writes back that it holds a part of the room
// (sfu:room_nodes:<room>), so a participant joining the room on C afterwards meets both.
TEST_F(SpanningRoom, AfterRedisLostItsDataANewPartFindsTheRoomsOtherNodes) {
  ASSERT_EQ(http(port(0), "POST", "/v1/rooms", R"({"name":"span"})")->status, 201);
  ParticipantClient& on_a = add_client(0, "span", "member-a", /*publish=*/true, /*stay=*/true);
  ParticipantClient& on_b = add_client(1, "span", "member-b", /*publish=*/true, /*stay=*/true);
  ASSERT_TRUE(run_until([&] { return on_a.publish_connected() && on_b.publish_connected(); }))
      << diagnostics();
  on_a.start_media();
  on_b.start_media();
  ASSERT_TRUE(run_until([&] { return video_from(on_a, on_b) > 50 && video_from(on_b, on_a) > 50; }))
      << diagnostics();

  redis().kill_now();
  ASSERT_TRUE(run_until([&] { return metric(port(1), "sfu_cluster_redis_connected") == 0; }, 5s));
  const uint64_t b_from_a = video_from(on_b, on_a);
  std::string error;
  ASSERT_TRUE(redis().start(redis().port(), &error)) << error;  // empty: its data is gone
  // Every node registers again: one whose connection the kill reset rather than closed once missed
  // it and queued its commands unanswered, so it never took the join below.
  for (const char* id : {"node-a", "node-b", "node-c"})
    ASSERT_TRUE(
        run_until([&] { return redis_get(redis().port(), std::string("sfu:node:") + id) != ""; }, 10s))
        << id << " did not register again";
  pump_for(1500ms);  // every node refreshed at least once since
  EXPECT_GT(video_from(on_b, on_a), b_from_a + 50) << "media between A and B stopped";

  ParticipantClient& on_c = add_client(2, "span", "member-c", /*publish=*/true, /*stay=*/true);
  ASSERT_TRUE(run_until([&] { return on_c.publish_connected(); })) << diagnostics();
  on_c.start_media();
  ASSERT_TRUE(run_until([&] {
    return video_from(on_c, on_a) > 50 && video_from(on_c, on_b) > 50 && video_from(on_a, on_c) > 50 &&
           video_from(on_b, on_c) > 50;
  })) << diagnostics();
  EXPECT_EQ(on_c.redirects(), 0u);
  EXPECT_EQ(on_c.participants().size(), 2u);
}

// cluster.max_room_participants_per_node: a join on another node is redirected to the home while
// the home has fewer participants of the room, and stays (the room spans) once it has that many.
class RoomLimitPerNode : public Cluster {
 protected:
  std::string extra_cluster_yaml() const override { return "  max_room_participants_per_node: 2\n"; }
};

TEST_F(RoomLimitPerNode, JoinsStayOnTheirNodeOnceTheHomeHoldsTheLimit) {
  ASSERT_EQ(http(port(0), "POST", "/v1/rooms", R"({"name":"busy"})")->status, 201);
  ParticipantClient& first = add_client(0, "busy", "first");
  ParticipantClient& second = add_client(1, "busy", "second");  // the home has 1: redirected there
  ASSERT_TRUE(run_until([&] { return first.publish_connected() && second.publish_connected(); }))
      << diagnostics();
  EXPECT_EQ(second.redirects(), 1u);
  EXPECT_EQ(second.server_port(), port(0));
  first.start_media();
  second.start_media();
  // The home writes its participant count with its next refresh: C reads it from the directory.
  ASSERT_TRUE(run_until(
      [&] {
        json list = json::parse(http(port(2), "GET", "/v1/rooms")->body, nullptr, false);
        for (const json& room : list["rooms"])
          if (room.value("name", "") == "busy") return room.value("participants", 0) == 2;
        return false;
      },
      5s));
  ParticipantClient& third = add_client(2, "busy", "third");  // the home has 2: stays on C
  ASSERT_TRUE(run_until([&] {
    return third.publish_connected() && video_from(third, first) > 50 && video_from(third, second) > 50;
  })) << diagnostics();
  third.start_media();
  ASSERT_TRUE(run_until([&] { return video_from(first, third) > 50 && video_from(second, third) > 50; }))
      << diagnostics();
  EXPECT_EQ(third.redirects(), 0u);
  EXPECT_EQ(third.server_port(), port(2));
  EXPECT_EQ(metric(port(2), "sfu_cluster_span_joins_total"), 1);
  EXPECT_EQ(metric(port(1), "sfu_cluster_redirects_total{reason=\"room_home\"}"), 1);
  EXPECT_EQ(missing_from(third, first), 0u);
  EXPECT_EQ(missing_from(first, third), 0u);
  // C lists its part of the room (its one participant, its worker) under the room's home.
  json listed = json::parse(http(port(2), "GET", "/v1/rooms")->body, nullptr, false);
  json part;
  for (const json& room : listed["rooms"])
    if (room.value("name", "") == "busy") part = room;
  EXPECT_EQ(part.value("node", ""), node_id(0)) << listed.dump();
  EXPECT_EQ(part.value("participants", 0), 1) << listed.dump();
  EXPECT_TRUE(part.contains("worker")) << listed.dump();
}

// CPU seconds (user + system) of process `pid` so far, from /proc.
double cpu_seconds(pid_t pid) {
  FILE* file = std::fopen(("/proc/" + std::to_string(pid) + "/stat").c_str(), "r");
  if (!file) return 0;
  char text[2048] = {};
  size_t n = std::fread(text, 1, sizeof(text) - 1, file);
  std::fclose(file);
  std::string stat(text, n);
  // Fields after the command's closing parenthesis: state is field 3; utime 14, stime 15.
  std::istringstream rest(stat.substr(stat.rfind(')') + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i)
    if (i >= 14) ticks += std::stod(field);
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Sum over workers of a per-worker counter family of /metrics.
double metric_sum(uint16_t port, const std::string& family) {
  auto answer = http(port, "GET", "/metrics");
  double sum = 0;
  if (!answer) return sum;
  std::istringstream lines(answer->body);
  std::string line;
  while (std::getline(lines, line))
    if (line.rfind(family + "{", 0) == 0 || line.rfind(family + " ", 0) == 0)
      sum += std::strtod(line.c_str() + line.rfind(' ') + 1, nullptr);
  return sum;
}

// A measurement, run by hand (--gtest_also_run_disabled_tests): the CPU the three processes use
// per RTP packet forwarded to a subscriber, with six publishers in one room on one node, then in
// one room spread over the three nodes (two per node). It asserts only that media flowed.
TEST_F(Cluster, DISABLED_RelayOverheadPerForwardedPacket) {
  auto measure = [&](const std::string& room, bool spread) {
    std::vector<ParticipantClient*> members;
    for (size_t i = 0; i < 6; ++i)
      members.push_back(&add_client(spread ? i % kNodes : 0, room, "m" + std::to_string(i), true, true));
    EXPECT_TRUE(run_until([&] {
      for (ParticipantClient* c : members)
        if (!c->publish_connected()) return false;
      return true;
    }));
    for (ParticipantClient* c : members) c->start_media();
    pump_for(4s);  // every subscription up
    double cpu = 0, forwarded = 0, relayed = 0;
    for (size_t i = 0; i < kNodes; ++i) {
      cpu -= cpu_seconds(node(i).pid());
      forwarded -= metric_sum(port(i), "sfu_rtp_forwarded_total");
      relayed -= metric(port(i), "sfu_cluster_relay_packets_received_total");
    }
    pump_for(10s);
    for (size_t i = 0; i < kNodes; ++i) {
      cpu += cpu_seconds(node(i).pid());
      forwarded += metric_sum(port(i), "sfu_rtp_forwarded_total");
      relayed += metric(port(i), "sfu_cluster_relay_packets_received_total");
    }
    std::printf(
        "[ cluster  ] %s: %.0f packets forwarded, %.0f relayed between nodes, %.3f CPU s: %.2f CPU-us "
        "per forwarded packet\n",
        spread ? "one room over three nodes" : "one room on one node", forwarded, relayed, cpu,
        cpu * 1e6 / forwarded);
    EXPECT_GT(forwarded, 1000);
    for (ParticipantClient* c : members) c->close_signaling();
    pump_for(500ms);
    return std::make_tuple(cpu, forwarded, relayed);
  };
  auto [local_cpu, local_forwarded, local_relayed] = measure("local", false);
  auto [span_cpu, span_forwarded, span_relayed] = measure("spread", true);
  EXPECT_EQ(local_relayed, 0);
  EXPECT_GT(span_relayed, 0);
  // The extra CPU of the spread room, per packet that crossed a node.
  double extra = span_cpu - local_cpu * span_forwarded / local_forwarded;
  std::printf("[ cluster  ] extra CPU per relayed packet (send + receive side): %.2f us\n",
              extra * 1e6 / span_relayed);
}

// A node restarted on a fixed relay port (deployments behind firewalls set cluster.relay_port): the
// other nodes' links to its earlier run stop, so that the new run's datagrams, from the same
// address, reach the new links, which key themselves with the new run.
class SpanningRoomFixedRelayPort : public SpanningRoom {
 protected:
  std::string node_cluster_yaml(size_t node) const override {
    return node == 1 ? "  relay_port: " + std::to_string(relay_port_) + "\n" : std::string();
  }
  const uint16_t relay_port_ = bench::free_udp_ports("127.0.0.1", 1);
};

TEST_F(SpanningRoomFixedRelayPort, ANodeRestartedOnTheSameRelayPortIsRelayedToAgain) {
  ASSERT_EQ(http(port(0), "POST", "/v1/rooms", R"({"name":"span"})")->status, 201);
  ParticipantClient& on_a = add_client(0, "span", "member-a", /*publish=*/true, /*stay=*/true);
  ParticipantClient& on_b = add_client(1, "span", "member-b", /*publish=*/true, /*stay=*/true);
  ASSERT_TRUE(run_until([&] { return on_a.publish_connected() && on_b.publish_connected(); }))
      << diagnostics();
  on_a.start_media();
  on_b.start_media();
  ASSERT_TRUE(run_until([&] { return video_from(on_a, on_b) > 50 && video_from(on_b, on_a) > 50; }))
      << diagnostics();
  ASSERT_EQ(relay_ports(redis().port(), "node-b"), std::vector<uint16_t>{relay_port_});

  const std::string first_run = on_b.participant_id();
  kill(node(1).pid(), SIGKILL);
  node(1).stop();  // reaps it
  std::string error;
  ASSERT_TRUE(restart_node(1, &error)) << error;
  // Its new run opens a part of the room: node A learns of the restart (a new nonce) from it.
  ParticipantClient& again = add_client(1, "span", "member-b-again", /*publish=*/true, /*stay=*/true);
  ASSERT_TRUE(run_until([&] { return again.publish_connected(); })) << diagnostics();
  again.start_media();
  ASSERT_TRUE(run_until([&] { return video_from(again, on_a) > 50 && video_from(on_a, again) > 50; }, 15s))
      << "no media between node A and the restarted node B" << diagnostics();
  EXPECT_FALSE(on_a.participants().count(first_run)) << "the first run's participant is still in A's view";
  EXPECT_EQ(missing_from(on_a, again), 0u);
  EXPECT_EQ(metric(port(1), "sfu_cluster_relay_handshakes_total{result=\"failed\"}"), 0);
}

}  // namespace
}  // namespace sfu::cluster_test
