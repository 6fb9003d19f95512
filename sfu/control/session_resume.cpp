// Session resume (docs/protocol.md, "Session resume"): a participant whose signaling WebSocket is
// lost stays in its room for signaling.resume_grace_s, its transports and media untouched (its
// worker does not even know), and a `resume` with its token on a new WebSocket takes it back. The
// control thread owns sessions, so all of it happens here; the worker only learns, by a task, that
// the participant's events now go to another session (Room::resume), and answers with the room's
// state as it is now, so nothing that happened meanwhile is missed.
#include <string>

#include "base/logger.h"
#include "sfu/control/control_plane.h"
#include "sfu/media/worker.h"

namespace sfu {
namespace {

// The close code of a session whose participant was resumed on another WebSocket (private-use
// range of RFC 6455 7.4.2). Its client must not reconnect: the participant lives on elsewhere.
constexpr uint16_t kResumedElsewhereCloseCode = 4001;

const std::string* string_field(const nlohmann::json& message, const char* key) {
  auto it = message.find(key);
  return it != message.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
}

}  // namespace

void ControlPlane::detach(const Session& session) {
  const std::string& participant_id = session.participant_id;
  resume_.detach(participant_id, uv_now(loop_));
  Session& parked = detached_[participant_id];
  parked = session;
  parked.client = nullptr;
  log_info("control", "signaling lost: participant waits for a resume",
           {{"room", session.room},
            {"participant", participant_id},
            {"grace_s", std::to_string(resume_.grace_ms() / 1000)}});
}

const ControlPlane::Session* ControlPlane::membership_of(const std::string& participant_id) const {
  if (auto parked = detached_.find(participant_id); parked != detached_.end()) return &parked->second;
  auto session_id = session_of_participant_.find(participant_id);
  if (session_id == session_of_participant_.end()) return nullptr;
  auto session = sessions_.find(session_id->second);
  if (session == sessions_.end() || session->second.participant_id != participant_id) return nullptr;
  return &session->second;
}

void ControlPlane::add_resume_token(uint64_t session_id, const Joined& joined, nlohmann::json& message) {
  if (!resume_.enabled()) return;
  auto session = sessions_.find(session_id);
  if (session == sessions_.end() || session->second.participant_id != joined.participant_id) return;
  std::string token = resume_.issue(joined.participant_id);
  if (!token.empty()) message["resume_token"] = std::move(token);
}

void ControlPlane::count_resume(ResumeRegistry::Check result) {
  switch (result) {
    case ResumeRegistry::Check::ok:
      ++resume_counts_.ok;
      break;
    case ResumeRegistry::Check::bad_token:
      ++resume_counts_.bad_token;
      break;
    case ResumeRegistry::Check::expired:
      ++resume_counts_.expired;
      break;
  }
}

void ControlPlane::handle_resume(ClientConnection& ws, Session& session, const nlohmann::json& message) {
  if (!session.participant_id.empty())
    return send_error(ws, {ErrorCode::already_joined, "this connection is in a room already"}, "resume");
  const std::string* room = string_field(message, "room");
  const std::string* participant_id = string_field(message, "participant_id");
  const std::string* token = string_field(message, "resume_token");
  if (!room || !participant_id || !token)
    return send_error(ws,
                      {ErrorCode::bad_request, "'room', 'participant_id' and 'resume_token' must be strings"},
                      "resume");
  if (!resume_.enabled())
    return send_error(ws,
                      {ErrorCode::resume_failed,
                       "session resume is off on this server (signaling.resume_grace_s is 0); join again"},
                      "resume");
  const Session* owner = membership_of(*participant_id);
  ResumeRegistry::Check result = resume_.check(*participant_id, *token, uv_now(loop_));
  if (!owner || owner->room != *room) result = ResumeRegistry::Check::expired;
  if (result != ResumeRegistry::Check::ok) {
    count_resume(result);
    std::string why = result == ResumeRegistry::Check::bad_token
                          ? "the resume token is not valid for participant '" + *participant_id +
                                "' (forged, or already used)"
                          : "participant '" + *participant_id + "' of room '" + *room +
                                "' cannot be resumed: it left or was removed, or its resume grace of " +
                                std::to_string(resume_.grace_ms() / 1000) + " s ran out";
    return send_error(ws, {ErrorCode::resume_failed, why + "; join again"}, "resume");
  }
  // A kick holds against a resume as against a join (another participant of the same identity may
  // have been kicked while this one was away).
  if (uint64_t left_ms = kick_bans_.remaining_ms(*room, owner->identity, uv_now(loop_)); left_ms > 0) {
    ++resume_counts_.banned;
    return send_error(ws,
                      {ErrorCode::forbidden, "kicked from room '" + *room +
                                                 "' by an operator; this identity may join it again in " +
                                                 std::to_string((left_ms + 999) / 1000) + " s"},
                      "resume");
  }
  RoomEntry* entry = find_room(*room);
  if (!entry) return send_error(ws, {ErrorCode::not_found, "the room is gone"}, "resume");
  // The worker sends this session the room's state (`resumed`) and, if one was outstanding, a
  // fresh subscribe offer; later events follow in order.
  bool posted = post_request(worker_of(*entry, *participant_id),
                             [room_name = *room, id = *participant_id, session_id = session.id](Worker& w) {
                               if (Room* r = w.find_room(room_name)) r->resume(id, session_id);
                             });
  if (!posted) {
    ++resume_counts_.overloaded;
    return send_error(ws, {ErrorCode::overloaded, "the server is overloaded, try again"}, "resume");
  }
  Session taken = *owner;
  if (taken.client != nullptr) {
    // Its old WebSocket is somehow still open (a half-open TCP connection the server has not
    // noticed yet): the new one wins, and the old one is told to go away for good.
    auto old = sessions_.find(taken.id);
    if (old != sessions_.end()) old->second.clear_membership();
    taken.client->close(kResumedElsewhereCloseCode, "resumed on another connection");
  } else {
    detached_.erase(*participant_id);
  }
  resume_.attach(*participant_id);
  session.room = taken.room;
  session.participant_id = taken.participant_id;
  session.identity = taken.identity;
  session_of_participant_[session.participant_id] = session.id;
  ++resume_counts_.ok;
  log_info("control", "participant resumed",
           {{"room", session.room}, {"participant", session.participant_id}});
}

void ControlPlane::expire_detached(uint64_t now_ms) {
  for (const std::string& participant_id : resume_.take_expired(now_ms)) {
    auto parked = detached_.find(participant_id);
    if (parked == detached_.end()) {
      resume_.forget(participant_id);
      continue;
    }
    std::string room = parked->second.room;
    ++resume_counts_.grace_expired;
    log_info("control", "resume grace expired: participant leaves",
             {{"room", room}, {"participant", participant_id}});
    remove_participant_everywhere(room, participant_id, "resume grace expired");
    session_of_participant_.erase(participant_id);
    forget_resume(participant_id);
  }
}

void ControlPlane::forget_resume(const std::string& participant_id) {
  resume_.forget(participant_id);
  detached_.erase(participant_id);
}

}  // namespace sfu
