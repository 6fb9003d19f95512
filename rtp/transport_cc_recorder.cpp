#include "rtp/transport_cc_recorder.h"

#include <algorithm>

#include "rtp/rtcp_builder.h"

namespace sfu::rtp {
namespace {
constexpr int64_t kTickUs = 250;             // delta resolution
constexpr int64_t kReferenceUnitUs = 64000;  // reference time resolution
}  // namespace

void TransportCcRecorder::on_packet(uint16_t transport_sequence, uint64_t arrival_us) {
  int64_t extended = unwrapper_.unwrap(transport_sequence);
  if (next_to_report_ < 0) {
    next_to_report_ = extended;
    highest_ = extended - 1;
  }
  if (extended < next_to_report_) return;  // reported as lost already; too late to matter
  if (extended > highest_) {
    // Slots between the old highest and this one have not arrived (yet).
    for (int64_t s = std::max(highest_ + 1, extended - static_cast<int64_t>(kMaxPackets) + 1); s < extended;
         ++s)
      slot(s) = kNotReceived;
    highest_ = extended;
  }
  if (highest_ - next_to_report_ >= static_cast<int64_t>(kMaxPackets))
    next_to_report_ = highest_ - static_cast<int64_t>(kMaxPackets) + 1;
  slot(extended) = static_cast<int64_t>(arrival_us);
}

size_t TransportCcRecorder::build_feedback(uint32_t sender_ssrc, uint32_t media_ssrc, MutableByteSpan out) {
  if (next_to_report_ < 0 || highest_ < next_to_report_) return 0;
  size_t count = static_cast<size_t>(highest_ - next_to_report_ + 1);
  // The first packet of a feedback must have arrived: its time is the reference.
  int64_t first_arrival = kNotReceived;
  for (int64_t s = next_to_report_; s <= highest_ && first_arrival == kNotReceived; ++s)
    first_arrival = slot(s);
  if (first_arrival == kNotReceived) return 0;
  int64_t reference = first_arrival / kReferenceUnitUs;
  int64_t previous_us = reference * kReferenceUnitUs;
  for (size_t i = 0; i < count; ++i) {
    int64_t extended = next_to_report_ + static_cast<int64_t>(i);
    int64_t arrival = slot(extended);
    TransportCcPacketStatus& status = statuses_[i];
    status.sequence_number = static_cast<uint16_t>(extended);
    status.received = arrival != kNotReceived;
    status.delta_us = 0;
    if (status.received) {
      // Rounded to the 250 us grid, measured from the previous *reported* time so that the
      // rounding never accumulates.
      int64_t ticks =
          (arrival - previous_us + (arrival >= previous_us ? kTickUs / 2 : -kTickUs / 2)) / kTickUs;
      status.delta_us = static_cast<int32_t>(ticks * kTickUs);
      previous_us += ticks * kTickUs;
    }
  }
  TransportCcFields fields;
  fields.sender_ssrc = sender_ssrc;
  fields.media_ssrc = media_ssrc;
  fields.reference_time = static_cast<int32_t>(reference & 0x7FFFFF);
  fields.feedback_count = feedback_count_;
  size_t size =
      build_transport_cc(fields, std::span<const TransportCcPacketStatus>(statuses_.data(), count), out);
  if (size == 0) return 0;
  ++feedback_count_;
  ++feedbacks_built_;
  next_to_report_ = highest_ + 1;
  return size;
}

}  // namespace sfu::rtp
