// Publish negotiation and the helpers both directions share (sfu/sdp/sdp_negotiation.h).
// The subscribe direction is in sdp_negotiation_subscribe.cpp.

#include "sfu/sdp/sdp_negotiation.h"

#include <algorithm>
#include <cctype>
#include <set>

namespace sfu::sdp {
namespace {

std::string section_name(size_t index, const MediaSection& m) {
  return "m-section " + std::to_string(index) + " (mid=" + m.mid + ")";
}

bool contains(const std::vector<std::string>& list, const std::string& item) {
  return std::find(list.begin(), list.end(), item) != list.end();
}

// Audio/video over DTLS-SRTP; plain RTP/AVP(F) would need keys the server does not have.
bool is_secure_rtp(const MediaSection& m) {
  return (m.kind == MediaKind::kAudio || m.kind == MediaKind::kVideo) && m.is_rtp() &&
         m.protocol.find("SAVP") != std::string::npos;
}

// The answer to an m-section the server does not take: port 0, no transport attributes.
MediaSection rejected_answer(const MediaSection& offered) {
  MediaSection answer;
  answer.kind = offered.kind;
  answer.media = offered.media;
  answer.port = 0;
  answer.protocol = offered.protocol;
  answer.mid = offered.mid;
  answer.direction = Direction::kInactive;
  if (!offered.codecs.empty()) {
    Codec placeholder;  // the m= line needs one format; no rtpmap for it
    placeholder.payload_type = offered.codecs.front().payload_type;
    answer.codecs.push_back(placeholder);
  }
  answer.formats = offered.formats;
  return answer;
}

std::string offered_codec_names(const MediaSection& m) {
  std::vector<std::string> names;
  for (const auto& codec : m.codecs) {
    std::string name = codec.name.empty() ? "PT " + std::to_string(codec.payload_type) : codec.name;
    if (!contains(names, name)) names.push_back(name);
  }
  std::string out;
  for (const auto& name : names) out += (out.empty() ? "" : ", ") + name;
  return out.empty() ? "nothing" : out;
}

// RED only around an Opus the answer takes (the catalog checked its fmtp names one payload type).
void drop_red_without_opus(std::vector<NegotiatedCodec>& chosen) {
  std::set<uint8_t> opus_payload_types;
  for (const auto& c : chosen)
    if (c.codec.is_named("opus")) opus_payload_types.insert(c.codec.payload_type);
  std::erase_if(chosen, [&opus_payload_types](const NegotiatedCodec& c) {
    if (!CodecCatalog::is_red(c.codec)) return false;
    const auto wrapped = CodecCatalog::red_wrapped_payload_type(c.codec);
    return !wrapped || opus_payload_types.count(*wrapped) == 0;
  });
}

// The codecs of the answer, in the offer's order: each supported media codec and the RTX whose
// apt points at one of them.
std::vector<NegotiatedCodec> choose_codecs(const MediaSection& offered, const CodecCatalog& catalog,
                                           std::vector<Codec>& answer_codecs) {
  std::vector<NegotiatedCodec> chosen;
  for (const auto& codec : offered.codecs) {
    if (codec.is_rtx()) continue;
    if (auto answered = catalog.answer_codec(offered.kind, codec))
      chosen.push_back({std::move(*answered), {}});
  }
  drop_red_without_opus(chosen);
  for (const auto& codec : offered.codecs) {
    if (!codec.is_rtx() || !catalog.supports_rtx(offered.kind)) continue;
    auto apt = codec.rtx_apt();
    for (auto& negotiated : chosen) {
      if (apt && negotiated.codec.payload_type == *apt && !negotiated.rtx_payload_type) {
        negotiated.rtx_payload_type = codec.payload_type;
      }
    }
  }
  for (const auto& codec : offered.codecs) {
    for (const auto& negotiated : chosen) {
      if (negotiated.codec.payload_type == codec.payload_type) answer_codecs.push_back(negotiated.codec);
      if (negotiated.rtx_payload_type == codec.payload_type) {
        answer_codecs.push_back(catalog.answer_rtx(codec, negotiated.codec));
      }
    }
  }
  return chosen;
}

std::vector<Extmap> choose_extensions(const MediaSection& offered, const CodecCatalog& catalog) {
  std::vector<Extmap> chosen;
  for (const auto& extmap : offered.extmaps) {
    // An extension the offerer only receives (or neither) will never arrive on this connection.
    bool offerer_sends = !extmap.direction || sends(*extmap.direction);
    if (offerer_sends && catalog.supports_extension(offered.kind, extmap.uri)) {
      chosen.push_back({extmap.id, std::nullopt, extmap.uri, {}});
    }
  }
  return chosen;
}

// rids the offerer sends, in a=simulcast order when there is one (first alternative of each
// simulcast stream), else in a=rid order.
std::vector<std::string> send_rids(const MediaSection& m) {
  std::vector<std::string> rids;
  if (m.simulcast && !m.simulcast->send.empty()) {
    for (const auto& stream : m.simulcast->send) {
      if (!stream.empty()) rids.push_back(stream.front().rid);
    }
    return rids;
  }
  for (const auto& rid : m.rids) {
    if (rid.direction == RidDirection::kSend) rids.push_back(rid.id);
  }
  return rids;
}

// The answer's mirror of the offer's send rids and simulcast: "recv" for each accepted rid.
// NOLINTNEXTLINE(readability-function-cognitive-complexity): mirrors RFC 8853 rid and simulcast attributes one case at a time.
void answer_rids(const MediaSection& offered, const std::vector<NegotiatedCodec>& codecs,
                 MediaSection& answer) {
  std::set<std::string> dropped;
  for (const auto& rid : offered.rids) {
    if (rid.direction != RidDirection::kSend) continue;
    Rid mirrored = rid;
    mirrored.direction = RidDirection::kRecv;
    if (!rid.payload_types.empty()) {  // keep only restrictions to payload types still negotiated
      mirrored.payload_types.clear();
      for (uint8_t pt : rid.payload_types) {
        bool kept = std::any_of(codecs.begin(), codecs.end(), [pt](const NegotiatedCodec& c) {
          return c.codec.payload_type == pt || c.rtx_payload_type == pt;
        });
        if (kept) mirrored.payload_types.push_back(pt);
      }
      if (mirrored.payload_types.empty()) {
        dropped.insert(rid.id);
        continue;
      }
    }
    answer.rids.push_back(std::move(mirrored));
  }
  if (!offered.simulcast || offered.simulcast->send.empty()) return;
  Simulcast simulcast;
  for (const auto& stream : offered.simulcast->send) {
    std::vector<SimulcastRid> kept;
    for (const auto& alternative : stream) {
      bool declared = std::any_of(answer.rids.begin(), answer.rids.end(),
                                  [&](const Rid& r) { return r.id == alternative.rid; });
      if (declared && !dropped.count(alternative.rid)) kept.push_back(alternative);
    }
    if (!kept.empty()) simulcast.recv.push_back(std::move(kept));
  }
  if (!simulcast.recv.empty()) answer.simulcast = std::move(simulcast);
}

PublishedTrackSpec track_of(const MediaSection& m, std::vector<NegotiatedCodec> codecs,
                            std::vector<Extmap> extensions) {
  PublishedTrackSpec track;
  track.mid = m.mid;
  track.kind = m.kind;
  track.codecs = std::move(codecs);
  track.extensions = std::move(extensions);
  if (m.msid) {
    track.stream_id = m.msid->stream;
    track.track_id = m.msid->track;
  }
  track.rids = send_rids(m);
  auto fid_partner = [&m](uint32_t primary) -> uint32_t {
    for (const auto& group : m.ssrc_groups) {
      if (group.semantics == "FID" && group.ssrcs.size() == 2 && group.ssrcs[0] == primary)
        return group.ssrcs[1];
    }
    return 0;
  };
  if (const SsrcGroup* sim = m.find_ssrc_group("SIM")) {
    track.ssrcs = sim->ssrcs;
  } else if (track.rids.empty()) {
    for (const auto& ssrc : m.ssrcs) {  // the first SSRC that is not the repair stream of another
      bool is_repair = std::any_of(m.ssrc_groups.begin(), m.ssrc_groups.end(), [&](const SsrcGroup& g) {
        return g.semantics == "FID" && g.ssrcs.size() == 2 && g.ssrcs[1] == ssrc.ssrc;
      });
      if (!is_repair) {
        track.ssrcs.push_back(ssrc.ssrc);
        break;
      }
    }
  }
  for (uint32_t ssrc : track.ssrcs) track.rtx_ssrcs.push_back(fid_partner(ssrc));
  for (const auto& ssrc : m.ssrcs) {
    if (track.cname.empty() && !ssrc.cname.empty()) track.cname = ssrc.cname;
    if (track.track_id.empty() && ssrc.msid) {  // Plan B style: msid only on the ssrc lines
      track.stream_id = ssrc.msid->stream;
      track.track_id = ssrc.msid->track;
    }
  }
  return track;
}

const Fingerprint* preferred_fingerprint(const std::vector<Fingerprint>& fingerprints) {
  for (std::string_view algorithm : {"sha-256", "sha-384", "sha-512", "sha-1"}) {
    for (const auto& fingerprint : fingerprints) {
      if (fingerprint.algorithm == algorithm) return &fingerprint;
    }
  }
  return nullptr;
}

// The answer's m-section for an accepted offered one: the offer's kind, proto and mid, and the
// server's transport. The default candidate goes on the m= and c= lines (RFC 8839 section
// 4.2.1.2).
MediaSection accepted_section(const MediaSection& offered, const LocalTransport& local) {
  MediaSection m;
  m.kind = offered.kind;
  m.media = offered.media;
  m.protocol = offered.protocol;
  m.mid = offered.mid;
  set_local_transport(m, local, SetupRole::kPassive);
  return m;
}

// The accepted data channel m-section (RFC 8841 section 5): the offer's mid, the server's
// transport, our a=sctp-port and a=max-message-size; no direction, no rtcp-mux (not RTP).
MediaSection data_channel_answer(const MediaSection& offered, const LocalTransport& local,
                                 const DataChannelOptions& ours) {
  MediaSection m = accepted_section(offered, local);
  m.formats = {std::string(kDataChannelFormat)};
  m.sctp_port = ours.sctp_port;
  m.max_message_size = ours.max_message_size;
  return m;
}

}  // namespace

void set_local_transport(MediaSection& m, const LocalTransport& local, SetupRole setup) {
  const Candidate* default_candidate = local.candidates.empty() ? nullptr : &local.candidates.front();
  m.port = default_candidate ? default_candidate->port : 9;
  if (default_candidate) {
    bool v6 = default_candidate->address.find(':') != std::string::npos;
    m.connection = Connection{v6 ? "IP6" : "IP4", default_candidate->address};
  }
  m.ice_ufrag = local.ice_ufrag;
  m.ice_pwd = local.ice_pwd;
  m.fingerprints = {{"sha-256", local.fingerprint}};
  m.setup = setup;
  m.candidates = local.candidates;
  m.end_of_candidates = true;
}

bool is_data_channel_section(const MediaSection& m) {
  return m.kind == MediaKind::kApplication && m.protocol == kDataChannelProtocol && m.formats.size() == 1 &&
         m.formats.front() == kDataChannelFormat;
}

DataChannelSpec data_channel_spec_of(const MediaSection& m, size_t our_max_message_size) {
  DataChannelSpec spec;
  spec.mid = m.mid;
  spec.sctp_port = m.sctp_port.value_or(kDefaultSctpPort);
  uint64_t peer_max = m.max_message_size.value_or(kDefaultMaxMessageSize);
  spec.max_message_size = peer_max == 0 ? our_max_message_size : static_cast<size_t>(peer_max);
  return spec;
}

Candidate make_host_candidate(std::string address, uint16_t port, std::string transport,
                              std::optional<uint16_t> local_preference) {
  Candidate candidate;
  bool tcp = transport == "tcp" || transport == "TCP";
  const uint32_t preference = local_preference.value_or(tcp ? kTcpPassiveLocalPreference : 65535);
  candidate.foundation = tcp ? "2" : "1";  // one per transport: same type, base and protocol share it
  candidate.component = 1;
  candidate.transport = std::move(transport);
  // RFC 8445 5.1.2.1: type preference 126 for host, component 1.
  candidate.priority = (126u << 24) | (preference << 8) | (256u - 1u);
  candidate.address = std::move(address);
  candidate.port = port;
  candidate.type = "host";
  if (tcp) candidate.tcp_type = "passive";
  return candidate;
}

std::variant<RemoteTransport, SdpError> remote_transport_of(const SessionDescription& d, std::string_view mid,
                                                            std::string_view role) {
  const MediaSection* m = d.find_media(mid);
  RemoteTransport remote;
  remote.ice_ufrag = m && !m->ice_ufrag.empty() ? m->ice_ufrag : d.ice_ufrag;
  remote.ice_pwd = m && !m->ice_pwd.empty() ? m->ice_pwd : d.ice_pwd;
  const Fingerprint* fingerprint = m ? preferred_fingerprint(m->fingerprints) : nullptr;
  if (!fingerprint) fingerprint = preferred_fingerprint(d.fingerprints);
  SetupRole setup = m && m->setup != SetupRole::kNone ? m->setup : d.setup;
  std::string who(role);
  if (remote.ice_ufrag.empty()) return SdpError{0, who + " lacks a=ice-ufrag"};
  if (remote.ice_pwd.empty()) return SdpError{0, who + " lacks a=ice-pwd"};
  if (!fingerprint) return SdpError{0, who + " lacks a=fingerprint with sha-256, sha-384, sha-512 or sha-1"};
  remote.fingerprint_algorithm = fingerprint->algorithm;
  remote.fingerprint = fingerprint->value;
  remote.setup = std::string(to_string(setup));
  return remote;
}

std::variant<RemoteTransportChange, Error> remote_transport_change(const RemoteTransport& current,
                                                                   const RemoteTransport& later) {
  // Hex digits may be written in either case (RFC 8122 section 5).
  auto same_text = [](const std::string& a, const std::string& b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
             return std::tolower(static_cast<unsigned char>(x)) ==
                    std::tolower(static_cast<unsigned char>(y));
           });
  };
  if (!same_text(later.fingerprint_algorithm, current.fingerprint_algorithm) ||
      !same_text(later.fingerprint, current.fingerprint))
    return Error{ErrorCode::unsupported,
                 "a new DTLS certificate is not supported: keep the fingerprint of the first description"};
  bool new_ufrag = later.ice_ufrag != current.ice_ufrag;
  bool new_pwd = later.ice_pwd != current.ice_pwd;
  if (new_ufrag && new_pwd) return RemoteTransportChange::IceRestart;
  if (new_ufrag || new_pwd)
    return Error{ErrorCode::bad_request,
                 std::string("an ICE restart changes both a=ice-ufrag and a=ice-pwd (") +
                     (new_ufrag ? "only a=ice-ufrag" : "only a=ice-pwd") + " changed)"};
  return RemoteTransportChange::None;
}

ParseOptions subscribe_answer_parse_options(size_t max_media_sections, size_t max_input_bytes) {
  ParseOptions options;
  options.max_media_sections = std::max(options.max_media_sections, max_media_sections);
  options.max_input_bytes = std::max(options.max_input_bytes, max_input_bytes);
  size_t mid_digits = std::to_string(max_media_sections).size();
  size_t bundle_line = std::string_view("a=group:BUNDLE").size() + max_media_sections * (1 + mid_digits);
  options.max_line_length = std::max(options.max_line_length, bundle_line);
  return options;
}

namespace {

// The offer-wide rules (RFC 8829 section 5.3.1 as the server applies them): mids, BUNDLE, rtcp-mux.
std::optional<SdpError> check_publish_offer(const SessionDescription& offer) {
  const Group* bundle = offer.find_group("BUNDLE");
  for (size_t i = 0; i < offer.media.size(); ++i) {
    const MediaSection& m = offer.media[i];
    if (m.mid.empty()) return SdpError{0, "m-section " + std::to_string(i) + " lacks a=mid"};
    if (m.rejected()) continue;
    if (!bundle) return SdpError{0, "offer has no BUNDLE group"};
    if (!contains(bundle->mids, m.mid))
      return SdpError{0, section_name(i, m) + " is not in the BUNDLE group"};
    if (m.is_rtp() && !m.rtcp_mux) return SdpError{0, section_name(i, m) + " lacks a=rtcp-mux"};
  }
  return std::nullopt;
}

// The answer to one offered audio/video m-section (a track when it sends), or the error that
// refuses the whole offer.
std::optional<SdpError> answer_media_section(const MediaSection& offered, const LocalTransport& local,
                                             const NegotiationOptions& options, PublishResult& result) {
  SessionDescription& answer = result.answer;
  if (offered.rejected() || !is_secure_rtp(offered)) {
    answer.media.push_back(rejected_answer(offered));
    return std::nullopt;
  }
  MediaSection m = accepted_section(offered, local);
  std::vector<NegotiatedCodec> codecs = choose_codecs(offered, options.catalog, m.codecs);
  if (codecs.empty()) {
    if (sends(offered.direction)) {
      return SdpError{0, "no supported codec in m-section mid=" + offered.mid + ": offered " +
                             offered_codec_names(offered)};
    }
    answer.media.push_back(rejected_answer(offered));
    return std::nullopt;
  }
  m.direction = sends(offered.direction) ? Direction::kRecvOnly : Direction::kInactive;
  m.rtcp_mux = true;
  m.rtcp_rsize = offered.rtcp_rsize;
  m.extmaps = choose_extensions(offered, options.catalog);
  if (sends(offered.direction)) {
    answer_rids(offered, codecs, m);
    result.tracks.push_back(track_of(offered, codecs, m.extmaps));
  }
  answer.media.push_back(std::move(m));
  return std::nullopt;
}

}  // namespace

std::variant<PublishResult, SdpError> negotiate_publish(const SessionDescription& offer,
                                                        const LocalTransport& local,
                                                        const NegotiationOptions& options) {
  if (auto error = check_publish_offer(offer)) return std::move(*error);
  const Group* bundle = offer.find_group("BUNDLE");
  bool any_accepted = std::any_of(offer.media.begin(), offer.media.end(),
                                  [](const MediaSection& m) { return !m.rejected(); });

  PublishResult result;
  if (any_accepted) {
    auto remote = remote_transport_of(offer, bundle->mids.front(), "offer");
    if (auto* error = std::get_if<SdpError>(&remote)) return std::move(*error);
    result.remote = std::get<RemoteTransport>(std::move(remote));
    if (result.remote.setup == "passive" || result.remote.setup == "holdconn") {
      return SdpError{
          0, "offer has a=setup:" + result.remote.setup + ", but the server only takes the DTLS server role"};
    }
    if (result.remote.setup.empty()) result.remote.setup = "active";  // RFC 4145 section 4 default
  }

  SessionDescription& answer = result.answer;
  answer.session_id = options.answer_session_id;
  answer.session_version = options.answer_session_version;
  answer.ice_lite = true;
  answer.extmap_allow_mixed = offer.extmap_allow_mixed;
  for (const auto& offered : offer.media) {
    // One SCTP association per transport: only the first data channel m-section is taken.
    if (options.data_channels && !result.data_channel && !offered.rejected() &&
        is_data_channel_section(offered)) {
      answer.media.push_back(data_channel_answer(offered, local, *options.data_channels));
      result.data_channel = data_channel_spec_of(offered, options.data_channels->max_message_size);
      continue;
    }
    if (auto error = answer_media_section(offered, local, options, result)) return std::move(*error);
  }

  Group answer_bundle{"BUNDLE", {}};
  if (bundle) {  // the offer's order, so that its tag (first mid) stays first when accepted
    for (const auto& mid : bundle->mids) {
      const MediaSection* m = answer.find_media(mid);
      if (m && !m->rejected()) answer_bundle.mids.push_back(mid);
    }
  }
  if (!answer_bundle.mids.empty()) answer.groups.push_back(std::move(answer_bundle));
  return result;
}

}  // namespace sfu::sdp
