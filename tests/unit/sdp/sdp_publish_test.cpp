// Tests for negotiate_publish (sfu/sdp/sdp_negotiation.h): the server's answer to a browser's publish
// offer, checked field by field, and the errors for offers the server cannot take.
//
// Interop (recorded when the fixtures were captured): Chromium 156 accepted, with
// setRemoteDescription(answer), the answers negotiate_publish produced for
// chromium_publish_offer.sdp, chromium_simulcast_offer.sdp (the sender kept its three
// encodings q, h, f), chromium_recvonly_offer.sdp, chromium_datachannel_first_offer.sdp,
// chromium_datachannel_only_offer.sdp (answer with the application m-section rejected and no
// BUNDLE group) and chromium_renegotiation_offer.sdp.
// Two of those answers are kept as chromium_accepted_{publish,simulcast}_answer.sdp; the golden
// test below fails if the writer or the negotiation changes them, which calls for re-checking
// with a browser.

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "sfu/sdp/sdp_negotiation.h"
#include "tests/unit/sdp/sdp_test_support.h"

namespace sfu::sdp {
namespace {

using namespace test;

PublishResult publish_ok(const SessionDescription& offer, const NegotiationOptions& options = {}) {
  auto result = negotiate_publish(offer, server_transport(), options);
  if (auto* error = std::get_if<SdpError>(&result)) {
    ADD_FAILURE() << "unexpected negotiation error: " << error->to_string();
    return {};
  }
  return std::get<PublishResult>(std::move(result));
}

std::string publish_error(const SessionDescription& offer) {
  auto result = negotiate_publish(offer, server_transport());
  if (!std::holds_alternative<SdpError>(result)) {
    ADD_FAILURE() << "negotiation succeeded although it should not";
    return {};
  }
  return std::get<SdpError>(result).message;
}

std::vector<uint8_t> payload_types(const MediaSection& m) {
  std::vector<uint8_t> pts;
  for (const auto& codec : m.codecs) pts.push_back(codec.payload_type);
  return pts;
}

TEST(MakeHostCandidate, PriorityAndTcpType) {
  Candidate udp = make_host_candidate("192.0.2.1", 40000);
  EXPECT_EQ(udp.priority, (126u << 24) | (65535u << 8) | 255u);
  EXPECT_EQ(udp.component, 1u);
  EXPECT_EQ(udp.type, "host");
  EXPECT_EQ(udp.transport, "udp");
  EXPECT_TRUE(udp.tcp_type.empty());
  Candidate tcp = make_host_candidate("192.0.2.1", 443, "tcp", 100);
  EXPECT_EQ(tcp.priority, (126u << 24) | (100u << 8) | 255u);
  EXPECT_EQ(tcp.tcp_type, "passive");
  EXPECT_NE(tcp.foundation, udp.foundation);
}

// RFC 6544 section 4.2: a passive host candidate's local preference is 2^13 * 4 + 8191; UDP keeps
// the higher priority.
TEST(MakeHostCandidate, TcpPassiveDefaultsBelowUdp) {
  Candidate udp = make_host_candidate("192.0.2.1", 40000);
  Candidate tcp = make_host_candidate("192.0.2.1", 40000, "tcp");
  EXPECT_EQ(tcp.priority, (126u << 24) | (40959u << 8) | 255u);
  EXPECT_EQ(tcp.priority, 2124414975u);
  EXPECT_LT(tcp.priority, udp.priority);
  EXPECT_EQ(tcp.tcp_type, "passive");
}

TEST(NegotiatePublish, ChromiumOfferAnswerSessionAndTransport) {
  PublishResult r = publish_ok(parse_ok(load("chromium_publish_offer.sdp")));
  const SessionDescription& a = r.answer;
  EXPECT_TRUE(a.ice_lite);
  EXPECT_TRUE(a.extmap_allow_mixed);  // echoed because the offer has it
  ASSERT_EQ(a.groups.size(), 1u);
  EXPECT_EQ(a.groups[0].semantics, "BUNDLE");
  EXPECT_EQ(a.groups[0].mids, (std::vector<std::string>{"0", "1"}));
  ASSERT_EQ(a.media.size(), 2u);
  for (const MediaSection& m : a.media) {
    EXPECT_EQ(m.port, 40000);
    EXPECT_EQ(m.connection->address, "127.0.0.1");
    EXPECT_EQ(m.ice_ufrag, "srvUfrag1");
    EXPECT_EQ(m.ice_pwd, "serverpassword0123456789");
    ASSERT_EQ(m.fingerprints.size(), 1u);
    EXPECT_EQ(m.fingerprints[0].algorithm, "sha-256");
    EXPECT_EQ(m.fingerprints[0].value, server_transport().fingerprint);
    EXPECT_EQ(m.setup, SetupRole::kPassive);
    EXPECT_TRUE(m.rtcp_mux);
    EXPECT_TRUE(m.rtcp_rsize);
    EXPECT_EQ(m.direction, Direction::kRecvOnly);
    ASSERT_EQ(m.candidates.size(), 1u);
    EXPECT_EQ(m.candidates[0].address, "127.0.0.1");
    EXPECT_EQ(m.candidates[0].type, "host");
    EXPECT_TRUE(m.end_of_candidates);
    EXPECT_TRUE(m.ssrcs.empty());
    EXPECT_FALSE(m.msid.has_value());
  }
  EXPECT_EQ(r.remote.ice_ufrag, "WrfM");
  EXPECT_EQ(r.remote.ice_pwd, "5nvfklB4mMYs+uza45tKO+C5");
  EXPECT_EQ(r.remote.fingerprint_algorithm, "sha-256");
  EXPECT_EQ(
      r.remote.fingerprint,
      "15:B7:84:29:2B:73:3E:53:07:80:E1:1B:A9:B6:91:84:C2:BF:45:79:6B:EF:7B:57:49:92:8B:6F:72:A7:45:82");
  EXPECT_EQ(r.remote.setup, "actpass");
}

TEST(NegotiatePublish, ChromiumOfferCodecsAndExtensions) {
  PublishResult r = publish_ok(parse_ok(load("chromium_publish_offer.sdp")));
  const MediaSection& audio = r.answer.media[0];
  EXPECT_EQ(audio.mid, "0");
  EXPECT_EQ(payload_types(audio), (std::vector<uint8_t>{111}));  // red, G722, PCMU/A, CN, DTMF dropped
  EXPECT_EQ(*audio.codecs[0].fmtp_value("minptime"), "10");
  EXPECT_EQ(audio.codecs[0].rtcp_fb, (std::vector<RtcpFeedback>{{"transport-cc", ""}}));
  ASSERT_EQ(audio.extmaps.size(), 4u);
  EXPECT_EQ(audio.extmaps[0].id, 1);
  EXPECT_EQ(audio.extmaps[0].uri, kExtAudioLevel);
  EXPECT_EQ(audio.find_extmap(kExtMid)->id, 4);

  const MediaSection& video = r.answer.media[1];
  // VP8, H264 mode 1 (42001f, 42e01f, 4d001f), AV1 and VP9 profiles 0 and 2, each followed by its
  // rtx, in the offer's order; H264 mode 0, red, its rtx and ulpfec dropped.
  EXPECT_EQ(payload_types(video),
            (std::vector<uint8_t>{96, 97, 102, 103, 108, 109, 116, 117, 45, 46, 98, 99, 100, 101}));
  EXPECT_EQ(*video.find_codec(97)->fmtp_value("apt"), "96");
  EXPECT_EQ(*video.find_codec(108)->fmtp_value("profile-level-id"), "42e01f");
  EXPECT_EQ(video.find_codec(96)->rtcp_fb.size(), 5u);
  EXPECT_TRUE(video.find_codec(97)->rtcp_fb.empty());
  std::vector<std::string> uris;
  for (const auto& e : video.extmaps) uris.push_back(std::to_string(e.id) + " " + e.uri);
  EXPECT_EQ(uris,
            (std::vector<std::string>{"2 " + std::string(kExtAbsSendTime),
                                      "3 " + std::string(kExtTransportCc), "4 " + std::string(kExtMid),
                                      "10 " + std::string(kExtRid), "11 " + std::string(kExtRepairedRid)}));
}

TEST(NegotiatePublish, ChromiumOfferTracks) {
  PublishResult r = publish_ok(parse_ok(load("chromium_publish_offer.sdp")));
  ASSERT_EQ(r.tracks.size(), 2u);
  const PublishedTrackSpec& audio = r.tracks[0];
  EXPECT_EQ(audio.mid, "0");
  EXPECT_EQ(audio.kind, MediaKind::kAudio);
  EXPECT_EQ(audio.stream_id, "89b39b09-b7c4-481a-91b7-165b00fab999");
  EXPECT_EQ(audio.track_id, "249082f2-bc45-4aae-9fd4-c02b1220b0cd");
  EXPECT_EQ(audio.cname, "/YP5pCQgNlH6iIKy");
  EXPECT_EQ(audio.ssrcs, (std::vector<uint32_t>{1503025225u}));
  EXPECT_EQ(audio.rtx_ssrcs, (std::vector<uint32_t>{0}));
  EXPECT_TRUE(audio.rids.empty());
  EXPECT_FALSE(audio.simulcast());
  ASSERT_EQ(audio.codecs.size(), 1u);
  EXPECT_EQ(audio.codecs[0].codec.name, "opus");
  EXPECT_FALSE(audio.codecs[0].rtx_payload_type.has_value());
  EXPECT_EQ(audio.extensions.size(), 4u);

  const PublishedTrackSpec& video = r.tracks[1];
  EXPECT_EQ(video.kind, MediaKind::kVideo);
  EXPECT_EQ(video.track_id, "d788877a-583d-4f4f-ba27-64b4ecc54acf");
  EXPECT_EQ(video.ssrcs, (std::vector<uint32_t>{4143413076u}));
  EXPECT_EQ(video.rtx_ssrcs, (std::vector<uint32_t>{3104499554u}));
  ASSERT_EQ(video.codecs.size(), 7u);
  EXPECT_EQ(video.codecs[0].codec.payload_type, 96);
  EXPECT_EQ(video.codecs[0].rtx_payload_type, std::optional<uint8_t>(97));
  EXPECT_EQ(video.codecs[4].codec.name, "AV1");
  EXPECT_EQ(video.codecs[6].codec.payload_type, 100);
  EXPECT_EQ(video.codecs[6].rtx_payload_type, std::optional<uint8_t>(101));
  EXPECT_EQ(video.extensions.size(), 5u);
}

TEST(NegotiatePublish, ChromiumAnswerMatchesTheOneChromiumAccepted) {
  NegotiationOptions options;  // the captured answers used the defaults (o=- 1 1)
  EXPECT_EQ(write_sdp(publish_ok(parse_ok(load("chromium_publish_offer.sdp")), options).answer),
            load("chromium_accepted_publish_answer.sdp"));
  EXPECT_EQ(write_sdp(publish_ok(parse_ok(load("chromium_simulcast_offer.sdp")), options).answer),
            load("chromium_accepted_simulcast_answer.sdp"));
}

TEST(NegotiatePublish, AnswerOrigin) {
  NegotiationOptions options;
  options.answer_session_id = 99;
  options.answer_session_version = 3;
  PublishResult r = publish_ok(parse_ok(load("chromium_publish_offer.sdp")), options);
  EXPECT_EQ(r.answer.session_id, 99u);
  EXPECT_EQ(r.answer.session_version, 3u);
}

TEST(NegotiatePublish, RidSimulcast) {
  PublishResult r = publish_ok(parse_ok(load("chromium_simulcast_offer.sdp")));
  const MediaSection& video = r.answer.media[0];
  ASSERT_EQ(video.rids.size(), 3u);
  for (const auto& rid : video.rids) EXPECT_EQ(rid.direction, RidDirection::kRecv);
  EXPECT_EQ(video.rids[0].id, "q");
  ASSERT_TRUE(video.simulcast.has_value());
  EXPECT_TRUE(video.simulcast->send.empty());
  ASSERT_EQ(video.simulcast->recv.size(), 3u);
  EXPECT_EQ(video.simulcast->recv[2][0].rid, "f");
  ASSERT_NE(video.find_extmap(kExtRid), nullptr);
  ASSERT_NE(video.find_extmap(kExtRepairedRid), nullptr);

  ASSERT_EQ(r.tracks.size(), 2u);
  const PublishedTrackSpec& track = r.tracks[0];
  EXPECT_EQ(track.rids, (std::vector<std::string>{"q", "h", "f"}));
  EXPECT_TRUE(track.ssrcs.empty());
  EXPECT_TRUE(track.simulcast());
  EXPECT_EQ(r.tracks[1].stream_id, "89b39b09-b7c4-481a-91b7-165b00fab999");
  EXPECT_FALSE(r.answer.media[1].simulcast.has_value());
}

TEST(NegotiatePublish, SsrcSimulcastGroup) {
  // Plan-B-era simulcast (SIM group with FID per layer), still produced by some SDKs.
  SessionDescription offer = parse_ok(load("chromium_publish_offer.sdp"));
  MediaSection& v = offer.media[1];
  v.ssrc_groups = {{"SIM", {10, 20, 30}}, {"FID", {10, 11}}, {"FID", {20, 21}}, {"FID", {30, 31}}};
  v.ssrcs.clear();
  for (uint32_t s : {10, 11, 20, 21, 30, 31}) v.ssrcs.push_back({s, "cn", std::nullopt});
  PublishResult r = publish_ok(offer);
  EXPECT_EQ(r.tracks[1].ssrcs, (std::vector<uint32_t>{10, 20, 30}));
  EXPECT_EQ(r.tracks[1].rtx_ssrcs, (std::vector<uint32_t>{11, 21, 31}));
  EXPECT_TRUE(r.tracks[1].simulcast());
}

TEST(NegotiatePublish, RidRestrictedToDroppedCodecIsNotAnswered) {
  SessionDescription offer = parse_ok(load("chromium_simulcast_offer.sdp"));
  offer.media[0].rids[0].payload_types = {120};  // ulpfec only: never negotiated
  offer.media[0].rids[1].payload_types = {96, 120};
  PublishResult r = publish_ok(offer);
  const MediaSection& video = r.answer.media[0];
  ASSERT_EQ(video.rids.size(), 2u);
  EXPECT_EQ(video.rids[0].id, "h");
  EXPECT_EQ(video.rids[0].payload_types, (std::vector<uint8_t>{96}));
  ASSERT_EQ(video.simulcast->recv.size(), 2u);
  EXPECT_EQ(video.simulcast->recv[0][0].rid, "h");
}

TEST(NegotiatePublish, FirefoxOffer) {
  PublishResult r = publish_ok(parse_ok(load("firefox_publish_offer.sdp")));
  ASSERT_EQ(r.answer.media.size(), 2u);
  const MediaSection& audio = r.answer.media[0];
  EXPECT_EQ(payload_types(audio), (std::vector<uint8_t>{109}));
  EXPECT_FALSE(audio.rtcp_rsize);  // Firefox offers no rtcp-rsize for audio
  // csrc-audio-level is /recvonly in the offer (Firefox would never send it), and unsupported.
  EXPECT_EQ(audio.extmaps.size(), 2u);
  const MediaSection& video = r.answer.media[1];
  // VP8 120 + rtx 124, VP9 121 + rtx 125, H264 mode 1 126 + rtx 127; H264 97 has no
  // packetization-mode (= mode 0); ulpfec 123, red 122 and its rtx 119 are dropped.
  EXPECT_EQ(payload_types(video), (std::vector<uint8_t>{120, 124, 121, 125, 126, 127}));
  EXPECT_TRUE(video.find_codec(121)->fmtp.empty());
  EXPECT_EQ(video.extmaps.size(), 3u);  // mid 3, abs-send-time 4, transport-cc 7
  EXPECT_EQ(video.find_extmap(kExtTransportCc)->id, 7);
  EXPECT_EQ(r.remote.ice_ufrag, "3c9d2e1f");
  EXPECT_EQ(r.remote.fingerprint.substr(0, 5), "4F:2B");  // from session level
  ASSERT_EQ(r.tracks.size(), 2u);
  EXPECT_EQ(r.tracks[0].stream_id, "{9a6b1c3d-5e7f-4a2b-8c4d-6e8f0a1b2c3d}");
  EXPECT_EQ(r.tracks[0].ssrcs, (std::vector<uint32_t>{2791348275u}));
  EXPECT_EQ(r.tracks[1].ssrcs, (std::vector<uint32_t>{3815272932u}));
  EXPECT_EQ(r.tracks[1].rtx_ssrcs, (std::vector<uint32_t>{1337400633u}));
}

TEST(NegotiatePublish, RecvonlyAndInactiveSectionsAreAnsweredInactive) {
  PublishResult r = publish_ok(parse_ok(load("chromium_recvonly_offer.sdp")));
  ASSERT_EQ(r.answer.media.size(), 2u);
  EXPECT_EQ(r.answer.media[0].direction, Direction::kInactive);
  EXPECT_EQ(r.answer.media[0].port, 40000);
  EXPECT_EQ(payload_types(r.answer.media[0]), (std::vector<uint8_t>{111}));
  EXPECT_EQ(r.answer.media[1].direction, Direction::kRecvOnly);
  EXPECT_EQ(r.answer.groups[0].mids, (std::vector<std::string>{"0", "1"}));
  ASSERT_EQ(r.tracks.size(), 1u);
  EXPECT_EQ(r.tracks[0].mid, "1");
  EXPECT_EQ(r.tracks[0].stream_id, "-");  // a=msid:- <track>: a track without a stream
  EXPECT_EQ(r.tracks[0].track_id, "d788877a-583d-4f4f-ba27-64b4ecc54acf");
}

// With NegotiationOptions::data_channels unset (data channels with it: sdp_datachannel_negotiation_test.cpp).
TEST(NegotiatePublish, DataChannelAndRejectedSectionsGetPortZero) {
  PublishResult r = publish_ok(parse_ok(load("chromium_renegotiation_offer.sdp")));
  ASSERT_EQ(r.answer.media.size(), 3u);
  const MediaSection& app = r.answer.media[0];
  EXPECT_EQ(app.port, 0);
  EXPECT_EQ(app.mid, "0");
  EXPECT_EQ(app.protocol, "UDP/DTLS/SCTP");
  EXPECT_EQ(app.formats, (std::vector<std::string>{"webrtc-datachannel"}));
  EXPECT_TRUE(app.ice_ufrag.empty());
  EXPECT_TRUE(app.candidates.empty());
  EXPECT_EQ(r.answer.media[1].direction, Direction::kInactive);  // the removed audio sender
  EXPECT_EQ(r.answer.media[2].direction, Direction::kRecvOnly);
  EXPECT_EQ(r.answer.groups[0].mids, (std::vector<std::string>{"1", "2"}));
  EXPECT_EQ(r.remote.ice_ufrag, "nvGm");  // of the BUNDLE tag (mid 1), not of the rejected data channel
  ASSERT_EQ(r.tracks.size(), 1u);
  EXPECT_EQ(r.tracks[0].mid, "2");

  // Data channel and audio in one fresh offer: Chromium put audio first (mid 0) and the data
  // channel second; the bundled data channel is answered port 0 and leaves the BUNDLE group.
  PublishResult with_dc = publish_ok(parse_ok(load("chromium_datachannel_first_offer.sdp")));
  ASSERT_EQ(with_dc.answer.media.size(), 2u);
  EXPECT_EQ(with_dc.answer.media[1].kind, MediaKind::kApplication);
  EXPECT_EQ(with_dc.answer.media[1].port, 0);
  EXPECT_EQ(with_dc.answer.groups[0].mids, (std::vector<std::string>{"0"}));
  EXPECT_EQ(with_dc.tracks.size(), 1u);

  PublishResult only_dc = publish_ok(parse_ok(load("chromium_datachannel_only_offer.sdp")));
  ASSERT_EQ(only_dc.answer.media.size(), 1u);
  EXPECT_EQ(only_dc.answer.media[0].port, 0);
  EXPECT_TRUE(only_dc.answer.groups.empty());  // nothing accepted, so no BUNDLE group
  EXPECT_TRUE(only_dc.tracks.empty());
}

TEST(NegotiatePublish, UnknownMediaAndPlainRtpAreRejected) {
  SessionDescription offer = parse_ok(load("chromium_publish_offer.sdp"));
  offer.media[0].media = "text";
  offer.media[0].kind = MediaKind::kOther;
  offer.media[1].protocol = "RTP/AVPF";
  PublishResult r = publish_ok(offer);
  EXPECT_EQ(r.answer.media[0].port, 0);
  EXPECT_EQ(r.answer.media[1].port, 0);
  EXPECT_TRUE(r.tracks.empty());
  EXPECT_TRUE(r.answer.groups.empty());
  // The rejected answer keeps one format on the m= line and parses back.
  SessionDescription reparsed = parse_ok(write_sdp(r.answer));
  EXPECT_EQ(reparsed.media[1].codecs.size(), 1u);
  EXPECT_EQ(reparsed.media[1].codecs[0].payload_type, 96);
}

TEST(NegotiatePublish, OnlyUnknownCodecsInASendingSectionIsAnError) {
  SessionDescription offer = parse_ok(load("chromium_publish_offer.sdp"));
  auto& video = offer.media[1];
  std::vector<Codec> kept;
  for (const auto& c : video.codecs) {
    if (c.is_named("red") || c.is_named("ulpfec") ||
        (c.is_named("H264") && *c.fmtp_value("packetization-mode") == "0")) {
      kept.push_back(c);
    }
  }
  video.codecs = kept;
  std::string message = publish_error(offer);
  EXPECT_EQ(message, "no supported codec in m-section mid=1: offered H264, red, ulpfec") << message;

  // The same in a recvonly m-section just rejects it.
  video.direction = Direction::kRecvOnly;
  PublishResult r = publish_ok(offer);
  EXPECT_EQ(r.answer.media[1].port, 0);
  EXPECT_EQ(r.answer.groups[0].mids, (std::vector<std::string>{"0"}));
}

TEST(NegotiatePublish, ErrorsNameTheProblem) {
  const SessionDescription base = parse_ok(load("chromium_publish_offer.sdp"));
  struct Case {
    const char* name;
    std::function<void(SessionDescription&)> mutate;
    std::string expected;
  };
  const std::vector<Case> cases = {
      {"no BUNDLE", [](SessionDescription& d) { d.groups.clear(); }, "offer has no BUNDLE group"},
      {"not bundled", [](SessionDescription& d) { d.groups[0].mids = {"0"}; },
       "m-section 1 (mid=1) is not in the BUNDLE group"},
      {"no rtcp-mux", [](SessionDescription& d) { d.media[1].rtcp_mux = false; },
       "m-section 1 (mid=1) lacks a=rtcp-mux"},
      {"no mid", [](SessionDescription& d) { d.media[0].mid.clear(); }, "m-section 0 lacks a=mid"},
      {"no ufrag",
       [](SessionDescription& d) {
         for (auto& m : d.media) m.ice_ufrag.clear();
       },
       "offer lacks a=ice-ufrag"},
      {"no pwd",
       [](SessionDescription& d) {
         for (auto& m : d.media) m.ice_pwd.clear();
       },
       "offer lacks a=ice-pwd"},
      {"no fingerprint",
       [](SessionDescription& d) {
         for (auto& m : d.media) m.fingerprints.clear();
       },
       "offer lacks a=fingerprint with sha-256, sha-384, sha-512 or sha-1"},
      {"unknown hash",
       [](SessionDescription& d) {
         for (auto& m : d.media) m.fingerprints = {{"md5", "AA:BB"}};
       },
       "offer lacks a=fingerprint with sha-256, sha-384, sha-512 or sha-1"},
      {"passive", [](SessionDescription& d) { d.media[0].setup = SetupRole::kPassive; },
       "offer has a=setup:passive, but the server only takes the DTLS server role"},
      {"holdconn", [](SessionDescription& d) { d.media[0].setup = SetupRole::kHoldconn; },
       "offer has a=setup:holdconn, but the server only takes the DTLS server role"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    SessionDescription offer = base;
    c.mutate(offer);
    EXPECT_EQ(publish_error(offer), c.expected);
  }
}

TEST(NegotiatePublish, TransportFallsBackToSessionLevelAndDefaultsSetup) {
  SessionDescription offer = parse_ok(load("chromium_publish_offer.sdp"));
  offer.ice_ufrag = "sess";
  offer.ice_pwd = "sessionpasswordsession";
  offer.fingerprints = {{"sha-1", "AA:BB"}, {"sha-256", "CC:DD"}};
  for (auto& m : offer.media) {
    m.ice_ufrag.clear();
    m.ice_pwd.clear();
    m.fingerprints.clear();
    m.setup = SetupRole::kNone;
  }
  PublishResult r = publish_ok(offer);
  EXPECT_EQ(r.remote.ice_ufrag, "sess");
  EXPECT_EQ(r.remote.ice_pwd, "sessionpasswordsession");
  EXPECT_EQ(r.remote.fingerprint_algorithm, "sha-256");  // preferred over sha-1
  EXPECT_EQ(r.remote.fingerprint, "CC:DD");
  EXPECT_EQ(r.remote.setup, "active");  // RFC 4145: no a=setup means active
  offer.setup = SetupRole::kActive;
  EXPECT_EQ(publish_ok(offer).remote.setup, "active");
}

TEST(NegotiatePublish, OfferWithoutMediaNeedsNoBundle) {
  SessionDescription offer = parse_ok("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n");
  PublishResult r = publish_ok(offer);
  EXPECT_TRUE(r.answer.media.empty());
  EXPECT_TRUE(r.tracks.empty());
  parse_ok(write_sdp(r.answer));
}

TEST(NegotiatePublish, AnswerWithoutCandidatesUsesPortNine) {
  LocalTransport local = server_transport();
  local.candidates.clear();
  auto result = negotiate_publish(parse_ok(load("chromium_publish_offer.sdp")), local);
  ASSERT_TRUE(std::holds_alternative<PublishResult>(result));
  const auto& m = std::get<PublishResult>(result).answer.media[0];
  EXPECT_EQ(m.port, 9);
  EXPECT_FALSE(m.connection.has_value());
}

TEST(NegotiatePublish, Ipv6DefaultCandidate) {
  LocalTransport local = server_transport();
  local.candidates = {make_host_candidate("2001:db8::1", 40002)};
  auto result = negotiate_publish(parse_ok(load("chromium_publish_offer.sdp")), local);
  ASSERT_TRUE(std::holds_alternative<PublishResult>(result));
  const auto& m = std::get<PublishResult>(result).answer.media[1];
  EXPECT_EQ(m.connection->address_type, "IP6");
  EXPECT_EQ(m.connection->address, "2001:db8::1");
  EXPECT_EQ(m.port, 40002);
}

}  // namespace
}  // namespace sfu::sdp
