// The /metrics parsing and the refusal patterns of sfu-soak: what the fault checks rest on.
#include "bench/soak/metrics_samples.h"

#include <gtest/gtest.h>

#include "bench/soak/fault_catalog.h"

namespace sfu::soak {
namespace {

constexpr const char* kPage = R"(# HELP sfu_rooms Rooms that exist.
# TYPE sfu_rooms gauge
sfu_rooms 3
sfu_participants 7
sfu_worker_transports{worker="0"} 4
sfu_worker_transports{worker="1"} 10
sfu_dropped_packets_total{worker="0",reason="tx_ring_full"} 12
sfu_label_with_space{reason="a b"} 5 1700000000000
not a sample
)";

TEST(MetricSamples, ParsesSamplesWithAndWithoutLabels) {
  MetricSamples m = parse_metrics(kPage);
  EXPECT_EQ(m.value("sfu_rooms"), 3);
  EXPECT_EQ(m.value("sfu_worker_transports{worker=\"1\"}"), 10);
  EXPECT_EQ(m.value("sfu_label_with_space{reason=\"a b\"}"), 5);  // the timestamp is not the value
  EXPECT_FALSE(m.value("not").has_value());
}

TEST(MetricSamples, SumsAFamilyOverItsLabelsOnly) {
  MetricSamples m = parse_metrics(kPage);
  EXPECT_EQ(m.sum("sfu_worker_transports"), 14);
  EXPECT_EQ(m.sum("sfu_rooms"), 3);
  EXPECT_EQ(m.sum("sfu_room"), 0);  // a prefix of another family is not that family
  EXPECT_EQ(m.sum("sfu_missing"), 0);
}

TEST(MetricSamples, ChangesIncludeSamplesOnOneSideOnly) {
  MetricSamples before = parse_metrics("a_total 1\nb_total 2\n");
  MetricSamples after = parse_metrics("a_total 5\nc_total 3\n");
  auto changes = changes_matching(before, after, std::regex("_total"));
  ASSERT_EQ(changes.size(), 3u);
  EXPECT_EQ(changes[0].key, "a_total");
  EXPECT_EQ(changes[0].delta(), 4);
  EXPECT_EQ(changes[1].key, "b_total");
  EXPECT_EQ(changes[1].after, 0);
  EXPECT_EQ(changes[2].key, "c_total");
  EXPECT_EQ(changes[2].before, 0);
}

bool refuses(FaultKind kind, const std::string& key) {
  return std::regex_search(key, std::regex(refusal_pattern(fault_info(kind))));
}

// Counters a fix could plausibly add count as refusals of their own fault only.
TEST(FaultCatalog, RefusalPatternsMatchPlausibleCounters) {
  EXPECT_TRUE(
      refuses(FaultKind::kNackFlood, "sfu_retransmissions_dropped_total{worker=\"0\",reason=\"budget\"}"));
  EXPECT_TRUE(refuses(FaultKind::kNackFlood, "sfu_nacks_deduplicated_total{worker=\"0\"}"));
  EXPECT_TRUE(
      refuses(FaultKind::kNackFlood, "sfu_dropped_packets_total{worker=\"0\",reason=\"nack_budget\"}"));
  EXPECT_TRUE(refuses(FaultKind::kPliFlood, "sfu_keyframe_requests_throttled_total{worker=\"0\"}"));
  EXPECT_TRUE(refuses(FaultKind::kNoAnswer, "sfu_participants_removed_total{reason=\"join_timeout\"}"));
  EXPECT_TRUE(refuses(FaultKind::kSlowloris, "sfu_websocket_closed_total{reason=\"idle_timeout\"}"));
  EXPECT_TRUE(refuses(FaultKind::kSlowloris, "sfu_http_connections_refused_total{reason=\"per_address\"}"));
  EXPECT_TRUE(refuses(FaultKind::kQueueFull, "sfu_worker_queue_full_total{worker=\"0\"}"));
  EXPECT_TRUE(refuses(FaultKind::kQueueFull, "sfu_requests_refused_total{reason=\"overloaded\"}"));
  EXPECT_FALSE(refuses(FaultKind::kPliFlood, "sfu_retransmissions_dropped_total{worker=\"0\"}"));
  EXPECT_FALSE(refuses(FaultKind::kNackFlood, "sfu_keyframe_requests_throttled_total{worker=\"0\"}"));
}

// Nothing the server exports today is a refusal counter of any fault, so a fault that is not
// counted fails instead of passing on an unrelated counter.
TEST(FaultCatalog, NoExistingCounterCountsAsARefusal) {
  const char* existing[] = {"sfu_rooms",
                            "sfu_participants",
                            "sfu_websocket_sessions",
                            "sfu_worker_rooms{worker=\"0\"}",
                            "sfu_worker_transports{worker=\"0\"}",
                            "sfu_retransmissions_total{worker=\"0\"}",
                            "sfu_retransmissions_missed_total{worker=\"0\"}",
                            "sfu_nacks_received_total{worker=\"0\"}",
                            "sfu_nacks_sent_total{worker=\"0\"}",
                            "sfu_keyframe_requests_received_total{worker=\"0\"}",
                            "sfu_keyframe_requests_sent_total{worker=\"0\"}",
                            "sfu_internal_errors_total{where=\"worker_task\",worker=\"0\"}",
                            "sfu_dropped_packets_total{worker=\"0\",reason=\"tx_ring_full\"}",
                            "sfu_dropped_packets_total{worker=\"0\",reason=\"transport_closed\"}",
                            "sfu_dropped_packets_total{worker=\"0\",reason=\"stun_rejected\"}"};
  for (FaultKind kind : {FaultKind::kNackFlood, FaultKind::kPliFlood, FaultKind::kNoAnswer,
                         FaultKind::kSlowloris, FaultKind::kQueueFull})
    for (const char* key : existing) EXPECT_FALSE(refuses(kind, key)) << fault_info(kind).name << ": " << key;
}

TEST(FaultCatalog, NamesRoundTrip) {
  for (FaultKind kind : {FaultKind::kNone, FaultKind::kNackFlood, FaultKind::kPliFlood, FaultKind::kNoAnswer,
                         FaultKind::kSlowloris, FaultKind::kQueueFull})
    EXPECT_EQ(parse_fault_kind(fault_info(kind).name), kind);
  EXPECT_FALSE(parse_fault_kind("nope").has_value());
}

}  // namespace
}  // namespace sfu::soak
