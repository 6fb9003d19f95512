// The pacer end to end (conference_fixture.h: the whole server in-process, clients with real ICE,
// DTLS and SRTP on loopback). The publisher sends video in bursts of 10 packets, 5 frames a
// second; the subscriber sends REMB only, so the test sets its estimate. Before any estimate a
// burst arrives back to back; once the estimate is 300 kbit/s (a pacing rate of 750 kbit/s) each
// burst arrives spread over the paced interval, with nothing lost, and /metrics and REST show
// the paced packets. A queue too small for the bursts drops its oldest video, counted.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdio>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "rtp/rtcp_builder.h"
#include "tests/integration/conference_fixture.h"
#include "tests/integration/subscriber_feedback.h"
#include "tests/unit/control/http_test_client.h"

using namespace sfu;
using namespace std::chrono_literals;
using client::ParticipantClient;
using conference_test::Conference;

namespace {

constexpr int kBurstPackets = 10;

class Pacing : public Conference {
 protected:
  ParticipantClient* alice = nullptr;
  ParticipantClient* bob = nullptr;
  // Per frame (RTP timestamp): when its first and last packets arrived, and how many did.
  struct FrameArrival {
    int64_t first_us = 0, last_us = 0;
    int packets = 0;
  };
  std::map<uint32_t, FrameArrival> frames_;

  void configure(config::Config& config) override {
    config.bandwidth.pacing = true;
    config.bandwidth.allocation = false;  // every packet is forwarded, whatever the estimate
  }

  void start_room() {
    alice = &add_client("pace", "alice", [](ParticipantClient::Options& o) {
      o.publish_audio = false;
      o.video_packets_per_frame = kBurstPackets;
      o.video_fps = 5;
    });
    bob = &add_client("pace", "bob", [this](ParticipantClient::Options& o) {
      o.publish_audio = false;
      o.publish_video = false;
      o.alter_subscribe_answer = [](sdp::SessionDescription& answer) {
        for (auto& m : answer.media)
          std::erase_if(m.extmaps, [](const sdp::Extmap& e) { return e.uri == sdp::kExtTransportCc; });
      };
      o.on_subscribed_video = [this](const rtp::RtpPacket& packet) {
        const auto now = static_cast<int64_t>(uv_hrtime() / 1000);
        FrameArrival& frame = frames_[packet.timestamp()];
        if (frame.packets++ == 0) frame.first_us = now;
        frame.last_us = now;
      };
    });
    alice->start_media();
    ASSERT_TRUE(run_until([&] { return from_alice().video_packets > 30; })) << describe(*bob);
  }
  ParticipantClient::ReceivedMedia from_alice() const { return bob->received_from(alice->participant_id()); }
  void remb(uint64_t bps) { conference_test::send_remb(*bob, bps); }
  // The median time from a burst's first packet to its last, over `count` complete frames
  // received from now on.
  int64_t median_burst_spread_us(size_t count) {
    frames_.clear();
    auto complete = [&] {
      std::vector<int64_t> spreads;
      for (const auto& [timestamp, frame] : frames_)
        if (frame.packets == kBurstPackets) spreads.push_back(frame.last_us - frame.first_us);
      return spreads;
    };
    EXPECT_TRUE(run_until([&] { return complete().size() >= count + 1; }, 10s)) << describe(*bob);
    std::vector<int64_t> spreads = complete();
    if (spreads.empty()) return 0;
    std::sort(spreads.begin(), spreads.end());
    return spreads[spreads.size() / 2];
  }

  http_test::Response http(const std::string& method, const std::string& path) {
    return conference_test::http_while_pumping(server_.http_port(), method, path,
                                               [this](auto done) { return run_until(done); });
  }
};

TEST_F(Pacing, SpreadsABurstOverThePacedIntervalAndLosesNothing) {
  start_room();
  // No estimate yet (no REMB so far): packets go out as they come, a burst back to back.
  const int64_t unpaced = median_burst_spread_us(5);
  EXPECT_EQ(server_.worker().bandwidth_counters().paced_packets(), 0u);

  // 300 kbit/s x 2.5 = 93.75 bytes/ms. A burst is 10 packets of about 1080 bytes: the burst
  // allowance (40 ms, 3750 bytes) lets the first 4 out at once, the other 6 take about 75 ms.
  remb(300'000);
  run_for(500ms);
  const int64_t paced = median_burst_spread_us(5);
  std::printf("[pacing] median spread of a %d-packet burst: %.1f ms unpaced, %.1f ms paced\n", kBurstPackets,
              static_cast<double>(unpaced) / 1000, static_cast<double>(paced) / 1000);
  EXPECT_GE(paced, 50'000);
  EXPECT_LE(paced, 150'000);
  EXPECT_GE(paced, unpaced + 30'000);

  // Nothing lost: every sequence number arrived, nothing dropped or flushed.
  EXPECT_EQ(from_alice().video_sequence_gaps, 0u);
  EXPECT_EQ(bob->missing_packets(alice->participant_id(), sdp::MediaKind::kVideo), 0u);
  EXPECT_EQ(server_.worker().drops().get(DropReason::PacerQueueFull), 0u);
  EXPECT_EQ(server_.worker().bandwidth_counters().pacer_flushed(), 0u);
  EXPECT_GT(server_.worker().bandwidth_counters().paced_packets(), 5u * 6);

  auto metrics = http("GET", "/metrics");
  ASSERT_EQ(metrics.status, 200);
  EXPECT_NE(metrics.body.find("sfu_pacer_paced_packets_total{worker=\"0\"} "), std::string::npos);
  EXPECT_EQ(metrics.body.find("sfu_pacer_paced_packets_total{worker=\"0\"} 0\n"), std::string::npos);
  EXPECT_NE(metrics.body.find("sfu_dropped_packets_total{worker=\"0\",reason=\"pacer_queue_full\"} 0\n"),
            std::string::npos);
  auto room = nlohmann::json::parse(http("GET", "/v1/rooms/pace").body, nullptr, false);
  ASSERT_FALSE(room.is_discarded());
  nlohmann::json bandwidth;
  for (const auto& p : room["participants"])
    if (p["id"] == bob->participant_id()) bandwidth = p["bandwidth"];
  ASSERT_TRUE(bandwidth.is_object()) << room.dump();
  EXPECT_EQ(bandwidth["pacing_rate_bps"].get<uint64_t>(), 750'000u) << bandwidth.dump();
  EXPECT_GT(bandwidth["paced_packets"].get<uint64_t>(), 0u) << bandwidth.dump();
  EXPECT_LE(bandwidth["pacer_queue_packets"].get<uint64_t>(), uint64_t{kBurstPackets});
}

class PacingSmallQueue : public Pacing {
 protected:
  void configure(config::Config& config) override {
    Pacing::configure(config);
    config.bandwidth.pacer_queue_packets = 16;
    config.bandwidth.pacer_max_delay_ms = 10'000;  // only the queue's size bounds it here
  }
};

TEST_F(PacingSmallQueue, DropsTheOldestVideoWhenFullAndCountsIt) {
  start_room();
  // 40 kbit/s x 2.5: 12.5 bytes/ms against about 54 bytes/ms of video: the queue fills.
  remb(40'000);
  ASSERT_TRUE(run_until([&] { return server_.worker().drops().get(DropReason::PacerQueueFull) > 20; }, 10s));
  EXPECT_EQ(server_.worker().bandwidth_counters().pacer_flushed(), 0u);
  EXPECT_GT(server_.worker().bandwidth_counters().paced_packets(), 0u);
  // What was dropped is missing at the subscriber (it would NACK it): the pacer did not send it.
  EXPECT_GT(bob->missing_packets(alice->participant_id(), sdp::MediaKind::kVideo), 0u);
  auto metrics = http("GET", "/metrics");
  EXPECT_EQ(metrics.body.find("sfu_dropped_packets_total{worker=\"0\",reason=\"pacer_queue_full\"} 0\n"),
            std::string::npos);
}

}  // namespace
