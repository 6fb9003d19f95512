// The server's /metrics page (Prometheus text format 0.0.4) as numbers, for the soak and fault
// tools: one value per sample line "name{labels} value", keyed by "name{labels}" as the server
// writes it. Comment lines (# HELP, # TYPE) and lines that do not parse are skipped.
#pragma once

#include <map>
#include <optional>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

namespace sfu::soak {

struct MetricSamples {
  std::map<std::string, double> samples;  // "name{labels}" -> value

  bool empty() const { return samples.empty(); }
  // The sum over every sample of the family `name`, whatever its labels (0 when absent).
  double sum(std::string_view name) const;
  std::optional<double> value(const std::string& key) const;
};

MetricSamples parse_metrics(std::string_view text);

// One sample before and after a phase.
struct MetricChange {
  std::string key;
  double before = 0, after = 0;
  double delta() const { return after - before; }
};

// The samples whose key ("name{labels}") matches `pattern` (searched, not anchored), in either
// snapshot. A sample missing from one side counts as 0 there.
std::vector<MetricChange> changes_matching(const MetricSamples& before, const MetricSamples& after,
                                           const std::regex& pattern);

}  // namespace sfu::soak
