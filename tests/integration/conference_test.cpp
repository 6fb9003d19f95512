// Conferences through the whole server in-process (conference_fixture.h): media between several
// participants, refused publishes, a server stop, a late subscribe answer, consent loss. The
// client's own pieces are tested alone in client_sdp_test.cpp (its SDP) and
// signaling_client_test.cpp (its WebSocket client).
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <thread>

#include "tests/integration/conference_fixture.h"
#include "tests/unit/control/http_test_client.h"

using namespace sfu;
using namespace std::chrono_literals;
using client::ParticipantClient;
using conference_test::Conference;

namespace {

TEST_F(Conference, ThreeParticipantsExchangeMediaAndOneLeaves) {
  auto& a = add_client("conf", "alice");
  auto& b = add_client("conf", "bob");
  auto& c = add_client("conf", "carol");
  std::vector<ParticipantClient*> all = {&a, &b, &c};
  for (auto* p : all) p->start_media();

  ASSERT_TRUE(run_until([&] {
    for (auto* p : all)
      for (auto* q : all)
        if (p != q && !receives_both_kinds_from(*p, q->participant_id(), 20)) return false;
    return true;
  })) << describe(a)
      << "\n"
      << describe(b) << "\n"
      << describe(c);

  for (auto* p : all) {
    EXPECT_TRUE(p->joined());
    EXPECT_TRUE(p->publish_connected());
    EXPECT_TRUE(p->subscribe_connected());
    EXPECT_EQ(p->participants().size(), 2u);
    for (auto* q : all) {
      if (p == q) continue;
      EXPECT_EQ(p->participants().count(q->participant_id()), 1u);
      auto tracks = p->tracks_by_participant().find(q->participant_id());
      ASSERT_NE(tracks, p->tracks_by_participant().end());
      EXPECT_EQ(tracks->second.size(), 2u);
      EXPECT_GT(p->received_from(q->participant_id()).video_keyframes, 0u);
    }
    expect_clean_media(*p);
    // Four active m-sections: audio and video of each of the two others.
    size_t active = std::count_if(p->subscribed_media().begin(), p->subscribed_media().end(),
                                  [](const client::SubscribedMedia& m) { return m.active; });
    EXPECT_EQ(active, 4u);
  }

  // The control thread renders /metrics from counters the worker writes while it forwards: scrape it
  // from another thread while media flows. Under ThreadSanitizer (scripts/test.sh) this checks that
  // those cross-thread reads are race-free.
  auto scrapes = std::async(std::launch::async, [port = server_.http_port()] {
    std::vector<http_test::Response> responses;
    for (int i = 0; i < 10; ++i) {
      http_test::Socket socket(port);
      if (!socket.ok() || !socket.send_all(http_test::request_text("GET", "/metrics"))) break;
      auto response = http_test::read_response(socket);
      if (!response) break;
      responses.push_back(std::move(*response));
      std::this_thread::sleep_for(20ms);
    }
    return responses;
  });
  ASSERT_TRUE(run_until([&] { return scrapes.wait_for(0ms) == std::future_status::ready; }));
  auto responses = scrapes.get();
  ASSERT_EQ(responses.size(), 10u);
  EXPECT_EQ(responses.back().status, 200);
  EXPECT_NE(responses.back().body.find("sfu_rtp_forwarded_total{worker=\"0\"}"), std::string::npos)
      << responses.back().body;

  // The server answers ping.
  size_t pongs = a.message_count("pong");
  a.send_signaling({{"type", "ping"}});
  ASSERT_TRUE(run_until([&] { return a.message_count("pong") == pongs + 1; }));

  // Carol leaves.
  std::string carol = c.participant_id();
  std::map<ParticipantClient*, std::vector<std::string>> carol_mids;
  std::map<ParticipantClient*, uint64_t> offers_before;
  for (auto* p : {&a, &b}) {
    for (const auto& m : p->subscribed_media())
      if (m.participant_id == carol) carol_mids[p].push_back(m.mid);
    EXPECT_EQ(carol_mids[p].size(), 2u);
    offers_before[p] = p->counters().subscribe_offers;
  }
  c.leave();

  // Both others are told, and get an offer in which Carol's m-sections are disabled.
  auto carol_sections_disabled = [&](ParticipantClient* p) {
    if (p->counters().subscribe_offers <= offers_before[p] || !p->last_subscribe_offer()) return false;
    for (const auto& mid : carol_mids[p]) {
      const sdp::MediaSection* m = p->last_subscribe_offer()->find_media(mid);
      // docs/protocol.md: removed tracks leave their m-section inactive (port 0 or a=inactive).
      if (!m || (m->port != 0 && m->direction != sdp::Direction::kInactive) || m->msid) return false;
    }
    return true;
  };
  ASSERT_TRUE(run_until([&] {
    for (auto* p : {&a, &b})
      if (p->participants().count(carol) || !carol_sections_disabled(p)) return false;
    return true;
  })) << describe(a)
      << "\n"
      << describe(b);
  for (auto* p : {&a, &b}) {
    EXPECT_EQ(p->message_count("participant_left"), 1u);
    EXPECT_EQ(p->tracks_by_participant().count(carol), 0u);
    // The m-section count never shrinks (JSEP), and what is still active is the other's media.
    EXPECT_EQ(p->last_subscribe_offer()->media.size(), 4u);
    for (const auto& m : p->subscribed_media()) {
      if (m.active) {
        EXPECT_NE(m.participant_id, carol);
      }
    }
  }
  EXPECT_EQ(c.message_count("participant_left"), 0u);
  EXPECT_TRUE(c.errors().empty()) << describe(c);

  // Carol's media stops; Alice and Bob keep receiving each other.
  run_for(300ms);  // packets already in flight
  auto carol_at_a = a.received_from(carol), carol_at_b = b.received_from(carol);
  uint64_t bob_at_a = a.received_packets(b.participant_id(), sdp::MediaKind::kVideo);
  uint64_t alice_at_b = b.received_packets(a.participant_id(), sdp::MediaKind::kVideo);
  c.start_media();  // even if Carol's client keeps sending, nothing of it may be forwarded
  ASSERT_TRUE(run_until([&] {
    return a.received_packets(b.participant_id(), sdp::MediaKind::kVideo) > bob_at_a + 30 &&
           b.received_packets(a.participant_id(), sdp::MediaKind::kVideo) > alice_at_b + 30;
  })) << describe(a)
      << "\n"
      << describe(b);
  run_for(500ms);
  EXPECT_EQ(a.received_from(carol).audio_packets, carol_at_a.audio_packets);
  EXPECT_EQ(a.received_from(carol).video_packets, carol_at_a.video_packets);
  EXPECT_EQ(b.received_from(carol).audio_packets, carol_at_b.audio_packets);
  EXPECT_EQ(b.received_from(carol).video_packets, carol_at_b.video_packets);
  for (auto* p : {&a, &b}) expect_clean_media(*p);

  // Dave joins: his tracks go into the m-sections Carol's left (JSEP: m-sections are never removed,
  // and inactive ones are reused), and media flows again in every direction.
  auto& d = add_client("conf", "dave");
  d.start_media();
  ASSERT_TRUE(run_until([&] {
    return receives_both_kinds_from(a, d.participant_id(), 20) &&
           receives_both_kinds_from(b, d.participant_id(), 20) &&
           receives_both_kinds_from(d, a.participant_id(), 20) &&
           receives_both_kinds_from(d, b.participant_id(), 20);
  })) << describe(a)
      << "\n"
      << describe(b) << "\n"
      << describe(d);
  for (auto* p : {&a, &b}) {
    EXPECT_EQ(p->last_subscribe_offer()->media.size(), 4u);
    std::vector<std::string> dave_mids;
    for (const auto& m : p->subscribed_media())
      if (m.active && m.participant_id == d.participant_id()) dave_mids.push_back(m.mid);
    std::sort(dave_mids.begin(), dave_mids.end());
    std::sort(carol_mids[p].begin(), carol_mids[p].end());
    EXPECT_EQ(dave_mids, carol_mids[p]);
    expect_clean_media(*p);
  }
  expect_clean_media(d);
  EXPECT_EQ(a.received_from(carol).video_packets, carol_at_a.video_packets);
}

TEST_F(Conference, PublishWithOnlyAnUnknownCodecIsRefusedAndChangesNothing) {
  auto& x = add_client("codec", "xavier", [](ParticipantClient::Options& o) {
    o.auto_publish = false;
    o.publish_audio = false;
  });
  auto& y = add_client("codec", "yvonne");
  y.start_media();
  ASSERT_TRUE(run_until([&] {
    return x.joined() && y.joined() && y.publish_connected() && x.participants().size() == 1;
  })) << describe(x)
      << "\n"
      << describe(y);

  sdp::SessionDescription offer = x.make_publish_offer();
  ASSERT_EQ(offer.media.size(), 1u);
  sdp::Codec foo;
  foo.payload_type = 96;
  foo.name = "FOO";
  foo.clock_rate = 90000;
  offer.media[0].codecs = {foo};
  offer.media[0].ssrc_groups.clear();
  offer.media[0].ssrcs.resize(1);
  x.send_signaling({{"type", "publish"}, {"sdp", sdp::write_sdp(offer)}});
  ASSERT_TRUE(run_until([&] { return !x.errors().empty(); })) << describe(x);
  const auto& error = x.errors().front();
  EXPECT_EQ(error.value("code", ""), "bad_request");
  EXPECT_EQ(error.value("request_type", ""), "publish");
  EXPECT_NE(error.value("message", "").find("FOO"), std::string::npos) << error.dump();

  // Nothing happened: no answer, nobody told of a track, no offer to the other participant.
  uint64_t y_offers = y.counters().subscribe_offers;
  run_for(500ms);
  EXPECT_EQ(x.message_count("publish_answer"), 0u);
  EXPECT_EQ(y.message_count("track_published"), 0u);
  EXPECT_EQ(y.counters().subscribe_offers, y_offers);
  EXPECT_TRUE(y.tracks_by_participant().empty());
  EXPECT_TRUE(x.signaling_open());

  // And the participant can still publish properly afterwards.
  ASSERT_TRUE(x.publish());
  x.start_media();
  ASSERT_TRUE(run_until([&] {
    return x.publish_connected() && y.received_packets(x.participant_id(), sdp::MediaKind::kVideo) > 20;
  })) << describe(x)
      << "\n"
      << describe(y);
  EXPECT_EQ(y.message_count("track_published"), 1u);
  EXPECT_EQ(x.errors().size(), 1u);
  expect_clean_media(y);
  EXPECT_TRUE(x.failures().empty()) << describe(x);
}

TEST_F(Conference, ServerStopsWhileParticipantsAreConnected) {
  auto& a = add_client("stop", "ann");
  auto& b = add_client("stop", "ben");
  auto& c = add_client("stop", "cid");
  for (auto* p : {&a, &b, &c}) p->start_media();
  ASSERT_TRUE(run_until([&] {
    return receives_both_kinds_from(a, b.participant_id(), 5) &&
           receives_both_kinds_from(b, a.participant_id(), 5);
  })) << describe(a)
      << "\n"
      << describe(b);
  // Shut down as Server::run does on SIGTERM, with everyone still in the room.
  server_.stop();
  ASSERT_TRUE(
      run_until([&] { return a.signaling_closed() && b.signaling_closed() && c.signaling_closed(); }, 10s));
}

// A browser starts ICE on the subscribe connection while its answer is still on the way, so the
// server may see checks and a DTLS ClientHello before its worker has the answer (and with it the
// fingerprint to verify). Here the answer is held back long enough for the client to retransmit
// its ClientHello: the server must keep the handshake going until the answer arrives.
TEST_F(Conference, SubscribeAnswerArrivingAfterTheFirstDtlsPackets) {
  auto& a = add_client("late", "ada");
  auto& b = add_client("late", "bea",
                       [](ParticipantClient::Options& o) { o.first_subscribe_answer_delay_ms = 1500; });
  a.start_media();
  ASSERT_TRUE(run_until([&] {
    return receives_both_kinds_from(b, a.participant_id(), 20) || !b.errors().empty();
  })) << describe(b);
  expect_clean_media(b);
  EXPECT_TRUE(b.signaling_open());
  EXPECT_EQ(b.counters().subscribe_answers_sent, 1u);
}

// Audit row 25: closing one of its peer connections (the browser sends a DTLS close_notify) removes
// the participant as a failed connection does (docs/protocol.md 3.4), at once rather than when its
// consent expires.
TEST_F(Conference, ClosingTheSubscribeConnectionRemovesTheParticipant) {
  auto& a = add_client("close", "ada");
  auto& b = add_client("close", "bea");
  a.start_media();
  ASSERT_TRUE(run_until([&] { return receives_both_kinds_from(b, a.participant_id(), 5); })) << describe(b);
  std::string b_id = b.participant_id();
  b.subscribe_connection().close();
  ASSERT_TRUE(run_until([&] { return a.message_count("participant_left") > 0; }, 10s)) << describe(a);
  EXPECT_EQ(a.participants().count(b_id), 0u);
  ASSERT_TRUE(run_until([&] { return !b.errors().empty(); }, 5s)) << describe(b);
  EXPECT_EQ(b.errors().front().value("code", ""), "connection_lost");
  EXPECT_EQ(b.errors().front().value("message", ""),
            "media connection lost: subscribe connection: dtls: closed by peer");
  EXPECT_TRUE(run_until([&] { return b.signaling_closed(); }, 10s));
  EXPECT_EQ(server_.worker().transport_count(), 2u) << "Bea's two transports were freed";
}

}  // namespace

// RFC 7675 consent freshness: a participant whose network vanishes (no more ICE checks, while
// its signaling stays open) is removed by the server, the others see it leave, and it is told.
class ConferenceShortConsent : public Conference {
 protected:
  void configure(config::Config& config) override { config.rtc.consent_timeout_s = 10; }  // the least allowed
};

TEST_F(ConferenceShortConsent, ParticipantWhoseNetworkVanishesIsRemoved) {
  auto& alice = add_client("consent", "Alice");
  auto& bob = add_client("consent", "Bob");
  alice.start_media();
  bob.start_media();
  ASSERT_TRUE(run_until([&] { return receives_both_kinds_from(alice, bob.participant_id(), 5); }))
      << describe(alice);
  std::string bob_id = bob.participant_id();
  bob.stop_media();
  bob.publish_connection().drop_network();
  bob.subscribe_connection().drop_network();
  auto started = std::chrono::steady_clock::now();
  // Within the consent timeout plus the 10 s the server allows itself.
  ASSERT_TRUE(run_until([&] { return alice.message_count("participant_left") > 0; }, 10s + 10s))
      << describe(alice);
  EXPECT_EQ(alice.participants().count(bob_id), 0u);
  EXPECT_GE(std::chrono::steady_clock::now() - started, 9s)
      << "removed before its consent could have expired";
  // Bob's signaling is told why, then closed.
  ASSERT_TRUE(run_until([&] { return !bob.errors().empty(); }, 5s)) << describe(bob);
  EXPECT_EQ(bob.errors().front().value("code", ""), "connection_lost");
  EXPECT_NE(bob.errors().front().value("message", "").find("consent"), std::string::npos)
      << bob.errors().front().dump();
  EXPECT_TRUE(run_until([&] { return bob.signaling_closed(); }, 10s));
  EXPECT_EQ(server_.worker().transport_count(), 2u) << "Bob's two transports were freed";
}
