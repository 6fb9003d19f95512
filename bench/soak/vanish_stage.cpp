#include "bench/soak/vanish_stage.h"

namespace sfu::soak {

const char* to_string(VanishStage stage) {
  switch (stage) {
    case VanishStage::kJoined:
      return "joined";
    case VanishStage::kOffered:
      return "offered";
    case VanishStage::kIce:
      return "ice";
    case VanishStage::kRacing:
      return "racing";
  }
  return "?";
}

const char* to_string(VanishAction action) { return action == VanishAction::kKill ? "kill -9" : "freeze"; }

std::optional<VanishStage> parse_vanish_stage(std::string_view text) {
  for (VanishStage stage : kVanishStages)
    if (text == to_string(stage)) return stage;
  return std::nullopt;
}

}  // namespace sfu::soak
