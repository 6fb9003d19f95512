// The Janus HTTP API (https://janus.conf.meetecho.com/docs/rest.html) and the videoroom plugin's
// requests, as JSON builders and response readers. Pure: no I/O, so the unit tests cover them.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace sfu::bench::janus {

inline constexpr const char* kVideoRoomPlugin = "janus.plugin.videoroom";

nlohmann::json create_session(const std::string& transaction);
nlohmann::json attach(const std::string& transaction, const std::string& plugin = kVideoRoomPlugin);
// {"janus":"message","body":body[,"jsep":{"type":type,"sdp":sdp}]}
nlohmann::json message(const std::string& transaction, const nlohmann::json& body,
                       const std::string& jsep_type = {}, const std::string& jsep_sdp = {});

// videoroom bodies.
nlohmann::json create_room_body(uint64_t room, uint32_t publishers);
nlohmann::json publisher_join_body(uint64_t room, uint64_t feed_id, const std::string& display);
nlohmann::json subscriber_join_body(uint64_t room, const std::vector<uint64_t>& feeds);
nlohmann::json start_body();

// What a response or event says.
// NOLINTNEXTLINE(bugprone-exception-escape): false positive: the implicit members only move strings and a json, all noexcept.
struct Reply {
  std::string janus;    // "success", "ack", "event", "error", "keepalive", ...
  std::string error;    // a Janus error or a videoroom error, with its code
  uint64_t id = 0;      // data.id of a create/attach success
  uint64_t sender = 0;  // the handle an event comes from
  std::string transaction;
  nlohmann::json plugin_data;  // plugindata.data
  std::string jsep_type, jsep_sdp;
};
// Reads one response object; nullopt when it is not a Janus message at all.
std::optional<Reply> read_reply(const nlohmann::json& message);

// Feed ids and room ids the bench uses: deterministic so subscribers need no discovery.
inline uint64_t room_id(uint32_t room) { return 1000 + room; }
inline uint64_t feed_id(uint32_t publisher_index) { return publisher_index + 1; }

}  // namespace sfu::bench::janus
