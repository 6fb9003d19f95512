// Data channel m-sections in the SDP model (RFC 8841): parsing a=sctp-port and a=max-message-size
// from captured browser descriptions, the errors for malformed values, and the writer's round
// trip.
//
// Fixtures in tests/data/sdp, captured with a test page (RTCPeerConnection, getUserMedia with fake
// devices, createDataChannel, createOffer) from Debian's Chromium 156 and Firefox ESR 153 (whose
// o= line still says SDPARTA-99.0):
// - chromium_av_datachannel_offer.sdp: audio (mid 0) + video (mid 1) + data channel (mid 2),
//   a=sctp-port:5000, a=max-message-size:262144.
// - firefox_datachannel_offer.sdp: the same from Firefox: a=sendrecv on the application
//   m-section, a=max-message-size:1073741823.
// - firefox_datachannel_only_offer.sdp: createDataChannel alone (BUNDLE 0).
// - chromium_/firefox_subscribe_answer_datachannel.sdp: the browsers' answers to
//   accepted_subscribe_offer_datachannel.sdp (see sdp_datachannel_negotiation_test.cpp).

#include <gtest/gtest.h>

#include <string>

#include "sfu/sdp/sdp.h"
#include "tests/unit/sdp/sdp_test_support.h"

namespace sfu::sdp {
namespace {

using namespace test;

const std::string kHeader = "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n";
const std::string kApplication =
    "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\n";

SdpError parse_error(std::string_view text) {
  auto result = parse_sdp(text);
  if (!std::holds_alternative<SdpError>(result)) {
    ADD_FAILURE() << "parsed although it should not:\n" << text;
    return {};
  }
  return std::get<SdpError>(std::move(result));
}

TEST(SdpDataChannelParse, ChromiumOfferWithAudioVideoAndDataChannel) {
  SessionDescription d = parse_ok(load("chromium_av_datachannel_offer.sdp"));
  ASSERT_EQ(d.media.size(), 3u);
  EXPECT_EQ(d.groups[0].mids, (std::vector<std::string>{"0", "1", "2"}));
  const MediaSection& app = d.media[2];
  EXPECT_EQ(app.kind, MediaKind::kApplication);
  EXPECT_EQ(app.media, "application");
  EXPECT_EQ(app.port, 9);
  EXPECT_EQ(app.protocol, "UDP/DTLS/SCTP");
  EXPECT_FALSE(app.is_rtp());
  EXPECT_FALSE(app.rejected());
  EXPECT_EQ(app.formats, (std::vector<std::string>{"webrtc-datachannel"}));
  EXPECT_TRUE(app.codecs.empty());
  EXPECT_EQ(app.mid, "2");
  EXPECT_EQ(app.setup, SetupRole::kActpass);
  EXPECT_FALSE(app.ice_ufrag.empty());
  EXPECT_EQ(app.sctp_port, std::optional<uint16_t>(5000));
  EXPECT_EQ(app.max_message_size, std::optional<uint64_t>(262144));
  // Only the data channel m-section carries the SCTP attributes.
  EXPECT_FALSE(d.media[0].sctp_port.has_value());
  EXPECT_FALSE(d.media[1].max_message_size.has_value());
}

TEST(SdpDataChannelParse, FirefoxOffers) {
  SessionDescription d = parse_ok(load("firefox_datachannel_offer.sdp"));
  ASSERT_EQ(d.media.size(), 3u);
  const MediaSection& app = d.media[2];
  EXPECT_EQ(app.kind, MediaKind::kApplication);
  EXPECT_EQ(app.protocol, "UDP/DTLS/SCTP");
  EXPECT_EQ(app.formats, (std::vector<std::string>{"webrtc-datachannel"}));
  EXPECT_EQ(app.mid, "2");
  EXPECT_EQ(app.direction, Direction::kSendRecv);  // Firefox writes a=sendrecv here too
  EXPECT_EQ(app.sctp_port, std::optional<uint16_t>(5000));
  EXPECT_EQ(app.max_message_size, std::optional<uint64_t>(1073741823));
  EXPECT_TRUE(app.fingerprints.empty());  // Firefox's fingerprint is at session level
  EXPECT_EQ(d.fingerprints.size(), 1u);

  SessionDescription only = parse_ok(load("firefox_datachannel_only_offer.sdp"));
  ASSERT_EQ(only.media.size(), 1u);
  EXPECT_EQ(only.groups[0].mids, (std::vector<std::string>{"0"}));
  EXPECT_EQ(only.media[0].max_message_size, std::optional<uint64_t>(1073741823));
}

TEST(SdpDataChannelParse, BoundaryValues) {
  SessionDescription d = parse_ok(kHeader + kApplication + "a=sctp-port:1\r\na=max-message-size:0\r\n");
  EXPECT_EQ(d.media[0].sctp_port, std::optional<uint16_t>(1));
  EXPECT_EQ(d.media[0].max_message_size, std::optional<uint64_t>(0));  // 0 = no limit
  d = parse_ok(kHeader + kApplication + "a=sctp-port:65535\r\na=max-message-size:4294967295\r\n");
  EXPECT_EQ(d.media[0].sctp_port, std::optional<uint16_t>(65535));
  EXPECT_EQ(d.media[0].max_message_size, std::optional<uint64_t>(4294967295u));
  d = parse_ok(kHeader + kApplication);  // both absent: the RFC defaults apply in negotiation
  EXPECT_FALSE(d.media[0].sctp_port.has_value());
  EXPECT_FALSE(d.media[0].max_message_size.has_value());
  // The legacy form parses (it is refused by negotiation, not by the parser): its format is the
  // SCTP port, and a=sctpmap is not part of the model.
  d = parse_ok(kHeader +
               "m=application 9 DTLS/SCTP 5000\r\na=mid:0\r\na=sctpmap:5000 webrtc-datachannel 1024\r\n");
  EXPECT_EQ(d.media[0].protocol, "DTLS/SCTP");
  EXPECT_EQ(d.media[0].formats, (std::vector<std::string>{"5000"}));
}

TEST(SdpDataChannelParse, MalformedValuesNameTheLineAndTheProblem) {
  struct Case {
    const char* name;
    std::string attributes;
    size_t line;
    const char* substring;
  };
  // kHeader is 4 lines and kApplication 3, so the first attribute is line 8.
  const std::vector<Case> cases = {
      {"port 0", "a=sctp-port:0\r\n", 8, "a=sctp-port must be 1-65535, got '0'"},
      {"port too big", "a=sctp-port:65536\r\n", 8, "a=sctp-port must be 1-65535, got '65536'"},
      {"port word", "a=sctp-port:five\r\n", 8, "a=sctp-port must be 1-65535"},
      {"port negative", "a=sctp-port:-1\r\n", 8, "a=sctp-port must be 1-65535"},
      {"port empty", "a=sctp-port:\r\n", 8, "a=sctp-port must be 1-65535"},
      {"port two values", "a=sctp-port:5000 5001\r\n", 8, "a=sctp-port must be 1-65535"},
      {"port twice", "a=sctp-port:5000\r\na=sctp-port:5000\r\n", 9, "second a=sctp-port"},
      {"size too big", "a=max-message-size:4294967296\r\n", 8,
       "a=max-message-size must be 0-4294967295, got '4294967296'"},
      {"size huge", "a=max-message-size:99999999999999999999999\r\n", 8, "a=max-message-size must be"},
      {"size negative", "a=max-message-size:-1\r\n", 8, "a=max-message-size must be 0-4294967295"},
      {"size unit", "a=max-message-size:64k\r\n", 8, "a=max-message-size must be 0-4294967295"},
      {"size twice", "a=max-message-size:1\r\na=max-message-size:2\r\n", 9, "second a=max-message-size"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    SdpError error = parse_error(kHeader + kApplication + c.attributes);
    EXPECT_EQ(error.line, c.line) << error.message;
    EXPECT_NE(error.message.find(c.substring), std::string::npos) << error.message;
  }
}

TEST(SdpDataChannelParse, WriterRoundTripsTheAttributes) {
  SessionDescription d;
  MediaSection app;
  app.kind = MediaKind::kApplication;
  app.media = "application";
  app.protocol = "UDP/DTLS/SCTP";
  app.formats = {"webrtc-datachannel"};
  app.mid = "data";
  app.sctp_port = 5001;
  app.max_message_size = 4294967295u;
  d.media.push_back(app);
  std::string text = write_sdp(d);
  EXPECT_NE(text.find("m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n"), std::string::npos) << text;
  EXPECT_NE(text.find("a=sctp-port:5001\r\n"), std::string::npos) << text;
  EXPECT_NE(text.find("a=max-message-size:4294967295\r\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("a=sendrecv"), std::string::npos) << text;  // no direction on application
  SessionDescription parsed = parse_ok(text);
  EXPECT_EQ(parsed.media[0].sctp_port, app.sctp_port);
  EXPECT_EQ(parsed.media[0].max_message_size, app.max_message_size);
  EXPECT_EQ(write_sdp(parsed), text);

  // 0 ("no limit") is written, not dropped.
  d.media[0].max_message_size = 0;
  EXPECT_NE(write_sdp(d).find("a=max-message-size:0\r\n"), std::string::npos);
}

TEST(SdpDataChannelParse, CapturedDescriptionsRoundTrip) {
  for (const char* name :
       {"chromium_av_datachannel_offer.sdp", "firefox_datachannel_offer.sdp",
        "firefox_datachannel_only_offer.sdp", "chromium_datachannel_first_offer.sdp",
        "chromium_subscribe_answer_datachannel.sdp", "firefox_subscribe_answer_datachannel.sdp"}) {
    SCOPED_TRACE(name);
    SessionDescription first = parse_ok(load(name));
    std::string written = write_sdp(first);
    SessionDescription second = parse_ok(written);
    EXPECT_EQ(write_sdp(second), written);
    ASSERT_EQ(second.media.size(), first.media.size());
    for (size_t i = 0; i < first.media.size(); ++i) {
      EXPECT_EQ(second.media[i].protocol, first.media[i].protocol);
      EXPECT_EQ(second.media[i].formats, first.media[i].formats);
      EXPECT_EQ(second.media[i].sctp_port, first.media[i].sctp_port);
      EXPECT_EQ(second.media[i].max_message_size, first.media[i].max_message_size);
    }
  }
}

}  // namespace
}  // namespace sfu::sdp
