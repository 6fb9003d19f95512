// Tests for the SDP parser (sfu/sdp/sdp.h, sfu/sdp/sdp_parser.cpp).
//
// Fixtures in tests/data/sdp:
// - chromium_*_offer.sdp: captured from Debian's Chromium 156 (headless, fake camera and
//   microphone): publish_offer = getUserMedia audio+video added with addTrack; simulcast_offer =
//   addTransceiver(video, sendonly, sendEncodings rids q/h/f) + audio sendonly; recvonly_offer =
//   audio recvonly + video sendonly transceivers; datachannel_only_offer = createDataChannel
//   alone; datachannel_first_offer = createDataChannel, then addTrack(audio);
//   renegotiation_offer = the same connection after adding audio and video and removing the audio
//   sender (the rejected data channel m-section stays first, audio turned recvonly).
// - chromium_subscribe_answer*.sdp: Chromium's answers to subscribe offers built by
//   build_subscribe_offer (see sdp_subscribe_test.cpp).
// - firefox_publish_offer.sdp: written by hand in the shape Firefox 128 produces (session-level
//   a=fingerprint and a=sendrecv, "mozilla...THIS_IS_SDPARTA-128.0" origin, fmtp lines before
//   rtpmap lines, a=extmap:N/recvonly, alphabetical attribute order, ssrc-group after ssrc lines,
//   VP8/VP9 with max-fs/max-fr, H264 126 mode 1 and 97 mode 0). The shape follows Firefox 12x
//   offers quoted in public test fixtures and about:webrtc dumps; values are made up.

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "sfu/sdp/sdp.h"
#include "sfu/sdp/sdp_attributes.h"
#include "tests/unit/sdp/sdp_test_support.h"

namespace sfu::sdp {
namespace {

using namespace test;

SdpError parse_error(std::string_view text, const ParseOptions& options = {}) {
  auto result = parse_sdp(text, options);
  if (!std::holds_alternative<SdpError>(result)) {
    ADD_FAILURE() << "parsed although it should not:\n" << text;
    return {};
  }
  return std::get<SdpError>(std::move(result));
}

// A minimal valid description with one audio m-section; tests append or replace lines.
const std::string kHeader = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";
const std::string kAudio = "m=audio 9 UDP/TLS/RTP/SAVPF 111 0\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n";

TEST(SdpParser, ChromiumPublishOfferSession) {
  SessionDescription d = parse_ok(load("chromium_publish_offer.sdp"));
  EXPECT_EQ(d.origin_username, "-");
  EXPECT_EQ(d.session_id, 2677946945610411151u);
  EXPECT_EQ(d.session_version, 2u);
  EXPECT_EQ(d.origin_address.address, "127.0.0.1");
  EXPECT_FALSE(d.ice_lite);
  EXPECT_TRUE(d.extmap_allow_mixed);
  ASSERT_EQ(d.groups.size(), 1u);
  EXPECT_EQ(d.groups[0].semantics, "BUNDLE");
  EXPECT_EQ(d.groups[0].mids, (std::vector<std::string>{"0", "1"}));
  ASSERT_TRUE(d.msid_semantic.has_value());
  EXPECT_EQ(d.msid_semantic->semantic, "WMS");
  EXPECT_EQ(d.msid_semantic->ids, (std::vector<std::string>{"89b39b09-b7c4-481a-91b7-165b00fab999"}));
  ASSERT_EQ(d.media.size(), 2u);
  EXPECT_EQ(d.find_group("bundle"), &d.groups[0]);
  EXPECT_EQ(d.find_media("1"), &d.media[1]);
}

TEST(SdpParser, ChromiumPublishOfferAudioSection) {
  SessionDescription d = parse_ok(load("chromium_publish_offer.sdp"));
  const MediaSection& a = d.media[0];
  EXPECT_EQ(a.kind, MediaKind::kAudio);
  EXPECT_EQ(a.media, "audio");
  EXPECT_EQ(a.port, 9);
  EXPECT_EQ(a.protocol, "UDP/TLS/RTP/SAVPF");
  EXPECT_TRUE(a.is_rtp());
  EXPECT_FALSE(a.rejected());
  ASSERT_TRUE(a.connection.has_value());
  EXPECT_EQ(a.connection->address_type, "IP4");
  EXPECT_EQ(a.connection->address, "0.0.0.0");
  EXPECT_EQ(a.mid, "0");
  EXPECT_EQ(a.direction, Direction::kSendRecv);
  EXPECT_EQ(a.ice_ufrag, "WrfM");
  EXPECT_EQ(a.ice_pwd, "5nvfklB4mMYs+uza45tKO+C5");
  EXPECT_EQ(a.ice_options, (std::vector<std::string>{"trickle"}));
  ASSERT_EQ(a.fingerprints.size(), 1u);
  EXPECT_EQ(a.fingerprints[0].algorithm, "sha-256");
  EXPECT_EQ(
      a.fingerprints[0].value,
      "15:B7:84:29:2B:73:3E:53:07:80:E1:1B:A9:B6:91:84:C2:BF:45:79:6B:EF:7B:57:49:92:8B:6F:72:A7:45:82");
  EXPECT_EQ(a.setup, SetupRole::kActpass);
  EXPECT_TRUE(a.rtcp_mux);
  EXPECT_TRUE(a.rtcp_rsize);
  EXPECT_TRUE(a.candidates.empty());

  ASSERT_EQ(a.codecs.size(), 8u);  // 111 63 9 0 8 13 110 126, in m= order
  std::vector<uint8_t> pts;
  for (const auto& codec : a.codecs) pts.push_back(codec.payload_type);
  EXPECT_EQ(pts, (std::vector<uint8_t>{111, 63, 9, 0, 8, 13, 110, 126}));
  const Codec& opus = a.codecs[0];
  EXPECT_EQ(opus.name, "opus");
  EXPECT_EQ(opus.clock_rate, 48000u);
  EXPECT_EQ(opus.channels, 2);
  EXPECT_EQ(opus.fmtp_raw, "minptime=10;useinbandfec=1");
  ASSERT_EQ(opus.fmtp.size(), 2u);
  EXPECT_EQ(opus.fmtp[0].key, "minptime");
  EXPECT_EQ(opus.fmtp[0].value, "10");
  EXPECT_EQ(opus.fmtp[1].key, "useinbandfec");
  ASSERT_NE(opus.fmtp_value("useinbandfec"), nullptr);
  EXPECT_EQ(*opus.fmtp_value("useinbandfec"), "1");
  EXPECT_EQ(opus.rtcp_fb, (std::vector<RtcpFeedback>{{"transport-cc", ""}}));
  const Codec* red = a.find_codec(63);
  ASSERT_NE(red, nullptr);
  EXPECT_EQ(red->name, "red");
  ASSERT_EQ(red->fmtp.size(), 1u);
  EXPECT_EQ(red->fmtp[0].key, "111/111");  // a bare token, not key=value
  EXPECT_EQ(red->fmtp[0].value, "");
  EXPECT_EQ(a.find_codec(0)->name, "PCMU");
  EXPECT_EQ(a.find_codec(126)->name, "telephone-event");
  EXPECT_EQ(a.find_codec(126)->clock_rate, 8000u);
  EXPECT_EQ(a.find_codec(77), nullptr);

  ASSERT_EQ(a.extmaps.size(), 4u);
  EXPECT_EQ(a.extmaps[0].id, 1);
  EXPECT_EQ(a.extmaps[0].uri, "urn:ietf:params:rtp-hdrext:ssrc-audio-level");
  EXPECT_FALSE(a.extmaps[0].direction.has_value());
  EXPECT_EQ(a.find_extmap("urn:ietf:params:rtp-hdrext:sdes:mid")->id, 4);

  ASSERT_TRUE(a.msid.has_value());
  EXPECT_EQ(a.msid->stream, "89b39b09-b7c4-481a-91b7-165b00fab999");
  EXPECT_EQ(a.msid->track, "249082f2-bc45-4aae-9fd4-c02b1220b0cd");
  ASSERT_EQ(a.ssrcs.size(), 1u);
  EXPECT_EQ(a.ssrcs[0].ssrc, 1503025225u);
  EXPECT_EQ(a.ssrcs[0].cname, "/YP5pCQgNlH6iIKy");
  ASSERT_TRUE(a.ssrcs[0].msid.has_value());
  EXPECT_EQ(a.ssrcs[0].msid->track, "249082f2-bc45-4aae-9fd4-c02b1220b0cd");
  EXPECT_TRUE(a.ssrc_groups.empty());
}

TEST(SdpParser, ChromiumPublishOfferVideoSection) {
  SessionDescription d = parse_ok(load("chromium_publish_offer.sdp"));
  const MediaSection& v = d.media[1];
  EXPECT_EQ(v.kind, MediaKind::kVideo);
  EXPECT_EQ(v.mid, "1");
  EXPECT_EQ(v.codecs.size(), 23u);
  const Codec* vp8 = v.find_codec(96);
  ASSERT_NE(vp8, nullptr);
  EXPECT_EQ(vp8->name, "VP8");
  EXPECT_EQ(vp8->clock_rate, 90000u);
  EXPECT_EQ(vp8->channels, 0);
  EXPECT_EQ(vp8->rtcp_fb,
            (std::vector<RtcpFeedback>{
                {"goog-remb", ""}, {"transport-cc", ""}, {"ccm", "fir"}, {"nack", ""}, {"nack", "pli"}}));
  const Codec* rtx = v.find_codec(97);
  ASSERT_NE(rtx, nullptr);
  EXPECT_TRUE(rtx->is_rtx());
  EXPECT_EQ(rtx->rtx_apt(), std::optional<uint8_t>(96));
  const Codec* h264 = v.find_codec(108);
  ASSERT_NE(h264, nullptr);
  EXPECT_TRUE(h264->is_named("h264"));
  EXPECT_EQ(*h264->fmtp_value("profile-level-id"), "42e01f");
  EXPECT_EQ(*h264->fmtp_value("packetization-mode"), "1");
  EXPECT_EQ(*v.find_codec(100)->fmtp_value("profile-id"), "2");
  EXPECT_EQ(*v.find_codec(45)->fmtp_value("level-idx"), "5");
  EXPECT_EQ(v.find_codec(120)->name, "ulpfec");

  EXPECT_EQ(v.extmaps.size(), 11u);
  EXPECT_EQ(v.extmaps[0].id, 14);
  EXPECT_EQ(v.extmaps[0].uri, "urn:ietf:params:rtp-hdrext:toffset");
  EXPECT_EQ(v.find_extmap("urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id")->id, 11);

  ASSERT_EQ(v.ssrc_groups.size(), 1u);
  EXPECT_EQ(v.ssrc_groups[0].semantics, "FID");
  EXPECT_EQ(v.ssrc_groups[0].ssrcs, (std::vector<uint32_t>{4143413076u, 3104499554u}));
  EXPECT_EQ(v.find_ssrc_group("fid"), &v.ssrc_groups[0]);
  ASSERT_EQ(v.ssrcs.size(), 2u);
  EXPECT_EQ(v.find_ssrc(3104499554u)->cname, "/YP5pCQgNlH6iIKy");
  EXPECT_EQ(v.msid->track, "d788877a-583d-4f4f-ba27-64b4ecc54acf");
}

TEST(SdpParser, ChromiumSimulcastOffer) {
  SessionDescription d = parse_ok(load("chromium_simulcast_offer.sdp"));
  ASSERT_EQ(d.media.size(), 2u);
  const MediaSection& v = d.media[0];
  EXPECT_EQ(v.kind, MediaKind::kVideo);
  EXPECT_EQ(v.direction, Direction::kSendOnly);
  ASSERT_EQ(v.rids.size(), 3u);
  EXPECT_EQ(v.rids[0].id, "q");
  EXPECT_EQ(v.rids[0].direction, RidDirection::kSend);
  EXPECT_EQ(v.rids[2].id, "f");
  ASSERT_TRUE(v.simulcast.has_value());
  EXPECT_EQ(v.simulcast->raw, "send q;h;f");
  ASSERT_EQ(v.simulcast->send.size(), 3u);
  EXPECT_EQ(v.simulcast->send[1].size(), 1u);
  EXPECT_EQ(v.simulcast->send[1][0].rid, "h");
  EXPECT_FALSE(v.simulcast->send[1][0].paused);
  EXPECT_TRUE(v.simulcast->recv.empty());
  EXPECT_TRUE(v.ssrcs.empty());  // Chromium announces no SSRCs for rid simulcast
  EXPECT_EQ(d.media[1].kind, MediaKind::kAudio);
  EXPECT_EQ(d.media[1].ssrcs.size(), 1u);
}

TEST(SdpParser, ChromiumRenegotiationOfferWithRejectedDataChannelAndCandidates) {
  SessionDescription d = parse_ok(load("chromium_renegotiation_offer.sdp"));
  ASSERT_EQ(d.media.size(), 3u);
  const MediaSection& app = d.media[0];
  EXPECT_EQ(app.kind, MediaKind::kApplication);
  EXPECT_EQ(app.port, 0);
  EXPECT_TRUE(app.rejected());
  EXPECT_FALSE(app.is_rtp());
  EXPECT_EQ(app.formats, (std::vector<std::string>{"webrtc-datachannel"}));
  EXPECT_EQ(app.sctp_port, std::optional<uint16_t>(5000));
  EXPECT_EQ(app.max_message_size, std::optional<uint64_t>(262144));
  const MediaSection& audio = d.media[1];
  EXPECT_EQ(audio.port, 34730);
  EXPECT_EQ(audio.direction, Direction::kRecvOnly);
  ASSERT_EQ(audio.candidates.size(), 4u);
  const Candidate& host = audio.candidates[0];
  EXPECT_EQ(host.foundation, "1188468947");
  EXPECT_EQ(host.component, 1u);
  EXPECT_EQ(host.transport, "udp");
  EXPECT_EQ(host.priority, 2122194687u);
  EXPECT_EQ(host.address, "192.0.2.2");
  EXPECT_EQ(host.port, 34730);
  EXPECT_EQ(host.type, "host");
  EXPECT_EQ(host.extensions,
            (std::vector<std::pair<std::string, std::string>>{{"generation", "0"}, {"network-id", "1"}}));
  EXPECT_EQ(audio.candidates[1].address, "fd00::2");
  EXPECT_EQ(audio.candidates[2].transport, "tcp");
  EXPECT_EQ(audio.candidates[2].tcp_type, "active");
  EXPECT_EQ(d.groups[0].mids, (std::vector<std::string>{"1", "2"}));
}

TEST(SdpParser, FirefoxOffer) {
  SessionDescription d = parse_ok(load("firefox_publish_offer.sdp"));
  EXPECT_EQ(d.origin_username, "mozilla...THIS_IS_SDPARTA-128.0");
  EXPECT_EQ(d.session_id, 5179842938495384214u);
  EXPECT_EQ(d.session_version, 0u);
  ASSERT_EQ(d.fingerprints.size(), 1u);  // session level
  EXPECT_EQ(d.fingerprints[0].algorithm, "sha-256");
  EXPECT_EQ(d.ice_options, (std::vector<std::string>{"trickle"}));
  EXPECT_EQ(d.msid_semantic->ids, (std::vector<std::string>{"*"}));
  ASSERT_EQ(d.media.size(), 2u);
  const MediaSection& a = d.media[0];
  EXPECT_TRUE(a.fingerprints.empty());
  EXPECT_EQ(a.ice_ufrag, "3c9d2e1f");
  EXPECT_EQ(a.direction, Direction::kSendRecv);
  ASSERT_EQ(a.extmaps.size(), 3u);
  EXPECT_EQ(a.extmaps[1].direction, std::optional<Direction>(Direction::kRecvOnly));
  EXPECT_EQ(a.extmaps[1].uri, "urn:ietf:params:rtp-hdrext:csrc-audio-level");
  const Codec* opus = a.find_codec(109);  // its fmtp came before its rtpmap
  EXPECT_EQ(opus->name, "opus");
  EXPECT_EQ(*opus->fmtp_value("stereo"), "1");
  EXPECT_EQ(a.find_codec(9)->channels, 1);
  EXPECT_EQ(a.find_codec(101)->fmtp[0].key, "0-15");
  EXPECT_EQ(a.msid->stream, "{9a6b1c3d-5e7f-4a2b-8c4d-6e8f0a1b2c3d}");
  const MediaSection& v = d.media[1];
  EXPECT_EQ(v.codecs.size(), 11u);
  EXPECT_EQ(v.find_codec(124)->rtx_apt(), std::optional<uint8_t>(120));
  EXPECT_EQ(v.find_codec(97)->fmtp_value("packetization-mode"), nullptr);
  EXPECT_EQ(v.find_codec(126)->rtcp_fb.size(), 5u);
  EXPECT_TRUE(v.find_codec(123)->rtcp_fb.empty());
  ASSERT_EQ(v.ssrc_groups.size(), 1u);
  EXPECT_EQ(v.ssrc_groups[0].ssrcs, (std::vector<uint32_t>{3815272932u, 1337400633u}));
}

TEST(SdpParser, AcceptsBareNewlinesAndBlankLines) {
  std::string text = load("chromium_publish_offer.sdp");
  std::string lf;
  for (char c : text) {
    if (c != '\r') lf.push_back(c);
  }
  SessionDescription crlf_parsed = parse_ok(text);
  SessionDescription lf_parsed = parse_ok(lf + "\n\n");
  EXPECT_EQ(write_sdp(crlf_parsed), write_sdp(lf_parsed));
  parse_ok(kHeader + kAudio.substr(0, kAudio.size() - 2));  // no final line end
}

TEST(SdpParser, SessionLevelDirectionIsTheDefault) {
  SessionDescription d = parse_ok(kHeader + "a=recvonly\r\n" + kAudio +
                                  "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:1\r\na=sendonly\r\n");
  EXPECT_EQ(d.media[0].direction, Direction::kRecvOnly);
  EXPECT_EQ(d.media[1].direction, Direction::kSendOnly);
}

TEST(SdpParser, RtcpFbWildcardAppliesToAllCodecs) {
  SessionDescription d = parse_ok(kHeader +
                                  "m=video 9 UDP/TLS/RTP/SAVPF 96 98\r\na=rtcp-fb:* nack\r\n"
                                  "a=rtcp-fb:96 ccm tmmbr smaxpr=120\r\n");
  EXPECT_EQ(d.media[0].codecs[1].rtcp_fb, (std::vector<RtcpFeedback>{{"nack", ""}}));
  EXPECT_EQ(d.media[0].codecs[0].rtcp_fb[1].parameter, "tmmbr smaxpr=120");
}

TEST(SdpParser, RidRestrictionsAndPausedSimulcast) {
  SessionDescription d = parse_ok(kHeader +
                                  "m=video 9 UDP/TLS/RTP/SAVPF 96 97\r\n"
                                  "a=rid:lo send pt=96,97;max-width=320;max-height=180\r\n"
                                  "a=rid:hi send\r\n"
                                  "a=rid:r0 recv\r\n"
                                  "a=simulcast:send hi;~lo,x recv r0\r\n");
  const MediaSection& v = d.media[0];
  ASSERT_EQ(v.rids.size(), 3u);
  EXPECT_EQ(v.rids[0].payload_types, (std::vector<uint8_t>{96, 97}));
  ASSERT_EQ(v.rids[0].restrictions.size(), 2u);
  EXPECT_EQ(v.rids[0].restrictions[0].key, "max-width");
  EXPECT_EQ(v.rids[0].restrictions[0].value, "320");
  EXPECT_EQ(v.rids[2].direction, RidDirection::kRecv);
  ASSERT_EQ(v.simulcast->send.size(), 2u);
  ASSERT_EQ(v.simulcast->send[1].size(), 2u);
  EXPECT_EQ(v.simulcast->send[1][0].rid, "lo");
  EXPECT_TRUE(v.simulcast->send[1][0].paused);
  EXPECT_EQ(v.simulcast->send[1][1].rid, "x");
  ASSERT_EQ(v.simulcast->recv.size(), 1u);
  EXPECT_EQ(v.simulcast->recv[0][0].rid, "r0");
}

TEST(SdpParser, CandidateWithRelatedAddress) {
  SessionDescription d = parse_ok(kHeader + kAudio +
                                  "a=candidate:842163049 1 udp 1677729535 203.0.113.7 61234 typ srflx raddr "
                                  "192.168.1.23 rport 54321 generation 0\r\n");
  const Candidate& c = d.media[0].candidates[0];
  EXPECT_EQ(c.type, "srflx");
  EXPECT_EQ(c.related_address, "192.168.1.23");
  EXPECT_EQ(c.related_port, std::optional<uint16_t>(54321));
  EXPECT_EQ(c.extensions.size(), 1u);
}

TEST(SdpAttributes, TrickledCandidateString) {
  auto result = parse_candidate("candidate:2 1 TCP 2105524479 10.0.0.5 9 typ host tcptype active");
  ASSERT_TRUE(result.ok());
  const Candidate& c = result.value();
  EXPECT_EQ(c.foundation, "2");
  EXPECT_EQ(c.transport, "TCP");
  EXPECT_EQ(c.port, 9);
  EXPECT_EQ(c.tcp_type, "active");
  EXPECT_TRUE(!parse_candidate("candidate:").ok());
  EXPECT_TRUE(!parse_candidate("").ok());
  EXPECT_TRUE(!parse_candidate("1 0 udp 1 1.2.3.4 5 typ host").ok());  // component 0
  EXPECT_TRUE(!parse_candidate("1 1 udp 1 1.2.3.4 5 typ host raddr x rport y").ok());
}

TEST(SdpAttributes, SmallParsers) {
  EXPECT_EQ(parse_fingerprint("SHA-256 ab:CD").value().algorithm, "sha-256");
  EXPECT_TRUE(!parse_fingerprint("sha-256 abc").ok());
  EXPECT_TRUE(!parse_fingerprint("sha-256 ab:cd:").ok());
  EXPECT_EQ(parse_ssrc_group("SIM 1 2 3").value().ssrcs.size(), 3u);
  EXPECT_EQ(parse_extmap("255 urn:x").value().id, 255);
  auto params = parse_parameter_list(" a=1 ; b ;;c= 2;");
  ASSERT_EQ(params.size(), 3u);
  EXPECT_EQ(params[1].key, "b");
  EXPECT_EQ(params[2].key, "c");
  EXPECT_EQ(params[2].value, "2");
  EXPECT_EQ(direction_from("recvonly"), std::optional<Direction>(Direction::kRecvOnly));
  EXPECT_FALSE(direction_from("RECVONLY"));
  uint16_t value = 0;
  EXPECT_FALSE(text::to_uint(std::string_view("+1"), value));
  EXPECT_FALSE(text::to_uint(std::string_view(" 1"), value));
  EXPECT_FALSE(text::to_uint(std::string_view("65536"), value));
  EXPECT_TRUE(text::to_uint(std::string_view("65535"), value));
  EXPECT_EQ(value, 65535);
}

TEST(SdpParser, BundleOnlyMediaIsNotRejected) {
  SessionDescription d =
      parse_ok(kHeader + "m=audio 0 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=bundle-only\r\n");
  EXPECT_TRUE(d.media[0].bundle_only);
  EXPECT_FALSE(d.media[0].rejected());
}

struct ErrorCase {
  const char* name;
  std::string text;
  size_t line;            // expected line of the error (0 = whole description)
  const char* substring;  // expected in the message
};

TEST(SdpParser, RejectsMalformedDescriptions) {
  const std::string h = kHeader;
  const std::vector<ErrorCase> cases = {
      {"empty", "", 0, "missing v="},
      {"no version", "o=- 1 1 IN IP4 127.0.0.1\r\n", 1, "missing v="},
      {"version 1", "v=1\r\n", 1, "v=1"},
      {"no origin", "v=0\r\ns=-\r\n", 0, "missing o="},
      {"origin fields", "v=0\r\no=- 1 1 IN IP4\r\n", 2, "o= needs 6 fields"},
      {"origin id", "v=0\r\no=- abc 1 IN IP4 127.0.0.1\r\n", 2, "o= session id"},
      {"origin id overflow", "v=0\r\no=- 18446744073709551616 1 IN IP4 127.0.0.1\r\n", 2, "o= session id"},
      {"not type=value", h + "hello\r\n", 5, "expected <type>=<value>"},
      {"upper-case type", h + "A=foo\r\n", 5, "expected <type>=<value>"},
      {"control character", h + "a=mid:\x01\r\n", 5, "control character"},
      {"m= too short", h + "m=audio 9 UDP/TLS/RTP/SAVPF\r\n", 5, "m= needs"},
      {"m= bad port", h + "m=audio 70000 UDP/TLS/RTP/SAVPF 111\r\n", 5, "port must be 0-65535"},
      {"m= negative port", h + "m=audio -1 UDP/TLS/RTP/SAVPF 111\r\n", 5, "port must be 0-65535"},
      {"m= port count", h + "m=audio 9/x UDP/TLS/RTP/SAVPF 111\r\n", 5, "port count"},
      {"m= PT 128", h + "m=audio 9 UDP/TLS/RTP/SAVPF 128\r\n", 5, "payload type must be 0-127"},
      {"m= PT word", h + "m=audio 9 UDP/TLS/RTP/SAVPF opus\r\n", 5, "payload type must be 0-127"},
      {"m= PT twice", h + "m=audio 9 UDP/TLS/RTP/SAVPF 111 111\r\n", 5, "twice"},
      {"rtpmap unknown PT", h + kAudio + "a=rtpmap:96 VP8/90000\r\n", 8,
       "payload type 96, which the m=audio"},
      {"rtpmap no clock", h + kAudio + "a=rtpmap:111 opus\r\n", 8, "a=rtpmap encoding"},
      {"rtpmap zero clock", h + kAudio + "a=rtpmap:111 opus/0/2\r\n", 8, "a=rtpmap encoding"},
      {"rtpmap channels", h + kAudio + "a=rtpmap:111 opus/48000/300\r\n", 8, "a=rtpmap encoding"},
      {"rtpmap twice", h + kAudio + "a=rtpmap:111 opus/48000/2\r\na=rtpmap:111 opus/48000/2\r\n", 9,
       "second"},
      {"rtpmap PT range", h + kAudio + "a=rtpmap:300 opus/48000/2\r\n", 8, "0-127"},
      {"fmtp unknown PT", h + kAudio + "a=fmtp:96 apt=111\r\n", 8, "a=fmtp for payload type 96"},
      {"rtcp-fb unknown PT", h + kAudio + "a=rtcp-fb:96 nack\r\n", 8, "a=rtcp-fb for payload type 96"},
      {"extmap id 0", h + kAudio + "a=extmap:0 urn:x\r\n", 8, "extmap id must be 1-255"},
      {"extmap id 256", h + kAudio + "a=extmap:256 urn:x\r\n", 8, "extmap id must be 1-255"},
      {"extmap direction", h + kAudio + "a=extmap:3/sideways urn:x\r\n", 8, "extmap direction"},
      {"extmap twice", h + kAudio + "a=extmap:3 urn:x\r\na=extmap:3 urn:y\r\n", 9, "used twice"},
      {"extmap no uri", h + kAudio + "a=extmap:3\r\n", 8, "a=extmap needs"},
      {"ssrc not number", h + kAudio + "a=ssrc:abc cname:x\r\n", 8, "a=ssrc needs an SSRC"},
      {"ssrc too big", h + kAudio + "a=ssrc:4294967296 cname:x\r\n", 8, "a=ssrc needs an SSRC"},
      {"ssrc-group bad ssrc", h + kAudio + "a=ssrc-group:FID 1 x\r\n", 8, "ssrc-group SSRC"},
      {"candidate short", h + kAudio + "a=candidate:1 1 udp 100 1.2.3.4 5000\r\n", 8, "a=candidate needs"},
      {"candidate port", h + kAudio + "a=candidate:1 1 udp 100 1.2.3.4 99999 typ host\r\n", 8,
       "bad component"},
      {"fingerprint hex", h + kAudio + "a=fingerprint:sha-256 ZZ:00\r\n", 8, "not colon-separated hex"},
      {"setup value", h + kAudio + "a=setup:sometimes\r\n", 8, "a=setup must be"},
      {"mid twice", h + kAudio + "a=mid:1\r\n", 8, "second a=mid"},
      {"mid shared", h + kAudio + "m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:0\r\n", 0, "share mid 0"},
      {"bundle unknown mid", h + "a=group:BUNDLE 0 7\r\n" + kAudio, 0, "names mid 7"},
      {"rid id", h + kAudio + "a=rid:a.b send\r\n", 8, "a=rid id"},
      {"rid direction", h + kAudio + "a=rid:a both\r\n", 8, "send or recv"},
      {"rid pt", h + kAudio + "a=rid:a send pt=200\r\n", 8, "pt="},
      {"simulcast syntax", h + kAudio + "a=simulcast:send\r\n", 8, "a=simulcast needs"},
      {"simulcast rid", h + kAudio + "a=simulcast:send a;;b\r\n", 8, "bad rid"},
      {"simulcast twice", h + kAudio + "a=simulcast:send a send b\r\n", 8, "at most once"},
      {"sctp-port", h + kAudio + "a=sctp-port:99999\r\n", 8, "a=sctp-port"},
      {"c= syntax", h + "c=IN IPX 1.2.3.4\r\n", 5, "c= must be"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    SdpError error = parse_error(c.text);
    EXPECT_EQ(error.line, c.line) << error.message;
    EXPECT_NE(error.message.find(c.substring), std::string::npos) << error.message;
  }
}

TEST(SdpParser, EnforcesLimits) {
  std::string long_line = kHeader + kAudio + "a=ice-pwd:" + std::string(4100, 'x') + "\r\n";
  SdpError error = parse_error(long_line);
  EXPECT_EQ(error.line, 8u);
  EXPECT_NE(error.message.find("4110 characters"), std::string::npos) << error.message;

  std::string many = kHeader;
  for (int i = 0; i < 65; ++i)
    many += "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:" + std::to_string(i) + "\r\n";
  error = parse_error(many);
  EXPECT_NE(error.message.find("more than 64 m-sections"), std::string::npos) << error.message;
  EXPECT_EQ(error.line, 5u + 64 * 2);

  std::string ssrcs = kHeader + kAudio;
  for (int i = 0; i < 65; ++i) ssrcs += "a=ssrc:" + std::to_string(i) + " cname:x\r\n";
  EXPECT_NE(parse_error(ssrcs).message.find("more than 64 SSRCs"), std::string::npos);
  std::string rids = kHeader + kAudio;
  for (int i = 0; i < 17; ++i) rids += "a=rid:r" + std::to_string(i) + " send\r\n";
  EXPECT_NE(parse_error(rids).message.find("more than 16 rids"), std::string::npos);

  ParseOptions small;
  small.max_media_sections = 2;
  parse_error(kHeader + kAudio + "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n" + "m=video 9 UDP/TLS/RTP/SAVPF 96\r\n",
              small);
  small.max_input_bytes = 10;
  EXPECT_NE(parse_error(kHeader, small).message.find("more than the limit of 10"), std::string::npos);
}

TEST(SdpParser, ErrorToStringNamesTheLine) {
  SdpError error = parse_error(kHeader + "m=audio x UDP/TLS/RTP/SAVPF 0\r\n");
  EXPECT_EQ(error.to_string().rfind("line 5: ", 0), 0u) << error.to_string();
  EXPECT_EQ((SdpError{0, "whole"}).to_string(), "whole");
}

// Mutations of real offers (flipped, inserted and deleted bytes, truncations, line shuffles)
// must either parse or fail with an error; ASan/UBSan catch any misbehaviour.
TEST(SdpParser, SurvivesMutatedInput) {
  const std::vector<std::string> seeds = {
      load("chromium_publish_offer.sdp"), load("chromium_simulcast_offer.sdp"),
      load("firefox_publish_offer.sdp"), load("chromium_renegotiation_offer.sdp")};
  std::mt19937 rng(12345);
  const std::string alphabet = "0123456789:;/= ,~*-\r\nam=vxSIMFID\x01\xff";
  size_t parsed = 0, failed = 0;
  for (int round = 0; round < 3000; ++round) {
    std::string text = seeds[round % seeds.size()];
    int edits = 1 + static_cast<int>(rng() % 8);
    for (int e = 0; e < edits && !text.empty(); ++e) {
      size_t pos = rng() % text.size();
      switch (rng() % 4) {
        case 0:
          text[pos] = alphabet[rng() % alphabet.size()];
          break;
        case 1:
          text.insert(pos, 1, alphabet[rng() % alphabet.size()]);
          break;
        case 2:
          text.erase(pos, 1 + rng() % 20);
          break;
        default:
          text.resize(pos);
          break;
      }
    }
    auto result = parse_sdp(text);
    if (std::holds_alternative<SessionDescription>(result)) {
      ++parsed;
      // Whatever parsed must render and re-parse.
      EXPECT_TRUE(std::holds_alternative<SessionDescription>(
          parse_sdp(write_sdp(std::get<SessionDescription>(result)))));
    } else {
      ++failed;
      EXPECT_FALSE(std::get<SdpError>(result).message.empty());
    }
  }
  EXPECT_GT(parsed, 0u);
  EXPECT_GT(failed, 0u);
}

TEST(SdpParser, SurvivesRandomBytes) {
  std::mt19937 rng(777);
  for (int round = 0; round < 2000; ++round) {
    std::string text = round % 2 ? "v=0\r\n" : "";
    size_t size = rng() % 300;
    for (size_t i = 0; i < size; ++i) text.push_back(static_cast<char>(rng() % 256));
    auto result = parse_sdp(text);
    if (auto* error = std::get_if<SdpError>(&result)) {
      EXPECT_FALSE(error->message.empty());
    }
  }
}

TEST(SdpParser, EveryTruncationParsesOrFailsCleanly) {
  const std::string text = load("chromium_simulcast_offer.sdp");
  for (size_t length = 0; length <= text.size(); ++length) {
    auto result = parse_sdp(std::string_view(text).substr(0, length));
    if (length < 4) {
      EXPECT_TRUE(std::holds_alternative<SdpError>(result)) << length;
    }
  }
}

}  // namespace
}  // namespace sfu::sdp
