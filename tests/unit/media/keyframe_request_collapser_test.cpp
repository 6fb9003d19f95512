// KeyframeRequestCollapser: any number of keyframe requests within one interval become one PLI.
#include "sfu/media/rtcp/keyframe_request_collapser.h"

#include <gtest/gtest.h>

using sfu::KeyframeRequestCollapser;

TEST(KeyframeRequestCollapser, SendsNothingWhenNothingIsPending) {
  KeyframeRequestCollapser collapser;
  EXPECT_FALSE(collapser.pending());
  EXPECT_FALSE(collapser.take(0, KeyframeRequestCollapser::kDefaultIntervalMs));
  EXPECT_FALSE(collapser.take(10000, KeyframeRequestCollapser::kDefaultIntervalMs));
  EXPECT_EQ(collapser.sent(), 0u);
}

TEST(KeyframeRequestCollapser, SendsTheFirstRequestAtOnce) {
  KeyframeRequestCollapser collapser;
  collapser.request();
  EXPECT_TRUE(collapser.pending());
  EXPECT_TRUE(collapser.take(0, KeyframeRequestCollapser::kDefaultIntervalMs))
      << "time 0 is a time like any other";
  EXPECT_FALSE(collapser.pending());
  EXPECT_FALSE(collapser.take(1, KeyframeRequestCollapser::kDefaultIntervalMs)) << "taken once, not twice";
  EXPECT_EQ(collapser.sent(), 1u);
}

TEST(KeyframeRequestCollapser, CollapsesRequestsWithinTheIntervalIntoOne) {
  KeyframeRequestCollapser collapser;
  collapser.request();
  ASSERT_TRUE(collapser.take(1000, 500));
  for (uint64_t t = 1000; t < 1500; t += 10) {
    collapser.request();  // fifty subscribers asking
    EXPECT_FALSE(collapser.take(t, 500)) << "at " << t;
  }
  EXPECT_TRUE(collapser.pending()) << "the asks wait for the interval, they are not lost";
  EXPECT_TRUE(collapser.take(1500, 500));
  EXPECT_FALSE(collapser.take(1500, 500));
  EXPECT_EQ(collapser.sent(), 2u);
}

TEST(KeyframeRequestCollapser, SendsARequestAfterTheIntervalAtOnce) {
  KeyframeRequestCollapser collapser;
  collapser.request();
  ASSERT_TRUE(collapser.take(100, 200));
  collapser.request();
  EXPECT_FALSE(collapser.take(299, 200));
  EXPECT_TRUE(collapser.take(300, 200));
  collapser.request();
  EXPECT_TRUE(collapser.take(5000, 200)) << "long after the last PLI, no waiting";
  EXPECT_EQ(collapser.sent(), 3u);
}

TEST(KeyframeRequestCollapser, AnIntervalOfZeroSendsEveryRequest) {
  KeyframeRequestCollapser collapser;
  for (uint64_t t = 0; t < 5; ++t) {
    collapser.request();
    EXPECT_TRUE(collapser.take(1000, 0));
  }
  EXPECT_EQ(collapser.sent(), 5u);
}
