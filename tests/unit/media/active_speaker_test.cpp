// Active speakers: the RFC 6464 level read from a packet, the per-track meter's smoothing state
// machine (speaking on after 3 voice windows of 5, off after 8 windows with at most one), the
// room's ranking with its change-only, rate-limited events, and audio.forward_loudest dropping
// (and counting) the quiet tracks' packets in the router. No clocks: windows are closed by hand.
#include <gtest/gtest.h>

#include "sfu/media/active_speakers.h"
#include "sfu/media/audio_level_meter.h"
#include "sfu/media/router.h"
#include "tests/unit/media/media_test_support.h"

using namespace sfu;
using namespace sfu::test;

namespace {

constexpr uint8_t kAudioLevelId = 1;

// One Opus packet with the RFC 6464 extension (one-byte form): V bit and level.
Bytes opus_with_level(uint32_t ssrc, uint16_t seq, uint8_t level, bool voice = true) {
  rtp::RtpHeaderFields fields;
  fields.payload_type = kOpusPt;
  fields.sequence_number = seq;
  fields.timestamp = seq * 960u;
  fields.ssrc = ssrc;
  const std::array<uint8_t, 1> value = {static_cast<uint8_t>((voice ? 0x80 : 0) | level)};
  std::array<rtp::HeaderExtension, 1> extensions = {rtp::HeaderExtension{kAudioLevelId, value}};
  const Bytes payload = {0xF8, 0xFF, 0xFE};
  Bytes out(1500);
  out.resize(rtp::build_rtp_packet(fields, extensions, payload, 0, out));
  return out;
}

// A window of five packets at `level` (-dBov).
void window(AudioLevelMeter& meter, uint8_t level, int packets = 5) {
  for (int i = 0; i < packets; ++i) meter.add(level);
  meter.close_window();
}

}  // namespace

TEST(AudioLevel, ParsesTheRfc6464ByteFromAPacket) {
  Bytes bytes = opus_with_level(0xA0, 1, 37, true);
  auto level = view(bytes).audio_level(kAudioLevelId);
  ASSERT_TRUE(level);
  EXPECT_TRUE(level->voice);
  EXPECT_EQ(level->level, 37);
  Bytes quiet = opus_with_level(0xA0, 2, 127, false);
  EXPECT_FALSE(view(quiet).audio_level(kAudioLevelId)->voice);
  EXPECT_EQ(view(quiet).audio_level(kAudioLevelId)->level, 127);
  EXPECT_FALSE(view(quiet).audio_level(2)) << "another id: not there";
}

TEST(AudioLevelMeter, StartsSpeakingAfterThreeVoiceWindowsOfFive) {
  AudioLevelMeter meter;
  window(meter, 20);
  window(meter, 127);
  window(meter, 20);
  EXPECT_FALSE(meter.speaking()) << "two voice windows: a cough, not a speaker";
  window(meter, 20);
  EXPECT_TRUE(meter.speaking());
  EXPECT_GT(meter.level(), 0.0);
}

TEST(AudioLevelMeter, KeepsSpeakingThroughShortPausesAndStopsAfterSilence) {
  AudioLevelMeter meter;
  for (int i = 0; i < 5; ++i) window(meter, 10);
  ASSERT_TRUE(meter.speaking());
  for (int i = 0; i < 4; ++i) window(meter, 127);
  EXPECT_TRUE(meter.speaking()) << "a gap between words";
  for (int i = 0; i < 2; ++i) window(meter, 127);
  EXPECT_TRUE(meter.speaking()) << "two voice windows of the last eight are left";
  window(meter, 127);
  EXPECT_FALSE(meter.speaking()) << "one voice window of the last eight";
  for (int i = 0; i < 30; ++i) window(meter, 127);
  EXPECT_EQ(meter.level(), 0.0) << "silence pulls the level down to nothing";
}

TEST(AudioLevelMeter, AWindowIsVoiceOnlyWhenEnoughOfItsPacketsAreLoud) {
  AudioLevelMeter meter;
  meter.set_active_level(40);
  for (int w = 0; w < 5; ++w) {
    // One loud packet of five (20%): under the 40% a window needs.
    meter.add(10);
    for (int i = 0; i < 4; ++i) meter.add(90);
    meter.close_window();
  }
  EXPECT_FALSE(meter.speaking());
  for (int w = 0; w < 5; ++w) window(meter, 45);
  EXPECT_FALSE(meter.speaking()) << "45 dB below overload is under the active level";
  for (int w = 0; w < 3; ++w) window(meter, 40);
  EXPECT_TRUE(meter.speaking());
  for (int w = 0; w < 5; ++w) meter.close_window();
  EXPECT_TRUE(meter.speaking()) << "a few windows without packets are jitter, not silence";
  for (int w = 0; w < 8; ++w) meter.close_window();
  EXPECT_FALSE(meter.speaking()) << "a track that stopped sending is silent";
}

TEST(AudioLevelMeter, TheLouderSpeakerHasTheHigherLevel) {
  AudioLevelMeter loud, soft;
  for (int i = 0; i < 10; ++i) {
    window(loud, 6);
    window(soft, 30);
  }
  EXPECT_TRUE(loud.speaking());
  EXPECT_TRUE(soft.speaking());
  EXPECT_GT(loud.level(), soft.level());
  EXPECT_NEAR(loud.level(), 0.5, 0.05) << "-6 dBov is half of full scale";
}

namespace {

struct SpeakerFixture {
  std::string alice = "alice", bob = "bob", carol = "carol";
  AudioLevelMeter a, b, c;
  ActiveSpeakers speakers{{2, 0}};
  uint64_t now = 10000;
  ActiveSpeakersChanged event;

  std::vector<ActiveSpeakers::Candidate> candidates() { return {{&alice, &a}, {&bob, &b}, {&carol, &c}}; }
  // One window for everyone at the given levels, 100 ms later; true when an event is due.
  bool step(uint8_t la, uint8_t lb, uint8_t lc) {
    window(a, la);
    window(b, lb);
    window(c, lc);
    now += AudioLevelMeter::kWindowMs;
    auto list = candidates();
    return speakers.update(list, now, event);
  }
  std::vector<std::string> ids() const {
    std::vector<std::string> out;
    for (const auto& s : event.speakers) out.push_back(s.participant_id);
    return out;
  }
};

}  // namespace

TEST(ActiveSpeakers, NamesTheSpeakersLoudestFirstOnlyWhenTheListChanges) {
  SpeakerFixture f;
  EXPECT_FALSE(f.step(127, 127, 127)) << "nobody has spoken: no event";
  EXPECT_EQ(f.speakers.last_event(), nullptr);
  f.step(10, 127, 30);
  f.step(10, 127, 30);
  ASSERT_TRUE(f.step(10, 127, 30));
  EXPECT_EQ(f.ids(), (std::vector<std::string>{"alice", "carol"}));
  EXPECT_GT(f.event.speakers[0].level, f.event.speakers[1].level);
  for (int i = 0; i < 10; ++i) EXPECT_FALSE(f.step(10, 127, 30)) << "same list: no event";
  // What a participant joining now is given.
  ASSERT_NE(f.speakers.last_event(), nullptr);
  EXPECT_EQ(f.speakers.last_event()->speakers.size(), 2u);
  EXPECT_EQ(f.speakers.last_event()->speakers[0].participant_id, "alice");
}

TEST(ActiveSpeakers, SendsAtMostTheConfiguredRateAndTheHeldBackChangeLater) {
  SpeakerFixture f;
  int events = 0;
  // Carol's level flips between loud and silent so that she starts and stops speaking often;
  // alice speaks throughout.
  std::vector<uint64_t> sent_at;
  for (int i = 0; i < 100; ++i) {
    const bool carol_loud = (i / 9) % 2 == 0;
    if (f.step(10, 127, carol_loud ? 5 : 127)) {
      ++events;
      sent_at.push_back(f.now);
    }
  }
  ASSERT_GE(events, 2);
  for (size_t i = 1; i < sent_at.size(); ++i) EXPECT_GE(sent_at[i] - sent_at[i - 1], 500u) << "2 per second";
  // Everyone silent: the list empties, and that is sent once.
  int empties = 0;
  for (int i = 0; i < 30; ++i)
    if (f.step(127, 127, 127) && f.event.speakers.empty()) ++empties;
  EXPECT_EQ(empties, 1);
  EXPECT_TRUE(f.speakers.last_sent().empty());
}

TEST(ActiveSpeakers, ForwardLoudestMarksOnlyTheNLoudestTracks) {
  std::string alice = "alice", bob = "bob", carol = "carol";
  AudioLevelMeter a, b, c;
  ActiveSpeakers speakers{{2, 1}};
  ActiveSpeakersChanged event;
  for (int i = 0; i < 5; ++i) {
    window(a, 30);
    window(b, 8);
    window(c, 127);
  }
  std::vector<ActiveSpeakers::Candidate> list = {{&alice, &a}, {&bob, &b}, {&carol, &c}};
  speakers.update(list, 1000, event);
  EXPECT_FALSE(a.forwarded());
  EXPECT_TRUE(b.forwarded());
  EXPECT_FALSE(c.forwarded());
}

TEST(ActiveSpeakers, TheRouterDropsAndCountsTheQuietTracksPackets) {
  DropCounters drops;
  RouterCounters counters;
  Router router{drops, counters};
  Participant alice, bob;
  FakeMediaSink alice_publish, bob_subscribe;
  alice.feedback_ssrc = 0xA11CE;
  PublishedTrackSpec spec;
  spec.id = "mic";
  spec.mid = "0";
  spec.kind = sdp::MediaKind::kAudio;
  spec.ssrc = 0xA0;
  spec.codecs = {make_codec(kOpusPt, "opus", 48000)};
  spec.extensions.audio_level = kAudioLevelId;
  alice.published.push_back(std::make_unique<PublishedTrack>(alice, alice_publish, spec));
  PublishedTrack& mic = *alice.published.back();
  add_down_track(mic, bob, bob_subscribe, 0xB0);

  Bytes loud = opus_with_level(0xA0, 1, 12);
  router.on_publisher_rtp(alice, loud.data(), loud.size(), 1000);
  EXPECT_EQ(bob_subscribe.rtp.size(), 1u);
  mic.audio_level().close_window();
  mic.audio_level().set_forwarded(false);  // as ActiveSpeakers marks a track not among the loudest
  Bytes next = opus_with_level(0xA0, 2, 12);
  router.on_publisher_rtp(alice, next.data(), next.size(), 1020);
  EXPECT_EQ(bob_subscribe.rtp.size(), 1u);
  EXPECT_EQ(counters.audio_not_forwarded_quiet.load(), 1u);
  EXPECT_EQ(mic.counters().packets, 2u) << "still received and counted";
}
