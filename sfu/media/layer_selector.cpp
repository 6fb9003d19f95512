#include "sfu/media/layer_selector.h"

#include <algorithm>

namespace sfu {

void LayerSelector::set_paused(bool paused) {
  paused_ = paused;
  if (paused) current_ = kNoLayer;
}

bool LayerSelector::update_target(uint32_t available, uint8_t layer_count, bool settling) {
  layer_count = std::min<uint8_t>(layer_count, kMaxLayers);
  if (layer_count == 0) return false;
  const auto cap = static_cast<int8_t>(std::min<int>(max_layer_, layer_count - 1));
  const uint32_t wanted = (2u << cap) - 1;  // layers 0..cap
  if (settling && (available & wanted) != wanted) available = 0;
  int8_t target = kNoLayer;
  for (int8_t layer = cap; layer >= 0 && target == kNoLayer; --layer)
    if ((available >> layer) & 1u) target = layer;
  for (int8_t layer = static_cast<int8_t>(cap + 1); layer < layer_count && target == kNoLayer; ++layer)
    if ((available >> layer) & 1u) target = layer;
  if (target == kNoLayer) target = target_ == kNoLayer ? cap : target_;  // nothing arrives: wait
  if (target == target_) return false;
  target_ = target;
  return true;
}

LayerSelector::Verdict LayerSelector::on_packet(uint8_t layer, bool keyframe_start) {
  if (paused_) return Verdict::kDropPaused;
  const auto l = static_cast<int8_t>(layer);
  if (l == current_) return Verdict::kForward;
  if (l != target_) return Verdict::kDropOtherLayer;
  if (!keyframe_start) return Verdict::kDropWaitingKeyframe;
  const int8_t previous = current_;
  current_ = l;
  if (previous == kNoLayer) return Verdict::kStart;
  return l > previous ? Verdict::kSwitchUp : Verdict::kSwitchDown;
}

}  // namespace sfu
