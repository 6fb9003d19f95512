#include "bench/client/participant_client.h"

#include <openssl/rand.h>

#include <algorithm>

#include "dtls/dtls_certificate.h"
#include "rtp/keyframe_detector.h"
#include "rtp/rtcp_packet.h"
#include "rtp/rtcp_parser.h"
#include "rtp/rtp_packet.h"
#include "rtp/vp8_descriptor.h"

namespace sfu::client {
namespace {

constexpr uint64_t kMediaTickMs = 5;
constexpr uint64_t kAudioIntervalMs = 20;
constexpr uint32_t kAudioTimestampStep = 960;  // 20 ms at 48 kHz
constexpr size_t kAudioPayloadSize = 100;
constexpr size_t kVideoPayloadSize = 1000;
constexpr int kPacketsPerFrame = 3;
// After a stall (a slow sanitizer build, a paused debugger) catch up by at most this many packets
// per tick, then drop the backlog: a real encoder does not send the frames it missed.
constexpr uint64_t kMaxCatchUp = 5;
constexpr uint16_t kVideoWidth = 640;
constexpr uint16_t kVideoHeight = 480;

std::string random_token(size_t length) {
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  std::vector<uint8_t> random(length);
  RAND_bytes(random.data(), static_cast<int>(length));
  std::string out;
  for (uint8_t byte : random) out += kAlphabet[byte % 36];
  return out;
}

template <typename T>
T random_value() {
  T value{};
  while (value == T{}) RAND_bytes(reinterpret_cast<uint8_t*>(&value), sizeof(value));
  return value;
}

ClientTransport transport_of(const WebRtcClient& client) {
  return {client.ice_ufrag(), client.ice_pwd(), client.fingerprint()};
}

std::string string_or_empty(const nlohmann::json& message, const char* key) {
  auto it = message.find(key);
  return it != message.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

ParticipantClient::ParticipantClient(uv_loop_t* loop, Options options)
    : loop_(loop),
      options_(std::move(options)),
      certificate_(dtls::DtlsCertificate::generate()),
      signaling_(std::make_unique<SignalingClient>(loop)) {
  stream_id_ = "stream-" + random_token(10);
  audio_track_id_ = "audio-" + random_token(10);
  video_track_id_ = "video-" + random_token(10);
  cname_ = random_token(16);
  audio_ssrc_ = random_value<uint32_t>();
  video_ssrc_ = random_value<uint32_t>();
  video_rtx_ssrc_ = random_value<uint32_t>();
  audio_seq_ = random_value<uint16_t>();
  video_seq_ = random_value<uint16_t>();
  audio_timestamp_ = random_value<uint32_t>();
  video_timestamp_ = random_value<uint32_t>();
  subscribe_session_id_ = random_value<uint64_t>() & 0x3FFFFFFFFFFFFFFFull;
  if (options_.simulcast_layers >= 2)
    simulcast_ = std::make_unique<SimulcastVideo>(
        options_.simulcast_layers,
        SimulcastVideo::ExtensionIds{kExtIdAbsSendTime, kExtIdTransportCc, kExtIdMid, kExtIdRid});
  for (uv_timer_t** timer : {&media_timer_, &answer_timer_, &join_timer_}) {
    *timer = new uv_timer_t;
    uv_timer_init(loop_, *timer);
    (*timer)->data = this;
  }
}

ParticipantClient::~ParticipantClient() {
  publish_data_.reset();
  subscribe_data_.reset();
  for (uv_timer_t* timer : {media_timer_, answer_timer_, join_timer_}) {
    timer->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(timer),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  }
}

bool ParticipantClient::start(std::string* error) {
  if (!certificate_) {
    if (error) *error = "could not generate a DTLS certificate";
    return false;
  }
  auto bind = SocketAddress::from_ip(options_.bind_ip, 0);
  if (!bind) {
    if (error) *error = "bind_ip is not an IP address: " + options_.bind_ip;
    return false;
  }
  publish_ = std::make_unique<WebRtcClient>(loop_, certificate_, dtls::DtlsRole::Client, true);
  subscribe_ = std::make_unique<WebRtcClient>(loop_, certificate_, dtls::DtlsRole::Client, true);
  if (!publish_->open(*bind, error) || !subscribe_->open(*bind, error)) return false;
  if (options_.ice_tcp) {
    publish_->use_ice_tcp();
    subscribe_->use_ice_tcp();
  }
  if (options_.hold_dtls) {
    publish_->hold_dtls();
    subscribe_->hold_dtls();
  }
  publish_->on_rtcp = [this](uint8_t* data, size_t size) { on_publish_rtcp(data, size); };
  if (options_.sctp_mailbox) {
    publish_data_ = std::make_unique<ClientDataChannels>(*publish_, *options_.sctp_mailbox);
    subscribe_data_ = std::make_unique<ClientDataChannels>(*subscribe_, *options_.sctp_mailbox);
  }
  subscribe_->on_rtp = [this](uint8_t* data, size_t size) { on_subscribe_rtp(data, size); };

  nlohmann::json join = {{"type", "join"}, {"room", options_.room}, {"name", options_.name}};
  if (!options_.token.empty()) join["token"] = options_.token;
  if (options_.stay) join["stay"] = true;
  join_message_ = join;
  return connect_signaling(std::move(join), error);
}

bool ParticipantClient::connect_signaling(nlohmann::json first_message, std::string* error) {
  if (signaling_->state() != SignalingClient::State::Idle)
    signaling_ = std::make_unique<SignalingClient>(loop_);
  closing_signaling_ = false;
  SignalingClient::Callbacks callbacks;
  callbacks.on_open = [this, first = std::move(first_message)] { signaling_->send(first); };
  callbacks.on_message = [this](const nlohmann::json& message) { handle_message(message); };
  callbacks.on_close = [this](uint16_t code, const std::string& reason) {
    close_code_ = code;
    if (!closing_signaling_) fail("signaling closed: " + std::to_string(code) + " " + reason);
  };
  return signaling_->connect(options_.server_host, options_.server_port, options_.path, std::move(callbacks),
                             error);
}

void ParticipantClient::drop_signaling() {
  closing_signaling_ = true;
  signaling_->drop();
}

bool ParticipantClient::resume(const std::optional<std::string>& token, std::string* error) {
  if (signaling_->state() != SignalingClient::State::Closed) {
    if (error) *error = "the signaling socket is still open";
    return false;
  }
  return connect_signaling({{"type", "resume"},
                            {"room", options_.room},
                            {"participant_id", participant_id_},
                            {"resume_token", token.value_or(resume_token_)}},
                           error);
}

sdp::SessionDescription ParticipantClient::make_publish_offer() const {
  PublishOfferParams params;
  params.transport = transport_of(*publish_);
  params.stream_id = stream_id_;
  params.cname = cname_;
  params.audio = options_.publish_audio;
  params.video = options_.publish_video;
  params.audio_track_id = audio_track_id_;
  params.video_track_id = video_track_id_;
  params.audio_ssrc = audio_ssrc_;
  params.video_ssrc = video_ssrc_;
  params.video_rtx_ssrc = video_rtx_ssrc_;
  if (simulcast_) params.video_rids = simulcast_->rids();
  params.session_id = subscribe_session_id_ + 1;
  if (options_.sctp_mailbox) params.data_channel = options_.data_channel_options;
  params.audio_red = options_.publish_audio_red;
  return build_publish_offer(params);
}

bool ParticipantClient::publish() {
  if (!publish_) return false;
  return signaling_->send({{"type", "publish"}, {"sdp", sdp::write_sdp(make_publish_offer())}});
}

bool ParticipantClient::restart_publish_ice() {
  if (!publish_) return false;
  publish_->renew_ice_credentials();
  return publish();
}

bool ParticipantClient::request_subscribe_ice_restart() {
  return signaling_->send({{"type", "restart_ice"}, {"connection", "subscribe"}});
}

bool ParticipantClient::send_signaling(const nlohmann::json& message) { return signaling_->send(message); }

void ParticipantClient::leave() {
  stop_media();
  signaling_->send({{"type", "leave"}});
}

void ParticipantClient::close_signaling() {
  closing_signaling_ = true;
  signaling_->close(1000, "bye");
}

void ParticipantClient::fail(std::string what) { failures_.push_back(std::move(what)); }

size_t ParticipantClient::message_count(std::string_view type) const {
  auto it = message_counts_.find(type);
  return it == message_counts_.end() ? 0 : it->second;
}

ParticipantClient::ReceivedMedia ParticipantClient::received_from(const std::string& participant_id) const {
  auto it = received_.find(participant_id);
  return it == received_.end() ? ReceivedMedia{} : it->second;
}

uint64_t ParticipantClient::received_packets(const std::string& participant_id, sdp::MediaKind kind) const {
  ReceivedMedia media = received_from(participant_id);
  return kind == sdp::MediaKind::kAudio   ? media.audio_packets
         : kind == sdp::MediaKind::kVideo ? media.video_packets
                                          : 0;
}

uint64_t ParticipantClient::missing_packets(const std::string& participant_id, sdp::MediaKind kind) const {
  uint64_t missing = 0;
  for (const auto& [ssrc, owner] : ssrc_owners_)
    if (!owner.rtx && owner.participant_id == participant_id && owner.kind == kind)
      missing += owner.gaps.missing();
  return missing;
}

std::vector<uint16_t> ParticipantClient::missing_sequence_numbers(uint32_t ssrc, size_t max) const {
  auto it = ssrc_owners_.find(ssrc);
  return it == ssrc_owners_.end() ? std::vector<uint16_t>{} : it->second.gaps.missing_sequence_numbers(max);
}

void ParticipantClient::add_track(const std::string& participant_id, const std::string& track_id,
                                  const std::string& kind) {
  if (participant_id.empty() || track_id.empty()) return;
  tracks_by_participant_[participant_id][track_id] = kind;
}

// ---- signaling ----

void ParticipantClient::handle_message(const nlohmann::json& message) {
  std::string type = string_or_empty(message, "type");
  if (messages_.size() < options_.max_logged_messages) messages_.push_back(message);
  ++message_counts_[type];
  if (type == "joined") {
    handle_joined(message);
  } else if (type == "resumed") {
    handle_resumed(message);
  } else if (type == "publish_answer") {
    handle_publish_answer(message);
  } else if (type == "subscribe_offer") {
    handle_subscribe_offer(message);
  } else if (type == "participant_joined") {
    auto it = message.find("participant");
    if (it != message.end() && it->is_object()) {
      std::string id = string_or_empty(*it, "id");
      if (!id.empty()) participants_[id] = {id, string_or_empty(*it, "name")};
    }
  } else if (type == "participant_left") {
    std::string id = string_or_empty(message, "participant_id");
    participants_.erase(id);
    tracks_by_participant_.erase(id);
  } else if (type == "track_published") {
    auto track = message.find("track");
    if (track != message.end() && track->is_object())
      add_track(string_or_empty(message, "participant_id"), string_or_empty(*track, "id"),
                string_or_empty(*track, "kind"));
  } else if (type == "track_unpublished") {
    auto it = tracks_by_participant_.find(string_or_empty(message, "participant_id"));
    if (it != tracks_by_participant_.end()) it->second.erase(string_or_empty(message, "track_id"));
  } else if (type == "redirect") {
    follow_redirect(message);
  } else if (type == "error") {
    ++counters_.errors_received;
    errors_.push_back(message);
    retry_join_if_overloaded(message);
  }
  if (on_message) on_message(message);
}

// ws://host:port/path: the join goes again there. Only before `joined` (a drain's redirect of a
// joined participant needs new peer connections: the caller makes a new client for it).
void ParticipantClient::follow_redirect(const nlohmann::json& message) {
  std::string url = string_or_empty(message, "url");
  const std::string scheme = "ws://";
  size_t slash = url.find('/', scheme.size());
  size_t colon = url.rfind(':', slash);
  if (!participant_id_.empty() || url.rfind(scheme, 0) != 0 || slash == std::string::npos ||
      colon == std::string::npos || colon < scheme.size()) {
    if (participant_id_.empty()) fail("unusable redirect: " + message.dump());
    return;
  }
  std::string host = url.substr(scheme.size(), colon - scheme.size());
  if (host.size() > 2 && host.front() == '[') host = host.substr(1, host.size() - 2);
  options_.server_host = host;
  options_.server_port = static_cast<uint16_t>(std::stoul(url.substr(colon + 1, slash - colon - 1)));
  options_.path = url.substr(slash);
  ++redirects_;
  closing_signaling_ = true;
  signaling_->close(1000, "redirected");
  nlohmann::json join = {{"type", "join"}, {"room", options_.room}, {"name", options_.name}};
  if (!options_.token.empty()) join["token"] = options_.token;
  std::string error;
  if (!connect_signaling(std::move(join), &error)) fail("redirect to " + url + " failed: " + error);
}

void ParticipantClient::retry_join_if_overloaded(const nlohmann::json& error) {
  if (options_.join_retry_ms == 0 || joined() || string_or_empty(error, "request_type") != "join" ||
      string_or_empty(error, "code") != "overloaded")
    return;
  uv_timer_start(
      join_timer_,
      [](uv_timer_t* timer) {
        auto* self = static_cast<ParticipantClient*>(timer->data);
        if (self && !self->joined() && self->signaling_) self->signaling_->send(self->join_message_);
      },
      options_.join_retry_ms, 0);
}

void ParticipantClient::take_participants(const nlohmann::json& list) {
  if (!list.is_array()) return;
  for (const auto& entry : list) {
    if (!entry.is_object()) continue;
    std::string id = string_or_empty(entry, "id");
    if (id.empty()) continue;
    participants_[id] = {id, string_or_empty(entry, "name")};
    auto tracks = entry.find("tracks");
    if (tracks == entry.end() || !tracks->is_array()) continue;
    for (const auto& track : *tracks)
      if (track.is_object()) add_track(id, string_or_empty(track, "id"), string_or_empty(track, "kind"));
  }
}

void ParticipantClient::handle_joined(const nlohmann::json& message) {
  participant_id_ = string_or_empty(message, "participant_id");
  resume_token_ = string_or_empty(message, "resume_token");
  take_participants(message.value("participants", nlohmann::json()));
  if (options_.auto_publish && (options_.publish_audio || options_.publish_video || options_.sctp_mailbox))
    publish();
}

// The room as it is now replaces what the client knew: who joined, left, published or unpublished
// while its signaling was away is in this list.
void ParticipantClient::handle_resumed(const nlohmann::json& message) {
  if (string_or_empty(message, "participant_id") != participant_id_)
    return fail("resumed: participant id " + string_or_empty(message, "participant_id") + ", expected " +
                participant_id_);
  resume_token_ = string_or_empty(message, "resume_token");
  participants_.clear();
  tracks_by_participant_.clear();
  take_participants(message.value("participants", nlohmann::json()));
}

void ParticipantClient::handle_publish_answer(const nlohmann::json& message) {
  auto parsed = sdp::parse_sdp(string_or_empty(message, "sdp"));
  if (auto* error = std::get_if<sdp::SdpError>(&parsed)) return fail("publish_answer: " + error->to_string());
  const auto& answer = std::get<sdp::SessionDescription>(parsed);
  auto endpoint = server_endpoint_of(answer, bind_family(), options_.server_media_ip);
  if (auto* error = std::get_if<std::string>(&endpoint)) return fail("publish_answer: " + *error);
  const auto& server = std::get<ServerEndpoint>(endpoint);
  if (server.setup != "passive")
    return fail("publish_answer: a=setup:" + server.setup + ", expected passive");
  bool first = !publish_answered_;
  publish_answered_ = true;
  const sdp::MediaSection* audio = answer.find_media(kAudioMid);
  publish_red_ = options_.publish_audio_red && audio && !audio->rejected() &&
                 audio->find_codec(kRedPayloadType) && audio->find_codec(kRedPayloadType)->is_named("red");
  if (publish_data_) {
    if (auto peer = data_channel_of(answer, options_.data_channel_options.max_message_size))
      publish_data_->enable(sctp_options_for(*peer), peer->max_message_size);
  }
  if (first && options_.connect_media)
    publish_->connect(
        {server.address, server.ice_ufrag, server.ice_pwd, server.fingerprint, server.tcp_address});
  // New server credentials: the answer to our ICE restart (restart_publish_ice()).
  if (!first && publish_->state() != WebRtcClient::State::New &&
      server.ice_ufrag != publish_->remote_ice_ufrag()) {
    ++counters_.ice_restarts;
    publish_->restart_ice(
        {server.address, server.ice_ufrag, server.ice_pwd, server.fingerprint, server.tcp_address});
  }
}

void ParticipantClient::handle_subscribe_offer(const nlohmann::json& message) {
  ++counters_.subscribe_offers;
  auto parsed = sdp::parse_sdp(string_or_empty(message, "sdp"));
  if (auto* error = std::get_if<sdp::SdpError>(&parsed))
    return fail("subscribe_offer: " + error->to_string());
  auto& offer = std::get<sdp::SessionDescription>(parsed);
  // New server credentials on a running connection: the server restarted ICE (restart_ice), and
  // the answer to a restart carries new credentials of ours too (RFC 8445 §9).
  std::optional<ServerEndpoint> restarted;
  if (subscribe_connect_started_ && subscribe_->state() != WebRtcClient::State::New) {
    auto endpoint = server_endpoint_of(offer, bind_family(), options_.server_media_ip);
    auto* server = std::get_if<ServerEndpoint>(&endpoint);
    if (server && server->ice_ufrag != subscribe_->remote_ice_ufrag()) {
      restarted = *server;
      subscribe_->renew_ice_credentials();
    }
  }
  std::optional<ClientDataChannelOptions> data;
  if (subscribe_data_) data = options_.data_channel_options;
  auto built = build_subscribe_answer(offer, transport_of(*subscribe_), subscribe_session_id_,
                                      ++subscribe_answer_version_, data, options_.accept_audio_red);
  if (auto* error = std::get_if<std::string>(&built)) return fail("subscribe_offer: " + *error);
  auto& answer = std::get<SubscribeAnswer>(built);
  if (!subscribe_endpoint_) {
    auto endpoint = server_endpoint_of(offer, bind_family(), options_.server_media_ip);
    if (auto* server = std::get_if<ServerEndpoint>(&endpoint)) subscribe_endpoint_ = *server;
  }
  if (options_.alter_subscribe_answer) options_.alter_subscribe_answer(answer.answer);
  nlohmann::json answer_message = {{"type", "subscribe_answer"}, {"sdp", sdp::write_sdp(answer.answer)}};
  bool first_connect = subscribe_endpoint_ && !subscribe_connect_started_;
  if (first_connect && options_.first_subscribe_answer_delay_ms > 0) {
    held_subscribe_answer_ = answer_message.dump();
    uv_timer_start(
        answer_timer_,
        [](uv_timer_t* timer) {
          if (auto* self = static_cast<ParticipantClient*>(timer->data)) self->send_held_subscribe_answer();
        },
        options_.first_subscribe_answer_delay_ms, 0);
  } else if (signaling_->send(answer_message)) {
    ++counters_.subscribe_answers_sent;
  }

  remember_subscribed_media(offer, answer.media);
  if (subscribe_data_) {
    if (auto peer = data_channel_of(offer, options_.data_channel_options.max_message_size))
      subscribe_data_->enable(sctp_options_for(*peer), peer->max_message_size);
  }
  subscribed_media_ = std::move(answer.media);
  last_subscribe_offer_ = std::move(offer);
  if (first_connect) connect_subscribe();
  if (restarted) {
    ++counters_.ice_restarts;
    subscribe_endpoint_ = restarted;
    subscribe_->restart_ice(
        {restarted->address, restarted->ice_ufrag, restarted->ice_pwd, restarted->fingerprint});
  }
}

void ParticipantClient::remember_subscribed_media(const sdp::SessionDescription& offer,
                                                  const std::vector<SubscribedMedia>& answered) {
  for (size_t i = 0; i < answered.size(); ++i) {
    const SubscribedMedia& media = answered[i];
    if (!media.active) continue;
    std::vector<uint16_t> extension_ids;
    for (const auto& e : offer.media[i].extmaps) {
      extension_ids.push_back(e.id);
      if (e.uri == sdp::kExtTransportCc && e.id < 256 && options_.transport_cc_feedback)
        subscribe_transport_cc_id_ = static_cast<uint8_t>(e.id);
    }
    for (uint32_t ssrc : {media.ssrc, media.rtx_ssrc}) {
      if (ssrc == 0) continue;
      SsrcOwner& owner = ssrc_owners_[ssrc];
      owner.participant_id = media.participant_id;
      owner.kind = media.kind;
      owner.rtx = ssrc == media.rtx_ssrc;
      owner.media_ssrc = media.ssrc;
      owner.payload_types = media.payload_types;
      owner.extension_ids = extension_ids;
    }
    add_track(media.participant_id, media.track_id, std::string(sdp::to_string(media.kind)));
  }
}

void ParticipantClient::connect_subscribe() {
  if (subscribe_connect_started_ || !subscribe_endpoint_ || !options_.connect_media) return;
  subscribe_connect_started_ = true;
  const ServerEndpoint& server = *subscribe_endpoint_;
  subscribe_->connect(
      {server.address, server.ice_ufrag, server.ice_pwd, server.fingerprint, server.tcp_address});
}

void ParticipantClient::send_held_subscribe_answer() {
  if (!held_subscribe_answer_) return;
  if (signaling_->send_text(*held_subscribe_answer_)) ++counters_.subscribe_answers_sent;
  held_subscribe_answer_.reset();
}

dtls::SctpOptions ParticipantClient::sctp_options_for(const sdp::DataChannelSpec& peer) const {
  dtls::SctpOptions options;
  options.local_port = options_.data_channel_options.sctp_port;
  options.remote_port = peer.sctp_port;
  options.max_message_size = options_.data_channel_options.max_message_size;
  options.receive_buffer_bytes = std::max(options.receive_buffer_bytes, options.max_message_size);
  return options;
}

// ---- media out ----

void ParticipantClient::start_media() {
  if (media_on_) return;
  media_on_ = true;
  media_clock_start_ms_ = uv_now(loop_);
  audio_packets_due_ = video_frames_due_ = 0;
  keyframe_requested_ = true;
  uv_timer_start(
      media_timer_,
      [](uv_timer_t* timer) {
        if (auto* self = static_cast<ParticipantClient*>(timer->data)) self->on_media_timer();
      },
      0, kMediaTickMs);
}

void ParticipantClient::stop_media() {
  media_on_ = false;
  uv_timer_stop(media_timer_);
}

void ParticipantClient::on_media_timer() {
  uint64_t now = uv_now(loop_);
  if (!publish_connected()) {
    media_clock_start_ms_ = now;  // the encoder starts with the connection
    audio_packets_due_ = video_frames_due_ = 0;
    return;
  }
  uint64_t elapsed = now - media_clock_start_ms_;
  uint64_t audio_target = elapsed / kAudioIntervalMs + 1;
  uint64_t video_target = elapsed * video_fps() / 1000 + 1;
  if (options_.publish_audio) {
    for (uint64_t n = 0; audio_packets_due_ < audio_target && n < kMaxCatchUp; ++n, ++audio_packets_due_)
      send_audio_packet();
  }
  if (options_.publish_video) {
    for (uint64_t n = 0; video_frames_due_ < video_target && n < kMaxCatchUp; ++n, ++video_frames_due_)
      send_video_frame();
  }
  audio_packets_due_ = std::max(audio_packets_due_, audio_target);
  video_frames_due_ = std::max(video_frames_due_, video_target);
  publish_->flush();
}

void ParticipantClient::send_audio_packet() {
  std::array<uint8_t, kAudioPayloadSize> payload{};
  for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<uint8_t>(audio_seq_ + i * 13);
  // RFC 6464: the voice activity bit, and the level in -dBov.
  const auto level =
      static_cast<uint8_t>((options_.audio_level_dbov < 127 ? 0x80 : 0) | (options_.audio_level_dbov & 0x7F));
  const uint8_t mid[] = {'0'};
  rtp::HeaderExtension extensions[] = {{kExtIdAudioLevel, ByteSpan(&level, 1)},
                                       {kExtIdMid, ByteSpan(mid, 1)}};
  rtp::RtpHeaderFields fields;
  fields.marker = false;
  fields.payload_type = publish_red_ ? kRedPayloadType : kOpusPayloadType;
  fields.sequence_number = audio_seq_++;
  fields.timestamp = audio_timestamp_;
  fields.ssrc = audio_ssrc_;
  audio_timestamp_ += kAudioTimestampStep;
  ByteSpan body(payload);
  std::vector<uint8_t> red;
  if (publish_red_) {
    // RFC 2198: the previous packet as a redundant block (4-byte header: F, PT, timestamp offset,
    // length), then the primary's 1-byte header, then the blocks' data, the primary last.
    if (!previous_audio_payload_.empty()) {
      const size_t length = previous_audio_payload_.size();
      red = {static_cast<uint8_t>(0x80 | kOpusPayloadType), static_cast<uint8_t>(kAudioTimestampStep >> 6),
             static_cast<uint8_t>(((kAudioTimestampStep & 0x3F) << 2) | (length >> 8)),
             static_cast<uint8_t>(length & 0xFF)};
    }
    red.push_back(kOpusPayloadType);
    red.insert(red.end(), previous_audio_payload_.begin(), previous_audio_payload_.end());
    red.insert(red.end(), payload.begin(), payload.end());
    previous_audio_payload_.assign(payload.begin(), payload.end());
    if (options_.alter_audio_red) options_.alter_audio_red(red);
    body = ByteSpan(red);
  }
  size_t size = rtp::build_rtp_packet(fields, extensions, body, 0, MutableByteSpan(packet_buffer_));
  if (size > 0 && publish_->send_rtp(ByteSpan(packet_buffer_.data(), size))) ++counters_.audio_packets_sent;
}

void ParticipantClient::send_simulcast_frame() {
  simulcast_->send_frame(uv_now(loop_), transport_seq_, [this](ByteSpan packet) {
    bool sent = publish_->send_rtp(packet);
    if (sent) ++counters_.video_packets_sent;
    return sent;
  });
  ++counters_.video_frames_sent;
}

void ParticipantClient::send_video_frame() {
  if (simulcast_) return send_simulcast_frame();
  // About one keyframe a second.
  bool keyframe = keyframe_requested_ || counters_.video_frames_sent % video_fps() == 0;
  keyframe_requested_ = false;
  const int packets_per_frame =
      options_.video_packets_per_frame > 0 ? options_.video_packets_per_frame : kPacketsPerFrame;
  for (int index = 0; index < packets_per_frame; ++index) {
    std::array<uint8_t, kVideoPayloadSize> payload{};
    for (size_t i = 0; i < payload.size(); ++i) payload[i] = static_cast<uint8_t>(size_t{video_seq_} * 7 + i);
    size_t offset = 0;
    // VP8 payload descriptor (RFC 7741 section 4.2): X=0, N=0, S=1 only on the frame's first packet, PID=0.
    payload[offset++] = index == 0 ? 0x10 : 0x00;
    if (index == 0) {
      // VP8 frame tag (RFC 6386 section 9.1): P bit 0 for a keyframe, version 0, show_frame 1 and a
      // 19-bit first-partition size; keyframes then carry the start code and the dimensions.
      constexpr uint32_t kFirstPartitionSize = 900;
      payload[offset++] =
          static_cast<uint8_t>(((kFirstPartitionSize & 0x7) << 5) | 0x10 | (keyframe ? 0x00 : 0x01));
      payload[offset++] = static_cast<uint8_t>((kFirstPartitionSize >> 3) & 0xFF);
      payload[offset++] = static_cast<uint8_t>((kFirstPartitionSize >> 11) & 0xFF);
      if (keyframe) {
        for (uint8_t byte :
             {uint8_t{0x9D}, uint8_t{0x01}, uint8_t{0x2A}, static_cast<uint8_t>(kVideoWidth & 0xFF),
              static_cast<uint8_t>(kVideoWidth >> 8), static_cast<uint8_t>(kVideoHeight & 0xFF),
              static_cast<uint8_t>(kVideoHeight >> 8)})
          payload[offset++] = byte;
      }
    }
    // abs-send-time: 6.18 fixed-point seconds, 24 bits.
    uint64_t now_ms = uv_now(loop_);
    uint32_t abs_send_time = static_cast<uint32_t>(((now_ms << 18) / 1000) & 0xFFFFFF);
    uint8_t abs[3] = {static_cast<uint8_t>(abs_send_time >> 16), static_cast<uint8_t>(abs_send_time >> 8),
                      static_cast<uint8_t>(abs_send_time)};
    uint16_t tseq = transport_seq_++;
    uint8_t transport_cc[2] = {static_cast<uint8_t>(tseq >> 8), static_cast<uint8_t>(tseq)};
    const uint8_t mid[] = {'1'};
    rtp::HeaderExtension extensions[] = {{kExtIdAbsSendTime, ByteSpan(abs, 3)},
                                         {kExtIdTransportCc, ByteSpan(transport_cc, 2)},
                                         {kExtIdMid, ByteSpan(mid, 1)}};
    rtp::RtpHeaderFields fields;
    fields.marker = index == packets_per_frame - 1;
    fields.payload_type = kVp8PayloadType;
    fields.sequence_number = video_seq_++;
    fields.timestamp = video_timestamp_;
    fields.ssrc = video_ssrc_;
    size_t size = rtp::build_rtp_packet(fields, extensions, payload, 0, MutableByteSpan(packet_buffer_));
    if (size > 0 && publish_->send_rtp(ByteSpan(packet_buffer_.data(), size))) ++counters_.video_packets_sent;
  }
  video_timestamp_ += 90000 / video_fps();
  ++counters_.video_frames_sent;
  if (keyframe) ++counters_.keyframes_sent;
}

void ParticipantClient::on_publish_rtcp(const uint8_t* data, size_t size) {
  rtp::RtcpCompoundIterator packets(ByteSpan(data, size));
  rtp::RtcpHeader header;
  while (packets.next(header)) {
    switch (rtp::classify_rtcp(header)) {
      case rtp::RtcpMessageKind::kPli:
        if (auto pli = rtp::parse_pli(header); pli && pli->media_ssrc == video_ssrc_) {
          ++counters_.plis_received;
          keyframe_requested_ = true;
        } else if (pli && simulcast_ && simulcast_->on_keyframe_request(pli->media_ssrc)) {
          ++counters_.plis_received;
        }
        break;
      case rtp::RtcpMessageKind::kFir:
        if (auto fir = rtp::parse_fir(header)) {
          for (const rtp::FirEntry entry : fir->entries) {
            if (entry.ssrc != video_ssrc_) continue;
            ++counters_.firs_received;
            keyframe_requested_ = true;
          }
        }
        break;
      case rtp::RtcpMessageKind::kGenericNack:
        ++counters_.nacks_received;
        break;
      default:
        break;
    }
  }
}

// ---- media in ----

void ParticipantClient::on_subscribe_rtp(uint8_t* data, size_t size) {
  auto packet = rtp::RtpPacket::parse(MutableByteSpan(data, size));
  if (!packet) {
    ++counters_.malformed_rtp;
    return;
  }
  ++counters_.rtp_received;
  record_transport_cc(*packet);
  auto it = ssrc_owners_.find(packet->ssrc());
  if (it == ssrc_owners_.end()) {
    ++counters_.unknown_ssrc;
    return;
  }
  SsrcOwner& owner = it->second;
  if (owner.rtx) {
    ++counters_.rtx_received;
    // RFC 4588: the repaired packet's sequence number leads the payload.
    auto media = ssrc_owners_.find(owner.media_ssrc);
    ByteSpan payload = packet->payload();
    if (media != ssrc_owners_.end() && payload.size() >= 2)
      media->second.gaps.on_packet(static_cast<uint16_t>(payload[0] << 8 | payload[1]));
    return;
  }
  owner.gaps.on_packet(packet->sequence_number());
  if (std::find(owner.payload_types.begin(), owner.payload_types.end(), packet->payload_type()) ==
      owner.payload_types.end())
    ++counters_.unexpected_payload_type;
  for (const rtp::HeaderExtension& extension : packet->extensions()) {
    if (std::find(owner.extension_ids.begin(), owner.extension_ids.end(), extension.id) ==
        owner.extension_ids.end())
      ++counters_.undeclared_extension;
  }
  ReceivedMedia& media = received_[owner.participant_id];
  if (owner.kind == sdp::MediaKind::kAudio) {
    ++media.audio_packets;
    media.audio_bytes += packet->payload_size();
    if (on_audio_packet) on_audio_packet(owner.participant_id, *packet);
  } else if (owner.kind == sdp::MediaKind::kVideo) {
    bool keyframe = rtp::is_vp8_keyframe_start(packet->payload());
    if (!owner.seen && !keyframe) ++counters_.video_started_without_keyframe;
    if (keyframe) ++media.video_keyframes;
    ++media.video_packets;
    media.video_bytes += packet->payload_size();
    check_video(owner, *packet, media);
    if (options_.on_subscribed_video) options_.on_subscribed_video(*packet);
  }
  owner.seen = true;
}

void ParticipantClient::check_video(SsrcOwner& owner, const rtp::RtpPacket& packet, ReceivedMedia& media) {
  if (auto layer = SimulcastVideo::layer_of(packet.payload())) ++media.video_packets_by_layer[*layer];
  if (auto size = rtp::vp8_keyframe_size(packet.payload())) media.video_width = size->width;
  if (owner.seen) {
    auto step = static_cast<int16_t>(packet.sequence_number() - owner.last_sequence);
    if (step > 1) ++media.video_sequence_gaps;
    if (step <= 0) ++media.video_sequence_backwards;
    if (static_cast<int32_t>(packet.timestamp() - owner.last_timestamp) < 0)
      ++media.video_timestamp_backwards;
  }
  owner.last_sequence = packet.sequence_number();
  owner.last_timestamp = packet.timestamp();
  auto descriptor = rtp::parse_vp8_descriptor(packet.payload());
  if (!descriptor || !descriptor->has_picture_id) return;
  if (owner.last_picture_id) {
    auto step = static_cast<uint16_t>((descriptor->picture_id - *owner.last_picture_id) & 0x7FFF);
    if (step > 1) ++media.video_picture_id_jumps;
  }
  owner.last_picture_id = descriptor->picture_id;
}

void ParticipantClient::record_transport_cc(const rtp::RtpPacket& packet) {
  if (subscribe_transport_cc_id_ == 0) return;
  auto sequence = packet.transport_sequence_number(subscribe_transport_cc_id_);
  if (!sequence) return;
  if (!subscribe_transport_cc_) subscribe_transport_cc_ = std::make_unique<rtp::TransportCcRecorder>();
  subscribe_transport_cc_->on_packet(*sequence, uv_hrtime() / 1000);
  // Feedback every 50 ms while packets arrive, as libwebrtc's receivers send it.
  const uint64_t now = uv_now(loop_);
  if (now - last_transport_cc_feedback_ms_ < 50) return;
  std::array<uint8_t, 1200> feedback{};
  // Sender SSRC: any of ours; media SSRC: the packet's, as libwebrtc fills them.
  size_t size = subscribe_transport_cc_->build_feedback(1, packet.ssrc(), MutableByteSpan(feedback));
  if (size == 0) return;
  last_transport_cc_feedback_ms_ = now;
  if (subscribe_->send_rtcp(ByteSpan(feedback.data(), size))) ++counters_.transport_cc_feedback_sent;
}

}  // namespace sfu::client
