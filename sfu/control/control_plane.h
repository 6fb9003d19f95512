// The control thread's server: one HTTP port with the signaling WebSocket (/v1/rtc), the REST API
// (/v1/rooms...), /healthz, /metrics and the demo page. It keeps the directory of rooms (which
// worker has which room, who is in it) and talks to workers only through their task queues: its
// messages to a worker go through one OrderedPoster per worker (requests refused when the queue is
// full, lifecycle messages kept and retried), and the rooms of a worker report back through that
// worker's WorkerEventSink (docs/protocol.md, "Queues between threads"). Room events arrive typed
// and are turned into protocol JSON on the control thread (protocol_messages.h). One housekeeping
// timer retries what waits, frees rooms created by join once empty for limits.empty_room_grace_s,
// and times out room queries. Owned by the server; it does not own the workers, and must outlive
// their rooms (workers stop before it is destroyed).
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "base/socket_address.h"
#include "base/task_queue.h"
#include "base/uv_timer.h"
#include "config/config.h"
#include "sfu/cluster/cluster_node.h"
#include "sfu/control/client_connection.h"
#include "sfu/control/deadline_queue.h"
#include "sfu/control/http_server.h"
#include "sfu/control/kick_bans.h"
#include "sfu/control/ordered_poster.h"
#include "sfu/control/origin_policy.h"
#include "sfu/control/protocol_messages.h"
#include "sfu/control/resume_registry.h"
#include "sfu/control/worker_event_sink.h"
#include "sfu/media/room_events.h"

namespace sfu {

class Worker;
struct PartAnswer;     // room_rest_merge.h
struct RoomRestMerge;  // room_rest_merge.h

// Another node's answer to a forwarded REST request, as this node's HTTP answer (cluster_glue.cpp).
HttpResponse forwarded_answer_response(const cluster::ForwardedAnswer& answer);

class ControlPlane {
 public:
  ControlPlane(uv_loop_t* loop, const config::Config& config, std::vector<Worker*> workers);
  ~ControlPlane();
  ControlPlane(const ControlPlane&) = delete;
  ControlPlane& operator=(const ControlPlane&) = delete;

  Status start();
  void stop();
  uint16_t port() const { return http_->port(); }

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
  // Where the answers guarded_http() deferred go (GET /v1/rooms/{name}; see deferred_response()),
  // named by the request's exchange_id: HttpServer::complete() unless replaced here. Tests and fuzz
  // targets that call guarded_http() themselves set exchange ids and collect the answers here.
  using DeferredAnswers = std::function<void(uint64_t exchange_id, HttpResponse response)>;
  void set_deferred_answers(DeferredAnswers answers) { deferred_answers_ = std::move(answers); }

 private:
  struct RoomEntry {
    std::string name;
    uint32_t worker = 0;     // its home: the worker chosen when it was created (room_placement.h)
    int64_t created_at = 0;  // unix seconds
    uint32_t max_participants = 0;
    bool created_by_join = false;                     // freed limits.empty_room_grace_s after it empties
    std::map<std::string, std::string> participants;  // id -> display name
    // Rooms across workers (room_shard.h): the workers with a shard of the room, in the order they
    // were opened (the home first, once anyone joined), and where each participant is placed.
    std::vector<uint32_t> shards;
    std::map<std::string, uint32_t> placement;
    uint64_t joins = 0;  // participants placed so far (round_robin)
    // Rooms spanning nodes (cluster_span.cpp): the other nodes holding a part of the room, the
    // peer indices of their shards, and whether the room's home is another node (this node holds
    // a part only: it does not write the room's directory entry).
    std::set<std::string> remote_nodes;
    std::set<uint32_t> remote_peers;
    bool remote_home = false;
    // The other nodes' participants, by the peer index of their shard, as their shard messages
    // (states, joins, leaves) passing through here tell: the whole room's count for the lists.
    std::map<uint32_t, std::set<std::string>> remote_members;
    size_t room_participants() const {
      size_t count = participants.size();
      for (const auto& [peer, members] : remote_members) count += members.size();
      return count;
    }
  };
  // Joins refused by the control plane, by reason (sfu_joins_refused_total).
  struct JoinRefusals {
    uint64_t server_full = 0, too_many_rooms = 0, room_full = 0, overloaded = 0, banned = 0;
  };
  // Resume attempts by result (sfu_resumes_total), and participants whose grace ran out.
  struct ResumeCounts {
    uint64_t ok = 0, bad_token = 0, expired = 0, banned = 0, overloaded = 0;
    uint64_t grace_expired = 0;
  };
  struct Session {
    uint64_t id = 0;
    ClientConnection* client = nullptr;  // valid while the session is in sessions_
    std::string room;
    std::string participant_id;
    std::string identity;  // what a kick bans (see JoinIdentity); empty with auth off
    uint32_t bad_messages = 0;

    void clear_membership() {
      room.clear();
      participant_id.clear();
      identity.clear();
    }
  };
  // Who a join is: the name the room sees and, with auth on, the identity a kick bans: the
  // token's `sub` ("sub:<sub>") or, without one, the token itself ("token:<signature>").
  struct JoinIdentity {
    std::string display_name;
    std::string identity;
  };

  // Signaling (signaling.cpp)
  void on_ws_message(ClientConnection& ws, std::string_view text);
  // The message's `name`, or with auth on the token's `name` (or `sub`), after checking the token
  // is valid, for this room and not banned from it by a kick.
  Result<JoinIdentity> join_identity(const nlohmann::json& message, const std::string& room_name);
  // forbidden (counted) while a kick's ban of this identity from this room lasts.
  Status check_kick_ban(const std::string& room_name, const std::string& identity);
  // `routed`: the cluster (if any) already said this node is the room's home.
  void handle_join(ClientConnection& ws, Session& session, const nlohmann::json& message,
                   bool routed = false);
  // The room a join goes into, added to the directory when missing (`created`); server_full,
  // too_many_rooms or room_full (counted) when it may not.
  Result<RoomEntry*> room_for_join(const std::string& name, bool& created);
  void handle_sdp(ClientConnection& ws, Session& session, const nlohmann::json& message, bool is_publish);
  void handle_restart_ice(ClientConnection& ws, Session& session, const nlohmann::json& message);
  void handle_track_settings(ClientConnection& ws, Session& session, const nlohmann::json& message);
  void handle_leave(Session& session, const std::string& reason);

  // Session resume (session_resume.cpp; docs/protocol.md, "Session resume").
  // A `resume` on a connection not in a room: takes the participant back from its lost (or still
  // open) session, or answers resume_failed / forbidden / overloaded.
  void handle_resume(ClientConnection& ws, Session& session, const nlohmann::json& message);
  // The session's WebSocket was lost: its participant waits signaling.resume_grace_s for a resume.
  void detach(const Session& session);
  // The participant's membership as the control plane holds it: its open session, or its entry
  // among the detached; nullptr when neither.
  const Session* membership_of(const std::string& participant_id) const;
  // Adds a fresh resume_token to a `joined` / `resumed` for the session that joined (or resumed).
  void add_resume_token(uint64_t session_id, const Joined& joined, nlohmann::json& message);
  // Detached participants whose grace ran out leave (the others get participant_left).
  void expire_detached(uint64_t now_ms);
  // The participant is gone: its resume token and detached entry with it.
  void forget_resume(const std::string& participant_id);
  void count_resume(ResumeRegistry::Check result);
  void send_error(ClientConnection& ws, const Error& error, std::string_view request_type = {});
  // `joined`'s ice_servers: the turn.urls with credentials for this participant, valid turn.ttl_s
  // from now (counted in sfu_turn_credentials_issued_total).
  nlohmann::json ice_servers_for(const std::string& participant_id);
  void count_bad_message(ClientConnection& ws, Session& session);
  // The open connection of a session, or nullptr when it is gone.
  ClientConnection* find_client(uint64_t session_id);

  // REST, health, metrics, demo page (rest_api.cpp)
  HttpResponse on_http(const HttpRequest& request);
  HttpResponse health();
  HttpResponse on_rest(const HttpRequest& request);  // /v1/rooms...
  // The request's answer once it passed the caller checks; `forwarded`: run for another node of the
  // cluster (never forwarded again), on this node's part of the room; `part`: that node merges the
  // answers of several parts (room_rest_merge.h).
  HttpResponse route_rest(const std::vector<std::string>& parts, const HttpRequest& request, bool forwarded,
                          bool part = false);
  HttpResponse list_rooms();
  HttpResponse create_room(const HttpRequest& request);
  // Answered later (deferred): the worker's snapshot comes back as a task, or the timeout fires.
  // `part`: one part of a room spanning nodes, whose answer also says how many subscribers here
  // each other node's track has (`remote_subscribers`).
  HttpResponse get_room(const std::string& name, uint64_t exchange_id, bool part = false);
  void answer_room_query(uint64_t exchange_id, const RoomSnapshot& snapshot);
  // Posts `ask(worker)` to every shard of `room` (its home before anyone joined) and records the
  // query; false (nothing recorded) when a worker's queue refused.
  bool ask_shards(const RoomEntry& room, uint64_t exchange_id,
                  const std::function<std::function<void(Worker&)>(uint32_t worker)>& ask);
  void time_out_room_queries(uint64_t now_ms);
  void complete_http(uint64_t exchange_id, HttpResponse response);
  // POST /v1/rooms/{name}/data: answered later (202 with the count) like get_room. `part`: one part
  // of a room spanning nodes: sends to the named participants it holds (`held` in the answer).
  HttpResponse post_room_data(const std::string& name, const HttpRequest& request, bool part = false);
  void answer_data_post(uint64_t exchange_id, size_t queued);
  HttpResponse delete_room(const std::string& name);
  HttpResponse kick_participant(const std::string& room, const std::string& participant_id);
  std::string metrics();
  static protocol::RoomDirectoryEntry directory_entry(const RoomEntry& room) {
    return {room.name,       room.participants.size(), room.worker,
            room.created_at, room.max_participants,    room.shards};
  }
  // Ok when auth is off or the request carries an admin token; else unauthorized / forbidden.
  Status authorize_admin(const HttpRequest& request);
  // The claims of a join or admin token that verifies under the auth.* settings.
  Result<nlohmann::json> verify_token(std::string_view token) const;
  // Browsers' pages (origin_policy.h): the signaling WebSocket's Origin check, and REST's Host and
  // Origin check; a refusal is a 403 answer, counted in sfu_http_refused_total.
  std::optional<HttpResponse> check_ws_origin(const HttpRequest& upgrade);
  std::optional<HttpResponse> check_rest_caller(const HttpRequest& request);

  // Cluster mode (cluster_glue.cpp; docs/protocol.md, "Cluster"). Each returns what the caller
  // would have done itself when the cluster is off or Redis is unavailable.
  void start_cluster();
  // A join for a room this node does not have: asks the directory (answer later); false when the
  // join goes on here at once.
  bool route_join(ClientConnection& ws, const Session& session, const nlohmann::json& message,
                  const std::string& room);
  void send_redirect(ClientConnection& ws, const std::string& base_url, const std::string& node,
                     const std::string& reason);
  // A REST request on a room (GET, DELETE, kick, data post; cluster_rest.cpp): run on every node
  // holding a part of it (this one too) and answered with their answers merged (deferred), or
  // nullopt to answer here alone (cluster off or Redis unavailable, or another path).
  std::optional<HttpResponse> route_rest_to_parts(const std::vector<std::string>& parts,
                                                  const HttpRequest& request);
  // A data post's body (and data_channels.enabled) checked before it goes to several parts: the
  // refusal, or nullopt with the participants it names in `named`.
  std::optional<HttpResponse> check_room_data_post(const std::string& body, std::vector<std::string>& named);
  // Runs `request` on each node's part (this node's locally); `done` gets every answer.
  void ask_parts(const std::vector<std::string>& nodes, const cluster::ForwardedRequest& request,
                 std::function<void(const std::vector<PartAnswer>&)> done);
  HttpResponse merged_parts_response(const RoomRestMerge& merge, const std::vector<PartAnswer>& answers);
  HttpResponse list_cluster_rooms(uint64_t exchange_id);
  HttpResponse create_cluster_room(const HttpRequest& request);
  HttpResponse drain_node();
  void run_forwarded_request(const cluster::ForwardedRequest& request,
                             std::function<void(cluster::ForwardedAnswer)> answer);
  bool cluster_available() const { return cluster_ && cluster_->available(); }

  // Rooms spanning nodes (cluster_span.cpp; docs/protocol.md, "Cluster"). A shard of a room on
  // another node is one more peer of the local shards, with a peer index from kRemotePeerBase up
  // (one per node, process run and worker there), reached by relay-mode links (relay_peer.h).
  static constexpr uint32_t kRemotePeerBase = 1024;  // above any worker index (workers <= 256)
  struct RemoteShard {
    std::string node, nonce;
    std::string fingerprint;  // its relay's DTLS certificate, SHA-256, from the signed envelope
    uint32_t worker = 0;
    SocketAddress relay;
  };
  // This node opened a shard of `room`: tells the room's other nodes (hello), and gives the new
  // shard the remote peers the room already has.
  void announce_room_part(RoomEntry& room, uint32_t new_worker);
  nlohmann::json relay_info() const;
  void on_cluster_shard(const cluster::ClusterMessage& message);
  void on_cluster_hello(RoomEntry& room, const std::string& from, const nlohmann::json& relay,
                        const nlohmann::json& hello);
  // The peer index of worker `worker` of `node` as its relay info describes it; nullopt when the
  // info does not describe it.
  std::optional<uint32_t> remote_peer(const std::string& node, const nlohmann::json& relay, uint32_t worker);
  void link_remote(uint32_t local_worker, uint32_t peer);
  // The local shards of `room` get `peer` (they send it their state), once per room and peer.
  void add_remote_peer(RoomEntry& room, uint32_t peer, bool resend_state);
  void send_to_remote_shards(const RoomEntry& room, const ShardMessage& message);
  // The shards of `node` (all its runs, or all but the run `keep_nonce`) leave every room.
  void forget_node_shards(const std::string& node, const std::string& keep_nonce, const std::string& reason);
  void drop_dead_nodes();
  std::string relay_metrics_text() const;

  // Rooms directory (control_plane.cpp). A room exists on its worker from the first join on (the
  // join task creates it there), until it is deleted or freed.
  RoomEntry* find_room(const std::string& name);
  RoomEntry& add_room(const std::string& name, uint32_t max_participants, bool created_by_join);
  uint32_t least_loaded_worker() const;
  // Rooms across workers (room_placement.h, room_shard.h). The worker a participant of `room` is
  // placed on (its home when unknown).
  uint32_t worker_of(const RoomEntry& room, const std::string& participant_id) const;
  // Where a new participant goes; opens a shard there (and links it to the others) when the room
  // has none on that worker yet.
  uint32_t place_new_participant(RoomEntry& room);
  void open_shard(RoomEntry& room, uint32_t worker);
  // The rings between workers a and b, built once and handed to both (cross_worker_hub.h).
  void link_workers(uint32_t a, uint32_t b);
  void place(RoomEntry& room, const std::string& participant_id, uint32_t worker);
  // Forgets where the participant was placed (it left, or its join was undone).
  void unplace(RoomEntry& room, const std::string& participant_id);
  // A shard's message for the room's other shards: relayed in order, never dropped.
  void on_shard_message(const std::shared_ptr<const ShardMessage>& message);
  size_t participant_count() const { return session_of_participant_.size(); }
  void remove_participant_everywhere(const std::string& room, const std::string& participant_id,
                                     const std::string& reason);
  // Starts the empty-room grace of a room created by join once it is empty; stops it otherwise.
  void update_room_expiry(const RoomEntry& room);
  void free_due_rooms(uint64_t now_ms);
  // Forgets the room and has its worker free it (participants must have been dealt with).
  void forget_room(const std::string& name);
  void close_session(uint64_t session_id, const nlohmann::json& last_message, uint16_t code);

  // Queues to the workers (control_plane.cpp): a request refused (false) when the worker's queue
  // is full, so the caller answers overloaded; a lifecycle message never lost.
  bool post_request(uint32_t worker, std::function<void(Worker&)> task);
  void post_lifecycle(uint32_t worker, std::function<void(Worker&)> task);
  void on_housekeeping();
  void retry_waiting_posts();

  // What workers report (run on this thread; see WorkerEventSink).
  void on_room_event(uint64_t session_id, const RoomEvent& event);
  void on_participant_removed(const std::string& room, const std::string& participant_id, uint64_t session_id,
                              const Error& why);
  void on_events_lost(uint64_t session_id);
  // Join admission (signaling.cpp): a join makes about one event per participant of the room
  // (participant_joined to each, joined to the joiner), all at once on its worker. They are
  // reserved here when the join is posted and released when the worker's note that it has posted
  // them reaches this thread (so they have been handled). A join that would take the reserved
  // events over join_event_budget_, or that comes while a worker's events already wait for this
  // thread, is refused with overloaded (try again) instead of being admitted and then dropped.
  bool join_events_fit(size_t events) const;
  void release_join_events(size_t events);

  uv_loop_t* loop_;
  const config::Config& config_;
  std::vector<Worker*> workers_;
  std::unique_ptr<HttpServer> http_;
  std::unique_ptr<OriginPolicy> origin_policy_;  // replaced in start(), when the port is known
  std::unique_ptr<TaskQueue> inbox_;
  size_t join_event_budget_ = 0;                           // half of the inbox
  size_t join_events_in_flight_ = 0;                       // reserved by admitted joins, not yet handled here
  std::vector<std::unique_ptr<OrderedPoster>> to_worker_;  // by worker index; this thread
  std::vector<std::unique_ptr<WorkerEventSink>> from_worker_;  // by worker index; its worker's thread
  std::unique_ptr<UvTimer> housekeeping_;
  DeadlineQueue<std::string> empty_rooms_;       // rooms created by join, while empty
  DeadlineQueue<uint64_t> room_query_timeouts_;  // HTTP exchange ids of pending room queries
  // A REST request answered once every shard of its room has (GET /v1/rooms/{name}, POST
  // /v1/rooms/{name}/data), by HTTP exchange id.
  struct RoomQuery {
    std::string room;
    size_t waiting = 0;  // shards that have not answered
    std::vector<RoomSnapshot> snapshots;
    size_t queued = 0;
    bool part = false;              // for a node merging the parts' answers (route_rest's `part`)
    std::vector<std::string> held;  // data post, part: the named participants held here
  };
  std::unordered_map<uint64_t, RoomQuery> room_queries_;
  DeferredAnswers deferred_answers_;
  JoinRefusals join_refusals_;
  KickBans kick_bans_;  // identities kicked from a room, for auth.kick_ban_s
  ResumeRegistry resume_;
  ResumeCounts resume_counts_;
  // Participants whose WebSocket was lost, by participant id, until resumed or their grace ends:
  // their session as it was (client nullptr; its id is the one their room still delivers to).
  std::unordered_map<std::string, Session> detached_;
  bool stopping_ = false;  // stop(): closing sockets end their participants, as before resume
  // Exceptions caught at the handler boundaries (read by /metrics on this thread).
  uint64_t signaling_errors_ = 0;
  uint64_t rest_errors_ = 0;     // from workers
  uint64_t refused_origin_ = 0;  // WebSocket upgrades and REST requests from a page not allowed
  uint64_t refused_host_ = 0;    // REST requests whose Host does not name this server
  uint64_t turn_credentials_issued_ = 0;
  std::map<std::string, RoomEntry> rooms_;
  std::unique_ptr<cluster::ClusterNode> cluster_;  // cluster.enabled
  std::string relay_nonce_;                        // this process's run (a restart: a new one)
  std::map<uint32_t, RemoteShard> remote_shards_;  // by peer index
  std::map<std::tuple<std::string, std::string, uint32_t>, uint32_t>
      remote_peer_of_;                             // (node, nonce, worker)
  std::map<std::string, std::string> node_nonce_;  // the run of each node last heard from
  uint32_t next_remote_peer_ = kRemotePeerBase;
  std::set<std::pair<uint32_t, uint32_t>> relay_links_;  // (local worker, peer index) attached
  uint64_t shard_messages_malformed_ = 0;
  // Answers of requests other nodes forwarded here that were deferred, by exchange id (ids with
  // kClusterExchangeBit, so they never meet the HTTP server's).
  std::unordered_map<uint64_t, std::function<void(cluster::ForwardedAnswer)>> cluster_exchanges_;
  uint64_t next_cluster_exchange_ = 0;
  // Per worker: participants placed on it plus rooms homed there (the load placement compares).
  std::vector<size_t> worker_load_;
  std::set<std::pair<uint32_t, uint32_t>> linked_workers_;  // (lower, higher) index pairs with rings
  std::unordered_map<uint64_t, Session> sessions_;
  std::unordered_map<std::string, uint64_t> session_of_participant_;
};

// Shared by signaling and REST.
bool valid_room_name(std::string_view name);
// Splits "/v1/rooms/a/participants/b" into {"v1","rooms","a","participants","b"}.
std::vector<std::string> path_parts(const std::string& path);

}  // namespace sfu
