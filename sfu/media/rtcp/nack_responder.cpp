#include "sfu/media/rtcp/nack_responder.h"

#include <cstring>

#include "sfu/media/down_track.h"
#include "sfu/media/participant.h"
#include "sfu/media/published_track.h"

namespace sfu {

NackResponder::Result& NackResponder::Result::operator+=(const Result& other) {
  resent += other.resent;
  missed += other.missed;
  duplicate += other.duplicate;
  over_budget += other.over_budget;
  unsendable += other.unsendable;
  return *this;
}

NackResponder::Result NackResponder::answer(DownTrack& down, const rtp::GenericNack& nack, uint64_t now_ms) {
  Result total;
  nack.for_each_lost([&](uint16_t seq) { total += answer_one(down, seq, now_ms); });
  return total;
}

NackResponder::Result NackResponder::answer_one(DownTrack& down, uint16_t subscriber_seq, uint64_t now_ms) {
  // The layer the subscriber receives now; what it got of an earlier layer is gone from its space.
  LayerStream& source = down.source().layer(down.current_layer());
  const uint16_t seq = down.to_source_sequence(subscriber_seq);
  if (down.started() && !down.in_current_layer(seq)) return {.missed = 1};
  auto stored = source.stored_packet(seq, now_ms);
  if (!stored || stored->size() > copy_.size()) return {.missed = 1};
  if (!down.active() || !down.started()) return {.unsendable = 1};
  // Checked before the budget, so repeats cost the subscriber nothing; marked only once the
  // budget allows, so a packet refused for the budget may be asked for again.
  const uint32_t recipient = down.ssrc();
  if (source.resent_recently(seq, now_ms, options_.min_resend_interval_ms, recipient))
    return {.duplicate = 1};
  if (!down.subscriber().retransmission_budget.try_spend(now_ms, options_.retransmissions_per_second))
    return {.over_budget = 1};
  source.mark_resent(seq, now_ms, options_.min_resend_interval_ms, recipient);
  std::memcpy(copy_.data(), stored->data(), stored->size());
  auto packet = rtp::RtpPacket::parse(MutableByteSpan(copy_.data(), stored->size()));
  if (!packet) return {.unsendable = 1};
  MediaSink& sink = down.sink();
  MutableByteSpan slot = sink.acquire_send();
  size_t size = down.rewrite_retransmission(*packet, rtx_scratch_, slot);
  if (size == 0) return {.unsendable = 1};
  // A sink that refuses (send ring full) counts the drop itself.
  return sink.commit_media(slot, size, MediaClass::kRetransmission) ? Result{.resent = 1} : Result{};
}

}  // namespace sfu
