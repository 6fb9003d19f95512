// The receivers' data channel checks (bench/data_accounting.h) on messages built by a DataSource
// and delivered as the test says: in order, with a gap, reordered, lost on the unreliable channel,
// on the wrong channel, of the wrong size; and channel closes before and after the window.
#include "bench/data_accounting.h"

#include <gtest/gtest.h>

#include <vector>

#include "bench/packet_stamp.h"

namespace sfu::bench {
namespace {

constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t kStart = 7'000 * kMs;
constexpr size_t kSize = 200;

struct Message {
  DataChannelKind kind;
  uint64_t send_ns;
  std::vector<uint8_t> bytes;
};

// Publisher 1 of a 2-publisher room: `count` messages on `kind`, one per ms from kStart.
std::vector<Message> messages(DataChannelKind kind, uint32_t count, DataFault fault = DataFault::kNone) {
  DataSourceConfig config{1, 1000, kSize};
  config.fault = fault;
  DataSource source(config);
  source.start(kStart);
  std::vector<Message> out;
  for (uint64_t t = 0; out.size() < count; t += kMs) {
    while (source.due(kind, kStart + t) && out.size() < count) {
      Message m{kind, kStart + t, std::vector<uint8_t>(kSize)};
      source.build(kind, kStart + t, MutableByteSpan(m.bytes));
      source.sent(kind, kStart + t, nullptr);
      out.push_back(std::move(m));
    }
  }
  return out;
}

class DataAccountingTest : public ::testing::Test {
 protected:
  void deliver(const Message& m, const char* label = nullptr, uint64_t delay = 2 * kMs) {
    accounting_.on_message(label ? label : data_label_of(m.kind), ByteSpan(m.bytes), m.send_ns + delay,
                           window_, stats_);
  }
  void deliver_all(const std::vector<Message>& all) {
    for (const Message& m : all) deliver(m);
  }

  MeasurementWindow window_;
  DataReceiverStats stats_;
  // We are publisher 0: we expect publisher 1's two streams (2 and 3), not our own (0 and 1).
  DataReceiveAccounting accounting_{2, 0, kSize};
  const uint32_t reliable_ = data_stream_of(1, DataChannelKind::kReliable);
  const uint32_t unreliable_ = data_stream_of(1, DataChannelKind::kUnreliable);
};

TEST_F(DataAccountingTest, InOrderDeliveryHasNoErrors) {
  window_.set(kStart, kStart + 1000 * kMs);
  EXPECT_EQ(accounting_.expected_stream_count(), 2u);
  EXPECT_FALSE(accounting_.expects(data_stream_of(0, DataChannelKind::kReliable)));
  EXPECT_FALSE(accounting_.receiving_all());
  deliver_all(messages(DataChannelKind::kReliable, 500));
  EXPECT_FALSE(accounting_.receiving_all());
  deliver_all(messages(DataChannelKind::kUnreliable, 500));
  EXPECT_TRUE(accounting_.receiving_all());
  EXPECT_EQ(accounting_.reliable_gaps(reliable_), 0u);
  EXPECT_EQ(accounting_.reliable_reordered(reliable_), 0u);
  EXPECT_EQ(accounting_.errors(), 0u);
  EXPECT_EQ(accounting_.window_tracker(reliable_).received(), 500u);
  EXPECT_EQ(accounting_.window_tracker(unreliable_).received(), 500u);
  EXPECT_EQ(stats_.window_messages, 1000u);
  EXPECT_EQ(stats_.window_live.get(), 1000u);
  EXPECT_EQ(stats_.latency[0].count(), 500u);
  EXPECT_EQ(stats_.latency[1].count(), 500u);
  EXPECT_NEAR(static_cast<double>(stats_.latency[0].percentile(0.5)), 2.0 * kMs, 0.02 * kMs);
}

TEST_F(DataAccountingTest, FirstMessageMayBeAnyButThenEveryOneCounts) {
  auto all = messages(DataChannelKind::kReliable, 300);
  // Joined late: starts at 100. Then 150 and 151 go missing, and 200 comes after 201.
  for (size_t i = 100; i < 300; ++i) {
    if (i == 150 || i == 151 || i == 200) continue;
    deliver(all[i]);
    if (i == 201) deliver(all[200]);
  }
  EXPECT_EQ(accounting_.reliable_gaps(reliable_), 3u);  // 150, 151, and 200 when 201 came first
  EXPECT_EQ(accounting_.reliable_reordered(reliable_), 1u);
}

TEST_F(DataAccountingTest, InjectedFaultsAreCaught) {
  constexpr uint32_t k = DataSourceConfig::kFaultEvery;
  deliver_all(messages(DataChannelKind::kReliable, 2 * k + 5, DataFault::kGap));
  EXPECT_EQ(accounting_.reliable_gaps(reliable_), 2u);  // k and 2k never sent
  EXPECT_EQ(accounting_.reliable_reordered(reliable_), 0u);

  DataReceiveAccounting other(2, 0, kSize);
  for (const Message& m : messages(DataChannelKind::kReliable, 2 * k + 5, DataFault::kReorder))
    other.on_message(kReliableDataLabel, ByteSpan(m.bytes), m.send_ns, window_, stats_);
  EXPECT_EQ(other.reliable_reordered(reliable_), 2u);  // k - 2 after k - 1, twice
}

TEST_F(DataAccountingTest, UnreliableLossAndReorderAreNoErrors) {
  window_.set(kStart, kStart + 1000 * kMs);
  auto all = messages(DataChannelKind::kUnreliable, 100);
  for (size_t i = 0; i < all.size(); ++i) {
    if (i % 10 == 3) continue;  // lost
    if (i % 10 == 5) continue;  // comes after 6
    deliver(all[i]);
    if (i % 10 == 6) deliver(all[i - 1]);
  }
  EXPECT_EQ(accounting_.reliable_gaps(unreliable_), 0u);
  EXPECT_EQ(accounting_.reliable_reordered(unreliable_), 0u);
  EXPECT_EQ(accounting_.errors(), 0u);
  EXPECT_EQ(accounting_.window_tracker(unreliable_).received(), 90u);
}

TEST_F(DataAccountingTest, OnlyTheWindowsMessagesAreCountedForCompleteness) {
  auto all = messages(DataChannelKind::kReliable, 100);
  window_.set(all[20].send_ns, all[80].send_ns);
  deliver_all(all);
  EXPECT_EQ(accounting_.window_tracker(reliable_).received(), 60u);
  EXPECT_EQ(stats_.latency[0].count(), 60u);
}

TEST_F(DataAccountingTest, BadMessagesAreErrors) {
  auto reliable = messages(DataChannelKind::kReliable, 2);
  deliver(reliable[0], kUnreliableDataLabel);  // a reliable stream's message on the unreliable channel
  EXPECT_EQ(stats_.misrouted, 1u);
  Message shorter = reliable[1];
  shorter.bytes.erase(shorter.bytes.begin());  // still stamped at the end, one byte short
  deliver(shorter);
  EXPECT_EQ(stats_.wrong_size, 1u);
  Message unstamped{DataChannelKind::kReliable, kStart, std::vector<uint8_t>(kSize, 0)};
  deliver(unstamped);
  EXPECT_EQ(stats_.unstamped, 1u);
  // Our own stream coming back to us.
  DataReceiveAccounting publisher_one(2, 1, kSize);
  publisher_one.on_message(kReliableDataLabel, ByteSpan(reliable[0].bytes), kStart, window_, stats_);
  EXPECT_EQ(stats_.unknown_stream, 1u);
  EXPECT_EQ(publisher_one.errors(), 1u);
  EXPECT_EQ(accounting_.errors(), 3u);
  // Another channel (the server's) is not ours to check.
  accounting_.on_message("server", ByteSpan(unstamped.bytes), kStart, window_, stats_);
  EXPECT_EQ(accounting_.errors(), 3u);
}

TEST_F(DataAccountingTest, ClosesBeforeTheWindowsEndAreErrors) {
  window_.set(kStart, kStart + 100 * kMs);
  accounting_.on_channel_closed(kReliableDataLabel, kStart + 50 * kMs, window_);
  accounting_.on_channel_closed("server", kStart + 50 * kMs, window_);
  EXPECT_EQ(accounting_.early_closes(), 1u);
  // Publishers leaving at the end of the run.
  accounting_.on_channel_closed(kReliableDataLabel, kStart + 150 * kMs, window_);
  accounting_.on_channel_closed(kUnreliableDataLabel, kStart + 150 * kMs, window_);
  EXPECT_EQ(accounting_.early_closes(), 1u);
}

}  // namespace
}  // namespace sfu::bench
