// A participant of a room, on its room's worker: its two transports (publish, subscribe), the
// tracks it publishes, the down-tracks it receives and the state of its subscribe negotiation.
// Owned by its Room (unique_ptr, never moved: its transport links point back at it).
// The router reaches the transports only as MediaSinks, through the tracks (see media_sink.h).
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "sfu/media/bandwidth_controller.h"
#include "sfu/media/down_track.h"
#include "sfu/media/published_track.h"
#include "sfu/media/rtcp/retransmission_budget.h"
#include "sfu/media/rtcp/transport_cc_feedback.h"
#include "sfu/media/transport_link.h"
#include "sfu/sdp/sdp.h"
#include "sfu/sdp/sdp_negotiation.h"

namespace sfu {

// One m-section of the subscribe session. Inactive slots keep their mid and are reused (JSEP).
struct SubscriptionSlot {
  std::string mid;
  sdp::MediaKind kind = sdp::MediaKind::kAudio;
  PublishedTrack* source = nullptr;  // nullptr: inactive
  std::string participant_id;
  std::string track_id;
  uint32_t ssrc = 0;
  uint32_t rtx_ssrc = 0;
  std::vector<sdp::NegotiatedCodec> codecs;      // in the subscriber's payload-type space
  std::vector<uint8_t> publisher_payload_types;  // codecs[i] is the publisher's pt [i]
  DownTrack* down_track = nullptr;
};

struct Participant {
  std::string id;
  std::string name;
  // A room spanning workers: set on a proxy of another worker's participant (room_shard.h), which
  // has no transports and no session here; its tracks are proxies fed by that worker.
  std::optional<uint32_t> remote_worker;
  uint64_t session_id = 0;
  uint64_t joined_at_ms = 0;
  // One of its connections has completed ICE and DTLS at least once: the join timeout
  // (rtc.join_timeout_s) no longer applies.
  bool connected_once = false;

  uint64_t publish_transport_id = 0;
  uint64_t subscribe_transport_id = 0;
  WebRtcTransport* publish_transport = nullptr;
  WebRtcTransport* subscribe_transport = nullptr;
  // The observers of the two transports (allocated with the participant, attached by the room).
  TransportLink publish_link{TransportRole::Publish};
  TransportLink subscribe_link{TransportRole::Subscribe};
  uint32_t feedback_ssrc = 0;  // sender SSRC of the RTCP the server sends to this participant
  std::string cname;           // the server's CNAME in this participant's subscribe session

  std::vector<std::unique_ptr<PublishedTrack>> published;
  // Transport-wide congestion control feedback for the publish connection (one sequence for
  // all its streams); extension id 0 = the publisher did not negotiate the extension. Created
  // by the first publish offer that negotiates it (set_transport_cc_extension): its recorder is
  // 16 KB, which a participant that publishes nothing should not pay.
  uint8_t transport_cc_extension_id = 0;
  std::unique_ptr<TransportCcFeedback> transport_cc;  // non-null whenever the id is not 0
  std::vector<std::unique_ptr<DownTrack>> down_tracks;
  // Acts on the subscribe connection's bandwidth estimate (allocation, probing); created by the
  // room's timer once that connection has an estimator.
  std::unique_ptr<BandwidthController> bandwidth;
  // NACK answers this participant may still receive as a subscriber (all its down-tracks).
  RetransmissionBudget retransmission_budget;

  // Subscribe negotiation: at most one offer outstanding; changes meanwhile fold into the next.
  std::vector<SubscriptionSlot> slots;
  std::optional<sdp::SessionDescription> outstanding_offer;
  bool subscribe_dirty = false;
  uint64_t subscribe_version = 0;
  uint64_t subscribe_session_id = 0;
  std::map<uint8_t, std::string> subscribe_payload_types;  // pt -> codec key, one meaning per pt (BUNDLE)
  // Refused subscribe answers in a row (see Room::kMaxSubscribeReoffers).
  uint32_t subscribe_refusals = 0;
  // The client's side of each connection as its descriptions set it up (publish offer, subscribe
  // answer); nullopt until the first. Later ones keep it or restart ICE (Room::take_remote_transport).
  std::optional<sdp::RemoteTransport> publish_remote;
  std::optional<sdp::RemoteTransport> subscribe_remote;
  // The outstanding subscribe offer restarts ICE (restart_ice): its answer brings new credentials.
  bool subscribe_ice_restart = false;

  void set_transport_cc_extension(uint8_t extension_id) {
    transport_cc_extension_id = extension_id;
    if (extension_id != 0 && !transport_cc) transport_cc = std::make_unique<TransportCcFeedback>();
  }
  // Where RTCP about the whole publish connection (receiver reports, transport-cc) goes: the
  // feedback sink its tracks share; nullptr while it publishes nothing.
  MediaSink* publish_feedback_sink() {
    return published.empty() ? nullptr : &published.front()->feedback_sink();
  }
  PublishedTrack* track_by_ssrc(uint32_t ssrc) {
    for (auto& track : published)
      if (track->layer_of_ssrc(ssrc) >= 0) return track.get();
    return nullptr;
  }
  PublishedTrack* track_by_mid(std::string_view mid) {
    for (auto& track : published)
      if (track->spec().mid == mid) return track.get();
    return nullptr;
  }
  DownTrack* down_track_by_ssrc(uint32_t ssrc) {
    for (auto& down : down_tracks)
      if (down->ssrc() == ssrc) return down.get();
    return nullptr;
  }
};

}  // namespace sfu
