// The benchmark's output: a human table and the JSON document (--json FILE).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "bench/load_run.h"

namespace sfu::bench {

struct RampStep {
  uint32_t video_pps = 0;  // per publisher
  RunResult result;
  bool held = false;
  uint32_t data_rate = 0;  // per channel per publisher (the ramped rate with --data-rate)
};

// NOLINTNEXTLINE(bugprone-exception-escape): false positive: the implicit members only move or destroy json, optionals, vectors.
struct Report {
  nlohmann::json scenario;            // the flags, as given
  std::optional<RunResult> main;      // the SFU (or Janus) run, or the best ramp step
  std::optional<RunResult> baseline;  // the UDP reflector at the same (or its own best) load
  std::optional<RunResult> janus;
  std::vector<RampStep> ramp;
  std::vector<RampStep> baseline_ramp;
  std::optional<RunResult> half_load;  // ramp: the SFU at half the highest load that held
  std::optional<RunResult> ice_tcp;    // --tcp: the SFU with every participant on ICE-TCP
  std::optional<RunResult> simulcast;  // --simulcast: the same scenario, simulcast publishers
};

nlohmann::json run_to_json(const RunResult& run);
nlohmann::json data_to_json(const DataRunResult& data);
// Why a data run is not correct() ("3 reliable errors: ..." or "nothing was relayed").
std::string data_failure(const DataRunResult& data);
// The data channel lines of the table for one run.
std::string data_table(const std::string& label, const RunResult& run);
nlohmann::json report_to_json(const Report& report);
// The `simulcast` section: the simulcast run, its layers, and CPU per packet against `plain`.
nlohmann::json simulcast_to_json(const RunResult& simulcast, const std::optional<RunResult>& plain);
// The simulcast lines of the table: per layer, and the CPU per packet against the plain run.
std::string simulcast_table(const RunResult& simulcast, const std::optional<RunResult>& plain);
std::string report_table(const Report& report);

}  // namespace sfu::bench
