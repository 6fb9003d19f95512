// What a room on a worker tells the control thread, as typed values: membership changes, SDP for
// the two negotiations, and refused requests (RoomEvent), plus the snapshot a room gives for REST
// (RoomSnapshot). The media core never formats the signaling protocol; only the control plane
// (sfu/control/protocol_messages) turns these into JSON. Events are plain values built on a
// worker thread and moved to the control thread; RoomEvents is implemented by the control plane
// and called on worker threads, so implementations only queue work for the control loop.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/result.h"
#include "sfu/media/down_track_counters.h"
#include "sfu/media/shard_messages.h"
#include "sfu/sdp/sdp.h"

namespace sfu {

struct TrackSummary {
  std::string id;
  sdp::MediaKind kind = sdp::MediaKind::kAudio;
};

struct ParticipantSummary {
  std::string id;
  std::string name;
  std::vector<TrackSummary> tracks;
};

// To the participant that joined: the room and everyone already in it. The same, with `resumed`,
// to a participant taken back by a new signaling session (Room::resume): the room as it is now.
struct Joined {
  std::string room;
  std::string participant_id;
  std::vector<ParticipantSummary> participants;
  bool resumed = false;
};
// To everyone else in the room.
struct ParticipantJoined {
  std::string participant_id;
  std::string name;
};
struct ParticipantLeft {
  std::string participant_id;
  std::string reason;  // human-readable ("left", "kicked", "resume grace expired", ...); may be empty
};
// The answer to the participant's publish offer (SDP text).
struct PublishAnswer {
  std::string sdp;
};
// The server's offer for the participant's subscribe connection (SDP text).
struct SubscribeOffer {
  std::string sdp;
};
struct TrackPublished {
  std::string participant_id;
  TrackSummary track;
};
struct TrackUnpublished {
  std::string participant_id;
  std::string track_id;
};
// To a subscriber: the server stopped (track_paused) or restarted (track_resumed) sending it a
// track because of its downlink's bandwidth (reason "bandwidth").
struct TrackPaused {
  std::string participant_id;
  std::string track_id;
  std::string reason;
};
struct TrackResumed {
  std::string participant_id;
  std::string track_id;
};
// To a subscriber, at most once a second: the server's estimate of its downlink, what the
// allocator gives it and what it would take with no limit (bits/s).
struct BandwidthEstimate {
  uint64_t estimate_bps = 0;
  uint64_t allocated_bps = 0;
  uint64_t wanted_bps = 0;
  uint32_t paused_tracks = 0;
};
// A request of the participant was refused; `request_type` names it ("join", "publish", ...).
struct RequestFailed {
  Error error;
  std::string request_type;
};

// To everyone: who speaks now, loudest first (active_speakers.h); empty when nobody does.
struct SpeakerLevel {
  std::string participant_id;
  double level = 0;  // smoothed linear amplitude, 0..1
};
struct ActiveSpeakersChanged {
  std::vector<SpeakerLevel> speakers;
};
// To a publisher (dynacast, dynacast.h): which simulcast layers of its track anyone needs.
struct PublisherLayers {
  std::string track_id;
  std::vector<bool> active;  // by layer, lowest quality first (the announced order)
};

using RoomEvent = std::variant<Joined, ParticipantJoined, ParticipantLeft, PublishAnswer, SubscribeOffer,
                               TrackPublished, TrackUnpublished, RequestFailed, TrackPaused, TrackResumed,
                               BandwidthEstimate, ActiveSpeakersChanged, PublisherLayers>;

// Room::describe(): the media state the worker owns, for GET /v1/rooms/{name}.
struct TrackSnapshot {
  std::string id;
  sdp::MediaKind kind = sdp::MediaKind::kAudio;
  uint64_t packets = 0;
  uint64_t bytes = 0;
  size_t subscribers = 0;
  // What each layer of a simulcast or SVC track costs now (bit/s as received, lowest quality
  // first); one entry for a single-layer track.
  std::vector<uint64_t> layer_bps;
};
// A data channel the participant opened on its publish connection (a data track of the room).
struct DataTrackSnapshot {
  uint16_t stream = 0;  // its SCTP stream id on the publish connection
  std::string label;
  std::string protocol;  // as the publisher set it (subscribers see the publisher's id instead)
  bool ordered = true;
  // "reliable", "max_retransmits" or "max_packet_life_time"; reliability_value is the count or ms.
  std::string reliability;
  uint32_t reliability_value = 0;
  uint64_t messages = 0;  // received from the publisher and relayed (before per-subscriber drops)
  uint64_t bytes = 0;
  size_t subscribers = 0;
};
// The server's send-side estimate of the participant's downlink (its subscribe connection).
struct BandwidthSnapshot {
  std::string source;  // "transport-cc" (the estimator runs on its feedback), "remb", or "none" yet
  uint64_t estimate_bps = 0;
  uint64_t delay_based_bps = 0, loss_based_bps = 0;
  std::optional<uint64_t> acknowledged_bps, remb_bps;
  double loss = 0;  // the share of packets the feedback reported lost, 0..1
  uint64_t rtt_ms = 0;
  std::string trend;  // increasing, holding, decreasing
  std::string usage;  // the delay detector's: normal, underusing, overusing
  uint64_t feedbacks = 0, overuse_events = 0;
  // Probe clusters sent, how many raised the estimate, and the last one's measured rate (0: the
  // link did not carry it).
  uint64_t probes = 0, probes_succeeded = 0, last_probe_bps = 0;
  // What the link carried when it last lost heavily, until a long probe showed more (null: none).
  std::optional<uint64_t> loss_limited_bps;
  // With bandwidth.allocation: what the layers sent now cost and what they would with no limit.
  std::optional<uint64_t> allocated_bps, wanted_bps;
  // With bandwidth.pacing: the pacing rate (0 while packets go out at once), what the pacer
  // holds now, and how many packets it has held and sent so far.
  std::optional<uint64_t> pacing_rate_bps, pacer_queue_packets, paced_packets;
  // ... and how many it dropped for a full queue, or sent at once because they waited too long.
  std::optional<uint64_t> pacer_dropped_packets, pacer_flushed_packets;
};
// A track as the participant receives it (its down-track): which layer it gets and why packets
// of it were not sent.
struct SubscriptionSnapshot {
  std::string track_id;
  std::string publisher_id;
  sdp::MediaKind kind = sdp::MediaKind::kAudio;
  int8_t layer = -1;         // the layer forwarded now (-1: none, waiting for a key frame to start)
  int8_t target_layer = -1;  // the layer it switches to at that layer's next key frame
  // Why nothing is forwarded: "subscriber" (track_settings paused it), "bandwidth" (the
  // allocator did), or empty.
  std::string paused;
  DownTrackCounters counters;
};
struct ParticipantSnapshot {
  std::string id;
  std::string name;
  std::vector<TrackSnapshot> tracks;
  std::vector<DataTrackSnapshot> data_tracks;
  std::vector<SubscriptionSnapshot> subscriptions;
  uint32_t worker = 0;  // the worker it is placed on
  // A room spanning workers: a participant of another worker's shard, as this shard sees it (its
  // tracks' `subscribers` are this worker's only). The control plane adds them to its own entry.
  bool remote = false;
  std::optional<BandwidthSnapshot> bandwidth;  // once its subscribe answer accepted media
};
struct RoomSnapshot {
  std::string name;
  std::vector<ParticipantSnapshot> participants;
};

class RoomEvents {
 public:
  virtual ~RoomEvents() = default;
  // One event for one signaling session.
  virtual void deliver(uint64_t session_id, RoomEvent event) = 0;
  // The worker removed a participant on its own: the control plane forgets it, sends `why` to its
  // signaling session as an error and closes the session. `why` is connection_lost (ICE consent
  // lost, DTLS failed, a join the worker refused) or join_timeout (no connection came up in time).
  virtual void participant_removed(const std::string& room, const std::string& participant_id,
                                   uint64_t session_id, const Error& why) = 0;
  // A room spanning workers: a message for the room's shards on other workers, which the control
  // plane relays in order and never drops (room_shard.h). A room on one worker sends none.
  // NOLINTNEXTLINE(performance-unnecessary-value-param): by value, so an implementation moves it on
  virtual void to_shards(ShardMessage /*message*/) {}
};

}  // namespace sfu
