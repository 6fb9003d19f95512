// sfu-soak: leak soak and fault runs against a running server. See soak_options.cpp for the
// flags, soak_run.h and fault_run.h for what each checks, and scripts/soak.sh and
// scripts/faults.sh for how they are run.
#include <csignal>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <variant>

#include "bench/soak/soak_options.h"

using namespace sfu::soak;

static int soak_main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  auto parsed = parse_soak_command(args);
  if (auto* error = std::get_if<std::string>(&parsed)) {
    std::fprintf(stderr, "sfu-soak: %s\n\n%s", error->c_str(), soak_usage());
    return 2;
  }
  SoakCommand command = std::get<SoakCommand>(parsed);
  std::signal(SIGPIPE, SIG_IGN);
  switch (command.mode) {
    case SoakCommand::Mode::kHelp:
      std::fputs(soak_usage(), stdout);
      return 0;
    case SoakCommand::Mode::kVanishChild:
      return run_vanish_child(command.child);
    case SoakCommand::Mode::kFault:
      return run_fault(command.fault);
    case SoakCommand::Mode::kSoak: {
      std::error_code ec;
      command.soak.self_exe = std::filesystem::read_symlink("/proc/self/exe", ec).string();
      if (ec) {
        std::fprintf(stderr, "sfu-soak: cannot find its own executable: %s\n", ec.message().c_str());
        return 1;
      }
      return run_soak(command.soak);
    }
  }
  return 2;
}

// An exception escaping main() would end the process with std::terminate and no message.
int main(int argc, char** argv) {
  try {
    return soak_main(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sfu-soak: fatal: %s\n", e.what());
    return 1;
  }
}
