#include "sfu/control/control_plane.h"

#include <algorithm>
#include <chrono>

#include "base/logger.h"
#include "sfu/control/protocol_messages.h"
#include "sfu/media/worker.h"

namespace sfu {

bool valid_room_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

ControlPlane::ControlPlane(uv_loop_t* loop, const config::Config& config, std::vector<Worker*> workers)
    : loop_(loop), config_(config), workers_(std::move(workers)) {
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
  inbox_ = std::make_unique<TaskQueue>(loop_, 1 << 16);
}

ControlPlane::~ControlPlane() { stop(); }

Status ControlPlane::start() {
  Status started = http_->start();
  if (started)
    origin_policy_ =
        std::make_unique<OriginPolicy>(config_.http.host, http_->port(), config_.http.allowed_origins);
  return started;
}

void ControlPlane::stop() {
  if (http_) http_->stop();
  // Closed, not freed: workers may still call deliver() until they are stopped, and a
  // closed queue refuses their tasks safely (the object goes with the ControlPlane).
  if (inbox_) inbox_->close();
}

bool ControlPlane::post_to_worker(uint32_t worker, std::function<void(Worker&)> task) {
  if (worker >= workers_.size()) return false;
  if (workers_[worker]->post(std::move(task))) return true;
  log_warn("control", "worker queue full", {{"worker", std::to_string(worker)}});
  return false;
}

void ControlPlane::deliver(uint64_t session_id, RoomEvent event) {
  // Called on a worker thread: hop to the control loop, where sessions live; the JSON is built
  // there too, so workers spend no time on the protocol.
  inbox_->post([this, session_id, event = std::move(event)] {
    if (ClientConnection* ws = find_client(session_id))
      ws->send_text(protocol::to_text(protocol::event_message(event)));
  });
}

void ControlPlane::participant_removed(const std::string& room, const std::string& participant_id,
                                       uint64_t session_id, const Error& why) {
  inbox_->post([this, room, participant_id, session_id, why] {
    if (RoomEntry* entry = find_room(room)) entry->participants.erase(participant_id);
    session_of_participant_.erase(participant_id);
    auto it = sessions_.find(session_id);
    if (it != sessions_.end() && it->second.participant_id == participant_id) {
      it->second.room.clear();
      it->second.participant_id.clear();
      close_session(session_id, protocol::error_message(why), 1000);
    }
    log_info("control", "participant removed by its worker",
             {{"room", room},
              {"participant", participant_id},
              {"code", std::string(to_string(why.code))},
              {"reason", why.message}});
  });
}

ClientConnection* ControlPlane::find_client(uint64_t session_id) {
  auto it = sessions_.find(session_id);
  return it == sessions_.end() ? nullptr : it->second.client;
}

ControlPlane::RoomEntry* ControlPlane::find_room(const std::string& name) {
  auto it = rooms_.find(name);
  return it == rooms_.end() ? nullptr : &it->second;
}

uint32_t ControlPlane::least_loaded_worker() const {
  std::vector<size_t> load(workers_.size(), 0);
  for (const auto& [name, room] : rooms_) load[room.worker] += room.participants.size() + 1;
  return static_cast<uint32_t>(std::min_element(load.begin(), load.end()) - load.begin());
}

ControlPlane::RoomEntry& ControlPlane::add_room(const std::string& name, uint32_t max_participants) {
  RoomEntry& entry = rooms_[name];
  entry.name = name;
  entry.worker = least_loaded_worker();
  entry.created_at =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  entry.max_participants = max_participants;
  RoomLimits limits{max_participants, config_.limits.tracks_per_participant};
  post_to_worker(entry.worker, [this, name, limits](Worker& w) { w.create_room(name, *this, limits); });
  log_info("control", "room created", {{"room", name}, {"worker", std::to_string(entry.worker)}});
  return entry;
}

void ControlPlane::remove_participant_everywhere(const std::string& room, const std::string& participant_id,
                                                 const std::string& reason) {
  RoomEntry* entry = find_room(room);
  if (!entry) return;
  entry->participants.erase(participant_id);
  session_of_participant_.erase(participant_id);
  post_to_worker(entry->worker, [room, participant_id, reason](Worker& w) {
    if (Room* r = w.find_room(room)) r->leave(participant_id, reason);
  });
}

void ControlPlane::close_session(uint64_t session_id, const nlohmann::json& last_message, uint16_t code) {
  ClientConnection* ws = find_client(session_id);
  if (!ws) return;
  ws->send_text(protocol::to_text(last_message));
  ws->close(code, last_message.value("reason", last_message.value("code", std::string("closing"))));
}

}  // namespace sfu
