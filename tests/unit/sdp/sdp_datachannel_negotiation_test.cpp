// Data channel negotiation (RFC 8841, RFC 8831, JSEP) in both directions: the publish answer to
// a browser's m=application offer, and the subscribe offer's data channel m-section with the
// browsers' answers to it.
//
// Interop (recorded when the fixtures were captured, with Debian's Chromium 156 and Firefox ESR
// 153 on a test page; see sdp_datachannel_parse_test.cpp for the offers):
// - each browser's offer (audio + video + createDataChannel) was answered by negotiate_publish with
//   data channels on; setRemoteDescription(answer) succeeded and pc.sctp.maxMessageSize became our
//   262144. Those answers are chromium_/firefox_accepted_datachannel_answer.sdp. A
//   createDataChannel-only offer's answer (BUNDLE with the data channel alone) was accepted too.
// - accepted_subscribe_offer_datachannel.sdp (chromium_subscribe_slots() plus an application slot,
//   mid 2) was accepted by both (ontrack fired for alice's audio and video); their answers are
//   chromium_/firefox_subscribe_answer_datachannel.sdp, with a=max-message-size 262144 and
//   1073741823.
// The golden tests fail if the writer or the negotiation changes these texts, which calls for
// re-checking with the browsers.

#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "sfu/sdp/sdp_negotiation.h"
#include "tests/unit/sdp/sdp_test_support.h"

namespace sfu::sdp {
namespace {

using namespace test;

NegotiationOptions with_data_channels(DataChannelOptions data = {}) {
  NegotiationOptions options;
  options.data_channels = data;
  return options;
}

PublishResult publish_ok(const SessionDescription& offer, const NegotiationOptions& options) {
  auto result = negotiate_publish(offer, server_transport(), options);
  if (auto* error = std::get_if<SdpError>(&result)) {
    ADD_FAILURE() << "unexpected negotiation error: " << error->to_string();
    return {};
  }
  return std::get<PublishResult>(std::move(result));
}

// An offer with one data channel m-section whose attribute lines are `attributes`.
SessionDescription offer_with_application(const std::string& attributes) {
  return parse_ok(
      "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
      "m=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\nc=IN IP4 0.0.0.0\r\n"
      "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
      "a=fingerprint:sha-256 AB:CD\r\na=setup:actpass\r\na=mid:0\r\n" +
      attributes);
}

std::vector<SubscribeSlot> slots_with_data_channel() {
  std::vector<SubscribeSlot> slots = chromium_subscribe_slots();
  SubscribeSlot data;
  data.mid = "2";
  data.kind = MediaKind::kApplication;
  slots.push_back(data);
  return slots;
}

SessionDescription subscribe_offer() {
  return build_subscribe_offer(slots_with_data_channel(), server_transport(), 42, 1);
}

std::vector<std::string> lines_of_section(const std::string& text, const std::string& m_line) {
  std::vector<std::string> lines;
  size_t start = text.find(m_line + "\r\n");
  if (start == std::string::npos) return lines;
  size_t end = text.find("\r\nm=", start);
  std::string section = text.substr(start, end == std::string::npos ? std::string::npos : end - start);
  size_t pos = 0;
  while (pos < section.size()) {
    size_t eol = section.find("\r\n", pos);
    if (eol == std::string::npos) eol = section.size();
    lines.push_back(section.substr(pos, eol - pos));
    pos = eol + 2;
  }
  return lines;
}

// ---- publish ----

TEST(DataChannelPublish, ChromiumOfferIsAcceptedWithOurSctpAttributes) {
  PublishResult r = publish_ok(parse_ok(load("chromium_av_datachannel_offer.sdp")), with_data_channels());
  ASSERT_EQ(r.answer.media.size(), 3u);
  const MediaSection& app = r.answer.media[2];
  EXPECT_EQ(app.kind, MediaKind::kApplication);
  EXPECT_EQ(app.port, 40000);  // the default candidate, as on every accepted m-section
  EXPECT_EQ(app.protocol, "UDP/DTLS/SCTP");
  EXPECT_EQ(app.formats, (std::vector<std::string>{"webrtc-datachannel"}));
  EXPECT_EQ(app.mid, "2");
  EXPECT_EQ(app.setup, SetupRole::kPassive);
  EXPECT_EQ(app.ice_ufrag, "srvUfrag1");
  EXPECT_EQ(app.fingerprints.size(), 1u);
  EXPECT_EQ(app.candidates.size(), 1u);
  EXPECT_FALSE(app.rtcp_mux);
  EXPECT_TRUE(app.codecs.empty());
  EXPECT_EQ(app.sctp_port, std::optional<uint16_t>(5000));
  EXPECT_EQ(app.max_message_size, std::optional<uint64_t>(262144));
  EXPECT_EQ(r.answer.groups[0].mids, (std::vector<std::string>{"0", "1", "2"}));
  ASSERT_TRUE(r.data_channel.has_value());
  EXPECT_EQ(r.data_channel->mid, "2");
  EXPECT_EQ(r.data_channel->sctp_port, 5000);
  EXPECT_EQ(r.data_channel->max_message_size, 262144u);
  EXPECT_EQ(r.tracks.size(), 2u);  // the audio and video tracks are unchanged by the data channel
  EXPECT_EQ(write_sdp(r.answer), load("chromium_accepted_datachannel_answer.sdp"));
}

TEST(DataChannelPublish, FirefoxOfferIsAcceptedAndItsMaxMessageSizeKept) {
  PublishResult r = publish_ok(parse_ok(load("firefox_datachannel_offer.sdp")), with_data_channels());
  ASSERT_TRUE(r.data_channel.has_value());
  EXPECT_EQ(r.data_channel->mid, "2");
  EXPECT_EQ(r.data_channel->sctp_port, 5000);
  EXPECT_EQ(r.data_channel->max_message_size, 1073741823u);
  // The answer states our limit, not Firefox's.
  EXPECT_EQ(r.answer.media[2].max_message_size, std::optional<uint64_t>(262144));
  EXPECT_EQ(r.answer.groups[0].mids, (std::vector<std::string>{"0", "1", "2"}));
  EXPECT_EQ(write_sdp(r.answer), load("firefox_accepted_datachannel_answer.sdp"));
}

TEST(DataChannelPublish, AnswerCarriesTheConfiguredValuesAndNoRtpLines) {
  PublishResult r =
      publish_ok(parse_ok(load("chromium_av_datachannel_offer.sdp")), with_data_channels({5001, 1048576}));
  std::string text = write_sdp(r.answer);
  auto lines = lines_of_section(text, "m=application 40000 UDP/DTLS/SCTP webrtc-datachannel");
  ASSERT_FALSE(lines.empty()) << text;
  for (const char* expected : {"c=IN IP4 127.0.0.1", "a=setup:passive", "a=mid:2", "a=sctp-port:5001",
                               "a=max-message-size:1048576", "a=end-of-candidates"}) {
    EXPECT_NE(std::find(lines.begin(), lines.end(), expected), lines.end()) << expected << "\n" << text;
  }
  for (const auto& line : lines) {
    for (const char* forbidden : {"a=rtcp-mux", "a=sendrecv", "a=recvonly", "a=inactive", "a=rtpmap",
                                  "a=ssrc", "a=msid", "a=sctpmap"}) {
      EXPECT_NE(line.rfind(forbidden, 0), 0u) << line;
    }
  }
}

TEST(DataChannelPublish, DataChannelOnlyOffersFormTheBundleAlone) {
  for (const char* name : {"chromium_datachannel_only_offer.sdp", "firefox_datachannel_only_offer.sdp"}) {
    SCOPED_TRACE(name);
    PublishResult r = publish_ok(parse_ok(load(name)), with_data_channels());
    ASSERT_EQ(r.answer.media.size(), 1u);
    EXPECT_EQ(r.answer.media[0].port, 40000);
    ASSERT_EQ(r.answer.groups.size(), 1u);
    EXPECT_EQ(r.answer.groups[0].mids, (std::vector<std::string>{"0"}));
    EXPECT_TRUE(r.tracks.empty());
    ASSERT_TRUE(r.data_channel.has_value());
    EXPECT_EQ(r.data_channel->mid, "0");
    EXPECT_FALSE(r.remote.ice_ufrag.empty());  // the transport comes from the data channel m-section
    EXPECT_EQ(r.remote.setup, "actpass");
  }
}

TEST(DataChannelPublish, WithoutTheOptionTheSectionIsRejectedAsBefore) {
  for (const char* name : {"chromium_av_datachannel_offer.sdp", "firefox_datachannel_offer.sdp"}) {
    SCOPED_TRACE(name);
    PublishResult r = publish_ok(parse_ok(load(name)), NegotiationOptions{});
    ASSERT_EQ(r.answer.media.size(), 3u);
    EXPECT_EQ(r.answer.media[2].port, 0);
    EXPECT_FALSE(r.answer.media[2].sctp_port.has_value());
    EXPECT_TRUE(r.answer.media[2].ice_ufrag.empty());
    EXPECT_EQ(r.answer.groups[0].mids, (std::vector<std::string>{"0", "1"}));
    EXPECT_FALSE(r.data_channel.has_value());
    EXPECT_EQ(r.tracks.size(), 2u);
  }
}

TEST(DataChannelPublish, OnlyTheFirstDataChannelSectionIsTaken) {
  SessionDescription offer = parse_ok(load("chromium_av_datachannel_offer.sdp"));
  MediaSection second = offer.media[2];
  second.mid = "3";
  offer.media.push_back(second);
  offer.groups[0].mids.push_back("3");
  PublishResult r = publish_ok(parse_ok(write_sdp(offer)), with_data_channels());
  ASSERT_EQ(r.answer.media.size(), 4u);
  EXPECT_NE(r.answer.media[2].port, 0);
  EXPECT_EQ(r.answer.media[3].port, 0);
  EXPECT_EQ(r.answer.media[3].mid, "3");
  EXPECT_FALSE(r.answer.media[3].sctp_port.has_value());
  EXPECT_EQ(r.answer.groups[0].mids, (std::vector<std::string>{"0", "1", "2"}));
  ASSERT_TRUE(r.data_channel.has_value());
  EXPECT_EQ(r.data_channel->mid, "2");
}

TEST(DataChannelPublish, LegacyAndTcpFormsAreRejectedWithPortZero) {
  // The pre-RFC 8841 form browsers wrote before 2019: proto DTLS/SCTP, the SCTP port as format.
  SessionDescription legacy = parse_ok(
      "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\na=group:BUNDLE data\r\n"
      "m=application 9 DTLS/SCTP 5000\r\nc=IN IP4 0.0.0.0\r\n"
      "a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuvwx\r\n"
      "a=fingerprint:sha-256 AB:CD\r\na=setup:actpass\r\na=mid:data\r\n"
      "a=sctpmap:5000 webrtc-datachannel 1024\r\n");
  PublishResult r = publish_ok(legacy, with_data_channels());
  ASSERT_EQ(r.answer.media.size(), 1u);
  EXPECT_EQ(r.answer.media[0].port, 0);
  EXPECT_EQ(r.answer.media[0].protocol, "DTLS/SCTP");
  EXPECT_EQ(r.answer.media[0].formats, (std::vector<std::string>{"5000"}));
  EXPECT_TRUE(r.answer.groups.empty());
  EXPECT_FALSE(r.data_channel.has_value());
  std::string text = write_sdp(r.answer);
  EXPECT_NE(text.find("m=application 0 DTLS/SCTP 5000\r\n"), std::string::npos) << text;

  // A legacy section does not use up the one data channel: a later valid one is still taken.
  SessionDescription both = legacy;
  MediaSection modern = offer_with_application("a=sctp-port:5000\r\n").media[0];
  modern.mid = "1";
  both.media.push_back(modern);
  both.groups[0].mids.push_back("1");
  r = publish_ok(both, with_data_channels());
  EXPECT_EQ(r.answer.media[0].port, 0);
  EXPECT_NE(r.answer.media[1].port, 0);
  ASSERT_TRUE(r.data_channel.has_value());
  EXPECT_EQ(r.data_channel->mid, "1");

  SessionDescription tcp = offer_with_application("a=sctp-port:5000\r\n");
  tcp.media[0].protocol = "TCP/DTLS/SCTP";
  r = publish_ok(tcp, with_data_channels());
  EXPECT_EQ(r.answer.media[0].port, 0);
  EXPECT_FALSE(r.data_channel.has_value());

  SessionDescription other_format = offer_with_application("");
  other_format.media[0].formats = {"webrtc-datachannel", "x"};
  EXPECT_FALSE(publish_ok(other_format, with_data_channels()).data_channel.has_value());
}

TEST(DataChannelPublish, PeerValuesFollowRfc8841Defaults) {
  // Both absent: port 5000, 64 KiB.
  PublishResult r = publish_ok(offer_with_application(""), with_data_channels());
  ASSERT_TRUE(r.data_channel.has_value());
  EXPECT_EQ(r.data_channel->sctp_port, 5000);
  EXPECT_EQ(r.data_channel->max_message_size, 65536u);
  // 0 means no limit: recorded as our own maximum.
  r = publish_ok(offer_with_application("a=sctp-port:5001\r\na=max-message-size:0\r\n"),
                 with_data_channels({5000, 1048576}));
  ASSERT_TRUE(r.data_channel.has_value());
  EXPECT_EQ(r.data_channel->sctp_port, 5001);
  EXPECT_EQ(r.data_channel->max_message_size, 1048576u);
  r = publish_ok(offer_with_application("a=max-message-size:4294967295\r\n"), with_data_channels());
  EXPECT_EQ(r.data_channel->max_message_size, 4294967295u);
}

TEST(DataChannelPublish, OffererRejectedOrUnbundledDataChannel) {
  // Chromium keeps a rejected data channel m-section (port 0) in renegotiations: it stays rejected.
  PublishResult r = publish_ok(parse_ok(load("chromium_renegotiation_offer.sdp")), with_data_channels());
  EXPECT_EQ(r.answer.media[0].port, 0);
  EXPECT_FALSE(r.data_channel.has_value());
  EXPECT_EQ(r.answer.groups[0].mids, (std::vector<std::string>{"1", "2"}));

  // A data channel m-section outside the BUNDLE group is refused like any other.
  SessionDescription offer = parse_ok(load("chromium_av_datachannel_offer.sdp"));
  offer.groups[0].mids = {"0", "1"};
  auto result = negotiate_publish(offer, server_transport(), with_data_channels());
  ASSERT_TRUE(std::holds_alternative<SdpError>(result));
  EXPECT_EQ(std::get<SdpError>(result).message, "m-section 2 (mid=2) is not in the BUNDLE group");
}

// ---- subscribe ----

TEST(DataChannelSubscribe, OfferHasTheDataChannelSection) {
  SessionDescription offer = subscribe_offer();
  std::string text = write_sdp(offer);
  EXPECT_EQ(text, load("accepted_subscribe_offer_datachannel.sdp"));
  EXPECT_EQ(offer.groups[0].mids, (std::vector<std::string>{"0", "1", "2"}));
  auto lines = lines_of_section(text, "m=application 40000 UDP/DTLS/SCTP webrtc-datachannel");
  const std::vector<std::string> expected = {
      "m=application 40000 UDP/DTLS/SCTP webrtc-datachannel",
      "c=IN IP4 127.0.0.1",
      "a=candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host",
      "a=ice-ufrag:srvUfrag1",
      "a=ice-pwd:serverpassword0123456789",
      "a=fingerprint:sha-256 " + server_transport().fingerprint,
      "a=setup:actpass",
      "a=mid:2",
      "a=sctp-port:5000",
      "a=max-message-size:262144",
      "a=end-of-candidates",
  };
  EXPECT_EQ(lines, expected);
  // The application slot adds nothing the bundle checks could trip on.
  EXPECT_FALSE(check_bundle_extension_ids(offer).has_value());
  EXPECT_FALSE(check_bundle_payload_types(offer).has_value());
}

TEST(DataChannelSubscribe, SlotValuesAndInactiveSlot) {
  std::vector<SubscribeSlot> slots = slots_with_data_channel();
  slots[2].sctp_port = 5001;
  slots[2].max_message_size = 1024;
  slots[2].codecs = slots[0].codecs;  // ignored for an application slot
  slots[2].ssrc = 77;
  slots[2].participant_id = "ignored";
  SessionDescription offer = build_subscribe_offer(slots, server_transport(), 1, 1);
  const MediaSection& app = offer.media[2];
  EXPECT_EQ(app.sctp_port, std::optional<uint16_t>(5001));
  EXPECT_EQ(app.max_message_size, std::optional<uint64_t>(1024));
  EXPECT_TRUE(app.codecs.empty());
  EXPECT_TRUE(app.ssrcs.empty());
  EXPECT_FALSE(app.msid.has_value());
  EXPECT_FALSE(app.rtcp_mux);

  // An inactive application slot is rejected (port 0), out of BUNDLE, without SCTP attributes.
  slots[2].active = false;
  offer = build_subscribe_offer(slots, server_transport(), 1, 2);
  std::string text = write_sdp(offer);
  auto lines = lines_of_section(text, "m=application 0 UDP/DTLS/SCTP webrtc-datachannel");
  EXPECT_EQ(lines, (std::vector<std::string>{"m=application 0 UDP/DTLS/SCTP webrtc-datachannel",
                                             "c=IN IP4 0.0.0.0", "a=mid:2"}))
      << text;
  EXPECT_EQ(offer.groups[0].mids, (std::vector<std::string>{"0", "1"}));
  EXPECT_TRUE(parse_ok(text).media[2].rejected());
}

TEST(DataChannelSubscribe, BrowserAnswersAreApplied) {
  struct Case {
    const char* answer;
    size_t max_message_size;
  };
  for (const Case& c : {Case{"chromium_subscribe_answer_datachannel.sdp", 262144},
                        Case{"firefox_subscribe_answer_datachannel.sdp", 1073741823}}) {
    SCOPED_TRACE(c.answer);
    auto result = apply_subscribe_answer(subscribe_offer(), parse_ok(load(c.answer)));
    ASSERT_TRUE(std::holds_alternative<SubscribeAnswerResult>(result))
        << std::get<SdpError>(result).to_string();
    const auto& applied = std::get<SubscribeAnswerResult>(result);
    ASSERT_EQ(applied.tracks.size(), 3u);
    EXPECT_TRUE(applied.tracks[0].receivable);
    EXPECT_TRUE(applied.tracks[1].receivable);
    EXPECT_FALSE(applied.tracks[0].data_channel.has_value());
    const SubscribedTrackState& data = applied.tracks[2];
    EXPECT_EQ(data.mid, "2");
    EXPECT_TRUE(data.accepted);
    EXPECT_FALSE(data.receivable);  // no media codecs on a data channel m-section
    ASSERT_TRUE(data.data_channel.has_value());
    EXPECT_EQ(data.data_channel->mid, "2");
    EXPECT_EQ(data.data_channel->sctp_port, 5000);
    EXPECT_EQ(data.data_channel->max_message_size, c.max_message_size);
    EXPECT_EQ(applied.remote.setup, "active");
  }
}

TEST(DataChannelSubscribe, AnswerThatRejectsTheDataChannel) {
  SessionDescription answer = parse_ok(load("chromium_subscribe_answer_datachannel.sdp"));
  answer.media[2].port = 0;
  answer.groups[0].mids = {"0", "1"};
  auto result = apply_subscribe_answer(subscribe_offer(), parse_ok(write_sdp(answer)));
  ASSERT_TRUE(std::holds_alternative<SubscribeAnswerResult>(result))
      << std::get<SdpError>(result).to_string();
  const auto& applied = std::get<SubscribeAnswerResult>(result);
  EXPECT_FALSE(applied.tracks[2].accepted);
  EXPECT_FALSE(applied.tracks[2].data_channel.has_value());
  EXPECT_TRUE(applied.tracks[0].receivable);
}

TEST(DataChannelSubscribe, AnswerValuesFollowRfc8841Defaults) {
  SessionDescription answer = parse_ok(load("firefox_subscribe_answer_datachannel.sdp"));
  answer.media[2].sctp_port.reset();
  answer.media[2].max_message_size.reset();
  auto result = apply_subscribe_answer(subscribe_offer(), answer);
  ASSERT_TRUE(std::holds_alternative<SubscribeAnswerResult>(result));
  auto data = std::get<SubscribeAnswerResult>(result).tracks[2].data_channel;
  ASSERT_TRUE(data.has_value());
  EXPECT_EQ(data->sctp_port, 5000);
  EXPECT_EQ(data->max_message_size, 65536u);

  answer.media[2].sctp_port = 5002;
  answer.media[2].max_message_size = 0;  // no limit: the slot's own maximum
  std::vector<SubscribeSlot> slots = slots_with_data_channel();
  slots[2].max_message_size = 131072;
  result = apply_subscribe_answer(build_subscribe_offer(slots, server_transport(), 42, 1), answer);
  ASSERT_TRUE(std::holds_alternative<SubscribeAnswerResult>(result));
  data = std::get<SubscribeAnswerResult>(result).tracks[2].data_channel;
  EXPECT_EQ(data->sctp_port, 5002);
  EXPECT_EQ(data->max_message_size, 131072u);
}

TEST(DataChannelSubscribe, BadAnswersAreRefused) {
  auto error_of = [](const SessionDescription& answer) {
    auto result = apply_subscribe_answer(subscribe_offer(), answer);
    if (!std::holds_alternative<SdpError>(result)) {
      ADD_FAILURE() << "accepted although it should not";
      return std::string();
    }
    return std::get<SdpError>(result).message;
  };
  SessionDescription answer = parse_ok(load("chromium_subscribe_answer_datachannel.sdp"));
  SessionDescription legacy = answer;
  legacy.media[2].protocol = "DTLS/SCTP";
  legacy.media[2].formats = {"5000"};
  EXPECT_EQ(error_of(legacy),
            "m-section 2 (mid=2) answers m=application DTLS/SCTP 5000 to an m=application UDP/DTLS/SCTP "
            "webrtc-datachannel offer");
  SessionDescription unbundled = answer;
  unbundled.groups[0].mids = {"0", "1"};
  EXPECT_EQ(error_of(unbundled), "m-section 2 (mid=2) is not in the answer's BUNDLE group");
  SessionDescription passive = answer;
  for (auto& m : passive.media) m.setup = SetupRole::kPassive;
  EXPECT_NE(error_of(passive).find("must use a=setup:active"), std::string::npos);
}

TEST(DataChannelSubscribe, BundleChecksIgnoreApplicationSections) {
  SessionDescription offer = subscribe_offer();
  // Whatever an application m-section carries, it is not RTP: its extmaps and formats never
  // collide with the RTP m-sections' ids and payload types.
  offer.media[2].extmaps = {{offer.media[0].extmaps.front().id, std::nullopt, "urn:other", {}}};
  offer.media[2].formats = {"111"};
  EXPECT_FALSE(check_bundle_extension_ids(offer).has_value());
  EXPECT_FALSE(check_bundle_payload_types(offer).has_value());
  // The checks still see RTP collisions next to it.
  offer.media[1].extmaps.front().id = offer.media[0].extmaps.front().id;
  offer.media[1].extmaps.front().uri = "urn:collides";
  EXPECT_TRUE(check_bundle_extension_ids(offer).has_value());
}

}  // namespace
}  // namespace sfu::sdp
