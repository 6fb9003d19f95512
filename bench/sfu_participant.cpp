#include "bench/sfu_participant.h"

#include "bench/packet_stamp.h"

namespace sfu::bench {

SfuParticipant::SfuParticipant(uv_loop_t* loop, client::ParticipantClient::Options options,
                               std::optional<MediaSourceConfig> media, ParticipantSpec spec,
                               ReceiveAccounting accounting, ReceiverStats& stats,
                               const MeasurementWindow& window)
    : BenchParticipant(std::move(spec), std::move(accounting), stats, window),
      loop_(loop),
      client_(loop,
              [&] {
                options.publish_audio = media && media->audio;
                options.publish_video = media && media->video_pps > 0;
                return options;
              }()),
      media_(media) {}

bool SfuParticipant::start(std::string* error) {
  if (!client_.start(error)) return false;
  if (media_) {
    // The SSRCs the client announces in its publish offer.
    sdp::SessionDescription offer = client_.make_publish_offer();
    for (const auto& section : offer.media) {
      if (section.ssrcs.empty()) continue;
      uint32_t ssrc = section.ssrcs.front().ssrc;
      if (const sdp::SsrcGroup* fid = section.find_ssrc_group("FID"); fid && !fid->ssrcs.empty())
        ssrc = fid->ssrcs.front();
      if (section.kind == sdp::MediaKind::kAudio) media_->audio_ssrc = ssrc;
      if (section.kind == sdp::MediaKind::kVideo) media_->video_ssrc = ssrc;
    }
    media_->audio_payload_type = client::kOpusPayloadType;
    media_->video_payload_type = client::kVp8PayloadType;
    media_->ext_audio_level = client::kExtIdAudioLevel;
    media_->ext_abs_send_time = client::kExtIdAbsSendTime;
    media_->ext_transport_cc = client::kExtIdTransportCc;
    media_->ext_mid = client::kExtIdMid;
    source_.emplace(*media_);
    client_.publish_connection().on_rtcp = [this](uint8_t* data, size_t size) {
      on_publish_rtcp(data, size);
    };
  }
  client_.subscribe_connection().on_rtp = [this](uint8_t* data, size_t size) {
    accounting_.on_rtp(data, size, monotonic_ns(), window_, stats_);
  };
  return true;
}

bool SfuParticipant::ready() const {
  if (source_ && !client_.publish_connected()) return false;
  if (accounting_.expected_stream_count() == 0) return true;
  return client_.subscribe_connected() && accounting_.receiving_all();
}

void SfuParticipant::pump(uint64_t now_ns) {
  if (!source_ || !media_on_ || !client_.publish_connected()) return;
  if (!source_->started()) source_->start(now_ns);
  bool sent = false;
  for (auto kind = source_->next_due(now_ns); kind != SyntheticMediaSource::Kind::kNone;
       kind = source_->next_due(now_ns)) {
    size_t size = source_->build(kind, now_ns, &window_, MutableByteSpan(buffer_));
    if (size > 0) sent |= client_.publish_connection().send_rtp(ByteSpan(buffer_.data(), size));
  }
  if (sent) client_.publish_connection().flush();
}

void SfuParticipant::close() {
  media_on_ = false;
  client_.close_signaling();
}

void SfuParticipant::leave() {
  media_on_ = false;
  client_.leave();
  client_.close_signaling();
}

void SfuParticipant::on_publish_rtcp(const uint8_t* data, size_t size) {
  source_->on_feedback(ByteSpan(data, size));
}

std::string SfuParticipant::failure() const {
  if (!client_.failures().empty()) return client_.failures().front();
  if (!client_.errors().empty()) return "server error: " + client_.errors().front().dump();
  for (const client::WebRtcClient* connection :
       {&client_.publish_connection(), &client_.subscribe_connection()})
    if (connection->state() == client::WebRtcClient::State::Failed) return connection->failure_reason();
  return {};
}

std::string SfuParticipant::describe() const {
  std::string out =
      spec_.name + " (" + client_.participant_id() + "): joined " + std::to_string(client_.joined()) +
      ", publish connected " + std::to_string(client_.publish_connected()) + ", subscribe connected " +
      std::to_string(client_.subscribe_connected()) + ", streams " +
      std::to_string(accounting_.streams_seen()) + "/" + std::to_string(accounting_.expected_stream_count());
  if (auto f = failure(); !f.empty()) out += ", failure: " + f;
  return out;
}

}  // namespace sfu::bench
