// This server as a node of the cluster (docs/protocol.md, "Cluster"), on the control thread's loop:
// - registry: every cluster.refresh_s it writes its entry (id, URLs, media addresses, load) with
//   a TTL of cluster.dead_after_s, and reads the live nodes back (the load placement compares);
// - room directory: it writes the rooms it is home of, claims a room's home atomically for a join
//   or a creation (a room whose home died is re-homed on the first live node that claims it), and
//   releases the rooms it forgets;
// - messages: REST requests for a room homed elsewhere travel to its home over pub/sub in signed
//   envelopes (cluster_envelope.h) and their answers come back the same way.
// When Redis is unreachable it keeps trying (RedisConnection's backoff) and reports unavailable;
// the control plane then serves its local rooms alone. When Redis is back it registers again and
// rewrites its rooms. A relay of media between nodes (a later part) plugs in beside this class:
// the directory already names each room's home and each node's media addresses.
#pragma once

#include <uv.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "base/uv_timer.h"
#include "config/config.h"
#include "sfu/cluster/cluster_envelope.h"
#include "sfu/cluster/redis_connection.h"

namespace sfu::cluster {

struct NodeInfo {
  std::string id;
  std::string url;  // http(s) base URL (cluster.advertise)
  bool draining = false;
  uint64_t participants = 0, rooms = 0;
  std::string region;  // cluster.region ("" = none)
};

// One room of the directory.
struct DirectoryRoom {
  std::string name;
  std::string home;  // node id
  std::string url;   // the home's base URL
  bool home_alive = false;
  nlohmann::json entry;  // as stored: home, url, created_at, max_participants, participants
};

// What this node says of one of its rooms.
struct LocalRoom {
  std::string name;
  int64_t created_at = 0;
  uint32_t max_participants = 0;
  size_t participants = 0;
  bool home = true;  // false: this node holds a part of a room homed on another node
  // The whole room's participants as this node sees them (every node's part); 0 = participants.
  size_t room_participants = 0;
};

struct LocalLoad {
  uint64_t participants = 0, rooms = 0;
  uint64_t rtp_forwarded_total = 0;  // cumulative; the node reports its rate
};

// A REST request forwarded to a node holding a part of a room, and its answer. `part`: the room
// has parts on several nodes and the asking node merges their answers (cluster_rest.cpp): a data
// post then goes to the named participants this part holds (not a 404 for the others).
struct ForwardedRequest {
  std::string method, path, body;
  bool part = false;
};
struct ForwardedAnswer {
  int status = 0;
  std::string content_type, body;
};

// The result of claiming a room's home.
struct Claim {
  std::string home, url;
  bool created = false;       // no live node had it: the proposal (home = the chosen node) was stored
  bool rehomed = false;       // ... replacing the entry of a dead home
  uint64_t participants = 0;  // the home's participants of the room, as it last wrote them
};

class ClusterNode {
 public:
  struct Hooks {
    std::function<LocalLoad()> load;
    // Every room with a part on this node: the ones it is the home of and parts of others'.
    std::function<std::vector<LocalRoom>()> local_rooms;
    // Runs a forwarded request here, on the room's home; `answer` is called once, maybe later.
    std::function<void(const ForwardedRequest&, std::function<void(ForwardedAnswer)> answer)> run_request;
    // A room's part on another node spoke (kind "shard": rooms spanning nodes).
    std::function<void(const ClusterMessage&)> shard_message;
    // The registry was read again (live nodes known): dead nodes' room parts can go.
    std::function<void()> nodes_read;
  };

  // `advertise`: this node's base URL (cluster.advertise or the one made from http.listen);
  // `media`: what the registry says of its media addresses and ports.
  ClusterNode(uv_loop_t* loop, const config::ClusterConfig& config, std::string advertise,
              nlohmann::json media, Hooks hooks);
  ~ClusterNode();
  ClusterNode(const ClusterNode&) = delete;
  ClusterNode& operator=(const ClusterNode&) = delete;

  void start();
  bool available() const { return commands_->up() && subscriber_->up(); }
  const std::string& id() const { return id_; }
  const std::string& url() const { return url_; }

  // ---- room directory (each `done` runs once; nullopt: Redis unavailable) ----
  // Claims the room for a join or a creation: its live home, or a new home (the least loaded live
  // node that is not draining) stored atomically.
  void claim_room(const LocalRoom& proposal, std::function<void(std::optional<Claim>)> done);
  // Every room of the cluster, with whether its home is alive.
  void list_rooms(std::function<void(std::optional<std::vector<DirectoryRoom>>)> done);
  // The room's entry, if any (nullopt entry: no such room; available false: Redis unavailable).
  void find_room(const std::string& name,
                 std::function<void(bool available, std::optional<DirectoryRoom>)> done);
  // The room's entry (if any) and the live nodes holding a part of it (sfu:room_nodes:<room>),
  // read in one step; available false: Redis unavailable.
  void room_parts(
      const std::string& name,
      std::function<void(bool available, std::optional<DirectoryRoom>, std::vector<std::string> live_parts)>
          done);
  // This node forgot the room: its entry goes if this node is still its home.
  void release_room(const std::string& name);
  // Runs `request` on node `node` and answers with its answer (503 node_unavailable when it cannot
  // be reached, 504 node_timeout when it does not answer within 2 s).
  void forward(const std::string& node, ForwardedRequest request, std::function<void(ForwardedAnswer)> done);

  // ---- rooms spanning nodes ----
  // Adds this node to the room's set of nodes with a part of it (sfu:room_nodes:<room>) and calls
  // `done` with the other live members (dead ones are removed from the set).
  void join_room_nodes(const std::string& room, std::function<void(std::vector<std::string>)> done);
  // Removes `node` (this one by default) from the room's set.
  void leave_room_nodes(const std::string& room, const std::string& node = {});
  // A signed message (kind "shard") to another node's control plane.
  void send_shard(const std::string& node, nlohmann::json body);
  bool alive(const std::string& node) const { return nodes_.count(node) > 0; }
  // A live node's cluster.region as its registry entry says ("" = none or not live).
  std::string region_of(const std::string& node) const;
  const std::string& region() const { return config_.region; }

  // ---- registry ----
  // The least loaded live node other than this one that takes new rooms (drain's target), of this
  // node's cluster.region while one is live.
  std::optional<NodeInfo> other_node() const;
  void set_draining();
  bool draining() const { return draining_; }

  void count_redirect(const std::string& reason) { ++redirects_[reason]; }
  // A join for a room homed elsewhere that stayed here (the room spans nodes).
  void count_span_join() { ++span_joins_; }
  // sfu_cluster_* in the Prometheus text format.
  std::string metrics_text() const;

 private:
  void on_connection_up();
  void refresh();
  void read_nodes();
  nlohmann::json node_entry();
  std::string choose_home() const;
  const NodeInfo* least_loaded(const std::function<bool(const NodeInfo&)>& eligible) const;
  void on_message(const std::string& payload);
  void publish(const std::string& to, nlohmann::json body, std::function<void(bool delivered)> done);
  void handle_request(const ClusterMessage& message);
  void handle_answer(const ClusterMessage& message);
  void time_out_forwards();
  void count_rejected(Rejection why) { ++rejected_[rejection_name(why)]; }

  uv_loop_t* loop_;
  config::ClusterConfig config_;
  std::string id_, url_;
  nlohmann::json media_;
  Hooks hooks_;
  std::unique_ptr<RedisConnection> commands_;
  std::unique_ptr<RedisConnection> subscriber_;
  std::unique_ptr<UvTimer> refresh_timer_;
  std::unique_ptr<UvTimer> forward_timer_;
  std::map<std::string, NodeInfo> nodes_;  // live nodes as last read
  bool draining_ = false;
  int64_t started_at_ = 0;
  // The rate of forwarded packets and CPU use between refreshes.
  uint64_t last_forwarded_ = 0, last_refresh_ms_ = 0;
  uint64_t connected_at_ms_ = 0;  // when both Redis connections were last up (again)
  double last_cpu_s_ = 0;
  uint64_t forwarded_pps_ = 0;
  double cpu_ = 0;
  struct PendingForward {
    std::function<void(ForwardedAnswer)> done;
    uint64_t deadline_ms = 0;
  };
  uint64_t next_forward_id_ = 1;
  std::map<uint64_t, PendingForward> forwards_;
  // Counters (sfu_cluster_*).
  uint64_t sent_ = 0, received_ = 0, rooms_rehomed_ = 0, refresh_failures_ = 0, span_joins_ = 0;
  std::map<std::string, uint64_t> rejected_;
  std::map<std::string, uint64_t> redirects_;
};

// "ws://host:port/v1/rtc" (wss for https) for a node's base URL.
std::string signaling_url(const std::string& base_url);

}  // namespace sfu::cluster
