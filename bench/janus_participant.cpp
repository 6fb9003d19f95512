#include "bench/janus_participant.h"

#include "base/random.h"
#include "bench/janus_sdp.h"
#include "bench/packet_stamp.h"

namespace sfu::bench {

JanusParticipant::JanusParticipant(uv_loop_t* loop, JanusSignaling& signaling, std::string bind_ip,
                                   std::optional<MediaSourceConfig> media, ParticipantSpec spec,
                                   ReceiveAccounting accounting, ReceiverStats& stats,
                                   const MeasurementWindow& window)
    : BenchParticipant(std::move(spec), std::move(accounting), stats, window),
      loop_(loop),
      signaling_(signaling),
      bind_ip_(std::move(bind_ip)) {
  if (media) {
    media->audio_payload_type = client::kOpusPayloadType;
    media->video_payload_type = client::kVp8PayloadType;
    media->ext_audio_level = client::kExtIdAudioLevel;
    media->ext_abs_send_time = client::kExtIdAbsSendTime;
    media->ext_transport_cc = client::kExtIdTransportCc;
    media->ext_mid = client::kExtIdMid;
    source_.emplace(*media);
  }
}

bool JanusParticipant::start(std::string* error) {
  certificate_ = dtls::DtlsCertificate::generate(error);
  if (!certificate_) return false;
  auto bind = SocketAddress::from_ip(bind_ip_, 0);
  if (!bind) {
    *error = "bad bind address " + bind_ip_;
    return false;
  }
  if (source_) {
    publish_ = std::make_unique<client::WebRtcClient>(loop_, certificate_, dtls::DtlsRole::Server, true);
    if (!publish_->open(*bind, error)) return false;
    publish_->on_rtcp = [this](uint8_t* data, size_t size) { on_publish_rtcp(data, size); };
    client::PublishOfferParams params;
    params.transport = {publish_->ice_ufrag(), publish_->ice_pwd(), publish_->fingerprint()};
    params.stream_id = spec_.name;
    params.cname = spec_.name;
    params.audio = source_->config().audio;
    params.video = source_->config().video_pps > 0;
    params.audio_track_id = spec_.name + "-audio";
    params.video_track_id = spec_.name + "-video";
    params.audio_ssrc = source_->config().audio_ssrc;
    params.video_ssrc = source_->config().video_ssrc;
    params.video_rtx_ssrc = source_->config().video_ssrc + 0x100;
    params.session_id = random_value<uint64_t>() & 0x3FFFFFFFFFFFFFFFull;
    publish_job_ = std::make_shared<JanusJob>();
    publish_job_->kind = JanusJob::Kind::kPublish;
    publish_job_->room = spec_.room;
    publish_job_->publisher_index = spec_.publisher_index;
    publish_job_->sdp = sdp::write_sdp(janus_publish_offer(params, publish_->local_address()));
    signaling_.post(publish_job_);
  }
  if (accounting_.expected_stream_count() > 0) {
    subscribe_ = std::make_unique<client::WebRtcClient>(loop_, certificate_, dtls::DtlsRole::Client, false);
    if (!subscribe_->open(*bind, error)) return false;
    subscribe_->on_rtp = [this](uint8_t* data, size_t size) {
      accounting_.on_rtp(data, size, monotonic_ns(), window_, stats_);
    };
    subscribe_job_ = std::make_shared<JanusJob>();
    subscribe_job_->kind = JanusJob::Kind::kSubscribe;
    subscribe_job_->room = spec_.room;
    subscribe_job_->publisher_index = spec_.publisher_index;
    signaling_.post(subscribe_job_);
  }
  return true;
}

void JanusParticipant::poll_signaling() {
  auto connect = [this](client::WebRtcClient& connection, const std::string& remote_sdp, const char* what) {
    auto parsed = sdp::parse_sdp(remote_sdp);
    if (auto* e = std::get_if<sdp::SdpError>(&parsed))
      return fail(std::string(what) + ": bad SDP: " + e->to_string());
    auto endpoint = client::server_endpoint_of(std::get<sdp::SessionDescription>(parsed));
    if (auto* e = std::get_if<std::string>(&endpoint)) return fail(std::string(what) + ": " + *e);
    const auto& server = std::get<client::ServerEndpoint>(endpoint);
    connection.connect({server.address, server.ice_ufrag, server.ice_pwd, server.fingerprint});
  };
  if (publish_job_ && publish_job_->done) {
    auto job = std::move(publish_job_);
    if (!job->error.empty()) return fail(job->error);
    connect(*publish_, job->remote_sdp, "publish answer");
  }
  if (subscribe_job_ && subscribe_job_->done) {
    auto job = std::move(subscribe_job_);
    if (!job->error.empty()) return fail(job->error);
    auto parsed = sdp::parse_sdp(job->remote_sdp);
    if (auto* e = std::get_if<sdp::SdpError>(&parsed))
      return fail("subscribe offer: bad SDP: " + e->to_string());
    client::ClientTransport transport{subscribe_->ice_ufrag(), subscribe_->ice_pwd(),
                                      subscribe_->fingerprint()};
    auto answer = client::build_subscribe_answer(std::get<sdp::SessionDescription>(parsed), transport,
                                                 random_value<uint64_t>() & 0x3FFFFFFFFFFFFFFFull, 2);
    if (auto* e = std::get_if<std::string>(&answer)) return fail("subscribe answer: " + *e);
    auto& description = std::get<client::SubscribeAnswer>(answer).answer;
    add_host_candidate(description, subscribe_->local_address());
    start_job_ = std::make_shared<JanusJob>();
    start_job_->kind = JanusJob::Kind::kStart;
    start_job_->room = spec_.room;
    start_job_->handle = job->result_handle;
    start_job_->sdp = sdp::write_sdp(description);
    signaling_.post(start_job_);
    connect(*subscribe_, job->remote_sdp, "subscribe offer");
  }
  if (start_job_ && start_job_->done) {
    auto job = std::move(start_job_);
    if (!job->error.empty()) return fail(job->error);
  }
}

bool JanusParticipant::ready() const {
  if (publish_ && !publish_->connected()) return false;
  if (accounting_.expected_stream_count() == 0) return true;
  return subscribe_ && subscribe_->connected() && accounting_.receiving_all();
}

void JanusParticipant::pump(uint64_t now_ns) {
  if (closed_) return;
  poll_signaling();
  if (!source_ || !media_on_ || !publish_ || !publish_->connected()) return;
  if (!source_->started()) source_->start(now_ns);
  bool sent = false;
  for (auto kind = source_->next_due(now_ns); kind != SyntheticMediaSource::Kind::kNone;
       kind = source_->next_due(now_ns)) {
    size_t size = source_->build(kind, now_ns, &window_, MutableByteSpan(buffer_));
    if (size > 0) sent |= publish_->send_rtp(ByteSpan(buffer_.data(), size));
  }
  if (sent) publish_->flush();
}

void JanusParticipant::on_publish_rtcp(const uint8_t* data, size_t size) {
  source_->on_feedback(ByteSpan(data, size));
}

std::string JanusParticipant::failure() const {
  if (!failure_.empty()) return failure_;
  for (const auto* connection : {publish_.get(), subscribe_.get()})
    if (connection && connection->state() == client::WebRtcClient::State::Failed)
      return connection->failure_reason();
  return {};
}

std::string JanusParticipant::describe() const {
  auto state = [](const client::WebRtcClient* c) -> std::string {
    if (!c) return "-";
    switch (c->state()) {
      case client::WebRtcClient::State::New:
        return "new";
      case client::WebRtcClient::State::Checking:
        return "checking";
      case client::WebRtcClient::State::IceConnected:
        return "ice-connected";
      case client::WebRtcClient::State::Connected:
        return "connected";
      case client::WebRtcClient::State::Failed:
        return "failed";
    }
    return "?";
  };
  std::string out = spec_.name + ": publish " + state(publish_.get()) + ", subscribe " +
                    state(subscribe_.get()) + ", streams " + std::to_string(accounting_.streams_seen()) +
                    "/" + std::to_string(accounting_.expected_stream_count());
  if (subscribe_)
    out += ", sub rtp " + std::to_string(subscribe_->counters().rtp_received) + " srtp errors " +
           std::to_string(subscribe_->counters().srtp_errors);
  if (auto f = failure(); !f.empty()) out += ", failure: " + f;
  return out;
}

}  // namespace sfu::bench
