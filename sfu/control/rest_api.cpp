// REST (/v1/rooms...), /healthz, /metrics and the demo page of the control plane.
#include <algorithm>
#include <exception>
#include <iterator>
#include <optional>
#include <string>

#include "sfu/control/control_plane.h"
#include "sfu/control/data_post.h"
#include "sfu/control/jwt.h"
#include "sfu/control/metrics.h"
#include "sfu/control/protocol_messages.h"
#include "sfu/control/shard_snapshots.h"
#include "sfu/control/web_assets.h"
#include "sfu/media/worker.h"

namespace sfu {
namespace {

HttpResponse json_response(int status, const nlohmann::json& body) {
  HttpResponse response;
  response.status = status;
  response.body = protocol::to_text(body);
  return response;
}

}  // namespace

// Splits "/v1/rooms/a/participants/b" into {"v1","rooms","a","participants","b"}.
std::vector<std::string> path_parts(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start < path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    if (slash > start) parts.push_back(path.substr(start, slash - start));
    start = slash + 1;
  }
  return parts;
}

namespace {

HttpResponse metrics_response(std::string text) {
  HttpResponse response;
  response.content_type = "text/plain; version=0.0.4";
  response.body = std::move(text);
  return response;
}

// One of the demo page's files (web_assets.h).
HttpResponse web_asset_response(const WebAsset& asset) {
  HttpResponse response;
  response.content_type = asset.content_type;
  response.body.assign(asset.data, asset.size);
  response.headers.push_back({"Cache-Control", "no-cache"});
  return response;
}

// How long GET /v1/rooms/{name} waits for the room's worker before answering 503 worker_timeout.
constexpr uint64_t kWorkerReplyTimeoutMs = 2000;
constexpr size_t kQuotedHeaderBytes = 100;

std::string header_value(const HttpRequest& request, const std::string& name) {
  auto it = request.headers.find(name);
  return it == request.headers.end() ? std::string() : it->second;
}

// A header value for an error message: clipped (to_text replaces any invalid UTF-8 left).
std::string quoted_header(const std::string& value) {
  return "'" + value.substr(0, kQuotedHeaderBytes) + (value.size() > kQuotedHeaderBytes ? "...'" : "'");
}

}  // namespace

Status ControlPlane::authorize_admin(const HttpRequest& request) {
  if (!config_.auth.enabled) return {};
  auto header = request.headers.find("authorization");
  const std::string prefix = "Bearer ";
  if (header == request.headers.end() || header->second.rfind(prefix, 0) != 0)
    return Error{ErrorCode::unauthorized, "an admin bearer token is required"};
  auto verified = verify_token(std::string_view(header->second).substr(prefix.size()));
  if (!verified) return verified.error();
  const nlohmann::json& claims = verified.value();
  auto admin = claims.find("admin");
  if (admin == claims.end() || !admin->is_boolean() || !admin->get<bool>())
    return Error{ErrorCode::forbidden, "the token lacks the admin claim"};
  return {};
}

std::optional<HttpResponse> ControlPlane::check_ws_origin(const HttpRequest& upgrade) {
  const std::string origin = header_value(upgrade, "origin");
  if (origin_policy_->origin_allowed(origin, header_value(upgrade, "host"))) return std::nullopt;
  ++refused_origin_;
  return error_response(
      {ErrorCode::forbidden, "pages of origin " + quoted_header(origin) +
                                 " may not open the signaling WebSocket (http.allowed_origins)"});
}

// DNS rebinding: a hostile name resolved to this server makes its page same-origin with REST, but
// the browser still names it in Host. Cross-site requests (e.g. a form's POST) carry the page's
// Origin. Clients that are not browsers send neither a foreign Host nor an Origin.
std::optional<HttpResponse> ControlPlane::check_rest_caller(const HttpRequest& request) {
  const std::string host = header_value(request, "host");
  if (!origin_policy_->host_allowed(host)) {
    ++refused_host_;
    return error_response({ErrorCode::forbidden, "host " + quoted_header(host) +
                                                     " does not name this server; use its address, or add "
                                                     "the name's origin to http.allowed_origins"});
  }
  const std::string origin = header_value(request, "origin");
  if (origin_policy_->origin_allowed(origin, host)) return std::nullopt;
  ++refused_origin_;
  return error_response(
      {ErrorCode::forbidden, "pages of origin " + quoted_header(origin) + " may not use the REST API"});
}

HttpResponse ControlPlane::guarded_http(const HttpRequest& request) {
  try {
    return on_http(request);
  } catch (const std::exception& e) {
    ++rest_errors_;
    log_error("control", "HTTP handler threw", {{"what", e.what()}});
    return error_response({ErrorCode::internal_error, "the server failed to handle this request"});
  }
}

HttpResponse ControlPlane::on_http(const HttpRequest& request) {
  if (request.path == "/healthz") return health();
  if (request.path == "/metrics") {
    // /healthz stays open: load balancers and orchestrators probe it without credentials, and it
    // tells only whether the workers run.
    if (config_.metrics.require_auth) {
      if (Status authorized = authorize_admin(request); !authorized)
        return error_response(authorized.error());
    }
    return metrics_response(metrics());
  }
  if (request.method == "GET") {
    if (const WebAsset* asset = find_web_asset(request.path == "/" ? "/index.html" : request.path))
      return web_asset_response(*asset);
  }
  return on_rest(request);
}

HttpResponse ControlPlane::health() {
  size_t running = 0;
  for (Worker* w : workers_) running += w->running() ? 1 : 0;
  bool ok = running == workers_.size();
  return json_response(ok ? 200 : 503, {{"status", ok ? "ok" : "starting"},
                                        {"workers", workers_.size()},
                                        {"workers_running", running},
                                        {"rooms", rooms_.size()}});
}

// /v1/rooms... (docs/protocol.md): a path of another shape is a 404 before the admin check, a
// known one with a method it does not have a 405 after it.
HttpResponse ControlPlane::on_rest(const HttpRequest& request) {
  auto parts = path_parts(request.path);
  bool drain = parts.size() == 3 && parts[0] == "v1" && parts[1] == "node" && parts[2] == "drain";
  if (!drain && (parts.size() < 2 || parts[0] != "v1" || parts[1] != "rooms"))
    return error_response({ErrorCode::not_found, "no such path"});
  if (std::optional<HttpResponse> refused = check_rest_caller(request)) return *refused;
  if (Status authorized = authorize_admin(request); !authorized) return error_response(authorized.error());
  if (drain) {
    if (request.method == "POST") return drain_node();
    return error_response(
        {ErrorCode::method_not_allowed, request.method + " is not allowed on " + request.path});
  }
  // Cluster mode: the request acts on the room's parts on every node.
  if (std::optional<HttpResponse> merged = route_rest_to_parts(parts, request)) return *merged;
  return route_rest(parts, request, /*forwarded=*/false);
}

HttpResponse ControlPlane::route_rest(const std::vector<std::string>& parts, const HttpRequest& request,
                                      bool forwarded, bool part) {
  const std::string& method = request.method;
  switch (parts.size()) {
    case 2:  // /v1/rooms
      if (method == "GET")
        return forwarded || !cluster_ ? list_rooms() : list_cluster_rooms(request.exchange_id);
      if (method == "POST")
        return forwarded || !cluster_ ? create_room(request) : create_cluster_room(request);
      break;
    case 3:  // /v1/rooms/{room}
      if (method == "GET") return get_room(parts[2], request.exchange_id, part);
      if (method == "DELETE") return delete_room(parts[2]);
      break;
    case 4:  // /v1/rooms/{room}/data
      if (parts[3] != "data") return error_response({ErrorCode::not_found, "no such path"});
      if (method == "POST") return post_room_data(parts[2], request, part);
      break;
    case 5:  // /v1/rooms/{room}/participants/{participant}
      if (parts[3] != "participants") return error_response({ErrorCode::not_found, "no such path"});
      if (method == "DELETE") return kick_participant(parts[2], parts[4]);
      break;
    default:
      return error_response({ErrorCode::not_found, "no such path"});
  }
  return error_response({ErrorCode::method_not_allowed, method + " is not allowed on " + request.path});
}

HttpResponse ControlPlane::list_rooms() {
  nlohmann::json rooms = nlohmann::json::array();
  for (const auto& [name, room] : rooms_) rooms.push_back(protocol::room_summary(directory_entry(room)));
  return json_response(200, {{"rooms", rooms}});
}

HttpResponse ControlPlane::create_room(const HttpRequest& request) {
  nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return error_response({ErrorCode::bad_request, "the body must be a JSON object"});
  auto name = body.find("name");
  if (name == body.end() || !name->is_string() || !valid_room_name(name->get<std::string>()))
    return error_response(
        {ErrorCode::bad_request, "'name' must be a string of 1-64 characters of [A-Za-z0-9_-]"});
  uint32_t max_participants = config_.limits.participants_per_room;
  if (auto max = body.find("max_participants"); max != body.end()) {
    if (!max->is_number_unsigned() || max->get<uint64_t>() < 1 ||
        max->get<uint64_t>() > config_.limits.participants_per_room)
      return error_response(
          {ErrorCode::bad_request, "'max_participants' must be an integer from 1 to " +
                                       std::to_string(config_.limits.participants_per_room)});
    max_participants = max->get<uint32_t>();
  }
  if (find_room(*name))
    return error_response({ErrorCode::conflict, "room '" + name->get<std::string>() + "' exists"});
  if (rooms_.size() >= config_.limits.rooms)
    return error_response({ErrorCode::too_many_rooms, "the room limit is reached"});
  RoomEntry& room = add_room(*name, max_participants, /*created_by_join=*/false);
  return json_response(201, protocol::room_summary(directory_entry(room)));
}

HttpResponse ControlPlane::get_room(const std::string& name, uint64_t exchange_id, bool part) {
  RoomEntry* room = find_room(name);
  if (!room) return error_response({ErrorCode::not_found, "no room '" + name + "'"});
  // The workers own the media state: ask each shard, and answer when every snapshot is back (or
  // when the timeout fires), never waiting on this thread. A room not yet on its worker has no one.
  bool asked = ask_shards(*room, exchange_id, [this, name, exchange_id](uint32_t worker) {
    WorkerEventSink* sink = from_worker_[worker].get();
    return [this, sink, name, exchange_id](Worker& w) {
      Room* r = w.find_room(name);
      sink->send([this, exchange_id, snapshot = r ? r->describe() : RoomSnapshot{name, {}}] {
        answer_room_query(exchange_id, snapshot);
      });
    };
  });
  if (!asked) return error_response({ErrorCode::overloaded, "the room's worker is overloaded"});
  room_queries_[exchange_id].part = part;
  return deferred_response();
}

bool ControlPlane::ask_shards(const RoomEntry& room, uint64_t exchange_id,
                              const std::function<std::function<void(Worker&)>(uint32_t worker)>& ask) {
  std::vector<uint32_t> workers = room.shards.empty() ? std::vector<uint32_t>{room.worker} : room.shards;
  for (uint32_t worker : workers) {
    if (post_request(worker, ask(worker))) continue;
    // Answers of the shards already asked find no query and are dropped.
    room_queries_.erase(exchange_id);
    return false;
  }
  room_queries_[exchange_id] = RoomQuery{room.name, workers.size(), {}, 0};
  room_query_timeouts_.schedule(exchange_id, uv_now(loop_) + kWorkerReplyTimeoutMs);
  return true;
}

void ControlPlane::answer_room_query(uint64_t exchange_id, const RoomSnapshot& snapshot) {
  auto query = room_queries_.find(exchange_id);
  if (query == room_queries_.end()) return;  // answered by the timeout already
  query->second.snapshots.push_back(snapshot);
  if (--query->second.waiting > 0) return;
  const RoomEntry* room = find_room(query->second.room);
  RoomSnapshot merged = merge_shard_snapshots(query->second.room, query->second.snapshots);
  // A part of a room spanning nodes: the other nodes' tracks it forwards to its own subscribers
  // (proxies, on peers from kRemotePeerBase), which the merging node adds to those tracks' counts.
  nlohmann::json remote_subscribers = nlohmann::json::object();
  if (query->second.part)
    for (const RoomSnapshot& shard : query->second.snapshots)
      for (const ParticipantSnapshot& seen : shard.participants)
        if (seen.remote && seen.worker >= kRemotePeerBase)
          for (const TrackSnapshot& track : seen.tracks)
            remote_subscribers[track.id] =
                remote_subscribers.value(track.id, uint64_t{0}) + track.subscribers;
  room_query_timeouts_.cancel(exchange_id);
  room_queries_.erase(query);
  nlohmann::json detail;
  if (room) {
    detail = protocol::room_detail(directory_entry(*room), merged);
    if (!remote_subscribers.empty()) detail["remote_subscribers"] = std::move(remote_subscribers);
  }
  // The client may have gone meanwhile; complete() then sends nothing.
  complete_http(exchange_id, room ? json_response(200, detail)
                                  : error_response({ErrorCode::not_found, "no room '" + merged.name + "'"}));
}

void ControlPlane::time_out_room_queries(uint64_t now_ms) {
  for (uint64_t exchange_id : room_query_timeouts_.take_due(now_ms)) {
    room_queries_.erase(exchange_id);
    complete_http(exchange_id,
                  error_response({ErrorCode::worker_timeout, "the room's worker did not answer in time"}));
  }
}

void ControlPlane::complete_http(uint64_t exchange_id, HttpResponse response) {
  if (auto forwarded = cluster_exchanges_.find(exchange_id); forwarded != cluster_exchanges_.end()) {
    auto answer = std::move(forwarded->second);
    cluster_exchanges_.erase(forwarded);
    answer({response.status, response.content_type, response.body});
  } else if (deferred_answers_)
    deferred_answers_(exchange_id, std::move(response));
  else
    http_->complete(exchange_id, std::move(response));
}

// A server message for the room (docs/protocol.md, "Data channels"): checked here, sent by the
// room's worker, which answers with how many participants it went to (202), as a room query does.
HttpResponse ControlPlane::post_room_data(const std::string& name, const HttpRequest& request, bool part) {
  RoomEntry* room = find_room(name);
  if (!room) return error_response({ErrorCode::not_found, "no room '" + name + "'"});
  if (!config_.data_channels.enabled)
    return error_response({ErrorCode::unsupported, "data channels are off (data_channels.enabled: false)"});
  auto post = parse_data_post(request.body, config_.data_channels.max_message_bytes);
  if (!post) return error_response(post.error());
  std::vector<std::string> held;  // part: the named participants this node holds
  if (part && !post->participants.empty()) {
    std::copy_if(post->participants.begin(), post->participants.end(), std::back_inserter(held),
                 [&](const std::string& id) { return room->participants.count(id) > 0; });
    // None here: nothing to send (an empty list would mean everyone).
    if (held.empty()) return json_response(202, {{"participants", 0}, {"held", held}});
    post->participants = held;
  }
  auto unknown = std::find_if(post->participants.begin(), post->participants.end(),
                              [&](const std::string& id) { return !room->participants.count(id); });
  if (unknown != post->participants.end())
    return error_response({ErrorCode::not_found, "no participant '" + *unknown + "' in room '" + name + "'"});
  uint64_t exchange_id = request.exchange_id;
  auto shared = std::make_shared<DataPost>(std::move(post.value()));
  // Each shard sends it to the participants it holds.
  bool asked = ask_shards(*room, exchange_id, [this, name, exchange_id, shared](uint32_t worker) {
    WorkerEventSink* sink = from_worker_[worker].get();
    return [this, sink, name, exchange_id, shared](Worker& w) {
      Room* r = w.find_room(name);
      ByteSpan message(reinterpret_cast<const uint8_t*>(shared->message.data()), shared->message.size());
      size_t queued = r ? r->send_data(shared->participants, shared->binary, message) : 0;
      sink->send([this, exchange_id, queued] { answer_data_post(exchange_id, queued); });
    };
  });
  if (!asked) return error_response({ErrorCode::overloaded, "the room's worker is overloaded"});
  room_queries_[exchange_id].part = part;
  room_queries_[exchange_id].held = std::move(held);
  return deferred_response();
}

void ControlPlane::answer_data_post(uint64_t exchange_id, size_t queued) {
  auto query = room_queries_.find(exchange_id);
  if (query == room_queries_.end()) return;  // answered by the timeout already
  query->second.queued += queued;
  if (--query->second.waiting > 0) return;
  size_t total = query->second.queued;
  nlohmann::json answer = {{"participants", total}};
  if (query->second.part) answer["held"] = query->second.held;
  room_query_timeouts_.cancel(exchange_id);
  room_queries_.erase(query);
  complete_http(exchange_id, json_response(202, answer));
}

HttpResponse ControlPlane::delete_room(const std::string& name) {
  RoomEntry* room = find_room(name);
  if (!room) return error_response({ErrorCode::not_found, "no room '" + name + "'"});
  for (const auto& [participant_id, display_name] : room->participants) {
    forget_resume(participant_id);
    auto session = session_of_participant_.find(participant_id);
    if (session == session_of_participant_.end()) continue;
    if (auto it = sessions_.find(session->second); it != sessions_.end()) {
      it->second.clear_membership();
    }
    close_session(session->second, protocol::room_closed_message(), 1000);
    session_of_participant_.erase(session);
  }
  forget_room(name);
  HttpResponse response;
  response.status = 204;
  return response;
}

HttpResponse ControlPlane::kick_participant(const std::string& room_name, const std::string& participant_id) {
  RoomEntry* room = find_room(room_name);
  if (!room) return error_response({ErrorCode::not_found, "no room '" + room_name + "'"});
  if (!room->participants.count(participant_id))
    return error_response(
        {ErrorCode::not_found, "no participant '" + participant_id + "' in room '" + room_name + "'"});
  auto session = session_of_participant_.find(participant_id);
  uint64_t session_id = session == session_of_participant_.end() ? 0 : session->second;
  // The kick holds: this identity may not join (or resume into) the room again for auth.kick_ban_s,
  // whether its WebSocket is open or lost (a detached participant waiting for a resume).
  if (const Session* member = membership_of(participant_id); member && !member->identity.empty())
    kick_bans_.ban(room_name, member->identity, uv_now(loop_));
  if (auto it = sessions_.find(session_id);
      it != sessions_.end() && it->second.participant_id == participant_id)
    it->second.clear_membership();
  remove_participant_everywhere(room_name, participant_id, "kicked");
  close_session(session_id, protocol::kicked_message(), 1000);
  HttpResponse response;
  response.status = 204;
  return response;
}

}  // namespace sfu

namespace sfu {

std::string ControlPlane::metrics() {
  ControlStats stats;
  stats.rooms = rooms_.size();
  for (const auto& [name, room] : rooms_) stats.participants += room.participants.size();
  stats.websocket_sessions = sessions_.size();
  stats.worker_participants.assign(workers_.size(), 0);
  stats.worker_spanning_rooms.assign(workers_.size(), 0);
  for (const auto& [name, room] : rooms_) {
    for (const auto& [id, worker] : room.placement) ++stats.worker_participants[worker];
    if (room.shards.size() > 1)
      for (uint32_t worker : room.shards) ++stats.worker_spanning_rooms[worker];
  }
  stats.signaling_errors = signaling_errors_;
  stats.rest_errors = rest_errors_;
  stats.control_task_errors = inbox_->failed_tasks();
  for (size_t i = 0; i < workers_.size(); ++i) {
    const OrderedPoster& to = *to_worker_[i];
    stats.to_worker.push_back({to.deferred_total(), to.refused_total(), to.waiting()});
    const OrderedPoster& from = from_worker_[i]->poster();
    stats.to_control.push_back({from.deferred_total(), from.refused_total(), from.waiting()});
  }
  stats.turn_credentials_issued = turn_credentials_issued_;
  stats.joins_refused = {{"server_full", join_refusals_.server_full},
                         {"too_many_rooms", join_refusals_.too_many_rooms},
                         {"room_full", join_refusals_.room_full},
                         {"overloaded", join_refusals_.overloaded},
                         {"banned", join_refusals_.banned}};
  stats.resumes = {{"ok", resume_counts_.ok},
                   {"bad_token", resume_counts_.bad_token},
                   {"expired", resume_counts_.expired},
                   {"banned", resume_counts_.banned},
                   {"overloaded", resume_counts_.overloaded}};
  stats.participants_detached = detached_.size();
  stats.resume_grace_expired = resume_counts_.grace_expired;
  const HttpServer::Counters& http = http_->counters();
  stats.http_refused = {refused_origin_, refused_host_, http.refused_connections,
                        http.refused_connections_per_address};
  stats.http_timeouts = {http.request_timeouts, http.websocket_idle_closes};
  return render_metrics(workers_, stats) +
         (cluster_ ? cluster_->metrics_text() + relay_metrics_text() : std::string());
}

}  // namespace sfu
