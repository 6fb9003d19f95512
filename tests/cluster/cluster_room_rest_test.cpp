// REST on a room spanning nodes acts on the whole room, from any node (docs/protocol.md, "Cluster",
// "REST on any node"), and placement by region (cluster.region): three real server processes and
// a real redis-server on loopback, bench clients with real signaling, ICE, DTLS, SRTP and SCTP.
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "tests/cluster/cluster_fixture.h"

namespace sfu::cluster_test {
namespace {

using client::ParticipantClient;
using json = nlohmann::json;

uint64_t video_from(const ParticipantClient& receiver, const ParticipantClient& sender) {
  return receiver.received_from(sender.participant_id()).video_packets;
}

// The room's home in the directory (sfu:rooms), "" when it has no entry.
std::string directory_home(uint16_t redis_port, const std::string& room) {
  json entry = json::parse(redis_command(redis_port, "HGET sfu:rooms " + room), nullptr, false);
  return entry.is_object() ? entry.value("home", "") : "";
}

class SpanningRoomRest : public Cluster {
 protected:
  // Room "span" homed on node A, one participant per node given (all with `stay`), each seeing
  // all the others.
  void start_room(const std::vector<size_t>& on_nodes, bool publish = true, bool data = false) {
    ASSERT_EQ(http(port(0), "POST", "/v1/rooms", R"({"name":"span"})")->status, 201);
    for (size_t node : on_nodes)
      members_.push_back(&add_client(node, "span", std::string("member-") + static_cast<char>('a' + node),
                                     publish,
                                     /*stay=*/true, data));
    ASSERT_TRUE(run_until([&] {
      for (ParticipantClient* c : members_)
        if (!c->joined() || c->participants().size() != members_.size() - 1) return false;
      return true;
    })) << diagnostics();
    for (size_t i = 0; i < members_.size(); ++i) EXPECT_EQ(members_[i]->server_port(), port(on_nodes[i]));
  }

  // Every message each member receives on its `server` data channel.
  void record_server_messages() {
    for (ParticipantClient* member : members_)
      member->subscribe_data()->on_message = [this, member](const dtls::DataChannelInfo& channel, bool,
                                                            ByteSpan message) {
        if (channel.label == "server") server_messages_[member].emplace_back(message.begin(), message.end());
      };
  }

  std::vector<ParticipantClient*> members_;
  std::map<ParticipantClient*, std::vector<std::string>> server_messages_;
};

TEST_F(SpanningRoomRest, DeleteOnANodeWithoutAPartClosesEveryPart) {
  start_room({0, 1});
  if (HasFatalFailure()) return;
  ASSERT_NE(redis_command(redis().port(), "SMEMBERS sfu:room_nodes:span"), "");
  auto deleted = http(port(2), "DELETE", "/v1/rooms/span");
  ASSERT_TRUE(deleted);
  EXPECT_EQ(deleted->status, 204) << deleted->body;
  // Both parts' participants get what a single node's delete sends: room_closed, then the close.
  for (ParticipantClient* member : members_)
    EXPECT_TRUE(run_until(
        [&] { return member->message_count("room_closed") == 1 && member->signaling_closed(); }, 5s))
        << member->participant_id() << diagnostics();
  for (size_t i = 0; i < kNodes; ++i)
    EXPECT_EQ(http(port(i), "GET", "/v1/rooms/span")->status, 404) << node_id(i);
  EXPECT_EQ(directory_home(redis().port(), "span"), "");
  EXPECT_EQ(redis_command(redis().port(), "EXISTS sfu:room_nodes:span"), "0");
  EXPECT_EQ(http(port(2), "DELETE", "/v1/rooms/span")->status, 404);
}

TEST_F(SpanningRoomRest, KickThroughOneNodeReachesTheParticipantOnAnother) {
  start_room({0, 1});
  if (HasFatalFailure()) return;
  ParticipantClient& on_a = *members_[0];
  ParticipantClient& on_b = *members_[1];
  const std::string kicked = on_b.participant_id();
  auto answer = http(port(0), "DELETE", "/v1/rooms/span/participants/" + kicked);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 204) << answer->body;
  EXPECT_TRUE(run_until([&] { return on_b.message_count("kicked") == 1 && on_b.signaling_closed(); }, 5s))
      << diagnostics();
  EXPECT_TRUE(run_until([&] { return !on_a.participants().count(kicked); }, 5s));
  EXPECT_GE(on_a.message_count("participant_left"), 1u);
  EXPECT_EQ(on_a.message_count("kicked"), 0u);
  auto got = http(port(2), "GET", "/v1/rooms/span");
  ASSERT_TRUE(got) << diagnostics();
  json detail = body_of(got);
  ASSERT_TRUE(detail["participants"].is_array()) << got->status << " " << got->body;
  EXPECT_EQ(detail["participants"].size(), 1u) << detail.dump();
  // Nobody of the whole room has that id (any more): 404, as a local kick answers.
  EXPECT_EQ(http(port(0), "DELETE", "/v1/rooms/span/participants/" + kicked)->status, 404);
  // The list on C (no part) says the whole room's count, as the home last wrote it.
  EXPECT_TRUE(run_until([&] { return listed_room(port(2), "span").value("room_participants", -1) == 1; }, 5s))
      << listed_room(port(2), "span").dump();
  EXPECT_EQ(http(port(2), "DELETE", "/v1/rooms/span/participants/nobody")->status, 404);
}

TEST_F(SpanningRoomRest, GetOnAnyNodeListsEveryParticipantWithItsNode) {
  start_room({0, 1, 2});
  if (HasFatalFailure()) return;
  std::map<std::string, std::string> node_of;  // participant id -> node
  for (size_t i = 0; i < kNodes; ++i) node_of[members_[i]->participant_id()] = node_id(i);
  for (ParticipantClient* member : members_) member->start_media();
  ASSERT_TRUE(run_until([&] {
    for (ParticipantClient* receiver : members_)
      for (ParticipantClient* sender : members_)
        if (receiver != sender && video_from(*receiver, *sender) < 30) return false;
    return true;
  })) << diagnostics();
  for (size_t i = 0; i < kNodes; ++i) {
    auto asked_at = std::chrono::steady_clock::now();
    json detail = body_of(http(port(i), "GET", "/v1/rooms/span"));
    std::printf(
        "[ cluster  ] GET /v1/rooms/span on %s (three parts): %.1f ms\n", node_id(i).c_str(),
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - asked_at).count());
    ASSERT_TRUE(detail.is_object() && detail["participants"].is_array())
        << node_id(i) << ": " << detail.dump();
    EXPECT_EQ(detail.value("name", ""), "span");
    ASSERT_EQ(detail["participants"].size(), kNodes) << node_id(i) << ": " << detail.dump();
    for (const json& participant : detail["participants"]) {
      const std::string id = participant.value("id", "");
      ASSERT_TRUE(node_of.count(id)) << id;
      EXPECT_EQ(participant.value("node", ""), node_of[id]) << node_id(i) << ": " << detail.dump();
      // Audio and video, each forwarded to the two participants on the other nodes.
      ASSERT_EQ(participant["tracks"].size(), 2u) << detail.dump();
      for (const json& track : participant["tracks"])
        EXPECT_EQ(track.value("subscribers", 0), 2) << node_id(i) << ": " << detail.dump();
    }
    ASSERT_TRUE(detail["nodes"].is_array()) << detail.dump();
    EXPECT_EQ(detail["nodes"].size(), kNodes) << detail.dump();
    for (const json& part : detail["nodes"]) EXPECT_EQ(part.value("participants", 0), 1) << detail.dump();
    EXPECT_FALSE(detail.contains("nodes_unanswered")) << detail.dump();
    EXPECT_FALSE(detail.contains("remote_subscribers")) << detail.dump();
    // GET /v1/rooms: this node's part (`participants`) and the whole room (`room_participants`).
    json listed = listed_room(port(i), "span");
    EXPECT_EQ(listed.value("participants", 0), 1) << listed.dump();
    EXPECT_EQ(listed.value("room_participants", 0), 3) << listed.dump();
  }
}

// A part's node that does not answer: the others' answer still comes, naming it.
TEST_F(SpanningRoomRest, AStoppedPartsNodeIsListedAsUnanswered) {
  start_room({0, 1});
  if (HasFatalFailure()) return;
  kill(node(1).pid(), SIGSTOP);  // alive in the registry for dead_after_s, but silent
  auto answer = http(port(2), "GET", "/v1/rooms/span");
  kill(node(1).pid(), SIGCONT);
  ASSERT_TRUE(answer);
  json detail = body_of(answer);
  EXPECT_EQ(answer->status, 200) << answer->body;
  EXPECT_EQ(detail["participants"].size(), 1u) << answer->body;
  EXPECT_EQ(detail["nodes_unanswered"], json::array({node_id(1)})) << answer->body;
}

TEST_F(SpanningRoomRest, DataPostsReachTheParticipantsOfEveryPart) {
  start_room({0, 1}, /*publish=*/false, /*data=*/true);
  if (HasFatalFailure()) return;
  record_server_messages();
  ParticipantClient& on_a = *members_[0];
  ParticipantClient& on_b = *members_[1];
  auto all = http(port(2), "POST", "/v1/rooms/span/data", R"({"text":"to everyone"})");
  ASSERT_TRUE(all);
  ASSERT_EQ(all->status, 202) << all->body;
  EXPECT_EQ(body_of(all)["participants"], 2) << all->body;
  ASSERT_TRUE(run_until(
      [&] { return server_messages_[&on_a].size() == 1 && server_messages_[&on_b].size() == 1; }, 10s))
      << diagnostics();
  EXPECT_EQ(server_messages_[&on_a][0], "to everyone");
  EXPECT_EQ(server_messages_[&on_b][0], "to everyone");

  // Named: through A, to the participant on B only.
  auto named = http(port(0), "POST", "/v1/rooms/span/data",
                    R"({"text":"to b","participants":[")" + on_b.participant_id() + R"("]})");
  ASSERT_TRUE(named);
  ASSERT_EQ(named->status, 202) << named->body;
  EXPECT_EQ(body_of(named)["participants"], 1) << named->body;
  ASSERT_TRUE(run_until([&] { return server_messages_[&on_b].size() == 2; }, 10s));
  EXPECT_EQ(server_messages_[&on_b][1], "to b");
  pump_for(300ms);
  EXPECT_EQ(server_messages_[&on_a].size(), 1u);
  EXPECT_EQ(http(port(1), "POST", "/v1/rooms/span/data", R"({"text":"x","participants":["nobody"]})")->status,
            404);
  EXPECT_EQ(http(port(1), "POST", "/v1/rooms/span/data", R"({"text":1})")->status, 400);
}

// cluster.region: A and C in eu-west, B in us-east.
class Regions : public Cluster {
 protected:
  std::string node_cluster_yaml(size_t node) const override {
    return node == 1 ? "  region: us-east\n" : "  region: eu-west\n";
  }
};

TEST_F(Regions, RegistryEntriesSayTheRegion) {
  EXPECT_EQ(json::parse(redis_get(redis().port(), "sfu:node:node-a"), nullptr, false).value("region", ""),
            "eu-west");
  EXPECT_EQ(json::parse(redis_get(redis().port(), "sfu:node:node-b"), nullptr, false).value("region", ""),
            "us-east");
}

TEST_F(Regions, AJoinInAnotherRegionStaysAndOneInTheHomesRegionIsRedirected) {
  ASSERT_EQ(http(port(0), "POST", "/v1/rooms", R"({"name":"global"})")->status, 201);
  ASSERT_EQ(directory_home(redis().port(), "global"), "node-a");
  ParticipantClient& in_eu = add_client(0, "global", "in-eu");
  ParticipantClient& in_us = add_client(1, "global", "in-us");      // no `stay`: B is in another region
  ParticipantClient& also_eu = add_client(2, "global", "also-eu");  // C is in the home's region
  ASSERT_TRUE(run_until([&] {
    return in_eu.publish_connected() && in_us.publish_connected() && also_eu.publish_connected();
  })) << diagnostics();
  EXPECT_EQ(in_us.redirects(), 0u);
  EXPECT_EQ(in_us.server_port(), port(1));
  EXPECT_EQ(also_eu.redirects(), 1u);
  EXPECT_EQ(also_eu.server_port(), port(0));
  EXPECT_EQ(metric(port(1), "sfu_cluster_span_joins_total"), 1);
  EXPECT_EQ(metric(port(2), "sfu_cluster_redirects_total{reason=\"room_home\"}"), 1);
  // The room spans A and B: media crosses both ways.
  in_eu.start_media();
  in_us.start_media();
  ASSERT_TRUE(run_until([&] {
    return video_from(in_us, in_eu) > 50 && video_from(in_eu, in_us) > 50 && video_from(also_eu, in_us) > 50;
  })) << diagnostics();
}

TEST_F(Regions, ANewRoomGetsAHomeInTheAskingNodesRegionWhileOneIsLive) {
  // A and C hold a room each, B none: by load alone, B (least loaded) would be the next home.
  ASSERT_EQ(http(port(0), "POST", "/v1/rooms", R"({"name":"first"})")->status, 201);
  ASSERT_EQ(http(port(2), "POST", "/v1/rooms", R"({"name":"second"})")->status, 201);
  ASSERT_EQ(directory_home(redis().port(), "first"), "node-a");
  ASSERT_EQ(directory_home(redis().port(), "second"), "node-c");
  pump_for(2500ms);  // every node read the others' load again
  for (int i = 0; i < 3; ++i) {
    std::string name = "eu-room-" + std::to_string(i);
    ASSERT_EQ(http(port(2), "POST", "/v1/rooms", R"({"name":")" + name + R"("})")->status, 201);
    std::string home = directory_home(redis().port(), name);
    EXPECT_TRUE(home == "node-a" || home == "node-c") << name << " homed on " << home;
  }
  // A join through C for a new room: homed in C's region too (no redirect to B).
  ParticipantClient& joiner = add_client(2, "joined-room", "joiner");
  ASSERT_TRUE(run_until([&] { return joiner.joined(); })) << diagnostics();
  std::string home = directory_home(redis().port(), "joined-room");
  EXPECT_TRUE(home == "node-a" || home == "node-c") << home;
  // No live node of us-east takes rooms once B drains: a room asked for through B goes anywhere.
  ASSERT_EQ(http(port(1), "POST", "/v1/node/drain")->status, 202);
  ASSERT_EQ(http(port(1), "POST", "/v1/rooms", R"({"name":"us-room"})")->status, 201);
  home = directory_home(redis().port(), "us-room");
  EXPECT_TRUE(home == "node-a" || home == "node-c") << home;
}

// A draining node sends its participants to a node of its region (B, in another region, is as
// little loaded as C and comes first by id).
TEST_F(Regions, DrainSendsParticipantsToANodeOfTheSameRegion) {
  ParticipantClient& moving = add_client(0, "moving", "moving");
  ASSERT_TRUE(run_until([&] { return moving.joined(); })) << diagnostics();
  ASSERT_EQ(moving.server_port(), port(0));
  auto drained = http(port(0), "POST", "/v1/node/drain");
  ASSERT_TRUE(drained);
  ASSERT_EQ(drained->status, 202) << drained->body;
  EXPECT_EQ(body_of(drained).value("target", ""), node_id(2)) << drained->body;
  ASSERT_TRUE(run_until([&] { return moving.message_count("redirect") == 1; }, 5s)) << diagnostics();
  for (const json& message : moving.messages()) {
    if (message.value("type", "") != "redirect") continue;
    EXPECT_EQ(message.value("node", ""), node_id(2)) << message.dump();
  }
}

// Without regions, the same loads put the next room on B: what the test above rules out is the
// region's doing.
TEST_F(Cluster, WithoutRegionsANewRoomGoesToTheLeastLoadedNode) {
  ASSERT_EQ(http(port(0), "POST", "/v1/rooms", R"({"name":"first"})")->status, 201);
  ASSERT_EQ(http(port(2), "POST", "/v1/rooms", R"({"name":"second"})")->status, 201);
  pump_for(2500ms);
  ASSERT_EQ(http(port(2), "POST", "/v1/rooms", R"({"name":"third"})")->status, 201);
  EXPECT_EQ(directory_home(redis().port(), "third"), "node-b");
}

}  // namespace
}  // namespace sfu::cluster_test
