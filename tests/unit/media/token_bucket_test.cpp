// The publisher's inbound data limit (sfu/media/token_bucket.h): a burst, then the rate.
#include "sfu/media/token_bucket.h"

#include <gtest/gtest.h>

using namespace sfu;

namespace {

TEST(TokenBucket, StartsFullThenRefillsAtTheRate) {
  TokenBucket bucket(1000, 3000, 0);  // 1000 B/s, 3000 B burst
  EXPECT_TRUE(bucket.take(3000, 0));
  EXPECT_FALSE(bucket.take(1, 0));
  EXPECT_FALSE(bucket.take(500, 499));
  EXPECT_TRUE(bucket.take(500, 500));  // 500 ms at 1000 B/s
  EXPECT_FALSE(bucket.take(1, 500));
  EXPECT_TRUE(bucket.take(3000, 100'000));  // refills to the burst, no further
  EXPECT_FALSE(bucket.take(1, 100'000));
}

TEST(TokenBucket, RefusesWithoutTakingAndKeepsFractions) {
  TokenBucket bucket(3, 10, 0);  // 3 B/s: 0.003 B per ms
  EXPECT_TRUE(bucket.take(10, 0));
  EXPECT_FALSE(bucket.take(2, 333));  // 0.999 B
  EXPECT_TRUE(bucket.take(1, 334));   // 1.002 B
  EXPECT_FALSE(bucket.take(1, 334));
}

TEST(TokenBucket, RateZeroIsNoLimit) {
  TokenBucket bucket(0, 0, 0);
  EXPECT_TRUE(bucket.take(1'000'000'000, 0));
  EXPECT_TRUE(bucket.take(1'000'000'000, 0));
  EXPECT_TRUE(bucket.take_with_debt(1'000'000'000, 0));
  EXPECT_FALSE(bucket.in_debt(0));
}

TEST(TokenBucket, TakeWithDebtAlwaysTakesAndTheRefillRepaysTheDebtFirst) {
  TokenBucket bucket(1000, 3000, 0);            // 1000 B/s, 3000 B burst
  EXPECT_TRUE(bucket.take_with_debt(3000, 0));  // exactly the burst: not in debt
  EXPECT_FALSE(bucket.in_debt(0));
  EXPECT_FALSE(bucket.take_with_debt(1500, 0));  // 1500 B of debt
  EXPECT_TRUE(bucket.in_debt(0));
  EXPECT_TRUE(bucket.in_debt(1499));
  EXPECT_FALSE(bucket.in_debt(1500));  // repaid after 1.5 s at 1000 B/s
  EXPECT_FALSE(bucket.take(1, 1500));  // and empty
  EXPECT_TRUE(bucket.take(1000, 2500));
  EXPECT_FALSE(bucket.take_with_debt(1, 2500));
  EXPECT_FALSE(bucket.in_debt(100'000));  // a long pause refills up to the burst, no further
  EXPECT_TRUE(bucket.take_with_debt(3000, 100'000));
  EXPECT_FALSE(bucket.take_with_debt(1, 100'000));
}

}  // namespace
