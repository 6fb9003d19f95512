// Tests for the SDP writer (sfu/sdp/sdp_writer.cpp): output format and write -> parse round trips.
// Fixtures: see sdp_parser_test.cpp.

#include <gtest/gtest.h>

#include <string>

#include "sfu/sdp/sdp.h"
#include "tests/unit/sdp/sdp_test_support.h"

namespace sfu::sdp {
namespace {

using namespace test;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find("\r\n", start);
    if (end == std::string::npos) {
      lines.push_back(text.substr(start));
      break;
    }
    lines.push_back(text.substr(start, end - start));
    start = end + 2;
  }
  return lines;
}

bool has_line(const std::string& text, const std::string& line) {
  auto lines = lines_of(text);
  return std::find(lines.begin(), lines.end(), line) != lines.end();
}

// A description with every modelled field set, so a round trip exercises all of them.
SessionDescription full_description() {
  SessionDescription d;
  d.origin_username = "sfu";
  d.session_id = 18446744073709551615u;
  d.session_version = 7;
  d.ice_lite = true;
  d.fingerprints = {{"sha-256", "AB:CD"}};
  d.setup = SetupRole::kActpass;
  d.groups = {{"BUNDLE", {"a", "v"}}};
  d.msid_semantic = MsidSemantic{"WMS", {"*"}};
  d.extmap_allow_mixed = true;

  MediaSection a;
  a.kind = MediaKind::kAudio;
  a.media = "audio";
  a.port = 40000;
  a.connection = Connection{"IP6", "::1"};
  a.mid = "a";
  a.direction = Direction::kSendOnly;
  a.ice_ufrag = "ufrag";
  a.ice_pwd = "passwordpasswordpassword";
  a.ice_options = {"trickle", "renomination"};
  a.fingerprints = {{"sha-256", "01:02"}, {"sha-1", "03:04"}};
  a.setup = SetupRole::kPassive;
  a.rtcp_mux = true;
  a.rtcp_rsize = true;
  Candidate host;
  host.foundation = "1";
  host.transport = "udp";
  host.priority = 2130706431;
  host.address = "::1";
  host.port = 40000;
  host.type = "host";
  host.extensions = {{"generation", "0"}};
  Candidate relay = host;
  relay.type = "srflx";
  relay.related_address = "10.0.0.1";
  relay.related_port = 1234;
  relay.transport = "tcp";
  relay.tcp_type = "passive";
  a.candidates = {host, relay};
  a.end_of_candidates = true;
  Codec opus;
  opus.payload_type = 111;
  opus.name = "opus";
  opus.clock_rate = 48000;
  opus.channels = 2;
  opus.fmtp = {{"minptime", "10"}, {"useinbandfec", "1"}};
  opus.rtcp_fb = {{"transport-cc", ""}};
  a.codecs = {opus};
  a.extmaps = {{1, std::nullopt, "urn:ietf:params:rtp-hdrext:ssrc-audio-level", ""},
               {5, Direction::kSendOnly, "urn:x", "attr1 attr2"}};
  a.msid = Msid{"alice", "mic"};
  a.ssrcs = {{111, "cn", Msid{"alice", "mic"}}};
  d.media.push_back(a);

  MediaSection v;
  v.kind = MediaKind::kVideo;
  v.media = "video";
  v.mid = "v";
  v.direction = Direction::kRecvOnly;
  v.rtcp_mux = true;
  Codec vp8;
  vp8.payload_type = 96;
  vp8.name = "VP8";
  vp8.clock_rate = 90000;
  vp8.rtcp_fb = {{"nack", ""}, {"nack", "pli"}, {"ccm", "fir"}};
  Codec rtx;
  rtx.payload_type = 97;
  rtx.name = "rtx";
  rtx.clock_rate = 90000;
  rtx.fmtp = {{"apt", "96"}};
  v.codecs = {vp8, rtx};
  v.rids = {{"q", RidDirection::kRecv, {96}, {{"max-width", "320"}}}, {"f", RidDirection::kRecv, {}, {}}};
  Simulcast simulcast;
  simulcast.recv = {{{"q", false}}, {{"f", true}, {"x", false}}};
  v.simulcast = simulcast;
  v.ssrc_groups = {{"FID", {1, 2}}};
  v.ssrcs = {{1, "cn", std::nullopt}, {2, "cn", Msid{"-", "t"}}};
  v.bundle_only = true;
  v.port = 0;
  d.media.push_back(v);

  MediaSection app;
  app.kind = MediaKind::kApplication;
  app.media = "application";
  app.port = 0;
  app.protocol = "UDP/DTLS/SCTP";
  app.formats = {"webrtc-datachannel"};
  app.mid = "d";
  app.sctp_port = 5000;
  app.max_message_size = 262144;
  d.media.push_back(app);
  return d;
}

TEST(SdpWriter, UsesCrlfAndStartsWithVersion) {
  std::string text = write_sdp(full_description());
  EXPECT_EQ(text.rfind("v=0\r\no=sfu 18446744073709551615 7 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n", 0), 0u)
      << text;
  EXPECT_EQ(text.substr(text.size() - 2), "\r\n");
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\n') {
      EXPECT_EQ(text[i - 1], '\r') << "bare LF at " << i;
    }
  }
}

TEST(SdpWriter, WritesEachField) {
  std::string text = write_sdp(full_description());
  for (const char* line : {"a=ice-lite",
                           "a=fingerprint:sha-256 AB:CD",
                           "a=setup:actpass",
                           "a=group:BUNDLE a v",
                           "a=extmap-allow-mixed",
                           "a=msid-semantic:WMS *",
                           "m=audio 40000 UDP/TLS/RTP/SAVPF 111",
                           "c=IN IP6 ::1",
                           "a=candidate:1 1 udp 2130706431 ::1 40000 typ host generation 0",
                           "a=candidate:1 1 tcp 2130706431 ::1 40000 typ srflx raddr 10.0.0.1 rport 1234 "
                           "tcptype passive generation 0",
                           "a=ice-ufrag:ufrag",
                           "a=ice-pwd:passwordpasswordpassword",
                           "a=ice-options:trickle renomination",
                           "a=fingerprint:sha-1 03:04",
                           "a=setup:passive",
                           "a=mid:a",
                           "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
                           "a=extmap:5/sendonly urn:x attr1 attr2",
                           "a=sendonly",
                           "a=msid:alice mic",
                           "a=rtcp-mux",
                           "a=rtcp-rsize",
                           "a=rtpmap:111 opus/48000/2",
                           "a=rtcp-fb:111 transport-cc",
                           "a=fmtp:111 minptime=10;useinbandfec=1",
                           "a=ssrc:111 cname:cn",
                           "a=ssrc:111 msid:alice mic",
                           "a=end-of-candidates",
                           "m=video 0 UDP/TLS/RTP/SAVPF 96 97",
                           "a=bundle-only",
                           "a=recvonly",
                           "a=rtpmap:96 VP8/90000",
                           "a=rtcp-fb:96 nack pli",
                           "a=rtcp-fb:96 ccm fir",
                           "a=rtpmap:97 rtx/90000",
                           "a=fmtp:97 apt=96",
                           "a=rid:q recv pt=96;max-width=320",
                           "a=rid:f recv",
                           "a=simulcast:recv q;~f,x",
                           "a=ssrc-group:FID 1 2",
                           "a=ssrc:2 msid:- t",
                           "m=application 0 UDP/DTLS/SCTP webrtc-datachannel",
                           "a=sctp-port:5000",
                           "a=max-message-size:262144"}) {
    EXPECT_TRUE(has_line(text, line)) << "missing line: " << line << "\n" << text;
  }
  // No direction line for the data channel m-section, and the ssrc without msid has only cname.
  EXPECT_FALSE(has_line(text, "a=ssrc:1 msid:"));
  auto lines = lines_of(text);
  auto app = std::find(lines.begin(), lines.end(), "m=application 0 UDP/DTLS/SCTP webrtc-datachannel");
  ASSERT_NE(app, lines.end());
  EXPECT_TRUE(std::none_of(app, lines.end(),
                           [](const std::string& l) { return l == "a=sendrecv" || l == "a=inactive"; }));
}

TEST(SdpWriter, RoundTripOfTheModelIsLossless) {
  SessionDescription original = full_description();
  std::string once = write_sdp(original);
  SessionDescription parsed = parse_ok(once);
  EXPECT_EQ(write_sdp(parsed), once);
  // Spot checks that the parse restored the values, not just the text.
  EXPECT_EQ(parsed.session_id, original.session_id);
  EXPECT_EQ(parsed.media[0].candidates[1].related_port, std::optional<uint16_t>(1234));
  EXPECT_EQ(parsed.media[0].extmaps[1].direction, std::optional<Direction>(Direction::kSendOnly));
  EXPECT_EQ(parsed.media[0].extmaps[1].attributes, "attr1 attr2");
  EXPECT_EQ(parsed.media[1].rids[0].payload_types, (std::vector<uint8_t>{96}));
  EXPECT_TRUE(parsed.media[1].simulcast->recv[1][0].paused);
  EXPECT_EQ(parsed.media[2].formats, (std::vector<std::string>{"webrtc-datachannel"}));
  EXPECT_EQ(parsed.media[2].sctp_port, std::optional<uint16_t>(5000));
}

TEST(SdpWriter, RoundTripOfCapturedOffersIsStable) {
  for (const char* name :
       {"chromium_publish_offer.sdp", "chromium_simulcast_offer.sdp", "chromium_recvonly_offer.sdp",
        "chromium_renegotiation_offer.sdp", "chromium_datachannel_only_offer.sdp",
        "chromium_subscribe_answer.sdp", "firefox_publish_offer.sdp"}) {
    SCOPED_TRACE(name);
    SessionDescription first = parse_ok(load(name));
    std::string written = write_sdp(first);
    SessionDescription second = parse_ok(written);
    EXPECT_EQ(write_sdp(second), written);
    ASSERT_EQ(second.media.size(), first.media.size());
    for (size_t i = 0; i < first.media.size(); ++i) {
      EXPECT_EQ(second.media[i].mid, first.media[i].mid);
      EXPECT_EQ(second.media[i].codecs.size(), first.media[i].codecs.size());
      EXPECT_EQ(second.media[i].extmaps.size(), first.media[i].extmaps.size());
      EXPECT_EQ(second.media[i].ssrcs.size(), first.media[i].ssrcs.size());
      EXPECT_EQ(second.media[i].direction, first.media[i].direction);
    }
  }
}

TEST(SdpWriter, ControlCharactersInFieldsCannotInjectLines) {
  SessionDescription d;
  MediaSection m;
  m.kind = MediaKind::kAudio;
  m.media = "audio";
  m.mid = "0\r\na=setup:active";
  m.msid = Msid{"evil\nstream", "t"};
  d.media.push_back(m);
  std::string text = write_sdp(d);
  EXPECT_TRUE(has_line(text, "a=mid:0  a=setup:active"));
  EXPECT_FALSE(has_line(text, "a=setup:active"));
  EXPECT_TRUE(has_line(text, "a=msid:evil stream t"));
}

TEST(SdpWriter, EmptyFormatListGetsPlaceholder) {
  SessionDescription d;
  MediaSection m;
  m.kind = MediaKind::kVideo;
  m.media = "video";
  m.port = 0;
  m.mid = "3";
  d.media.push_back(m);
  std::string text = write_sdp(d);
  EXPECT_TRUE(has_line(text, "m=video 0 UDP/TLS/RTP/SAVPF 0")) << text;
  parse_ok(text);
}

}  // namespace
}  // namespace sfu::sdp
