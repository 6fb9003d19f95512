// A latency histogram with fixed log-linear buckets: values below 64 ns are exact, above that each
// power of two is split into 64 buckets, so any reported value is within 1/64 (1.6 %) of the
// truth. All storage is inside the object: recording never allocates, which matters because the
// receivers record every packet. Values are nanoseconds; anything beyond ~18 minutes is clamped.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace sfu::bench {

class LatencyHistogram {
 public:
  static constexpr unsigned kSubBucketBits = 6;
  static constexpr uint64_t kSubBuckets = 1u << kSubBucketBits;  // 64
  static constexpr unsigned kMaxExponent = 40;                   // 2^40 ns, about 18 minutes
  static constexpr size_t kBucketCount = kSubBuckets + (kMaxExponent - kSubBucketBits + 1) * kSubBuckets;

  void record(uint64_t value_ns);
  void merge(const LatencyHistogram& other);
  void clear();

  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ ? min_ : 0; }
  uint64_t max() const { return max_; }
  double mean() const { return count_ ? static_cast<double>(sum_) / static_cast<double>(count_) : 0.0; }
  // The value at quantile q (0..1): the smallest recorded value v such that at least q of all
  // values are <= v, reported as the middle of v's bucket (clamped to [min, max]). 0 when empty.
  uint64_t percentile(double q) const;

  // Bucket arithmetic, public for tests.
  static size_t bucket_of(uint64_t value);
  static uint64_t bucket_lower(size_t bucket);
  static uint64_t bucket_upper(size_t bucket);  // exclusive

 private:
  std::array<uint64_t, kBucketCount> buckets_{};
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
};

}  // namespace sfu::bench
