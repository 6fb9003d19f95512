// One participant of a conference, driven the way a browser drives the demo page: a signaling
// WebSocket and two WebRTC connections (publish and subscribe), see docs/protocol.md.
//
//   connect /v1/rtc -> join -> on `joined`: publish {offer} -> on `publish_answer`: connect the
//   publish connection (ICE controlling, DTLS client; the server answered passive)
//   -> on each `subscribe_offer`: answer it (a=setup:active, so DTLS client here too) and, the
//   first time, connect the subscribe connection to the candidate in the offer.
//
// start_media() sends synthetic Opus-sized audio and VP8 video (keyframes every second and on PLI
// or FIR) on the publish connection. Received RTP is counted per source participant and kind,
// found through SSRC -> m-section -> a=msid of the subscribe offers.
//
// Lives on one libuv loop, used only from that loop's thread. Destroy it only outside its
// callbacks, then run the loop once more so its handles are freed.
#pragma once

#include <uv.h>

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/client/client_data_channels.h"
#include "bench/client/client_sdp.h"
#include "bench/client/sequence_gaps.h"
#include "bench/client/signaling_client.h"
#include "bench/client/simulcast_video.h"
#include "bench/client/webrtc_client.h"
#include "rtp/rtp_packet.h"
#include "rtp/transport_cc_recorder.h"
#include "sfu/sdp/sdp.h"

namespace sfu::client {

class ParticipantClient {
 public:
  struct Options {
    std::string server_host = "127.0.0.1";
    uint16_t server_port = 0;
    std::string path = "/v1/rtc";
    std::string room;
    std::string name;
    std::string token;  // sent with join when not empty
    // Cluster mode: join on this node even when the room is homed on another (`stay`: the room
    // spans both nodes) instead of following a `redirect`.
    bool stay = false;
    bool publish_audio = true;
    // The RFC 6464 level of every audio packet: -dBov, 0 (loudest) .. 127 (silence).
    uint8_t audio_level_dbov = 30;
    bool publish_video = true;
    // 2 or 3: the video is rid simulcast (SimulcastVideo: q, h, f) instead of one stream.
    size_t simulcast_layers = 0;
    bool auto_publish = true;  // send the publish offer as soon as `joined` arrives
    // A `join` refused with `overloaded` (the server asks to try again, docs/protocol.md) is sent
    // again this much later; 0 = not retried (the error is only recorded).
    uint64_t join_retry_ms = 0;
    std::string bind_ip = "127.0.0.1";  // local address of the two UDP sockets
    // Both connections use the server's candidates of this address (one of its announced ones);
    // empty = its first candidates of bind_ip's address family.
    std::string server_media_ip;
    // Both connections run over ICE-TCP to the server's passive TCP candidate instead of UDP.
    bool ice_tcp = false;
    // The subscribe connection starts its checks as soon as the first answer is sent, as a browser
    // does after setLocalDescription(answer). Test hook for a slow signaling path: send that first
    // answer only this much later, so the server sees ICE and DTLS before the answer.
    uint64_t first_subscribe_answer_delay_ms = 0;
    // Test hook: changes each subscribe answer before it is sent (e.g. a DTLS role the server
    // must refuse). The client's own transports behave as before whatever the answer says.
    std::function<void(sdp::SessionDescription& answer)> alter_subscribe_answer;
    size_t max_logged_messages = 10'000;
    // Test hooks for clients that vanish part-way (the soak tool): with connect_media false the
    // answers and offers are handled (and answered) but neither connection starts ICE; with
    // hold_dtls both connections stop after ICE, before DTLS.
    bool connect_media = true;
    bool hold_dtls = false;
    // Data channels: with a mailbox (an SctpMailbox on this client's loop, see
    // client_data_channels.h) the publish offer has a data channel m-section and subscribe offers'
    // data channel m-sections are accepted; publish_data() and subscribe_data() then carry them.
    dtls::SctpMailbox* sctp_mailbox = nullptr;
    ClientDataChannelOptions data_channel_options;
    // As a browser does: record when each subscribed packet carrying the server's transport-wide
    // sequence number (the transport-cc extension of the subscribe offer) arrived, and send
    // transport-cc feedback on the subscribe connection at most every 50 ms, so the server can
    // estimate this client's downlink.
    bool transport_cc_feedback = true;
    // The plain (non-simulcast) video: packets per frame (0: 3) and frames per second (0: 30),
    // e.g. bursts of 10 packets a few times a second to see a pacer spread them.
    int video_packets_per_frame = 0;
    uint32_t video_fps = 0;
    // Test hook: every subscribed video packet (not RTX) as it arrives.
    std::function<void(const rtp::RtpPacket& packet)> on_subscribed_video;
    // Audio RED (RFC 2198): offer red/48000/2 before Opus and, when the answer takes it, send each
    // audio packet as RED with the previous packet as a redundant block (as Chromium does).
    bool publish_audio_red = false;
    // Accept red/48000/2 in subscribe answers (a browser that supports it).
    bool accept_audio_red = false;
    // Test hook: sees (and may change, e.g. corrupt) each RED payload before it is sent.
    std::function<void(std::vector<uint8_t>& red_payload)> alter_audio_red;
  };

  struct RemoteParticipant {
    std::string id;
    std::string name;
  };

  // Media received from one source participant.
  struct ReceivedMedia {
    uint64_t audio_packets = 0, video_packets = 0, audio_bytes = 0, video_bytes = 0;
    uint64_t video_keyframes = 0;  // first packets of VP8 keyframes
    // Of a simulcast publisher (SimulcastVideo's payload tags): packets per layer, and the frame
    // width of the latest key frame.
    std::array<uint64_t, SimulcastVideo::kMaxLayers> video_packets_by_layer{};
    uint16_t video_width = 0;
    // Continuity of what one subscriber SSRC carries: sequence numbers that skipped ahead or
    // went back, timestamps that went back, and VP8 picture ids that moved by more than one.
    uint64_t video_sequence_gaps = 0, video_sequence_backwards = 0, video_timestamp_backwards = 0,
             video_picture_id_jumps = 0;
  };

  struct Counters {
    uint64_t audio_packets_sent = 0, video_packets_sent = 0, video_frames_sent = 0, keyframes_sent = 0;
    uint64_t plis_received = 0, firs_received = 0, nacks_received = 0;
    uint64_t rtp_received = 0, rtx_received = 0, unknown_ssrc = 0, malformed_rtp = 0;
    // Checks on what the server forwards: a payload type the client did not accept, a header
    // extension id the subscribe offer did not declare for that m-section, and a video stream whose
    // first packet was not the start of a keyframe.
    uint64_t unexpected_payload_type = 0, undeclared_extension = 0, video_started_without_keyframe = 0;
    uint64_t subscribe_offers = 0, subscribe_answers_sent = 0, errors_received = 0;
    uint64_t ice_restarts = 0;  // answers (publish) and offers (subscribe) with new server credentials
    uint64_t transport_cc_feedback_sent = 0;  // on the subscribe connection
  };

  ParticipantClient(uv_loop_t* loop, Options options);
  ~ParticipantClient();
  ParticipantClient(const ParticipantClient&) = delete;
  ParticipantClient& operator=(const ParticipantClient&) = delete;

  // Opens both UDP sockets and connects the signaling WebSocket; join follows when it opens.
  bool start(std::string* error);
  // Sends the publish offer (done automatically on `joined` with Options::auto_publish).
  bool publish();
  // The offer publish() would send, for tests that want to alter it before sending.
  sdp::SessionDescription make_publish_offer() const;
  // ICE restart of the publish connection, as pc.restartIce() and a renegotiation do it: new
  // local ICE credentials in a new publish offer; the answer's new server credentials restart the
  // checks. Media goes on over the running DTLS association.
  bool restart_publish_ice();
  // Asks the server to restart ICE on the subscribe connection (`restart_ice`); the subscribe
  // offer that follows, with new server credentials, is answered with new credentials of ours.
  bool request_subscribe_ice_restart();
  // Sends any message, e.g. a hand-made `publish`.
  bool send_signaling(const nlohmann::json& message);
  // Sends `leave` and stops media.
  void leave();
  // Closes the signaling socket.
  void close_signaling();
  // Session resume (docs/protocol.md, "Session resume"): drop_signaling() ends the signaling socket
  // as a lost network does (no close frame, TCP reset), leaving both connections and the media
  // running; resume() opens a new socket and sends `resume` with the participant's id and its
  // latest resume token (or `token`, to test refusals). `resumed` then replaces what the client
  // knows of the room; an `error` (resume_failed, ...) lands in errors().
  void drop_signaling();
  bool resume(const std::optional<std::string>& token = std::nullopt, std::string* error = nullptr);
  const std::string& resume_token() const { return resume_token_; }

  void start_media();
  void stop_media();

  // ---- state ----
  const std::string& participant_id() const { return participant_id_; }
  bool signaling_open() const { return signaling_->open(); }
  bool signaling_closed() const { return signaling_->state() == SignalingClient::State::Closed; }
  bool joined() const { return !participant_id_.empty(); }
  bool publish_answered() const { return publish_answered_; }
  bool publish_connected() const { return publish_ && publish_->connected(); }
  bool subscribe_connected() const { return subscribe_ && subscribe_->connected(); }
  // Valid after start().
  WebRtcClient& publish_connection() { return *publish_; }
  WebRtcClient& subscribe_connection() { return *subscribe_; }
  const WebRtcClient& publish_connection() const { return *publish_; }
  const WebRtcClient& subscribe_connection() const { return *subscribe_; }
  // The data channels of each connection (Options::sctp_mailbox); nullptr without. Valid after start().
  ClientDataChannels* publish_data() { return publish_data_.get(); }
  ClientDataChannels* subscribe_data() { return subscribe_data_.get(); }

  // The other participants: from `joined`, `participant_joined` and `participant_left`.
  const std::map<std::string, RemoteParticipant>& participants() const { return participants_; }
  // participant id -> track id -> kind ("audio"/"video"): from `joined`, `track_published`,
  // `track_unpublished`, `participant_left`, and the active m-sections of each subscribe offer.
  const std::map<std::string, std::map<std::string, std::string>>& tracks_by_participant() const {
    return tracks_by_participant_;
  }
  // The m-sections of the latest subscribe offer as answered.
  const std::vector<SubscribedMedia>& subscribed_media() const { return subscribed_media_; }
  const std::optional<sdp::SessionDescription>& last_subscribe_offer() const { return last_subscribe_offer_; }

  // Media received from `participant_id` (all zero if none).
  ReceivedMedia received_from(const std::string& participant_id) const;
  uint64_t received_packets(const std::string& participant_id, sdp::MediaKind kind) const;
  // Packets of `participant_id`'s streams of `kind` missing so far (gaps in their sequence numbers
  // since the first packet; repairs, as plain packets or RTX, fill them).
  uint64_t missing_packets(const std::string& participant_id, sdp::MediaKind kind) const;
  // The missing sequence numbers of the stream received on `ssrc` (in the server's numbering for
  // this subscriber), at most `max`.
  std::vector<uint16_t> missing_sequence_numbers(uint32_t ssrc, size_t max = 256) const;

  // Every message received, in order (up to Options::max_logged_messages), and per-type counts.
  const std::vector<nlohmann::json>& messages() const { return messages_; }
  size_t message_count(std::string_view type) const;
  // `error` messages received.
  const std::vector<nlohmann::json>& errors() const { return errors_; }
  // Problems on the client side (unparsable SDP, signaling closed, transport failures).
  const std::vector<std::string>& failures() const { return failures_; }
  const Counters& counters() const { return counters_; }
  // The simulcast video this client publishes (Options::simulcast_layers); nullptr without.
  const SimulcastVideo* simulcast() const { return simulcast_.get(); }
  uint16_t close_code() const { return close_code_; }

  // Cluster mode: `redirect`s followed (the join sent again on the named node), and where the
  // signaling socket connects now.
  uint64_t redirects() const { return redirects_; }
  const std::string& server_host() const { return options_.server_host; }
  uint16_t server_port() const { return options_.server_port; }

  // Called for each message after the client has handled it.
  std::function<void(const nlohmann::json& message)> on_message;
  // Called for each subscribed audio packet, with the id of the participant it is from.
  std::function<void(const std::string& participant_id, const rtp::RtpPacket& packet)> on_audio_packet;
  // Whether the publish answer took audio RED (Options::publish_audio_red).
  bool publishing_audio_red() const { return publish_red_; }

 private:
  // The address family of Options::bind_ip: the server candidates the connections use.
  int bind_family() const {
    auto bind = SocketAddress::from_ip(options_.bind_ip, 0);
    return bind ? bind->family() : AF_UNSPEC;
  }
  struct SsrcOwner {
    std::string participant_id;
    sdp::MediaKind kind = sdp::MediaKind::kOther;
    bool rtx = false;
    std::vector<uint8_t> payload_types;
    std::vector<uint16_t> extension_ids;
    bool seen = false;
    uint32_t media_ssrc = 0;  // RTX: the stream it repairs
    SequenceGaps gaps;        // media streams only
    uint16_t last_sequence = 0;
    uint32_t last_timestamp = 0;
    std::optional<uint16_t> last_picture_id;
  };

  void handle_message(const nlohmann::json& message);
  void handle_joined(const nlohmann::json& message);
  void handle_resumed(const nlohmann::json& message);
  // A `redirect` before `joined`: reconnect to its url and join there (docs/protocol.md, "Cluster").
  void follow_redirect(const nlohmann::json& message);
  // The room's participants and their tracks from a `joined` or `resumed` list.
  void take_participants(const nlohmann::json& list);
  // A new signaling socket (the previous one must be closed); `first_message` goes when it opens.
  bool connect_signaling(nlohmann::json first_message, std::string* error);
  void handle_publish_answer(const nlohmann::json& message);
  void handle_subscribe_offer(const nlohmann::json& message);
  void add_track(const std::string& participant_id, const std::string& track_id, const std::string& kind);
  void fail(std::string what);
  void connect_subscribe();
  // The SSRCs and tracks of the active m-sections of an answered subscribe offer.
  void remember_subscribed_media(const sdp::SessionDescription& offer,
                                 const std::vector<SubscribedMedia>& answered);
  void send_held_subscribe_answer();
  void on_media_timer();
  void send_audio_packet();
  void send_video_frame();
  uint32_t video_fps() const { return options_.video_fps > 0 ? options_.video_fps : 30; }
  void send_simulcast_frame();
  void on_publish_rtcp(const uint8_t* data, size_t size);
  void on_subscribe_rtp(uint8_t* data, size_t size);
  // Continuity and layer checks of a video packet received on `owner`'s SSRC.
  static void check_video(SsrcOwner& owner, const rtp::RtpPacket& packet, ReceivedMedia& media);
  // Records a subscribed packet's transport-wide sequence number and sends the feedback when due.
  void record_transport_cc(const rtp::RtpPacket& packet);
  // The association's options for a connection whose peer described `peer`.
  dtls::SctpOptions sctp_options_for(const sdp::DataChannelSpec& peer) const;

  uv_loop_t* loop_;
  Options options_;
  std::shared_ptr<dtls::DtlsCertificate> certificate_;
  std::unique_ptr<SignalingClient> signaling_;  // replaced by resume()
  std::unique_ptr<WebRtcClient> publish_;
  std::unique_ptr<WebRtcClient> subscribe_;
  std::unique_ptr<ClientDataChannels> publish_data_;  // destroyed before the connections
  std::unique_ptr<ClientDataChannels> subscribe_data_;
  uv_timer_t* media_timer_ = nullptr;
  uv_timer_t* answer_timer_ = nullptr;  // Options::first_subscribe_answer_delay_ms
  uv_timer_t* join_timer_ = nullptr;    // Options::join_retry_ms
  nlohmann::json join_message_;         // the join, for a retry
  void retry_join_if_overloaded(const nlohmann::json& error);

  std::string participant_id_;
  std::string resume_token_;  // from the latest `joined` or `resumed`
  bool publish_answered_ = false;
  bool subscribe_connect_started_ = false;
  std::optional<ServerEndpoint> subscribe_endpoint_;  // from the first offer with an active m-section
  std::optional<std::string> held_subscribe_answer_;  // Options::first_subscribe_answer_delay_ms
  uint64_t subscribe_session_id_ = 0;
  uint64_t subscribe_answer_version_ = 0;
  std::map<std::string, RemoteParticipant> participants_;
  std::map<std::string, std::map<std::string, std::string>> tracks_by_participant_;
  std::vector<SubscribedMedia> subscribed_media_;
  std::optional<sdp::SessionDescription> last_subscribe_offer_;
  std::map<uint32_t, SsrcOwner> ssrc_owners_;  // every SSRC ever offered; never reused by the server
  // Options::transport_cc_feedback: the extension id the subscribe offers give transport-cc (0:
  // none), the arrivals, and when the last feedback went.
  uint8_t subscribe_transport_cc_id_ = 0;
  std::unique_ptr<rtp::TransportCcRecorder> subscribe_transport_cc_;
  uint64_t last_transport_cc_feedback_ms_ = 0;
  std::map<std::string, ReceivedMedia> received_;
  std::vector<nlohmann::json> messages_;
  std::map<std::string, size_t, std::less<>> message_counts_;
  std::vector<nlohmann::json> errors_;
  std::vector<std::string> failures_;
  Counters counters_;
  uint16_t close_code_ = 0;
  uint64_t redirects_ = 0;
  bool closing_signaling_ = false;  // close_signaling() or drop_signaling(): the close is no failure

  // What this participant publishes.
  std::string stream_id_, audio_track_id_, video_track_id_, cname_;
  uint32_t audio_ssrc_ = 0, video_ssrc_ = 0, video_rtx_ssrc_ = 0;
  uint16_t audio_seq_ = 0, video_seq_ = 0, transport_seq_ = 0;
  uint32_t audio_timestamp_ = 0, video_timestamp_ = 0;
  bool media_on_ = false;
  bool publish_red_ = false;                     // the publish answer took red: audio goes as RED
  std::vector<uint8_t> previous_audio_payload_;  // the redundant block of the next RED packet
  uint64_t media_clock_start_ms_ = 0;
  uint64_t audio_packets_due_ = 0, video_frames_due_ = 0;
  bool keyframe_requested_ = true;
  std::array<uint8_t, 1500> packet_buffer_{};
  std::unique_ptr<SimulcastVideo> simulcast_;
};

}  // namespace sfu::client
