#include "bench/soak/feedback_flooder.h"

#include "bench/packet_stamp.h"
#include "bench/soak/text_table.h"
#include "rtp/rtcp_builder.h"
#include "rtp/rtp_packet.h"

namespace sfu::soak {
namespace {

constexpr uint32_t kFlooderSsrc = 0x0F100D;

client::ParticipantClient::Options receive_only(const FaultTarget& target, const char* name) {
  client::ParticipantClient::Options options;
  options.server_host = target.host;
  options.server_port = target.port;
  options.path = target.path;
  options.bind_ip = target.bind_ip;
  options.room = target.room;
  options.name = name;
  options.publish_audio = false;
  options.publish_video = false;
  return options;
}

}  // namespace

FeedbackFlooder::FeedbackFlooder(uv_loop_t* loop, const FaultTarget& target, Kind kind, uint64_t interval_ms,
                                 uint16_t nack_span)
    : kind_(kind),
      interval_ns_(interval_ms * 1'000'000ull),
      nack_span_(nack_span),
      client_(loop, receive_only(target, kind == Kind::kNack ? "nack-flooder" : "pli-flooder")),
      lost_(nack_span) {}

bool FeedbackFlooder::start(std::string* error) {
  if (!client_.start(error)) return false;
  client_.subscribe_connection().on_rtp = [this](uint8_t* data, size_t size) { on_rtp(data, size); };
  return true;
}

bool FeedbackFlooder::active() const { return flooding_; }

std::string FeedbackFlooder::failure() const {
  if (!client_.failures().empty()) return client_.failures().front();
  if (client_.subscribe_connection().state() == client::WebRtcClient::State::Failed)
    return client_.subscribe_connection().failure_reason();
  return {};
}

void FeedbackFlooder::on_rtp(uint8_t* data, size_t size) {
  auto packet = rtp::RtpPacket::parse(MutableByteSpan(data, size));
  if (!packet) return;
  if (video_ssrc_ == 0) {
    for (const client::SubscribedMedia& media : client_.subscribed_media()) {
      if (media.kind != sdp::MediaKind::kVideo || !media.active) continue;
      video_ssrc_ = media.ssrc;
      rtx_ssrc_ = media.rtx_ssrc;
    }
  }
  if (flooding_) {
    ++media_received_;
    if (packet->ssrc() == rtx_ssrc_) ++repairs_received_;
  }
  if (packet->ssrc() != video_ssrc_ || video_ssrc_ == 0) return;
  uint16_t seq = packet->sequence_number();
  if (!seen_video_ || static_cast<int16_t>(seq - highest_seq_) > 0) highest_seq_ = seq;
  seen_video_ = true;
}

void FeedbackFlooder::tick(uint64_t now_ns) {
  if (!flooding_) {
    if (!seen_video_ || !client_.subscribe_connected()) return;
    flooding_ = true;
    flood_start_ns_ = now_ns;
    next_send_ns_ = now_ns;
  }
  if (now_ns < next_send_ns_ || flood_end_ns_ != 0) return;
  next_send_ns_ += interval_ns_;
  if (next_send_ns_ < now_ns) next_send_ns_ = now_ns + interval_ns_;  // no bursts after a stall
  send_feedback();
}

void FeedbackFlooder::send_feedback() {
  MutableByteSpan out(packet_);
  size_t size = rtp::build_receiver_report(kFlooderSsrc, {}, out);
  if (kind_ == Kind::kNack) {
    for (uint16_t i = 0; i < nack_span_; ++i)
      lost_[i] = static_cast<uint16_t>(highest_seq_ - nack_span_ + 1 + i);
    size += rtp::build_generic_nack(kFlooderSsrc, video_ssrc_, lost_, out.subspan(size));
    sequence_numbers_nacked_ += nack_span_;
  } else {
    size += rtp::build_pli(kFlooderSsrc, video_ssrc_, out.subspan(size));
  }
  if (client_.subscribe_connection().send_rtcp(ByteSpan(packet_.data(), size))) {
    client_.subscribe_connection().flush();
    ++feedback_sent_;
  }
}

void FeedbackFlooder::stop() {
  if (flood_end_ns_ == 0) flood_end_ns_ = bench::monotonic_ns();
  client_.close_signaling();
}

std::vector<FaultFigure> FeedbackFlooder::figures() const {
  double seconds =
      flood_start_ns_
          ? static_cast<double>((flood_end_ns_ ? flood_end_ns_ : bench::monotonic_ns()) - flood_start_ns_) /
                1e9
          : 0;
  std::vector<FaultFigure> out;
  out.push_back({"flood duration", fixed(seconds, 1) + " s"});
  out.push_back({kind_ == Kind::kNack ? "NACK packets sent by the flooder" : "PLIs sent by the flooder",
                 std::to_string(feedback_sent_)});
  if (kind_ == Kind::kNack)
    out.push_back({"sequence numbers NACKed", std::to_string(sequence_numbers_nacked_)});
  out.push_back({"packets the flooder received during the flood", std::to_string(media_received_)});
  out.push_back({"of which repairs (RTX)", std::to_string(repairs_received_)});
  return out;
}

}  // namespace sfu::soak
