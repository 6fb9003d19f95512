// Negotiation of a Room beyond the first offer and answer: a subscriber of a room with more
// publishers than the old 64 m-section parse cap, a subscriber whose answer is refused, and
// re-offers and re-answers that change what the first one set up (ICE credentials, DTLS
// fingerprint, a track's SSRCs). Subscribe answers are made from the server's own offers the way
// a browser makes them.
#include <gtest/gtest.h>

#include <algorithm>

#include "sfu/media/room.h"
#include "sfu/media/subscription_slots.h"
#include "sfu/sdp/sdp_negotiation.h"
#include "tests/unit/media/room_test_support.h"

namespace sfu {
namespace {

using media_test::all_of_type;
using media_test::on_worker;
using media_test::parse_sdp_file;
using media_test::RecordingRoomEvents;

constexpr uint64_t kSubscriberSession = 1;
constexpr uint64_t kPublisherSession = 100;  // the first of add_publishers()

// What a browser answers to the server's subscribe offer: every m-section received with what
// was offered, all bundled, a=setup:active, its own ICE credentials and certificate.
sdp::SessionDescription browser_answer(const sdp::SessionDescription& offer) {
  sdp::SessionDescription answer;
  answer.session_id = 7873210211215029237u;
  answer.session_version = 2;
  answer.extmap_allow_mixed = true;
  sdp::Group bundle{"BUNDLE", {}};
  for (const auto& offered : offer.media) {
    sdp::MediaSection m;
    m.kind = offered.kind;
    m.media = offered.media;
    m.protocol = offered.protocol;
    m.mid = offered.mid;
    m.direction = offered.direction == sdp::Direction::kSendOnly ? sdp::Direction::kRecvOnly
                                                                 : sdp::Direction::kInactive;
    m.codecs = offered.codecs;
    m.extmaps = offered.extmaps;
    m.ice_ufrag = "Cscw";
    m.ice_pwd = "yBTnjj17P3bjANgnYg6vmVcR";
    m.fingerprints = {
        {"sha-256",
         "D0:46:68:BE:FA:7C:17:C2:28:4E:06:3D:FA:72:FC:5D:31:B4:09:6F:62:2A:47:09:8A:63:30:1D:D2:"
         "BB:54:C1"}};
    m.setup = sdp::SetupRole::kActive;
    m.rtcp_mux = true;
    m.rtcp_rsize = true;
    bundle.mids.push_back(m.mid);
    answer.media.push_back(std::move(m));
  }
  answer.groups.push_back(std::move(bundle));
  return answer;
}

class RoomNegotiationTest : public media_test::WorkerFixture {
 protected:
  void SetUp() override {
    WorkerFixture::SetUp();
    limits_.max_participants = config_.limits.participants_per_room;
    limits_.max_tracks_per_participant = config_.limits.tracks_per_participant;
    on_worker(*worker_, [this](Worker& w) {
      w.create_room("big", events_, limits_);
      return true;
    });
  }
  template <typename Fn>
  void in_room(Fn fn) {
    on_worker(*worker_, [&](Worker& w) {
      fn(*w.find_room("big"));
      return true;
    });
  }
  void join(const std::string& id, uint64_t session) {
    in_room([&](Room& room) { ASSERT_TRUE(room.join(id, id, session).ok()); });
  }
  // `count` participants join and each publishes a microphone and a camera (Chromium's offer).
  void add_publishers(size_t count, size_t first_index) {
    sdp::SessionDescription offer = parse_sdp_file("chromium_publish_offer.sdp");
    for (size_t i = first_index; i < first_index + count; ++i) {
      std::string id = "pub" + std::to_string(i);
      join(id, kPublisherSession + i);
      in_room([&](Room& room) { room.publish(id, offer); });
    }
  }
  // The latest subscribe offer the subscriber got since the last call, parsed.
  std::optional<sdp::SessionDescription> latest_offer() {
    auto offers = all_of_type<SubscribeOffer>(events_.take(kSubscriberSession));
    if (offers.empty()) return std::nullopt;
    sdp::ParseOptions unbounded;
    unbounded.max_media_sections = 100000;
    auto parsed = sdp::parse_sdp(offers.back().sdp, unbounded);
    EXPECT_TRUE(std::holds_alternative<sdp::SessionDescription>(parsed));
    if (!std::holds_alternative<sdp::SessionDescription>(parsed)) return std::nullopt;
    return std::get<sdp::SessionDescription>(std::move(parsed));
  }
  // The answer as the control plane receives it: text, parsed with the limits it parses
  // subscribe answers with (sfu/control/signaling.cpp).
  std::variant<sdp::SessionDescription, sdp::SdpError> as_received(const sdp::SessionDescription& answer) {
    return sdp::parse_sdp(sdp::write_sdp(answer),
                          sdp::subscribe_answer_parse_options(
                              max_subscribe_media_sections(config_.limits.participants_per_room,
                                                           config_.limits.tracks_per_participant),
                              config_.limits.message_bytes));
  }

  config::Config config_ = media_test::worker_test_config();
  RoomLimits limits_;
  RecordingRoomEvents events_;
};

// A subscriber with one publisher (audio and video) and its first offer unanswered.
class RefusedAnswerTest : public RoomNegotiationTest {
 protected:
  void SetUp() override {
    RoomNegotiationTest::SetUp();
    join("sub", kSubscriberSession);
    add_publishers(1, 0);
    offer_ = *latest_offer();
    ASSERT_EQ(offer_.media.size(), 2u);
  }
  // An answer the room refuses: its m-sections are not the offer's.
  sdp::SessionDescription bad_answer() const {
    sdp::SessionDescription answer = browser_answer(offer_);
    answer.media.pop_back();
    return answer;
  }
  std::vector<RoomEvent> answer(const sdp::SessionDescription& answer) {
    in_room([&](Room& room) { room.subscribe_answer("sub", answer); });
    return events_.take(kSubscriberSession);
  }

  sdp::SessionDescription offer_;
};

TEST_F(RefusedAnswerTest, IsReportedAndFollowedByAFreshOffer) {
  auto events = answer(bad_answer());
  auto failed = all_of_type<RequestFailed>(events);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].error.code, ErrorCode::bad_request);
  EXPECT_EQ(failed[0].request_type, "subscribe_answer");
  EXPECT_NE(failed[0].error.message.find("a new subscribe_offer follows"), std::string::npos)
      << failed[0].error.message;
  // The browser applied the offer it answered; it can only answer again a new one.
  auto offers = all_of_type<SubscribeOffer>(events);
  ASSERT_EQ(offers.size(), 1u);
  sdp::SessionDescription fresh = sdp::test::parse_ok(offers[0].sdp);
  EXPECT_GT(fresh.session_version, offer_.session_version);
  EXPECT_EQ(fresh.media.size(), offer_.media.size());

  // That one answered, the subscriber goes on like any other.
  EXPECT_TRUE(answer(browser_answer(fresh)).empty());
  add_publishers(1, 1);
  auto next = latest_offer();
  ASSERT_TRUE(next);
  EXPECT_EQ(next->media.size(), 4u);
}

TEST_F(RefusedAnswerTest, AClientThatKeepsFailingGetsNoEndlessOffers) {
  // A client that answers every offer wrongly would otherwise loop with the server for good.
  sdp::SessionDescription latest = offer_;
  for (size_t i = 0; i < Room::kMaxSubscribeReoffers; ++i) {
    auto offers = all_of_type<SubscribeOffer>(answer(bad_answer()));
    ASSERT_EQ(offers.size(), 1u) << i;
    latest = sdp::test::parse_ok(offers[0].sdp);
  }
  auto events = answer(bad_answer());
  auto failed = all_of_type<RequestFailed>(events);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_NE(failed[0].error.message.find("answer the last subscribe_offer"), std::string::npos)
      << failed[0].error.message;
  EXPECT_TRUE(all_of_type<SubscribeOffer>(events).empty());
  // The outstanding offer can still be answered.
  events = answer(browser_answer(latest));
  EXPECT_TRUE(all_of_type<RequestFailed>(events).empty());
}

TEST_F(RoomNegotiationTest, ASubscriberOfThirtyFourAudioVideoPublishersNegotiates) {
  join("sub", kSubscriberSession);
  add_publishers(34, 0);
  // The first publisher's tracks were offered at once; the others' wait for that answer.
  auto first = latest_offer();
  ASSERT_TRUE(first);
  ASSERT_EQ(first->media.size(), 2u);
  in_room([&](Room& room) { room.subscribe_answer("sub", browser_answer(*first)); });
  auto offer = latest_offer();
  ASSERT_TRUE(offer);
  ASSERT_EQ(offer->media.size(), 68u) << "one m-section per track";

  // It must also fit one signaling message, JSON-escaped ("\r\n" is written as 4 bytes).
  std::string text = sdp::write_sdp(browser_answer(*offer));
  size_t line_ends = static_cast<size_t>(std::count(text.begin(), text.end(), '\n'));
  size_t message_bytes =
      text.size() + 2 * line_ends + std::string(R"({"type":"subscribe_answer","sdp":""})").size();
  EXPECT_LE(message_bytes, config_.limits.message_bytes) << "the default limits.message_bytes";
  auto received = as_received(browser_answer(*offer));
  ASSERT_TRUE(std::holds_alternative<sdp::SessionDescription>(received))
      << std::get<sdp::SdpError>(received).to_string();
  in_room([&](Room& room) { room.subscribe_answer("sub", std::get<sdp::SessionDescription>(received)); });
  EXPECT_TRUE(all_of_type<RequestFailed>(events_.take(kSubscriberSession)).empty());

  // The offer was answered: the next change reaches the subscriber at once.
  add_publishers(1, 34);
  auto next = latest_offer();
  ASSERT_TRUE(next) << "the subscriber is not stuck on an unanswered offer";
  EXPECT_EQ(next->media.size(), 70u);
}

// ---- Re-offers and re-answers that change what the first one set up ----

sdp::SessionDescription chromium_publish_offer() { return parse_sdp_file("chromium_publish_offer.sdp"); }

void set_ice_credentials(sdp::SessionDescription& d, const std::string& ufrag, const std::string& pwd) {
  d.ice_ufrag = ufrag;
  d.ice_pwd = pwd;
  for (auto& m : d.media) {
    m.ice_ufrag = ufrag;
    m.ice_pwd = pwd;
  }
}

const std::string& ice_ufrag_of(const sdp::SessionDescription& d) {
  return d.media.empty() || d.media[0].ice_ufrag.empty() ? d.ice_ufrag : d.media[0].ice_ufrag;
}
const std::string& ice_pwd_of(const sdp::SessionDescription& d) {
  return d.media.empty() || d.media[0].ice_pwd.empty() ? d.ice_pwd : d.media[0].ice_pwd;
}

void set_fingerprint(sdp::SessionDescription& d, const std::string& value) {
  for (auto& m : d.media) m.fingerprints = {{"sha-256", value}};
}

constexpr const char* kOtherFingerprint =
    "AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89:AB:CD:EF:01:23:45:67:89";

// "pub0" publishes audio and video (Chromium's offer); "sub" receives them.
class RenegotiationTest : public RoomNegotiationTest {
 protected:
  void SetUp() override {
    RoomNegotiationTest::SetUp();
    join("sub", kSubscriberSession);
    add_publishers(1, 0);
    ASSERT_EQ(all_of_type<PublishAnswer>(events_.take(kPublisherSession)).size(), 1u);
    offer_ = *latest_offer();
  }
  std::vector<RoomEvent> republish(const sdp::SessionDescription& offer) {
    in_room([&](Room& room) { room.publish("pub0", offer); });
    return events_.take(kPublisherSession);
  }
  // The one PublishAnswer of `events`, parsed.
  static sdp::SessionDescription answer_of(const std::vector<RoomEvent>& events) {
    auto answers = all_of_type<PublishAnswer>(events);
    EXPECT_EQ(answers.size(), 1u);
    return answers.empty() ? sdp::SessionDescription{} : sdp::test::parse_ok(answers[0].sdp);
  }
  std::vector<RoomEvent> subscribe_answer(const sdp::SessionDescription& answer) {
    in_room([&](Room& room) { room.subscribe_answer("sub", answer); });
    return events_.take(kSubscriberSession);
  }
  static void expect_unsupported(const std::vector<RoomEvent>& events, const std::string& request_type,
                                 const std::string& message) {
    auto failed = all_of_type<RequestFailed>(events);
    ASSERT_EQ(failed.size(), 1u);
    EXPECT_EQ(failed[0].error.code, ErrorCode::unsupported);
    EXPECT_EQ(failed[0].request_type, request_type);
    EXPECT_NE(failed[0].error.message.find(message), std::string::npos) << failed[0].error.message;
  }

  sdp::SessionDescription offer_;  // the subscriber's first, unanswered
};

TEST_F(RenegotiationTest, AReOfferWithTheSameTransportIsAnswered) {
  auto events = republish(chromium_publish_offer());
  EXPECT_EQ(all_of_type<PublishAnswer>(events).size(), 1u);
  EXPECT_TRUE(all_of_type<RequestFailed>(events).empty());
  EXPECT_TRUE(all_of_type<TrackUnpublished>(events_.take(kSubscriberSession)).empty());
}

TEST_F(RenegotiationTest, APublishIceRestartIsAnsweredWithNewServerCredentialsAndKeepsTheTracks) {
  const sdp::SessionDescription first = answer_of(republish(chromium_publish_offer()));
  sdp::SessionDescription restart = chromium_publish_offer();
  set_ice_credentials(restart, "NewU", "aNewPasswordOf24Chars!!!");
  auto events = republish(restart);
  EXPECT_TRUE(all_of_type<RequestFailed>(events).empty());
  const sdp::SessionDescription restarted = answer_of(events);
  // Both sides change their credentials (RFC 8445 §9); the certificate stays, DTLS goes on.
  EXPECT_NE(ice_ufrag_of(restarted), ice_ufrag_of(first));
  EXPECT_NE(ice_pwd_of(restarted), ice_pwd_of(first));
  EXPECT_EQ(restarted.media[0].fingerprints.at(0).value, first.media[0].fingerprints.at(0).value);
  EXPECT_EQ(restarted.media.size(), first.media.size());
  // The tracks stay: the others see nothing.
  EXPECT_TRUE(events_.take(kSubscriberSession).empty());
  EXPECT_EQ(worker_->ice_restarts(), 1u);

  // A later re-offer that keeps the new credentials is no restart; one with the old ones is.
  EXPECT_EQ(ice_ufrag_of(answer_of(republish(restart))), ice_ufrag_of(restarted));
  EXPECT_EQ(worker_->ice_restarts(), 1u);
  EXPECT_NE(ice_ufrag_of(answer_of(republish(chromium_publish_offer()))), ice_ufrag_of(restarted));
  EXPECT_EQ(worker_->ice_restarts(), 2u);
  EXPECT_TRUE(events_.take(kSubscriberSession).empty());
}

TEST_F(RenegotiationTest, APublishThatChangesOnlyOneIceCredentialIsABadRequest) {
  sdp::SessionDescription half = chromium_publish_offer();
  const std::string same_pwd = ice_pwd_of(half);
  set_ice_credentials(half, "NewU", same_pwd);
  auto events = republish(half);
  auto failed = all_of_type<RequestFailed>(events);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].error.code, ErrorCode::bad_request);
  EXPECT_NE(failed[0].error.message.find("changes both"), std::string::npos) << failed[0].error.message;
  EXPECT_TRUE(all_of_type<PublishAnswer>(events).empty());
  EXPECT_EQ(worker_->ice_restarts(), 0u);
}

TEST_F(RenegotiationTest, APublishWithAnotherCertificateIsRefusedAsUnsupported) {
  sdp::SessionDescription offer = chromium_publish_offer();
  set_fingerprint(offer, kOtherFingerprint);
  auto events = republish(offer);
  expect_unsupported(events, "publish", "DTLS certificate");
  EXPECT_TRUE(all_of_type<PublishAnswer>(events).empty());
}

TEST_F(RenegotiationTest, ASubscribeAnswerCannotRestartIceByItself) {
  ASSERT_TRUE(subscribe_answer(browser_answer(offer_)).empty());
  add_publishers(1, 1);
  auto second = latest_offer();
  ASSERT_TRUE(second);
  sdp::SessionDescription restart = browser_answer(*second);
  set_ice_credentials(restart, "NewU", "aNewPasswordOf24Chars!!!");
  auto events = subscribe_answer(restart);
  auto failed = all_of_type<RequestFailed>(events);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_EQ(failed[0].error.code, ErrorCode::bad_request);
  EXPECT_NE(failed[0].error.message.find("send restart_ice"), std::string::npos) << failed[0].error.message;
  EXPECT_EQ(all_of_type<SubscribeOffer>(events).size(), 1u)
      << "a new offer follows, as for any refused answer";
}

TEST_F(RenegotiationTest, RestartIceOffersNewServerCredentialsOnTheSubscribeConnection) {
  auto restart_ice = [&] {
    in_room([&](Room& room) { room.restart_subscribe_ice("sub"); });
    return events_.take(kSubscriberSession);
  };
  auto expect_refused = [](const std::vector<RoomEvent>& events, ErrorCode code) {
    auto failed = all_of_type<RequestFailed>(events);
    ASSERT_EQ(failed.size(), 1u);
    EXPECT_EQ(failed[0].error.code, code) << failed[0].error.message;
    EXPECT_EQ(failed[0].request_type, "restart_ice");
    EXPECT_TRUE(all_of_type<SubscribeOffer>(events).empty());
  };
  // The first offer is outstanding: nothing has been negotiated to restart yet.
  expect_refused(restart_ice(), ErrorCode::bad_request);
  ASSERT_TRUE(subscribe_answer(browser_answer(offer_)).empty());

  auto events = restart_ice();
  auto offers = all_of_type<SubscribeOffer>(events);
  ASSERT_EQ(offers.size(), 1u);
  sdp::SessionDescription restarted = sdp::test::parse_ok(offers[0].sdp);
  EXPECT_NE(ice_ufrag_of(restarted), ice_ufrag_of(offer_));
  EXPECT_NE(ice_pwd_of(restarted), ice_pwd_of(offer_));
  EXPECT_EQ(restarted.media[0].fingerprints.at(0).value, offer_.media[0].fingerprints.at(0).value);
  EXPECT_EQ(restarted.media.size(), offer_.media.size()) << "the same m-sections";
  EXPECT_EQ(worker_->ice_restarts(), 1u);
  // One at a time: while that offer is outstanding, another restart is refused.
  expect_refused(restart_ice(), ErrorCode::conflict);

  // The answer to a restart must bring new credentials too (RFC 8445 §9); a refused one is
  // followed by a new offer, which keeps the restart's server credentials.
  events = subscribe_answer(browser_answer(restarted));
  auto failed = all_of_type<RequestFailed>(events);
  ASSERT_EQ(failed.size(), 1u);
  EXPECT_NE(failed[0].error.message.find("must carry new"), std::string::npos) << failed[0].error.message;
  offers = all_of_type<SubscribeOffer>(events);
  ASSERT_EQ(offers.size(), 1u);
  sdp::SessionDescription again = sdp::test::parse_ok(offers[0].sdp);
  EXPECT_EQ(ice_ufrag_of(again), ice_ufrag_of(restarted));

  sdp::SessionDescription answer = browser_answer(again);
  set_ice_credentials(answer, "NewU", "aNewPasswordOf24Chars!!!");
  EXPECT_TRUE(subscribe_answer(answer).empty());
  // Later offers keep the new credentials, and plain answers with the client's new ones pass.
  add_publishers(1, 1);
  auto next = latest_offer();
  ASSERT_TRUE(next);
  EXPECT_EQ(ice_ufrag_of(*next), ice_ufrag_of(restarted));
  sdp::SessionDescription next_answer = browser_answer(*next);
  set_ice_credentials(next_answer, "NewU", "aNewPasswordOf24Chars!!!");
  EXPECT_TRUE(subscribe_answer(next_answer).empty());
  EXPECT_EQ(worker_->ice_restarts(), 1u);
}

TEST_F(RenegotiationTest, ATrackWhoseSsrcsChangeIsPublishedAnew) {
  // Same mid, new SSRCs (what a sender that was stopped and restarted may offer): the old
  // stream's SSRCs would no longer route, so the track is replaced.
  sdp::SessionDescription offer = chromium_publish_offer();
  sdp::MediaSection& video = offer.media[1];
  ASSERT_EQ(video.kind, sdp::MediaKind::kVideo);
  for (auto& ssrc : video.ssrcs) ssrc.ssrc += 1000;
  for (auto& group : video.ssrc_groups)
    for (auto& ssrc : group.ssrcs) ssrc += 1000;
  auto events = republish(offer);
  EXPECT_EQ(all_of_type<PublishAnswer>(events).size(), 1u);
  auto sub_events = events_.take(kSubscriberSession);
  auto gone = all_of_type<TrackUnpublished>(sub_events);
  auto added = all_of_type<TrackPublished>(sub_events);
  ASSERT_EQ(gone.size(), 1u);
  ASSERT_EQ(added.size(), 1u);
  EXPECT_EQ(added[0].track.kind, sdp::MediaKind::kVideo);
  EXPECT_EQ(added[0].track.id, gone[0].track_id) << "the same track, on new streams";
}

}  // namespace
}  // namespace sfu
