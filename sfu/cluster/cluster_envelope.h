// The signed envelope of every message one node publishes to another over Redis pub/sub. Anyone
// who can reach Redis can publish, so a node acts only on messages that carry a valid HMAC-SHA256
// under cluster.secret, name it as the receiver and are recent (a replay window):
//
//   <64 hex digits: HMAC-SHA256(secret, json)> " " <json: {"from","to","ts_ms","body":{...}}>
//
// Pure functions, no I/O: the cluster node signs, publishes, receives and opens.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <variant>

namespace sfu::cluster {

struct ClusterMessage {
  std::string from;
  std::string to;
  int64_t ts_ms = 0;  // the sender's wall clock, Unix milliseconds
  nlohmann::json body;
};

// Why a received message was dropped (sfu_cluster_messages_rejected_total{reason}).
enum class Rejection { malformed, bad_signature, wrong_node, stale };
const char* rejection_name(Rejection rejection);

// How far a message's ts_ms may be from the receiver's clock.
inline constexpr int64_t kMaxMessageAgeMs = 30'000;

std::string seal(const ClusterMessage& message, std::string_view secret);
std::variant<ClusterMessage, Rejection> open(std::string_view wire, std::string_view secret,
                                             std::string_view me, int64_t now_ms);

}  // namespace sfu::cluster
