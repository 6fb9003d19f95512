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
#include "sfu/sdp/sdp_negotiation.h"

namespace sfu::client {

// What the client puts in its SDP about its transport (from its WebRtcClient).
struct ClientTransport {
  std::string ice_ufrag;
  std::string ice_pwd;
  std::string fingerprint;  // sha-256, colon hex
};

// Payload types and header-extension ids the client uses, as Chromium numbers them.
inline constexpr uint8_t kOpusPayloadType = 111;
inline constexpr uint8_t kRedPayloadType = 63;  // audio RED (RFC 2198) around Opus 111
inline constexpr uint8_t kVp8PayloadType = 96;
inline constexpr uint8_t kVp8RtxPayloadType = 97;
inline constexpr uint8_t kExtIdAudioLevel = 1;
inline constexpr uint8_t kExtIdAbsSendTime = 2;
inline constexpr uint8_t kExtIdTransportCc = 3;
inline constexpr uint8_t kExtIdMid = 4;
inline constexpr uint8_t kExtIdRid = 5;
inline constexpr uint8_t kExtIdRepairedRid = 6;

// The client's data channel m-section (a=sctp-port, a=max-message-size), as Chromium writes it.
struct ClientDataChannelOptions {
  uint16_t sctp_port = 5000;
  size_t max_message_size = 262144;
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
  // Rid simulcast, as Chromium offers it: a=rid:<rid> send for each, a=simulcast:send in this
  // order, the rid and repaired-rid extensions, and no a=ssrc lines for video.
  std::vector<std::string> video_rids;
  uint64_t session_id = 1;
  uint64_t session_version = 2;
  std::optional<ClientDataChannelOptions> data_channel;  // an m=application section (mid "2")
  // Audio RED preferred, as a page does with setCodecPreferences: red/48000/2 (PT 63, fmtp
  // 111/111) before Opus.
  bool audio_red = false;
};

inline constexpr const char* kAudioMid = "0";
inline constexpr const char* kVideoMid = "1";
inline constexpr const char* kDataMid = "2";

// A sendonly offer (and, with data_channel, `m=application 9 UDP/DTLS/SCTP webrtc-datachannel`
// with a=sctp-port and a=max-message-size, mid "2"): audio (mid "0": opus/48000/2 PT 111, ssrc-audio-level,
// mid) and/or video (mid "1": VP8 PT 96 with nack, nack pli, ccm fir, goog-remb, transport-cc; rtx PT 97;
// abs-send-time, transport-cc, mid), a=setup:actpass, BUNDLE, rtcp-mux, rtcp-rsize, a=msid and a=ssrc lines
// with an FID group for video.
sdp::SessionDescription build_publish_offer(const PublishOfferParams& params);

// How to reach the server for one connection: from the m-section that is the BUNDLE tag (or, with
// no BUNDLE group, the first one that is not rejected): ICE credentials, sha-256 fingerprint, the
// first UDP candidate and the first passive TCP candidate (ICE-TCP), if any, of `family` (AF_INET,
// AF_INET6; AF_UNSPEC = any): an ICE agent pairs its candidates only with the server's of their
// family. With `ip`, only the candidates of that address count (a test's choice among several).
struct ServerEndpoint {
  std::string ice_ufrag;
  std::string ice_pwd;
  std::string fingerprint;
  SocketAddress address;
  std::optional<SocketAddress> tcp_address;
  std::string setup;  // the server's a=setup
};
std::variant<ServerEndpoint, std::string> server_endpoint_of(const sdp::SessionDescription& description,
                                                             int family = AF_UNSPEC,
                                                             const std::string& ip = {});

// One m-section of a subscribe offer as the client understood it.
struct SubscribedMedia {
  std::string mid;
  sdp::MediaKind kind = sdp::MediaKind::kOther;
  bool active = false;         // the server sends on it (sendonly/sendrecv) and we accepted it
  std::string participant_id;  // a=msid stream id
  std::string track_id;        // a=msid track id
  uint32_t ssrc = 0;           // the primary SSRC (not the repair stream of an FID group)
  uint32_t rtx_ssrc = 0;
  std::vector<uint8_t> payload_types;  // accepted media payload types (RTX not included)
};

struct SubscribeAnswer {
  sdp::SessionDescription answer;
  std::vector<SubscribedMedia> media;  // one per m-section of the offer, in order
};

// Answers a subscribe offer as a browser would: an m-section the server rejected (port 0) is
// answered with port 0; one it keeps without a track (a=inactive) is answered a=inactive and stays
// bundled; every other one recvonly. Accepted m-sections take the offered codecs the client decodes
// (opus, VP8, and rtx whose apt is one of those), echo the offered header extensions, and carry
// a=setup:active and the client's ICE credentials and fingerprint; one with no codec the client
// knows is rejected. The first data channel m-section is accepted with `data_channel`'s
// a=sctp-port and a=max-message-size (SubscribedMedia::active); without `data_channel`, a further
// one, and any other application m-section are answered with port 0. BUNDLE lists the accepted mids.
// With `accept_red`, audio red/48000/2 (RFC 2198) is accepted as well.
// Fails only when the offer is unusable (e.g. an m-section without a=mid).
std::variant<SubscribeAnswer, std::string> build_subscribe_answer(
    const sdp::SessionDescription& offer, const ClientTransport& transport, uint64_t session_id,
    uint64_t session_version, const std::optional<ClientDataChannelOptions>& data_channel = std::nullopt,
    bool accept_red = false);

// The peer's side of the first accepted data channel m-section of `description`; nullopt if none.
// `our_max_message_size` stands for the peer's a=max-message-size:0 ("no limit").
std::optional<sdp::DataChannelSpec> data_channel_of(const sdp::SessionDescription& description,
                                                    size_t our_max_message_size);

}  // namespace sfu::client
