// SDP data model, parser and writer for WebRTC session descriptions.
//
// Covers what JSEP (RFC 8829) endpoints put in offers and answers: RFC 8866 core lines, BUNDLE
// groups (RFC 8843), msid (RFC 8830), rid (RFC 8851), simulcast (RFC 8853), extmap (RFC 8285),
// ssrc / ssrc-group (RFC 5576), rtx (RFC 4588), ICE attributes (RFC 8839), fingerprint (RFC 8122),
// setup (RFC 4145) and the data channel attributes sctp-port and max-message-size (RFC 8841). Attributes the
// model does not know are skipped by the parser and so never reach the writer: the writer renders the model,
// never the input text.
//
// The model is plain values; negotiation (sfu/sdp/sdp_negotiation.h) builds answers and offers by
// filling these structs and calling write_sdp().
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "base/result.h"

namespace sfu::sdp {

// What went wrong, for the signaling client to read. `line` is 1-based in the parsed text; 0 when
// the problem is not tied to one line (negotiation errors).
struct SdpError {
  size_t line = 0;
  std::string message;

  std::string to_string() const;  // "line 7: ..." or just the message
};

// The control path's one conversion of a refused SDP: bad_request, "<context>: line 7: ...".
Error to_error(const SdpError& error, std::string_view context);

enum class MediaKind : uint8_t { kAudio, kVideo, kApplication, kOther };
enum class Direction : uint8_t { kSendRecv, kSendOnly, kRecvOnly, kInactive };
enum class SetupRole : uint8_t { kNone, kActpass, kActive, kPassive, kHoldconn };
enum class RidDirection : uint8_t { kSend, kRecv };

std::string_view to_string(MediaKind kind);  // "audio", "video", "application", "other"
std::string_view to_string(Direction direction);
std::string_view to_string(SetupRole role);  // "" for kNone
// The direction the other side states for the same m-section (sendonly <-> recvonly).
Direction reversed(Direction direction);
bool sends(Direction direction);     // sendrecv or sendonly
bool receives(Direction direction);  // sendrecv or recvonly

struct Fingerprint {
  std::string algorithm;  // lower case, e.g. "sha-256"
  std::string value;      // colon-separated hex as written, e.g. "AF:A1:..."
};

// a=candidate (RFC 8839 section 5.1).
struct Candidate {
  std::string foundation;
  uint32_t component = 1;
  std::string transport;  // "udp" / "tcp" as written ("UDP" from Firefox)
  uint32_t priority = 0;
  std::string address;  // IP literal or mDNS name
  uint16_t port = 0;
  std::string type;  // host, srflx, prflx, relay
  std::string related_address;
  std::optional<uint16_t> related_port;
  std::string tcp_type;  // active, passive, so (TCP candidates only)
  // Any further "name value" pairs (generation, network-id, ufrag, ...), in order.
  std::vector<std::pair<std::string, std::string>> extensions;
};

struct FmtpParam {
  std::string key;
  std::string value;  // empty for a bare token (e.g. red's "111/111", telephone-event's "0-15")
};

struct RtcpFeedback {
  std::string type;       // "nack", "ccm", "goog-remb", "transport-cc", ...
  std::string parameter;  // "pli", "fir" or empty

  bool operator==(const RtcpFeedback&) const = default;
};

// One payload type of an RTP m-section: its rtpmap, fmtp and rtcp-fb lines.
struct Codec {
  uint8_t payload_type = 0;
  std::string name;         // as written ("VP8", "opus"); empty if a dynamic PT has no rtpmap
  uint32_t clock_rate = 0;  // 0 if unknown
  uint8_t channels = 0;     // 0 when the rtpmap gives none
  std::vector<FmtpParam> fmtp;
  std::string fmtp_raw;  // the fmtp value as parsed; the writer renders `fmtp`, not this
  std::vector<RtcpFeedback> rtcp_fb;

  const std::string* fmtp_value(std::string_view key) const;  // nullptr if absent
  bool is_named(std::string_view codec_name) const;           // case-insensitive name match
  bool is_rtx() const { return is_named("rtx"); }
  std::optional<uint8_t> rtx_apt() const;  // the apt= of an rtx codec
};

// a=extmap:<id>[/<direction>] <uri> [<attributes>] (RFC 8285).
struct Extmap {
  uint16_t id = 0;  // 1-255
  std::optional<Direction> direction;
  std::string uri;
  std::string attributes;
};

struct Msid {
  std::string stream;  // "-" means no stream
  std::string track;
};

// The a=ssrc lines of one SSRC (RFC 5576); only cname and msid are kept.
struct SsrcDescription {
  uint32_t ssrc = 0;
  std::string cname;
  std::optional<Msid> msid;
};

struct SsrcGroup {
  std::string semantics;  // "FID", "SIM", "FEC-FR", ...
  std::vector<uint32_t> ssrcs;
};

// a=rid:<id> <send|recv> [pt=...;restriction=value;...] (RFC 8851).
struct Rid {
  std::string id;
  RidDirection direction = RidDirection::kSend;
  std::vector<uint8_t> payload_types;   // from pt=, empty if unrestricted
  std::vector<FmtpParam> restrictions;  // everything but pt=, in order
};

struct SimulcastRid {
  std::string rid;
  bool paused = false;  // written with a leading '~'
};

// a=simulcast (RFC 8853). Each entry of send/recv is one simulcast stream given as a list of
// alternative rids (the ',' alternatives inside one ';' item).
struct Simulcast {
  std::string raw;
  std::vector<std::vector<SimulcastRid>> send;
  std::vector<std::vector<SimulcastRid>> recv;
};

struct Connection {
  std::string address_type = "IP4";
  std::string address = "0.0.0.0";
};

struct Group {
  std::string semantics;  // "BUNDLE", "LS", ...
  std::vector<std::string> mids;
};

struct MsidSemantic {
  std::string semantic = "WMS";
  std::vector<std::string> ids;  // stream ids or "*"
};

struct MediaSection {
  MediaKind kind = MediaKind::kOther;
  std::string media;  // the m= media token ("audio", "video", "application", "text", ...)
  uint16_t port = 9;
  std::string protocol = "UDP/TLS/RTP/SAVPF";
  // RTP m-sections: one entry per format of the m= line, in that (preference) order; this list is
  // what the writer puts on the m= line.
  std::vector<Codec> codecs;
  // Non-RTP m-sections: the m= formats as written ("webrtc-datachannel").
  std::vector<std::string> formats;
  std::optional<Connection> connection;
  std::string mid;
  Direction direction = Direction::kSendRecv;
  std::string ice_ufrag;
  std::string ice_pwd;
  std::vector<std::string> ice_options;
  std::vector<Fingerprint> fingerprints;
  SetupRole setup = SetupRole::kNone;
  bool rtcp_mux = false;
  bool rtcp_rsize = false;
  bool bundle_only = false;
  bool end_of_candidates = false;
  std::vector<Candidate> candidates;
  std::vector<Extmap> extmaps;
  std::vector<SsrcDescription> ssrcs;
  std::vector<SsrcGroup> ssrc_groups;
  std::optional<Msid> msid;  // the first a=msid line
  std::vector<Rid> rids;
  std::optional<Simulcast> simulcast;
  // Data channel m-sections (RFC 8841): a=sctp-port (1-65535) and a=max-message-size (0-2^32-1,
  // 0 = no limit). Absent means the RFC defaults, 5000 and 64 KiB (see sdp_negotiation.h).
  std::optional<uint16_t> sctp_port;
  std::optional<uint64_t> max_message_size;

  bool is_rtp() const;  // the protocol carries RTP ("RTP/" in it)
  // Port 0 without a=bundle-only: the m-section is rejected or disabled (RFC 8843 section 7.1).
  bool rejected() const { return port == 0 && !bundle_only; }
  const Codec* find_codec(uint8_t payload_type) const;
  const Extmap* find_extmap(std::string_view uri) const;
  const SsrcGroup* find_ssrc_group(std::string_view semantics) const;
  const SsrcDescription* find_ssrc(uint32_t ssrc) const;
};

struct SessionDescription {
  std::string origin_username = "-";
  uint64_t session_id = 0;
  uint64_t session_version = 0;
  Connection origin_address{"IP4", "127.0.0.1"};
  std::string session_name = "-";
  bool ice_lite = false;
  // Session-level transport attributes; media-level ones override them.
  std::string ice_ufrag;
  std::string ice_pwd;
  std::vector<std::string> ice_options;
  std::vector<Fingerprint> fingerprints;
  SetupRole setup = SetupRole::kNone;
  std::vector<Group> groups;
  std::optional<MsidSemantic> msid_semantic;
  bool extmap_allow_mixed = false;
  std::vector<MediaSection> media;

  const Group* find_group(std::string_view semantics) const;  // case-insensitive semantics
  const MediaSection* find_media(std::string_view mid) const;
};

struct ParseOptions {
  size_t max_media_sections = 64;
  size_t max_line_length = 4096;
  size_t max_input_bytes = size_t{256} * 1024;
  // Per m-section caps on lists that are searched for duplicates while parsing; real offers carry
  // at most a handful (3 simulcast layers with RTX = 6 SSRCs).
  size_t max_ssrcs_per_media_section = 64;
  size_t max_rids_per_media_section = 16;
};

// Parses an SDP text with "\r\n" or "\n" line ends. Never throws; returns the first problem found.
std::variant<SessionDescription, SdpError> parse_sdp(std::string_view text, const ParseOptions& options = {});

// Renders the model as SDP with "\r\n" line ends, in the attribute order Chromium uses. Control
// characters inside fields are replaced by spaces so a field can never start a new line.
std::string write_sdp(const SessionDescription& description);

}  // namespace sfu::sdp
