// SessionDescription -> SDP text (sfu/sdp/sdp.h).
//
// Attribute order follows Chromium's own output (transport, mid, extmap, direction, msid, rtcp,
// codecs, rid/simulcast, ssrc), which both Chromium and Firefox parse.

#include <string>

#include "sfu/sdp/sdp.h"

namespace sfu::sdp {
namespace {

class Writer {
 public:
  // Appends one line; a control character inside a field becomes a space so that no field can
  // end the line early and inject attributes.
  void line(const std::string& text) {
    for (char c : text) {
      auto byte = static_cast<unsigned char>(c);
      out_.push_back(byte < 0x20 || byte == 0x7f ? ' ' : c);
    }
    out_ += "\r\n";
  }

  std::string take() { return std::move(out_); }

 private:
  std::string out_;
};

std::string join(const std::vector<std::string>& items, char separator) {
  std::string out;
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out.push_back(separator);
    out += items[i];
  }
  return out;
}

std::string render_params(const std::vector<FmtpParam>& params) {
  std::string out;
  for (size_t i = 0; i < params.size(); ++i) {
    if (i) out.push_back(';');
    out += params[i].key;
    if (!params[i].value.empty()) out += "=" + params[i].value;
  }
  return out;
}

std::string render_simulcast_list(const std::vector<std::vector<SimulcastRid>>& streams) {
  std::string out;
  for (size_t i = 0; i < streams.size(); ++i) {
    if (i) out.push_back(';');
    for (size_t j = 0; j < streams[i].size(); ++j) {
      if (j) out.push_back(',');
      if (streams[i][j].paused) out.push_back('~');
      out += streams[i][j].rid;
    }
  }
  return out;
}

void write_transport(Writer& w, const std::string& ufrag, const std::string& pwd,
                     const std::vector<std::string>& options, const std::vector<Fingerprint>& fingerprints,
                     SetupRole setup) {
  if (!ufrag.empty()) w.line("a=ice-ufrag:" + ufrag);
  if (!pwd.empty()) w.line("a=ice-pwd:" + pwd);
  if (!options.empty()) w.line("a=ice-options:" + join(options, ' '));
  for (const auto& fingerprint : fingerprints) {
    w.line("a=fingerprint:" + fingerprint.algorithm + " " + fingerprint.value);
  }
  if (setup != SetupRole::kNone) w.line("a=setup:" + std::string(to_string(setup)));
}

std::string render_candidate(const Candidate& c) {
  std::string out = "a=candidate:" + c.foundation + " " + std::to_string(c.component) + " " + c.transport +
                    " " + std::to_string(c.priority) + " " + c.address + " " + std::to_string(c.port) +
                    " typ " + c.type;
  if (!c.related_address.empty()) out += " raddr " + c.related_address;
  if (c.related_port) out += " rport " + std::to_string(*c.related_port);
  if (!c.tcp_type.empty()) out += " tcptype " + c.tcp_type;
  for (const auto& [name, value] : c.extensions) out.append(" ").append(name).append(" ").append(value);
  return out;
}

void write_codecs(Writer& w, const MediaSection& m) {
  for (const auto& codec : m.codecs) {
    std::string pt = std::to_string(codec.payload_type);
    if (!codec.name.empty()) {
      std::string rtpmap = "a=rtpmap:" + pt + " " + codec.name + "/" + std::to_string(codec.clock_rate);
      if (codec.channels != 0) rtpmap.append("/").append(std::to_string(codec.channels));
      w.line(rtpmap);
    }
    for (const auto& feedback : codec.rtcp_fb) {
      w.line("a=rtcp-fb:" + pt + " " + feedback.type +
             (feedback.parameter.empty() ? "" : " " + feedback.parameter));
    }
    if (!codec.fmtp.empty()) w.line("a=fmtp:" + pt + " " + render_params(codec.fmtp));
  }
}

// NOLINTNEXTLINE(readability-function-cognitive-complexity): writes the optional lines of an m-section in RFC 8866 order, one if per line.
void write_media(Writer& w, const MediaSection& m) {
  std::string formats;
  if (m.is_rtp()) {
    for (const auto& codec : m.codecs) formats += " " + std::to_string(codec.payload_type);
  } else {
    for (const auto& format : m.formats) formats += " " + format;
  }
  if (formats.empty()) formats = " 0";  // an m= line needs a format even when rejected
  std::string media = m.media.empty() ? std::string(to_string(m.kind)) : m.media;
  w.line("m=" + media + " " + std::to_string(m.port) + " " + m.protocol + formats);
  const Connection connection = m.connection.value_or(Connection{});
  w.line("c=IN " + connection.address_type + " " + connection.address);
  for (const auto& candidate : m.candidates) w.line(render_candidate(candidate));
  write_transport(w, m.ice_ufrag, m.ice_pwd, m.ice_options, m.fingerprints, m.setup);
  if (!m.mid.empty()) w.line("a=mid:" + m.mid);
  if (m.bundle_only) w.line("a=bundle-only");
  for (const auto& extmap : m.extmaps) {
    std::string text = "a=extmap:" + std::to_string(extmap.id);
    if (extmap.direction) text += "/" + std::string(to_string(*extmap.direction));
    text += " " + extmap.uri;
    if (!extmap.attributes.empty()) text += " " + extmap.attributes;
    w.line(text);
  }
  if (m.kind != MediaKind::kApplication) w.line("a=" + std::string(to_string(m.direction)));
  if (m.msid) w.line("a=msid:" + m.msid->stream + (m.msid->track.empty() ? "" : " " + m.msid->track));
  if (m.rtcp_mux) w.line("a=rtcp-mux");
  if (m.rtcp_rsize) w.line("a=rtcp-rsize");
  write_codecs(w, m);
  for (const auto& rid : m.rids) {
    std::string text = "a=rid:" + rid.id + (rid.direction == RidDirection::kSend ? " send" : " recv");
    std::vector<FmtpParam> params;
    if (!rid.payload_types.empty()) {
      std::string pts;
      for (uint8_t pt : rid.payload_types) pts.append(pts.empty() ? "" : ",").append(std::to_string(pt));
      params.push_back({"pt", pts});
    }
    params.insert(params.end(), rid.restrictions.begin(), rid.restrictions.end());
    if (!params.empty()) text += " " + render_params(params);
    w.line(text);
  }
  if (m.simulcast && (!m.simulcast->send.empty() || !m.simulcast->recv.empty())) {
    std::string text = "a=simulcast:";
    if (!m.simulcast->send.empty()) text += "send " + render_simulcast_list(m.simulcast->send);
    if (!m.simulcast->recv.empty()) {
      text += std::string(m.simulcast->send.empty() ? "" : " ") + "recv " +
              render_simulcast_list(m.simulcast->recv);
    }
    w.line(text);
  }
  for (const auto& group : m.ssrc_groups) {
    std::string text = "a=ssrc-group:" + group.semantics;
    for (uint32_t ssrc : group.ssrcs) text.append(" ").append(std::to_string(ssrc));
    w.line(text);
  }
  for (const auto& ssrc : m.ssrcs) {
    std::string prefix = "a=ssrc:" + std::to_string(ssrc.ssrc) + " ";
    if (!ssrc.cname.empty()) w.line(prefix + "cname:" + ssrc.cname);
    if (ssrc.msid) {
      w.line(prefix + "msid:" + ssrc.msid->stream + (ssrc.msid->track.empty() ? "" : " " + ssrc.msid->track));
    }
  }
  if (m.sctp_port) w.line("a=sctp-port:" + std::to_string(*m.sctp_port));
  if (m.max_message_size) w.line("a=max-message-size:" + std::to_string(*m.max_message_size));
  if (m.end_of_candidates) w.line("a=end-of-candidates");
}

}  // namespace

std::string write_sdp(const SessionDescription& d) {
  Writer w;
  w.line("v=0");
  w.line("o=" + (d.origin_username.empty() ? std::string("-") : d.origin_username) + " " +
         std::to_string(d.session_id) + " " + std::to_string(d.session_version) + " IN " +
         d.origin_address.address_type + " " + d.origin_address.address);
  w.line("s=" + (d.session_name.empty() ? std::string("-") : d.session_name));
  w.line("t=0 0");
  if (d.ice_lite) w.line("a=ice-lite");
  write_transport(w, d.ice_ufrag, d.ice_pwd, d.ice_options, d.fingerprints, d.setup);
  for (const auto& group : d.groups) {
    std::string text = "a=group:" + group.semantics;
    for (const auto& mid : group.mids) text += " " + mid;
    w.line(text);
  }
  if (d.extmap_allow_mixed) w.line("a=extmap-allow-mixed");
  if (d.msid_semantic) {
    std::string text = "a=msid-semantic:" + d.msid_semantic->semantic;
    for (const auto& id : d.msid_semantic->ids) text += " " + id;
    w.line(text);
  }
  for (const auto& m : d.media) write_media(w, m);
  return w.take();
}

}  // namespace sfu::sdp
