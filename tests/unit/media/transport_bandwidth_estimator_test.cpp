// TransportBandwidthEstimator's send times: a packet queued on a worker's UDP socket is recorded
// as sent when the socket's flush sent it (net/flush_clock.h), not when it was queued; packets
// queued between two flushes share the flush's time; a packet sent with its own time (ICE-TCP)
// keeps it; without a flush clock the time given at queueing is kept.
#include "sfu/media/transport_bandwidth_estimator.h"

#include <gtest/gtest.h>

#include <array>
#include <vector>

#include "net/flush_clock.h"
#include "rtp/rtp_packet.h"
#include "tests/unit/media/media_test_support.h"

using namespace sfu;

namespace {

constexpr uint8_t kExtensionId = 3;

class SendTimes : public ::testing::Test {
 protected:
  // Stamps and queues one packet; `queued_us` is what a caller's clock would read.
  void queue(TransportBandwidthEstimator& bwe, int64_t queued_us) {
    std::copy(packet_.begin(), packet_.end(), slot_.begin());
    const size_t size = bwe.stamp(slot_, packet_.size());
    bwe.on_queued(size + 10, [queued_us] { return queued_us; });
  }
  void send(TransportBandwidthEstimator& bwe, int64_t sent_us) {
    std::copy(packet_.begin(), packet_.end(), slot_.begin());
    const size_t size = bwe.stamp(slot_, packet_.size());
    bwe.on_sent(size + 10, sent_us);
  }
  static int64_t send_time(const TransportBandwidthEstimator& bwe, int64_t sequence) {
    const auto* packet = bwe.estimator().history().find(sequence);
    return packet ? packet->send_us : -1;
  }

  BweCounters counters_;
  net::FlushClock clock_;
  std::vector<uint8_t> packet_ = test::make_rtp(1234, test::kVp8Pt, 1, 0, std::vector<uint8_t>(500, 7));
  std::array<uint8_t, 2048> slot_{};
};

}  // namespace

TEST_F(SendTimes, APacketLeavesWithTheNextFlush) {
  TransportBandwidthEstimator bwe(kExtensionId, counters_, &clock_);
  clock_.on_flushed(1'000);
  queue(bwe, 2'000);  // a loop turn queues three packets at 2 ms ...
  queue(bwe, 2'000);
  queue(bwe, 2'000);
  clock_.on_flushed(17'000);  // ... and its flush sends them 15 ms later
  queue(bwe, 18'000);         // the next turn's
  clock_.on_flushed(18'500);
  bwe.on_tick(20'000);
  EXPECT_EQ(send_time(bwe, 0), 17'000);
  EXPECT_EQ(send_time(bwe, 1), 17'000);
  EXPECT_EQ(send_time(bwe, 2), 17'000);
  EXPECT_EQ(send_time(bwe, 3), 18'500);
}

TEST_F(SendTimes, FlushesWithoutThisTransportsPacketsDoNotCount) {
  TransportBandwidthEstimator bwe(kExtensionId, counters_, &clock_);
  queue(bwe, 1'000);
  clock_.on_flushed(1'200);
  for (int i = 0; i < 50; ++i) clock_.on_flushed(2'000 + i);  // other transports' batches
  queue(bwe, 5'000);
  clock_.on_flushed(5'300);
  bwe.on_tick(6'000);
  EXPECT_EQ(send_time(bwe, 0), 1'200);
  EXPECT_EQ(send_time(bwe, 1), 5'300);
}

TEST_F(SendTimes, NotFlushedYetKeepsWaiting) {
  TransportBandwidthEstimator bwe(kExtensionId, counters_, &clock_);
  clock_.on_flushed(1'000);
  queue(bwe, 2'000);
  bwe.on_tick(2'500);  // the tick comes before the flush: nothing to settle yet
  clock_.on_flushed(9'000);
  bwe.on_tick(10'000);
  EXPECT_EQ(send_time(bwe, 0), 9'000);
}

TEST_F(SendTimes, APacketWithItsOwnTimeKeepsIt) {
  TransportBandwidthEstimator bwe(kExtensionId, counters_, &clock_);
  queue(bwe, 1'000);
  send(bwe, 1'100);  // ICE-TCP: written to the connection with its own time
  queue(bwe, 1'200);
  clock_.on_flushed(4'000);
  bwe.on_tick(5'000);
  EXPECT_EQ(send_time(bwe, 1), 1'100);
  EXPECT_EQ(send_time(bwe, 2), 4'000);
}

TEST_F(SendTimes, WithoutAFlushClockTheQueueTimeIsKept) {
  TransportBandwidthEstimator bwe(kExtensionId, counters_);
  queue(bwe, 2'000);
  clock_.on_flushed(17'000);
  bwe.on_tick(20'000);
  EXPECT_EQ(send_time(bwe, 0), 2'000);
}

TEST_F(SendTimes, AFlushTooOldForTheClockKeepsTheProvisionalTime) {
  TransportBandwidthEstimator bwe(kExtensionId, counters_, &clock_);
  clock_.on_flushed(1'000);
  queue(bwe, 2'000);
  for (size_t i = 0; i <= net::FlushClock::kRing; ++i) clock_.on_flushed(3'000 + static_cast<int64_t>(i));
  bwe.on_tick(9'000'000);
  EXPECT_EQ(send_time(bwe, 0), 1'000);  // the flush before it: a lower bound
}
