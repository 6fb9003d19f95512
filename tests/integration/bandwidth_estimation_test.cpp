// The server's send-side bandwidth estimate toward each subscriber, end to end (conference_fixture.h:
// the whole server in-process, clients with real ICE, DTLS and SRTP on loopback). The subscribe
// offer gives transport-cc (extension and rtcp-fb); the server stamps its own transport-wide
// sequence numbers into what it forwards; the client records arrivals and answers with
// transport-cc feedback every 50 ms, as a browser does; the estimate shows in GET /v1/rooms/{name}
// and /metrics. A client that accepts no transport-cc and sends REMB gets its REMB value.
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <future>
#include <nlohmann/json.hpp>
#include <string>

#include "rtp/rtcp_builder.h"
#include "tests/integration/conference_fixture.h"
#include "tests/integration/subscriber_feedback.h"
#include "tests/unit/control/http_test_client.h"

using namespace sfu;
using namespace std::chrono_literals;
using client::ParticipantClient;
using conference_test::Conference;

namespace {

class BandwidthEstimation : public Conference {
 protected:
  // An HTTP request to the server from another thread, while this one pumps the clients.
  http_test::Response http(const std::string& method, const std::string& path) {
    return conference_test::http_while_pumping(server_.http_port(), method, path,
                                               [this](auto done) { return run_until(done); });
  }

  // The `bandwidth` object of `participant_id` in GET /v1/rooms/{room}; null when absent.
  nlohmann::json bandwidth_of(const std::string& room, const std::string& participant_id) {
    auto reply = http("GET", "/v1/rooms/" + room);
    EXPECT_EQ(reply.status, 200) << reply.body;
    auto body = nlohmann::json::parse(reply.body, nullptr, false);
    if (body.is_discarded()) return nullptr;
    for (const auto& p : body["participants"])
      if (p["id"] == participant_id) return p.value("bandwidth", nlohmann::json());
    return nullptr;
  }
};

TEST_F(BandwidthEstimation, SubscriberEstimateRisesToASaneValueOnLoopback) {
  auto& alice = add_client("bwe", "alice");
  auto& bob = add_client("bwe", "bob", [](ParticipantClient::Options& o) {
    o.publish_audio = false;
    o.publish_video = false;
  });
  ASSERT_TRUE(run_until([&] { return alice.joined() && bob.joined() && alice.publish_connected(); }))
      << describe(alice);
  alice.start_media();
  ASSERT_TRUE(run_until([&] { return receives_both_kinds_from(bob, alice.participant_id(), 50); }))
      << describe(bob);
  // The offer asked for transport-cc, and every forwarded packet carries the server's number.
  const auto& offer = *bob.last_subscribe_offer();
  for (const auto& m : offer.media) {
    if (m.kind == sdp::MediaKind::kApplication) continue;
    bool has_extension = false;
    for (const auto& e : m.extmaps) has_extension = has_extension || e.uri == sdp::kExtTransportCc;
    EXPECT_TRUE(has_extension) << m.mid;
    for (const auto& codec : m.codecs) {
      bool has_feedback = false;
      for (const auto& fb : codec.rtcp_fb) has_feedback = has_feedback || fb.type == "transport-cc";
      EXPECT_TRUE(has_feedback || codec.is_rtx()) << m.mid << " " << codec.name;
    }
  }
  // Media for a while: the estimate starts at 1 Mbit/s and follows what the link carries.
  const uint64_t video_before = bob.received_from(alice.participant_id()).video_bytes;
  const auto started = std::chrono::steady_clock::now();
  run_for(8s);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const auto received = bob.received_from(alice.participant_id());
  const double payload_bps = 8.0 * static_cast<double>(received.video_bytes - video_before) / seconds;
  EXPECT_GT(bob.counters().transport_cc_feedback_sent, 50u);
  expect_clean_media(bob);

  nlohmann::json bwe = bandwidth_of("bwe", bob.participant_id());
  ASSERT_TRUE(bwe.is_object()) << bwe.dump();
  std::printf("[bwe loopback] bob: %s (video payload received %.0f kbit/s)\n", bwe.dump().c_str(),
              payload_bps / 1000);
  EXPECT_EQ(bwe["source"], "transport-cc");
  EXPECT_GT(bwe["feedbacks"].get<uint64_t>(), 50u);
  ASSERT_TRUE(bwe["acknowledged_bps"].is_number());
  const double acknowledged = bwe["acknowledged_bps"].get<double>();
  const double estimate = bwe["estimate_bps"].get<double>();
  // What arrived, with headers: at least the video payload, at most twice it (audio is small).
  EXPECT_GT(acknowledged, payload_bps * 0.8);
  EXPECT_LT(acknowledged, payload_bps * 2.0);
  // Sane: not below what the link demonstrably carried (over-use would cut to 0.85 x that), and
  // not far above it: increases stop at 1.5 x the acknowledged rate + 10 kbit/s (of its peaks: the
  // rate a keyframe or a scheduling burst shows lasts in the estimate while nothing says over-use).
  EXPECT_GE(estimate, 0.85 * acknowledged);
  EXPECT_LE(estimate, 2.0 * acknowledged + 10'000);
  EXPECT_LT(bwe["loss"].get<double>(), 0.02);
  EXPECT_LT(bwe["rtt_ms"].get<uint64_t>(), 200u);
  // alice subscribes to nobody's media: no estimate for her.
  EXPECT_TRUE(bandwidth_of("bwe", alice.participant_id()).is_null());

  auto metrics = http("GET", "/metrics");
  ASSERT_EQ(metrics.status, 200);
  for (const char* absent : {"sfu_transport_cc_feedback_total{worker=\"0\",result=\"parsed\"} 0\n",
                             "sfu_subscriber_bwe_bps_count{worker=\"0\"} 0\n"})
    EXPECT_EQ(metrics.body.find(absent), std::string::npos) << absent;
  for (const char* present :
       {"sfu_transport_cc_feedback_total{worker=\"0\",result=\"malformed\"} 0\n",
        "sfu_bwe_unstamped_total{worker=\"0\"} 0\n", "sfu_bwe_overuse_total{worker=\"0\"}",
        "sfu_subscriber_bwe_bps_bucket{worker=\"0\",le=\"+Inf\"} 1\n",
        "sfu_subscriber_bwe_bps_count{worker=\"0\"} 1\n"})
    EXPECT_NE(metrics.body.find(present), std::string::npos) << present;
}

TEST_F(BandwidthEstimation, RembOnlySubscriberGetsItsRembValue) {
  auto& alice = add_client("remb", "alice");
  auto& bob = add_client("remb", "bob", [](ParticipantClient::Options& o) {
    o.publish_audio = false;
    o.publish_video = false;
    // A client that sends REMB and no transport-cc: it accepts no transport-cc extension.
    o.alter_subscribe_answer = [](sdp::SessionDescription& answer) {
      for (auto& m : answer.media)
        std::erase_if(m.extmaps, [](const sdp::Extmap& e) { return e.uri == sdp::kExtTransportCc; });
    };
  });
  ASSERT_TRUE(run_until([&] { return alice.joined() && bob.joined() && alice.publish_connected(); }));
  alice.start_media();
  ASSERT_TRUE(run_until([&] { return receives_both_kinds_from(bob, alice.participant_id(), 50); }))
      << describe(bob);
  nlohmann::json bwe = bandwidth_of("remb", bob.participant_id());
  ASSERT_TRUE(bwe.is_object());
  EXPECT_EQ(bwe["source"], "none");
  std::array<uint8_t, 64> remb{};
  const uint32_t media_ssrc = bob.subscribed_media().front().ssrc;
  size_t size = rtp::build_remb(1, 750'000, std::span<const uint32_t>(&media_ssrc, 1), MutableByteSpan(remb));
  ASSERT_GT(size, 0u);
  ASSERT_TRUE(bob.subscribe_connection().send_rtcp(ByteSpan(remb.data(), size)));
  bob.subscribe_connection().flush();
  ASSERT_TRUE(run_until([&] { return bandwidth_of("remb", bob.participant_id())["source"] == "remb"; }, 10s));
  bwe = bandwidth_of("remb", bob.participant_id());
  EXPECT_EQ(bwe["estimate_bps"].get<uint64_t>(), 750'000u) << bwe.dump();
  EXPECT_EQ(bwe["remb_bps"].get<uint64_t>(), 750'000u);
  EXPECT_EQ(bob.counters().transport_cc_feedback_sent, 0u);  // nothing stamped, nothing to report
  expect_clean_media(bob);
}

}  // namespace
