#include "bench/soak/fault_catalog.h"

namespace sfu::soak {
namespace {

constexpr FaultInfo kFaults[] = {
    {FaultKind::kNone, "none", "no fault: the bystanders alone", "$^", "$^", "$^", "", "nothing"},
    {FaultKind::kNackFlood, "nack",
     "a subscriber NACKs every sequence number of the server's buffer, every 5 ms", "nack|retransmi|tx_",
     "nack|retransmi", "drop|refus|reject|throttl|limit|budget|suppress|dedup|skip|ignor|exceed", "",
     "a NACK or retransmission counter of drops, refusals, throttling, budget or de-duplication"},
    {FaultKind::kPliFlood, "pli", "a subscriber sends a PLI every 10 ms", "keyframe|pli|fir",
     "keyframe|pli|fir", "drop|refus|reject|throttl|limit|budget|suppress|skip|ignor|exceed|collaps", "",
     "a keyframe request (PLI/FIR) counter of drops, refusals or throttling"},
    {FaultKind::kNoAnswer, "no-answer", "receive-only clients never answer their subscribe offer",
     "participant|transport|join|timeout|websocket_sessions", "join|participant|transport|connection",
     "timeout|timed_out|expired", "", "a join, participant or transport counter of timeouts"},
    {FaultKind::kSlowloris, "slowloris",
     "connections send the upgrade request, or a frame, 1 byte per second",
     "websocket|http|connection|timeout", "websocket|http|connection|signaling|upgrade|handshake",
     "timeout|timed_out|idle|slow|deadline|refus|reject|limit", "",
     "a WebSocket/HTTP connection counter of timeouts, idle or slow closes, or refusals"},
    {FaultKind::kQueueFull, "queue-full", "bursts of join/leave pairs far above limits.worker_queue_messages",
     "queue|overload|internal_errors|task", "queue|task", "full|drop|refus|reject|overflow|overload",
     "overloaded", "a worker queue or task counter of refusals (overloaded, queue full)"},
};

}  // namespace

const FaultInfo& fault_info(FaultKind kind) {
  for (const FaultInfo& info : kFaults)
    if (info.kind == kind) return info;
  return kFaults[0];
}

std::optional<FaultKind> parse_fault_kind(std::string_view name) {
  for (const FaultInfo& info : kFaults)
    if (name == info.name) return info.kind;
  return std::nullopt;
}

const char* fault_kind_names() { return "none, nack, pli, no-answer, slowloris, queue-full"; }

std::string refusal_pattern(const FaultInfo& info) {
  std::string s = info.subject, r = info.refusal;
  std::string pattern = "(" + s + ")[^ ]*(" + r + ")|(" + r + ")[^ ]*(" + s + ")";
  if (*info.extra) pattern += std::string("|") + info.extra;
  return pattern;
}

}  // namespace sfu::soak
