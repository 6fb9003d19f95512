// Tests for build_subscribe_offer and apply_subscribe_answer (sfu/sdp/sdp_negotiation.h).
//
// Interop (recorded when the fixtures were captured with Chromium 156): the page took the codecs
// and extensions negotiate_publish chose for chromium_publish_offer.sdp, built subscribe slots
// from them exactly as subscribe_slots() below does, and fed each offer to a fresh
// RTCPeerConnection (setRemoteDescription, createAnswer, setLocalDescription):
// - offer 1 (audio mid 0 + video mid 1 of participant "alice") was accepted; ontrack fired for both
//   with stream id "alice". Offer = chromium_accepted_subscribe_offer.sdp, answer =
//   chromium_subscribe_answer.sdp.
// - offer 2 (video slot inactive: port 0, a=inactive) was accepted; the video transceiver stopped.
// - offer 3 (that m-section recycled for "bob"'s video under the new mid 2, as JSEP asks) was
//   accepted; ontrack fired with stream "bob". Offer/answer =
//   chromium_accepted_subscribe_offer_recycled.sdp / chromium_subscribe_answer_recycled.sdp.
// - recycling with the old mid (1) and re-targeting an active slot to another participant were
//   accepted too; an offer with no slots (no m-sections) was accepted.
// The golden tests below fail if the offers change, which calls for re-checking with a browser.

#include <gtest/gtest.h>

#include <functional>
#include <sstream>
#include <string>

#include "sfu/sdp/sdp_negotiation.h"
#include "tests/unit/sdp/sdp_test_support.h"

namespace sfu::sdp {
namespace {

using namespace test;

// Slots carrying the tracks of chromium_publish_offer.sdp, as in the interop run.
std::vector<SubscribeSlot> subscribe_slots() { return chromium_subscribe_slots(); }

std::vector<SubscribeSlot> recycled_slots() {
  auto slots = subscribe_slots();
  slots[1].participant_id = "bob";
  slots[1].track_id = "bob-video";
  slots[1].ssrc = 3001;
  slots[1].rtx_ssrc = 3002;
  slots[1].mid = "2";
  return slots;
}

SubscribeAnswerResult apply_ok(const SessionDescription& offer, const SessionDescription& answer) {
  auto result = apply_subscribe_answer(offer, answer);
  if (auto* error = std::get_if<SdpError>(&result)) {
    ADD_FAILURE() << "unexpected error: " << error->to_string();
    return {};
  }
  return std::get<SubscribeAnswerResult>(std::move(result));
}

std::string apply_error(const SessionDescription& offer, const SessionDescription& answer) {
  auto result = apply_subscribe_answer(offer, answer);
  if (!std::holds_alternative<SdpError>(result)) {
    ADD_FAILURE() << "answer applied although it should not";
    return {};
  }
  return std::get<SdpError>(result).message;
}

TEST(BuildSubscribeOffer, MatchesTheOfferChromiumAccepted) {
  EXPECT_EQ(write_sdp(build_subscribe_offer(subscribe_slots(), server_transport(), 42, 1)),
            load("chromium_accepted_subscribe_offer.sdp"));
  EXPECT_EQ(write_sdp(build_subscribe_offer(recycled_slots(), server_transport(), 42, 3)),
            load("chromium_accepted_subscribe_offer_recycled.sdp"));
}

TEST(BuildSubscribeOffer, FieldByField) {
  SessionDescription offer = build_subscribe_offer(subscribe_slots(), server_transport(), 42, 1);
  EXPECT_EQ(offer.session_id, 42u);
  EXPECT_EQ(offer.session_version, 1u);
  EXPECT_TRUE(offer.ice_lite);
  ASSERT_EQ(offer.groups.size(), 1u);
  EXPECT_EQ(offer.groups[0].mids, (std::vector<std::string>{"0", "1"}));
  ASSERT_EQ(offer.media.size(), 2u);
  for (const MediaSection& m : offer.media) {
    EXPECT_EQ(m.direction, Direction::kSendOnly);
    EXPECT_EQ(m.setup, SetupRole::kActpass);
    EXPECT_EQ(m.ice_ufrag, "srvUfrag1");
    EXPECT_EQ(m.fingerprints[0].algorithm, "sha-256");
    EXPECT_TRUE(m.rtcp_mux);
    EXPECT_EQ(m.candidates.size(), 1u);
    EXPECT_EQ(m.port, 40000);
    ASSERT_TRUE(m.msid.has_value());
    EXPECT_EQ(m.msid->stream, "alice");
    EXPECT_EQ(m.msid->track, "track-" + m.mid);
  }
  const MediaSection& audio = offer.media[0];
  EXPECT_EQ(audio.kind, MediaKind::kAudio);
  ASSERT_EQ(audio.ssrcs.size(), 1u);
  EXPECT_EQ(audio.ssrcs[0].ssrc, 1000u);
  EXPECT_EQ(audio.ssrcs[0].cname, "alice-cname");
  EXPECT_EQ(audio.ssrcs[0].msid->stream, "alice");
  EXPECT_TRUE(audio.ssrc_groups.empty());
  const MediaSection& video = offer.media[1];
  ASSERT_EQ(video.ssrc_groups.size(), 1u);
  EXPECT_EQ(video.ssrc_groups[0].semantics, "FID");
  EXPECT_EQ(video.ssrc_groups[0].ssrcs, (std::vector<uint32_t>{1001, 2001}));
  EXPECT_EQ(video.ssrcs.size(), 2u);
  EXPECT_EQ(video.codecs.size(), 14u);  // 7 media codecs, each followed by its rtx
  EXPECT_EQ(video.codecs[1].name, "rtx");
  EXPECT_EQ(*video.codecs[1].fmtp_value("apt"), "96");
  EXPECT_EQ(video.find_extmap(kExtMid)->id, 4);
}

TEST(BuildSubscribeOffer, InactiveSlotKeepsItsPlaceAndMid) {
  auto slots = subscribe_slots();
  slots[0].active = false;
  SessionDescription offer = build_subscribe_offer(slots, server_transport(), 42, 2);
  ASSERT_EQ(offer.media.size(), 2u);
  // Inactive, not rejected: it stays in the BUNDLE group (Chromium refuses an all-rejected offer
  // under max-bundle) and keeps its mid for reuse.
  const MediaSection& gone = offer.media[0];
  EXPECT_EQ(gone.mid, "0");
  EXPECT_NE(gone.port, 0);
  EXPECT_EQ(gone.direction, Direction::kInactive);
  EXPECT_FALSE(gone.msid.has_value());
  EXPECT_TRUE(gone.ssrcs.empty());
  EXPECT_TRUE(gone.ssrc_groups.empty());
  EXPECT_EQ(offer.groups[0].mids, (std::vector<std::string>{"0", "1"}));
  SessionDescription reparsed = parse_ok(write_sdp(offer));
  EXPECT_FALSE(reparsed.media[0].rejected());
  EXPECT_EQ(reparsed.media[0].direction, Direction::kInactive);
  EXPECT_EQ(reparsed.media[1].mid, "1");

  // An inactive slot that never carried a track still gets a valid m= line.
  SubscribeSlot empty;
  empty.mid = "9";
  empty.kind = MediaKind::kVideo;
  empty.active = false;
  reparsed = parse_ok(write_sdp(build_subscribe_offer({empty}, server_transport(), 1, 1)));
  EXPECT_EQ(reparsed.media[0].codecs.size(), 1u);
  ASSERT_EQ(reparsed.groups.size(), 1u);  // still a BUNDLE group: the all-inactive case
  EXPECT_EQ(reparsed.groups[0].mids, (std::vector<std::string>{"9"}));
}

TEST(BuildSubscribeOffer, ActiveSlotWithoutCodecsIsWrittenInactive) {
  auto slots = subscribe_slots();
  slots[1].codecs.clear();
  SessionDescription offer = build_subscribe_offer(slots, server_transport(), 1, 1);
  EXPECT_EQ(offer.media[1].direction, Direction::kInactive);
  EXPECT_FALSE(offer.media[1].msid.has_value());
  EXPECT_EQ(offer.groups[0].mids, (std::vector<std::string>{"0", "1"}));
}

TEST(BuildSubscribeOffer, NoSlotsGivesAValidOfferWithoutMedia) {
  SessionDescription offer = build_subscribe_offer({}, server_transport(), 7, 1);
  EXPECT_TRUE(offer.media.empty());
  EXPECT_TRUE(offer.groups.empty());
  SessionDescription reparsed = parse_ok(write_sdp(offer));
  EXPECT_TRUE(reparsed.ice_lite);
  EXPECT_EQ(reparsed.session_id, 7u);
}

TEST(BuildSubscribeOffer, SlotWithoutRtx) {
  auto slots = subscribe_slots();
  slots[1].rtx_ssrc = 0;
  for (auto& codec : slots[1].codecs) codec.rtx_payload_type.reset();
  SessionDescription offer = build_subscribe_offer(slots, server_transport(), 1, 1);
  EXPECT_TRUE(offer.media[1].ssrc_groups.empty());
  EXPECT_EQ(offer.media[1].ssrcs.size(), 1u);
  EXPECT_EQ(offer.media[1].codecs.size(), 7u);
}

TEST(BundleConsistency, ExtensionIds) {
  SessionDescription offer = build_subscribe_offer(subscribe_slots(), server_transport(), 1, 1);
  EXPECT_FALSE(check_bundle_extension_ids(offer).has_value());
  // The same URI under the same id in both sections is fine; abs-send-time on audio-level's id 1
  // is what Chromium 156 rejected ("codec collision for header extension id=1").
  auto slots = subscribe_slots();
  slots[1].extensions[0].id = 1;
  offer = build_subscribe_offer(slots, server_transport(), 1, 1);
  auto error = check_bundle_extension_ids(offer);
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->message, "extmap id 1 is urn:ietf:params:rtp-hdrext:ssrc-audio-level in mid=0 but " +
                                std::string(kExtAbsSendTime) + " in mid=1");
  // An inactive slot carries no extensions, so nothing conflicts.
  slots[0].active = false;
  EXPECT_FALSE(
      check_bundle_extension_ids(build_subscribe_offer(slots, server_transport(), 1, 1)).has_value());
}

TEST(BundleConsistency, PayloadTypes) {
  auto slots = subscribe_slots();
  SubscribeSlot other = slots[1];
  other.mid = "5";
  other.participant_id = "carol";
  EXPECT_FALSE(
      check_bundle_payload_types(build_subscribe_offer({slots[1], other}, server_transport(), 1, 1)));
  std::swap(other.codecs[0].codec.payload_type, other.codecs[1].codec.payload_type);  // VP8 <-> H264 PTs
  auto error = check_bundle_payload_types(build_subscribe_offer({slots[1], other}, server_transport(), 1, 1));
  ASSERT_TRUE(error.has_value());
  EXPECT_EQ(error->message, "payload type 102 is H264 in mid=1 but VP8 in mid=5");
  // Different media kinds may reuse a payload type value only with the same format too.
  slots[1].codecs[0].codec.payload_type = 111;
  EXPECT_TRUE(check_bundle_payload_types(build_subscribe_offer(slots, server_transport(), 1, 1)).has_value());
}

TEST(ApplySubscribeAnswer, ChromiumAnswer) {
  SessionDescription offer = parse_ok(load("chromium_accepted_subscribe_offer.sdp"));
  SubscribeAnswerResult r = apply_ok(offer, parse_ok(load("chromium_subscribe_answer.sdp")));
  EXPECT_EQ(r.remote.ice_ufrag, "Cscw");
  EXPECT_EQ(r.remote.ice_pwd, "yBTnjj17P3bjANgnYg6vmVcR");
  EXPECT_EQ(r.remote.fingerprint_algorithm, "sha-256");
  EXPECT_EQ(r.remote.fingerprint.substr(0, 8), "D0:46:68");
  EXPECT_EQ(r.remote.setup, "active");
  EXPECT_TRUE(r.extmap_allow_mixed);
  ASSERT_EQ(r.tracks.size(), 2u);
  const SubscribedTrackState& audio = r.tracks[0];
  EXPECT_EQ(audio.mid, "0");
  EXPECT_TRUE(audio.accepted);
  EXPECT_TRUE(audio.receivable);
  EXPECT_EQ(audio.direction, Direction::kRecvOnly);
  ASSERT_EQ(audio.codecs.size(), 1u);
  EXPECT_EQ(audio.codecs[0].codec.name, "opus");
  EXPECT_EQ(audio.extensions.size(), 4u);
  const SubscribedTrackState& video = r.tracks[1];
  EXPECT_TRUE(video.receivable);
  ASSERT_EQ(video.codecs.size(), 7u);
  for (const auto& codec : video.codecs) EXPECT_TRUE(codec.rtx_payload_type.has_value()) << codec.codec.name;
  EXPECT_EQ(video.codecs[0].codec.payload_type, 96);
  EXPECT_EQ(video.codecs[0].rtx_payload_type, std::optional<uint8_t>(97));
  EXPECT_EQ(video.extensions.size(), 5u);
}

TEST(ApplySubscribeAnswer, ChromiumAnswerToRecycledSection) {
  SessionDescription offer = parse_ok(load("chromium_accepted_subscribe_offer_recycled.sdp"));
  SubscribeAnswerResult r = apply_ok(offer, parse_ok(load("chromium_subscribe_answer_recycled.sdp")));
  ASSERT_EQ(r.tracks.size(), 2u);
  EXPECT_EQ(r.tracks[1].mid, "2");
  EXPECT_TRUE(r.tracks[1].receivable);
}

TEST(ApplySubscribeAnswer, InactiveSlotAnsweredRejected) {
  auto slots = subscribe_slots();
  slots[1].active = false;
  SessionDescription offer = build_subscribe_offer(slots, server_transport(), 42, 2);
  SessionDescription answer = parse_ok(load("chromium_subscribe_answer.sdp"));
  answer.media[1].port = 0;
  answer.media[1].direction = Direction::kInactive;
  answer.groups[0].mids = {"0"};
  SubscribeAnswerResult r = apply_ok(offer, answer);
  EXPECT_TRUE(r.tracks[0].receivable);
  EXPECT_FALSE(r.tracks[1].accepted);
  EXPECT_FALSE(r.tracks[1].receivable);
  EXPECT_TRUE(r.tracks[1].codecs.empty());
}

TEST(ApplySubscribeAnswer, CodecsTheSubscriberDidNotAccept) {
  SessionDescription offer = parse_ok(load("chromium_accepted_subscribe_offer.sdp"));
  SessionDescription answer = parse_ok(load("chromium_subscribe_answer.sdp"));
  MediaSection& video = answer.media[1];
  std::vector<Codec> kept;
  for (const Codec& codec : video.codecs) {
    if (codec.payload_type == 96) continue;   // VP8 declined, so its rtx 97 is orphaned
    if (codec.payload_type == 109) continue;  // rtx of H264 108 declined
    if (codec.payload_type == 116) {          // same PT, different profile: not our format
      Codec changed = codec;
      changed.fmtp = {{"packetization-mode", "1"}, {"profile-level-id", "64001f"}};
      kept.push_back(changed);
      continue;
    }
    kept.push_back(codec);
  }
  video.codecs = kept;
  SubscribeAnswerResult r = apply_ok(offer, answer);
  std::vector<std::string> accepted;
  for (const auto& c : r.tracks[1].codecs) {
    accepted.push_back(std::to_string(c.codec.payload_type) + "/" +
                       (c.rtx_payload_type ? std::to_string(*c.rtx_payload_type) : "-"));
  }
  EXPECT_EQ(accepted, (std::vector<std::string>{"102/103", "108/-", "45/46", "98/99", "100/101"}));
  EXPECT_TRUE(r.tracks[1].receivable);

  // Nothing of ours accepted: the track cannot be received.
  Codec h263;
  h263.payload_type = 34;
  h263.name = "H263";
  h263.clock_rate = 90000;
  video.codecs = {h263};
  r = apply_ok(offer, answer);
  EXPECT_TRUE(r.tracks[1].accepted);
  EXPECT_FALSE(r.tracks[1].receivable);
  EXPECT_TRUE(r.tracks[1].codecs.empty());
}

TEST(ApplySubscribeAnswer, ExtensionsMustKeepTheOfferedIds) {
  SessionDescription offer = parse_ok(load("chromium_accepted_subscribe_offer.sdp"));
  SessionDescription answer = parse_ok(load("chromium_subscribe_answer.sdp"));
  answer.media[0].extmaps[0].id = 9;   // ssrc-audio-level under another id
  answer.media[0].extmaps.pop_back();  // mid dropped
  SubscribeAnswerResult r = apply_ok(offer, answer);
  std::vector<uint16_t> ids;
  for (const auto& e : r.tracks[0].extensions) ids.push_back(e.id);
  EXPECT_EQ(ids, (std::vector<uint16_t>{2, 3}));
}

// (This test used to answer a=setup:passive too and assert it was accepted. It must not be: the
// server can only be the DTLS server, so a passive answerer waits for a ClientHello that never
// comes. Passive answers are now refused, see ErrorsNameTheProblem.)
TEST(ApplySubscribeAnswer, InactiveAnswer) {
  SessionDescription offer = parse_ok(load("chromium_accepted_subscribe_offer.sdp"));
  SessionDescription answer = parse_ok(load("chromium_subscribe_answer.sdp"));
  answer.media[0].direction = Direction::kInactive;
  SubscribeAnswerResult r = apply_ok(offer, answer);
  EXPECT_TRUE(r.tracks[0].accepted);
  EXPECT_FALSE(r.tracks[0].receivable);
  EXPECT_EQ(r.remote.setup, "active");
}

TEST(ApplySubscribeAnswer, EmptyOfferAndAnswer) {
  SessionDescription offer = build_subscribe_offer({}, server_transport(), 1, 1);
  SubscribeAnswerResult r = apply_ok(offer, parse_ok("v=0\r\no=- 5 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n"));
  EXPECT_TRUE(r.tracks.empty());
  EXPECT_TRUE(r.remote.ice_ufrag.empty());
}

TEST(ApplySubscribeAnswer, ErrorsNameTheProblem) {
  const SessionDescription offer = parse_ok(load("chromium_accepted_subscribe_offer.sdp"));
  const SessionDescription base = parse_ok(load("chromium_subscribe_answer.sdp"));
  struct Case {
    const char* name;
    std::function<void(SessionDescription&)> mutate;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"count", [](SessionDescription& d) { d.media.pop_back(); },
       "answer has 1 m-sections, the offer had 2"},
      {"mid", [](SessionDescription& d) { d.media[1].mid = "x"; },
       "m-section 1 has mid=x in the answer but mid=1 in the offer"},
      {"no BUNDLE", [](SessionDescription& d) { d.groups.clear(); }, "answer has no BUNDLE group"},
      {"not bundled", [](SessionDescription& d) { d.groups[0].mids = {"0"}; },
       "m-section 1 (mid=1) is not in the answer's BUNDLE group"},
      {"rtcp-mux", [](SessionDescription& d) { d.media[0].rtcp_mux = false; },
       "m-section 0 (mid=0) lacks a=rtcp-mux"},
      {"direction", [](SessionDescription& d) { d.media[1].direction = Direction::kSendRecv; },
       "m-section 1 (mid=1) answers sendrecv to a sendonly offer"},
      {"actpass",
       [](SessionDescription& d) {
         for (auto& m : d.media) m.setup = SetupRole::kActpass;
       },
       "answer has a=setup:actpass, but the server is always the DTLS server: the answer must use "
       "a=setup:active"},
      {"passive",
       [](SessionDescription& d) {
         for (auto& m : d.media) m.setup = SetupRole::kPassive;
       },
       "answer has a=setup:passive, but the server is always the DTLS server: the answer must use "
       "a=setup:active"},
      {"no setup",
       [](SessionDescription& d) {
         for (auto& m : d.media) m.setup = SetupRole::kNone;
       },
       "answer lacks a=setup"},
      {"no ufrag",
       [](SessionDescription& d) {
         for (auto& m : d.media) m.ice_ufrag.clear();
       },
       "answer lacks a=ice-ufrag"},
      {"no fingerprint",
       [](SessionDescription& d) {
         for (auto& m : d.media) m.fingerprints.clear();
       },
       "answer lacks a=fingerprint with sha-256, sha-384, sha-512 or sha-1"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    SessionDescription answer = base;
    c.mutate(answer);
    EXPECT_EQ(apply_error(offer, answer), c.expected);
  }
}

TEST(SubscribeAnswerLimits, FollowTheLargestOfferTheServerMakes) {
  // 1,600 m-sections: 2 x 100 participants x 8 tracks. Their answer's BUNDLE line is longer than
  // any other line may be.
  std::string text = "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE";
  std::string sections;
  for (int i = 0; i < 1600; ++i) {
    text += " " + std::to_string(i);
    sections += "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:" + std::to_string(i) + "\r\n";
  }
  text += "\r\n" + sections;
  EXPECT_TRUE(std::holds_alternative<SdpError>(parse_sdp(text))) << "the default caps refuse it";
  auto parsed = parse_sdp(text, subscribe_answer_parse_options(1600, 65536));
  ASSERT_TRUE(std::holds_alternative<SessionDescription>(parsed)) << std::get<SdpError>(parsed).to_string();
  EXPECT_EQ(std::get<SessionDescription>(parsed).media.size(), 1600u);
  auto one_more = parse_sdp(text + "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:x\r\n",
                            subscribe_answer_parse_options(1600, 65536));
  ASSERT_TRUE(std::holds_alternative<SdpError>(one_more));
  EXPECT_NE(std::get<SdpError>(one_more).message.find("more than 1600 m-sections"), std::string::npos);

  ParseOptions small = subscribe_answer_parse_options(2, 1024);
  EXPECT_EQ(small.max_media_sections, ParseOptions{}.max_media_sections) << "never below the defaults";
  EXPECT_EQ(small.max_input_bytes, ParseOptions{}.max_input_bytes);
  EXPECT_EQ(subscribe_answer_parse_options(2, size_t{1} << 20).max_input_bytes, size_t{1} << 20);
}

TEST(RemoteTransportChange, TellsAnIceRestartFromRefusedChanges) {
  using Change = RemoteTransportChange;
  auto change_of = [](const RemoteTransport& current, const RemoteTransport& later) {
    auto change = remote_transport_change(current, later);
    return std::holds_alternative<Change>(change) ? std::optional<Change>(std::get<Change>(change))
                                                  : std::nullopt;
  };
  auto refusal_of = [](const RemoteTransport& current, const RemoteTransport& later) {
    auto change = remote_transport_change(current, later);
    return std::holds_alternative<Error>(change) ? std::get<Error>(change)
                                                 : Error{ErrorCode::internal_error, ""};
  };
  RemoteTransport first{"ufrag", "password-of-24-characters", "sha-256", "AB:CD:EF", "active"};
  RemoteTransport same = first;
  same.fingerprint = "ab:cd:ef";  // hex case is not significant
  same.setup = "passive";         // not the transport's identity (checked elsewhere)
  EXPECT_EQ(change_of(first, same), Change::None);

  // RFC 8445 §9: a restart changes both the ufrag and the password.
  RemoteTransport restarted = first;
  restarted.ice_ufrag = "other";
  restarted.ice_pwd = "another-password-of-24-c";
  EXPECT_EQ(change_of(first, restarted), Change::IceRestart);
  EXPECT_EQ(change_of(restarted, restarted), Change::None)
      << "the restart's credentials are the current ones now";

  RemoteTransport half = first;
  half.ice_ufrag = "other";
  EXPECT_EQ(refusal_of(first, half).code, ErrorCode::bad_request);
  EXPECT_NE(refusal_of(first, half).message.find("only a=ice-ufrag changed"), std::string::npos);
  half = first;
  half.ice_pwd = "another-password-of-24-c";
  EXPECT_EQ(refusal_of(first, half).code, ErrorCode::bad_request);
  EXPECT_NE(refusal_of(first, half).message.find("only a=ice-pwd changed"), std::string::npos);

  // DTLS and SRTP stay up across a restart: a new certificate is refused, restart or not.
  RemoteTransport recertified = first;
  recertified.fingerprint = "AB:CD:00";
  EXPECT_EQ(refusal_of(first, recertified).code, ErrorCode::unsupported);
  EXPECT_EQ(refusal_of(first, recertified).message.rfind("a new DTLS certificate is not supported", 0), 0u);
  recertified = restarted;
  recertified.fingerprint_algorithm = "sha-384";
  EXPECT_EQ(refusal_of(first, recertified).code, ErrorCode::unsupported);
}

// A publish re-offer after pc.restartIce() (new a=ice-ufrag and a=ice-pwd, the same certificate),
// negotiated with the server's new local credentials: the answer carries those on every accepted
// m-section, and the offer's transport compares as an ICE restart.
TEST(RemoteTransportChange, ARestartOfferIsAnsweredWithTheNewLocalCredentials) {
  std::string text = load("chromium_publish_offer.sdp");
  auto first = negotiate_publish(parse_ok(text), server_transport());
  ASSERT_TRUE(std::holds_alternative<PublishResult>(first));
  std::string restarted_text;
  std::istringstream lines(text);
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("a=ice-ufrag:", 0) == 0) line = "a=ice-ufrag:RsTu\r";
    if (line.rfind("a=ice-pwd:", 0) == 0) line = "a=ice-pwd:restartedPasswordOf24Chars\r";
    restarted_text += line + "\n";
  }
  LocalTransport renewed = server_transport();
  renewed.ice_ufrag = "srvUfrag2";
  renewed.ice_pwd = "renewedserverpassword012";
  auto restarted = negotiate_publish(parse_ok(restarted_text), renewed);
  ASSERT_TRUE(std::holds_alternative<PublishResult>(restarted));
  const PublishResult& before = std::get<PublishResult>(first);
  const PublishResult& after = std::get<PublishResult>(restarted);
  EXPECT_EQ(after.remote.ice_ufrag, "RsTu");
  EXPECT_EQ(after.remote.ice_pwd, "restartedPasswordOf24Chars");
  auto change = remote_transport_change(before.remote, after.remote);
  ASSERT_TRUE(std::holds_alternative<RemoteTransportChange>(change));
  EXPECT_EQ(std::get<RemoteTransportChange>(change), RemoteTransportChange::IceRestart);

  SessionDescription answer = parse_ok(write_sdp(after.answer));
  size_t accepted = 0;
  for (const auto& m : answer.media) {
    if (m.port == 0) continue;
    ++accepted;
    EXPECT_EQ(m.ice_ufrag, "srvUfrag2") << m.mid;
    EXPECT_EQ(m.ice_pwd, "renewedserverpassword012") << m.mid;
    ASSERT_EQ(m.fingerprints.size(), 1u);
    EXPECT_EQ(m.fingerprints[0].value, server_transport().fingerprint) << "the certificate stays";
  }
  EXPECT_GT(accepted, 0u);
  EXPECT_EQ(after.tracks.size(), before.tracks.size()) << "the same tracks";
}

}  // namespace
}  // namespace sfu::sdp
