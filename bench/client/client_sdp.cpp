#include "bench/client/client_sdp.h"

#include <algorithm>
#include <cctype>

#include "sfu/sdp/codec_catalog.h"
#include "sfu/sdp/sdp_negotiation.h"

namespace sfu::client {
namespace {

sdp::Extmap extmap(uint8_t id, std::string_view uri) { return {id, std::nullopt, std::string(uri), {}}; }

sdp::MediaSection transport_section(const ClientTransport& transport, sdp::SetupRole setup) {
  sdp::MediaSection m;
  m.port = 9;  // RFC 8839: the "discard" port until candidates are known
  m.protocol = "UDP/TLS/RTP/SAVPF";
  m.connection = sdp::Connection{"IP4", "0.0.0.0"};
  m.ice_ufrag = transport.ice_ufrag;
  m.ice_pwd = transport.ice_pwd;
  m.ice_options = {"trickle"};
  m.fingerprints = {{"sha-256", transport.fingerprint}};
  m.setup = setup;
  m.rtcp_mux = true;
  m.rtcp_rsize = true;
  return m;
}

sdp::MediaSection disabled_answer(const sdp::MediaSection& offered) {
  sdp::MediaSection m;
  m.kind = offered.kind;
  m.media = offered.media;
  m.protocol = offered.protocol;
  m.port = 0;
  m.mid = offered.mid;
  m.direction = sdp::Direction::kInactive;
  m.formats = offered.formats;
  if (!offered.codecs.empty()) {
    sdp::Codec placeholder;  // the m= line needs a format
    placeholder.payload_type = offered.codecs.front().payload_type;
    m.codecs.push_back(placeholder);
  }
  return m;
}

// A data channel m-section as Chromium writes it (no rtcp-mux, no direction).
sdp::MediaSection data_section(const ClientTransport& transport, sdp::SetupRole setup,
                               const ClientDataChannelOptions& options, const std::string& mid) {
  sdp::MediaSection m = transport_section(transport, setup);
  m.kind = sdp::MediaKind::kApplication;
  m.media = "application";
  m.protocol = std::string(sdp::kDataChannelProtocol);
  m.formats = {std::string(sdp::kDataChannelFormat)};
  m.rtcp_mux = false;
  m.rtcp_rsize = false;
  m.mid = mid;
  m.sctp_port = options.sctp_port;
  m.max_message_size = options.max_message_size;
  return m;
}

bool client_decodes(sdp::MediaKind kind, const sdp::Codec& codec, bool accept_red) {
  if (kind == sdp::MediaKind::kAudio)
    return (codec.is_named("opus") || (accept_red && codec.is_named("red"))) && codec.clock_rate == 48000 &&
           codec.channels == 2;
  if (kind == sdp::MediaKind::kVideo) return codec.is_named("VP8") && codec.clock_rate == 90000;
  return false;
}

}  // namespace

sdp::SessionDescription build_publish_offer(const PublishOfferParams& params) {
  sdp::SessionDescription offer;
  offer.session_id = params.session_id;
  offer.session_version = params.session_version;
  offer.extmap_allow_mixed = true;
  offer.msid_semantic = sdp::MsidSemantic{"WMS", {params.stream_id}};
  sdp::Group bundle{"BUNDLE", {}};

  if (params.audio) {
    sdp::MediaSection m = transport_section(params.transport, sdp::SetupRole::kActpass);
    m.kind = sdp::MediaKind::kAudio;
    m.media = "audio";
    m.mid = kAudioMid;
    m.direction = sdp::Direction::kSendOnly;
    m.extmaps = {extmap(kExtIdAudioLevel, sdp::kExtAudioLevel), extmap(kExtIdMid, sdp::kExtMid)};
    sdp::Codec opus;
    opus.payload_type = kOpusPayloadType;
    opus.name = "opus";
    opus.clock_rate = 48000;
    opus.channels = 2;
    opus.fmtp = {{"minptime", "10"}, {"useinbandfec", "1"}};
    opus.rtcp_fb = {{"transport-cc", ""}};
    if (params.audio_red) {
      sdp::Codec red;
      red.payload_type = kRedPayloadType;
      red.name = "red";
      red.clock_rate = 48000;
      red.channels = 2;
      red.fmtp = {{std::to_string(kOpusPayloadType) + "/" + std::to_string(kOpusPayloadType), ""}};
      m.codecs.push_back(red);
    }
    m.codecs.push_back(opus);
    m.msid = sdp::Msid{params.stream_id, params.audio_track_id};
    m.ssrcs.push_back({params.audio_ssrc, params.cname, m.msid});
    offer.media.push_back(std::move(m));
    bundle.mids.push_back(kAudioMid);
  }
  if (params.video) {
    sdp::MediaSection m = transport_section(params.transport, sdp::SetupRole::kActpass);
    m.kind = sdp::MediaKind::kVideo;
    m.media = "video";
    m.mid = kVideoMid;
    m.direction = sdp::Direction::kSendOnly;
    m.extmaps = {extmap(kExtIdAbsSendTime, sdp::kExtAbsSendTime),
                 extmap(kExtIdTransportCc, sdp::kExtTransportCc), extmap(kExtIdMid, sdp::kExtMid)};
    sdp::Codec vp8;
    vp8.payload_type = kVp8PayloadType;
    vp8.name = "VP8";
    vp8.clock_rate = 90000;
    vp8.rtcp_fb = {{"goog-remb", ""}, {"transport-cc", ""}, {"ccm", "fir"}, {"nack", ""}, {"nack", "pli"}};
    sdp::Codec rtx;
    rtx.payload_type = kVp8RtxPayloadType;
    rtx.name = "rtx";
    rtx.clock_rate = 90000;
    rtx.fmtp = {{"apt", std::to_string(kVp8PayloadType)}};
    m.codecs = {vp8, rtx};
    m.msid = sdp::Msid{params.stream_id, params.video_track_id};
    if (params.video_rids.empty()) {
      m.ssrc_groups.push_back({"FID", {params.video_ssrc, params.video_rtx_ssrc}});
      m.ssrcs.push_back({params.video_ssrc, params.cname, m.msid});
      m.ssrcs.push_back({params.video_rtx_ssrc, params.cname, m.msid});
    } else {
      m.extmaps.push_back(extmap(kExtIdRid, sdp::kExtRid));
      m.extmaps.push_back(extmap(kExtIdRepairedRid, sdp::kExtRepairedRid));
      sdp::Simulcast simulcast;
      for (const auto& rid : params.video_rids) {
        sdp::Rid r;
        r.id = rid;
        r.direction = sdp::RidDirection::kSend;
        m.rids.push_back(r);
        simulcast.send.push_back({{rid, false}});
      }
      m.simulcast = simulcast;
    }
    offer.media.push_back(std::move(m));
    bundle.mids.push_back(kVideoMid);
  }
  if (params.data_channel) {
    offer.media.push_back(
        data_section(params.transport, sdp::SetupRole::kActpass, *params.data_channel, kDataMid));
    bundle.mids.push_back(kDataMid);
  }
  if (!bundle.mids.empty()) offer.groups.push_back(std::move(bundle));
  return offer;
}

std::optional<sdp::DataChannelSpec> data_channel_of(const sdp::SessionDescription& description,
                                                    size_t our_max_message_size) {
  for (const auto& m : description.media)
    if (!m.rejected() && sdp::is_data_channel_section(m))
      return sdp::data_channel_spec_of(m, our_max_message_size);
  return std::nullopt;
}

// The first UDP candidate and the first passive TCP one (component 1, IP addresses of `family`
// unless it is AF_UNSPEC, and `ip` unless it is empty) into `endpoint`; false without a UDP one.
static bool take_candidates(const sdp::MediaSection& m, int family, const std::string& ip,
                            ServerEndpoint& endpoint) {
  bool has_udp = false;
  for (const auto& candidate : m.candidates) {
    std::string transport_name = candidate.transport;
    for (char& c : transport_name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    auto address = SocketAddress::from_ip(candidate.address, candidate.port);
    if (candidate.component != 1 || !address) continue;
    if (family != AF_UNSPEC && address->family() != family) continue;
    if (!ip.empty() && candidate.address != ip) continue;
    if (transport_name == "udp" && !has_udp) {
      endpoint.address = *address;
      has_udp = true;
    } else if (transport_name == "tcp" && candidate.tcp_type == "passive" && !endpoint.tcp_address) {
      endpoint.tcp_address = *address;
    }
  }
  return has_udp;
}

std::variant<ServerEndpoint, std::string> server_endpoint_of(const sdp::SessionDescription& description,
                                                             int family, const std::string& ip) {
  const sdp::MediaSection* m = nullptr;
  if (const sdp::Group* bundle = description.find_group("BUNDLE"); bundle && !bundle->mids.empty()) {
    m = description.find_media(bundle->mids.front());
    if (!m) return "the BUNDLE tag mid=" + bundle->mids.front() + " names no m-section";
  } else {
    for (const auto& section : description.media)
      if (!section.rejected()) {
        m = &section;
        break;
      }
  }
  if (!m) return std::string("no m-section is active");
  auto transport = sdp::remote_transport_of(description, m->mid, "server description");
  if (auto* error = std::get_if<sdp::SdpError>(&transport)) return error->to_string();
  const auto& remote = std::get<sdp::RemoteTransport>(transport);
  if (remote.fingerprint_algorithm != "sha-256")
    return "fingerprint is " + remote.fingerprint_algorithm + ", not sha-256";
  ServerEndpoint endpoint;
  endpoint.ice_ufrag = remote.ice_ufrag;
  endpoint.ice_pwd = remote.ice_pwd;
  endpoint.fingerprint = remote.fingerprint;
  endpoint.setup = remote.setup;
  if (!take_candidates(*m, family, ip, endpoint))
    return "m-section mid=" + m->mid + " has no UDP candidate with an IP address" +
           (family == AF_INET6  ? " of IPv6"
            : family == AF_INET ? " of IPv4"
                                : "") +
           (ip.empty() ? "" : " " + ip);
  return endpoint;
}

// NOLINTNEXTLINE(readability-function-cognitive-complexity): the test client mirrors each offered m-section in order; to split per media kind.
std::variant<SubscribeAnswer, std::string> build_subscribe_answer(
    const sdp::SessionDescription& offer, const ClientTransport& transport, uint64_t session_id,
    uint64_t session_version, const std::optional<ClientDataChannelOptions>& data_channel, bool accept_red) {
  SubscribeAnswer result;
  sdp::SessionDescription& answer = result.answer;
  answer.session_id = session_id;
  answer.session_version = session_version;
  answer.extmap_allow_mixed = offer.extmap_allow_mixed;
  answer.msid_semantic = sdp::MsidSemantic{"WMS", {}};
  sdp::Group bundle{"BUNDLE", {}};
  bool data_channel_taken = false;

  for (size_t index = 0; index < offer.media.size(); ++index) {
    const sdp::MediaSection& offered = offer.media[index];
    SubscribedMedia info;
    info.mid = offered.mid;
    info.kind = offered.kind;
    if (offered.msid) {
      info.participant_id = offered.msid->stream;
      info.track_id = offered.msid->track;
    }
    for (const auto& ssrc : offered.ssrcs) {
      bool is_repair =
          std::any_of(offered.ssrc_groups.begin(), offered.ssrc_groups.end(), [&](const sdp::SsrcGroup& g) {
            return g.semantics == "FID" && g.ssrcs.size() == 2 && g.ssrcs[1] == ssrc.ssrc;
          });
      if (is_repair) {
        info.rtx_ssrc = ssrc.ssrc;
      } else if (info.ssrc == 0) {
        info.ssrc = ssrc.ssrc;
        if (info.participant_id.empty() && ssrc.msid) {
          info.participant_id = ssrc.msid->stream;
          info.track_id = ssrc.msid->track;
        }
      }
    }

    // Only the first data channel m-section: one SCTP association per connection (a later one is
    // answered with port 0 below, as any application m-section when data channels are off).
    if (data_channel && !data_channel_taken && !offered.rejected() && sdp::is_data_channel_section(offered)) {
      if (offered.mid.empty()) return "m-section " + std::to_string(index) + " lacks a=mid";
      data_channel_taken = true;
      answer.media.push_back(data_section(transport, sdp::SetupRole::kActive, *data_channel, offered.mid));
      bundle.mids.push_back(offered.mid);
      info.active = true;
      result.media.push_back(std::move(info));
      continue;
    }
    // Rejected by the server (port 0), or nothing the client could ever receive: rejected here too.
    bool rejected = offered.rejected() || !offered.is_rtp() ||
                    (offered.kind != sdp::MediaKind::kAudio && offered.kind != sdp::MediaKind::kVideo);
    if (!rejected && offered.mid.empty()) return "m-section " + std::to_string(index) + " lacks a=mid";
    std::vector<sdp::Codec> accepted;
    if (!rejected) {
      std::vector<uint8_t> media_pts;
      for (const auto& codec : offered.codecs)
        if (!codec.is_rtx() && client_decodes(offered.kind, codec, accept_red))
          media_pts.push_back(codec.payload_type);
      for (const auto& codec : offered.codecs) {
        bool take = false;
        if (codec.is_rtx()) {
          auto apt = codec.rtx_apt();
          take = apt && std::find(media_pts.begin(), media_pts.end(), *apt) != media_pts.end();
        } else {
          take = std::find(media_pts.begin(), media_pts.end(), codec.payload_type) != media_pts.end();
        }
        if (take) accepted.push_back(codec);
      }
      info.payload_types = media_pts;
    }
    if (rejected || info.payload_types.empty()) {
      info.active = false;
      answer.media.push_back(disabled_answer(offered));
      result.media.push_back(std::move(info));
      continue;
    }
    // An m-section the server keeps without a track (a=inactive, still bundled) is answered
    // inactive and stays in the BUNDLE group, as Chromium does, so the server may reuse it.
    bool receiving = sdp::sends(offered.direction);

    sdp::MediaSection m = transport_section(transport, sdp::SetupRole::kActive);
    m.kind = offered.kind;
    m.media = offered.media;
    m.protocol = offered.protocol;
    m.mid = offered.mid;
    m.direction = receiving ? sdp::Direction::kRecvOnly : sdp::Direction::kInactive;
    m.rtcp_rsize = offered.rtcp_rsize;
    m.codecs = std::move(accepted);
    for (const auto& e : offered.extmaps) m.extmaps.push_back({e.id, std::nullopt, e.uri, e.attributes});
    answer.media.push_back(std::move(m));
    bundle.mids.push_back(offered.mid);
    info.active = receiving;
    result.media.push_back(std::move(info));
  }
  if (!bundle.mids.empty()) answer.groups.push_back(std::move(bundle));
  return result;
}

}  // namespace sfu::client
