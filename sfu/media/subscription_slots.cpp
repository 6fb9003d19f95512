#include "sfu/media/subscription_slots.h"

#include <algorithm>

#include "sfu/sdp/codec_catalog.h"

namespace sfu {
namespace {

constexpr uint8_t kNoPayloadType = 0xFF;

// Identifies a codec configuration; within one BUNDLE group a payload type may carry one only.
std::string codec_key(const sdp::Codec& codec) {
  std::string key =
      codec.name + "/" + std::to_string(codec.clock_rate) + "/" + std::to_string(codec.channels);
  std::vector<std::string> params;
  for (const auto& p : codec.fmtp) params.push_back(p.key + "=" + p.value);
  std::sort(params.begin(), params.end());
  for (const auto& p : params) key += ";" + p;
  for (auto& c : key) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return key;
}

// A payload type for `key` in a subscriber's session: the publisher's own when it is free or
// already means the same codec, else the first free dynamic one.
uint8_t allocate_payload_type(std::map<uint8_t, std::string>& used, uint8_t preferred,
                              const std::string& key) {
  for (const auto& [pt, existing] : used)
    if (existing == key) return pt;
  auto take = [&](uint8_t pt) {
    used[pt] = key;
    return pt;
  };
  if (!used.count(preferred)) return take(preferred);
  for (int pt = 96; pt <= 127; ++pt)
    if (!used.count(static_cast<uint8_t>(pt))) return take(static_cast<uint8_t>(pt));
  for (int pt = 35; pt <= 63; ++pt)
    if (!used.count(static_cast<uint8_t>(pt))) return take(static_cast<uint8_t>(pt));
  return kNoPayloadType;
}

ExtensionIds extension_ids_of(const std::vector<sdp::Extmap>& extmaps) {
  ExtensionIds ids;
  for (const auto& e : extmaps) {
    if (e.id > 255) continue;
    auto id = static_cast<uint8_t>(e.id);
    if (e.uri == "urn:ietf:params:rtp-hdrext:sdes:mid")
      ids.mid = id;
    else if (e.uri == "urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id")
      ids.rid = id;
    else if (e.uri == "urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id")
      ids.repaired_rid = id;
    else if (e.uri == "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time")
      ids.abs_send_time = id;
    else if (e.uri == "urn:ietf:params:rtp-hdrext:ssrc-audio-level")
      ids.audio_level = id;
    else if (e.uri == "http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01")
      ids.transport_cc = id;
    else if (e.uri == sdp::kExtDependencyDescriptor)
      ids.dependency_descriptor = id;
  }
  return ids;
}

}  // namespace

PublishedTrackSpec to_track_spec(const sdp::PublishedTrackSpec& negotiated) {
  PublishedTrackSpec spec;
  spec.mid = negotiated.mid;
  spec.id = negotiated.track_id.empty() ? "track-" + negotiated.mid : negotiated.track_id;
  spec.kind = negotiated.kind == sdp::MediaKind::kVideo ? sdp::MediaKind::kVideo
                                                        : sdp::MediaKind::kAudio;  // audio or video only
  // Simulcast: every layer, in the announced order (lowest quality first), up to the selector's
  // limit; the rest are never bound (their packets count as no_route). With SSRCs (SIM group)
  // each layer is its SSRC and FID partner; without (rid simulcast) it is named by its rid, and
  // its streams are learned from the rid and repaired-rid header extensions of their first
  // packets (unannounced_stream.h).
  if (!negotiated.ssrcs.empty()) {
    for (size_t i = 0; i < negotiated.ssrcs.size() && i < LayerSelector::kMaxLayers; ++i)
      spec.layers.push_back(
          {"", negotiated.ssrcs[i], i < negotiated.rtx_ssrcs.size() ? negotiated.rtx_ssrcs[i] : 0});
  } else {
    for (size_t i = 0; i < negotiated.rids.size() && i < LayerSelector::kMaxLayers; ++i)
      spec.layers.push_back({negotiated.rids[i], 0, 0});
  }
  if (spec.layers.size() < 2) spec.layers.clear();  // one layer: described by the fields below
  spec.ssrc = negotiated.ssrcs.empty() ? 0 : negotiated.ssrcs.front();
  spec.rtx_ssrc = negotiated.rtx_ssrcs.empty() ? 0 : negotiated.rtx_ssrcs.front();
  if (negotiated.ssrcs.empty() && !negotiated.rids.empty()) spec.rid = negotiated.rids.front();
  for (const auto& c : negotiated.codecs) {
    spec.codecs.push_back(c.codec);
    const auto wrapped = sdp::CodecCatalog::red_wrapped_payload_type(c.codec);
    if (wrapped && spec.red_payload_type == 0 && c.codec.payload_type < 128) {
      spec.red_payload_type = c.codec.payload_type;
      spec.red_primary_payload_type = *wrapped;
    }
    if (c.rtx_payload_type && c.codec.payload_type < 128)
      spec.rtx_payload_type[c.codec.payload_type] = *c.rtx_payload_type;
  }
  spec.extensions = extension_ids_of(negotiated.extensions);
  return spec;
}

bool describes_same_streams(const PublishedTrackSpec& current, const PublishedTrackSpec& offered) {
  if (current.kind != offered.kind || current.rid != offered.rid || current.layers != offered.layers)
    return false;
  // An SSRC the offer does not announce is learned; the one learned before still holds.
  if (offered.ssrc != 0 && offered.ssrc != current.ssrc) return false;
  if (offered.rtx_ssrc != 0 && offered.rtx_ssrc != current.rtx_ssrc) return false;
  if (current.rtx_payload_type != offered.rtx_payload_type || current.extensions != offered.extensions)
    return false;
  return std::equal(current.codecs.begin(), current.codecs.end(), offered.codecs.begin(),
                    offered.codecs.end(), [](const sdp::Codec& a, const sdp::Codec& b) {
                      return a.payload_type == b.payload_type && codec_key(a) == codec_key(b);
                    });
}

size_t max_subscribe_media_sections(size_t participants, size_t tracks_per_participant) {
  return 2 * participants * tracks_per_participant + 1;  // + the data channel m-section
}

std::vector<sdp::Extmap> subscriber_extensions(sdp::MediaKind kind) {
  std::vector<sdp::Extmap> extensions;
  if (kind == sdp::MediaKind::kAudio) {
    sdp::Extmap level;
    level.id = kSubscriberExtensionIds.audio_level;
    level.uri = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";
    extensions.push_back(level);
  }
  sdp::Extmap abs;
  abs.id = kSubscriberExtensionIds.abs_send_time;
  abs.uri = "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time";
  extensions.push_back(abs);
  sdp::Extmap transport_cc;
  transport_cc.id = kSubscriberExtensionIds.transport_cc;
  transport_cc.uri = std::string(sdp::kExtTransportCc);
  extensions.push_back(transport_cc);
  if (kind == sdp::MediaKind::kVideo) {
    // Passed on when the publisher sends it (AV1 SVC): the subscriber's decoder reads its frames'
    // dependencies from it.
    sdp::Extmap dependency_descriptor;
    dependency_descriptor.id = kSubscriberExtensionIds.dependency_descriptor;
    dependency_descriptor.uri = std::string(sdp::kExtDependencyDescriptor);
    extensions.push_back(dependency_descriptor);
  }
  return extensions;
}

std::optional<uint8_t> accepted_transport_cc(const std::vector<sdp::SubscribedTrackState>& tracks) {
  std::optional<uint8_t> id;
  for (const auto& track : tracks) {
    if (!track.receivable) continue;
    if (!id) id = 0;
    for (const auto& extension : track.extensions)
      if (extension.id == kSubscriberExtensionIds.transport_cc && extension.uri == sdp::kExtTransportCc)
        id = kSubscriberExtensionIds.transport_cc;
  }
  return id;
}

SubscriptionSlot& claim_slot(std::vector<SubscriptionSlot>& slots, sdp::MediaKind kind, uint32_t& next_mid) {
  SubscriptionSlot* reusable = nullptr;
  for (auto& s : slots)
    if (!s.source && s.kind == kind) reusable = &s;
  if (reusable) return *reusable;
  // Inactive m-sections are never rejected (see build_subscribe_offer), so a reused one keeps its
  // mid; only a new one gets a new mid.
  SubscriptionSlot& slot = slots.emplace_back();
  slot.mid = std::to_string(next_mid++);
  return slot;
}

namespace {

// The order codecs get their payload types in: RED last, once the Opus it wraps has its own.
std::vector<size_t> red_last(const PublishedTrackSpec& spec) {
  std::vector<size_t> order;
  for (size_t i = 0; i < spec.codecs.size(); ++i)
    if (!sdp::CodecCatalog::is_red(spec.codecs[i])) order.push_back(i);
  for (size_t i = 0; i < spec.codecs.size(); ++i)
    if (sdp::CodecCatalog::is_red(spec.codecs[i])) order.push_back(i);
  return order;
}

// RED's fmtp names the payload type it wraps: in the subscriber's session, that Opus's (already
// offered, from `offered`: spec index and codec). False for a RED the track does not use.
bool point_red_at(sdp::Codec& red, const PublishedTrackSpec& spec,
                  const std::vector<std::pair<size_t, sdp::NegotiatedCodec>>& offered) {
  auto opus = std::find_if(offered.begin(), offered.end(), [&](const auto& entry) {
    return spec.codecs[entry.first].payload_type == spec.red_primary_payload_type;
  });
  if (red.payload_type != spec.red_payload_type || opus == offered.end()) return false;
  const std::string pt = std::to_string(opus->second.codec.payload_type);
  sdp::FmtpParam& list = red.fmtp.front();  // red_wrapped_payload_type checked: one key, no value
  const auto blocks = static_cast<size_t>(std::count(list.key.begin(), list.key.end(), '/')) + 1;
  list.key.clear();
  for (size_t i = 0; i < blocks; ++i) list.key += (i ? "/" : "") + pt;
  return true;
}

}  // namespace

bool offer_codecs(SubscriptionSlot& slot, PayloadTypeTable& used, const PublishedTrackSpec& spec) {
  slot.codecs.clear();
  slot.publisher_payload_types.clear();
  std::vector<std::pair<size_t, sdp::NegotiatedCodec>> offered_codecs;
  bool any_rtx = false;
  for (size_t index : red_last(spec)) {
    const sdp::Codec& codec = spec.codecs[index];
    sdp::NegotiatedCodec offered;
    offered.codec = codec;
    // The subscriber's feedback for the server's own estimate of its link, whether or not the
    // publisher negotiated it (Chromium sends transport-cc feedback only for codecs that have it).
    const sdp::RtcpFeedback transport_cc{"transport-cc", ""};
    if (std::find(offered.codec.rtcp_fb.begin(), offered.codec.rtcp_fb.end(), transport_cc) ==
        offered.codec.rtcp_fb.end())
      offered.codec.rtcp_fb.push_back(transport_cc);
    if (sdp::CodecCatalog::is_red(codec) && !point_red_at(offered.codec, spec, offered_codecs)) continue;
    offered.codec.payload_type = allocate_payload_type(used, codec.payload_type, codec_key(offered.codec));
    if (offered.codec.payload_type == kNoPayloadType) continue;
    uint8_t publisher_rtx = codec.payload_type < 128 ? spec.rtx_payload_type[codec.payload_type] : 0;
    if (publisher_rtx != 0) {
      uint8_t rtx = allocate_payload_type(
          used, publisher_rtx,
          "rtx/" + codec_key(offered.codec) + "/" + std::to_string(offered.codec.payload_type));
      if (rtx != kNoPayloadType) offered.rtx_payload_type = rtx;
      any_rtx = any_rtx || offered.rtx_payload_type.has_value();
    }
    offered_codecs.emplace_back(index, std::move(offered));
  }
  std::sort(offered_codecs.begin(), offered_codecs.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  for (auto& [index, offered] : offered_codecs) {
    slot.codecs.push_back(std::move(offered));
    slot.publisher_payload_types.push_back(spec.codecs[index].payload_type);
  }
  return any_rtx;
}

void apply_accepted(const SubscriptionSlot& slot, const sdp::SubscribedTrackState& state, DownTrack& down) {
  for (const auto& accepted : state.codecs) {
    for (size_t i = 0; i < slot.codecs.size(); ++i) {
      if (slot.codecs[i].codec.payload_type != accepted.codec.payload_type) continue;
      down.map_payload_type(slot.publisher_payload_types[i], accepted.codec.payload_type,
                            accepted.rtx_payload_type.value_or(0));
    }
  }
  const ExtensionIds& source_ids = down.source().spec().extensions;
  for (const auto& extension : state.extensions) {
    if (extension.id == kSubscriberExtensionIds.audio_level && source_ids.audio_level)
      down.map_extension(source_ids.audio_level, kSubscriberExtensionIds.audio_level);
    if (extension.id == kSubscriberExtensionIds.abs_send_time && source_ids.abs_send_time)
      down.map_extension(source_ids.abs_send_time, kSubscriberExtensionIds.abs_send_time);
    if (extension.id == kSubscriberExtensionIds.dependency_descriptor && source_ids.dependency_descriptor &&
        extension.uri == sdp::kExtDependencyDescriptor)
      down.map_extension(source_ids.dependency_descriptor, kSubscriberExtensionIds.dependency_descriptor);
  }
}

}  // namespace sfu
