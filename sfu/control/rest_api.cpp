// REST (/v1/rooms...), /healthz, /metrics and the demo page of the control plane.
#include <chrono>
#include <future>

#include "sfu/control/control_plane.h"
#include "sfu/control/jwt.h"
#include "sfu/control/metrics.h"
#include "sfu/control/web_assets.h"
#include "sfu/media/worker.h"

namespace sfu {
namespace {

HttpResponse json_response(int status, const nlohmann::json& body) {
  HttpResponse response;
  response.status = status;
  response.body = body.dump();
  return response;
}

HttpResponse rest_error(int status, const std::string& code, const std::string& message) {
  return json_response(status, {{"error", {{"code", code}, {"message", message}}}});
}

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

constexpr auto kWorkerReplyTimeout = std::chrono::seconds(2);

}  // namespace

bool ControlPlane::authorized_admin(const HttpRequest& request, HttpResponse* refusal) {
  if (!config_.auth.enabled) return true;
  auto header = request.headers.find("authorization");
  const std::string prefix = "Bearer ";
  if (header == request.headers.end() || header->second.rfind(prefix, 0) != 0) {
    *refusal = rest_error(401, "unauthorized", "an admin bearer token is required");
    return false;
  }
  int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  auto verified = verify_jwt_hs256(header->second.substr(prefix.size()), config_.auth.secret, now);
  if (auto* reason = std::get_if<std::string>(&verified)) {
    *refusal = rest_error(401, "unauthorized", *reason);
    return false;
  }
  const auto& claims = std::get<nlohmann::json>(verified);
  auto admin = claims.find("admin");
  if (admin == claims.end() || !admin->is_boolean() || !admin->get<bool>()) {
    *refusal = rest_error(403, "forbidden", "the token lacks the admin claim");
    return false;
  }
  return true;
}

HttpResponse ControlPlane::on_http(const HttpRequest& request) {
  const std::string& method = request.method;
  if (request.path == "/healthz") {
    size_t running = 0;
    for (Worker* w : workers_) running += w->running() ? 1 : 0;
    bool ok = running == workers_.size();
    return json_response(ok ? 200 : 503, {{"status", ok ? "ok" : "starting"},
                                          {"workers", workers_.size()},
                                          {"workers_running", running},
                                          {"rooms", rooms_.size()}});
  }
  if (request.path == "/metrics") {
    HttpResponse response;
    response.content_type = "text/plain; version=0.0.4";
    response.body = metrics();
    return response;
  }
  if (method == "GET") {
    if (const WebAsset* asset = find_web_asset(request.path == "/" ? "/index.html" : request.path)) {
      HttpResponse response;
      response.content_type = asset->content_type;
      response.body.assign(asset->data, asset->size);
      response.headers.push_back({"Cache-Control", "no-cache"});
      return response;
    }
  }
  auto parts = path_parts(request.path);
  if (parts.size() < 2 || parts[0] != "v1" || parts[1] != "rooms")
    return rest_error(404, "not_found", "no such path");
  HttpResponse refusal;
  if (!authorized_admin(request, &refusal)) return refusal;
  if (parts.size() == 2) {
    if (method == "GET") return list_rooms();
    if (method == "POST") return create_room(request);
  } else if (parts.size() == 3) {
    if (method == "GET") return get_room(parts[2]);
    if (method == "DELETE") return delete_room(parts[2]);
  } else if (parts.size() == 5 && parts[3] == "participants") {
    if (method == "DELETE") return kick_participant(parts[2], parts[4]);
  } else {
    return rest_error(404, "not_found", "no such path");
  }
  return rest_error(405, "method_not_allowed", method + " is not allowed on " + request.path);
}

HttpResponse ControlPlane::list_rooms() {
  nlohmann::json rooms = nlohmann::json::array();
  for (const auto& [name, room] : rooms_)
    rooms.push_back({{"name", name},
                     {"participants", room.participants.size()},
                     {"worker", room.worker},
                     {"created_at", room.created_at},
                     {"max_participants", room.max_participants}});
  return json_response(200, {{"rooms", rooms}});
}

HttpResponse ControlPlane::create_room(const HttpRequest& request) {
  nlohmann::json body = nlohmann::json::parse(request.body, nullptr, false);
  if (body.is_discarded() || !body.is_object())
    return rest_error(400, "bad_request", "the body must be a JSON object");
  auto name = body.find("name");
  if (name == body.end() || !name->is_string() || !valid_room_name(name->get<std::string>()))
    return rest_error(400, "bad_request", "'name' must be a string of 1-64 characters of [A-Za-z0-9_-]");
  uint32_t max_participants = config_.limits.participants_per_room;
  if (auto max = body.find("max_participants"); max != body.end()) {
    if (!max->is_number_unsigned() || max->get<uint64_t>() < 1 ||
        max->get<uint64_t>() > config_.limits.participants_per_room)
      return rest_error(400, "bad_request",
                        "'max_participants' must be an integer from 1 to " +
                            std::to_string(config_.limits.participants_per_room));
    max_participants = max->get<uint32_t>();
  }
  if (find_room(*name)) return rest_error(409, "conflict", "room '" + name->get<std::string>() + "' exists");
  if (rooms_.size() >= config_.limits.rooms)
    return rest_error(429, "too_many_rooms", "the room limit is reached");
  RoomEntry& room = add_room(*name, max_participants);
  return json_response(201, {{"name", room.name},
                             {"participants", 0},
                             {"worker", room.worker},
                             {"created_at", room.created_at},
                             {"max_participants", room.max_participants}});
}

HttpResponse ControlPlane::get_room(const std::string& name) {
  RoomEntry* room = find_room(name);
  if (!room) return rest_error(404, "not_found", "no room '" + name + "'");
  // The worker owns the media state; ask it and wait briefly (it answers in microseconds unless
  // it is badly overloaded, and then a 503 says so).
  auto promise = std::make_shared<std::promise<nlohmann::json>>();
  auto future = promise->get_future();
  if (!post_to_worker(room->worker, [promise, name](Worker& w) {
        Room* r = w.find_room(name);
        promise->set_value(r ? r->describe() : nlohmann::json());
      }))
    return rest_error(503, "overloaded", "the room's worker is overloaded");
  if (future.wait_for(kWorkerReplyTimeout) != std::future_status::ready)
    return rest_error(503, "worker_timeout", "the room's worker did not answer in time");
  nlohmann::json detail = future.get();
  if (detail.is_null()) detail = {{"participants", nlohmann::json::array()}};
  detail["name"] = name;
  detail["worker"] = room->worker;
  detail["created_at"] = room->created_at;
  detail["max_participants"] = room->max_participants;
  return json_response(200, detail);
}

HttpResponse ControlPlane::delete_room(const std::string& name) {
  RoomEntry* room = find_room(name);
  if (!room) return rest_error(404, "not_found", "no room '" + name + "'");
  for (const auto& [participant_id, display_name] : room->participants) {
    auto session = session_of_participant_.find(participant_id);
    if (session == session_of_participant_.end()) continue;
    if (auto it = sessions_.find(session->second); it != sessions_.end()) {
      it->second.room.clear();
      it->second.participant_id.clear();
    }
    close_session(session->second, {{"type", "room_closed"}, {"reason", "the room was deleted"}}, 1000);
    session_of_participant_.erase(session);
  }
  uint32_t worker = room->worker;
  rooms_.erase(name);
  post_to_worker(worker, [name](Worker& w) { w.remove_room(name); });
  HttpResponse response;
  response.status = 204;
  return response;
}

HttpResponse ControlPlane::kick_participant(const std::string& room_name, const std::string& participant_id) {
  RoomEntry* room = find_room(room_name);
  if (!room) return rest_error(404, "not_found", "no room '" + room_name + "'");
  if (!room->participants.count(participant_id))
    return rest_error(404, "not_found",
                      "no participant '" + participant_id + "' in room '" + room_name + "'");
  auto session = session_of_participant_.find(participant_id);
  uint64_t session_id = session == session_of_participant_.end() ? 0 : session->second;
  if (auto it = sessions_.find(session_id); it != sessions_.end()) {
    it->second.room.clear();
    it->second.participant_id.clear();
  }
  remove_participant_everywhere(room_name, participant_id, "kicked");
  close_session(session_id, {{"type", "kicked"}, {"reason", "removed by an operator"}}, 1000);
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
  return render_metrics(workers_, stats);
}

}  // namespace sfu
