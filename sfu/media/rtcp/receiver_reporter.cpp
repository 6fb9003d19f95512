#include "sfu/media/rtcp/receiver_reporter.h"

#include <span>

#include "rtp/rtcp_builder.h"
#include "sfu/media/participant.h"

namespace sfu {

size_t ReceiverReporter::build(Participant& publisher, uint64_t now_ms, MutableByteSpan out) {
  size_t count = 0;
  for (auto& track : publisher.published) {
    for (size_t i = 0; i < track->layer_count(); ++i) {
      // A stream not learned yet, or silent so far, has nothing to report (RFC 3550 6.4: blocks
      // are for sources heard from).
      LayerStream& layer = track->layer(i);
      if (layer.ssrc() == 0 || layer.counters().packets == 0 || count == blocks_.size()) continue;
      blocks_[count++] = layer.statistics().make_report_block(layer.ssrc(), now_ms);
    }
  }
  if (count == 0) return 0;
  return rtp::build_receiver_report(publisher.feedback_ssrc,
                                    std::span<const rtp::ReportBlock>(blocks_.data(), count), out);
}

}  // namespace sfu
