// The whole generator on the raw baseline path: real sockets, client threads and the UDP
// reflector, in-process. No timing is asserted, only that the accounting adds up: nothing lost
// when nothing is dropped, and the injected loss when the reflector drops packets.
#include <gtest/gtest.h>

#include "bench/load_run.h"
#include "bench/udp_reflector.h"

namespace sfu::bench {
namespace {

Scenario small_scenario() {
  Scenario s;
  s.rooms = 2;
  s.publishers = 2;
  s.subscribers = 2;
  s.video_pps = 200;
  s.warmup_s = 0.2;
  s.duration_s = 1.0;
  s.client_threads = 2;
  s.progress = false;
  return s;
}

TEST(BenchRun, BaselineForwardsEverythingItIsGiven) {
  UdpReflector reflector;
  std::string error;
  ASSERT_TRUE(reflector.start(*SocketAddress::from_ip("127.0.0.1", 0), {}, &error)) << error;
  Target target;
  target.kind = Target::Kind::kUdpReflector;
  target.name = "baseline";
  target.reflector = reflector.address();
  target.own_threads = {reflector.thread_id()};
  Scenario s = small_scenario();
  RunResult r = run_load(s, target);
  reflector.stop();
  ASSERT_TRUE(r.ok) << r.error;
  // 2 rooms x 2 publishers x (200 video + 50 audio) pps, each to 3 receivers.
  EXPECT_EQ(s.down_tracks(), 2u * 2 * 2 * 3);
  EXPECT_GT(r.expected, 0u);
  EXPECT_EQ(r.received, r.expected);
  EXPECT_EQ(r.loss_ratio, 0.0);
  EXPECT_EQ(r.duplicates + r.unstamped + r.too_old, 0u);
  EXPECT_EQ(r.latency.count(), r.received);
  EXPECT_GT(r.forwarded_pps, 0.0);
  // Each packet sent in the window reaches 3 receivers.
  EXPECT_NEAR(r.forwarded_pps, 3 * r.sent_pps, 1e-6 * r.forwarded_pps);
  EXPECT_EQ(r.server_threads.size(), 1u);
  EXPECT_EQ(r.server_threads[0].name, "udp-reflector");
}

TEST(BenchRun, InjectedLossShowsInTheResult) {
  UdpReflector reflector;
  std::string error;
  ASSERT_TRUE(reflector.start(*SocketAddress::from_ip("127.0.0.1", 0), {}, &error)) << error;
  reflector.set_drop_every(20);  // 5 % of the media, before the fan-out
  Target target;
  target.kind = Target::Kind::kUdpReflector;
  target.name = "lossy";
  target.reflector = reflector.address();
  Scenario s = small_scenario();
  s.duration_s = 2.0;
  RunResult r = run_load(s, target);
  reflector.stop();
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_GT(r.expected, 1000u);
  // Which packets fall in the window shifts the count by a few: 5 % +- 1 %.
  EXPECT_NEAR(r.loss_ratio, 0.05, 0.01);
  EXPECT_EQ(r.received + static_cast<uint64_t>(r.loss_ratio * static_cast<double>(r.expected) + 0.5),
            r.expected);
}

TEST(BenchRun, UnreachableTargetFailsWithADescription) {
  // A reflector address nobody listens on: the participants never join.
  UdpReflector reflector;
  std::string error;
  ASSERT_TRUE(reflector.start(*SocketAddress::from_ip("127.0.0.1", 0), {}, &error)) << error;
  SocketAddress dead = reflector.address();
  reflector.stop();
  Target target;
  target.kind = Target::Kind::kUdpReflector;
  target.reflector = dead;
  Scenario s = small_scenario();
  s.connect_timeout_s = 0.5;
  RunResult r = run_load(s, target);
  EXPECT_FALSE(r.ok);
  EXPECT_NE(r.error.find("timed out"), std::string::npos) << r.error;
  EXPECT_NE(r.error.find("joined 0"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace sfu::bench
