// Cluster mode on the control plane (docs/protocol.md, "Cluster"): where joins and REST requests
// meet the cluster's room directory (sfu/cluster/). Everything here is asynchronous on the control
// loop; when the cluster is off or Redis is unavailable each function lets the caller go on as a
// single node would.
#include <algorithm>
#include <chrono>

#include "base/logger.h"
#include "base/random.h"
#include "sfu/control/control_plane.h"
#include "sfu/control/protocol_messages.h"
#include "sfu/media/router.h"
#include "sfu/media/worker.h"

namespace sfu {
namespace {

// Exchange ids of requests run for another node: far from the HTTP server's (which count from 1).
constexpr uint64_t kClusterExchangeBit = uint64_t{1} << 62;

int64_t unix_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The base URL other nodes and clients reach this one at: cluster.advertise, else http.listen.
std::string advertised_url(const config::Config& config, uint16_t port) {
  if (!config.cluster.advertise.empty()) return config.cluster.advertise;
  const std::string& host = config.http.host;
  bool v6 = host.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace

HttpResponse forwarded_answer_response(const cluster::ForwardedAnswer& answer) {
  HttpResponse response;
  response.status = answer.status;
  response.content_type = answer.content_type.empty() ? "application/json" : answer.content_type;
  response.body = answer.body;
  return response;
}

void ControlPlane::start_cluster() {
  if (!config_.cluster.enabled) return;
  relay_nonce_ = random_string(32, kIdCharacters);
  nlohmann::json media = {{"addresses", config_.rtc.resolved_announced_addresses()},
                          {"udp_port", config_.rtc.udp_port},
                          {"tcp_port", config_.rtc.tcp_port ? *config_.rtc.tcp_port : 0},
                          {"workers", workers_.size()},
                          {"relay", relay_info()}};
  cluster::ClusterNode::Hooks hooks;
  hooks.load = [this] {
    cluster::LocalLoad load{participant_count(), rooms_.size(), 0};
    for (Worker* worker : workers_)
      load.rtp_forwarded_total += worker->router_counters().rtp_forwarded.load(std::memory_order_relaxed);
    return load;
  };
  hooks.local_rooms = [this] {
    std::vector<cluster::LocalRoom> rooms;
    for (const auto& [name, room] : rooms_)
      rooms.push_back({name, room.created_at, room.max_participants, room.participants.size(),
                       !room.remote_home, room.room_participants()});
    return rooms;
  };
  hooks.run_request = [this](const cluster::ForwardedRequest& request,
                             std::function<void(cluster::ForwardedAnswer)> answer) {
    run_forwarded_request(request, std::move(answer));
  };
  hooks.shard_message = [this](const cluster::ClusterMessage& message) { on_cluster_shard(message); };
  hooks.nodes_read = [this] { drop_dead_nodes(); };
  cluster_ = std::make_unique<cluster::ClusterNode>(loop_, config_.cluster, advertised_url(config_, port()),
                                                    std::move(media), std::move(hooks));
  cluster_->start();
}

// ---- joins ----

bool ControlPlane::route_join(ClientConnection& ws, const Session& session, const nlohmann::json& message,
                              const std::string& room) {
  if (!cluster_available()) return false;
  if (cluster_->draining()) {
    if (auto other = cluster_->other_node()) {
      send_redirect(ws, other->url, other->id, "drain");
      return true;
    }
    return false;  // no other node: this one keeps serving
  }
  if (find_room(room)) return false;
  cluster::LocalRoom proposal{room, unix_seconds(), config_.limits.participants_per_room, 0};
  cluster_->claim_room(proposal, [this, session_id = session.id, message,
                                  room](std::optional<cluster::Claim> claim) {
    auto it = sessions_.find(session_id);
    if (it == sessions_.end() || !it->second.client) return;  // the client went meanwhile
    ClientConnection& client = *it->second.client;
    const bool elsewhere = claim && claim->home != cluster_->id();
    if (elsewhere) {
      // The room spans to this node when the join asks to stay, when its
      // home holds cluster.max_room_participants_per_node of it already, or
      // when the home is in another region than this node (the client
      // reached this one through its region's name or load balancer).
      auto stay = message.find("stay");
      const uint32_t limit = config_.cluster.max_room_participants_per_node;
      const std::string home_region = cluster_->region_of(claim->home);
      bool spans = (stay != message.end() && stay->is_boolean() && stay->get<bool>()) ||
                   (limit > 0 && claim->participants >= limit) ||
                   (!cluster_->region().empty() && !home_region.empty() && home_region != cluster_->region());
      if (!spans) return send_redirect(client, claim->url, claim->home, "room_home");
      cluster_->count_span_join();
    }
    // Home here, a part of a room spanning nodes, or Redis went away meanwhile.
    handle_join(client, it->second, message, /*routed=*/true);
    if (RoomEntry* entry = elsewhere ? find_room(room) : nullptr) entry->remote_home = true;
  });
  return true;
}

void ControlPlane::send_redirect(ClientConnection& ws, const std::string& base_url, const std::string& node,
                                 const std::string& reason) {
  cluster_->count_redirect(reason);
  ws.send_text(protocol::to_text(protocol::redirect_message(cluster::signaling_url(base_url), node, reason)));
}

// ---- REST ----

HttpResponse ControlPlane::list_cluster_rooms(uint64_t exchange_id) {
  if (!cluster_available()) return list_rooms();
  cluster_->list_rooms([this,
                        exchange_id](const std::optional<std::vector<cluster::DirectoryRoom>>& directory) {
    const std::vector<cluster::DirectoryRoom> listed =
        directory.value_or(std::vector<cluster::DirectoryRoom>{});
    auto home_of = [&](const std::string& name) -> const cluster::DirectoryRoom* {
      auto it = std::find_if(listed.begin(), listed.end(),
                             [&](const cluster::DirectoryRoom& room) { return room.name == name; });
      return it == listed.end() ? nullptr : &*it;
    };
    nlohmann::json rooms = nlohmann::json::array();
    for (const auto& [name, room] : rooms_) {
      // This node's part of the room (its participants, workers); `node` is the room's home,
      // another node's for a part of a room spanning nodes.
      nlohmann::json summary = protocol::room_summary(directory_entry(room));
      const cluster::DirectoryRoom* home = home_of(name);
      const bool elsewhere = home != nullptr && home->home != cluster_->id();
      summary["node"] = elsewhere ? home->home : cluster_->id();
      summary["node_url"] = elsewhere ? home->url : cluster_->url();
      summary["node_alive"] = elsewhere ? home->home_alive : true;
      summary["room_participants"] = room.room_participants();
      rooms.push_back(std::move(summary));
    }
    for (const cluster::DirectoryRoom& room : listed) {
      if (room.home == cluster_->id() || find_room(room.name)) continue;
      rooms.push_back(
          {{"name", room.name},
           {"participants", room.entry.value("participants", 0)},
           {"room_participants", room.entry.value("room_participants", room.entry.value("participants", 0))},
           {"created_at", room.entry.value("created_at", int64_t{0})},
           {"max_participants", room.entry.value("max_participants", 0)},
           {"node", room.home},
           {"node_url", room.url},
           {"node_alive", room.home_alive}});
    }
    HttpResponse response;
    response.body = protocol::to_text({{"rooms", rooms}});
    complete_http(exchange_id, response);
  });
  return deferred_response();
}

// POST /v1/rooms in a cluster: the room gets its home by load; created there.
HttpResponse ControlPlane::create_cluster_room(const HttpRequest& request) {
  nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
  auto name = body.is_object() ? body.find("name") : body.end();
  if (!cluster_available() || name == body.end() || !name->is_string() ||
      !valid_room_name(name->get<std::string>()) || find_room(name->get<std::string>()))
    return create_room(request);  // the checks and answers of one node
  uint64_t exchange_id = request.exchange_id;
  cluster::LocalRoom proposal{name->get<std::string>(), unix_seconds(), config_.limits.participants_per_room,
                              0};
  cluster_->claim_room(proposal, [this, exchange_id, request](std::optional<cluster::Claim> claim) {
    if (!claim || claim->home == cluster_->id()) {
      HttpResponse response = create_room(request);
      if (claim && !claim->created && response.status == 201)
        response = error_response({ErrorCode::conflict, "the room exists"});
      return complete_http(exchange_id, response);
    }
    if (!claim->created)
      return complete_http(exchange_id, error_response({ErrorCode::conflict, "the room exists"}));
    cluster_->forward(claim->home, {request.method, request.path, request.body},
                      [this, exchange_id](const cluster::ForwardedAnswer& answer) {
                        complete_http(exchange_id, forwarded_answer_response(answer));
                      });
  });
  return deferred_response();
}

void ControlPlane::run_forwarded_request(const cluster::ForwardedRequest& request,
                                         std::function<void(cluster::ForwardedAnswer)> answer) {
  HttpRequest local;
  local.method = request.method;
  local.path = request.path;
  local.body = request.body;
  local.exchange_id = kClusterExchangeBit | ++next_cluster_exchange_;
  HttpResponse response;
  try {
    response = route_rest(path_parts(local.path), local, /*forwarded=*/true, request.part);
  } catch (const std::exception& e) {
    ++rest_errors_;
    log_error("control", "forwarded request threw", {{"what", e.what()}});
    response = error_response({ErrorCode::internal_error, "the server failed to handle this request"});
  }
  if (response.deferred) {
    cluster_exchanges_[local.exchange_id] = std::move(answer);
    return;
  }
  answer({response.status, response.content_type, response.body});
}

// POST /v1/node/drain: no new rooms here, and every participant is asked to move.
HttpResponse ControlPlane::drain_node() {
  if (!cluster_)
    return error_response({ErrorCode::unsupported, "drain needs cluster mode (cluster.enabled: true)"});
  cluster_->set_draining();
  std::optional<cluster::NodeInfo> target = cluster_->other_node();
  size_t redirected = 0;
  if (target) {
    for (auto& [id, session] : sessions_) {
      if (session.participant_id.empty() || !session.client) continue;
      send_redirect(*session.client, target->url, target->id, "drain");
      ++redirected;
    }
  }
  log_info(
      "cluster", "node drained",
      {{"redirected", std::to_string(redirected)}, {"target", target ? target->id : std::string("none")}});
  HttpResponse response;
  response.status = 202;
  response.body =
      protocol::to_text({{"draining", true},
                         {"redirected", redirected},
                         {"target", target ? nlohmann::json(target->id) : nlohmann::json(nullptr)}});
  return response;
}

}  // namespace sfu
