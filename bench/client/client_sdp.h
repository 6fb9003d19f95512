// The browser's half of the SDP exchange, for the test and load clients: the publish offer a
// Chromium peer connection would make for one microphone and one camera track, and the answer it
// would give to the server's subscribe offer. Built on the server's own SDP model (sfu/sdp/sdp.h), so
// what goes on the wire is exactly what write_sdp renders.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/socket_address.h"
#include "sfu/sdp/sdp.h"

namespace sfu::client {

// What the client puts in its SDP about its transport (from its WebRtcClient).
struct ClientTransport {
  std::string ice_ufrag;
  std::string ice_pwd;
  std::string fingerprint;  // sha-256, colon hex
};

// Payload types and header-extension ids the client uses, as Chromium numbers them.
inline constexpr uint8_t kOpusPayloadType = 111;
inline constexpr uint8_t kVp8PayloadType = 96;
inline constexpr uint8_t kVp8RtxPayloadType = 97;
inline constexpr uint8_t kExtIdAudioLevel = 1;
inline constexpr uint8_t kExtIdAbsSendTime = 2;
inline constexpr uint8_t kExtIdTransportCc = 3;
inline constexpr uint8_t kExtIdMid = 4;

// The client's data channel m-section (RFC 8841), offered on the publish connection and answered
// on the subscribe connection: `m=application 9 UDP/DTLS/SCTP webrtc-datachannel` with these
// values, as Chromium writes it.
struct ClientDataChannel {
  uint16_t sctp_port = 5000;
  uint64_t max_message_size = 262144;  // the largest message the client takes
};

// A data channel m-section both sides accepted: what an SCTP association over the connection's
// DTLS needs (RFC 8261: source port = ours, destination port = the server's).
struct NegotiatedDataChannel {
  std::string mid;
  uint16_t local_sctp_port = 5000;
  uint16_t remote_sctp_port = 5000;  // the server's a=sctp-port (absent: 5000)
  // The largest message the server takes: its a=max-message-size (absent: 65536; 0, "no limit":
  // our own maximum). Never send a larger one.
  uint64_t remote_max_message_size = 65536;
  uint64_t local_max_message_size = 262144;  // what we announced
};

struct PublishOfferParams {
  ClientTransport transport;
  std::string stream_id;  // a=msid stream (Chromium: the MediaStream id)
  std::string cname;
  bool audio = true;
  bool video = true;
  std::string audio_track_id;
  std::string video_track_id;
  uint32_t audio_ssrc = 0;
  uint32_t video_ssrc = 0;
  uint32_t video_rtx_ssrc = 0;
  uint64_t session_id = 1;
  uint64_t session_version = 2;
  // Set: the offer ends with a data channel m-section (mid kDataMid), as after createDataChannel.
  std::optional<ClientDataChannel> data_channel;
};

inline constexpr const char* kAudioMid = "0";
inline constexpr const char* kVideoMid = "1";
inline constexpr const char* kDataMid = "2";

// A sendonly offer: audio (mid "0": opus/48000/2 PT 111, ssrc-audio-level, mid) and/or video
// (mid "1": VP8 PT 96 with nack, nack pli, ccm fir, goog-remb, transport-cc; rtx PT 97; abs-send-time,
// transport-cc, mid), a=setup:actpass, BUNDLE, rtcp-mux, rtcp-rsize, a=msid and a=ssrc lines with
// an FID group for video.
sdp::SessionDescription build_publish_offer(const PublishOfferParams& params);

// The data channel the server's publish answer accepted for an offer with
// PublishOfferParams::data_channel: the m-section with mid kDataMid, not rejected, still
// UDP/DTLS/SCTP webrtc-datachannel. nullopt when the offer had none or the server refused it.
std::optional<NegotiatedDataChannel> accepted_data_channel(const sdp::SessionDescription& answer,
                                                           const ClientDataChannel& ours);

// How to reach the server for one connection: from the m-section that is the BUNDLE tag (or, with
// no BUNDLE group, the first one that is not rejected): ICE credentials, sha-256 fingerprint and
// the first UDP candidate.
struct ServerEndpoint {
  std::string ice_ufrag;
  std::string ice_pwd;
  std::string fingerprint;
  SocketAddress address;
  std::string setup;  // the server's a=setup
};
std::variant<ServerEndpoint, std::string> server_endpoint_of(const sdp::SessionDescription& description);

// One m-section of a subscribe offer as the client understood it.
struct SubscribedMedia {
  std::string mid;
  sdp::MediaKind kind = sdp::MediaKind::kOther;
  // The server sends on it (sendonly/sendrecv) and we accepted it; for a data channel m-section:
  // we accepted it (SubscribeAnswer::data_channel).
  bool active = false;
  std::string participant_id;  // a=msid stream id
  std::string track_id;        // a=msid track id
  uint32_t ssrc = 0;           // the primary SSRC (not the repair stream of an FID group)
  uint32_t rtx_ssrc = 0;
  std::vector<uint8_t> payload_types;  // accepted media payload types (RTX not included)
};

struct SubscribeAnswer {
  sdp::SessionDescription answer;
  std::vector<SubscribedMedia> media;  // one per m-section of the offer, in order
  // The offer's data channel m-section as this answer accepted it; nullopt when there was none or
  // it was answered with port 0.
  std::optional<NegotiatedDataChannel> data_channel;
};

// Answers a subscribe offer as a browser would: an m-section the server rejected (port 0) is
// answered with port 0; one it keeps without a track (a=inactive) is answered a=inactive and stays
// bundled; every other one recvonly. Accepted m-sections take the offered codecs the client decodes
// (opus, VP8, and rtx whose apt is one of those), echo the offered header extensions, and carry
// a=setup:active and the client's ICE credentials and fingerprint; one with no codec the client
// knows is rejected. A data channel m-section (UDP/DTLS/SCTP webrtc-datachannel) is accepted, with
// the client's a=sctp-port and a=max-message-size and no direction, when `data_channel` is set and
// it is the offer's first; otherwise it is answered with port 0, and so is any other application
// m-section. BUNDLE lists the accepted mids. Fails only when the offer is unusable (e.g. an
// m-section without a=mid).
std::variant<SubscribeAnswer, std::string> build_subscribe_answer(
    const sdp::SessionDescription& offer, const ClientTransport& transport, uint64_t session_id,
    uint64_t session_version, const std::optional<ClientDataChannel>& data_channel = std::nullopt);

}  // namespace sfu::client
