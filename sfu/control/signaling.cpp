// The signaling WebSocket (/v1/rtc) of the control plane: validates every message, keeps the
// rooms directory, and hands room work to the room's worker. See docs/protocol.md.
#include <algorithm>
#include <chrono>
#include <exception>

#include "base/logger.h"
#include "base/random.h"
#include "sfu/control/control_plane.h"
#include "sfu/control/jwt.h"
#include "sfu/control/protocol_messages.h"
#include "sfu/control/track_settings_message.h"
#include "sfu/control/turn_credentials.h"
#include "sfu/media/subscription_slots.h"
#include "sfu/media/worker.h"
#include "sfu/sdp/sdp.h"
#include "sfu/sdp/sdp_negotiation.h"

namespace sfu {
namespace {

// After this many bad messages in a row of one session, the server closes it (docs/protocol.md:
// "a client that keeps sending garbage is closed").
constexpr uint32_t kMaxBadMessages = 10;
constexpr size_t kMaxNameLength = 64;

std::string new_participant_id() { return "p" + random_string(12, kIdCharacters); }

const std::string* string_field(const nlohmann::json& message, const char* key) {
  auto it = message.find(key);
  return it != message.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
}

// A string claim of a verified token: nullptr when absent, unauthorized when of another type (a
// signed token can still carry a number or an object where a name belongs).
Result<const std::string*> string_claim(const nlohmann::json& claims, const char* key) {
  auto it = claims.find(key);
  if (it == claims.end()) return static_cast<const std::string*>(nullptr);
  if (!it->is_string())
    return Error{ErrorCode::unauthorized, std::string("token claim '") + key + "' must be a string"};
  return it->get_ptr<const std::string*>();
}

}  // namespace

void ControlPlane::on_ws_open(ClientConnection& ws) {
  sessions_[ws.id()] = Session{.id = ws.id(), .client = &ws};
}

void ControlPlane::on_ws_close(ClientConnection& ws) {
  auto it = sessions_.find(ws.id());
  if (it == sessions_.end()) return;
  // A lost connection (not a goodbye, a kick or a deleted room: those cleared the membership or
  // closed with 1000/1001) keeps its participant for a resume; while stopping, everyone leaves.
  if (ws.lost() && resume_.enabled() && !stopping_ && !it->second.participant_id.empty())
    detach(it->second);
  else
    handle_leave(it->second, "signaling connection closed");
  sessions_.erase(it);
}

void ControlPlane::send_error(ClientConnection& ws, const Error& error, std::string_view request_type) {
  ws.send_text(protocol::to_text(protocol::error_message(error, request_type)));
}

void ControlPlane::count_bad_message(ClientConnection& ws, Session& session) {
  if (++session.bad_messages >= kMaxBadMessages) {
    send_error(ws, {ErrorCode::too_many_errors,
                    "closing after " + std::to_string(kMaxBadMessages) + " bad messages"});
    ws.close(1008, "too many bad messages");
  }
}

void ControlPlane::on_ws_protocol_error(ClientConnection& ws, std::string_view reason) {
  auto it = sessions_.find(ws.id());
  if (it == sessions_.end()) return;
  send_error(ws, {reason.find("binary") != std::string_view::npos ? ErrorCode::bad_request
                                                                  : ErrorCode::message_too_large,
                  std::string(reason)});
  count_bad_message(ws, it->second);
}

void ControlPlane::guarded_ws_message(ClientConnection& ws, std::string_view text) {
  try {
    on_ws_message(ws, text);
  } catch (const std::exception& e) {
    ++signaling_errors_;
    log_error("control", "signaling handler threw", {{"what", e.what()}});
    send_error(ws, {ErrorCode::internal_error, "the server failed to handle this message"});
  }
}

void ControlPlane::on_ws_message(ClientConnection& ws, std::string_view text) {
  auto it = sessions_.find(ws.id());
  if (it == sessions_.end()) return;
  Session& session = it->second;
  nlohmann::json message = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (message.is_discarded() || !message.is_object()) {
    send_error(ws, {ErrorCode::bad_request, "messages must be JSON objects"});
    return count_bad_message(ws, session);
  }
  const std::string* type = string_field(message, "type");
  if (!type) {
    send_error(ws, {ErrorCode::bad_request, "missing string field 'type'"});
    return count_bad_message(ws, session);
  }
  if (*type == "ping") {
    ws.send_text(protocol::pong_text());
  } else if (*type == "join") {
    handle_join(ws, session, message);
  } else if (*type == "resume") {
    handle_resume(ws, session, message);
  } else if (*type == "publish" || *type == "subscribe_answer") {
    handle_sdp(ws, session, message, *type == "publish");
  } else if (*type == "restart_ice") {
    handle_restart_ice(ws, session, message);
  } else if (*type == "track_settings") {
    handle_track_settings(ws, session, message);
  } else if (*type == "candidate") {
    // Optional trickle: the server is ICE-lite and learns the peer's address from its checks.
    if (session.participant_id.empty()) send_error(ws, {ErrorCode::not_joined, "join a room first"}, *type);
  } else if (*type == "leave") {
    if (session.participant_id.empty()) {
      send_error(ws, {ErrorCode::not_joined, "join a room first"}, *type);
      return;
    }
    handle_leave(session, "left");
  } else {
    send_error(ws, {ErrorCode::bad_request, "unknown message type '" + *type + "'"}, *type);
    return count_bad_message(ws, session);
  }
  session.bad_messages = 0;
}

Result<ControlPlane::JoinIdentity> ControlPlane::join_identity(const nlohmann::json& message,
                                                               const std::string& room_name) {
  const std::string* name = string_field(message, "name");
  JoinIdentity who{name ? *name : std::string(), {}};
  if (!config_.auth.enabled) return who;
  const std::string* token = string_field(message, "token");
  if (!token) return Error{ErrorCode::unauthorized, "a token is required"};
  auto verified = verify_token(*token);
  if (!verified) return verified.error();
  const nlohmann::json& claims = verified.value();
  auto room_claim = string_claim(claims, "room");
  auto name_claim = string_claim(claims, "name");
  auto sub_claim = string_claim(claims, "sub");
  for (const auto* claim : {&room_claim, &name_claim, &sub_claim})
    if (!*claim) return claim->error();
  if (!*room_claim || **room_claim != room_name)
    return Error{ErrorCode::unauthorized, "the token is for another room"};
  // The token names the participant: the client's `name` cannot override it.
  const std::string* claimed = *name_claim ? *name_claim : *sub_claim;
  if (claimed && !claimed->empty()) who.display_name = *claimed;
  const std::string* sub = *sub_claim;
  who.identity = sub && !sub->empty() ? "sub:" + *sub : "token:" + token->substr(token->rfind('.') + 1);
  if (Status allowed = check_kick_ban(room_name, who.identity); !allowed) return allowed.error();
  return who;
}

Status ControlPlane::check_kick_ban(const std::string& room_name, const std::string& identity) {
  uint64_t left_ms = kick_bans_.remaining_ms(room_name, identity, uv_now(loop_));
  if (left_ms == 0) return {};
  ++join_refusals_.banned;
  return Error{ErrorCode::forbidden, "kicked from room '" + room_name +
                                         "' by an operator; this identity may join it again in " +
                                         std::to_string((left_ms + 999) / 1000) + " s"};
}

void ControlPlane::handle_join(ClientConnection& ws, Session& session, const nlohmann::json& message,
                               bool routed) {
  const std::string* room_name = string_field(message, "room");
  if (!session.participant_id.empty())
    return send_error(ws, {ErrorCode::already_joined, "this connection is in a room already"}, "join");
  if (!room_name || !valid_room_name(*room_name))
    return send_error(ws, {ErrorCode::bad_request, "'room' must be 1-64 characters of [A-Za-z0-9_-]"},
                      "join");
  auto who = join_identity(message, *room_name);
  if (!who) return send_error(ws, who.error(), "join");
  const std::string& display_name = who->display_name;
  if (display_name.empty() || display_name.size() > kMaxNameLength)
    return send_error(ws, {ErrorCode::bad_request, "'name' must be 1-64 characters"}, "join");
  if (auto stay = message.find("stay"); stay != message.end() && !stay->is_boolean())
    return send_error(ws, {ErrorCode::bad_request, "'stay' must be a boolean"}, "join");
  // Cluster mode: the room may be homed on another node (redirect), or need a home first.
  if (!routed && route_join(ws, session, message, *room_name)) return;

  bool new_room = false;
  auto room_or_refusal = room_for_join(*room_name, new_room);
  if (!room_or_refusal) return send_error(ws, room_or_refusal.error(), "join");
  RoomEntry* room = *room_or_refusal;
  const size_t join_events = room->participants.size() + 1;
  if (!join_events_fit(join_events)) {
    ++join_refusals_.overloaded;
    if (new_room) forget_room(*room_name);
    return send_error(ws, {ErrorCode::overloaded, "the server is overloaded, try again"}, "join");
  }

  std::string participant_id = new_participant_id();
  // Placed by load on one of the room's workers, or on a new one (room_placement.h); the worker's
  // shard of the room reports through its sink.
  uint32_t worker = place_new_participant(*room);
  WorkerEventSink* sink = from_worker_[worker].get();
  RoomLimits limits{room->max_participants, config_.limits.tracks_per_participant};
  bool posted = post_request(worker, [this, sink, limits, room_copy = *room_name, participant_id, join_events,
                                      name = display_name, session_id = session.id](Worker& w) {
    Room& r = w.create_room(room_copy, *sink, limits);
    if (!r.join(participant_id, name, session_id))
      sink->participant_removed(room_copy, participant_id, session_id,
                                {ErrorCode::connection_lost, "media connection lost: join refused"});
    sink->after_events([this, join_events] { release_join_events(join_events); });
  });
  if (!posted) {
    ++join_refusals_.overloaded;
    // Nothing changed: a room this join created is forgotten again (with the shard it opened).
    if (new_room) forget_room(*room_name);
    return send_error(ws, {ErrorCode::overloaded, "the server is overloaded, try again"}, "join");
  }
  join_events_in_flight_ += join_events;
  room->participants[participant_id] = display_name;
  place(*room, participant_id, worker);
  update_room_expiry(*room);
  session.room = *room_name;
  session.participant_id = participant_id;
  session.identity = who->identity;
  session_of_participant_[participant_id] = session.id;
  log_info("control", "participant joined",
           {{"room", *room_name}, {"participant", participant_id}, {"worker", std::to_string(worker)}});
}

bool ControlPlane::join_events_fit(size_t events) const {
  // Messages waiting in either direction: a join now would only add to them (its shard and, once
  // refused, the shard's removal would wait for a worker that is already behind).
  for (const auto& sink : from_worker_)
    if (sink->poster().has_waiting()) return false;
  for (const auto& poster : to_worker_)
    if (poster->has_waiting()) return false;
  // One join is always let through when none is in flight, so a room larger than the budget still
  // fills (one join at a time).
  return join_events_in_flight_ == 0 || join_events_in_flight_ + events <= join_event_budget_;
}

void ControlPlane::release_join_events(size_t events) {
  join_events_in_flight_ -= std::min(events, join_events_in_flight_);
}

Result<ControlPlane::RoomEntry*> ControlPlane::room_for_join(const std::string& name, bool& created) {
  if (participant_count() >= config_.limits.participants) {
    ++join_refusals_.server_full;
    return Error{ErrorCode::server_full, "the server has reached its participant limit"};
  }
  RoomEntry* room = find_room(name);
  if (!room) {
    if (rooms_.size() >= config_.limits.rooms) {
      ++join_refusals_.too_many_rooms;
      return Error{ErrorCode::too_many_rooms, "the server has reached its room limit"};
    }
    room = &add_room(name, config_.limits.participants_per_room, /*created_by_join=*/true);
    created = true;
  }
  if (room->participants.size() >= room->max_participants) {
    ++join_refusals_.room_full;
    if (created) forget_room(name);  // cannot happen (max_participants >= 1); kept consistent anyway
    return Error{ErrorCode::room_full, "room '" + name + "' is full"};
  }
  return room;
}

void ControlPlane::handle_sdp(ClientConnection& ws, Session& session, const nlohmann::json& message,
                              bool is_publish) {
  const char* type = is_publish ? "publish" : "subscribe_answer";
  if (session.participant_id.empty())
    return send_error(ws, {ErrorCode::not_joined, "join a room first"}, type);
  const std::string* text = string_field(message, "sdp");
  if (!text) return send_error(ws, {ErrorCode::bad_request, "missing string field 'sdp'"}, type);
  // Parsed here, on the control thread, so a malformed offer never costs the worker anything.
  // A subscribe answer has an m-section per track the participant receives: its caps follow the
  // largest offer a room of this server makes (the worker then checks it against the real one).
  auto parsed = sdp::parse_sdp(
      *text, is_publish ? sdp::ParseOptions{}
                        : sdp::subscribe_answer_parse_options(
                              max_subscribe_media_sections(config_.limits.participants_per_room,
                                                           config_.limits.tracks_per_participant),
                              config_.limits.message_bytes));
  if (auto* error = std::get_if<sdp::SdpError>(&parsed))
    return send_error(ws, sdp::to_error(*error, "SDP rejected"), type);
  RoomEntry* room = find_room(session.room);
  if (!room) return send_error(ws, {ErrorCode::not_found, "the room is gone"}, type);
  auto description =
      std::make_shared<sdp::SessionDescription>(std::move(std::get<sdp::SessionDescription>(parsed)));
  std::string room_name = session.room, participant_id = session.participant_id;
  if (!post_request(worker_of(*room, participant_id),
                    [room_name, participant_id, description, is_publish](Worker& w) {
                      Room* r = w.find_room(room_name);
                      if (!r) return;
                      if (is_publish)
                        r->publish(participant_id, *description);
                      else
                        r->subscribe_answer(participant_id, *description);
                    }))
    send_error(ws, {ErrorCode::overloaded, "the server is overloaded, try again"}, type);
}

nlohmann::json ControlPlane::ice_servers_for(const std::string& participant_id) {
  const int64_t now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  ++turn_credentials_issued_;
  return protocol::ice_servers_json(
      config_.turn.urls, make_turn_credential(config_.turn.secret, participant_id, now + config_.turn.ttl_s));
}

void ControlPlane::handle_restart_ice(ClientConnection& ws, Session& session, const nlohmann::json& message) {
  if (session.participant_id.empty())
    return send_error(ws, {ErrorCode::not_joined, "join a room first"}, "restart_ice");
  // Only the subscribe connection, where the server offers: on the publish connection the client
  // is the offerer and restarts by itself (pc.restartIce() and a new publish offer).
  auto connection = message.find("connection");
  if (connection != message.end() && !(connection->is_string() && *connection == "subscribe"))
    return send_error(ws,
                      {ErrorCode::bad_request,
                       "'connection' must be \"subscribe\"; restart the publish connection with "
                       "pc.restartIce() and a new publish offer"},
                      "restart_ice");
  RoomEntry* room = find_room(session.room);
  if (!room) return send_error(ws, {ErrorCode::not_found, "the room is gone"}, "restart_ice");
  if (!post_request(worker_of(*room, session.participant_id),
                    [room_name = session.room, participant_id = session.participant_id](Worker& w) {
                      if (Room* r = w.find_room(room_name)) r->restart_subscribe_ice(participant_id);
                    }))
    send_error(ws, {ErrorCode::overloaded, "the server is overloaded, try again"}, "restart_ice");
}

void ControlPlane::handle_track_settings(ClientConnection& ws, Session& session,
                                         const nlohmann::json& message) {
  if (session.participant_id.empty())
    return send_error(ws, {ErrorCode::not_joined, "join a room first"}, "track_settings");
  auto request = parse_track_settings(message);
  if (!request) return send_error(ws, request.error(), "track_settings");
  RoomEntry* room = find_room(session.room);
  if (!room) return send_error(ws, {ErrorCode::not_found, "the room is gone"}, "track_settings");
  // The subscriber's down-tracks are on its own worker (a proxy there stands for a publisher on another).
  if (!post_request(worker_of(*room, session.participant_id), [room_name = session.room,
                                                               subscriber = session.participant_id,
                                                               request = std::move(*request)](Worker& w) {
        if (Room* r = w.find_room(room_name))
          r->set_track_preferences(subscriber, request.participant_id, request.track_id, request.preferences);
      }))
    send_error(ws, {ErrorCode::overloaded, "the server is overloaded, try again"}, "track_settings");
}

void ControlPlane::handle_leave(Session& session, const std::string& reason) {
  if (session.participant_id.empty()) return;
  remove_participant_everywhere(session.room, session.participant_id, reason);
  log_info("control", "participant left",
           {{"room", session.room}, {"participant", session.participant_id}, {"reason", reason}});
  session.clear_membership();
}

}  // namespace sfu
