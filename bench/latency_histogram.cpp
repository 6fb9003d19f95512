#include "bench/latency_histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace sfu::bench {

size_t LatencyHistogram::bucket_of(uint64_t value) {
  if (value < kSubBuckets) return static_cast<size_t>(value);
  unsigned exponent = static_cast<unsigned>(std::bit_width(value)) - 1;  // >= kSubBucketBits
  if (exponent > kMaxExponent) return kBucketCount - 1;
  unsigned shift = exponent - kSubBucketBits;
  uint64_t mantissa = (value >> shift) & (kSubBuckets - 1);
  return static_cast<size_t>(kSubBuckets + shift * kSubBuckets + mantissa);
}

uint64_t LatencyHistogram::bucket_lower(size_t bucket) {
  if (bucket < kSubBuckets) return bucket;
  size_t shift = (bucket - kSubBuckets) / kSubBuckets;
  uint64_t mantissa = (bucket - kSubBuckets) % kSubBuckets;
  return (kSubBuckets + mantissa) << shift;
}

uint64_t LatencyHistogram::bucket_upper(size_t bucket) {
  if (bucket < kSubBuckets) return bucket + 1;
  size_t shift = (bucket - kSubBuckets) / kSubBuckets;
  return bucket_lower(bucket) + (uint64_t{1} << shift);
}

void LatencyHistogram::record(uint64_t value_ns) {
  ++buckets_[bucket_of(value_ns)];
  ++count_;
  sum_ += value_ns;
  min_ = std::min(min_, value_ns);
  max_ = std::max(max_, value_ns);
}

void LatencyHistogram::merge(const LatencyHistogram& other) {
  for (size_t i = 0; i < kBucketCount; ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

void LatencyHistogram::clear() { *this = LatencyHistogram(); }

uint64_t LatencyHistogram::percentile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  uint64_t rank = static_cast<uint64_t>(std::ceil(q * static_cast<double>(count_)));
  rank = std::clamp<uint64_t>(rank, 1, count_);
  uint64_t seen = 0;
  for (size_t i = 0; i < kBucketCount; ++i) {
    seen += buckets_[i];
    if (seen >= rank) {
      uint64_t lower = bucket_lower(i), upper = bucket_upper(i);
      uint64_t middle = lower + (upper - lower - 1) / 2;
      return std::clamp(middle, min_, max_);
    }
  }
  return max_;
}

}  // namespace sfu::bench
