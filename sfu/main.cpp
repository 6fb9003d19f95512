// sfu: a WebRTC selective forwarding unit. See README.md.
#include <cstdio>
#include <cstring>
#include <exception>
#include <string>
#include <variant>

#include "base/logger.h"
#include "config/config.h"
#include "sfu/server.h"

namespace {

constexpr const char* kUsage = R"(Usage: sfu [--config FILE] [--print-default-config] [--help]

A WebRTC selective forwarding unit: browsers join rooms over the signaling WebSocket and
the server forwards their RTP to the other participants without decoding it.

Options:
  --config FILE             read the YAML configuration FILE on top of the embedded default
  --print-default-config    print the embedded default configuration and exit
  --help                    print this help and exit

Exit codes: 0 after a clean stop (SIGINT/SIGTERM), 1 when start-up fails (e.g. a port is taken),
2 for a bad command line or configuration.
)";

}  // namespace

static int sfu_main(int argc, char** argv) {
  std::string config_path;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
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
    if (arg.rfind("--config=", 0) == 0) {
      config_path = arg.substr(std::strlen("--config="));
      continue;
    }
    std::fprintf(stderr, "sfu: unknown or incomplete argument '%s'\n\n%s", arg.c_str(), kUsage);
    return 2;
  }

  auto loaded = config_path.empty() ? sfu::config::ConfigResult(sfu::config::default_config())
                                    : sfu::config::load_config_file(config_path);
  if (auto* error = std::get_if<sfu::config::ConfigError>(&loaded)) {
    std::fprintf(stderr, "sfu: configuration error: %s\n", error->to_string().c_str());
    return 2;
  }
  const auto& config = std::get<sfu::config::Config>(loaded);
  sfu::set_log_level(config.log_level);
  sfu::log_info("main", "configuration loaded",
                {{"source", config_path.empty() ? "embedded default" : config_path}});
  sfu::Server server(config);
  return server.run();
}

// An exception escaping main() would end the process with std::terminate and no message.
int main(int argc, char** argv) {
  try {
    return sfu_main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sfu: fatal: %s\n", e.what());
    return 1;
  }
}
