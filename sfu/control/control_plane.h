// The control thread's server: one HTTP port with the signaling WebSocket (/v1/rtc), the REST API
// (/v1/rooms...), /healthz, /metrics and the demo page. It keeps the directory of rooms (which
// worker has which room, who is in it) and talks to workers only through their task queues. Room
// events arrive typed from worker threads and are turned into protocol JSON on the control thread
// (protocol_messages.h). Owned by the server; it does not own the workers.
#pragma once

#include <uv.h>

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "base/task_queue.h"
#include "config/config.h"
#include "sfu/control/http_server.h"
#include "sfu/control/protocol_messages.h"
#include "sfu/media/room_events.h"

namespace sfu {

class Worker;

class ControlPlane : public RoomEvents {
 public:
  ControlPlane(uv_loop_t* loop, const config::Config& config, std::vector<Worker*> workers);
  ~ControlPlane() override;

  Status start();
  void stop();
  uint16_t port() const { return http_->port(); }

  // RoomEvents (called on worker threads)
  void deliver(uint64_t session_id, RoomEvent event) override;
  void participant_removed(const std::string& room, const std::string& participant_id, uint64_t session_id,
                           const Error& why) override;

 private:
  struct RoomEntry {
    std::string name;
    uint32_t worker = 0;
    int64_t created_at = 0;  // unix seconds
    uint32_t max_participants = 0;
    std::map<std::string, std::string> participants;  // id -> display name
  };
  struct Session {
    uint64_t id = 0;
    std::string room;
    std::string participant_id;
    uint32_t bad_messages = 0;
  };

  // Signaling (signaling.cpp)
  void on_ws_open(WebSocketSession& ws);
  void on_ws_message(WebSocketSession& ws, std::string_view text);
  // Handler boundaries: what a handler throws is caught here, counted (sfu_internal_errors_total),
  // answered with internal_error, and the server keeps serving.
  void guarded_ws_message(WebSocketSession& ws, std::string_view text);
  HttpResponse guarded_http(const HttpRequest& request);
  void on_ws_close(WebSocketSession& ws);
  void on_ws_protocol_error(WebSocketSession& ws, std::string_view reason);
  Result<std::string> join_display_name(const nlohmann::json& message, const std::string& room_name);
  void handle_join(WebSocketSession& ws, Session& session, const nlohmann::json& message);
  void handle_sdp(WebSocketSession& ws, Session& session, const nlohmann::json& message, bool is_publish);
  void handle_leave(Session& session, const std::string& reason);
  void send_error(WebSocketSession& ws, const Error& error, std::string_view request_type = {});
  void count_bad_message(WebSocketSession& ws, Session& session);

  // REST, health, metrics, demo page (rest_api.cpp)
  HttpResponse on_http(const HttpRequest& request);
  HttpResponse health();
  HttpResponse on_rest(const HttpRequest& request);  // /v1/rooms...
  HttpResponse list_rooms();
  HttpResponse create_room(const HttpRequest& request);
  HttpResponse get_room(const std::string& name);
  HttpResponse delete_room(const std::string& name);
  HttpResponse kick_participant(const std::string& room, const std::string& participant_id);
  std::string metrics();
  static protocol::RoomDirectoryEntry directory_entry(const RoomEntry& room) {
    return {room.name, room.participants.size(), room.worker, room.created_at, room.max_participants};
  }
  // Ok when auth is off or the request carries an admin token; else unauthorized / forbidden.
  Status authorize_admin(const HttpRequest& request);

  // Rooms directory
  RoomEntry* find_room(const std::string& name);
  RoomEntry& add_room(const std::string& name, uint32_t max_participants);
  uint32_t least_loaded_worker() const;
  void remove_participant_everywhere(const std::string& room, const std::string& participant_id,
                                     const std::string& reason);
  void close_session(uint64_t session_id, const nlohmann::json& last_message, uint16_t code);
  bool post_to_worker(uint32_t worker, std::function<void(Worker&)> task);

  uv_loop_t* loop_;
  const config::Config& config_;
  std::vector<Worker*> workers_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<TaskQueue> inbox_;
  // Exceptions caught at the handler boundaries (read by /metrics on this thread).
  uint64_t signaling_errors_ = 0;
  uint64_t rest_errors_ = 0;  // from workers
  std::map<std::string, RoomEntry> rooms_;
  std::unordered_map<uint64_t, Session> sessions_;
  std::unordered_map<std::string, uint64_t> session_of_participant_;
};

// Shared by signaling and REST.
bool valid_room_name(std::string_view name);

}  // namespace sfu
