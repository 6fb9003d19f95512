// A room on its worker: who is in it, what they publish, who receives what, and the negotiation
// that follows (publish answers, subscribe offers, membership changes), reported to the control
// plane as typed RoomEvents, never as protocol text. The media path itself is the Router's. Owns
// its participants (and through them their tracks); the worker owns the transports and the room.
// Every method runs on the worker thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/result.h"
#include "base/uv_timer.h"
#include "sfu/media/data_relay.h"
#include "sfu/media/participant.h"
#include "sfu/media/room_events.h"
#include "sfu/media/room_media_signals.h"
#include "sfu/media/room_shard.h"
#include "sfu/media/router.h"
#include "sfu/media/transport_link.h"
#include "sfu/media/webrtc_transport.h"
#include "sfu/sdp/sdp.h"

namespace sfu {

class Worker;

struct RoomLimits {
  uint32_t max_participants = 100;
  uint32_t max_tracks_per_participant = 8;
};

class Room : private DataRelay::Host {
  friend class RoomShard;  // adds and removes proxies of other workers' participants

 public:
  // Refused subscribe answers in a row that are each followed by a fresh offer (see
  // subscribe_answer); after that the outstanding offer stays until answered.
  static constexpr size_t kMaxSubscribeReoffers = 3;

  Room(std::string name, Worker& worker, RoomEvents& events, RouterCounters& counters, RoomLimits limits);
  ~Room() override;
  Room(const Room&) = delete;
  Room& operator=(const Room&) = delete;

  const std::string& name() const { return name_; }
  size_t participant_count() const { return participants_.size(); }

  // Adds a participant with its two transports; delivers Joined to it and ParticipantJoined to
  // the others. room_full (also delivered to the session as RequestFailed) when the room is full.
  Status join(const std::string& participant_id, const std::string& display_name, uint64_t session_id);
  // The publish offer (already parsed): answers with PublishAnswer or RequestFailed.
  void publish(const std::string& participant_id, const sdp::SessionDescription& offer);
  void subscribe_answer(const std::string& participant_id, const sdp::SessionDescription& answer);
  // restart_ice: restarts ICE on the participant's subscribe connection (new server credentials in
  // a new SubscribeOffer); refused (RequestFailed) while an offer is outstanding or before the
  // connection was ever negotiated.
  void restart_subscribe_ice(const std::string& participant_id);
  // track_settings: `subscriber`'s preferences for the track `track_id` of `publisher_id` it
  // receives (simulcast layer, shown size, paused); not_found (RequestFailed) when it receives no
  // such track.
  void set_track_preferences(const std::string& subscriber_id, const std::string& publisher_id,
                             const std::string& track_id, const TrackPreferences& preferences);
  // The participant's signaling moved to another session (a resume after its WebSocket dropped):
  // its events go there from now on, starting with Joined{resumed} (the room as it is now) and, if
  // a subscribe offer was outstanding, a fresh one (the old one or its answer may have been lost).
  // Its transports, tracks and subscriptions are untouched. False when it is not in the room.
  bool resume(const std::string& participant_id, uint64_t session_id);
  // Frees everything of the participant and tells the others (ParticipantLeft).
  void leave(const std::string& participant_id, const std::string& reason);
  // Removes everyone (room deleted or server stopping).
  void close(const std::string& reason);
  bool has_participant(const std::string& participant_id) const {
    return participants_.count(participant_id) > 0;
  }

  // For REST: the participants with their tracks and packet counts.
  RoomSnapshot describe() const;
  // REST: a server message for `targets` (everyone when empty); how many it was queued to.
  size_t send_data(const std::vector<std::string>& targets, bool binary, ByteSpan message) {
    return data_relay_.send_server_message(targets, binary, message);
  }
  // Where the participants' TransportLinks send data-channel events.
  DataRelay& data_relay() { return data_relay_; }

  // A room spanning workers (room_shard.h), from the control plane: this shard was opened while
  // the room has shards on `workers`; a shard was opened on `worker`; a message of another shard.
  void expect_peer_shards(const std::vector<uint32_t>& workers) { shard_.expect_peers(workers); }
  void add_peer_shard(uint32_t worker) { shard_.add_peer(worker); }
  void remove_peer_shard(uint32_t worker, const std::string& reason) { shard_.remove_peer(worker, reason); }
  void on_shard_message(const ShardMessage& message) { shard_.on_message(message); }
  bool spanning() const { return shard_.spanning(); }

  // From a participant's TransportLink (the observer of its two transports).
  void on_transport_connected(Participant& participant, TransportRole role);
  void on_transport_closed(Participant& participant, TransportRole role, std::string_view reason);
  void on_rtp(Participant& participant, TransportRole role, uint8_t* data, size_t size, int64_t arrival_us);
  void on_rtcp(Participant& participant, TransportRole role, uint8_t* data, size_t size);

 private:
  void deliver(const Participant& participant, RoomEvent event);
  void broadcast(const RoomEvent& event, const std::string& except_id);
  void fail_request(const Participant& participant, Error error, const char* request_type);
  // Frees everything of the participant and tells the others. `report`: the room removed it on its
  // own, and the control plane is told why (and tells the participant); nullopt when the control
  // plane asked (leave, kick, room closed). `reason` is for the log.
  void remove_participant(const std::string& participant_id, const std::string& reason,
                          const std::optional<Error>& report);
  // rtc.join_timeout_s: removes the participants none of whose connections came up in time.
  void remove_unconnected_participants(uint64_t now_ms);
  void remove_published_track(Participant& publisher, PublishedTrack& track);
  // Applies a publish offer's tracks: unpublishes those gone or changed, publishes the new ones
  // (returned, to be announced once the answer is out).
  std::vector<PublishedTrack*> update_published_tracks(Participant& publisher,
                                                       const std::vector<sdp::PublishedTrackSpec>& offered);
  // Gives the connection of `role` the client's transport from its first description. A later one
  // keeps it or restarts ICE: a publish offer may at any time (the server's credentials change
  // too, so the answer must be built after this), a subscribe answer only in answer to an offer
  // that restarted. Anything else is refused and changes nothing. An answer that accepted
  // nothing carries no transport.
  std::variant<sdp::RemoteTransportChange, Error> take_remote_transport(Participant& participant,
                                                                        TransportRole role,
                                                                        const sdp::RemoteTransport& remote);
  // Reports a refused subscribe answer and, unless the client keeps failing, sends a new offer.
  void refuse_subscribe_answer(Participant& subscriber, Error error);
  // Recomputes what `subscriber` should receive and sends a subscribe offer if one is due.
  void update_subscriptions(Participant& subscriber);
  // Gives `subscriber` a down-track of `track` in a (new or reused) m-section slot.
  void subscribe(Participant& subscriber, const Participant& publisher, PublishedTrack& track);
  void send_subscribe_offer(Participant& subscriber);
  // The subscribe session's data channel m-section, added once (marks the session dirty).
  void add_data_slot(Participant& subscriber);
  // DataRelay::Host: add_data_slot() and offer it when no offer is outstanding.
  void need_data_section(Participant& subscriber) override;
  // The subscriber accepted (or not) the data channel m-section: its association may start.
  void apply_data_answer(Participant& subscriber, const sdp::SubscribedTrackState& state);
  void on_timer();
  // The subscriber's bandwidth allocation and probing (BandwidthController), and what it tells it.
  void control_bandwidth(Participant& subscriber, uint64_t now_ms);
  ParticipantSummary participant_summary(const Participant& participant) const;

  std::string name_;
  Worker& worker_;
  RoomEvents& events_;
  RoomLimits limits_;
  Router router_;
  RoomMediaSignals media_signals_;  // active speakers, dynacast
  DataRelay data_relay_;
  std::map<std::string, std::unique_ptr<Participant>> participants_;
  UvTimer timer_;
  uint64_t last_report_ms_ = 0;
  uint32_t next_mid_ = 0;
  RoomShard shard_{*this, worker_};
};

}  // namespace sfu
