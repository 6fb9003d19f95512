// The data channel load of one publisher (bench/data_source.h): pacing, stamps, what a refused send
// and a stalled thread do to the sequence numbers, the window's range, and the test faults.
#include "bench/data_source.h"

#include <gtest/gtest.h>

#include <vector>

#include "bench/packet_stamp.h"

namespace sfu::bench {
namespace {

constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t kStart = 5'000 * kMs;

// Sends everything due at `now` on `kind`; returns the stamps' sequence numbers.
std::vector<uint32_t> send_due(DataSource& source, DataChannelKind kind, uint64_t now,
                               const MeasurementWindow* window = nullptr) {
  std::vector<uint8_t> buffer(source.config().size);
  std::vector<uint32_t> sequences;
  while (source.due(kind, now)) {
    size_t size = source.build(kind, now, MutableByteSpan(buffer));
    EXPECT_EQ(size, source.config().size);
    auto stamp = read_stamp(ByteSpan(buffer.data(), size));
    EXPECT_TRUE(stamp.has_value());
    if (!stamp) break;
    EXPECT_EQ(stamp->stream, data_stream_of(source.config().publisher_index, kind));
    EXPECT_EQ(stamp->send_ns, now);
    sequences.push_back(stamp->sequence);
    source.sent(kind, now, window);
  }
  return sequences;
}

TEST(DataSource, PacesEachChannelAtTheRate) {
  DataSource source({/*publisher_index=*/3, /*rate=*/100, /*size=*/1000});
  source.start(kStart);
  uint64_t reliable = 0, unreliable = 0;
  for (uint64_t t = 0; t < 1000 * kMs; t += kMs) {
    reliable += send_due(source, DataChannelKind::kReliable, kStart + t).size();
    unreliable += send_due(source, DataChannelKind::kUnreliable, kStart + t).size();
  }
  EXPECT_EQ(reliable, 100u);
  EXPECT_EQ(unreliable, 100u);
  EXPECT_EQ(source.sent_count(DataChannelKind::kReliable), 100u);
  EXPECT_EQ(source.skipped(), 0u);
  EXPECT_EQ(data_stream_of(3, DataChannelKind::kUnreliable), 7u);
  EXPECT_EQ(data_kind_of_stream(7), DataChannelKind::kUnreliable);
}

TEST(DataSource, SmallestMessageIsTheStamp) {
  DataSource source({0, 10, 1});
  EXPECT_EQ(source.config().size, kStampSize);
  source.start(kStart);
  EXPECT_EQ(send_due(source, DataChannelKind::kReliable, kStart), std::vector<uint32_t>{0});
  std::vector<uint8_t> small(kStampSize - 1);
  ASSERT_TRUE(source.due(DataChannelKind::kReliable, kStart + 100 * kMs));
  EXPECT_EQ(source.build(DataChannelKind::kReliable, kStart + 100 * kMs, MutableByteSpan(small)), 0u);
}

TEST(DataSource, RefusedMessageStaysDueAndTakesNoSequenceNumber) {
  DataSource source({0, 1000, 100});
  source.start(kStart);
  std::vector<uint8_t> buffer(100);
  ASSERT_TRUE(source.due(DataChannelKind::kReliable, kStart));
  source.build(DataChannelKind::kReliable, kStart, MutableByteSpan(buffer));
  source.refused(DataChannelKind::kReliable, /*buffer_full=*/true);
  EXPECT_EQ(source.refusals(), 1u);
  EXPECT_EQ(source.send_errors(), 0u);
  // Tried again: the same sequence number.
  EXPECT_EQ(send_due(source, DataChannelKind::kReliable, kStart), std::vector<uint32_t>{0});
  ASSERT_TRUE(source.due(DataChannelKind::kReliable, kStart + kMs));
  source.refused(DataChannelKind::kReliable, /*buffer_full=*/false);
  EXPECT_EQ(source.send_errors(), 1u);
}

TEST(DataSource, LongBacklogIsSkippedWithoutGaps) {
  DataSource source({0, 1000, 100});  // 100 ms of backlog = 100 messages at most
  source.start(kStart);
  EXPECT_EQ(send_due(source, DataChannelKind::kReliable, kStart).size(), 1u);
  // A thread stalled for a second: 1000 more messages due, only the last 100 go out.
  auto burst = send_due(source, DataChannelKind::kReliable, kStart + 1000 * kMs);
  ASSERT_EQ(burst.size(), 100u);
  EXPECT_EQ(source.skipped(), 900u);
  for (size_t i = 0; i < burst.size(); ++i) EXPECT_EQ(burst[i], i + 1);  // consecutive after 0
}

TEST(DataSource, WindowRangeCountsWhatWasSentInIt) {
  DataSource source({0, 1000, 100});
  MeasurementWindow window;
  window.set(kStart + 10 * kMs, kStart + 20 * kMs);
  source.start(kStart);
  for (uint64_t t = 0; t < 30 * kMs; t += kMs)
    send_due(source, DataChannelKind::kUnreliable, kStart + t, &window);
  EXPECT_EQ(source.window(DataChannelKind::kUnreliable).first, 10u);
  EXPECT_EQ(source.window(DataChannelKind::kUnreliable).count, 10u);
  EXPECT_EQ(source.window(DataChannelKind::kReliable).count, 0u);
}

TEST(DataSource, TestFaultsBreakOnlyTheReliableSequence) {
  auto sequences = [](DataFault fault, DataChannelKind kind) {
    DataSourceConfig config{0, 1000, 100};
    config.fault = fault;
    DataSource source(config);
    source.start(kStart);
    std::vector<uint32_t> all;
    for (uint64_t t = 0; t < 200 * kMs; t += kMs) {
      auto some = send_due(source, kind, kStart + t);
      all.insert(all.end(), some.begin(), some.end());
    }
    return all;
  };
  constexpr uint32_t k = DataSourceConfig::kFaultEvery;
  auto gap = sequences(DataFault::kGap, DataChannelKind::kReliable);
  ASSERT_GE(gap.size(), k + 1);
  EXPECT_EQ(gap[k - 2], k - 2);
  EXPECT_EQ(gap[k - 1], k - 1);
  EXPECT_EQ(gap[k], k + 1);  // k is never sent
  auto reorder = sequences(DataFault::kReorder, DataChannelKind::kReliable);
  ASSERT_GE(reorder.size(), k + 1);
  EXPECT_EQ(reorder[k - 3], k - 3);
  EXPECT_EQ(reorder[k - 2], k - 1);
  EXPECT_EQ(reorder[k - 1], k - 2);
  EXPECT_EQ(reorder[k], k);
  auto unreliable = sequences(DataFault::kGap, DataChannelKind::kUnreliable);
  for (size_t i = 0; i < unreliable.size(); ++i) ASSERT_EQ(unreliable[i], i);
}

}  // namespace
}  // namespace sfu::bench
