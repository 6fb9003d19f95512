#include "sfu/media/room_shard.h"

#include <algorithm>

#include "base/logger.h"
#include "base/random.h"
#include "sfu/media/room.h"
#include "sfu/media/worker.h"

namespace sfu {

// ---- from the control plane ----

void RoomShard::expect_peers(const std::vector<uint32_t>& workers) {
  for (uint32_t worker : workers)
    if (worker != worker_.index()) peers_[worker] = Peer{.synced = false, .wants_media = false};
}

void RoomShard::add_peer(uint32_t worker) {
  if (worker == worker_.index()) return;
  peer(worker);
  send(state(), worker);
}

RoomShard::Peer& RoomShard::peer(uint32_t worker) {
  // A shard this one has not heard of yet (cannot happen with the control plane's ordering: it
  // tells every shard of a new one before the new one can speak) is taken as a new, empty one.
  return peers_.try_emplace(worker, Peer{}).first->second;
}

bool RoomShard::synced() const {
  return std::all_of(peers_.begin(), peers_.end(), [](const auto& entry) { return entry.second.synced; });
}

void RoomShard::on_message(const ShardMessage& message) {
  const uint32_t from = message.from_worker;
  if (from == worker_.index()) return;
  peer(from);
  if (const auto* state = std::get_if<ShardState>(&message.payload)) {
    apply_state(from, *state);
  } else if (const auto* joined = std::get_if<ShardJoined>(&message.payload)) {
    ensure_proxy(from, joined->id, joined->name);
  } else if (const auto* left = std::get_if<ShardLeft>(&message.payload)) {
    remove_proxy(from, left->id, left->reason);
  } else if (const auto* published = std::get_if<ShardTrackPublished>(&message.payload)) {
    add_proxy_track(from, published->participant_id, published->track);
  } else if (const auto* unpublished = std::get_if<ShardTrackUnpublished>(&message.payload)) {
    remove_proxy_track(from, unpublished->participant_id, unpublished->ref);
  } else if (const auto* demand = std::get_if<ShardDemand>(&message.payload)) {
    set_demand(from, demand->wants_media);
  }
}

void RoomShard::remove_peer(uint32_t worker, const std::string& reason) {
  if (worker == worker_.index() || !peers_.count(worker)) return;
  std::vector<std::string> gone;
  for (const auto& [id, participant] : room_.participants_)
    if (participant->remote_worker == worker) gone.push_back(id);
  for (const std::string& id : gone) remove_proxy(worker, id, reason);
  peers_.erase(worker);
  refresh_routes();
  if (synced() && !held_.empty()) run_held_joins();
}

void RoomShard::apply_state(uint32_t from, const ShardState& state) {
  for (const ShardMember& member : state.members) {
    ensure_proxy(from, member.id, member.name);
    for (const ShardTrack& track : member.tracks) add_proxy_track(from, member.id, track);
  }
  peer(from).synced = true;
  set_demand(from, state.wants_media);
  if (synced()) run_held_joins();
}

void RoomShard::send(ShardPayload payload, std::optional<uint32_t> to) {
  room_.events_.to_shards(ShardMessage{room_.name_, worker_.index(), to, std::move(payload)});
}

ShardState RoomShard::state() const {
  ShardState state;
  state.wants_media = locals_ > 0;
  for (const auto& [id, participant] : room_.participants_) {
    if (participant->remote_worker) continue;
    ShardMember& member = state.members.emplace_back(ShardMember{id, participant->name, {}});
    for (const auto& track : participant->published)
      member.tracks.push_back(ShardTrack{track->spec(), track->remote_routes().ref});
  }
  return state;
}

// ---- held joins ----

bool RoomShard::hold_join(const std::string& id, const std::string& name, uint64_t session_id) {
  if (synced()) return false;
  held_.push_back(HeldJoin{id, name, session_id});
  return true;
}

bool RoomShard::drop_held_join(const std::string& id) {
  return std::erase_if(held_, [&](const HeldJoin& join) { return join.id == id; }) > 0;
}

bool RoomShard::resume_held_join(const std::string& id, uint64_t session_id) {
  for (HeldJoin& join : held_) {
    if (join.id != id) continue;
    join.session_id = session_id;  // its `joined` goes to the new session when the join runs
    return true;
  }
  return false;
}

void RoomShard::run_held_joins() {
  std::vector<HeldJoin> joins;
  joins.swap(held_);
  for (const HeldJoin& join : joins) {
    if (!room_.join(join.id, join.name, join.session_id))
      room_.events_.participant_removed(room_.name_, join.id, join.session_id,
                                        {ErrorCode::connection_lost, "media connection lost: join refused"});
  }
}

// ---- local participants and tracks ----

void RoomShard::on_local_joined(const Participant& participant) {
  ++locals_;
  if (!spanning()) return;
  send(ShardJoined{participant.id, participant.name});
  if (locals_ == 1) send(ShardDemand{true});
}

void RoomShard::on_local_left(const Participant& participant, const std::string& reason) {
  if (locals_ > 0) --locals_;
  if (!spanning()) return;
  send(ShardLeft{participant.id, reason});
  if (locals_ == 0) send(ShardDemand{false});
}

void RoomShard::on_tracks_published(Participant& publisher, const std::vector<PublishedTrack*>& added) {
  std::vector<CrossWorkerLink*> links = wanting_links();
  for (PublishedTrack* track : added) {
    CrossWorkerRoutes& routes = track->remote_routes();
    routes.ref = worker_.cross_worker().tables().export_track(*track, room_.router_);
    routes.links = links;
    routes.layer_demands.reserve(links.size());
    if (spanning()) send(ShardTrackPublished{publisher.id, ShardTrack{track->spec(), routes.ref}});
  }
}

std::unique_ptr<ProxyUplink> RoomShard::on_track_removed(Participant& publisher, PublishedTrack& track) {
  CrossWorkerRoutes& routes = track.remote_routes();
  CrossWorkerTables& tables = worker_.cross_worker().tables();
  if (routes.proxied) {
    if (publisher.remote_worker) tables.unimport(*publisher.remote_worker, routes.ref);
    auto uplink = uplinks_.find(&track);
    if (uplink == uplinks_.end()) return nullptr;
    std::unique_ptr<ProxyUplink> taken = std::move(uplink->second);
    uplinks_.erase(uplink);
    return taken;
  }
  if (routes.ref.generation == 0) return nullptr;  // never exported
  tables.unexport(routes.ref);
  routes.links.clear();
  if (spanning()) send(ShardTrackUnpublished{publisher.id, routes.ref});
  return nullptr;
}

// ---- proxies of other shards' participants ----

Participant* RoomShard::proxy(uint32_t worker, const std::string& id) {
  auto it = room_.participants_.find(id);
  if (it == room_.participants_.end() || it->second->remote_worker != worker) return nullptr;
  return it->second.get();
}

Participant& RoomShard::ensure_proxy(uint32_t worker, const std::string& id, const std::string& name) {
  auto& slot = room_.participants_[id];
  if (slot) return *slot;
  slot = std::make_unique<Participant>();
  Participant& p = *slot;
  p.id = id;
  p.name = name;
  p.remote_worker = worker;
  p.joined_at_ms = worker_.now_ms();
  p.connected_once = true;  // its own worker applies the join timeout
  p.feedback_ssrc = random_nonzero_u32();
  room_.broadcast(ParticipantJoined{id, name}, id);
  return p;
}

void RoomShard::add_proxy_track(uint32_t worker, const std::string& participant_id,
                                const ShardTrack& shared) {
  Participant* p = proxy(worker, participant_id);
  if (!p) return;
  for (const auto& track : p->published)
    if (track->remote_routes().ref == shared.ref) return;
  CrossWorkerLink* link = worker_.cross_worker().to_peer(worker);
  if (!link) {
    log_warn("room", "no link to the publisher's worker: track not proxied",
             {{"room", room_.name_}, {"participant", participant_id}, {"worker", std::to_string(worker)}});
    return;
  }
  auto uplink = std::make_unique<ProxyUplink>(*link, shared.ref);
  auto track = std::make_unique<PublishedTrack>(*p, *uplink, shared.spec);
  make_proxy(*track, *uplink, shared.ref);
  worker_.cross_worker().tables().import_track(worker, shared.ref, *track, room_.router_);
  PublishedTrack& added = *track;
  uplinks_[track.get()] = std::move(uplink);
  p->published.push_back(std::move(track));
  room_.broadcast(TrackPublished{p->id, {added.id(), added.kind()}}, p->id);
  update_local_subscriptions();
}

void RoomShard::remove_proxy_track(uint32_t worker, const std::string& participant_id,
                                   CrossWorkerTrackRef ref) {
  Participant* p = proxy(worker, participant_id);
  if (!p) return;
  auto it = std::find_if(p->published.begin(), p->published.end(),
                         [&](const auto& track) { return track->remote_routes().ref == ref; });
  if (it == p->published.end()) return;
  room_.remove_published_track(*p, **it);
  update_local_subscriptions();
}

void RoomShard::remove_proxy(uint32_t worker, const std::string& id, const std::string& reason) {
  if (proxy(worker, id)) room_.remove_participant(id, reason, std::nullopt);
}

void RoomShard::update_local_subscriptions() {
  for (auto& [id, participant] : room_.participants_)
    if (!participant->remote_worker) room_.update_subscriptions(*participant);
}

// ---- which shards get this shard's tracks ----

void RoomShard::set_demand(uint32_t worker, bool wants_media) {
  Peer& p = peer(worker);
  if (p.wants_media == wants_media) return;
  p.wants_media = wants_media;
  refresh_routes();
}

std::vector<CrossWorkerLink*> RoomShard::wanting_links() const {
  std::vector<CrossWorkerLink*> links;
  for (const auto& [worker, p] : peers_) {
    if (!p.wants_media) continue;
    if (CrossWorkerLink* link = worker_.cross_worker().to_peer(worker)) links.push_back(link);
  }
  return links;
}

void RoomShard::refresh_routes() {
  std::vector<CrossWorkerLink*> links = wanting_links();
  for (auto& [id, participant] : room_.participants_) {
    if (participant->remote_worker) continue;
    for (auto& track : participant->published) {
      track->remote_routes().links = links;
      track->remote_routes().layer_demands.reserve(links.size());
    }
  }
}

}  // namespace sfu
