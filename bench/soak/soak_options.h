// sfu-soak's command line: `soak`, `fault` and the internal `vanish-child`.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "bench/soak/fault_run.h"
#include "bench/soak/soak_run.h"
#include "bench/soak/vanish_child.h"

namespace sfu::soak {

struct SoakCommand {
  enum class Mode { kHelp, kSoak, kFault, kVanishChild };
  Mode mode = Mode::kHelp;
  SoakOptions soak;
  FaultOptions fault;
  VanishChildOptions child;
};

std::variant<SoakCommand, std::string> parse_soak_command(const std::vector<std::string>& args);
const char* soak_usage();

}  // namespace sfu::soak
