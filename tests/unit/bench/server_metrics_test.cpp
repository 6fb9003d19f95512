// The server's data channel counters as sfu-bench reads them from /metrics.
#include "bench/server_metrics.h"

#include <gtest/gtest.h>

namespace sfu::bench {
namespace {

constexpr const char* kExposition =
    R"(# HELP sfu_data_messages_total Data channel messages received (in) and sent (out).
# TYPE sfu_data_messages_total counter
sfu_data_messages_total{worker="0",direction="in"} 600
sfu_data_messages_total{worker="0",direction="out"} 3000
sfu_data_messages_total{worker="1",direction="in"} 4
sfu_data_messages_total{worker="1",direction="out"} 10
# TYPE sfu_data_bytes_total counter
sfu_data_bytes_total{worker="0",direction="in"} 600000
sfu_data_bytes_total{worker="0",direction="out"} 3000000
# TYPE sfu_data_drops_total counter
sfu_data_drops_total{worker="0",reason="subscriber_buffer_full"} 7
sfu_data_drops_total{worker="0",reason="slow_subscriber"} 0
sfu_data_drops_total{worker="1",reason="subscriber_buffer_full"} 1
sfu_data_publisher_paused_total{worker="0"} 3
sfu_data_channels{worker="0"} 24
sfu_data_associations{worker="0"} 8
sfu_data_associations{worker="1"} 2
sfu_rtp_forwarded_total{worker="0"} 12345
)";

TEST(ServerMetrics, SumsTheDataFamiliesOverWorkers) {
  auto m = parse_data_metrics(kExposition);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->messages_in, 604u);
  EXPECT_EQ(m->messages_out, 3010u);
  EXPECT_EQ(m->bytes_in, 600000u);
  EXPECT_EQ(m->bytes_out, 3000000u);
  ASSERT_EQ(m->drops.size(), 1u);
  EXPECT_EQ(m->drops.at("subscriber_buffer_full"), 8u);
  EXPECT_EQ(m->channels, 24u);
  EXPECT_EQ(m->publisher_paused, 3u);
  EXPECT_EQ(m->associations, 10u);
}

TEST(ServerMetrics, DeltaOfCountersGaugesAsAfter) {
  ServerDataMetrics before, after;
  before.messages_out = 100;
  after.messages_out = 350;
  before.drops["rate_limited"] = 5;
  after.drops["rate_limited"] = 5;
  after.drops["slow_subscriber"] = 1;
  before.associations = 4;
  after.associations = 3;
  ServerDataMetrics d = metrics_delta(before, after);
  EXPECT_EQ(d.messages_out, 250u);
  EXPECT_EQ(d.drops.size(), 1u);
  EXPECT_EQ(d.drops.at("slow_subscriber"), 1u);
  EXPECT_EQ(d.associations, 3u);
}

TEST(ServerMetrics, AServerWithoutDataChannelsOrGarbage) {
  EXPECT_FALSE(parse_data_metrics("sfu_rtp_forwarded_total{worker=\"0\"} 1\n").has_value());
  EXPECT_FALSE(parse_data_metrics("").has_value());
  EXPECT_FALSE(parse_data_metrics("sfu_data_messages_total{direction=\"out\" 12\n{}} x\n\n").has_value());
}

}  // namespace
}  // namespace sfu::bench
