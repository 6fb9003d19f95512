#include "sfu/media/rtcp/transport_cc_feedback.h"

namespace sfu {

size_t TransportCcFeedback::build_due(uint64_t now_ms, uint32_t sender_ssrc, uint32_t media_ssrc,
                                      MutableByteSpan out) {
  if (now_ms - last_due_ms_ < interval_ms_) return 0;
  last_due_ms_ = now_ms;
  return recorder_.build_feedback(sender_ssrc, media_ssrc, out);
}

}  // namespace sfu
