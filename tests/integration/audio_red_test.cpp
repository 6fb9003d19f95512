// Audio RED (RFC 2198) end to end through the whole server (conference_fixture.h), with bench
// clients over real ICE, DTLS and SRTP. Alice offers red/48000/2 before Opus (as a page preferring
// it with setCodecPreferences) and sends every audio packet as RED: the previous packet as a
// redundant block, the current one as the primary. Bob's subscribe answer accepts red and gets
// Alice's RED payloads byte for byte; Carol's accepts Opus only and gets each primary block alone
// as a plain Opus packet with her Opus payload type. Every tenth RED packet is cut short
// (malformed): Bob gets it as it is, Carol nothing, and the server counts it as red_malformed.
#include <gtest/gtest.h>

#include <set>

#include "rtp/red_payload.h"
#include "tests/integration/conference_fixture.h"

using namespace sfu;
using namespace std::chrono_literals;
using client::ParticipantClient;
using conference_test::Conference;

namespace {

using Payload = std::vector<uint8_t>;

uint8_t accepted_payload_type(const ParticipantClient& who, const char* name) {
  const auto& offer = who.last_subscribe_offer();
  if (!offer) return 0;
  for (const auto& m : offer->media)
    if (m.kind == sdp::MediaKind::kAudio && m.direction == sdp::Direction::kSendOnly)
      for (const auto& codec : m.codecs)
        if (codec.is_named(name)) return codec.payload_type;
  return 0;
}

}  // namespace

class AudioRedEndToEnd : public Conference {};

TEST_F(AudioRedEndToEnd, RedSubscriberGetsRedAsSentOpusSubscriberGetsThePrimary) {
  std::set<Payload> sent_red, sent_primaries, sent_malformed;
  uint64_t red_sent = 0;
  auto& alice = add_client("red", "alice", [&](ParticipantClient::Options& o) {
    o.publish_video = false;
    o.publish_audio_red = true;
    o.alter_audio_red = [&](Payload& red) {
      if (++red_sent % 10 == 0) {
        red.resize(3);  // inside the redundant block's header (or, for the first, an empty primary)
        sent_malformed.insert(red);
        return;
      }
      rtp::RedPayload parsed;
      ASSERT_EQ(rtp::parse_red_payload(ByteSpan(red), parsed), rtp::RedError::kNone);
      sent_red.insert(red);
      sent_primaries.insert(
          Payload(red.begin() + static_cast<std::ptrdiff_t>(parsed.primary().offset), red.end()));
    };
  });
  auto& bob = add_client("red", "bob", [](ParticipantClient::Options& o) {
    o.publish_audio = false;
    o.publish_video = false;
    o.accept_audio_red = true;
  });
  auto& carol = add_client("red", "carol", [](ParticipantClient::Options& o) {
    o.publish_audio = false;
    o.publish_video = false;
  });
  std::vector<std::pair<uint8_t, Payload>> bob_got, carol_got;
  bob.on_audio_packet = [&](const std::string&, const rtp::RtpPacket& p) {
    bob_got.emplace_back(p.payload_type(), Payload(p.payload().begin(), p.payload().end()));
  };
  carol.on_audio_packet = [&](const std::string&, const rtp::RtpPacket& p) {
    carol_got.emplace_back(p.payload_type(), Payload(p.payload().begin(), p.payload().end()));
  };
  ASSERT_TRUE(run_until([&] { return alice.publish_answered() && alice.joined(); })) << describe(alice);
  ASSERT_TRUE(alice.publishing_audio_red()) << "the publish answer took red";
  // Both subscribers receive before the first packet, so both see the same packets.
  ASSERT_TRUE(run_until([&] {
    return bob.subscribe_connected() && carol.subscribe_connected() &&
           accepted_payload_type(bob, "red") != 0 && accepted_payload_type(carol, "opus") != 0;
  })) << describe(bob)
      << "\n"
      << describe(carol);
  run_for(500ms);
  alice.start_media();
  ASSERT_TRUE(run_until([&] { return bob_got.size() >= 100 && carol_got.size() >= 100; }))
      << describe(bob) << "\n"
      << describe(carol);
  alice.stop_media();
  run_for(300ms);  // what is in flight arrives

  const uint8_t bob_red = accepted_payload_type(bob, "red");
  const uint8_t carol_opus = accepted_payload_type(carol, "opus");
  ASSERT_NE(bob_red, 0);
  ASSERT_NE(carol_opus, 0);
  size_t bob_malformed = 0;
  for (const auto& [pt, payload] : bob_got) {
    EXPECT_EQ(pt, bob_red);
    if (sent_malformed.count(payload)) {
      ++bob_malformed;
      continue;
    }
    EXPECT_TRUE(sent_red.count(payload))
        << "bob got a RED payload alice never sent (" << payload.size() << " bytes)";
  }
  EXPECT_GT(bob_malformed, 0u) << "RED passes through as it is, malformed or not";
  for (const auto& [pt, payload] : carol_got) {
    EXPECT_EQ(pt, carol_opus);
    EXPECT_TRUE(sent_primaries.count(payload))
        << "carol got a payload that is no primary alice sent (" << payload.size() << " bytes)";
  }
  // Carol got every well-formed packet bob got, and none of the malformed ones.
  EXPECT_EQ(carol_got.size() + bob_malformed, bob_got.size());
  EXPECT_EQ(server_.worker().drops().get(DropReason::RedMalformed), bob_malformed);
  expect_clean_media(bob);
  expect_clean_media(carol);
}

class AudioRedOff : public Conference {
  void configure(config::Config& config) override { config.audio.red = false; }
};

TEST_F(AudioRedOff, PublisherIsAnsweredOpusOnly) {
  auto& alice = add_client("red-off", "alice", [](ParticipantClient::Options& o) {
    o.publish_video = false;
    o.publish_audio_red = true;
  });
  auto& bob = add_client("red-off", "bob", [](ParticipantClient::Options& o) {
    o.publish_audio = false;
    o.publish_video = false;
    o.accept_audio_red = true;
  });
  ASSERT_TRUE(run_until([&] { return alice.publish_answered(); })) << describe(alice);
  EXPECT_FALSE(alice.publishing_audio_red());
  alice.start_media();
  ASSERT_TRUE(run_until([&] { return bob.received_from(alice.participant_id()).audio_packets >= 20; }))
      << describe(bob);
  EXPECT_EQ(accepted_payload_type(bob, "red"), 0) << "no red offered to subscribers";
  expect_clean_media(bob);
}
