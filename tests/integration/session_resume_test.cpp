// Session resume end to end (docs/protocol.md, "Session resume"): the whole server in-process and
// participants with real ICE, DTLS and SRTP media (conference_fixture.h). A participant's signaling
// WebSocket is dropped (TCP reset, no close frame); its media keeps flowing both ways while it is
// away, nobody sees it leave, and a `resume` with its token on a new WebSocket takes it back with
// the same id, its tracks and subscriptions, and what happened meanwhile. Forged tokens and an
// expired grace are refused and counted; once the grace runs out the others see it leave.
#include <gtest/gtest.h>

#include <chrono>
#include <iostream>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "tests/integration/conference_fixture.h"
#include "tests/unit/control/http_test_client.h"

namespace sfu::conference_test {
namespace {

using json = nlohmann::json;
using Clock = std::chrono::steady_clock;

int64_t ms_since(Clock::time_point start) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start).count();
}

class SessionResume : public Conference {
 protected:
  // One sample of /metrics ("name{labels}"), or -1 when it is missing.
  int64_t metric(const std::string& sample) {
    http_test::Socket socket(server_.http_port());
    std::string request =
        "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(server_.http_port()) + "\r\n\r\n";
    if (!socket.ok() || !socket.send_all(request)) return -1;
    auto response = http_test::read_response(socket);
    if (!response) return -1;
    size_t at = response->body.find("\n" + sample + " ");
    if (at == std::string::npos) return -1;
    return std::stoll(response->body.substr(at + sample.size() + 2));
  }
  int64_t resumes(const std::string& result) {
    return metric("sfu_resumes_total{result=\"" + result + "\"}");
  }

  // A `resume` on a fresh WebSocket of its own, and the server's answer.
  json resume_on_new_socket(const std::string& room, const std::string& participant_id,
                            const std::string& token) {
    http_test::WsClient ws(server_.http_port());
    if (!ws.handshake()) return json::value_t::discarded;
    ws.send_text(
        json{{"type", "resume"}, {"room", room}, {"participant_id", participant_id}, {"resume_token", token}}
            .dump());
    auto message = ws.read_message();
    if (!message || message->opcode != 0x1) return json::value_t::discarded;
    return json::parse(message->payload, nullptr, false);
  }

  static uint64_t media_from(const ParticipantClient& c, const std::string& source) {
    auto media = c.received_from(source);
    return media.audio_packets + media.video_packets;
  }
};

TEST_F(SessionResume, ADroppedWebSocketResumesWithTheSameIdTracksAndMediaAndMissesNothing) {
  auto& alice = add_client("resume", "Alice");
  auto& bob = add_client("resume", "Bob");
  alice.start_media();
  bob.start_media();
  ASSERT_TRUE(run_until([&] {
    return receives_both_kinds_from(alice, bob.participant_id(), 5) &&
           receives_both_kinds_from(bob, alice.participant_id(), 5);
  })) << describe(alice)
      << "\n"
      << describe(bob);
  const std::string bob_id = bob.participant_id();
  const std::string first_token = bob.resume_token();
  ASSERT_FALSE(first_token.empty()) << "joined carries a resume_token";

  bob.drop_signaling();
  const auto dropped_at = Clock::now();
  const auto bob_audio_tracks = alice.received_from(bob_id).audio_packets;
  const auto bob_video_tracks = alice.received_from(bob_id).video_packets;
  const uint64_t bob_got_from_alice = media_from(bob, alice.participant_id());
  // Carol joins and publishes while Bob is away: Bob's old socket would have been told, the new
  // one must be.
  auto& carol = add_client("resume", "Carol");
  carol.start_media();
  ASSERT_TRUE(run_until([&] { return receives_both_kinds_from(alice, carol.participant_id(), 5); }))
      << describe(alice);
  const std::string carol_id = carol.participant_id();
  run_until([&] { return ms_since(dropped_at) >= 3000; });

  // Over the 3 s gap Bob's tracks kept reaching Alice (about 50 audio packets and 90 video packets
  // a second), and Alice's kept reaching Bob.
  const uint64_t audio_over_gap = alice.received_from(bob_id).audio_packets - bob_audio_tracks;
  const uint64_t video_over_gap = alice.received_from(bob_id).video_packets - bob_video_tracks;
  EXPECT_GT(audio_over_gap, 50u) << describe(alice);
  EXPECT_GT(video_over_gap, 50u) << describe(alice);
  EXPECT_GT(media_from(bob, alice.participant_id()), bob_got_from_alice + 100) << describe(bob);
  EXPECT_EQ(metric("sfu_participants_detached"), 1);

  const auto resume_started = Clock::now();
  const int64_t gap_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(resume_started - dropped_at).count();
  std::string error;
  ASSERT_TRUE(bob.resume(std::nullopt, &error)) << error;
  ASSERT_TRUE(run_until([&] { return bob.message_count("resumed") == 1; }, 10s)) << describe(bob);
  const int64_t resumed_ms = ms_since(resume_started);
  EXPECT_EQ(bob.participant_id(), bob_id);
  EXPECT_FALSE(bob.resume_token().empty());
  EXPECT_NE(bob.resume_token(), first_token) << "a new token on every resume";
  EXPECT_EQ(bob.participants().count(alice.participant_id()), 1u);
  ASSERT_EQ(bob.participants().count(carol_id), 1u) << "resumed lists who joined meanwhile";
  EXPECT_EQ(bob.tracks_by_participant().at(carol_id).size(), 2u) << "... with the tracks she published";

  // The subscribe offer with Carol's tracks went to Bob's lost socket: a fresh one follows the
  // resume, and Carol's media reaches Bob.
  ASSERT_TRUE(run_until([&] { return receives_both_kinds_from(bob, carol_id, 5); })) << describe(bob);
  const int64_t carol_media_ms = ms_since(resume_started);
  EXPECT_TRUE(receives_both_kinds_from(carol, bob_id, 0)) << describe(carol);

  for (const ParticipantClient* other : {&alice, &carol}) {
    EXPECT_EQ(other->message_count("participant_left"), 0u) << describe(*other);
    EXPECT_EQ(other->participants().count(bob_id), 1u);
  }
  EXPECT_EQ(alice.message_count("participant_joined"), 2u) << "Bob and Carol once each, no rejoin";
  expect_clean_media(alice);
  expect_clean_media(bob);
  expect_clean_media(carol);
  EXPECT_EQ(resumes("ok"), 1);
  EXPECT_EQ(metric("sfu_participants_detached"), 0);
  EXPECT_EQ(server_.worker().transport_count(), 6u) << "nobody's connections were replaced";
  std::cout << "[ metric ] websocket dropped for " << gap_ms << " ms: resume -> resumed " << resumed_ms
            << " ms, resume -> media of a participant who "
            << "joined meanwhile " << carol_media_ms << " ms; media during the gap: " << audio_over_gap
            << " audio + " << video_over_gap << " video packets of Bob at Alice\n";
}

// The old socket may still look open to the server (a half-open TCP connection): a resume on a new
// one wins, and the old one is closed with 4001 so that its client does not come back.
TEST_F(SessionResume, AResumeOnASecondSocketClosesTheFirstWith4001) {
  auto& alice = add_client("takeover", "Alice");
  auto& bob = add_client("takeover", "Bob");
  bob.start_media();
  ASSERT_TRUE(run_until([&] { return receives_both_kinds_from(alice, bob.participant_id(), 5); }))
      << describe(alice);
  http_test::WsClient second(server_.http_port());
  ASSERT_TRUE(second.handshake());
  second.send_text(json{{"type", "resume"},
                        {"room", "takeover"},
                        {"participant_id", bob.participant_id()},
                        {"resume_token", bob.resume_token()}}
                       .dump());
  auto answer = second.read_message();
  ASSERT_TRUE(answer.has_value());
  json resumed = json::parse(answer->payload, nullptr, false);
  EXPECT_EQ(resumed.value("type", ""), "resumed") << answer->payload;
  EXPECT_EQ(resumed.value("participant_id", ""), bob.participant_id());
  ASSERT_TRUE(run_until([&] { return bob.signaling_closed(); }, 10s)) << describe(bob);
  EXPECT_EQ(bob.close_code(), 4001);
  const uint64_t before = media_from(alice, bob.participant_id());
  run_for(500ms);
  EXPECT_GT(media_from(alice, bob.participant_id()), before) << "Bob's media goes on";
  EXPECT_EQ(alice.message_count("participant_left"), 0u);
  EXPECT_EQ(resumes("ok"), 1);
}

class ShortResumeGrace : public SessionResume {
  void configure(config::Config& config) override { config.signaling.resume_grace_s = 2; }
};

TEST_F(ShortResumeGrace, ForgedTokensAndAnExpiredGraceAreRefusedAndCountedAndTheOthersSeeALeave) {
  auto& alice = add_client("grace", "Alice");
  auto& bob = add_client("grace", "Bob");
  bob.start_media();
  ASSERT_TRUE(run_until([&] { return receives_both_kinds_from(alice, bob.participant_id(), 5); }))
      << describe(alice);
  const std::string bob_id = bob.participant_id();
  bob.drop_signaling();
  const auto dropped_at = Clock::now();

  json forged = resume_on_new_socket("grace", bob_id, alice.resume_token());
  EXPECT_EQ(forged.value("type", ""), "error") << forged;
  EXPECT_EQ(forged.value("code", ""), "resume_failed") << forged;
  EXPECT_EQ(forged.value("request_type", ""), "resume") << forged;
  EXPECT_EQ(resume_on_new_socket("grace", bob_id, std::string(43, 'x')).value("code", ""), "resume_failed");
  EXPECT_EQ(resumes("bad_token"), 2);
  EXPECT_EQ(alice.message_count("participant_left"), 0u) << "a forged resume changes nothing";

  ASSERT_TRUE(run_until([&] { return alice.message_count("participant_left") == 1; }, 20s))
      << describe(alice);
  const int64_t left_after_ms = ms_since(dropped_at);
  EXPECT_GE(left_after_ms, 1900) << "left before its grace ran out";
  const json* left = nullptr;
  for (const auto& m : alice.messages())
    if (m.value("type", "") == "participant_left") left = &m;
  ASSERT_NE(left, nullptr);
  EXPECT_EQ(left->value("participant_id", ""), bob_id);
  EXPECT_EQ(left->value("reason", ""), "resume grace expired");
  EXPECT_EQ(alice.participants().count(bob_id), 0u);
  EXPECT_EQ(metric("sfu_resume_grace_expired_total"), 1);

  // Too late: the real token is worthless now.
  std::string error;
  ASSERT_TRUE(bob.resume(std::nullopt, &error)) << error;
  ASSERT_TRUE(run_until([&] { return !bob.errors().empty(); }, 10s)) << describe(bob);
  EXPECT_EQ(bob.errors().back().value("code", ""), "resume_failed") << bob.errors().back();
  EXPECT_NE(bob.errors().back().value("message", "").find("resume grace of 2 s ran out"), std::string::npos)
      << bob.errors().back();
  EXPECT_EQ(resumes("expired"), 1);
  EXPECT_EQ(resumes("ok"), 0);
  EXPECT_TRUE(run_until([&] { return server_.worker().transport_count() == 2; }, 10s))
      << "Bob's transports were freed";
  std::cout << "[ metric ] resume grace 2 s: the others saw participant_left " << left_after_ms
            << " ms after the WebSocket dropped\n";
}

}  // namespace
}  // namespace sfu::conference_test
