// LayerBitrate: a layer's cost as the allocator prices it. A steady stream is priced at its rate
// (overhead included); a key frame's burst moves the price by a quarter of its window's excess
// and fades, instead of pricing the layer at its burst (which paused a struggling subscriber's
// lowest layer in the browser adaptation test).
#include "sfu/media/layer_bitrate.h"

#include <gtest/gtest.h>

namespace sfu {
namespace {

// A stream of `packets_per_window` packets of `bytes` each per 500 ms window, from `t` on.
struct Feed {
  LayerBitrate rate;
  uint64_t t = 1000, packets = 0, bytes = 0;
  void window(uint64_t packet_count, uint64_t packet_bytes) {
    packets += packet_count;
    bytes += packet_count * packet_bytes;
    t += LayerBitrate::kWindowMs;
    rate.on_timer(t, packets, bytes);
  }
};

// 25 packets of 337 bytes (+38 overhead) per 500 ms: 150 kbit/s on the link.
constexpr uint64_t kPackets = 25, kBytes = 337;
constexpr double kSteadyBps = kPackets * (kBytes + LayerBitrate::kOverheadBytes) * 8 * 2.0;

TEST(LayerBitrate, ASteadyStreamIsPricedAtItsRateWithOverhead) {
  Feed feed;
  feed.rate.on_timer(feed.t, 0, 0);
  EXPECT_EQ(feed.rate.bps(), 0u) << "no window has passed";
  feed.window(kPackets, kBytes);
  EXPECT_NEAR(feed.rate.bps(), kSteadyBps, 1) << "the first window counts whole";
  for (int i = 0; i < 10; ++i) feed.window(kPackets, kBytes);
  EXPECT_NEAR(feed.rate.bps(), kSteadyBps, 1);
}

TEST(LayerBitrate, AKeyFramesBurstMovesThePriceByAQuarterAndFades) {
  Feed feed;
  feed.rate.on_timer(feed.t, 0, 0);
  for (int i = 0; i < 10; ++i) feed.window(kPackets, kBytes);
  // A key frame: one window of 45 packets of 1,000 bytes, five times the steady rate.
  feed.window(kPackets + 20, 1000);
  const double burst_window = ((kPackets + 20) * (1000 + LayerBitrate::kOverheadBytes)) * 8 * 2.0;
  EXPECT_NEAR(feed.rate.bps(), kSteadyBps + (burst_window - kSteadyBps) / 4, 1);
  EXPECT_LT(feed.rate.bps(), 2.1 * kSteadyBps) << "not priced at the burst (" << burst_window << ")";
  for (int i = 0; i < 8; ++i) feed.window(kPackets, kBytes);
  EXPECT_LT(feed.rate.bps(), 1.1 * kSteadyBps) << "four seconds later";
}

TEST(LayerBitrate, AStoppedLayerFadesToZero) {
  Feed feed;
  feed.rate.on_timer(feed.t, 0, 0);
  for (int i = 0; i < 4; ++i) feed.window(kPackets, kBytes);
  for (int i = 0; i < 40; ++i) feed.window(0, 0);
  EXPECT_LT(feed.rate.bps(), 1000u);
}

}  // namespace
}  // namespace sfu
