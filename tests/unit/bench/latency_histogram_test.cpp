#include "bench/latency_histogram.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

namespace sfu::bench {
namespace {

TEST(LatencyHistogram, EmptyReportsZero) {
  LatencyHistogram h;
  EXPECT_EQ(h.count(), 0u);
  EXPECT_EQ(h.percentile(0.5), 0u);
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 0u);
  EXPECT_EQ(h.mean(), 0.0);
}

TEST(LatencyHistogram, BucketsAreContiguousAndContainTheirValues) {
  for (size_t b = 0; b + 1 < LatencyHistogram::kBucketCount; ++b) {
    ASSERT_EQ(LatencyHistogram::bucket_upper(b), LatencyHistogram::bucket_lower(b + 1)) << b;
    ASSERT_LT(LatencyHistogram::bucket_lower(b), LatencyHistogram::bucket_upper(b)) << b;
  }
  std::mt19937_64 random(42);
  for (int i = 0; i < 100000; ++i) {
    uint64_t value = random() >> (random() % 64);
    if (value >= (uint64_t{1} << (LatencyHistogram::kMaxExponent + 1))) continue;
    size_t b = LatencyHistogram::bucket_of(value);
    ASSERT_LE(LatencyHistogram::bucket_lower(b), value);
    ASSERT_GT(LatencyHistogram::bucket_upper(b), value);
    // Relative width at most 1/64.
    if (value >= LatencyHistogram::kSubBuckets) {
      ASSERT_LE(static_cast<double>(LatencyHistogram::bucket_upper(b) - LatencyHistogram::bucket_lower(b)),
                static_cast<double>(value) / 64.0 + 1);
    }
  }
  // Huge values are clamped into the last bucket.
  EXPECT_EQ(LatencyHistogram::bucket_of(UINT64_MAX), LatencyHistogram::kBucketCount - 1);
}

TEST(LatencyHistogram, SmallValuesAreExact) {
  LatencyHistogram h;
  for (uint64_t v = 0; v < 64; ++v) h.record(v);
  EXPECT_EQ(h.count(), 64u);
  EXPECT_EQ(h.percentile(0.0), 0u);
  EXPECT_EQ(h.percentile(1.0), 63u);
  EXPECT_EQ(h.percentile(0.5), 31u);  // rank 32 of 0..63
  EXPECT_EQ(h.min(), 0u);
  EXPECT_EQ(h.max(), 63u);
  EXPECT_DOUBLE_EQ(h.mean(), 31.5);
}

// Percentiles against the exact order statistics of a known sample.
TEST(LatencyHistogram, PercentilesMatchSortedSampleWithinBucketPrecision) {
  std::mt19937_64 random(7);
  std::lognormal_distribution<double> distribution(13.0, 1.0);  // around 0.5 ms, long tail
  std::vector<uint64_t> values;
  LatencyHistogram h;
  for (int i = 0; i < 200000; ++i) {
    uint64_t v = static_cast<uint64_t>(distribution(random));
    values.push_back(v);
    h.record(v);
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.01, 0.25, 0.5, 0.9, 0.99, 0.999, 0.9999}) {
    size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(values.size())));
    double exact = static_cast<double>(values[rank - 1]);
    double reported = static_cast<double>(h.percentile(q));
    EXPECT_NEAR(reported, exact, exact / 64.0 + 1) << "q=" << q;
  }
  EXPECT_EQ(h.max(), values.back());
  EXPECT_EQ(h.min(), values.front());
}

TEST(LatencyHistogram, OneSlowPacketInAThousandIsTheP999) {
  LatencyHistogram h;
  for (int i = 0; i < 999; ++i) h.record(1'000'000);  // 1 ms
  h.record(50'000'000);                               // 50 ms
  EXPECT_NEAR(static_cast<double>(h.percentile(0.5)), 1e6, 1e6 / 64);
  EXPECT_NEAR(static_cast<double>(h.percentile(0.99)), 1e6, 1e6 / 64);
  EXPECT_NEAR(static_cast<double>(h.percentile(0.999)), 1e6, 1e6 / 64);
  EXPECT_NEAR(static_cast<double>(h.percentile(0.9999)), 50e6, 50e6 / 64);
  EXPECT_EQ(h.max(), 50'000'000u);
}

TEST(LatencyHistogram, MergeEqualsRecordingEverythingInOne) {
  LatencyHistogram a, b, all;
  for (uint64_t v = 1; v < 100000; v += 7) {
    (v % 3 ? a : b).record(v * 13);
    all.record(v * 13);
  }
  a.merge(b);
  EXPECT_EQ(a.count(), all.count());
  EXPECT_EQ(a.min(), all.min());
  EXPECT_EQ(a.max(), all.max());
  EXPECT_DOUBLE_EQ(a.mean(), all.mean());
  for (double q : {0.1, 0.5, 0.99, 0.999}) EXPECT_EQ(a.percentile(q), all.percentile(q));
  a.clear();
  EXPECT_EQ(a.count(), 0u);
  EXPECT_EQ(a.percentile(0.5), 0u);
}

}  // namespace
}  // namespace sfu::bench
