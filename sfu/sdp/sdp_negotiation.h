// Offer/answer for the two peer connections of a participant (see docs/protocol.md):
// the publish connection, where the browser offers and the server answers, and the subscribe
// connection, where the server offers the other participants' tracks and the browser answers.
//
// Pure functions over the SDP model (sfu/sdp/sdp.h): they check what the protocol requires (BUNDLE,
// rtcp-mux, ICE credentials, DTLS fingerprint and roles), choose codecs and header extensions
// from the CodecCatalog, and build the server's descriptions. The server is ICE-lite and always
// the DTLS server: it answers a=setup:passive and offers a=setup:actpass.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sfu/sdp/codec_catalog.h"
#include "sfu/sdp/sdp.h"

namespace sfu::sdp {

// The server's side of one peer connection's transport.
struct LocalTransport {
  std::string ice_ufrag;
  std::string ice_pwd;
  std::string fingerprint;            // sha-256 of the DTLS certificate, colon-separated hex
  std::vector<Candidate> candidates;  // host candidates, e.g. from make_host_candidate()
};

// The local preference of a passive TCP host candidate (RFC 6544 section 4.2): 2^13 times the
// direction preference (4 for passive on a host candidate; 6 active, 2 simultaneous-open) plus the
// other preference (8191 for the first address; host_candidates() gives the next ones 8190, ...).
// Below UDP's 65535, so with the same type preference the UDP candidate keeps the higher priority
// and a browser uses TCP only when UDP fails.
inline constexpr uint16_t kTcpPassiveLocalPreference = (1u << 13) * 4 + 8191;

// A host candidate with the RFC 8445 section 5.1.2.1 priority: type preference 126, component 1,
// and `local_preference` (by default 65535 for UDP, kTcpPassiveLocalPreference for TCP). TCP
// candidates are passive (the server never opens connections).
Candidate make_host_candidate(std::string address, uint16_t port, std::string transport = "udp",
                              std::optional<uint16_t> local_preference = std::nullopt);

// Writes the server's transport onto one of its m-sections: the default candidate on the m= and
// c= lines (RFC 8839 section 4.2.1.2; port 9 with no candidate), ICE credentials, the sha-256
// fingerprint, the a=setup role, the candidates and end-of-candidates.
void set_local_transport(MediaSection& m, const LocalTransport& local, SetupRole setup);

// The browser's side, taken from its offer or answer.
struct RemoteTransport {
  std::string ice_ufrag;
  std::string ice_pwd;
  std::string fingerprint_algorithm;  // e.g. "sha-256" (preferred when several are given)
  std::string fingerprint;            // colon-separated hex as written
  std::string setup;                  // the browser's a=setup: "actpass", "active" or "passive"
};

// A negotiated media codec and the payload type of its RTX (RFC 4588), if any.
struct NegotiatedCodec {
  Codec codec;
  std::optional<uint8_t> rtx_payload_type;
};

// Data channels (RFC 8831, SDP per RFC 8841): what the server announces in its own
// m=application sections (config `data_channels`).
struct DataChannelOptions {
  uint16_t sctp_port = 5000;         // our a=sctp-port
  size_t max_message_size = 262144;  // our a=max-message-size: the largest message we take
};

// The peer's side of a negotiated data channel m-section. RFC 8841: an absent a=sctp-port means
// 5000, an absent a=max-message-size means 64 KiB, and 0 means "no limit", which is recorded as
// our own maximum (we never send larger messages than we take).
struct DataChannelSpec {
  std::string mid;
  uint16_t sctp_port = 5000;        // the peer's SCTP port (the association's remote port)
  size_t max_message_size = 65536;  // the largest message the peer takes
};

// The m= line of a data channel m-section (RFC 8841 section 4): the only form the server takes.
inline constexpr std::string_view kDataChannelProtocol = "UDP/DTLS/SCTP";
inline constexpr std::string_view kDataChannelFormat = "webrtc-datachannel";
// RFC 8841 defaults for absent attributes.
inline constexpr uint16_t kDefaultSctpPort = 5000;
inline constexpr size_t kDefaultMaxMessageSize = 65536;

// Whether an m-section is a data channel m-section the server can take: media "application",
// proto UDP/DTLS/SCTP, the single format webrtc-datachannel. The legacy form (`DTLS/SCTP 5000`
// with a=sctpmap, pre-RFC 8841 drafts) and TCP/DTLS/SCTP are not.
bool is_data_channel_section(const MediaSection& m);

// The peer's DataChannelSpec of a data channel m-section, with the RFC 8841 defaults applied;
// `our_max_message_size` stands in for the peer's 0 ("no limit").
DataChannelSpec data_channel_spec_of(const MediaSection& m, size_t our_max_message_size);

struct NegotiationOptions {
  CodecCatalog catalog;
  // o= of the publish answer; the caller raises the version for each renegotiation.
  uint64_t answer_session_id = 1;
  uint64_t answer_session_version = 1;
  // nullopt: every m=application section is rejected (port 0). Set: the offer's first data
  // channel m-section (see is_data_channel_section) is accepted, any later one rejected.
  std::optional<DataChannelOptions> data_channels;
};

// ---- Publish: browser offer -> server answer ----

// One track the browser will send, from a sendonly or sendrecv m-section of its offer.
struct PublishedTrackSpec {
  std::string mid;
  MediaKind kind = MediaKind::kAudio;
  std::string stream_id;  // a=msid stream id ("-" when the track has no stream; empty if no msid)
  std::string track_id;   // a=msid track id (empty if the offer has none)
  std::string cname;
  // Primary SSRCs: one, or a SIM group's in layer order. Empty when simulcast uses rids (Chromium
  // then announces no SSRCs; they are learned from the RID header extension).
  std::vector<uint32_t> ssrcs;
  std::vector<uint32_t> rtx_ssrcs;      // rtx_ssrcs[i] repairs ssrcs[i] (FID group); 0 when none
  std::vector<std::string> rids;        // simulcast rids in a=simulcast send order (first alternative each)
  std::vector<NegotiatedCodec> codecs;  // offer's payload types, offerer's preference order
  std::vector<Extmap> extensions;       // accepted header extensions with the offer's ids

  bool simulcast() const { return rids.size() > 1 || ssrcs.size() > 1; }
};

struct PublishResult {
  SessionDescription answer;
  RemoteTransport remote;
  std::vector<PublishedTrackSpec> tracks;
  // The offer's data channel m-section, when it was accepted (NegotiationOptions::data_channels
  // set): the peer's SCTP port and largest message. nullopt when the offer has none or it was
  // rejected.
  std::optional<DataChannelSpec> data_channel;
};

// Answers a publish offer. Audio/video m-sections that send become tracks and are answered
// recvonly; recvonly/inactive ones are answered inactive (kept, so a renegotiation can turn them
// into tracks). With NegotiationOptions::data_channels set, the first data channel m-section
// (m=application ... UDP/DTLS/SCTP webrtc-datachannel) is accepted: the answer echoes its mid,
// bundles it and carries our a=sctp-port and a=max-message-size. Data channel m-sections without
// that option, a second one, the legacy DTLS/SCTP form, unknown and offerer-rejected m-sections
// are answered with port 0 and left out of the answer's BUNDLE group. Errors name the problem, e.g. "offer
// has no BUNDLE group", "m-section 1 (mid=1) lacks a=rtcp-mux", "no supported codec in m-section mid=0: ...".
std::variant<PublishResult, SdpError> negotiate_publish(const SessionDescription& offer,
                                                        const LocalTransport& local,
                                                        const NegotiationOptions& options = {});

// ---- Subscribe: server offer -> browser answer ----

// One m-section of the subscribe offer. Slots keep their index (m-line order) for the life of the
// connection: JSEP forbids reordering or removing m-sections.
struct SubscribeSlot {
  std::string mid;
  MediaKind kind = MediaKind::kAudio;
  // false: no track in the slot now. Written as a=inactive but not rejected (port kept), so it
  // stays in the BUNDLE group and keeps its mid; a later track reuses the slot with that mid.
  bool active = true;
  std::string participant_id;  // a=msid stream id: whose track this is
  std::string track_id;        // a=msid track id
  uint32_t ssrc = 0;           // the SSRC the server sends this track with
  uint32_t rtx_ssrc = 0;       // 0 = no RTX stream
  std::string cname;
  std::vector<NegotiatedCodec> codecs;  // payload types chosen by the server (usually the publisher's)
  std::vector<Extmap> extensions;       // ids chosen by the server
  // kind == MediaKind::kApplication only: the slot is the connection's data channel m-section,
  // written `m=application <port> UDP/DTLS/SCTP webrtc-datachannel` with a=mid, these two and the
  // transport, and no codec, ssrc, msid or direction lines (the fields above are ignored). `active`
  // false writes it rejected (port 0, out of BUNDLE): an SCTP association has no "inactive".
  uint16_t sctp_port = 5000;
  size_t max_message_size = 262144;
};

// Builds the subscribe offer: ICE-lite, a=setup:actpass, one sendonly m-section per active slot
// with a=msid:<participant_id> <track_id>, ssrc lines (cname, msid) and an FID group when there
// is RTX, an application slot as a data channel m-section, BUNDLE over the slots not rejected. An active slot
// without codecs is written as inactive (there is nothing the browser could accept). With no slots the offer
// has no m-sections; it is still a valid description that a browser accepts, and the connection then simply
// carries nothing.
SessionDescription build_subscribe_offer(const std::vector<SubscribeSlot>& slots, const LocalTransport& local,
                                         uint64_t session_id, uint64_t version);

// Consistency across the RTP m-sections of a description's BUNDLE group (data channel
// m-sections have neither extmaps nor payload types and are skipped), for offers the server
// builds from several publishers' parameters (RFC 8843 section 9.1.2 and 9.2):
// - an extmap id naming different URIs in two bundled m-sections. Chromium rejects such an offer
//   ("A BUNDLE group contains a codec collision for header extension id=1"), verified with
//   Chromium 156.
std::optional<SdpError> check_bundle_extension_ids(const SessionDescription& description);
// - a payload type naming different codec formats (CodecCatalog::same_format) in two bundled
//   m-sections. RFC 8843 forbids it; Chromium 156 tolerates it (it demultiplexes by MID).
std::optional<SdpError> check_bundle_payload_types(const SessionDescription& description);

// What the browser accepted for one m-section of the subscribe offer.
struct SubscribedTrackState {
  std::string mid;
  bool accepted = false;                       // the answer did not reject the m-section (port != 0)
  Direction direction = Direction::kInactive;  // the answer's direction
  // accepted, the answer receives (recvonly), and at least one offered media codec was accepted.
  bool receivable = false;
  std::vector<NegotiatedCodec> codecs;  // accepted subset of the offered codecs, offer's payload types
  std::vector<Extmap> extensions;       // accepted subset of the offered extensions
  // Set for an accepted application slot (a data channel m-section): the browser's SCTP port and
  // largest message (RFC 8841 defaults applied; its 0 = the slot's own max_message_size).
  std::optional<DataChannelSpec> data_channel;
};

struct SubscribeAnswerResult {
  RemoteTransport remote;
  std::vector<SubscribedTrackState> tracks;  // one per m-section, in m-line order
  bool extmap_allow_mixed = false;           // the answer accepted one- and two-byte extensions mixed
};

// Checks the browser's answer against the offer it answers (m-section count and mids, BUNDLE,
// rtcp-mux, ICE credentials and fingerprint, and DTLS role active: the offer says actpass as JSEP
// requires, but the server is always the DTLS server, so passive is refused) and reports per
// m-section what was accepted. An accepted data channel m-section must keep the offer's
// UDP/DTLS/SCTP webrtc-datachannel; its a=sctp-port and a=max-message-size become
// SubscribedTrackState::data_channel (it has no direction and no codecs, so `receivable` is false).
std::variant<SubscribeAnswerResult, SdpError> apply_subscribe_answer(const SessionDescription& our_offer,
                                                                     const SessionDescription& answer);

// What a later description of a connection does to the remote transport the connection uses.
enum class RemoteTransportChange : uint8_t {
  None,        // the same ICE credentials and fingerprint (hex digits in either case)
  IceRestart,  // new a=ice-ufrag and a=ice-pwd, the same fingerprint (RFC 8445 §9)
};
// Compares `later` with `current`. Refused, with a message for the client: only one of ice-ufrag
// and ice-pwd changed (bad_request: a restart changes both, RFC 8445 §9), or another DTLS
// certificate (unsupported: DTLS and SRTP stay up across a restart, so the peer's certificate is
// the one of the running association).
std::variant<RemoteTransportChange, Error> remote_transport_change(const RemoteTransport& current,
                                                                   const RemoteTransport& later);

// Parse limits for a subscribe answer. It has as many m-sections as the server's offer, so its
// caps follow the largest offer the server makes (`max_media_sections`): that many m-sections, a
// BUNDLE line naming all their mids (the server's mids are decimal counters), and up to
// `max_input_bytes` of text (the signaling message cap, which bounds it first anyway).
ParseOptions subscribe_answer_parse_options(size_t max_media_sections, size_t max_input_bytes);

// The transport attributes of a description: those of the m-section with `mid` (the BUNDLE tag),
// falling back to session level. Fails naming what is missing; `role` names the description
// ("offer", "answer") in messages. Shared by both directions, exposed for tests.
std::variant<RemoteTransport, SdpError> remote_transport_of(const SessionDescription& description,
                                                            std::string_view mid, std::string_view role);

}  // namespace sfu::sdp
