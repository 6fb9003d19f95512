// sfu: first stage — command line and configuration only; the server follows.
#include <cstdio>
#include <string>
#include <variant>

#include "config/config.h"
#include "sfu/logger.h"

int main(int argc, char** argv) {
  std::string config_path;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help") {
      std::puts("Usage: sfu [--config FILE] [--print-default-config] [--help]");
      return 0;
    }
    if (arg == "--print-default-config") {
      auto text = sfu::config::default_config_yaml();
      std::fwrite(text.data(), 1, text.size(), stdout);
      return 0;
    }
    if (arg == "--config" && i + 1 < argc) {
      config_path = argv[++i];
      continue;
    }
    std::fprintf(stderr, "sfu: unknown argument '%s'\n", arg.c_str());
    return 2;
  }
  auto loaded = config_path.empty() ? sfu::config::ConfigResult(sfu::config::default_config())
                                    : sfu::config::load_config_file(config_path);
  if (auto* error = std::get_if<sfu::config::ConfigError>(&loaded)) {
    std::fprintf(stderr, "sfu: configuration error: %s\n", error->to_string().c_str());
    return 2;
  }
  sfu::log_info("main", "configuration valid; media server not built yet");
  return 0;
}
