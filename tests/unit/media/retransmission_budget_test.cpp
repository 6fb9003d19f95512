// RetransmissionBudget: a subscriber's NACK answers per second, as a token bucket (audit row 6).
#include "sfu/media/rtcp/retransmission_budget.h"

#include <gtest/gtest.h>

using sfu::RetransmissionBudget;

TEST(RetransmissionBudget, StartsWithOneSecondsWorthAndRefillsAtTheRate) {
  RetransmissionBudget budget;
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(budget.try_spend(1000, 100)) << i;
  EXPECT_FALSE(budget.try_spend(1000, 100)) << "spent";
  EXPECT_FALSE(budget.try_spend(1009, 100)) << "0.9 of a retransmission refilled";
  EXPECT_TRUE(budget.try_spend(1010, 100)) << "10 ms at 100/s is one";
  EXPECT_FALSE(budget.try_spend(1010, 100));
  int spent = 0;
  while (budget.try_spend(1510, 100)) ++spent;
  EXPECT_EQ(spent, 50) << "half a second later";
}

TEST(RetransmissionBudget, NeverHoldsMoreThanOneSecondsWorth) {
  RetransmissionBudget budget;
  ASSERT_TRUE(budget.try_spend(0, 10));
  int spent = 0;
  while (budget.try_spend(3600 * 1000, 10)) ++spent;
  EXPECT_EQ(spent, 10) << "an hour of silence buys one second's burst, not an hour's";
}

TEST(RetransmissionBudget, ARefusalSpendsNothingAndTimeGoingBackIsHarmless) {
  RetransmissionBudget budget;
  ASSERT_TRUE(budget.try_spend(5000, 1));
  EXPECT_FALSE(budget.try_spend(5000, 1));
  EXPECT_FALSE(budget.try_spend(4000, 1));
  EXPECT_TRUE(budget.try_spend(6000, 1));
}
