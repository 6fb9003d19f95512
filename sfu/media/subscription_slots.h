// The subscribe side of a participant's negotiation, as plain functions over its m-section slots:
// which slot a newly subscribed track takes (an inactive one of the same kind is reused with its
// mid, as JSEP allows), the payload types it is offered in the subscriber's session (one meaning
// per payload type across the BUNDLE group), and what the subscriber's answer turns on in the
// down-track. Also how a negotiated publish m-section becomes a PublishedTrackSpec.
//
// Runs on the room's worker thread, never on the packet path (negotiation only: it allocates).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "sfu/media/participant.h"
#include "sfu/media/published_track.h"
#include "sfu/sdp/sdp.h"
#include "sfu/sdp/sdp_negotiation.h"

namespace sfu {

// Payload type -> codec key, the meanings already given out in one subscriber's session.
using PayloadTypeTable = std::map<uint8_t, std::string>;

// The track spec the router needs from a negotiated publish m-section.
PublishedTrackSpec to_track_spec(const sdp::PublishedTrackSpec& negotiated);

// Whether a re-offer's spec for a track's mid (`offered`, from to_track_spec) still describes the
// streams the track receives (`current`): the same SSRCs where the offer announces any (else the
// same rid), payload types, codecs and header-extension ids. When not, the track must be
// published anew: the router would drop the new SSRCs, or misread the new ids.
bool describes_same_streams(const PublishedTrackSpec& current, const PublishedTrackSpec& offered);

// The most m-sections a subscribe offer can have in a room of `participants` each publishing at
// most `tracks_per_participant` tracks: a slot per track of every other participant, and since
// slots are reused per kind, as many audio as video ones at worst (claim_slot), and one data
// channel m-section.
size_t max_subscribe_media_sections(size_t participants, size_t tracks_per_participant);

// The header extensions the server offers subscribers, with its own ids (kSubscriberExtensionIds).
std::vector<sdp::Extmap> subscriber_extensions(sdp::MediaKind kind);

// What a subscribe answer's receivable audio/video m-sections accepted for the server's bandwidth
// estimate: kSubscriberExtensionIds.transport_cc when any accepted the transport-cc extension, 0
// when none did (REMB only), nullopt when none is receivable (nothing is sent to estimate).
std::optional<uint8_t> accepted_transport_cc(const std::vector<sdp::SubscribedTrackState>& tracks);

// An inactive slot of `kind` to reuse, or a new one with mid `next_mid++`.
SubscriptionSlot& claim_slot(std::vector<SubscriptionSlot>& slots, sdp::MediaKind kind, uint32_t& next_mid);

// Fills `slot` with the codecs of `spec` in the subscriber's payload-type space (RTX included where
// the publisher has it). Returns whether any codec got an RTX payload type.
bool offer_codecs(SubscriptionSlot& slot, PayloadTypeTable& used, const PublishedTrackSpec& spec);

// Maps what the subscriber accepted for `slot` (codecs, header extensions) into its down-track.
void apply_accepted(const SubscriptionSlot& slot, const sdp::SubscribedTrackState& state, DownTrack& down);

}  // namespace sfu
