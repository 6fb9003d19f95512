#include "sfu/control/protocol_messages.h"

#include <cmath>
#include <type_traits>

namespace sfu::protocol {

std::string to_text(const nlohmann::json& message) {
  return message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}
namespace {

nlohmann::json track_json(const TrackSummary& track) {
  return {{"id", track.id}, {"kind", sdp::to_string(track.kind)}};
}

nlohmann::json participant_json(const ParticipantSummary& participant) {
  nlohmann::json tracks = nlohmann::json::array();
  for (const auto& track : participant.tracks) tracks.push_back(track_json(track));
  return {{"id", participant.id}, {"name", participant.name}, {"tracks", tracks}};
}

nlohmann::json to_json(const Joined& e) {
  nlohmann::json participants = nlohmann::json::array();
  for (const auto& participant : e.participants) participants.push_back(participant_json(participant));
  return {{"type", e.resumed ? "resumed" : "joined"},
          {"room", e.room},
          {"participant_id", e.participant_id},
          {"participants", participants}};
}
nlohmann::json to_json(const ParticipantJoined& e) {
  return {{"type", "participant_joined"}, {"participant", {{"id", e.participant_id}, {"name", e.name}}}};
}
nlohmann::json to_json(const ParticipantLeft& e) {
  nlohmann::json message = {{"type", "participant_left"}, {"participant_id", e.participant_id}};
  if (!e.reason.empty()) message["reason"] = e.reason;
  return message;
}
nlohmann::json to_json(const PublishAnswer& e) { return {{"type", "publish_answer"}, {"sdp", e.sdp}}; }
nlohmann::json to_json(const SubscribeOffer& e) { return {{"type", "subscribe_offer"}, {"sdp", e.sdp}}; }
nlohmann::json to_json(const TrackPublished& e) {
  return {{"type", "track_published"}, {"participant_id", e.participant_id}, {"track", track_json(e.track)}};
}
nlohmann::json to_json(const TrackUnpublished& e) {
  return {{"type", "track_unpublished"}, {"participant_id", e.participant_id}, {"track_id", e.track_id}};
}
nlohmann::json to_json(const RequestFailed& e) { return error_message(e.error, e.request_type); }
nlohmann::json to_json(const TrackPaused& e) {
  return {{"type", "track_paused"},
          {"participant_id", e.participant_id},
          {"track_id", e.track_id},
          {"reason", e.reason}};
}
nlohmann::json to_json(const TrackResumed& e) {
  return {{"type", "track_resumed"}, {"participant_id", e.participant_id}, {"track_id", e.track_id}};
}
nlohmann::json to_json(const BandwidthEstimate& e) {
  return {{"type", "bandwidth"},
          {"estimate_bps", e.estimate_bps},
          {"allocated_bps", e.allocated_bps},
          {"wanted_bps", e.wanted_bps},
          {"paused_tracks", e.paused_tracks}};
}
nlohmann::json to_json(const ActiveSpeakersChanged& e) {
  nlohmann::json speakers = nlohmann::json::array();
  // Three decimals are all a level shown on screen needs.
  for (const auto& s : e.speakers)
    speakers.push_back({{"participant_id", s.participant_id}, {"level", std::round(s.level * 1000) / 1000}});
  return {{"type", "active_speakers"}, {"speakers", speakers}};
}
nlohmann::json to_json(const PublisherLayers& e) {
  return {{"type", "publisher_layers"}, {"track_id", e.track_id}, {"active", e.active}};
}

}  // namespace

nlohmann::json event_message(const RoomEvent& event) {
  return std::visit([](const auto& e) { return to_json(e); }, event);
}

nlohmann::json ice_servers_json(const std::vector<std::string>& urls, const TurnCredential& credential) {
  nlohmann::json server = {
      {"urls", urls}, {"username", credential.username}, {"credential", credential.credential}};
  return nlohmann::json::array({server});
}

nlohmann::json error_message(const Error& error, std::string_view request_type) {
  nlohmann::json message = {{"type", "error"}, {"code", to_string(error.code)}, {"message", error.message}};
  if (!request_type.empty()) message["request_type"] = request_type;
  return message;
}

nlohmann::json room_closed_message() { return {{"type", "room_closed"}, {"reason", "the room was deleted"}}; }

nlohmann::json kicked_message() { return {{"type", "kicked"}, {"reason", "removed by an operator"}}; }

nlohmann::json redirect_message(const std::string& url, const std::string& node, const std::string& reason) {
  return {{"type", "redirect"}, {"url", url}, {"node", node}, {"reason", reason}};
}

std::string pong_text() { return R"({"type":"pong"})"; }

nlohmann::json rest_error_body(const Error& error) {
  return {{"error", {{"code", to_string(error.code)}, {"message", error.message}}}};
}

int http_status_of(ErrorCode code) {
  switch (code) {
    case ErrorCode::bad_request:
      return 400;
    case ErrorCode::unauthorized:
      return 401;
    case ErrorCode::forbidden:
      return 403;
    case ErrorCode::not_found:
      return 404;
    case ErrorCode::method_not_allowed:
      return 405;
    case ErrorCode::conflict:
      return 409;
    case ErrorCode::length_required:
      return 411;
    case ErrorCode::payload_too_large:
      return 413;
    case ErrorCode::too_many_rooms:
      return 429;
    case ErrorCode::unsupported:
      return 501;
    case ErrorCode::overloaded:
    case ErrorCode::worker_timeout:
    case ErrorCode::server_full:
      return 503;
    default:
      return 500;
  }
}

nlohmann::json room_summary(const RoomDirectoryEntry& room) {
  return {{"name", room.name},
          {"participants", room.participants},
          {"worker", room.worker},
          {"workers", std::vector<uint32_t>(room.workers.begin(), room.workers.end())},
          {"created_at", room.created_at},
          {"max_participants", room.max_participants}};
}

namespace {

// The server's estimate of a participant's downlink (docs/protocol.md, section 5).
nlohmann::json bandwidth_json(const BandwidthSnapshot& b) {
  nlohmann::json out = {{"source", b.source},
                        {"estimate_bps", b.estimate_bps},
                        {"delay_based_bps", b.delay_based_bps},
                        {"loss_based_bps", b.loss_based_bps},
                        {"loss", b.loss},
                        {"rtt_ms", b.rtt_ms},
                        {"trend", b.trend},
                        {"delay_state", b.usage},
                        {"feedbacks", b.feedbacks},
                        {"overuse_events", b.overuse_events},
                        {"probes", b.probes},
                        {"probes_succeeded", b.probes_succeeded},
                        {"last_probe_bps", b.last_probe_bps}};
  out["acknowledged_bps"] = b.acknowledged_bps ? nlohmann::json(*b.acknowledged_bps) : nlohmann::json();
  out["remb_bps"] = b.remb_bps ? nlohmann::json(*b.remb_bps) : nlohmann::json();
  out["loss_limited_bps"] = b.loss_limited_bps ? nlohmann::json(*b.loss_limited_bps) : nlohmann::json();
  if (b.allocated_bps) {  // bandwidth.allocation on
    out["allocated_bps"] = *b.allocated_bps;
    out["wanted_bps"] = b.wanted_bps.value_or(0);
  }
  if (b.pacing_rate_bps) {  // bandwidth.pacing on
    out["pacing_rate_bps"] = *b.pacing_rate_bps;
    out["pacer_queue_packets"] = b.pacer_queue_packets.value_or(0);
    out["paced_packets"] = b.paced_packets.value_or(0);
    out["pacer_dropped_packets"] = b.pacer_dropped_packets.value_or(0);
    out["pacer_flushed_packets"] = b.pacer_flushed_packets.value_or(0);
  }
  return out;
}

nlohmann::json subscription_json(const SubscriptionSnapshot& s) {
  const DownTrackCounters& c = s.counters;
  const auto layer = [](int8_t value) { return value < 0 ? nlohmann::json() : nlohmann::json(value); };
  return {{"track_id", s.track_id},
          {"publisher", s.publisher_id},
          {"kind", sdp::to_string(s.kind)},
          {"layer", layer(s.layer)},
          {"target_layer", layer(s.target_layer)},
          {"paused", s.paused.empty() ? nlohmann::json() : nlohmann::json(s.paused)},
          {"packets", c.packets},
          {"bytes", c.bytes},
          {"retransmitted", c.retransmitted},
          {"layer_switches", c.layer_switches},
          {"dropped",
           {{"waiting_keyframe", c.dropped_before_keyframe},
            {"other_layer", c.dropped_other_layer},
            {"paused", c.dropped_paused},
            {"before_switch", c.dropped_before_switch},
            {"temporal_layer", c.dropped_temporal_layer},
            {"spatial_layer", c.dropped_spatial_layer},
            {"unsupported_codec", c.dropped_unsupported_codec},
            {"malformed_red", c.dropped_malformed_red}}}};
}

}  // namespace

nlohmann::json room_detail(const RoomDirectoryEntry& room, const RoomSnapshot& snapshot) {
  nlohmann::json participants = nlohmann::json::array();
  for (const auto& participant : snapshot.participants) {
    nlohmann::json tracks = nlohmann::json::array();
    for (const auto& track : participant.tracks)
      tracks.push_back({{"id", track.id},
                        {"kind", sdp::to_string(track.kind)},
                        {"packets", track.packets},
                        {"bytes", track.bytes},
                        {"subscribers", track.subscribers},
                        {"layer_bps", track.layer_bps}});
    nlohmann::json data_tracks = nlohmann::json::array();
    for (const auto& track : participant.data_tracks) {
      nlohmann::json entry = {{"stream", track.stream},
                              {"label", track.label},
                              {"protocol", track.protocol},
                              {"ordered", track.ordered},
                              {"reliability", track.reliability},
                              {"messages", track.messages},
                              {"bytes", track.bytes},
                              {"subscribers", track.subscribers}};
      if (track.reliability == "max_retransmits") entry["max_retransmits"] = track.reliability_value;
      if (track.reliability == "max_packet_life_time")
        entry["max_packet_life_time_ms"] = track.reliability_value;
      data_tracks.push_back(std::move(entry));
    }
    nlohmann::json subscriptions = nlohmann::json::array();
    for (const auto& subscription : participant.subscriptions)
      subscriptions.push_back(subscription_json(subscription));
    nlohmann::json entry = {{"id", participant.id},         {"name", participant.name},
                            {"worker", participant.worker}, {"tracks", tracks},
                            {"data_tracks", data_tracks},   {"subscriptions", subscriptions}};
    if (participant.bandwidth) entry["bandwidth"] = bandwidth_json(*participant.bandwidth);
    participants.push_back(std::move(entry));
  }
  return {{"name", room.name},
          {"participants", participants},
          {"worker", room.worker},
          {"workers", std::vector<uint32_t>(room.workers.begin(), room.workers.end())},
          {"created_at", room.created_at},
          {"max_participants", room.max_participants}};
}

}  // namespace sfu::protocol
