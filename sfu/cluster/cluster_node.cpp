#include "sfu/cluster/cluster_node.h"

#include <hiredis/hiredis.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <chrono>

#include "base/logger.h"
#include "base/random.h"
#include "sfu/cluster/cluster_scripts.h"

namespace sfu::cluster {
namespace {

constexpr uint64_t kForwardTimeoutMs = 2000;
constexpr uint64_t kForwardCheckMs = 100;
constexpr size_t kNodeSuffixLength = 6;

int64_t unix_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

double cpu_seconds() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  auto seconds = [](const timeval& tv) {
    return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
  };
  return seconds(usage.ru_utime) + seconds(usage.ru_stime);
}

std::string default_node_id() {
  std::array<char, 256> host{};
  std::string name = gethostname(host.data(), host.size() - 1) == 0 ? host.data() : "node";
  std::string id;
  for (char c : name)
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_') id.push_back(c);
  if (id.empty() || id.size() > 40) id = "node";
  return id + "-" + random_string(kNodeSuffixLength, kIdCharacters);
}

std::string reply_string(const redisReply* reply) {
  return reply && (reply->type == REDIS_REPLY_STRING || reply->type == REDIS_REPLY_STATUS)
             ? std::string(reply->str, reply->len)
             : std::string();
}

bool is_array(const redisReply* reply, size_t at_least) {
  return reply && reply->type == REDIS_REPLY_ARRAY && reply->elements >= at_least;
}

std::optional<DirectoryRoom> directory_room(const std::string& name, const std::string& text,
                                            const std::map<std::string, NodeInfo>& nodes) {
  nlohmann::json entry = nlohmann::json::parse(text, nullptr, false);
  if (!entry.is_object() || !entry.contains("home") || !entry["home"].is_string()) return std::nullopt;
  DirectoryRoom room{name, entry["home"].get<std::string>(), entry.value("url", std::string()), false, entry};
  room.home_alive = nodes.count(room.home) > 0;
  return room;
}

// A registry entry as the placement reads it; nullopt when it is not one.
std::optional<NodeInfo> node_info(const std::string& text) {
  nlohmann::json node = nlohmann::json::parse(text, nullptr, false);
  if (!node.is_object() || !node.contains("id") || !node["id"].is_string()) return std::nullopt;
  NodeInfo info{node["id"].get<std::string>(), node.value("url", std::string()),
                node.value("draining", false)};
  if (auto region = node.find("region"); region != node.end() && region->is_string())
    info.region = region->get<std::string>();
  if (auto load = node.find("load"); load != node.end() && load->is_object()) {
    info.participants = load->value("participants", uint64_t{0});
    info.rooms = load->value("rooms", uint64_t{0});
  }
  return info;
}

ForwardedAnswer error_answer(int status, const std::string& code, const std::string& message) {
  nlohmann::json body = {{"error", {{"code", code}, {"message", message}}}};
  return {status, "application/json", body.dump()};
}

// redis://host:port
std::pair<std::string, uint16_t> host_and_port(const std::string& url) {
  std::string rest = url.substr(url.find("://") + 3);
  size_t colon = rest.rfind(':');
  return {rest.substr(0, colon), static_cast<uint16_t>(std::stoul(rest.substr(colon + 1)))};
}

}  // namespace

std::string signaling_url(const std::string& base_url) {
  if (base_url.rfind("https://", 0) == 0) return "wss://" + base_url.substr(8) + "/v1/rtc";
  if (base_url.rfind("http://", 0) == 0) return "ws://" + base_url.substr(7) + "/v1/rtc";
  return base_url + "/v1/rtc";
}

ClusterNode::ClusterNode(uv_loop_t* loop, const config::ClusterConfig& config, std::string advertise,
                         nlohmann::json media, Hooks hooks)
    : loop_(loop),
      config_(config),
      id_(config.node_id.empty() ? default_node_id() : config.node_id),
      url_(std::move(advertise)),
      media_(std::move(media)),
      hooks_(std::move(hooks)),
      started_at_(unix_ms() / 1000) {
  auto [host, port] = host_and_port(config_.redis_url);
  RedisConnection::Handlers command_handlers{[this] { on_connection_up(); }, [] {}, {}};
  commands_ = std::make_unique<RedisConnection>(loop_, host, port, "commands", config_.redis_timeout_ms,
                                                command_handlers);
  RedisConnection::Handlers subscriber_handlers{
      [this] {
        subscriber_->subscribe(kChannelPrefix + id_);
        on_connection_up();
      },
      [] {}, [this](const std::string&, const std::string& payload) { on_message(payload); }};
  subscriber_ = std::make_unique<RedisConnection>(loop_, host, port, "subscriber", config_.redis_timeout_ms,
                                                  subscriber_handlers);
  refresh_timer_ = std::make_unique<UvTimer>(loop_, [this] { refresh(); });
  forward_timer_ = std::make_unique<UvTimer>(loop_, [this] { time_out_forwards(); });
}

// Pending forwards are dropped unanswered: the HTTP server is stopping with this node.
ClusterNode::~ClusterNode() = default;

void ClusterNode::start() {
  log_info("cluster", "joining the cluster",
           {{"node", id_}, {"advertise", url_}, {"redis", config_.redis_url}});
  last_cpu_s_ = cpu_seconds();
  last_refresh_ms_ = uv_now(loop_);
  commands_->start();
  subscriber_->start();
  refresh_timer_->start(uint64_t{config_.refresh_s} * 1000, uint64_t{config_.refresh_s} * 1000);
  forward_timer_->start(kForwardCheckMs, kForwardCheckMs);
}

// Redis (back) up: register and rewrite this node's rooms at once rather than at the next tick.
void ClusterNode::on_connection_up() {
  if (!available()) return;
  connected_at_ms_ = uv_now(loop_);
  refresh();
}

nlohmann::json ClusterNode::node_entry() {
  LocalLoad load = hooks_.load ? hooks_.load() : LocalLoad{};
  uint64_t now = uv_now(loop_);
  if (now > last_refresh_ms_) {
    double elapsed_s = static_cast<double>(now - last_refresh_ms_) / 1000.0;
    double cpu_now = cpu_seconds();
    forwarded_pps_ =
        static_cast<uint64_t>(static_cast<double>(load.rtp_forwarded_total - last_forwarded_) / elapsed_s);
    cpu_ = (cpu_now - last_cpu_s_) / elapsed_s;
    last_cpu_s_ = cpu_now;
  }
  last_forwarded_ = load.rtp_forwarded_total;
  last_refresh_ms_ = now;
  return {{"id", id_},
          {"url", url_},
          {"signaling_url", signaling_url(url_)},
          {"media", media_},
          {"draining", draining_},
          {"region", config_.region},
          {"started_at", started_at_},
          {"load",
           {{"participants", load.participants},
            {"rooms", load.rooms},
            {"forwarded_pps", forwarded_pps_},
            {"cpu", cpu_}}}};
}

void ClusterNode::refresh() {
  if (!commands_->up()) return;
  std::vector<std::string> args = {"EVAL",
                                   kRefreshScript,
                                   "2",
                                   kNodesKey,
                                   kRoomsKey,
                                   id_,
                                   node_entry().dump(),
                                   std::to_string(uint64_t{config_.dead_after_s} * 1000)};
  // A draining node no longer offers its rooms: their clients are moving to other nodes.
  if (!draining_ && hooks_.local_rooms) {
    for (const LocalRoom& room : hooks_.local_rooms()) {
      args.push_back(room.name);
      if (!room.home) {
        args.emplace_back();  // its home writes the entry; this node only says it holds a part
        continue;
      }
      args.push_back(
          nlohmann::json{{"home", id_},
                         {"url", url_},
                         {"created_at", room.created_at},
                         {"max_participants", room.max_participants},
                         {"participants", room.participants},
                         {"room_participants", std::max(room.participants, room.room_participants)}}
              .dump());
    }
  }
  bool queued = commands_->command(args, [this](const redisReply* reply) {
    if (!reply || reply->type == REDIS_REPLY_ERROR) {
      ++refresh_failures_;
      log_warn("cluster", "registry refresh failed", {{"error", reply_string(reply)}});
      return;
    }
    // Rooms another live node took while this one was cut off: both hold one now; the directory
    // sends joins to the other (two halves of a room meet again when the relay part comes).
    if (is_array(reply, 1))
      for (size_t i = 0; i < reply->elements; ++i)
        log_warn("cluster", "room homed on another node", {{"room", reply_string(reply->element[i])}});
    read_nodes();
  });
  if (!queued) ++refresh_failures_;
}

void ClusterNode::read_nodes() {
  list_rooms([](const std::optional<std::vector<DirectoryRoom>>&) {});
}

// The least loaded live node (participants plus rooms) that takes rooms and `eligible` accepts; this
// one on a tie. With cluster.region set, a node of this node's region while one qualifies (the
// client reached this node through its region's DNS name or load balancer: its room, or the node
// a draining node sends it to, stays near it), else any.
const NodeInfo* ClusterNode::least_loaded(const std::function<bool(const NodeInfo&)>& eligible) const {
  auto load = [](const NodeInfo& node) { return node.participants + node.rooms; };
  auto best_of = [&](bool same_region) {
    const NodeInfo* best = nullptr;
    for (const auto& [id, node] : nodes_) {
      if (node.draining || (id == id_ && draining_) || !eligible(node)) continue;
      if (same_region && node.region != config_.region) continue;
      if (!best || load(node) < load(*best) || (load(node) == load(*best) && id == id_)) best = &node;
    }
    return best;
  };
  const NodeInfo* best = config_.region.empty() ? nullptr : best_of(true);
  return best ? best : best_of(false);
}

std::string ClusterNode::choose_home() const {
  const NodeInfo* best = least_loaded([](const NodeInfo&) { return true; });
  if (!best) return draining_ ? std::string() : id_;
  return best->id;
}

std::string ClusterNode::region_of(const std::string& node) const {
  auto it = nodes_.find(node);
  return it == nodes_.end() ? std::string() : it->second.region;
}

std::optional<NodeInfo> ClusterNode::other_node() const {
  const NodeInfo* best = least_loaded([this](const NodeInfo& node) { return node.id != id_; });
  if (!best) return std::nullopt;
  return *best;
}

void ClusterNode::set_draining() {
  draining_ = true;
  log_info("cluster", "draining: no new rooms here", {{"node", id_}});
  if (hooks_.local_rooms)
    for (const LocalRoom& room : hooks_.local_rooms())
      if (room.home) release_room(room.name);
  refresh();
}

void ClusterNode::claim_room(const LocalRoom& proposal, std::function<void(std::optional<Claim>)> done) {
  std::string home = choose_home();
  if (home.empty()) home = id_;
  auto url = nodes_.count(home) ? nodes_.at(home).url : url_;
  nlohmann::json entry = {{"home", home},
                          {"url", url},
                          {"created_at", proposal.created_at},
                          {"max_participants", proposal.max_participants},
                          {"participants", 0}};
  auto shared = std::make_shared<std::function<void(std::optional<Claim>)>>(std::move(done));
  bool queued = commands_->command(
      {"EVAL", kClaimScript, "1", kRoomsKey, proposal.name, entry.dump()},
      [this, shared, name = proposal.name](const redisReply* reply) {
        if (!is_array(reply, 2)) return (*shared)(std::nullopt);
        long long outcome = reply->element[0]->type == REDIS_REPLY_INTEGER ? reply->element[0]->integer : -1;
        nlohmann::json stored = nlohmann::json::parse(reply_string(reply->element[1]), nullptr, false);
        if (outcome < 0 || !stored.is_object()) return (*shared)(std::nullopt);
        Claim claim{stored.value("home", std::string()), stored.value("url", std::string()), outcome != 0,
                    outcome == 2, stored.value("participants", uint64_t{0})};
        // Until the next read of the registry, count the room where it went.
        if (claim.created && nodes_.count(claim.home)) ++nodes_[claim.home].rooms;
        if (claim.rehomed) {
          ++rooms_rehomed_;
          log_info("cluster", "room re-homed", {{"room", name}, {"home", claim.home}});
        }
        (*shared)(claim);
      });
  if (!queued) (*shared)(std::nullopt);
}

void ClusterNode::list_rooms(std::function<void(std::optional<std::vector<DirectoryRoom>>)> done) {
  auto shared = std::make_shared<decltype(done)>(std::move(done));
  bool queued = commands_->command(
      {"EVAL", kListScript, "2", kNodesKey, kRoomsKey}, [this, shared](const redisReply* reply) {
        if (!is_array(reply, 2) || reply->element[0]->type != REDIS_REPLY_ARRAY ||
            reply->element[1]->type != REDIS_REPLY_ARRAY)
          return (*shared)(std::nullopt);
        std::map<std::string, NodeInfo> nodes;
        const redisReply* node_list = reply->element[0];
        for (size_t i = 0; i < node_list->elements; ++i)
          if (auto info = node_info(reply_string(node_list->element[i]))) nodes[info->id] = *info;
        // Redis came back (maybe empty) less than dead_after_s ago: a node missing from the
        // registry may just not have refreshed since. It stays live until it had the time to;
        // else every node's rooms spanning nodes would lose their other parts at a Redis restart.
        if (uv_now(loop_) - connected_at_ms_ < uint64_t{config_.dead_after_s} * 1000)
          for (const auto& [id, info] : nodes_) nodes.emplace(id, info);
        nodes_ = std::move(nodes);
        if (hooks_.nodes_read) hooks_.nodes_read();
        std::vector<DirectoryRoom> rooms;
        const redisReply* room_list = reply->element[1];
        for (size_t i = 0; i + 1 < room_list->elements; i += 2)
          if (auto room = directory_room(reply_string(room_list->element[i]),
                                         reply_string(room_list->element[i + 1]), nodes_))
            rooms.push_back(std::move(*room));
        (*shared)(std::move(rooms));
      });
  if (!queued) (*shared)(std::nullopt);
}

void ClusterNode::find_room(const std::string& name,
                            std::function<void(bool available, std::optional<DirectoryRoom>)> done) {
  auto shared = std::make_shared<decltype(done)>(std::move(done));
  bool queued = commands_->command({"HGET", kRoomsKey, name}, [this, shared, name](const redisReply* reply) {
    if (!reply || reply->type == REDIS_REPLY_ERROR) return (*shared)(false, std::nullopt);
    if (reply->type == REDIS_REPLY_NIL) return (*shared)(true, std::nullopt);
    (*shared)(true, directory_room(name, reply_string(reply), nodes_));
  });
  if (!queued) (*shared)(false, std::nullopt);
}

void ClusterNode::room_parts(
    const std::string& name,
    std::function<void(bool available, std::optional<DirectoryRoom>, std::vector<std::string> live_parts)>
        done) {
  auto shared = std::make_shared<decltype(done)>(std::move(done));
  bool queued = commands_->command({"EVAL", kRoomPartsScript, "1", kRoomsKey, name},
                                   [this, shared, name](const redisReply* reply) {
                                     if (!is_array(reply, 2) || reply->element[1]->type != REDIS_REPLY_ARRAY)
                                       return (*shared)(false, std::nullopt, {});
                                     std::string entry = reply_string(reply->element[0]);
                                     std::optional<DirectoryRoom> room =
                                         entry.empty() ? std::nullopt : directory_room(name, entry, nodes_);
                                     std::vector<std::string> parts;
                                     for (size_t i = 0; i < reply->element[1]->elements; ++i) {
                                       std::string node = reply_string(reply->element[1]->element[i]);
                                       if (alive(node)) parts.push_back(std::move(node));
                                     }
                                     (*shared)(true, std::move(room), std::move(parts));
                                   });
  if (!queued) (*shared)(false, std::nullopt, {});
}

void ClusterNode::release_room(const std::string& name) {
  commands_->command({"EVAL", kReleaseScript, "1", kRoomsKey, name, id_}, [](const redisReply*) {});
}

// ---- rooms spanning nodes ----

void ClusterNode::join_room_nodes(const std::string& room,
                                  std::function<void(std::vector<std::string>)> done) {
  const std::string key = std::string(kRoomNodesKeyPrefix) + room;
  commands_->command({"SADD", key, id_}, [](const redisReply*) {});
  auto shared = std::make_shared<decltype(done)>(std::move(done));
  bool queued = commands_->command({"SMEMBERS", key}, [this, shared, room](const redisReply* reply) {
    std::vector<std::string> others;
    if (reply && reply->type == REDIS_REPLY_ARRAY) {
      for (size_t i = 0; i < reply->elements; ++i) {
        std::string node = reply_string(reply->element[i]);
        if (node.empty() || node == id_) continue;
        if (alive(node))
          others.push_back(node);
        else
          leave_room_nodes(room, node);
      }
    }
    (*shared)(std::move(others));
  });
  if (!queued) (*shared)({});
}

void ClusterNode::leave_room_nodes(const std::string& room, const std::string& node) {
  commands_->command({"SREM", std::string(kRoomNodesKeyPrefix) + room, node.empty() ? id_ : node},
                     [](const redisReply*) {});
}

void ClusterNode::send_shard(const std::string& node, nlohmann::json body) {
  body["kind"] = "shard";
  publish(node, std::move(body), [](bool) {});
}

// ---- messages ----

void ClusterNode::publish(const std::string& to, nlohmann::json body,
                          std::function<void(bool delivered)> done) {
  std::string wire = seal(ClusterMessage{id_, to, unix_ms(), std::move(body)}, config_.secret);
  auto shared = std::make_shared<decltype(done)>(std::move(done));
  bool queued = commands_->command({"PUBLISH", kChannelPrefix + to, wire}, [shared](const redisReply* reply) {
    (*shared)(reply && reply->type == REDIS_REPLY_INTEGER && reply->integer > 0);
  });
  if (queued) ++sent_;
  if (!queued) (*shared)(false);
}

void ClusterNode::forward(const std::string& node, ForwardedRequest request,
                          std::function<void(ForwardedAnswer)> done) {
  uint64_t id = next_forward_id_++;
  forwards_[id] = PendingForward{std::move(done), uv_now(loop_) + kForwardTimeoutMs};
  nlohmann::json body = {{"kind", "rest"},
                         {"id", id},
                         {"method", request.method},
                         {"path", request.path},
                         {"body", request.body}};
  if (request.part) body["part"] = true;
  publish(node, std::move(body), [this, id, node](bool delivered) {
    if (delivered) return;
    auto it = forwards_.find(id);
    if (it == forwards_.end()) return;
    auto pending = std::move(it->second);
    forwards_.erase(it);
    pending.done(error_answer(503, "node_unavailable", "the room's node '" + node + "' cannot be reached"));
  });
}

void ClusterNode::time_out_forwards() {
  uint64_t now = uv_now(loop_);
  for (auto it = forwards_.begin(); it != forwards_.end();) {
    if (it->second.deadline_ms > now) {
      ++it;
      continue;
    }
    auto pending = std::move(it->second);
    it = forwards_.erase(it);
    pending.done(error_answer(504, "node_timeout", "the room's node did not answer in time"));
  }
}

void ClusterNode::on_message(const std::string& payload) {
  auto opened = open(payload, config_.secret, id_, unix_ms());
  if (auto* why = std::get_if<Rejection>(&opened)) {
    count_rejected(*why);
    log_warn("cluster", "cluster message rejected", {{"reason", rejection_name(*why)}});
    return;
  }
  const ClusterMessage& message = std::get<ClusterMessage>(opened);
  std::string kind = message.body.value("kind", std::string());
  if (kind == "rest") return handle_request(message);
  if (kind == "rest_answer") return handle_answer(message);
  if (kind == "shard") {
    ++received_;
    if (hooks_.shard_message) hooks_.shard_message(message);
    return;
  }
  count_rejected(Rejection::malformed);
}

void ClusterNode::handle_request(const ClusterMessage& message) {
  const nlohmann::json& body = message.body;
  auto string_of = [&body](const char* key) {
    auto it = body.find(key);
    return it != body.end() && it->is_string() ? std::optional<std::string>(it->get<std::string>())
                                               : std::nullopt;
  };
  auto method = string_of("method");
  auto path = string_of("path");
  auto request_body = string_of("body");
  auto id = body.find("id");
  if (!method || !path || !request_body || id == body.end() || !id->is_number_unsigned() ||
      path->rfind("/v1/rooms", 0) != 0) {
    count_rejected(Rejection::malformed);
    return;
  }
  ++received_;
  auto part = body.find("part");
  ForwardedRequest request{*method, *path, *request_body,
                           part != body.end() && part->is_boolean() && part->get<bool>()};
  hooks_.run_request(request, [this, from = message.from, id = id->get<uint64_t>()](ForwardedAnswer answer) {
    publish(from,
            {{"kind", "rest_answer"},
             {"id", id},
             {"status", answer.status},
             {"content_type", answer.content_type},
             {"body", answer.body}},
            [](bool) {});
  });
}

void ClusterNode::handle_answer(const ClusterMessage& message) {
  const nlohmann::json& body = message.body;
  auto id = body.find("id");
  auto status = body.find("status");
  if (id == body.end() || !id->is_number_unsigned() || status == body.end() || !status->is_number_integer()) {
    count_rejected(Rejection::malformed);
    return;
  }
  ++received_;
  auto it = forwards_.find(id->get<uint64_t>());
  if (it == forwards_.end()) return;  // timed out meanwhile
  auto pending = std::move(it->second);
  forwards_.erase(it);
  pending.done({status->get<int>(), body.value("content_type", std::string("application/json")),
                body.value("body", std::string())});
}

std::string ClusterNode::metrics_text() const {
  std::string out;
  auto line = [&out](const std::string& text) { out += text + "\n"; };
  line("# HELP sfu_cluster_redis_connected 1 while both Redis connections (commands, pub/sub) are up.");
  line("# TYPE sfu_cluster_redis_connected gauge");
  line("sfu_cluster_redis_connected " + std::to_string(available() ? 1 : 0));
  line(
      "# HELP sfu_cluster_redis_reconnects_total Redis connections lost, refused, or given up on (not up, or "
      "a command unanswered, within cluster.redis_timeout_ms), each made again with backoff.");
  line("# TYPE sfu_cluster_redis_reconnects_total counter");
  line("sfu_cluster_redis_reconnects_total " +
       std::to_string(commands_->reconnects() + subscriber_->reconnects()));
  line("# HELP sfu_cluster_nodes_alive Live nodes in the registry, as last read (this one included).");
  line("# TYPE sfu_cluster_nodes_alive gauge");
  line("sfu_cluster_nodes_alive " + std::to_string(nodes_.size()));
  line("# HELP sfu_cluster_draining 1 after POST /v1/node/drain.");
  line("# TYPE sfu_cluster_draining gauge");
  line("sfu_cluster_draining " + std::to_string(draining_ ? 1 : 0));
  line("# HELP sfu_cluster_messages_total Signed pub/sub messages sent to and accepted from other nodes.");
  line("# TYPE sfu_cluster_messages_total counter");
  line("sfu_cluster_messages_total{direction=\"sent\"} " + std::to_string(sent_));
  line("sfu_cluster_messages_total{direction=\"received\"} " + std::to_string(received_));
  line("# HELP sfu_cluster_messages_rejected_total Pub/sub messages dropped, by reason.");
  line("# TYPE sfu_cluster_messages_rejected_total counter");
  for (const char* reason : {"malformed", "bad_signature", "wrong_node", "stale"}) {
    auto it = rejected_.find(reason);
    line(std::string("sfu_cluster_messages_rejected_total{reason=\"") + reason + "\"} " +
         std::to_string(it == rejected_.end() ? 0 : it->second));
  }
  line("# HELP sfu_cluster_redirects_total Clients sent to another node with `redirect`, by reason.");
  line("# TYPE sfu_cluster_redirects_total counter");
  for (const char* reason : {"room_home", "drain"}) {
    auto it = redirects_.find(reason);
    line(std::string("sfu_cluster_redirects_total{reason=\"") + reason + "\"} " +
         std::to_string(it == redirects_.end() ? 0 : it->second));
  }
  line(
      "# HELP sfu_cluster_span_joins_total Joins for a room homed on another node that stayed here (the "
      "room spans nodes).");
  line("# TYPE sfu_cluster_span_joins_total counter");
  line("sfu_cluster_span_joins_total " + std::to_string(span_joins_));
  line("# HELP sfu_cluster_rooms_rehomed_total Rooms of a dead node this node took over.");
  line("# TYPE sfu_cluster_rooms_rehomed_total counter");
  line("sfu_cluster_rooms_rehomed_total " + std::to_string(rooms_rehomed_));
  line("# HELP sfu_cluster_refresh_failures_total Registry refreshes that could not be written.");
  line("# TYPE sfu_cluster_refresh_failures_total counter");
  line("sfu_cluster_refresh_failures_total " + std::to_string(refresh_failures_));
  return out;
}

}  // namespace sfu::cluster
