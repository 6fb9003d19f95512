#include "bench/sfu_participant.h"

#include <algorithm>

#include "bench/packet_stamp.h"
#include "dtls/sctp_stack.h"

namespace sfu::bench {

SfuParticipant::SfuParticipant(uv_loop_t* loop, client::ParticipantClient::Options options,
                               std::optional<MediaSourceConfig> media, ParticipantSpec spec,
                               ReceiveAccounting accounting, ReceiverStats& stats,
                               const MeasurementWindow& window, std::optional<DataSourceConfig> data,
                               std::optional<DataReceiveAccounting> data_accounting)
    : BenchParticipant(std::move(spec), std::move(accounting), stats, window),
      loop_(loop),
      client_(loop,
              [&] {
                options.publish_audio = media && media->audio;
                options.publish_video = media && media->video_pps > 0;
                // The offer then declares the rids (q, h, f) and the rid extension.
                if (media && media->simulcast_layers > 0) options.simulcast_layers = media->simulcast_layers;
                // A join storm (hundreds joining one room at once) is admitted at the pace the
                // server can announce it: refused joins (overloaded) are sent again.
                if (options.join_retry_ms == 0) options.join_retry_ms = 50;
                if (data_accounting) {
                  options.sctp_mailbox = dtls::SctpMailbox::current();
                  // Only publishers have a publish connection, with or without data.
                  options.auto_publish = media.has_value() || data.has_value();
                }
                return options;
              }()),
      media_(media) {
  if (data) {
    data_source_.emplace(*data);
    data_buffer_.resize(data_source_->config().size);
  }
  data_accounting_ = std::move(data_accounting);
}

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
    media_->ext_rid = client::kExtIdRid;
    source_.emplace(*media_);
    client_.publish_connection().on_rtcp = [this](uint8_t* data, size_t size) {
      on_publish_rtcp(data, size);
    };
  }
  client_.subscribe_connection().on_rtp = [this](uint8_t* data, size_t size) {
    accounting_.on_rtp(data, size, monotonic_ns(), window_, stats_);
  };
  if (data_accounting_) {
    if (!client_.subscribe_data()) {
      *error = "a data load needs an SctpMailbox on the client thread";
      return false;
    }
    hook_data_receiver();
  }
  return true;
}

void SfuParticipant::hook_data_receiver() {
  client::ClientDataChannels& data = *client_.subscribe_data();
  data.on_message = [this](const dtls::DataChannelInfo& channel, bool, ByteSpan message) {
    data_accounting_->on_message(channel.label, message, monotonic_ns(), window_, stats_.data);
  };
  data.on_close = [this](const dtls::DataChannelInfo& channel) {
    data_accounting_->on_channel_closed(channel.label, monotonic_ns(), window_);
  };
}

bool SfuParticipant::ready() const {
  if (source_ && !client_.publish_connected()) return false;
  if (data_source_ && !data_channels_) return false;
  if (data_accounting_ && !data_accounting_->receiving_all()) return false;
  if (accounting_.expected_stream_count() == 0) return true;
  return client_.subscribe_connected() && accounting_.receiving_all();
}

void SfuParticipant::pump(uint64_t now_ns) {
  if (!media_on_) return;
  pump_layer_requests(now_ns);
  pump_media(now_ns);
  pump_data(now_ns);
}

bool SfuParticipant::open_data_channels() {
  client::ClientDataChannels* data = client_.publish_data();
  if (!data || !data->ready()) return false;
  dtls::SctpReliability unreliable;
  unreliable.ordered = false;
  unreliable.kind = dtls::SctpReliability::Kind::kMaxRetransmits;
  unreliable.value = 0;
  auto reliable_id = data->open(kReliableDataLabel, dtls::SctpReliability{});
  auto unreliable_id = data->open(kUnreliableDataLabel, unreliable);
  if (!reliable_id || !unreliable_id) return false;
  data_channels_ = std::array<uint16_t, 2>{*reliable_id, *unreliable_id};
  return true;
}

void SfuParticipant::pump_data(uint64_t now_ns) {
  if (!data_source_ || (!data_channels_ && !open_data_channels())) return;
  dtls::DataChannelEndpoint* endpoint = client_.publish_data()->endpoint();
  if (!data_source_->started()) data_source_->start(now_ns);
  bool sent = false;
  for (DataChannelKind kind : kDataChannelKinds) {
    uint16_t channel = (*data_channels_)[static_cast<size_t>(kind)];
    while (data_source_->due(kind, now_ns)) {
      size_t size = data_source_->build(kind, now_ns, MutableByteSpan(data_buffer_));
      auto result = endpoint->send(channel, /*binary=*/true, ByteSpan(data_buffer_.data(), size));
      if (result != dtls::SctpAssociation::SendResult::kSent) {
        data_source_->refused(kind, result == dtls::SctpAssociation::SendResult::kBufferFull);
        break;
      }
      data_source_->sent(kind, now_ns, &window_);
      sent = true;
    }
  }
  // One flush for the tick's messages (ClientDataChannels::send would flush per message).
  if (sent) client_.publish_connection().flush();
}

void SfuParticipant::pump_media(uint64_t now_ns) {
  if (!source_ || !client_.publish_connected()) return;
  if (!source_->started()) source_->start(now_ns);
  bool sent = false;
  for (auto kind = source_->next_due(now_ns); kind != SyntheticMediaSource::Kind::kNone;
       kind = source_->next_due(now_ns)) {
    size_t size = source_->build(kind, now_ns, &window_, MutableByteSpan(buffer_));
    if (size > 0) sent |= client_.publish_connection().send_rtp(ByteSpan(buffer_.data(), size));
  }
  if (sent) client_.publish_connection().flush();
}

void SfuParticipant::ask_video_layer(uint32_t layer, std::optional<uint32_t> fault_layer) {
  video_layer_ = layer;
  fault_layer_ = fault_layer;
}

void SfuParticipant::send_layer_request(const std::pair<std::string, std::string>& track, uint32_t layer) {
  client_.send_signaling({{"type", "track_settings"},
                          {"participant_id", track.first},
                          {"track_id", track.second},
                          {"max_layer", layer}});
}

void SfuParticipant::pump_layer_requests(uint64_t now_ns) {
  if (!video_layer_) return;
  if (!layer_requests_done_) {
    // Until every publisher's video has been asked (the setup phase, not the measured one).
    size_t videos = 0;
    for (uint32_t stream = 1; stream < accounting_.stream_count(); stream += 2)
      videos += accounting_.expects(stream);
    for (const client::SubscribedMedia& media : client_.subscribed_media()) {
      if (!media.active || media.kind != sdp::MediaKind::kVideo) continue;
      std::pair<std::string, std::string> track{media.participant_id, media.track_id};
      if (std::find(layer_requested_.begin(), layer_requested_.end(), track) != layer_requested_.end())
        continue;
      send_layer_request(track, *video_layer_);
      layer_requested_.push_back(std::move(track));
    }
    layer_requests_done_ = layer_requested_.size() >= videos;
  }
  if (fault_layer_ && !fault_sent_ && now_ns >= window_.start_ns.load(std::memory_order_relaxed)) {
    for (const auto& track : layer_requested_) send_layer_request(track, *fault_layer_);
    fault_sent_ = true;
  }
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
  if (data_source_) out += ", data channels opened " + std::to_string(data_channels_.has_value());
  if (data_accounting_)
    out += ", data streams " + std::to_string(data_accounting_->streams_seen()) + "/" +
           std::to_string(data_accounting_->expected_stream_count());
  if (auto f = failure(); !f.empty()) out += ", failure: " + f;
  return out;
}

}  // namespace sfu::bench
