#include "sfu/control/track_settings_message.h"

#include <optional>

#include "sfu/media/layer_selector.h"

namespace sfu {
namespace {

// The integer at `key` within [0, max]; nullopt when absent; an Error when present and not one.
Result<std::optional<int>> integer_field(const nlohmann::json& message, const char* key, int max) {
  auto it = message.find(key);
  if (it == message.end()) return std::optional<int>();
  if (!it->is_number_integer() || it->get<int64_t>() < 0 || it->get<int64_t>() > max)
    return Error{ErrorCode::bad_request,
                 std::string("'") + key + "' must be an integer 0-" + std::to_string(max)};
  return std::optional<int>(static_cast<int>(it->get<int64_t>()));
}

Result<std::string> id_field(const nlohmann::json& message, const char* key) {
  auto it = message.find(key);
  if (it == message.end() || !it->is_string() || it->get_ref<const std::string&>().empty())
    return Error{ErrorCode::bad_request, std::string("missing string field '") + key + "'"};
  return it->get<std::string>();
}

}  // namespace

Result<TrackSettingsRequest> parse_track_settings(const nlohmann::json& message) {
  TrackSettingsRequest request;
  auto participant = id_field(message, "participant_id");
  if (!participant) return participant.error();
  auto track = id_field(message, "track_id");
  if (!track) return track.error();
  request.participant_id = std::move(*participant);
  request.track_id = std::move(*track);
  auto layer = integer_field(message, "max_layer", LayerSelector::kMaxLayers - 1);
  if (!layer) return layer.error();
  auto width = integer_field(message, "max_width", kMaxTrackSettingsDimension);
  if (!width) return width.error();
  auto height = integer_field(message, "max_height", kMaxTrackSettingsDimension);
  if (!height) return height.error();
  auto temporal = integer_field(message, "max_temporal_layer", kMaxTemporalLayer);
  if (!temporal) return temporal.error();
  if (*temporal) request.preferences.max_temporal_layer = static_cast<uint8_t>(**temporal);
  if (*layer) request.preferences.max_layer = static_cast<uint8_t>(**layer);
  if (*width) request.preferences.max_width = static_cast<uint16_t>(**width);
  if (*height) request.preferences.max_height = static_cast<uint16_t>(**height);
  auto priority = integer_field(message, "priority", kMaxTrackPriority);
  if (!priority) return priority.error();
  if (*priority) request.preferences.priority = static_cast<uint8_t>(**priority);
  if (auto paused = message.find("paused"); paused != message.end()) {
    if (!paused->is_boolean()) return Error{ErrorCode::bad_request, "'paused' must be a boolean"};
    request.preferences.paused = paused->get<bool>();
  }
  const TrackPreferences& p = request.preferences;
  if (!p.max_layer && !p.max_width && !p.max_height && !p.paused && !p.max_temporal_layer && !p.priority)
    return Error{
        ErrorCode::bad_request,
        "track_settings needs max_layer, max_temporal_layer, max_width, max_height, paused or priority"};
  return request;
}

}  // namespace sfu
