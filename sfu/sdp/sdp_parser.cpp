// SDP text -> SessionDescription (sfu/sdp/sdp.h).
//
// One pass over the lines; attributes before the first m= line are session-level, later ones
// belong to the last m= line. Strict where a mistake would change what we negotiate (numbers,
// payload types, extmap ids, rid and simulcast syntax, BUNDLE references), lenient where browsers
// differ harmlessly (blank lines, unknown attributes, attribute order, session-level direction).

#include <algorithm>
#include <limits>
#include <string>

#include "sfu/sdp/sdp.h"
#include "sfu/sdp/sdp_attributes.h"

namespace sfu::sdp {
namespace {

using text::quoted;
using text::rest_after_first_word;
using text::split;
using text::to_uint;
using text::Tokens;
using text::trim;
using text::words;

MediaKind kind_from(std::string_view media) {
  if (media == "audio") return MediaKind::kAudio;
  if (media == "video") return MediaKind::kVideo;
  if (media == "application") return MediaKind::kApplication;
  return MediaKind::kOther;
}

// Names of the static RTP payload types browsers still offer, for m= formats without rtpmap
// (RFC 3551 section 6).
void fill_static_payload_type(Codec& codec) {
  switch (codec.payload_type) {
    case 0:
      codec.name = "PCMU";
      codec.clock_rate = 8000;
      break;
    case 8:
      codec.name = "PCMA";
      codec.clock_rate = 8000;
      break;
    case 9:
      codec.name = "G722";
      codec.clock_rate = 8000;
      break;
    case 13:
      codec.name = "CN";
      codec.clock_rate = 8000;
      break;
    default:
      break;
  }
}

class Parser {
 public:
  Parser(std::string_view text, const ParseOptions& options) : text_(text), options_(options) {}

  std::variant<SessionDescription, SdpError> run() {
    if (text_.size() > options_.max_input_bytes) {
      return SdpError{0, "description is " + std::to_string(text_.size()) +
                             " bytes, more than the limit of " + std::to_string(options_.max_input_bytes)};
    }
    size_t pos = 0;
    while (pos < text_.size() && !error_) {
      size_t newline = text_.find('\n', pos);
      std::string_view line =
          text_.substr(pos, newline == std::string_view::npos ? std::string_view::npos : newline - pos);
      pos = newline == std::string_view::npos ? text_.size() : newline + 1;
      ++line_number_;
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      parse_line(line);
    }
    if (!error_) finish();
    if (error_) return std::move(*error_);
    return std::move(session_);
  }

 private:
  bool fail(std::string message) {
    if (!error_) error_ = SdpError{line_number_, std::move(message)};
    return false;
  }

  // The value of an attribute parser, or nullopt after recording its error.
  template <typename T>
  std::optional<T> accept(Result<T>&& result) {
    if (!result) {
      fail(result.error().message);
      return std::nullopt;
    }
    return std::move(result).value();
  }

  void parse_line(std::string_view line) {
    if (line.size() > options_.max_line_length) {
      fail("line is " + std::to_string(line.size()) + " characters, more than the limit of " +
           std::to_string(options_.max_line_length));
      return;
    }
    if (line.empty()) return;  // tolerated, most often the one after the final line end
    for (char c : line) {
      auto byte = static_cast<unsigned char>(c);
      if ((byte < 0x20 && c != '\t') || byte == 0x7f) {
        fail("line contains control character " + std::to_string(byte));
        return;
      }
    }
    if (line.size() < 2 || line[1] != '=' || line[0] < 'a' || line[0] > 'z') {
      fail("expected <type>=<value>, got " + quoted(line));
      return;
    }
    char type = line[0];
    std::string_view value = line.substr(2);
    if (!saw_version_) {
      if (type != 'v') {
        fail("missing v= line: a description starts with v=0");
        return;
      }
      if (trim(value) != "0") {
        fail("unsupported version v=" + std::string(value) + ", only v=0 exists");
        return;
      }
      saw_version_ = true;
      return;
    }
    switch (type) {
      case 'v':
        fail("second v= line");
        break;
      case 'o':
        parse_origin(value);
        break;
      case 's':
        if (!media_) session_.session_name = std::string(value);
        break;
      case 'm':
        parse_media(value);
        break;
      case 'c':
        parse_connection(value);
        break;
      case 'a':
        parse_attribute(value);
        break;
      default:
        break;  // t=, b=, i=, u=, e=, p=, r=, z=, k=: nothing we negotiate
    }
  }

  void parse_origin(std::string_view value) {
    if (media_) {
      fail("o= line inside an m-section");
      return;
    }
    Tokens t = words(value);
    if (t.size() != 6) {
      fail("o= needs 6 fields (username sess-id sess-version nettype addrtype address), got " +
           quoted(value));
      return;
    }
    if (!to_uint(t[1], session_.session_id) || !to_uint(t[2], session_.session_version)) {
      fail("o= session id and version must be unsigned 64-bit numbers, got " + quoted(value));
      return;
    }
    session_.origin_username = std::string(t[0]);
    session_.origin_address = Connection{std::string(t[4]), std::string(t[5])};
    saw_origin_ = true;
  }

  void parse_media(std::string_view value) {
    if (session_.media.size() >= options_.max_media_sections) {
      fail("more than " + std::to_string(options_.max_media_sections) + " m-sections");
      return;
    }
    Tokens t = words(value);
    if (t.size() < 4) {
      fail("m= needs <media> <port> <protocol> <format>..., got " + quoted(value));
      return;
    }
    MediaSection section;
    section.media = std::string(t[0]);
    section.kind = kind_from(t[0]);
    std::string_view port = t[1];
    if (size_t slash = port.find('/'); slash != std::string_view::npos) {
      uint16_t count = 0;
      if (!to_uint(port.substr(slash + 1), count)) {
        fail("m= port count is not a number: " + quoted(t[1]));
        return;
      }
      port = port.substr(0, slash);
    }
    if (!to_uint(port, section.port)) {
      fail("m= port must be 0-65535, got " + quoted(t[1]));
      return;
    }
    section.protocol = std::string(t[2]);
    section.direction = session_direction_.value_or(Direction::kSendRecv);  // media level overrides
    for (size_t i = 3; i < t.size(); ++i) {
      if (section.is_rtp()) {
        uint8_t pt = 0;
        if (!to_uint(t[i], pt, 127)) {
          fail("m= payload type must be 0-127, got " + quoted(t[i]));
          return;
        }
        if (section.find_codec(pt)) {
          fail("m= lists payload type " + std::to_string(pt) + " twice");
          return;
        }
        Codec codec;
        codec.payload_type = pt;
        fill_static_payload_type(codec);
        section.codecs.push_back(std::move(codec));
      } else {
        section.formats.emplace_back(t[i]);
      }
    }
    session_.media.push_back(std::move(section));
    media_ = &session_.media.back();
    media_has_rtpmap_.clear();
    media_has_fmtp_.clear();
  }

  void parse_connection(std::string_view value) {
    Tokens t = words(value);
    if (t.size() != 3 || t[0] != "IN" || (t[1] != "IP4" && t[1] != "IP6")) {
      fail("c= must be 'IN IP4|IP6 <address>', got " + quoted(value));
      return;
    }
    if (media_) media_->connection = Connection{std::string(t[1]), std::string(t[2])};
  }

  void parse_attribute(std::string_view value) {
    size_t colon = value.find(':');
    std::string_view name = value.substr(0, colon);
    std::string_view arg = colon == std::string_view::npos ? std::string_view{} : value.substr(colon + 1);
    if (!media_) {
      parse_session_attribute(name, arg);
    } else {
      parse_media_attribute(name, arg);
    }
  }

  // Attributes that may sit at either level (transport ones) go to `session_` or `media_`.
  bool parse_transport_attribute(std::string_view name, std::string_view arg, std::string& ufrag,
                                 std::string& pwd, std::vector<std::string>& options,
                                 std::vector<Fingerprint>& fingerprints, SetupRole& setup) {
    if (name == "ice-ufrag" || name == "ice-pwd") {
      std::string_view credential = trim(arg);
      if (credential.empty() || credential.find_first_of(" \t") != std::string_view::npos) {
        return fail("a=" + std::string(name) + " must be one non-empty word");
      }
      (name == "ice-ufrag" ? ufrag : pwd) = std::string(credential);
    } else if (name == "ice-options") {
      for (std::string_view option : words(arg)) options.emplace_back(option);
    } else if (name == "fingerprint") {
      auto fingerprint = accept(parse_fingerprint(arg));
      if (!fingerprint) return false;
      fingerprints.push_back(std::move(*fingerprint));
    } else if (name == "setup") {
      std::string_view role = trim(arg);
      if (role == "actpass")
        setup = SetupRole::kActpass;
      else if (role == "active")
        setup = SetupRole::kActive;
      else if (role == "passive")
        setup = SetupRole::kPassive;
      else if (role == "holdconn")
        setup = SetupRole::kHoldconn;
      else
        return fail("a=setup must be actpass, active, passive or holdconn, got " + quoted(arg));
    }
    return true;
  }

  void parse_session_attribute(std::string_view name, std::string_view arg) {
    if (name == "group") {
      Tokens t = words(arg);
      if (t.empty()) {
        fail("a=group needs a semantics");
        return;
      }
      Group group{std::string(t[0]), {}};
      for (size_t i = 1; i < t.size(); ++i) group.mids.emplace_back(t[i]);
      session_.groups.push_back(std::move(group));
    } else if (name == "msid-semantic") {
      Tokens t = words(arg);  // Chromium writes "a=msid-semantic: WMS <ids>", with a space
      if (t.empty()) {
        fail("a=msid-semantic needs a semantic");
        return;
      }
      MsidSemantic semantic{std::string(t[0]), {}};
      for (size_t i = 1; i < t.size(); ++i) semantic.ids.emplace_back(t[i]);
      session_.msid_semantic = std::move(semantic);
    } else if (name == "ice-lite") {
      session_.ice_lite = true;
    } else if (name == "extmap-allow-mixed") {
      session_.extmap_allow_mixed = true;
    } else if (auto direction = direction_from(name)) {
      session_direction_ = direction;  // Firefox writes a=sendrecv at session level
    } else {
      parse_transport_attribute(name, arg, session_.ice_ufrag, session_.ice_pwd, session_.ice_options,
                                session_.fingerprints, session_.setup);
    }
  }

  // NOLINTNEXTLINE(readability-function-cognitive-complexity): flat dispatch on the a= attribute name, one branch per attribute.
  void parse_media_attribute(std::string_view name, std::string_view arg) {
    MediaSection& m = *media_;
    if (name == "mid") {
      std::string_view mid = trim(arg);
      if (mid.empty() || mid.find_first_of(" \t") != std::string_view::npos) {
        fail("a=mid must be one non-empty word, got " + quoted(arg));
      } else if (!m.mid.empty()) {
        fail("second a=mid in one m-section");
      } else {
        m.mid = std::string(mid);
      }
    } else if (auto direction = direction_from(name)) {
      m.direction = *direction;
    } else if (name == "rtcp-mux") {
      m.rtcp_mux = true;
    } else if (name == "rtcp-rsize") {
      m.rtcp_rsize = true;
    } else if (name == "bundle-only") {
      m.bundle_only = true;
    } else if (name == "end-of-candidates") {
      m.end_of_candidates = true;
    } else if (name == "candidate") {
      if (auto candidate = accept(parse_candidate(arg))) m.candidates.push_back(std::move(*candidate));
    } else if (name == "extmap") {
      add_extmap(arg);
    } else if (name == "rtpmap") {
      parse_rtpmap(arg);
    } else if (name == "fmtp") {
      parse_fmtp(arg);
    } else if (name == "rtcp-fb") {
      parse_rtcp_fb(arg);
    } else if (name == "ssrc") {
      parse_ssrc(arg);
    } else if (name == "ssrc-group") {
      if (auto group = accept(parse_ssrc_group(arg))) m.ssrc_groups.push_back(std::move(*group));
    } else if (name == "msid") {
      Tokens t = words(arg);
      if (t.empty() || t.size() > 2) {
        fail("a=msid needs <stream-id> [<track-id>], got " + quoted(arg));
      } else if (!m.msid) {
        m.msid = Msid{std::string(t[0]), t.size() > 1 ? std::string(t[1]) : std::string()};
      }
    } else if (name == "rid") {
      add_rid(arg);
    } else if (name == "simulcast") {
      if (auto simulcast = accept(parse_simulcast(arg))) m.simulcast = std::move(*simulcast);
    } else if (name == "sctp-port") {
      parse_sctp_port(arg);
    } else if (name == "max-message-size") {
      parse_max_message_size(arg);
    } else {
      parse_transport_attribute(name, arg, m.ice_ufrag, m.ice_pwd, m.ice_options, m.fingerprints, m.setup);
    }
  }

  // a=sctp-port:<port> (RFC 8841 section 5.2): the SCTP port of the data channel association,
  // 1-65535 (0 is not a port SCTP can use).
  void parse_sctp_port(std::string_view arg) {
    uint16_t port = 0;
    if (media_->sctp_port) {
      fail("second a=sctp-port in one m-section");
    } else if (!to_uint(trim(arg), port) || port == 0) {
      fail("a=sctp-port must be 1-65535, got " + quoted(arg));
    } else {
      media_->sctp_port = port;
    }
  }

  // a=max-message-size:<bytes> (RFC 8841 section 6): 0 means no limit; the value is a 32-bit
  // unsigned integer.
  void parse_max_message_size(std::string_view arg) {
    uint64_t size = 0;
    if (media_->max_message_size) {
      fail("second a=max-message-size in one m-section");
    } else if (!to_uint(trim(arg), size, std::numeric_limits<uint32_t>::max())) {
      fail("a=max-message-size must be 0-4294967295, got " + quoted(arg));
    } else {
      media_->max_message_size = size;
    }
  }

  // Returns the codec of the current m-section for `text` (a payload type), or fails naming `what`.
  Codec* codec_for(std::string_view text, std::string_view what) {
    uint8_t pt = 0;
    if (!to_uint(text, pt, 127)) {
      fail(std::string(what) + " payload type must be 0-127, got " + quoted(text));
      return nullptr;
    }
    for (auto& codec : media_->codecs) {
      if (codec.payload_type == pt) return &codec;
    }
    fail(std::string(what) + " for payload type " + std::to_string(pt) + ", which the m=" + media_->media +
         " line does not list");
    return nullptr;
  }

  void parse_rtpmap(std::string_view arg) {
    Tokens t = words(arg);
    if (t.size() != 2) {
      fail("a=rtpmap needs <payload type> <encoding>/<clock rate>[/<channels>], got " + quoted(arg));
      return;
    }
    Codec* codec = codec_for(t[0], "a=rtpmap");
    if (!codec) return;
    if (std::find(media_has_rtpmap_.begin(), media_has_rtpmap_.end(), codec->payload_type) !=
        media_has_rtpmap_.end()) {
      fail("second a=rtpmap for payload type " + std::to_string(codec->payload_type));
      return;
    }
    Tokens parts = split(t[1], '/');
    uint32_t clock_rate = 0;
    uint8_t channels = 0;
    if (parts.size() < 2 || parts.size() > 3 || parts[0].empty() || !to_uint(parts[1], clock_rate) ||
        clock_rate == 0 || (parts.size() == 3 && (!to_uint(parts[2], channels) || channels == 0))) {
      fail("a=rtpmap encoding must be <name>/<clock rate>[/<channels>], got " + quoted(t[1]));
      return;
    }
    media_has_rtpmap_.push_back(codec->payload_type);
    codec->name = std::string(parts[0]);
    codec->clock_rate = clock_rate;
    codec->channels = channels;
  }

  void parse_fmtp(std::string_view arg) {
    Tokens t = words(arg);
    std::string_view pt_text = t.empty() ? std::string_view{} : t[0];
    Codec* codec = codec_for(pt_text, "a=fmtp");
    if (!codec) return;
    if (std::find(media_has_fmtp_.begin(), media_has_fmtp_.end(), codec->payload_type) !=
        media_has_fmtp_.end()) {
      fail("second a=fmtp for payload type " + std::to_string(codec->payload_type));
      return;
    }
    media_has_fmtp_.push_back(codec->payload_type);
    codec->fmtp_raw = std::string(rest_after_first_word(arg));
    codec->fmtp = parse_parameter_list(codec->fmtp_raw);
  }

  void parse_rtcp_fb(std::string_view arg) {
    Tokens t = words(arg);
    if (t.size() < 2) {
      fail("a=rtcp-fb needs <payload type|*> <type> [<parameter>], got " + quoted(arg));
      return;
    }
    std::string_view parameter = rest_after_first_word(rest_after_first_word(arg));
    RtcpFeedback feedback{std::string(t[1]), std::string(parameter)};
    if (t[0] == "*") {  // applies to every payload type of the m-section
      for (auto& codec : media_->codecs) codec.rtcp_fb.push_back(feedback);
      return;
    }
    if (Codec* codec = codec_for(t[0], "a=rtcp-fb")) codec->rtcp_fb.push_back(std::move(feedback));
  }

  void add_extmap(std::string_view arg) {
    auto extmap = accept(parse_extmap(arg));
    if (!extmap) return;
    for (const auto& existing : media_->extmaps) {
      if (existing.id == extmap->id) {
        fail("a=extmap id " + std::to_string(extmap->id) + " is used twice");
        return;
      }
    }
    media_->extmaps.push_back(std::move(*extmap));
  }

  void parse_ssrc(std::string_view arg) {
    Tokens t = words(arg);
    uint32_t ssrc = 0;
    if (t.empty() || !to_uint(t[0], ssrc)) {
      fail("a=ssrc needs an SSRC (0-4294967295), got " + quoted(arg));
      return;
    }
    std::string_view attribute = rest_after_first_word(arg);
    if (attribute.empty()) {
      fail("a=ssrc:" + std::to_string(ssrc) + " names no attribute");
      return;
    }
    auto it = std::find_if(media_->ssrcs.begin(), media_->ssrcs.end(),
                           [ssrc](const SsrcDescription& d) { return d.ssrc == ssrc; });
    if (it == media_->ssrcs.end()) {
      if (media_->ssrcs.size() >= options_.max_ssrcs_per_media_section) {
        fail("more than " + std::to_string(options_.max_ssrcs_per_media_section) + " SSRCs in one m-section");
        return;
      }
      media_->ssrcs.push_back(SsrcDescription{ssrc, {}, {}});
      it = media_->ssrcs.end() - 1;
    }
    size_t colon = attribute.find(':');
    std::string_view name = attribute.substr(0, colon);
    std::string_view value =
        colon == std::string_view::npos ? std::string_view{} : attribute.substr(colon + 1);
    if (name == "cname") {
      it->cname = std::string(trim(value));
    } else if (name == "msid") {
      Tokens ids = words(value);
      if (ids.empty() || ids.size() > 2) {
        fail("a=ssrc msid needs <stream-id> [<track-id>], got " + quoted(value));
        return;
      }
      it->msid = Msid{std::string(ids[0]), ids.size() > 1 ? std::string(ids[1]) : std::string()};
    }
  }

  void add_rid(std::string_view arg) {
    auto rid = accept(parse_rid(arg));
    if (!rid) return;
    if (media_->rids.size() >= options_.max_rids_per_media_section) {
      fail("more than " + std::to_string(options_.max_rids_per_media_section) + " rids in one m-section");
      return;
    }
    for (const auto& existing : media_->rids) {
      if (existing.id == rid->id) {
        fail("a=rid " + rid->id + " is declared twice");
        return;
      }
    }
    media_->rids.push_back(std::move(*rid));
  }

  void finish() {
    if (!saw_version_) {
      line_number_ = 0;
      fail("missing v= line: the description is empty");
      return;
    }
    line_number_ = 0;  // the checks below concern the whole description
    if (!saw_origin_) {
      fail("missing o= line");
      return;
    }
    for (size_t i = 0; i < session_.media.size(); ++i) {
      const std::string& mid = session_.media[i].mid;
      for (size_t j = 0; j < i && !mid.empty(); ++j) {
        if (session_.media[j].mid == mid) {
          fail("m-sections " + std::to_string(j) + " and " + std::to_string(i) + " share mid " + mid);
          return;
        }
      }
    }
    for (const auto& group : session_.groups) {
      for (const auto& mid : group.mids) {
        if (!session_.find_media(mid)) {
          fail("a=group:" + group.semantics + " names mid " + mid + ", which no m-section has");
          return;
        }
      }
    }
  }

  std::string_view text_;
  ParseOptions options_;
  SessionDescription session_;
  MediaSection* media_ = nullptr;  // the m-section being parsed; null at session level
  std::vector<uint8_t> media_has_rtpmap_;
  std::vector<uint8_t> media_has_fmtp_;
  std::optional<Direction> session_direction_;
  size_t line_number_ = 0;
  bool saw_version_ = false;
  bool saw_origin_ = false;
  std::optional<SdpError> error_;
};

}  // namespace

std::variant<SessionDescription, SdpError> parse_sdp(std::string_view text, const ParseOptions& options) {
  return Parser(text, options).run();
}

}  // namespace sfu::sdp
