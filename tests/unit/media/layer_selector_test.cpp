// The simulcast layer selector: a target from the layers arriving and the subscriber's cap, and
// switches only at a key frame of the target while the current layer keeps flowing.
#include "sfu/media/layer_selector.h"

#include <gtest/gtest.h>

namespace sfu {
namespace {

using Verdict = LayerSelector::Verdict;
constexpr uint32_t kAllThree = 0b111;

TEST(LayerSelector, TargetsTheBestLayerByDefaultAndStartsAtItsKeyframe) {
  LayerSelector s;
  EXPECT_TRUE(s.update_target(kAllThree, 3));
  EXPECT_EQ(s.target(), 2);
  EXPECT_EQ(s.on_packet(0, true), Verdict::kDropOtherLayer);
  EXPECT_EQ(s.on_packet(2, false), Verdict::kDropWaitingKeyframe);
  EXPECT_TRUE(s.waiting_for_keyframe_of(2));
  EXPECT_EQ(s.on_packet(2, true), Verdict::kStart);
  EXPECT_EQ(s.current(), 2);
  EXPECT_FALSE(s.waiting_for_keyframe_of(2));
  EXPECT_EQ(s.on_packet(2, false), Verdict::kForward);
}

TEST(LayerSelector, SwitchesDownOnlyAtTheTargetsKeyframeWhileTheCurrentKeepsFlowing) {
  LayerSelector s;
  s.update_target(kAllThree, 3);
  s.on_packet(2, true);
  s.set_max_layer(0);
  EXPECT_TRUE(s.update_target(kAllThree, 3));
  EXPECT_EQ(s.target(), 0);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(s.on_packet(2, i == 2), Verdict::kForward) << "pending: the current layer still flows";
    EXPECT_EQ(s.on_packet(0, false), Verdict::kDropWaitingKeyframe);
    EXPECT_EQ(s.on_packet(1, true), Verdict::kDropOtherLayer) << "a keyframe of a non-target layer";
  }
  EXPECT_EQ(s.on_packet(0, true), Verdict::kSwitchDown);
  EXPECT_EQ(s.current(), 0);
  EXPECT_EQ(s.on_packet(2, false), Verdict::kDropOtherLayer) << "the old layer stops at once";
  EXPECT_EQ(s.on_packet(0, false), Verdict::kForward);
}

TEST(LayerSelector, SwitchesUpOnlyAtTheTargetsKeyframe) {
  LayerSelector s;
  s.set_max_layer(0);
  s.update_target(kAllThree, 3);
  EXPECT_EQ(s.on_packet(0, true), Verdict::kStart);
  s.set_max_layer(1);
  EXPECT_TRUE(s.update_target(kAllThree, 3));
  EXPECT_EQ(s.on_packet(1, false), Verdict::kDropWaitingKeyframe);
  EXPECT_EQ(s.on_packet(0, false), Verdict::kForward);
  EXPECT_EQ(s.on_packet(1, true), Verdict::kSwitchUp);
  EXPECT_EQ(s.current(), 1);
  EXPECT_EQ(s.on_packet(0, true), Verdict::kDropOtherLayer);
}

TEST(LayerSelector, ATargetLayerThatDisappearsIsReplacedByTheBestOneLeft) {
  LayerSelector s;
  s.update_target(kAllThree, 3);
  s.on_packet(2, true);
  // The publisher stops its top layer (its bandwidth estimate fell): the best below takes over.
  EXPECT_TRUE(s.update_target(0b011, 3));
  EXPECT_EQ(s.target(), 1);
  EXPECT_EQ(s.on_packet(1, true), Verdict::kSwitchDown);
  // It comes back: up again at its next keyframe.
  EXPECT_TRUE(s.update_target(kAllThree, 3));
  EXPECT_EQ(s.target(), 2);
  EXPECT_EQ(s.on_packet(2, true), Verdict::kSwitchUp);
}

TEST(LayerSelector, APendingTargetThatDisappearsIsDroppedForTheNextBest) {
  LayerSelector s;
  s.set_max_layer(0);
  s.update_target(kAllThree, 3);
  s.on_packet(0, true);
  s.set_max_layer(2);
  s.update_target(kAllThree, 3);
  EXPECT_EQ(s.target(), 2);
  EXPECT_TRUE(s.update_target(0b011, 3)) << "layer 2 stops before its keyframe came";
  EXPECT_EQ(s.target(), 1);
  EXPECT_EQ(s.on_packet(0, false), Verdict::kForward);
  EXPECT_EQ(s.on_packet(1, true), Verdict::kSwitchUp);
}

TEST(LayerSelector, BelowTheCapNothingArrivesSoTheLowestAboveIsTaken) {
  LayerSelector s;
  s.set_max_layer(0);
  EXPECT_TRUE(s.update_target(0b110, 3));
  EXPECT_EQ(s.target(), 1);
}

TEST(LayerSelector, WithNothingArrivingTheTargetWaits) {
  LayerSelector s;
  s.set_max_layer(1);
  EXPECT_TRUE(s.update_target(0, 3));
  EXPECT_EQ(s.target(), 1) << "the cap within the count";
  EXPECT_FALSE(s.update_target(0, 3));
  s.set_max_layer(3);
  s.update_target(0, 1);
  EXPECT_EQ(s.target(), 1) << "no churn while nothing arrives";
  LayerSelector single;
  single.update_target(0, 1);
  EXPECT_EQ(single.target(), 0) << "one layer: always 0";
}

TEST(LayerSelector, PausingForwardsNothingAndResumesAtAKeyframe) {
  LayerSelector s;
  s.update_target(kAllThree, 3);
  s.on_packet(2, true);
  s.set_paused(true);
  EXPECT_EQ(s.on_packet(2, true), Verdict::kDropPaused);
  EXPECT_FALSE(s.waiting_for_keyframe_of(2)) << "a paused track asks for no keyframe";
  s.set_paused(false);
  EXPECT_TRUE(s.waiting_for_keyframe_of(2));
  EXPECT_EQ(s.on_packet(2, false), Verdict::kDropWaitingKeyframe);
  EXPECT_EQ(s.on_packet(2, true), Verdict::kStart);
}

TEST(LayerSelector, AudioStartsAtOnce) {
  LayerSelector s;
  s.start_at(0);
  EXPECT_EQ(s.on_packet(0, false), Verdict::kForward);
}

}  // namespace
}  // namespace sfu

namespace sfu {
namespace {

TEST(LayerSelector, WhileThePublisherStartsItWaitsForTheBestLayerWanted) {
  LayerSelector s;
  EXPECT_TRUE(s.update_target(0b001, 3, /*settling=*/true));
  EXPECT_EQ(s.target(), 2) << "q arrived first, f is likely on its way";
  EXPECT_EQ(s.on_packet(0, true), LayerSelector::Verdict::kDropOtherLayer);
  EXPECT_FALSE(s.update_target(0b111, 3, true));
  EXPECT_EQ(s.on_packet(2, true), LayerSelector::Verdict::kStart);

  LayerSelector low;
  low.set_max_layer(0);
  low.update_target(0b001, 3, true);
  EXPECT_EQ(low.target(), 0) << "everything it wants arrives: no reason to wait";

  LayerSelector late;
  late.update_target(0b011, 3, true);
  EXPECT_EQ(late.target(), 2);
  EXPECT_TRUE(late.update_target(0b011, 3, false)) << "settled without f: the best that came";
  EXPECT_EQ(late.target(), 1);
}

}  // namespace
}  // namespace sfu
