// --target janus: the same load through Janus (Debian's janus package, videoroom plugin).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "bench/bench_options.h"
#include "bench/load_run.h"

namespace sfu::bench {

std::optional<RunResult> run_janus_target(const BenchOptions& options, const std::vector<int>& server_cpus,
                                          std::string* error);

}  // namespace sfu::bench
