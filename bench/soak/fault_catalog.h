// The faults `sfu-soak fault` can apply, and how the server's /metrics must show each was bounded
// and counted. The counters that count a refusal are found by pattern rather than by name, so the
// check does not depend on what the fix named them: a sample counts when its key ("name{labels}")
// holds a subject word (e.g. "retransmi") and a refusal word (e.g. "budget", "dropped") in either
// order, or the fault's extra pattern. At least one such sample must grow during the fault, else
// the run fails with "nothing was refused".
#pragma once

#include <optional>
#include <regex>
#include <string>
#include <string_view>

namespace sfu::soak {

enum class FaultKind { kNone, kNackFlood, kPliFlood, kNoAnswer, kSlowloris, kQueueFull };

struct FaultInfo {
  FaultKind kind;
  const char* name;         // as on the command line
  const char* description;  // one line
  const char* relevant;     // regex: the samples printed before/after
  const char* subject;      // regex alternatives, e.g. "nack|retransmi"
  const char* refusal;      // regex alternatives, e.g. "drop|budget"
  const char* extra;        // another whole pattern that counts, or ""
  const char* refusal_in_words;
};

const FaultInfo& fault_info(FaultKind kind);
std::optional<FaultKind> parse_fault_kind(std::string_view name);
// "none, nack, ..." for usage text.
const char* fault_kind_names();

// "(subject)[^ ]*(refusal)|(refusal)[^ ]*(subject)" plus the extra pattern.
std::string refusal_pattern(const FaultInfo& info);

}  // namespace sfu::soak
