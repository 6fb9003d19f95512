// Every message of the signaling protocol (docs/protocol.md) and every REST body the control plane
// sends, built in this one place: room events from the workers, errors (signaling and REST),
// room_closed / kicked / pong, and the REST room listings and snapshots. Pure functions of their
// arguments, called on the control thread; they allocate only the JSON they return.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"
#include "sfu/control/turn_credentials.h"
#include "sfu/media/room_events.h"

namespace sfu::protocol {

// The text of a message as it goes on the wire. Invalid UTF-8 in a string (from input that
// reached a message unchecked) is replaced with U+FFFD instead of throwing: sending must not fail.
std::string to_text(const nlohmann::json& message);

// A worker's event as the signaling message for its session.
nlohmann::json event_message(const RoomEvent& event);

// `joined`'s `ice_servers` (docs/protocol.md, 2.6 "TURN relays"): one RTCIceServer dictionary,
// [{"urls":[...],"username","credential"}], for the turn.urls that share one coturn secret.
nlohmann::json ice_servers_json(const std::vector<std::string>& urls, const TurnCredential& credential);

// {"type":"error","code","message"[,"request_type"]}; request_type is left out when empty.
nlohmann::json error_message(const Error& error, std::string_view request_type = {});
// The last message of a session closed by the server, with its reason.
nlohmann::json room_closed_message();
nlohmann::json kicked_message();
// Cluster mode: join again on the node whose signaling WebSocket is `url` (reason: room_home, drain).
nlohmann::json redirect_message(const std::string& url, const std::string& node, const std::string& reason);
std::string pong_text();

// REST: {"error":{"code","message"}} and the HTTP status that goes with the code.
nlohmann::json rest_error_body(const Error& error);
int http_status_of(ErrorCode code);

// REST: one room of the directory (GET/POST /v1/rooms) and its detail with the worker's snapshot.
struct RoomDirectoryEntry {
  std::string_view name;
  size_t participants = 0;
  uint32_t worker = 0;
  int64_t created_at = 0;
  uint32_t max_participants = 0;
  // The workers with a shard of the room (rooms across workers); empty before the first join.
  std::span<const uint32_t> workers;
};
nlohmann::json room_summary(const RoomDirectoryEntry& room);
nlohmann::json room_detail(const RoomDirectoryEntry& room, const RoomSnapshot& snapshot);

}  // namespace sfu::protocol
