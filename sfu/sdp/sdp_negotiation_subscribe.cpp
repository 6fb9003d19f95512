// Subscribe negotiation: the server's offer of other participants' tracks and the check of the
// browser's answer (sfu/sdp/sdp_negotiation.h).

#include <algorithm>

#include "sfu/sdp/sdp_negotiation.h"

namespace sfu::sdp {
namespace {

std::string section_name(size_t index, const MediaSection& m) {
  return "m-section " + std::to_string(index) + " (mid=" + m.mid + ")";
}

Codec rtx_codec(uint8_t payload_type, const Codec& primary) {
  Codec rtx;
  rtx.payload_type = payload_type;
  rtx.name = "rtx";
  rtx.clock_rate = primary.clock_rate;
  rtx.fmtp = {{"apt", std::to_string(primary.payload_type)}};
  return rtx;
}

void add_codecs(const std::vector<NegotiatedCodec>& codecs, MediaSection& m) {
  for (const auto& negotiated : codecs) {
    m.codecs.push_back(negotiated.codec);
    if (negotiated.rtx_payload_type)
      m.codecs.push_back(rtx_codec(*negotiated.rtx_payload_type, negotiated.codec));
  }
}

// An m-section of `slot` with the server's transport: the default candidate on the m= and c=
// lines (RFC 8839 section 4.2.1.2), ICE credentials, fingerprint, a=setup:actpass, candidates.
MediaSection offered_section(const SubscribeSlot& slot, const LocalTransport& local) {
  MediaSection m;
  m.kind = slot.kind;
  m.media = std::string(to_string(slot.kind));
  m.mid = slot.mid;
  set_local_transport(m, local, SetupRole::kActpass);
  return m;
}

MediaSection active_section(const SubscribeSlot& slot, const LocalTransport& local) {
  MediaSection m = offered_section(slot, local);
  m.direction = Direction::kSendOnly;
  m.rtcp_mux = true;
  m.rtcp_rsize = true;
  m.extmaps = slot.extensions;
  add_codecs(slot.codecs, m);
  Msid msid{slot.participant_id, slot.track_id};
  m.msid = msid;
  if (slot.ssrc != 0) {
    m.ssrcs.push_back({slot.ssrc, slot.cname, msid});
    if (slot.rtx_ssrc != 0) {
      m.ssrc_groups.push_back({"FID", {slot.ssrc, slot.rtx_ssrc}});
      m.ssrcs.push_back({slot.rtx_ssrc, slot.cname, msid});
    }
  }
  return m;
}

// A slot with no track now: a=inactive but not rejected, so it stays in the BUNDLE group and keeps
// its mid. (Chromium refuses an offer whose m-sections are all rejected and so has no BUNDLE
// group under max-bundle, which is what a subscriber is left with when everyone else leaves.)
MediaSection inactive_section(const SubscribeSlot& slot, const LocalTransport& local) {
  MediaSection m = active_section(slot, local);
  m.direction = Direction::kInactive;
  m.extmaps.clear();  // nothing flows, and ids left over from an old track must not clash
  m.msid.reset();
  m.ssrcs.clear();
  m.ssrc_groups.clear();
  if (m.codecs.empty()) {
    // The m= line needs a format: any codec of the kind will do for a section that carries nothing.
    Codec placeholder;
    placeholder.payload_type = slot.kind == MediaKind::kAudio ? 111 : 96;
    placeholder.name = slot.kind == MediaKind::kAudio ? "opus" : "VP8";
    placeholder.clock_rate = slot.kind == MediaKind::kAudio ? 48000 : 90000;
    placeholder.channels = slot.kind == MediaKind::kAudio ? 2 : 0;
    m.codecs.push_back(placeholder);
  }
  return m;
}

// The connection's data channel m-section (RFC 8841): transport, a=mid, our a=sctp-port and
// a=max-message-size; no direction, codec, ssrc or msid lines. An inactive slot is rejected
// (port 0): an SCTP association has no "inactive", and JSEP lets a rejected m-section be recycled.
MediaSection data_channel_section(const SubscribeSlot& slot, const LocalTransport& local) {
  MediaSection m;
  if (slot.active) {
    m = offered_section(slot, local);
  } else {
    m.kind = slot.kind;
    m.media = std::string(to_string(slot.kind));
    m.mid = slot.mid;
    m.port = 0;
  }
  m.protocol = std::string(kDataChannelProtocol);
  m.formats = {std::string(kDataChannelFormat)};
  if (!slot.active) return m;
  m.sctp_port = slot.sctp_port;
  m.max_message_size = slot.max_message_size;
  return m;
}

// The accepted codecs of one answered m-section: each of our media codecs whose payload type the
// answer lists with the same format, and its RTX when the answer lists that too.
std::vector<NegotiatedCodec> accepted_codecs(const MediaSection& offered, const MediaSection& answered) {
  std::vector<NegotiatedCodec> accepted;
  for (const auto& ours : offered.codecs) {
    if (ours.is_rtx()) continue;
    const Codec* theirs = answered.find_codec(ours.payload_type);
    if (!theirs || !CodecCatalog::same_format(ours, *theirs)) continue;
    NegotiatedCodec negotiated{ours, std::nullopt};
    for (const auto& rtx : offered.codecs) {
      if (!rtx.is_rtx() || rtx.rtx_apt() != ours.payload_type) continue;
      const Codec* their_rtx = answered.find_codec(rtx.payload_type);
      if (their_rtx && their_rtx->is_rtx() && their_rtx->rtx_apt() == ours.payload_type) {
        negotiated.rtx_payload_type = rtx.payload_type;
      }
    }
    accepted.push_back(std::move(negotiated));
  }
  return accepted;
}

std::vector<Extmap> accepted_extensions(const MediaSection& offered, const MediaSection& answered) {
  std::vector<Extmap> accepted;
  for (const auto& ours : offered.extmaps) {
    // RFC 8285 section 6: the answer uses the offer's id for an extension it accepts.
    bool kept = std::any_of(answered.extmaps.begin(), answered.extmaps.end(),
                            [&](const Extmap& e) { return e.id == ours.id && e.uri == ours.uri; });
    if (kept) accepted.push_back(ours);
  }
  return accepted;
}

}  // namespace

SessionDescription build_subscribe_offer(const std::vector<SubscribeSlot>& slots, const LocalTransport& local,
                                         uint64_t session_id, uint64_t version) {
  SessionDescription offer;
  offer.session_id = session_id;
  offer.session_version = version;
  offer.ice_lite = true;
  offer.extmap_allow_mixed = true;
  offer.msid_semantic = MsidSemantic{"WMS", {"*"}};
  Group bundle{"BUNDLE", {}};
  for (const auto& slot : slots) {
    if (slot.kind == MediaKind::kApplication) {
      offer.media.push_back(data_channel_section(slot, local));
      if (slot.active) bundle.mids.push_back(slot.mid);
      continue;
    }
    bool active = slot.active && !slot.codecs.empty();
    offer.media.push_back(active ? active_section(slot, local) : inactive_section(slot, local));
    bundle.mids.push_back(slot.mid);
  }
  if (!bundle.mids.empty()) offer.groups.push_back(std::move(bundle));
  return offer;
}

// The bundled RTP m-sections of `d` (those named by its BUNDLE group and not rejected).
std::vector<const MediaSection*> bundled_rtp_sections(const SessionDescription& d) {
  std::vector<const MediaSection*> sections;
  const Group* bundle = d.find_group("BUNDLE");
  if (!bundle) return sections;
  for (const auto& mid : bundle->mids) {
    const MediaSection* m = d.find_media(mid);
    if (m && !m->rejected() && m->is_rtp()) sections.push_back(m);
  }
  return sections;
}

std::optional<SdpError> check_bundle_extension_ids(const SessionDescription& d) {
  auto sections = bundled_rtp_sections(d);
  for (size_t i = 0; i < sections.size(); ++i) {
    for (const auto& extmap : sections[i]->extmaps) {
      for (size_t j = 0; j < i; ++j) {
        for (const auto& earlier : sections[j]->extmaps) {
          if (earlier.id == extmap.id && earlier.uri != extmap.uri) {
            return SdpError{0, "extmap id " + std::to_string(extmap.id) + " is " + earlier.uri + " in mid=" +
                                   sections[j]->mid + " but " + extmap.uri + " in mid=" + sections[i]->mid};
          }
        }
      }
    }
  }
  return std::nullopt;
}

std::optional<SdpError> check_bundle_payload_types(const SessionDescription& d) {
  auto sections = bundled_rtp_sections(d);
  for (size_t i = 0; i < sections.size(); ++i) {
    for (const auto& codec : sections[i]->codecs) {
      for (size_t j = 0; j < i; ++j) {
        const Codec* earlier = sections[j]->find_codec(codec.payload_type);
        if (earlier && !CodecCatalog::same_format(*earlier, codec)) {
          return SdpError{0, "payload type " + std::to_string(codec.payload_type) + " is " + earlier->name +
                                 " in mid=" + sections[j]->mid + " but " + codec.name +
                                 " in mid=" + sections[i]->mid};
        }
      }
    }
  }
  return std::nullopt;
}

namespace {

// Checks one accepted m-section of the answer against the offer's and fills what was accepted.
std::optional<SdpError> accept_answered_section(size_t index, const MediaSection& offered,
                                                const MediaSection& answered, const Group* bundle,
                                                SubscribedTrackState& state) {
  if (!bundle) return SdpError{0, "answer has no BUNDLE group"};
  if (std::find(bundle->mids.begin(), bundle->mids.end(), answered.mid) == bundle->mids.end()) {
    return SdpError{0, section_name(index, answered) + " is not in the answer's BUNDLE group"};
  }
  if (offered.kind == MediaKind::kApplication) {
    // JSEP section 5.3.1: the answer keeps the offer's proto and format. It has no direction.
    if (!is_data_channel_section(answered)) {
      std::string formats;
      for (const auto& format : answered.formats) formats += " " + format;
      return SdpError{0, section_name(index, answered) + " answers m=" + answered.media + " " +
                             answered.protocol + formats + " to an m=application " +
                             std::string(kDataChannelProtocol) + " " + std::string(kDataChannelFormat) +
                             " offer"};
    }
    state.data_channel =
        data_channel_spec_of(answered, offered.max_message_size.value_or(kDefaultMaxMessageSize));
    return std::nullopt;
  }
  if (answered.is_rtp() && !answered.rtcp_mux)
    return SdpError{0, section_name(index, answered) + " lacks a=rtcp-mux"};
  if (answered.direction != reversed(offered.direction) && answered.direction != Direction::kInactive) {
    return SdpError{0, section_name(index, answered) + " answers " +
                           std::string(to_string(answered.direction)) + " to a " +
                           std::string(to_string(offered.direction)) + " offer"};
  }
  state.codecs = accepted_codecs(offered, answered);
  state.extensions = accepted_extensions(offered, answered);
  state.receivable = receives(answered.direction) && !state.codecs.empty();
  return std::nullopt;
}

}  // namespace

std::variant<SubscribeAnswerResult, SdpError> apply_subscribe_answer(const SessionDescription& our_offer,
                                                                     const SessionDescription& answer) {
  if (answer.media.size() != our_offer.media.size()) {
    return SdpError{0, "answer has " + std::to_string(answer.media.size()) + " m-sections, the offer had " +
                           std::to_string(our_offer.media.size())};
  }
  const Group* bundle = answer.find_group("BUNDLE");
  SubscribeAnswerResult result;
  result.extmap_allow_mixed = answer.extmap_allow_mixed && our_offer.extmap_allow_mixed;
  bool any_accepted = false;
  for (size_t i = 0; i < answer.media.size(); ++i) {
    const MediaSection& offered = our_offer.media[i];
    const MediaSection& answered = answer.media[i];
    if (answered.mid != offered.mid) {
      return SdpError{0, "m-section " + std::to_string(i) + " has mid=" + answered.mid +
                             " in the answer but mid=" + offered.mid + " in the offer"};
    }
    SubscribedTrackState state;
    state.mid = answered.mid;
    state.direction = answered.direction;
    // An m-section the offer disabled stays disabled whatever the answer says (RFC 3264 6).
    state.accepted = !answered.rejected() && !offered.rejected();
    if (state.accepted) {
      any_accepted = true;
      if (auto error = accept_answered_section(i, offered, answered, bundle, state)) return std::move(*error);
    }
    result.tracks.push_back(std::move(state));
  }
  if (any_accepted) {
    auto remote = remote_transport_of(answer, bundle->mids.front(), "answer");
    if (auto* error = std::get_if<SdpError>(&remote)) return std::move(*error);
    result.remote = std::get<RemoteTransport>(std::move(remote));
    // RFC 8842 lets an answerer to actpass pick passive, but the server only implements the DTLS
    // server role: with a passive client both sides would wait for a ClientHello, silently.
    if (result.remote.setup.empty()) return SdpError{0, "answer lacks a=setup"};
    if (result.remote.setup != "active") {
      return SdpError{0,
                      "answer has a=setup:" + result.remote.setup +
                          ", but the server is always the DTLS server: the answer must use a=setup:active"};
    }
  }
  return result;
}

}  // namespace sfu::sdp
