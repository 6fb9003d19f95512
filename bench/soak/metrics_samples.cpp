#include "bench/soak/metrics_samples.h"

#include <cstdlib>
#include <set>

namespace sfu::soak {
namespace {

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t' || text.back() == '\r'))
    text.remove_suffix(1);
  return text;
}

std::optional<double> parse_value(std::string_view text) {
  std::string copy(text);  // strtod wants a terminated string; +Inf/NaN are valid values too
  char* end = nullptr;
  double value = std::strtod(copy.c_str(), &end);
  if (end == copy.c_str()) return std::nullopt;
  return value;
}

}  // namespace

double MetricSamples::sum(std::string_view name) const {
  double total = 0;
  for (auto it = samples.lower_bound(std::string(name)); it != samples.end(); ++it) {
    std::string_view key = it->first;
    if (key.substr(0, name.size()) != name) break;
    if (key.size() == name.size() || key[name.size()] == '{') total += it->second;
  }
  return total;
}

std::optional<double> MetricSamples::value(const std::string& key) const {
  auto it = samples.find(key);
  if (it == samples.end()) return std::nullopt;
  return it->second;
}

MetricSamples parse_metrics(std::string_view text) {
  MetricSamples out;
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = trim(text.substr(0, eol));
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
    if (line.empty() || line.front() == '#') continue;
    // The key ends at the closing brace of the labels (label values may hold spaces), or at the
    // first space when there are none.
    size_t key_end = line.find('{') != std::string_view::npos && line.find('{') < line.find(' ')
                         ? line.find('}')
                         : line.find(' ');
    if (key_end == std::string_view::npos) continue;
    if (line[key_end] == '}') ++key_end;
    std::string_view rest = trim(line.substr(key_end));
    // An optional timestamp may follow the value.
    auto value = parse_value(rest.substr(0, rest.find(' ')));
    if (value) out.samples[std::string(line.substr(0, key_end))] = *value;
  }
  return out;
}

std::vector<MetricChange> changes_matching(const MetricSamples& before, const MetricSamples& after,
                                           const std::regex& pattern) {
  std::set<std::string> keys;
  for (const auto* side : {&before, &after})
    for (const auto& [key, value] : side->samples)
      if (std::regex_search(key, pattern)) keys.insert(key);
  std::vector<MetricChange> out;
  out.reserve(keys.size());
  for (const std::string& key : keys)
    out.push_back({key, before.value(key).value_or(0), after.value(key).value_or(0)});
  return out;
}

}  // namespace sfu::soak
