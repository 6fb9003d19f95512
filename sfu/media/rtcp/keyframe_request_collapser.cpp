#include "sfu/media/rtcp/keyframe_request_collapser.h"

namespace sfu {

bool KeyframeRequestCollapser::take(uint64_t now_ms, uint64_t interval_ms) {
  if (!pending_) return false;
  if (sent_once_ && now_ms - last_sent_ms_ < interval_ms) return false;
  pending_ = false;
  sent_once_ = true;
  last_sent_ms_ = now_ms;
  ++sent_;
  return true;
}

}  // namespace sfu
