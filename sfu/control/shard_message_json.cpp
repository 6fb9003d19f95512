#include "sfu/control/shard_message_json.h"

#include <limits>
#include <stdexcept>

namespace sfu {
namespace {

using json = nlohmann::json;

// Thrown inside from_json only, caught at its boundary.
struct Malformed : std::runtime_error {
  Malformed() : std::runtime_error("malformed shard message") {}
};

const json& field(const json& object, const char* key) {
  if (!object.is_object()) throw Malformed();
  auto it = object.find(key);
  if (it == object.end()) throw Malformed();
  return *it;
}

template <typename T>
T unsigned_field(const json& object, const char* key) {
  const json& value = field(object, key);
  if (!value.is_number_unsigned() || value.get<uint64_t>() > std::numeric_limits<T>::max()) throw Malformed();
  return static_cast<T>(value.get<uint64_t>());
}

std::string string_field(const json& object, const char* key) {
  const json& value = field(object, key);
  if (!value.is_string()) throw Malformed();
  return value.get<std::string>();
}

bool bool_field(const json& object, const char* key) {
  const json& value = field(object, key);
  if (!value.is_boolean()) throw Malformed();
  return value.get<bool>();
}

const json& array_field(const json& object, const char* key) {
  const json& value = field(object, key);
  if (!value.is_array()) throw Malformed();
  return value;
}

json ref_json(CrossWorkerTrackRef ref) {
  return {{"export_id", ref.export_id}, {"generation", ref.generation}};
}
CrossWorkerTrackRef ref_of(const json& j) {
  return {unsigned_field<uint32_t>(j, "export_id"), unsigned_field<uint32_t>(j, "generation")};
}

json spec_json(const PublishedTrackSpec& spec) {
  json layers = json::array();
  for (const LayerSpec& layer : spec.layers)
    layers.push_back({{"rid", layer.rid}, {"ssrc", layer.ssrc}, {"rtx_ssrc", layer.rtx_ssrc}});
  json codecs = json::array();
  for (const sdp::Codec& codec : spec.codecs) {
    json fmtp = json::array();
    for (const sdp::FmtpParam& param : codec.fmtp)
      fmtp.push_back({{"key", param.key}, {"value", param.value}});
    json feedback = json::array();
    for (const sdp::RtcpFeedback& fb : codec.rtcp_fb)
      feedback.push_back({{"type", fb.type}, {"parameter", fb.parameter}});
    codecs.push_back({{"payload_type", codec.payload_type},
                      {"name", codec.name},
                      {"clock_rate", codec.clock_rate},
                      {"channels", codec.channels},
                      {"fmtp", fmtp},
                      {"fmtp_raw", codec.fmtp_raw},
                      {"rtcp_fb", feedback}});
  }
  json rtx = json::array();  // [media pt, rtx pt] pairs: only those set
  for (size_t pt = 0; pt < spec.rtx_payload_type.size(); ++pt)
    if (spec.rtx_payload_type[pt] != 0) rtx.push_back({pt, spec.rtx_payload_type[pt]});
  const ExtensionIds& e = spec.extensions;
  return {{"id", spec.id},
          {"mid", spec.mid},
          {"kind", static_cast<uint8_t>(spec.kind)},
          {"ssrc", spec.ssrc},
          {"rtx_ssrc", spec.rtx_ssrc},
          {"rid", spec.rid},
          {"layers", layers},
          {"codecs", codecs},
          {"rtx_payload_types", rtx},
          {"red_payload_type", spec.red_payload_type},
          {"red_primary_payload_type", spec.red_primary_payload_type},
          {"extensions",
           {e.mid, e.rid, e.repaired_rid, e.abs_send_time, e.audio_level, e.transport_cc,
            e.dependency_descriptor}}};
}

PublishedTrackSpec spec_of(const json& j) {
  PublishedTrackSpec spec;
  spec.id = string_field(j, "id");
  spec.mid = string_field(j, "mid");
  auto kind = unsigned_field<uint8_t>(j, "kind");
  if (kind > static_cast<uint8_t>(sdp::MediaKind::kOther)) throw Malformed();
  spec.kind = static_cast<sdp::MediaKind>(kind);
  spec.ssrc = unsigned_field<uint32_t>(j, "ssrc");
  spec.rtx_ssrc = unsigned_field<uint32_t>(j, "rtx_ssrc");
  spec.rid = string_field(j, "rid");
  for (const json& layer : array_field(j, "layers"))
    spec.layers.push_back({string_field(layer, "rid"), unsigned_field<uint32_t>(layer, "ssrc"),
                           unsigned_field<uint32_t>(layer, "rtx_ssrc")});
  for (const json& c : array_field(j, "codecs")) {
    sdp::Codec codec;
    codec.payload_type = unsigned_field<uint8_t>(c, "payload_type");
    codec.name = string_field(c, "name");
    codec.clock_rate = unsigned_field<uint32_t>(c, "clock_rate");
    codec.channels = unsigned_field<uint8_t>(c, "channels");
    for (const json& param : array_field(c, "fmtp"))
      codec.fmtp.push_back({string_field(param, "key"), string_field(param, "value")});
    codec.fmtp_raw = string_field(c, "fmtp_raw");
    for (const json& fb : array_field(c, "rtcp_fb"))
      codec.rtcp_fb.push_back({string_field(fb, "type"), string_field(fb, "parameter")});
    spec.codecs.push_back(std::move(codec));
  }
  for (const json& pair : array_field(j, "rtx_payload_types")) {
    if (!pair.is_array() || pair.size() != 2 || !pair[0].is_number_unsigned() ||
        !pair[1].is_number_unsigned() || pair[0].get<uint64_t>() >= spec.rtx_payload_type.size() ||
        pair[1].get<uint64_t>() > 255)
      throw Malformed();
    spec.rtx_payload_type[pair[0].get<size_t>()] = pair[1].get<uint8_t>();
  }
  spec.red_payload_type = unsigned_field<uint8_t>(j, "red_payload_type");
  spec.red_primary_payload_type = unsigned_field<uint8_t>(j, "red_primary_payload_type");
  const json& ids = array_field(j, "extensions");
  if (ids.size() != 7) throw Malformed();
  std::array<uint8_t, 7> e{};
  for (size_t i = 0; i < e.size(); ++i) {
    if (!ids[i].is_number_unsigned() || ids[i].get<uint64_t>() > 255) throw Malformed();
    e[i] = ids[i].get<uint8_t>();
  }
  spec.extensions = {e[0], e[1], e[2], e[3], e[4], e[5], e[6]};
  return spec;
}

json track_json(const ShardTrack& track) {
  return {{"spec", spec_json(track.spec)}, {"ref", ref_json(track.ref)}};
}
ShardTrack track_of(const json& j) { return {spec_of(field(j, "spec")), ref_of(field(j, "ref"))}; }

json payload_json(const ShardPayload& payload) {
  return std::visit(
      [](const auto& p) -> json {
        using T = std::decay_t<decltype(p)>;
        if constexpr (std::is_same_v<T, ShardState>) {
          json members = json::array();
          for (const ShardMember& member : p.members) {
            json tracks = json::array();
            for (const ShardTrack& track : member.tracks) tracks.push_back(track_json(track));
            members.push_back({{"id", member.id}, {"name", member.name}, {"tracks", tracks}});
          }
          return {{"type", "state"}, {"members", members}, {"wants_media", p.wants_media}};
        } else if constexpr (std::is_same_v<T, ShardJoined>) {
          return {{"type", "joined"}, {"id", p.id}, {"name", p.name}};
        } else if constexpr (std::is_same_v<T, ShardLeft>) {
          return {{"type", "left"}, {"id", p.id}, {"reason", p.reason}};
        } else if constexpr (std::is_same_v<T, ShardTrackPublished>) {
          return {{"type", "track_published"},
                  {"participant_id", p.participant_id},
                  {"track", track_json(p.track)}};
        } else if constexpr (std::is_same_v<T, ShardTrackUnpublished>) {
          return {
              {"type", "track_unpublished"}, {"participant_id", p.participant_id}, {"ref", ref_json(p.ref)}};
        } else {
          return {{"type", "demand"}, {"wants_media", p.wants_media}};
        }
      },
      payload);
}

ShardPayload payload_of(const json& j) {
  std::string type = string_field(j, "type");
  if (type == "state") {
    ShardState state;
    for (const json& m : array_field(j, "members")) {
      ShardMember member{string_field(m, "id"), string_field(m, "name"), {}};
      for (const json& t : array_field(m, "tracks")) member.tracks.push_back(track_of(t));
      state.members.push_back(std::move(member));
    }
    state.wants_media = bool_field(j, "wants_media");
    return state;
  }
  if (type == "joined") return ShardJoined{string_field(j, "id"), string_field(j, "name")};
  if (type == "left") return ShardLeft{string_field(j, "id"), string_field(j, "reason")};
  if (type == "track_published")
    return ShardTrackPublished{string_field(j, "participant_id"), track_of(field(j, "track"))};
  if (type == "track_unpublished")
    return ShardTrackUnpublished{string_field(j, "participant_id"), ref_of(field(j, "ref"))};
  if (type == "demand") return ShardDemand{bool_field(j, "wants_media")};
  throw Malformed();
}

}  // namespace

json shard_message_to_json(const ShardMessage& message) {
  json j = {{"room", message.room},
            {"from_worker", message.from_worker},
            {"payload", payload_json(message.payload)}};
  if (message.to_worker) j["to_worker"] = *message.to_worker;
  return j;
}

std::optional<ShardMessage> shard_message_from_json(const json& j) {
  try {
    ShardMessage message;
    message.room = string_field(j, "room");
    message.from_worker = unsigned_field<uint32_t>(j, "from_worker");
    if (j.contains("to_worker")) message.to_worker = unsigned_field<uint32_t>(j, "to_worker");
    message.payload = payload_of(field(j, "payload"));
    return message;
  } catch (const std::exception&) {
    return std::nullopt;  // Malformed, or nlohmann's own type_error
  }
}

}  // namespace sfu
