// Audio RED (RFC 2198) in the publish negotiation: taken with audio.red on (CodecCatalog::Options::
// enable_red) around an Opus the answer also takes, in the offer's order (a page that prefers red
// with setCodecPreferences offers it first, and Chromium then sends RED), and refused otherwise.
#include <gtest/gtest.h>

#include <string>

#include "sfu/sdp/codec_catalog.h"
#include "sfu/sdp/sdp_negotiation.h"
#include "tests/unit/sdp/sdp_test_support.h"

namespace sfu::sdp {
namespace {

using namespace test;

NegotiationOptions red_on() {
  NegotiationOptions options;
  CodecCatalog::Options codecs;
  codecs.enable_red = true;
  options.catalog = CodecCatalog(codecs);
  return options;
}

PublishResult publish_ok(const std::string& text, const NegotiationOptions& options) {
  auto result = negotiate_publish(parse_ok(text), server_transport(), options);
  if (auto* error = std::get_if<SdpError>(&result)) {
    ADD_FAILURE() << error->to_string();
    return {};
  }
  return std::get<PublishResult>(std::move(result));
}

std::vector<uint8_t> payload_types(const MediaSection& m) {
  std::vector<uint8_t> pts;
  for (const auto& codec : m.codecs) pts.push_back(codec.payload_type);
  return pts;
}

void replace(std::string& text, const std::string& from, const std::string& to) {
  const size_t at = text.find(from);
  ASSERT_NE(at, std::string::npos) << from;
  text.replace(at, from.size(), to);
}

Codec red(std::string fmtp, uint32_t clock_rate = 48000, uint8_t channels = 2) {
  Codec codec;
  codec.payload_type = 63;
  codec.name = "red";
  codec.clock_rate = clock_rate;
  codec.channels = channels;
  if (!fmtp.empty()) codec.fmtp = {{std::move(fmtp), ""}};
  return codec;
}

TEST(AudioRed, ChromiumOfferAnswersRedAroundOpus) {
  PublishResult r = publish_ok(load("chromium_publish_offer.sdp"), red_on());
  const MediaSection& audio = r.answer.media[0];
  EXPECT_EQ(payload_types(audio), (std::vector<uint8_t>{111, 63}));
  const Codec* answered = audio.find_codec(63);
  ASSERT_NE(answered, nullptr);
  EXPECT_EQ(answered->name, "red");
  EXPECT_EQ(answered->clock_rate, 48000u);
  EXPECT_EQ(answered->channels, 2);
  EXPECT_EQ(CodecCatalog::red_wrapped_payload_type(*answered), 111);
  EXPECT_NE(write_sdp(r.answer).find("a=fmtp:63 111/111\r\n"), std::string::npos);
  // Video RED (red/90000) and ULPFEC stay refused.
  EXPECT_EQ(r.answer.media[1].find_codec(118), nullptr);
  ASSERT_EQ(r.tracks.size(), 2u);
  ASSERT_EQ(r.tracks[0].codecs.size(), 2u);
  EXPECT_EQ(r.tracks[0].codecs[1].codec.payload_type, 63);
}

TEST(AudioRed, RedPreferredFirstKeepsTheOffersOrder) {
  std::string offer = load("chromium_publish_offer.sdp");
  replace(offer, "m=audio 9 UDP/TLS/RTP/SAVPF 111 63 ", "m=audio 9 UDP/TLS/RTP/SAVPF 63 111 ");
  PublishResult r = publish_ok(offer, red_on());
  EXPECT_EQ(payload_types(r.answer.media[0]), (std::vector<uint8_t>{63, 111}));
}

TEST(AudioRed, RefusedWhenTurnedOff) {
  PublishResult r = publish_ok(load("chromium_publish_offer.sdp"), NegotiationOptions{});
  EXPECT_EQ(payload_types(r.answer.media[0]), (std::vector<uint8_t>{111}));
}

TEST(AudioRed, RefusedAroundAnythingButATakenOpus) {
  // Around G.722 (never taken).
  std::string offer = load("chromium_publish_offer.sdp");
  replace(offer, "a=fmtp:63 111/111", "a=fmtp:63 9/9");
  EXPECT_EQ(payload_types(publish_ok(offer, red_on()).answer.media[0]), (std::vector<uint8_t>{111}));
  // Around a payload type the m-section does not have.
  offer = load("chromium_publish_offer.sdp");
  replace(offer, "a=fmtp:63 111/111", "a=fmtp:63 100/100");
  EXPECT_EQ(payload_types(publish_ok(offer, red_on()).answer.media[0]), (std::vector<uint8_t>{111}));
  // Mixed blocks, no fmtp.
  offer = load("chromium_publish_offer.sdp");
  replace(offer, "a=fmtp:63 111/111", "a=fmtp:63 111/9");
  EXPECT_EQ(payload_types(publish_ok(offer, red_on()).answer.media[0]), (std::vector<uint8_t>{111}));
  offer = load("chromium_publish_offer.sdp");
  replace(offer, "a=fmtp:63 111/111\r\n", "");
  EXPECT_EQ(payload_types(publish_ok(offer, red_on()).answer.media[0]), (std::vector<uint8_t>{111}));
}

TEST(AudioRed, WrappedPayloadTypeFromFmtp) {
  EXPECT_EQ(CodecCatalog::red_wrapped_payload_type(red("111/111")), 111);
  EXPECT_EQ(CodecCatalog::red_wrapped_payload_type(red("111")), 111);
  EXPECT_EQ(CodecCatalog::red_wrapped_payload_type(red("96/96/96")), 96);
  for (const char* bad : {"", "111/", "/111", "111//111", "111/96", "128/128", "x/y", "111 /111", "-1"})
    EXPECT_EQ(CodecCatalog::red_wrapped_payload_type(red(bad)), std::nullopt) << bad;
  EXPECT_EQ(CodecCatalog::red_wrapped_payload_type(red("111/111", 90000, 0)), std::nullopt);  // video RED
  EXPECT_EQ(CodecCatalog::red_wrapped_payload_type(red("111/111", 48000, 1)), std::nullopt);
  Codec opus = red("111/111");
  opus.name = "opus";
  EXPECT_EQ(CodecCatalog::red_wrapped_payload_type(opus), std::nullopt);
  Codec with_value = red("");
  with_value.fmtp = {{"111/111", "1"}};
  EXPECT_EQ(CodecCatalog::red_wrapped_payload_type(with_value), std::nullopt);
}

}  // namespace
}  // namespace sfu::sdp
