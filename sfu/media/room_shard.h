// The part of a room on one worker when the room spans workers (docs/protocol.md, "Rooms across
// workers"). Each worker holding participants of the room has a Room with a RoomShard: its own
// participants are local; every other worker's participants appear as proxies (a Participant with
// remote_worker set, no transports), whose tracks are proxy PublishedTracks fed through the rings
// (cross_worker_link.h). Local subscribers subscribe to a proxy exactly as to a local track, with
// their own down-tracks (SSRC, sequence and timestamp rewrite, SRTP with their own keys), so the
// router, the subscribe negotiation and the per-hop RTCP features run unchanged on every worker.
//
// The shards keep each other informed by ShardMessages relayed in order by the control plane:
// participants joining and leaving, tracks published and unpublished (with the spec a proxy needs
// and the track's export reference), and whether a shard has participants at all (only then do
// the others hand it their tracks' packets). A shard opened on a new worker first receives every
// other shard's state and holds its joins until then, so its first participant's `joined` already
// lists the whole room. Applying a message twice changes nothing, so a message that reaches a new
// shard both on its own and inside a state is harmless.
//
// Thread: the room's worker. Owned by its Room (a friend: it adds and removes proxies with the
// room's own machinery); allocates at negotiation time only.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sfu/media/proxy_uplink.h"
#include "sfu/media/shard_messages.h"

namespace sfu {

class Room;
class Worker;
struct Participant;
class PublishedTrack;

class RoomShard {
 public:
  RoomShard(Room& room, Worker& worker) : room_(room), worker_(worker) {}
  RoomShard(const RoomShard&) = delete;
  RoomShard& operator=(const RoomShard&) = delete;

  // ---- from the control plane ----
  // This shard was opened while the room has shards on `workers`: joins wait for their states.
  void expect_peers(const std::vector<uint32_t>& workers);
  // A shard of the room was opened on `worker`: it gets this shard's state.
  void add_peer(uint32_t worker);
  void on_message(const ShardMessage& message);
  // The shard on `worker` is gone (a dead node's): its proxies leave the room (`reason`).
  void remove_peer(uint32_t worker, const std::string& reason);

  bool spanning() const { return !peers_.empty(); }
  // Every other shard's state has arrived.
  bool synced() const;

  // ---- joins before synced() ----
  // True when the join was held (it runs once synced; room_full and the like are reported then).
  bool hold_join(const std::string& id, const std::string& name, uint64_t session_id);
  bool drop_held_join(const std::string& id);
  bool resume_held_join(const std::string& id, uint64_t session_id);
  size_t held_joins() const { return held_.size(); }

  // ---- hooks from the Room, for its local participants ----
  void on_local_joined(const Participant& participant);
  void on_local_left(const Participant& participant, const std::string& reason);
  void on_tracks_published(Participant& publisher, const std::vector<PublishedTrack*>& added);
  // Before `track` (local or proxy) is freed: unregisters it, tells the other shards of a local
  // one. Returns a proxy's uplink, which must outlive the track (the caller frees it after).
  std::unique_ptr<ProxyUplink> on_track_removed(Participant& publisher, PublishedTrack& track);

 private:
  struct Peer {
    bool synced = true;
    bool wants_media = false;
  };
  struct HeldJoin {
    std::string id;
    std::string name;
    uint64_t session_id = 0;
  };

  void send(ShardPayload payload, std::optional<uint32_t> to = std::nullopt);
  ShardState state() const;
  Peer& peer(uint32_t worker);
  void apply_state(uint32_t from, const ShardState& state);
  Participant& ensure_proxy(uint32_t worker, const std::string& id, const std::string& name);
  void add_proxy_track(uint32_t worker, const std::string& participant_id, const ShardTrack& shared);
  void remove_proxy_track(uint32_t worker, const std::string& participant_id, CrossWorkerTrackRef ref);
  void remove_proxy(uint32_t worker, const std::string& id, const std::string& reason);
  // A proxy of `worker` named `id`, or nullptr.
  Participant* proxy(uint32_t worker, const std::string& id);
  void set_demand(uint32_t worker, bool wants_media);
  // Every local track goes to the peers that want media (after a change of who does).
  void refresh_routes();
  std::vector<CrossWorkerLink*> wanting_links() const;
  void update_local_subscriptions();
  void run_held_joins();

  Room& room_;
  Worker& worker_;
  std::map<uint32_t, Peer> peers_;  // the room's other shards, by worker
  std::vector<HeldJoin> held_;
  size_t locals_ = 0;                                                      // local participants joined
  std::map<const PublishedTrack*, std::unique_ptr<ProxyUplink>> uplinks_;  // by proxy track
};

}  // namespace sfu
