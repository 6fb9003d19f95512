#include "sfu/control/control_plane.h"

#include <algorithm>
#include <chrono>

#include "base/logger.h"
#include "sfu/control/jwt.h"
#include "sfu/control/protocol_messages.h"
#include "sfu/control/room_placement.h"
#include "sfu/media/worker.h"

namespace sfu {
namespace {

// How often the housekeeping timer retries waiting messages and checks deadlines.
constexpr uint64_t kHousekeepingMs = 20;
// The workers' queue to this thread (limits.control_queue_messages; a Config not loaded through
// the schema gets the default).
size_t control_queue_capacity(const config::Config& config) {
  return config.limits.control_queue_messages != 0 ? config.limits.control_queue_messages : size_t{1} << 16;
}
// Events one worker's rooms may have waiting for the control queue before a session's events are
// dropped and that session is closed (docs/protocol.md, "Queues between threads"): 1/16 of the
// queue, 4096 at the default.
size_t waiting_events_per_worker(size_t control_queue) { return std::max<size_t>(64, control_queue / 16); }
// Kicked identities remembered at once (auth.kick_ban_s); beyond, the oldest ban ends early.
constexpr size_t kMaxKickBans = 10000;

}  // namespace

Result<nlohmann::json> ControlPlane::verify_token(std::string_view token) const {
  const int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  return verify_jwt_hs256(token, config_.auth.secret,
                          JwtRequirements{.now_unix = now,
                                          .leeway_s = config_.auth.clock_skew_s,
                                          .audience = config_.auth.audience,
                                          .issuer = config_.auth.issuer});
}

bool valid_room_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

ControlPlane::ControlPlane(uv_loop_t* loop, const config::Config& config, std::vector<Worker*> workers)
    : loop_(loop),
      config_(config),
      workers_(std::move(workers)),
      kick_bans_(uint64_t{config.auth.kick_ban_s} * 1000, kMaxKickBans),
      resume_(uint64_t{config.signaling.resume_grace_s} * 1000) {
  HttpServer::Options options;
  options.host = config_.http.host;
  options.port = config_.http.port;
  options.max_body_bytes = config_.limits.message_bytes;
  options.max_ws_message_bytes = config_.limits.message_bytes;
  options.max_connections = config_.http.max_connections;
  options.max_connections_per_address = config_.http.max_connections_per_address;
  options.ws_ping_interval_ms = config_.http.websocket_ping_interval_s * 1000;
  options.ws_idle_timeout_ms = config_.http.websocket_idle_timeout_s * 1000;
  HttpServer::Handlers handlers;
  handlers.on_http = [this](const HttpRequest& request) { return guarded_http(request); };
  handlers.on_ws_open = [this](WebSocketSession& ws) { on_ws_open(ws); };
  handlers.on_ws_message = [this](WebSocketSession& ws, std::string_view text) {
    guarded_ws_message(ws, text);
  };
  handlers.on_ws_close = [this](WebSocketSession& ws) { on_ws_close(ws); };
  handlers.on_ws_protocol_error = [this](WebSocketSession& ws, std::string_view reason) {
    on_ws_protocol_error(ws, reason);
  };
  handlers.on_ws_upgrade = [this](const HttpRequest& upgrade) { return check_ws_origin(upgrade); };
  http_ = std::make_unique<HttpServer>(loop_, options, "/v1/rtc", std::move(handlers));
  // For the configured port until start() knows the bound one; tests and fuzz targets that drive
  // the handlers without start() get the same checks (a request without Host or Origin passes).
  origin_policy_ =
      std::make_unique<OriginPolicy>(config_.http.host, config_.http.port, config_.http.allowed_origins);
  const size_t control_queue = control_queue_capacity(config_);
  inbox_ = std::make_unique<TaskQueue>(loop_, control_queue);
  // Half the queue for the events of admitted joins; the rest for everything else.
  join_event_budget_ = control_queue / 2;

  WorkerEventSink::Handlers sink_handlers;
  sink_handlers.deliver = [this](uint64_t session_id, const RoomEvent& event) {
    on_room_event(session_id, event);
  };
  sink_handlers.participant_removed = [this](const std::string& room, const std::string& participant_id,
                                             uint64_t session_id, const Error& why) {
    on_participant_removed(room, participant_id, session_id, why);
  };
  sink_handlers.events_lost = [this](uint64_t session_id) { on_events_lost(session_id); };
  sink_handlers.shard_message = [this](const std::shared_ptr<const ShardMessage>& message) {
    on_shard_message(message);
  };
  worker_load_.assign(workers_.size(), 0);
  for (Worker* worker : workers_) {
    to_worker_.push_back(std::make_unique<OrderedPoster>(
        [worker](TaskQueue::Task& task) { return worker->try_post(task); }, 0));
    from_worker_.push_back(
        std::make_unique<WorkerEventSink>(*inbox_, sink_handlers, waiting_events_per_worker(control_queue)));
  }
  housekeeping_ = std::make_unique<UvTimer>(loop_, [this] { on_housekeeping(); });
}

ControlPlane::~ControlPlane() { stop(); }

Status ControlPlane::start() {
  Status started = http_->start();
  if (started) {
    origin_policy_ =
        std::make_unique<OriginPolicy>(config_.http.host, http_->port(), config_.http.allowed_origins);
    housekeeping_->start(kHousekeepingMs, kHousekeepingMs);
    start_cluster();
  }
  return started;
}

void ControlPlane::stop() {
  stopping_ = true;
  if (http_) http_->stop();
  // The timer handle closes with the loop's next turn, so the loop can end.
  housekeeping_.reset();
  cluster_exchanges_.clear();
  cluster_.reset();  // its Redis connections close with the loop's next turn
  // Closed, not freed: workers may still report until they are stopped, and a closed queue
  // refuses their tasks safely (the sinks keep them and go with the ControlPlane).
  if (inbox_) inbox_->close();
}

// ---- Queues to the workers ----

bool ControlPlane::post_request(uint32_t worker, std::function<void(Worker&)> task) {
  if (worker >= workers_.size()) return false;
  if (to_worker_[worker]->post_request([w = workers_[worker], task = std::move(task)] { task(*w); }))
    return true;
  log_warn("control", "worker queue full: request refused", {{"worker", std::to_string(worker)}});
  return false;
}

void ControlPlane::post_lifecycle(uint32_t worker, std::function<void(Worker&)> task) {
  if (worker >= workers_.size()) return;
  to_worker_[worker]->post_lifecycle([w = workers_[worker], task = std::move(task)] { task(*w); });
}

void ControlPlane::on_housekeeping() {
  retry_waiting_posts();
  uint64_t now = uv_now(loop_);
  free_due_rooms(now);
  time_out_room_queries(now);
  expire_detached(now);
}

void ControlPlane::retry_waiting_posts() {
  for (size_t i = 0; i < workers_.size(); ++i) {
    to_worker_[i]->retry();
    // What worker i's rooms could not queue to this thread is retried on worker i's thread.
    WorkerEventSink* sink = from_worker_[i].get();
    if (sink->claim_retry() && !workers_[i]->post([sink](Worker&) { sink->retry(); }))
      sink->retry_not_posted();
  }
}

// ---- What workers report ----

void ControlPlane::on_room_event(uint64_t session_id, const RoomEvent& event) {
  // The JSON is built here, so workers spend no time on the protocol. Events for a session that is
  // gone are dropped: a participant that resumes gets the room's state anew (Room::resume).
  ClientConnection* ws = find_client(session_id);
  if (!ws) return;
  nlohmann::json message = protocol::event_message(event);
  if (const auto* joined = std::get_if<Joined>(&event)) {
    add_resume_token(session_id, *joined, message);
    if (config_.turn.enabled()) message["ice_servers"] = ice_servers_for(joined->participant_id);
  }
  ws->send_text(protocol::to_text(message));
}

void ControlPlane::on_participant_removed(const std::string& room, const std::string& participant_id,
                                          uint64_t session_id, const Error& why) {
  RoomEntry* entry = find_room(room);
  if (entry && entry->participants.erase(participant_id) > 0) {
    unplace(*entry, participant_id);
    update_room_expiry(*entry);
  }
  // The session the participant has now: the worker may not know yet of a resume onto a new one.
  if (auto current = session_of_participant_.find(participant_id); current != session_of_participant_.end()) {
    session_id = current->second;
    session_of_participant_.erase(current);
  }
  forget_resume(participant_id);
  auto it = sessions_.find(session_id);
  if (it != sessions_.end() && it->second.participant_id == participant_id) {
    it->second.clear_membership();
    close_session(session_id, protocol::error_message(why), 1000);
  }
  log_info("control", "participant removed by its worker",
           {{"room", room},
            {"participant", participant_id},
            {"code", std::string(to_string(why.code))},
            {"reason", why.message}});
}

// The session's worker could not queue its events to this thread in time: the client's view of
// the room is incomplete, so it leaves and is told to join again.
void ControlPlane::on_events_lost(uint64_t session_id) {
  auto it = sessions_.find(session_id);
  if (it == sessions_.end()) return;
  handle_leave(it->second, "events lost");
  close_session(session_id,
                protocol::error_message({ErrorCode::overloaded,
                                         "the server is overloaded and lost messages for "
                                         "this connection; join again"}),
                1013);
}

// ---- Rooms directory ----

ClientConnection* ControlPlane::find_client(uint64_t session_id) {
  auto it = sessions_.find(session_id);
  return it == sessions_.end() ? nullptr : it->second.client;
}

ControlPlane::RoomEntry* ControlPlane::find_room(const std::string& name) {
  auto it = rooms_.find(name);
  return it == rooms_.end() ? nullptr : &it->second;
}

uint32_t ControlPlane::least_loaded_worker() const {
  if (worker_load_.empty()) return 0;
  return static_cast<uint32_t>(std::min_element(worker_load_.begin(), worker_load_.end()) -
                               worker_load_.begin());
}

// ---- Rooms across workers ----

uint32_t ControlPlane::worker_of(const RoomEntry& room, const std::string& participant_id) const {
  auto it = room.placement.find(participant_id);
  return it == room.placement.end() ? room.worker : it->second;
}

uint32_t ControlPlane::place_new_participant(RoomEntry& room) {
  uint32_t worker = place_participant(PlacementRequest{.policy = config_.rooms.span_workers,
                                                       .margin = config_.rooms.span_margin,
                                                       .worker_load = worker_load_,
                                                       .room_workers = room.shards,
                                                       .room_home = room.worker,
                                                       .room_joins = room.joins});
  if (std::find(room.shards.begin(), room.shards.end(), worker) == room.shards.end())
    open_shard(room, worker);
  return worker;
}

void ControlPlane::open_shard(RoomEntry& room, uint32_t worker) {
  // Rings first, then the new shard (which waits for the others' states), then the others (which
  // send it theirs): each worker's queue keeps this order.
  for (uint32_t other : room.shards) link_workers(other, worker);
  WorkerEventSink* sink = from_worker_[worker].get();
  RoomLimits limits{room.max_participants, config_.limits.tracks_per_participant};
  post_lifecycle(worker, [sink, limits, name = room.name, peers = room.shards](Worker& w) {
    w.open_room_shard(name, *sink, limits, peers);
  });
  for (uint32_t other : room.shards)
    post_lifecycle(other, [name = room.name, worker](Worker& w) {
      if (Room* r = w.find_room(name)) r->add_peer_shard(worker);
    });
  room.shards.push_back(worker);
  announce_room_part(room, worker);
  if (room.shards.size() > 1)
    log_info("control", "room spans another worker",
             {{"room", room.name},
              {"worker", std::to_string(worker)},
              {"workers", std::to_string(room.shards.size())}});
}

void ControlPlane::link_workers(uint32_t a, uint32_t b) {
  if (a == b || !linked_workers_.insert({std::min(a, b), std::max(a, b)}).second) return;
  Worker& wa = *workers_[a];
  Worker& wb = *workers_[b];
  const size_t packets = config_.rooms.ring_packets;
  auto a_to_b = std::make_shared<CrossWorkerLink>(a, b, packets, wa.cross_worker().counters(),
                                                  wb.cross_worker().counters(), wb.cross_worker().doorbell());
  auto b_to_a = std::make_shared<CrossWorkerLink>(b, a, packets, wb.cross_worker().counters(),
                                                  wa.cross_worker().counters(), wa.cross_worker().doorbell());
  post_lifecycle(a, [b, a_to_b, b_to_a](Worker& w) { w.cross_worker().attach(b, a_to_b, b_to_a); });
  post_lifecycle(b, [a, a_to_b, b_to_a](Worker& w) { w.cross_worker().attach(a, b_to_a, a_to_b); });
}

void ControlPlane::place(RoomEntry& room, const std::string& participant_id, uint32_t worker) {
  room.placement[participant_id] = worker;
  ++room.joins;
  ++worker_load_[worker];
}

void ControlPlane::unplace(RoomEntry& room, const std::string& participant_id) {
  auto it = room.placement.find(participant_id);
  if (it == room.placement.end()) return;
  if (worker_load_[it->second] > 0) --worker_load_[it->second];
  room.placement.erase(it);
}

void ControlPlane::on_shard_message(const std::shared_ptr<const ShardMessage>& message) {
  RoomEntry* room = find_room(message->room);
  if (!room) return;  // freed meanwhile: its shards are being removed
  for (uint32_t worker : room->shards) {
    if (worker == message->from_worker || (message->to_worker && *message->to_worker != worker)) continue;
    post_lifecycle(worker, [message](Worker& w) {
      if (Room* r = w.find_room(message->room)) r->on_shard_message(*message);
    });
  }
  send_to_remote_shards(*room, *message);
}

ControlPlane::RoomEntry& ControlPlane::add_room(const std::string& name, uint32_t max_participants,
                                                bool created_by_join) {
  RoomEntry& entry = rooms_[name];
  entry.name = name;
  entry.worker = least_loaded_worker();
  ++worker_load_[entry.worker];  // an empty room counts for one, so rooms spread before anyone joins
  entry.created_at =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  entry.max_participants = max_participants;
  entry.created_by_join = created_by_join;
  log_info("control", "room created", {{"room", name}, {"worker", std::to_string(entry.worker)}});
  return entry;
}

void ControlPlane::remove_participant_everywhere(const std::string& room, const std::string& participant_id,
                                                 const std::string& reason) {
  RoomEntry* entry = find_room(room);
  if (!entry) return;
  entry->participants.erase(participant_id);
  session_of_participant_.erase(participant_id);
  forget_resume(participant_id);
  uint32_t worker = worker_of(*entry, participant_id);
  unplace(*entry, participant_id);
  post_lifecycle(worker, [room, participant_id, reason](Worker& w) {
    if (Room* r = w.find_room(room)) r->leave(participant_id, reason);
  });
  update_room_expiry(*entry);
}

void ControlPlane::update_room_expiry(const RoomEntry& room) {
  if (room.created_by_join && room.participants.empty())
    empty_rooms_.schedule(room.name, uv_now(loop_) + uint64_t{config_.limits.empty_room_grace_s} * 1000);
  else
    empty_rooms_.cancel(room.name);
}

void ControlPlane::free_due_rooms(uint64_t now_ms) {
  for (const std::string& name : empty_rooms_.take_due(now_ms)) {
    const RoomEntry* room = find_room(name);
    if (!room || !room->participants.empty()) continue;
    log_info("control", "empty room freed", {{"room", name}});
    forget_room(name);
  }
}

void ControlPlane::forget_room(const std::string& name) {
  auto it = rooms_.find(name);
  if (it == rooms_.end()) return;
  RoomEntry& room = it->second;
  // Only workers holding a shard know the room: one refused before its first join was placed
  // (or created over REST and never joined) leaves no message behind.
  std::vector<uint32_t> shards = room.shards;
  while (!room.placement.empty()) unplace(room, room.placement.begin()->first);
  if (worker_load_[room.worker] > 0) --worker_load_[room.worker];
  rooms_.erase(it);
  empty_rooms_.cancel(name);
  if (cluster_) {
    cluster_->release_room(name);
    cluster_->leave_room_nodes(name);
  }
  for (uint32_t worker : shards) post_lifecycle(worker, [name](Worker& w) { w.remove_room(name); });
}

void ControlPlane::close_session(uint64_t session_id, const nlohmann::json& last_message, uint16_t code) {
  ClientConnection* ws = find_client(session_id);
  if (!ws) return;
  ws->send_text(protocol::to_text(last_message));
  ws->close(code, last_message.value("reason", last_message.value("code", std::string("closing"))));
}

}  // namespace sfu
