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
#include "sfu/control/client_connection.h"
#include "sfu/control/http_server.h"
#include "sfu/control/origin_policy.h"
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

  // What the HTTP server calls, on the control thread; tests and fuzz targets call the same with
  // their own ClientConnection. A connection is valid from on_ws_open until on_ws_close returns,
  // and the control plane sends to it only in between. Handler boundaries: what a handler throws
  // is caught here, counted (sfu_internal_errors_total), answered with internal_error, and the
  // server keeps serving.
  void on_ws_open(ClientConnection& ws);
  void guarded_ws_message(ClientConnection& ws, std::string_view text);  // one complete text message
  void on_ws_protocol_error(ClientConnection& ws, std::string_view reason);
  void on_ws_close(ClientConnection& ws);
  HttpResponse guarded_http(const HttpRequest& request);

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
    ClientConnection* client = nullptr;  // valid while the session is in sessions_
    std::string room;
    std::string participant_id;
    uint32_t bad_messages = 0;
  };

  // Signaling (signaling.cpp)
  void on_ws_message(ClientConnection& ws, std::string_view text);
  Result<std::string> join_display_name(const nlohmann::json& message, const std::string& room_name);
  void handle_join(ClientConnection& ws, Session& session, const nlohmann::json& message);
  void handle_sdp(ClientConnection& ws, Session& session, const nlohmann::json& message, bool is_publish);
  void handle_leave(Session& session, const std::string& reason);
  void send_error(ClientConnection& ws, const Error& error, std::string_view request_type = {});
  void count_bad_message(ClientConnection& ws, Session& session);
  // The open connection of a session, or nullptr when it is gone.
  ClientConnection* find_client(uint64_t session_id);

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
  // Browsers' pages (origin_policy.h): the signaling WebSocket's Origin check, and REST's Host and
  // Origin check; a refusal is a 403 answer, counted in sfu_http_refused_total.
  std::optional<HttpResponse> check_ws_origin(const HttpRequest& upgrade);
  std::optional<HttpResponse> check_rest_caller(const HttpRequest& request);

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
  std::unique_ptr<OriginPolicy> origin_policy_;  // from start(), when the port is known
  std::unique_ptr<TaskQueue> inbox_;
  // Exceptions caught at the handler boundaries (read by /metrics on this thread).
  uint64_t signaling_errors_ = 0;
  uint64_t rest_errors_ = 0;     // from workers
  uint64_t refused_origin_ = 0;  // WebSocket upgrades and REST requests from a page not allowed
  uint64_t refused_host_ = 0;    // REST requests whose Host does not name this server
  std::map<std::string, RoomEntry> rooms_;
  std::unordered_map<uint64_t, Session> sessions_;
  std::unordered_map<std::string, uint64_t> session_of_participant_;
};

// Shared by signaling and REST.
bool valid_room_name(std::string_view name);

}  // namespace sfu
