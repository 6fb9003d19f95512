#include "sfu/media/room.h"

#include <algorithm>

#include "base/logger.h"
#include "base/random.h"
#include "dtls/dtls_certificate.h"
#include "sfu/media/subscription_slots.h"
#include "sfu/media/worker.h"

namespace sfu {
namespace {

constexpr uint64_t kFastTimerMs = 20;
constexpr uint64_t kReportIntervalMs = 1000;

SubscriptionSnapshot describe_subscription(const DownTrack& down) {
  SubscriptionSnapshot out;
  out.track_id = down.source().id();
  out.publisher_id = down.source().publisher().id;
  out.kind = down.source().kind();
  out.layer = down.selector().current();
  out.target_layer = down.selector().target();
  if (down.paused_by_subscriber())
    out.paused = "subscriber";
  else if (down.paused_for_bandwidth())
    out.paused = "bandwidth";
  out.counters = down.counters();
  return out;
}

}  // namespace

Room::Room(std::string name, Worker& worker, RoomEvents& events, RouterCounters& counters, RoomLimits limits)
    : name_(std::move(name)),
      worker_(worker),
      events_(events),
      limits_(limits),
      router_(worker.drop_counters_for_rooms(), counters, RouterOptions::from_config(worker.media_config())),
      media_signals_(RoomMediaSignals::Options::from_config(worker.media_config(), worker.audio_config())),
      data_relay_(worker.data_counters_for_rooms(), worker.data_relay_options(), *this),
      timer_(worker.loop(), [this] { on_timer(); }) {
  timer_.start(kFastTimerMs, kFastTimerMs);
}

Room::~Room() { close("room closed"); }

void Room::deliver(const Participant& participant, RoomEvent event) {
  events_.deliver(participant.session_id, std::move(event));
}

void Room::broadcast(const RoomEvent& event, const std::string& except_id) {
  // Another worker's participants (proxies) hear it from their own worker's shard.
  for (const auto& [id, participant] : participants_)
    if (id != except_id && !participant->remote_worker) events_.deliver(participant->session_id, event);
}

void Room::fail_request(const Participant& participant, Error error, const char* request_type) {
  deliver(participant, RequestFailed{std::move(error), request_type});
}

ParticipantSummary Room::participant_summary(const Participant& participant) const {
  ParticipantSummary summary{participant.id, participant.name, {}};
  for (const auto& track : participant.published) summary.tracks.push_back({track->id(), track->kind()});
  return summary;
}

Status Room::join(const std::string& participant_id, const std::string& display_name, uint64_t session_id) {
  if (participants_.size() + shard_.held_joins() >= limits_.max_participants) {
    Error full{ErrorCode::room_full, "room '" + name_ + "' is full"};
    events_.deliver(session_id, RequestFailed{full, "join"});
    return full;
  }
  // A new shard of a room spanning workers: joins wait for the other shards' states.
  if (shard_.hold_join(participant_id, display_name, session_id)) return {};
  auto participant = std::make_unique<Participant>();
  Participant& p = *participant;
  p.id = participant_id;
  p.name = display_name;
  p.session_id = session_id;
  p.joined_at_ms = worker_.now_ms();
  p.feedback_ssrc = random_nonzero_u32();
  p.cname = random_string(16, kIdCharacters);
  p.subscribe_session_id =
      random_value<uint64_t>() & 0x7FFFFFFFFFFFFFFFull;  // SDP o= session ids must fit a signed 64-bit
  p.publish_link.attach(*this, p);
  p.subscribe_link.attach(*this, p);
  WebRtcTransport& publish = worker_.create_transport(p.publish_link);
  WebRtcTransport& subscribe = worker_.create_transport(p.subscribe_link);
  p.publish_transport = &publish;
  p.subscribe_transport = &subscribe;
  p.publish_transport_id = publish.id();
  p.subscribe_transport_id = subscribe.id();

  Joined joined{name_, participant_id, {}};
  for (const auto& [id, other] : participants_) joined.participants.push_back(participant_summary(*other));
  participants_[participant_id] = std::move(participant);
  deliver(p, std::move(joined));
  broadcast(ParticipantJoined{participant_id, display_name}, participant_id);
  shard_.on_local_joined(p);
  // The room's data tracks go in the first subscribe offer with its media.
  if (data_relay_.has_tracks()) add_data_slot(p);
  update_subscriptions(p);
  data_relay_.add_participant(p, worker_.now_ms());
  return {};
}

bool Room::resume(const std::string& participant_id, uint64_t session_id) {
  if (shard_.resume_held_join(participant_id, session_id)) return true;
  auto it = participants_.find(participant_id);
  if (it == participants_.end()) return false;
  Participant& p = *it->second;
  p.session_id = session_id;
  // Everything sent to the old session meanwhile may be lost: the state as it is now replaces it.
  Joined resumed{name_, participant_id, {}, /*resumed=*/true};
  for (const auto& [id, other] : participants_)
    if (id != participant_id) resumed.participants.push_back(participant_summary(*other));
  deliver(p, std::move(resumed));
  p.subscribe_refusals = 0;
  if (p.outstanding_offer) {
    p.outstanding_offer.reset();
    p.subscribe_dirty = true;
  }
  if (p.subscribe_dirty) send_subscribe_offer(p);
  return true;
}

// The worker's host candidates (sdp::host_candidates(): a UDP one per announced address, the first
// being the default one on the m= line, then the passive ICE-TCP ones, of lower priority).
sdp::LocalTransport local_transport_of(const WebRtcTransport& transport,
                                       const std::vector<sdp::Candidate>& host_candidates) {
  sdp::LocalTransport local;
  local.ice_ufrag = transport.ice_ufrag();
  local.ice_pwd = transport.ice_pwd();
  local.fingerprint = transport.dtls_fingerprint();
  local.candidates = host_candidates;
  return local;
}

void Room::publish(const std::string& participant_id, const sdp::SessionDescription& offer) {
  auto it = participants_.find(participant_id);
  if (it == participants_.end() || !it->second->publish_transport) return;
  Participant& p = *it->second;
  sdp::NegotiationOptions options;
  sdp::CodecCatalog::Options codecs;
  codecs.enable_red = worker_.audio_config().red;
  options.catalog = sdp::CodecCatalog(codecs);
  options.answer_session_id = p.subscribe_session_id + 1;
  options.answer_session_version = ++p.subscribe_version;
  options.data_channels = data_relay_.options().negotiation();
  auto negotiated = sdp::negotiate_publish(
      offer, local_transport_of(*p.publish_transport, worker_.host_candidates()), options);
  if (auto* error = std::get_if<sdp::SdpError>(&negotiated))
    return fail_request(p, sdp::to_error(*error, "publish offer rejected"), "publish");
  auto& result = std::get<sdp::PublishResult>(negotiated);
  if (result.tracks.size() > limits_.max_tracks_per_participant)
    return fail_request(
        p,
        {ErrorCode::too_many_tracks,
         "at most " + std::to_string(limits_.max_tracks_per_participant) + " tracks per participant"},
        "publish");
  auto change = take_remote_transport(p, TransportRole::Publish, result.remote);
  if (auto* refused = std::get_if<Error>(&change)) return fail_request(p, std::move(*refused), "publish");
  if (std::get<sdp::RemoteTransportChange>(change) == sdp::RemoteTransportChange::IceRestart) {
    // The answer carries the server's new credentials: a restart changes both sides' (RFC 8445 §9).
    auto restarted = sdp::negotiate_publish(
        offer, local_transport_of(*p.publish_transport, worker_.host_candidates()), options);
    if (auto* again = std::get_if<sdp::PublishResult>(&restarted)) result.answer = std::move(again->answer);
  }
  if (result.data_channel)
    p.publish_transport->enable_data_channels(
        data_relay_.options().setup_for(TransportRole::Publish, *result.data_channel));
  std::vector<PublishedTrack*> added = update_published_tracks(p, result.tracks);
  uint8_t transport_cc_id = 0;
  for (const auto& track : p.published)
    if (track->spec().extensions.transport_cc != 0) transport_cc_id = track->spec().extensions.transport_cc;
  p.set_transport_cc_extension(transport_cc_id);
  deliver(p, PublishAnswer{sdp::write_sdp(result.answer)});
  for (PublishedTrack* track : added) broadcast(TrackPublished{p.id, {track->id(), track->kind()}}, p.id);
  shard_.on_tracks_published(p, added);
  for (auto& [id, other] : participants_)
    if (id != participant_id && !other->remote_worker) update_subscriptions(*other);
}

std::variant<sdp::RemoteTransportChange, Error> Room::take_remote_transport(
    Participant& p, TransportRole role, const sdp::RemoteTransport& remote) {
  const bool publish = role == TransportRole::Publish;
  std::optional<sdp::RemoteTransport>& current = publish ? p.publish_remote : p.subscribe_remote;
  WebRtcTransport* transport = publish ? p.publish_transport : p.subscribe_transport;
  if (remote.ice_ufrag.empty() || !transport) return sdp::RemoteTransportChange::None;
  if (!current) {
    current = remote;
    transport->set_remote_parameters(remote.ice_ufrag, remote.ice_pwd, remote.fingerprint_algorithm,
                                     remote.fingerprint);
    return sdp::RemoteTransportChange::None;
  }
  auto change = sdp::remote_transport_change(*current, remote);
  if (std::holds_alternative<Error>(change)) return change;
  const bool restart = std::get<sdp::RemoteTransportChange>(change) == sdp::RemoteTransportChange::IceRestart;
  // Only the offerer restarts ICE (RFC 8839 §4.4.1.1.1), and the server offers on the subscribe
  // connection: an answer restarts exactly when the offer it answers did.
  if (!publish && restart != p.subscribe_ice_restart)
    return Error{ErrorCode::bad_request,
                 restart
                     ? "subscribe answer rejected: new ICE credentials in answer to an offer that did not "
                       "restart ICE; send restart_ice to restart the subscribe connection"
                     : "subscribe answer rejected: the offer restarted ICE, so the answer must carry new "
                       "a=ice-ufrag and a=ice-pwd"};
  if (!restart) return change;
  if (publish) {
    transport->restart_ice();
    worker_.count_ice_restart();
  }
  transport->set_remote_ice_credentials(remote.ice_ufrag, remote.ice_pwd);
  current = remote;
  return change;
}

void Room::restart_subscribe_ice(const std::string& participant_id) {
  auto it = participants_.find(participant_id);
  if (it == participants_.end() || !it->second->subscribe_transport) return;
  Participant& p = *it->second;
  if (!p.subscribe_remote)
    return fail_request(
        p,
        {ErrorCode::bad_request, "the subscribe connection has not been negotiated yet: no ICE to restart"},
        "restart_ice");
  // One restart per offer and answer: the client's own round trips bound how often it can ask.
  if (p.outstanding_offer)
    return fail_request(
        p, {ErrorCode::conflict, "a subscribe_offer is outstanding: answer it, then send restart_ice again"},
        "restart_ice");
  p.subscribe_transport->restart_ice();
  worker_.count_ice_restart();
  p.subscribe_ice_restart = true;
  send_subscribe_offer(p);
}

void Room::set_track_preferences(const std::string& subscriber_id, const std::string& publisher_id,
                                 const std::string& track_id, const TrackPreferences& preferences) {
  auto it = participants_.find(subscriber_id);
  if (it == participants_.end()) return;
  Participant& p = *it->second;
  for (auto& slot : p.slots) {
    if (slot.down_track && slot.participant_id == publisher_id && slot.track_id == track_id) {
      slot.down_track->set_preferences(preferences);
      return;
    }
  }
  fail_request(p,
               {ErrorCode::not_found, "no track '" + track_id + "' of participant '" + publisher_id +
                                          "' is received by this participant"},
               "track_settings");
}

std::vector<PublishedTrack*> Room::update_published_tracks(
    Participant& p, const std::vector<sdp::PublishedTrackSpec>& offered) {
  // Tracks whose m-section no longer sends are unpublished, and so are those whose streams changed
  // (SSRCs, payload types, extension ids): they are published anew below, as the router keeps
  // nothing of a track's first description up to date.
  std::vector<PublishedTrack*> gone;
  for (auto& track : p.published) {
    auto it = std::find_if(offered.begin(), offered.end(),
                           [&](const sdp::PublishedTrackSpec& t) { return t.mid == track->spec().mid; });
    if (it == offered.end() || !describes_same_streams(track->spec(), to_track_spec(*it)))
      gone.push_back(track.get());
  }
  for (PublishedTrack* track : gone) remove_published_track(p, *track);
  std::vector<PublishedTrack*> added;
  for (const auto& negotiated_track : offered) {
    if (p.track_by_mid(negotiated_track.mid)) continue;
    PublishedTrackSpec spec = to_track_spec(negotiated_track);
    for (const auto& existing : p.published)
      if (existing->id() == spec.id) spec.id += "-" + spec.mid;  // track ids stay unique per participant
    p.published.push_back(std::make_unique<PublishedTrack>(p, *p.publish_transport, std::move(spec)));
    added.push_back(p.published.back().get());
  }
  return added;
}

void Room::remove_published_track(Participant& publisher, PublishedTrack& track) {
  std::string track_id = track.id();
  // A proxy's feedback sink outlives it: freed when this returns.
  std::unique_ptr<ProxyUplink> uplink = shard_.on_track_removed(publisher, track);
  for (DownTrack* down : track.down_tracks()) {
    Participant& subscriber = down->subscriber();
    for (auto& slot : subscriber.slots) {
      if (slot.down_track != down) continue;
      slot.source = nullptr;
      slot.down_track = nullptr;
      subscriber.subscribe_dirty = true;
    }
    std::erase_if(subscriber.down_tracks, [down](const auto& d) { return d.get() == down; });
  }
  // Its streams are over: their SRTP state goes, so renegotiating never exhausts the SSRC limit.
  if (publisher.publish_transport) {
    for (size_t i = 0; i < track.layer_count(); ++i)
      for (uint32_t ssrc : {track.layer(i).ssrc(), track.layer(i).rtx_ssrc()})
        if (ssrc != 0) publisher.publish_transport->forget_inbound_ssrc(ssrc);
  }
  std::erase_if(publisher.published, [&track](const auto& t) { return t.get() == &track; });
  broadcast(TrackUnpublished{publisher.id, track_id}, publisher.id);
}

void Room::update_subscriptions(Participant& subscriber) {
  for (auto& [id, publisher] : participants_) {
    if (id == subscriber.id) continue;
    for (auto& track : publisher->published) {
      bool present = std::any_of(subscriber.slots.begin(), subscriber.slots.end(),
                                 [&](const SubscriptionSlot& s) { return s.source == track.get(); });
      if (!present) subscribe(subscriber, *publisher, *track);
    }
  }
  if (subscriber.subscribe_dirty && !subscriber.outstanding_offer) send_subscribe_offer(subscriber);
}

void Room::subscribe(Participant& subscriber, const Participant& publisher, PublishedTrack& track) {
  SubscriptionSlot& slot = claim_slot(subscriber.slots, track.kind(), next_mid_);
  slot.kind = track.kind();
  slot.source = &track;
  slot.participant_id = publisher.id;
  slot.track_id = track.id();
  slot.ssrc = random_nonzero_u32();
  bool any_rtx = offer_codecs(slot, subscriber.subscribe_payload_types, track.spec());
  slot.rtx_ssrc = any_rtx ? random_nonzero_u32() : 0;
  auto down = std::make_unique<DownTrack>(track, subscriber, *subscriber.subscribe_transport, slot.mid,
                                          slot.ssrc, slot.rtx_ssrc);
  slot.down_track = down.get();
  track.down_tracks().push_back(down.get());
  subscriber.down_tracks.push_back(std::move(down));
  subscriber.subscribe_dirty = true;
}

void Room::send_subscribe_offer(Participant& subscriber) {
  if (!subscriber.subscribe_transport) return;
  std::vector<sdp::SubscribeSlot> slots;
  for (const auto& slot : subscriber.slots) {
    sdp::SubscribeSlot s;
    s.mid = slot.mid;
    s.kind = slot.kind;
    s.active = slot.source != nullptr || slot.kind == sdp::MediaKind::kApplication;
    s.sctp_port = data_relay_.options().sctp_port;
    s.max_message_size = data_relay_.options().max_message_bytes;
    s.participant_id = slot.participant_id;
    s.track_id = slot.track_id;
    s.ssrc = slot.ssrc;
    s.rtx_ssrc = slot.rtx_ssrc;
    s.cname = subscriber.cname;
    s.codecs = slot.codecs;
    s.extensions = subscriber_extensions(slot.kind);
    slots.push_back(std::move(s));
  }
  auto offer = sdp::build_subscribe_offer(
      slots, local_transport_of(*subscriber.subscribe_transport, worker_.host_candidates()),
      subscriber.subscribe_session_id, ++subscriber.subscribe_version);
  deliver(subscriber, SubscribeOffer{sdp::write_sdp(offer)});
  subscriber.outstanding_offer = std::move(offer);
  subscriber.subscribe_dirty = false;
}

void Room::add_data_slot(Participant& subscriber) {
  if (!data_relay_.options().enabled) return;
  for (const auto& slot : subscriber.slots)
    if (slot.kind == sdp::MediaKind::kApplication) return;
  // Never reused or removed, like every m-section: one per subscribe session.
  SubscriptionSlot& slot = subscriber.slots.emplace_back();
  slot.mid = std::to_string(next_mid_++);
  slot.kind = sdp::MediaKind::kApplication;
  subscriber.subscribe_dirty = true;
}

void Room::need_data_section(Participant& subscriber) {
  add_data_slot(subscriber);
  if (subscriber.subscribe_dirty && !subscriber.outstanding_offer) send_subscribe_offer(subscriber);
}

void Room::apply_data_answer(Participant& subscriber, const sdp::SubscribedTrackState& state) {
  if (!state.data_channel || !subscriber.subscribe_transport) return;
  subscriber.subscribe_transport->enable_data_channels(
      data_relay_.options().setup_for(TransportRole::Subscribe, *state.data_channel));
}

void Room::subscribe_answer(const std::string& participant_id, const sdp::SessionDescription& answer) {
  auto it = participants_.find(participant_id);
  if (it == participants_.end()) return;
  Participant& p = *it->second;
  if (!p.outstanding_offer)
    return fail_request(p, {ErrorCode::bad_request, "no subscribe offer is outstanding"}, "subscribe_answer");
  auto applied = sdp::apply_subscribe_answer(*p.outstanding_offer, answer);
  if (auto* error = std::get_if<sdp::SdpError>(&applied))
    return refuse_subscribe_answer(p, sdp::to_error(*error, "subscribe answer rejected"));
  auto& result = std::get<sdp::SubscribeAnswerResult>(applied);
  auto change = take_remote_transport(p, TransportRole::Subscribe, result.remote);
  if (auto* refused = std::get_if<Error>(&change)) return refuse_subscribe_answer(p, std::move(*refused));
  p.subscribe_refusals = 0;
  p.subscribe_ice_restart = false;
  uint64_t now = worker_.now_ms();
  for (const auto& state : result.tracks) {
    auto slot = std::find_if(p.slots.begin(), p.slots.end(),
                             [&](const SubscriptionSlot& s) { return s.mid == state.mid; });
    if (slot != p.slots.end() && slot->kind == sdp::MediaKind::kApplication) apply_data_answer(p, state);
    if (slot == p.slots.end() || !slot->down_track) continue;
    DownTrack& down = *slot->down_track;
    if (!state.receivable) {
      down.set_active(false);
      continue;
    }
    apply_accepted(*slot, state, down);
    down.set_active(true);
    if (down.source().kind() == sdp::MediaKind::kVideo) router_.request_keyframe(down.source(), now);
  }
  if (auto transport_cc = accepted_transport_cc(result.tracks); transport_cc && p.subscribe_transport)
    p.subscribe_transport->enable_bandwidth_estimation(*transport_cc);
  p.outstanding_offer.reset();
  if (p.subscribe_dirty) send_subscribe_offer(p);
  worker_.flush_sends();
}

void Room::refuse_subscribe_answer(Participant& p, Error error) {
  // The client applied the offer before it answered, so it can only answer a new one: send one,
  // unless its answers keep failing (a client that answers every offer wrongly would otherwise
  // loop with the server for good). Then the outstanding offer stays until answered.
  bool reoffer = p.subscribe_refusals < kMaxSubscribeReoffers;
  if (reoffer) ++p.subscribe_refusals;
  error.message += reoffer ? "; a new subscribe_offer follows"
                           : "; answer the last subscribe_offer (no new one follows after " +
                                 std::to_string(kMaxSubscribeReoffers) + " refused answers in a row)";
  fail_request(p, std::move(error), "subscribe_answer");
  if (!reoffer) return;
  p.outstanding_offer.reset();
  send_subscribe_offer(p);
}

void Room::leave(const std::string& participant_id, const std::string& reason) {
  if (shard_.drop_held_join(participant_id)) return;
  remove_participant(participant_id, reason, std::nullopt);
}

void Room::remove_participant(const std::string& id_ref, const std::string& reason_ref,
                              const std::optional<Error>& report) {
  // Copies, though never modified: callers pass strings owned by the participant, freed below.
  // NOLINTNEXTLINE(performance-unnecessary-copy-initialization): must outlive the participant
  const std::string participant_id = id_ref;
  // NOLINTNEXTLINE(performance-unnecessary-copy-initialization): must outlive the participant
  const std::string reason = reason_ref;
  auto it = participants_.find(participant_id);
  if (it == participants_.end()) return;
  Participant& p = *it->second;
  data_relay_.remove_participant(p);
  while (!p.published.empty()) remove_published_track(p, *p.published.back());
  for (auto& down : p.down_tracks) std::erase(down->source().down_tracks(), down.get());
  p.down_tracks.clear();
  p.publish_link.detach();
  p.subscribe_link.detach();
  for (uint64_t transport_id : {p.publish_transport_id, p.subscribe_transport_id})
    worker_.destroy_transport(transport_id);
  p.publish_transport = nullptr;
  p.subscribe_transport = nullptr;
  if (!p.remote_worker) shard_.on_local_left(p, reason);
  uint64_t session_id = p.session_id;
  participants_.erase(it);
  broadcast(ParticipantLeft{participant_id, reason}, participant_id);
  if (report) events_.participant_removed(name_, participant_id, session_id, *report);
  for (auto& [id, other] : participants_)
    if (other->subscribe_dirty && !other->outstanding_offer) send_subscribe_offer(*other);
  log_debug("room", "participant removed",
            {{"room", name_}, {"participant", participant_id}, {"reason", reason}});
}

void Room::close(const std::string& reason) {
  std::vector<std::string> ids;
  for (const auto& [id, participant] : participants_) ids.push_back(id);
  for (const auto& id : ids) remove_participant(id, reason, std::nullopt);
  timer_.stop();
}

RoomSnapshot Room::describe() const {
  RoomSnapshot snapshot{name_, {}};
  for (const auto& [id, p] : participants_) {
    ParticipantSnapshot& participant =
        snapshot.participants.emplace_back(ParticipantSnapshot{id, p->name, {}, data_relay_.describe(*p)});
    participant.worker = p->remote_worker.value_or(worker_.index());
    participant.remote = p->remote_worker.has_value();
    for (const auto& track : p->published) {
      TrackSnapshot& seen = participant.tracks.emplace_back(TrackSnapshot{track->id(),
                                                                          track->kind(),
                                                                          track->counters().packets,
                                                                          track->counters().bytes,
                                                                          track->down_tracks().size(),
                                                                          {}});
      for (size_t i = 0; i < track->layer_count(); ++i)
        seen.layer_bps.push_back(track->layer(i).bitrate_bps());
    }
    for (const auto& down : p->down_tracks) participant.subscriptions.push_back(describe_subscription(*down));
    if (const auto* bwe = p->subscribe_transport ? p->subscribe_transport->bandwidth_estimator() : nullptr) {
      participant.bandwidth = bwe->snapshot();
      if (const Pacer* pacer = p->subscribe_transport->pacer()) {
        participant.bandwidth->pacing_rate_bps = static_cast<uint64_t>(pacer->pacing_rate_bps());
        participant.bandwidth->pacer_queue_packets = pacer->queued_packets();
        participant.bandwidth->paced_packets = pacer->stats().paced_packets;
        participant.bandwidth->pacer_dropped_packets = pacer->stats().dropped_packets;
        participant.bandwidth->pacer_flushed_packets = pacer->stats().flushed_packets;
      }
      if (p->bandwidth && p->bandwidth->allocating()) {
        participant.bandwidth->allocated_bps = p->bandwidth->last_round().allocated_bps;
        participant.bandwidth->wanted_bps = p->bandwidth->last_round().wanted_bps;
      }
    }
  }
  return snapshot;
}

void Room::on_transport_connected(Participant& p, TransportRole role) {
  p.connected_once = true;
  if (role != TransportRole::Subscribe) return;
  // A subscriber's decoder needs a keyframe to start: ask the publishers of its video now.
  uint64_t now = worker_.now_ms();
  for (auto& down : p.down_tracks)
    if (down->source().kind() == sdp::MediaKind::kVideo) router_.request_keyframe(down->source(), now);
}

void Room::on_transport_closed(Participant& p, TransportRole role, std::string_view reason) {
  std::string why = (role == TransportRole::Publish ? "publish connection: " : "subscribe connection: ") +
                    std::string(reason);
  remove_participant(p.id, why, Error{ErrorCode::connection_lost, "media connection lost: " + why});
}

void Room::on_rtp(Participant& p, TransportRole role, uint8_t* data, size_t size, int64_t arrival_us) {
  if (role != TransportRole::Publish) {
    worker_.drop_counters_for_rooms().count(DropReason::NoRoute);
    return;
  }
  router_.on_publisher_rtp(p, data, size, worker_.now_ms(), arrival_us);
}

void Room::on_rtcp(Participant& p, TransportRole role, uint8_t* data, size_t size) {
  if (role == TransportRole::Publish)
    router_.on_publisher_rtcp(p, data, size, worker_.now_ms());
  else
    router_.on_subscriber_rtcp(p, data, size, worker_.now_ms());
}

void Room::on_timer() {
  uint64_t now = worker_.now_ms();
  bool report = now - last_report_ms_ >= kReportIntervalMs;
  if (report) last_report_ms_ = now;
  for (auto& [id, p] : participants_) {
    router_.on_fast_timer(*p, now);
    // A proxy's publisher gets its receiver reports from its own worker (per hop).
    if (report && !p->remote_worker) router_.send_receiver_reports(*p, now);
    if (!p->remote_worker) control_bandwidth(*p, now);
  }
  media_signals_.on_timer(participants_, now, events_);
  data_relay_.on_timer(now);
  if (report) remove_unconnected_participants(now);
  worker_.flush_sends();
}

void Room::control_bandwidth(Participant& subscriber, uint64_t now_ms) {
  WebRtcTransport* transport = subscriber.subscribe_transport;
  if (!transport || !transport->bandwidth_estimator()) return;
  if (!subscriber.bandwidth)
    subscriber.bandwidth = std::make_unique<BandwidthController>(
        BandwidthOptions::from_config(worker_.bandwidth_config()), worker_.bwe_counters_for_rooms());
  BandwidthController& control = *subscriber.bandwidth;
  control.on_timer(subscriber, *transport, now_ms, media_signals_.active_speaker());
  for (const BandwidthNotice& notice : control.notices()) {
    if (notice.kind == BandwidthNotice::Kind::kEstimate) {
      const auto paused = std::count_if(subscriber.down_tracks.begin(), subscriber.down_tracks.end(),
                                        [](const auto& down) { return down->paused_for_bandwidth(); });
      deliver(subscriber, BandwidthEstimate{control.estimate_bps(), control.last_round().allocated_bps,
                                            control.last_round().wanted_bps, static_cast<uint32_t>(paused)});
      continue;
    }
    PublishedTrack& source = notice.down->source();
    if (notice.kind == BandwidthNotice::Kind::kPaused)
      deliver(subscriber, TrackPaused{source.publisher().id, source.id(), "bandwidth"});
    else
      deliver(subscriber, TrackResumed{source.publisher().id, source.id()});
  }
}

void Room::remove_unconnected_participants(uint64_t now_ms) {
  // Joining muted and turning the camera on minutes later is normal, so the timeout is long
  // (600 s by default) and counts only until either connection is up once. It frees the place
  // in the room (and the transports) of a client that never negotiates, or whose network
  // blocks UDP, for as long as its WebSocket would stay open.
  const uint64_t timeout_ms = worker_.join_timeout_ms();
  std::vector<std::string> expired;
  for (const auto& [id, p] : participants_)
    if (!p->connected_once && now_ms - p->joined_at_ms >= timeout_ms) expired.push_back(id);
  for (const auto& id : expired) {
    worker_.count_join_timeout();
    remove_participant(id, "join timeout",
                       Error{ErrorCode::join_timeout, "no media connection came up within " +
                                                          std::to_string(timeout_ms / 1000) + " s of join"});
  }
}

}  // namespace sfu
