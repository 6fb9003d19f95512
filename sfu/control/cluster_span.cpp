// Rooms spanning cluster nodes (docs/protocol.md, "Cluster", "Rooms spanning nodes"): the room
// shards of one room on several nodes, made of the machinery of rooms spanning workers
// (room_shard.h). A shard on another node is one more peer of the local shards:
//   - its ShardMessages travel as JSON (shard_message_json.h) in the signed pub/sub envelopes, and
//     the receiving control plane relays them, in order, to its local shards of the room;
//   - its media slots travel over the workers' relay sockets (relay_peer.h), sealed with keys from a
//     DTLS handshake between the two workers, each authenticated by the certificate fingerprint
//     its node put in the envelopes (signed with cluster.secret) beside its nonce and addresses;
//   - membership: a Redis set per room of the nodes holding a part of it. A node that opens a part
//     says hello to the others, which send it their shards' states (and it sends them its own
//     when it first hears from them); a node the registry no longer lists leaves every room
//     (its proxies go: participant_left), and so does an earlier run of a restarted node.
#include <tuple>

#include "base/logger.h"
#include "base/random.h"
#include "sfu/control/control_plane.h"
#include "sfu/control/shard_message_json.h"
#include "sfu/media/room.h"
#include "sfu/media/worker.h"

namespace sfu {
namespace {

constexpr size_t kNonceLength = 32;
constexpr size_t kMaxNonceLength = 64;
constexpr size_t kSha256FingerprintLength = 95;  // "AB:CD:..." of 32 bytes

const std::string* string_at(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
}

}  // namespace

nlohmann::json ControlPlane::relay_info() const {
  nlohmann::json workers = nlohmann::json::array();
  std::string fingerprint;  // one certificate for the process: every worker's is the same
  for (Worker* worker : workers_) {
    const SocketAddress& address = worker->cross_worker().relay_address();
    if (address.port() == 0) continue;
    fingerprint = worker->cross_worker().relay_fingerprint();
    workers.push_back(
        {{"worker", worker->index()}, {"address", address.ip_string()}, {"port", address.port()}});
  }
  return {{"nonce", relay_nonce_}, {"fingerprint", fingerprint}, {"workers", workers}};
}

void ControlPlane::announce_room_part(RoomEntry& room, uint32_t new_worker) {
  if (!cluster_) return;
  if (relay_nonce_.empty()) relay_nonce_ = random_string(kNonceLength, kIdCharacters);
  // The new shard gets the remote shards the room already has (links first: same worker queue).
  for (uint32_t peer : room.remote_peers) {
    link_remote(new_worker, peer);
    post_lifecycle(new_worker, [name = room.name, peer](Worker& w) {
      if (Room* r = w.find_room(name)) r->add_peer_shard(peer);
    });
  }
  if (!cluster_->available()) return;
  cluster_->join_room_nodes(room.name, [this, name = room.name](const std::vector<std::string>& others) {
    RoomEntry* entry = find_room(name);
    if (!entry) return;
    for (const std::string& node : others) entry->remote_nodes.insert(node);
    for (const std::string& node : entry->remote_nodes)
      cluster_->send_shard(node, {{"room", name}, {"relay", relay_info()}, {"hello", entry->shards}});
    if (!others.empty())
      log_info("cluster", "room spans nodes",
               {{"room", name}, {"nodes", std::to_string(entry->remote_nodes.size() + 1)}});
  });
}

std::optional<uint32_t> ControlPlane::remote_peer(const std::string& node, const nlohmann::json& relay,
                                                  uint32_t worker) {
  const std::string* nonce = relay.is_object() ? string_at(relay, "nonce") : nullptr;
  const std::string* fingerprint = relay.is_object() ? string_at(relay, "fingerprint") : nullptr;
  auto workers = relay.is_object() ? relay.find("workers") : relay.end();
  if (!nonce || nonce->empty() || nonce->size() > kMaxNonceLength || !fingerprint ||
      fingerprint->size() != kSha256FingerprintLength || workers == relay.end() || !workers->is_array())
    return std::nullopt;
  // A node that restarted (a new run, a new nonce): its earlier run's shards are gone.
  auto known = node_nonce_.find(node);
  if (known != node_nonce_.end() && known->second != *nonce)
    forget_node_shards(node, *nonce, "node restarted");
  node_nonce_[node] = *nonce;
  auto key = std::make_tuple(node, *nonce, worker);
  if (auto it = remote_peer_of_.find(key); it != remote_peer_of_.end()) return it->second;
  for (const nlohmann::json& entry : *workers) {
    if (!entry.is_object() || entry.value("worker", uint64_t{~0ull}) != worker) continue;
    const std::string* ip = string_at(entry, "address");
    auto port = entry.find("port");
    if (!ip || port == entry.end() || !port->is_number_unsigned() || port->get<uint64_t>() == 0 ||
        port->get<uint64_t>() > 65535)
      return std::nullopt;
    auto address = SocketAddress::from_ip(*ip, port->get<uint16_t>());
    if (!address) return std::nullopt;
    uint32_t peer = next_remote_peer_++;
    remote_shards_[peer] = RemoteShard{node, *nonce, *fingerprint, worker, *address};
    remote_peer_of_[key] = peer;
    return peer;
  }
  return std::nullopt;
}

void ControlPlane::link_remote(uint32_t local_worker, uint32_t peer) {
  auto shard = remote_shards_.find(peer);
  if (shard == remote_shards_.end() || !relay_links_.insert({local_worker, peer}).second) return;
  const RemoteShard& remote = shard->second;
  const std::string& me = cluster_->id();
  RelayPeerParams params;
  params.peer = peer;
  params.address = remote.relay;
  // Both ends decide alike: the lower (node id, worker index) starts the DTLS handshake.
  params.dtls_client = std::tie(me, local_worker) < std::tie(remote.node, remote.worker);
  params.remote_fingerprint = remote.fingerprint;
  params.dead_after_ms = uint64_t{config_.cluster.dead_after_s} * 1000;
  params.handshake_timeout_ms = uint64_t{config_.cluster.relay_handshake_timeout_s} * 1000;
  params.retry_ms = uint64_t{config_.cluster.relay_handshake_retry_s} * 1000;
  post_lifecycle(local_worker, [params](Worker& w) { w.cross_worker().attach_remote(params); });
}

void ControlPlane::add_remote_peer(RoomEntry& room, uint32_t peer, bool resend_state) {
  for (uint32_t worker : room.shards) link_remote(worker, peer);
  if (!room.remote_peers.insert(peer).second && !resend_state) return;
  for (uint32_t worker : room.shards)
    post_lifecycle(worker, [name = room.name, peer](Worker& w) {
      if (Room* r = w.find_room(name)) r->add_peer_shard(peer);
    });
}

void ControlPlane::on_cluster_hello(RoomEntry& room, const std::string& from, const nlohmann::json& relay,
                                    const nlohmann::json& hello) {
  if (!hello.is_array()) {
    ++shard_messages_malformed_;
    return;
  }
  // A new part: every local shard sends it its state (again, if it knew the node before).
  for (const nlohmann::json& worker : hello) {
    if (!worker.is_number_unsigned()) continue;
    if (auto peer = remote_peer(from, relay, worker.get<uint32_t>()))
      add_remote_peer(room, *peer, /*resend_state=*/true);
  }
}

void ControlPlane::on_cluster_shard(const cluster::ClusterMessage& message) {
  const nlohmann::json& body = message.body;
  const std::string* name = string_at(body, "room");
  auto relay = body.find("relay");
  if (!name || relay == body.end()) {
    ++shard_messages_malformed_;
    return;
  }
  RoomEntry* room = find_room(*name);
  // No part of the room here: nothing to tell (this node says hello when it opens one).
  if (!room || room->shards.empty()) return;
  room->remote_nodes.insert(message.from);
  if (auto hello = body.find("hello"); hello != body.end())
    return on_cluster_hello(*room, message.from, *relay, *hello);
  auto shard = body.find("message");
  std::optional<ShardMessage> parsed = shard == body.end() ? std::nullopt : shard_message_from_json(*shard);
  if (!parsed || parsed->room != *name) {
    ++shard_messages_malformed_;
    return;
  }
  auto peer = remote_peer(message.from, *relay, parsed->from_worker);
  if (!peer) {
    ++shard_messages_malformed_;
    return;
  }
  // First heard of: the local shards send it their state (it sent its own, or this is it).
  add_remote_peer(*room, *peer, /*resend_state=*/false);
  // Who is on that part, for the whole room's count (the workers keep the participants themselves).
  if (const auto* state = std::get_if<ShardState>(&parsed->payload)) {
    std::set<std::string>& members = room->remote_members[*peer];
    members.clear();
    for (const ShardMember& member : state->members) members.insert(member.id);
  } else if (const auto* joined = std::get_if<ShardJoined>(&parsed->payload)) {
    room->remote_members[*peer].insert(joined->id);
  } else if (const auto* left = std::get_if<ShardLeft>(&parsed->payload)) {
    room->remote_members[*peer].erase(left->id);
  }
  std::optional<uint32_t> target = parsed->to_worker;
  parsed->from_worker = *peer;
  auto shared = std::make_shared<const ShardMessage>(std::move(*parsed));
  for (uint32_t worker : room->shards) {
    if (target && *target != worker) continue;
    post_lifecycle(worker, [shared](Worker& w) {
      if (Room* r = w.find_room(shared->room)) r->on_shard_message(*shared);
    });
  }
}

void ControlPlane::send_to_remote_shards(const RoomEntry& room, const ShardMessage& message) {
  if (!cluster_ || room.remote_nodes.empty()) return;
  std::optional<std::string> only;
  ShardMessage wire = message;
  if (message.to_worker) {
    auto remote = remote_shards_.find(*message.to_worker);
    if (remote == remote_shards_.end()) return;  // a local shard: relayed already
    only = remote->second.node;
    wire.to_worker = remote->second.worker;
  }
  nlohmann::json body = {
      {"room", room.name}, {"relay", relay_info()}, {"message", shard_message_to_json(wire)}};
  for (const std::string& node : room.remote_nodes)
    if (!only || *only == node) cluster_->send_shard(node, body);
}

void ControlPlane::forget_node_shards(const std::string& node, const std::string& keep_nonce,
                                      const std::string& reason) {
  std::set<uint32_t> gone;
  for (const auto& [peer, shard] : remote_shards_)
    if (shard.node == node && shard.nonce != keep_nonce) gone.insert(peer);
  if (gone.empty()) return;
  for (auto& [name, room] : rooms_) {
    for (uint32_t peer : gone) {
      room.remote_members.erase(peer);
      if (!room.remote_peers.erase(peer)) continue;
      for (uint32_t worker : room.shards)
        post_lifecycle(worker, [name = name, peer, reason](Worker& w) {
          if (Room* r = w.find_room(name)) r->remove_peer_shard(peer, reason);
        });
    }
    if (keep_nonce.empty()) room.remote_nodes.erase(node);
  }
  // The peer indices are not reused. A gone run's relay links stop (no more handshake attempts), so
  // that a later run of the node on the same relay address gets its datagrams.
  for (auto link = relay_links_.begin(); link != relay_links_.end();) {
    auto [worker, peer] = *link;
    if (!gone.count(peer)) {
      ++link;
      continue;
    }
    post_lifecycle(worker, [peer = peer](Worker& w) { w.cross_worker().retire_remote(peer); });
    link = relay_links_.erase(link);
  }
  for (uint32_t peer : gone) remote_shards_.erase(peer);
  std::erase_if(remote_peer_of_, [&](const auto& entry) { return gone.count(entry.second) > 0; });
  log_info("cluster", "a node's room parts left", {{"node", node}, {"reason", reason}});
}

void ControlPlane::drop_dead_nodes() {
  std::set<std::string> dead;
  for (const auto& [name, room] : rooms_)
    for (const std::string& node : room.remote_nodes)
      if (!cluster_->alive(node)) dead.insert(node);
  for (const std::string& node : dead) {
    for (auto& [name, room] : rooms_)
      if (room.remote_nodes.count(node)) cluster_->leave_room_nodes(name, node);
    forget_node_shards(node, {}, "node lost");
    for (auto& [name, room] : rooms_) room.remote_nodes.erase(node);
    node_nonce_.erase(node);
  }
}

std::string ControlPlane::relay_metrics_text() const {
  uint64_t sent = 0, sent_bytes = 0, received = 0, received_bytes = 0, consent_sent = 0, consent_received = 0;
  uint64_t handshakes = 0, handshakes_failed = 0;
  std::array<uint64_t, 7> dropped{};
  auto load = [](const std::atomic<uint64_t>& c) { return c.load(std::memory_order_relaxed); };
  for (Worker* worker : workers_) {
    const RelayCounters& c = worker->cross_worker().relay_counters();
    sent += load(c.packets_sent);
    sent_bytes += load(c.bytes_sent);
    received += load(c.packets_received);
    received_bytes += load(c.bytes_received);
    consent_sent += load(c.consent_sent);
    consent_received += load(c.consent_received);
    handshakes += load(c.handshakes_completed);
    handshakes_failed += load(c.handshakes_failed);
    const std::atomic<uint64_t>* drops[] = {
        &c.dropped_not_member, &c.dropped_bad_tag,    &c.dropped_replay,     &c.dropped_malformed,
        &c.dropped_too_large,  &c.dropped_no_consent, &c.dropped_handshaking};
    for (size_t i = 0; i < dropped.size(); ++i) dropped[i] += load(*drops[i]);
  }
  std::string out;
  auto family = [&out](const char* name, const char* help) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " counter\n";
  };
  auto sample = [&out](const std::string& name, uint64_t value) {
    out += name + " " + std::to_string(value) + "\n";
  };
  family("sfu_cluster_relay_packets_sent_total",
         "Slots (media, repairs, reports, feedback) sent to other nodes' relays.");
  sample("sfu_cluster_relay_packets_sent_total", sent);
  family("sfu_cluster_relay_bytes_sent_total", "Plaintext bytes of those slots.");
  sample("sfu_cluster_relay_bytes_sent_total", sent_bytes);
  family("sfu_cluster_relay_packets_received_total", "Slots received from other nodes' relays and accepted.");
  sample("sfu_cluster_relay_packets_received_total", received);
  family("sfu_cluster_relay_bytes_received_total", "Plaintext bytes of those slots.");
  sample("sfu_cluster_relay_bytes_received_total", received_bytes);
  family("sfu_cluster_relay_consent_total", "Consent frames sent to and accepted from relay peers.");
  sample("sfu_cluster_relay_consent_total{direction=\"sent\"}", consent_sent);
  sample("sfu_cluster_relay_consent_total{direction=\"received\"}", consent_received);
  family("sfu_cluster_relay_handshakes_total",
         "DTLS handshakes of relay links with other nodes' workers, by result (a failed one is retried).");
  sample("sfu_cluster_relay_handshakes_total{result=\"completed\"}", handshakes);
  sample("sfu_cluster_relay_handshakes_total{result=\"failed\"}", handshakes_failed);
  family("sfu_cluster_relay_dropped_total", "Relay datagrams and slots dropped, by reason.");
  const char* reasons[] = {"not_member", "bad_tag",    "replay",     "malformed",
                           "too_large",  "no_consent", "handshaking"};
  for (size_t i = 0; i < dropped.size(); ++i)
    sample(std::string("sfu_cluster_relay_dropped_total{reason=\"") + reasons[i] + "\"}", dropped[i]);
  family("sfu_cluster_shard_messages_malformed_total", "Shard messages from other nodes that did not parse.");
  sample("sfu_cluster_shard_messages_malformed_total", shard_messages_malformed_);
  return out;
}

}  // namespace sfu
