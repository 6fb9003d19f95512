#include "bench/janus_api.h"

namespace sfu::bench::janus {

nlohmann::json create_session(const std::string& transaction) {
  return {{"janus", "create"}, {"transaction", transaction}};
}

nlohmann::json attach(const std::string& transaction, const std::string& plugin) {
  return {{"janus", "attach"}, {"plugin", plugin}, {"transaction", transaction}};
}

nlohmann::json message(const std::string& transaction, const nlohmann::json& body,
                       const std::string& jsep_type, const std::string& jsep_sdp) {
  nlohmann::json out = {{"janus", "message"}, {"transaction", transaction}, {"body", body}};
  if (!jsep_type.empty()) out["jsep"] = {{"type", jsep_type}, {"sdp", jsep_sdp}};
  return out;
}

nlohmann::json create_room_body(uint64_t room, uint32_t publishers) {
  // bitrate: far above what the bench sends, so Janus's REMB never asks a publisher to slow down
  // (the synthetic source ignores it anyway, but Janus would also cap forwarding with it).
  return {{"request", "create"},
          {"room", room},
          {"publishers", publishers},
          {"audiocodec", "opus"},
          {"videocodec", "vp8"},
          {"bitrate", 100'000'000},
          {"fir_freq", 0},
          {"notify_joining", false},
          {"is_private", false}};
}

nlohmann::json publisher_join_body(uint64_t room, uint64_t feed_id, const std::string& display) {
  return {{"request", "joinandconfigure"},
          {"room", room},
          {"ptype", "publisher"},
          {"id", feed_id},
          {"display", display},
          {"audio", true},
          {"video", true}};
}

nlohmann::json subscriber_join_body(uint64_t room, const std::vector<uint64_t>& feeds) {
  nlohmann::json streams = nlohmann::json::array();
  for (uint64_t feed : feeds) streams.push_back({{"feed", feed}});
  return {{"request", "join"}, {"room", room}, {"ptype", "subscriber"}, {"streams", streams}};
}

nlohmann::json start_body() { return {{"request", "start"}}; }

// NOLINTNEXTLINE(readability-function-cognitive-complexity): one optional field of the Janus reply per branch.
std::optional<Reply> read_reply(const nlohmann::json& message) {
  if (!message.is_object() || !message.contains("janus") || !message["janus"].is_string())
    return std::nullopt;
  Reply reply;
  reply.janus = message["janus"].get<std::string>();
  if (auto it = message.find("transaction"); it != message.end() && it->is_string()) reply.transaction = *it;
  if (auto it = message.find("sender"); it != message.end() && it->is_number_unsigned()) reply.sender = *it;
  if (auto it = message.find("error"); it != message.end() && it->is_object()) {
    reply.error = it->value("reason", std::string("error"));
    if (auto code = it->find("code"); code != it->end() && code->is_number())
      reply.error += " (" + code->dump() + ")";
  }
  if (auto it = message.find("data"); it != message.end() && it->is_object()) {
    if (auto id = it->find("id"); id != it->end() && id->is_number_unsigned()) reply.id = *id;
  }
  if (auto it = message.find("plugindata"); it != message.end() && it->is_object()) {
    if (auto data = it->find("data"); data != it->end()) {
      reply.plugin_data = *data;
      if (data->is_object() && data->contains("error")) {
        const auto& e = (*data)["error"];
        reply.error = e.is_string() ? e.get<std::string>() : e.dump();
        if (auto code = data->find("error_code"); code != data->end())
          reply.error += " (" + code->dump() + ")";
      }
    }
  }
  if (auto it = message.find("jsep"); it != message.end() && it->is_object()) {
    reply.jsep_type = it->value("type", std::string());
    reply.jsep_sdp = it->value("sdp", std::string());
  }
  return reply;
}

}  // namespace sfu::bench::janus
