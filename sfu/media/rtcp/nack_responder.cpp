#include "sfu/media/rtcp/nack_responder.h"

#include <cstring>

#include "sfu/media/down_track.h"
#include "sfu/media/published_track.h"

namespace sfu {

NackResponder::Result NackResponder::answer(DownTrack& down, const rtp::GenericNack& nack, uint64_t now_ms) {
  Result total;
  nack.for_each_lost([&](uint16_t seq) {
    Result one = answer_one(down, seq, now_ms);
    total.resent += one.resent;
    total.missed += one.missed;
  });
  return total;
}

NackResponder::Result NackResponder::answer_one(DownTrack& down, uint16_t subscriber_seq, uint64_t now_ms) {
  auto stored = down.source().stored_packet(down.to_source_sequence(subscriber_seq), now_ms);
  if (!stored || stored->size() > copy_.size()) return {0, 1};
  std::memcpy(copy_.data(), stored->data(), stored->size());
  auto packet = rtp::RtpPacket::parse(MutableByteSpan(copy_.data(), stored->size()));
  if (!packet) return {};
  MediaSink& sink = down.sink();
  MutableByteSpan slot = sink.acquire_send();
  size_t size = down.rewrite_retransmission(*packet, rtx_scratch_, slot);
  if (size > 0 && sink.commit_rtp(slot, size)) return {1, 0};
  return {};
}

}  // namespace sfu
