// --target janus (or both): the same load through Janus (Debian's janus package, videoroom
// plugin), measured with the same participants' media path and receive accounting as the SFU run.
// Janus and the bench's clients run in a private network namespace on 127.0.0.2 (janus_server.h).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "bench/bench_options.h"
#include "bench/load_run.h"

namespace sfu::bench {

// nullopt (and `error`) when Janus could not be started; otherwise the run, ok or not.
std::optional<RunResult> run_janus_target(const BenchOptions& options, const std::vector<int>& server_cpus,
                                          std::string* error);

}  // namespace sfu::bench
