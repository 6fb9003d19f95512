#include "bench/bench_options.h"

#include <gtest/gtest.h>

#include "bench/proc_stats.h"
#include "bench/server_process.h"

namespace sfu::bench {
namespace {

TEST(BenchOptions, DefaultsAndScenarioFlags) {
  auto parsed =
      parse_bench_options({"--rooms", "10", "--publishers", "2", "--subscribers", "20", "--duration=3",
                           "--video-pps", "1000", "--no-audio", "--json", "out.json", "--baseline"});
  ASSERT_TRUE(std::holds_alternative<BenchOptions>(parsed)) << std::get<std::string>(parsed);
  const auto& o = std::get<BenchOptions>(parsed);
  EXPECT_EQ(o.scenario.rooms, 10u);
  EXPECT_EQ(o.scenario.publishers, 2u);
  EXPECT_EQ(o.scenario.subscribers, 20u);
  EXPECT_EQ(o.scenario.duration_s, 3.0);
  EXPECT_EQ(o.scenario.video_pps, 1000u);
  EXPECT_FALSE(o.scenario.audio);
  EXPECT_EQ(o.json_path, "out.json");
  EXPECT_TRUE(o.baseline);
  EXPECT_FALSE(o.tcp);
  EXPECT_FALSE(o.scenario.ice_tcp);
  EXPECT_EQ(o.workers, 1u);
  EXPECT_EQ(o.target, "sfu");
  // 10 rooms x 2 publishers x 1 kind x (20 + 1) receivers.
  EXPECT_EQ(o.scenario.down_tracks(), 420u);
  EXPECT_DOUBLE_EQ(o.scenario.offered_forward_pps(), 10 * 2 * 1000.0 * 21);
}

// --tcp: the SFU run over UDP, then the same load over ICE-TCP (main.cpp sets Scenario::ice_tcp for
// the second run).
TEST(BenchOptions, TcpComparesIceTcpWithUdp) {
  auto parsed = parse_bench_options({"--tcp", "--publishers", "3"});
  ASSERT_TRUE(std::holds_alternative<BenchOptions>(parsed)) << std::get<std::string>(parsed);
  EXPECT_TRUE(std::get<BenchOptions>(parsed).tcp);
  EXPECT_FALSE(std::get<BenchOptions>(parsed).scenario.ice_tcp) << "the first run stays on UDP";
}

// --span-url: more nodes of a cluster for each room (needs --url; repeatable, in order).
TEST(BenchOptions, SpanUrlsAddClusterNodesToUrl) {
  auto parsed =
      parse_bench_options({"--url", "ws://127.0.0.1:8081/v1/rtc", "--span-url", "ws://127.0.0.1:8082/v1/rtc",
                           "--span-url", "ws://127.0.0.1:8083/v1/rtc"});
  ASSERT_TRUE(std::holds_alternative<BenchOptions>(parsed)) << std::get<std::string>(parsed);
  EXPECT_EQ(std::get<BenchOptions>(parsed).span_urls,
            (std::vector<std::string>{"ws://127.0.0.1:8082/v1/rtc", "ws://127.0.0.1:8083/v1/rtc"}));
}

// --simulcast: the plain SFU run, then the same scenario with simulcast publishers (main.cpp sets
// Scenario::simulcast for the second run).
TEST(BenchOptions, SimulcastComparesWithPlainForwarding) {
  auto parsed = parse_bench_options({"--simulcast", "--subscribers", "12"});
  ASSERT_TRUE(std::holds_alternative<BenchOptions>(parsed)) << std::get<std::string>(parsed);
  const BenchOptions& o = std::get<BenchOptions>(parsed);
  EXPECT_TRUE(o.simulcast);
  EXPECT_FALSE(o.scenario.simulcast) << "the first run is plain";
  EXPECT_FALSE(o.scenario.simulcast_fault);
  Scenario s = o.scenario;
  s.simulcast = true;
  // Publishers receive f; subscriber k asks for layer k % 3.
  EXPECT_EQ(s.receiver_layer(0), 2u);
  EXPECT_EQ(s.receiver_layer(2), 0u);
  EXPECT_EQ(s.receiver_layer(3), 1u);
  EXPECT_EQ(s.receiver_layer(13), 2u);
  // 2 publishers x 500 pps: each other at f (500), 4 subscribers each at q (125), h (250), f (500),
  // plus 50 pps of audio to everyone.
  Scenario plain = o.scenario;
  EXPECT_DOUBLE_EQ(plain.offered_forward_pps(), 2 * 550.0 * 13);
  EXPECT_DOUBLE_EQ(s.offered_forward_pps(), 2 * 550.0 + 2 * 50.0 * 12 + 2 * 4 * (125.0 + 250.0 + 500.0));
  auto fault = parse_bench_options({"--simulcast", "--simulcast-test-fault"});
  ASSERT_TRUE(std::holds_alternative<BenchOptions>(fault)) << std::get<std::string>(fault);
  EXPECT_TRUE(std::get<BenchOptions>(fault).scenario.simulcast_fault);
}

TEST(BenchOptions, DataChannelFlags) {
  auto parsed = parse_bench_options({"--data-rate", "200", "--data-size", "16384", "--video-pps", "0",
                                     "--no-audio", "--publishers", "4", "--subscribers", "8"});
  ASSERT_TRUE(std::holds_alternative<BenchOptions>(parsed)) << std::get<std::string>(parsed);
  const Scenario& s = std::get<BenchOptions>(parsed).scenario;
  EXPECT_TRUE(s.data());
  EXPECT_EQ(s.data_rate, 200u);
  EXPECT_EQ(s.data_size, 16384u);
  EXPECT_EQ(s.data_fault, DataFault::kNone);
  // 4 publishers x 2 channels x 200 msg/s, each to 8 subscribers + 3 other publishers.
  EXPECT_DOUBLE_EQ(s.offered_data_relay_per_s(), 4 * 2 * 200.0 * 11);
  EXPECT_EQ(s.participants(), 12u);

  auto faulty = parse_bench_options({"--data-rate", "50", "--data-test-fault", "reorder"});
  ASSERT_TRUE(std::holds_alternative<BenchOptions>(faulty)) << std::get<std::string>(faulty);
  EXPECT_EQ(std::get<BenchOptions>(faulty).scenario.data_fault, DataFault::kReorder);
  // Without --data-rate there is no data load (and the media defaults stay).
  auto media = parse_bench_options({});
  ASSERT_TRUE(std::holds_alternative<BenchOptions>(media));
  EXPECT_FALSE(std::get<BenchOptions>(media).scenario.data());
}

TEST(BenchOptions, BadInputIsRefusedWithAReason) {
  for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
           {"--rooms"},
           {"--rooms", "x"},
           {"--rooms", "0"},
           {"--bogus"},
           {"--target", "mediasoup"},
           {"--srtp-profile", "none"},
           {"--packet-size", "20"},
           {"--video-pps", "0", "--no-audio"},
           {"--url", "ws://nohost/v1/rtc"},
           {"--span-url", "ws://127.0.0.1:8082/v1/rtc"},
           {"--url", "ws://127.0.0.1:8081/v1/rtc", "--span-url", "ws://b/v1/rtc"},
           {"--duration", "-1"},
           {"--ramp-factor", "1"},
           {"--workers", "0"},
           {"--data-rate", "-5"},
           {"--data-rate", "10", "--data-size", "19"},
           {"--data-rate", "10", "--data-size", "262145"},
           {"--data-rate", "10", "--data-test-fault", "loss"},
           {"--data-rate", "10", "--baseline"},
           {"--data-rate", "10", "--target", "janus"},
           {"--tcp", "--target", "janus"},
           {"--tcp", "--ramp"},
           {"--simulcast", "--ramp"},
           {"--simulcast", "--baseline"},
           {"--simulcast", "--tcp"},
           {"--simulcast", "--target", "janus"},
           {"--simulcast", "--data-rate", "10"},
           {"--simulcast", "--packet-size", "80"},
           {"--simulcast", "--video-pps", "3"},
           {"--simulcast-test-fault"},
           {"--video-pps", "0", "--no-audio", "--data-rate", "0"}}) {
    auto parsed = parse_bench_options(args);
    ASSERT_TRUE(std::holds_alternative<std::string>(parsed)) << args[0];
    EXPECT_FALSE(std::get<std::string>(parsed).empty());
  }
}

TEST(BenchOptions, Urls) {
  std::string host, path;
  uint16_t port = 0;
  ASSERT_TRUE(parse_url("ws://127.0.0.1:8080/v1/rtc", &host, &port, &path));
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 8080);
  EXPECT_EQ(path, "/v1/rtc");
  ASSERT_TRUE(parse_url("http://[::1]:9000", &host, &port, &path));
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, 9000);
  EXPECT_EQ(path, "/v1/rtc");
  EXPECT_FALSE(parse_url("ws://127.0.0.1/v1/rtc", &host, &port, &path));
  EXPECT_FALSE(parse_url("ws://127.0.0.1:0", &host, &port, &path));
  EXPECT_FALSE(parse_url("ws://127.0.0.1:99999", &host, &port, &path));
}

TEST(ProcStats, ParsesStatWithAwkwardThreadNames) {
  auto cpu = parse_stat("4242 (sfu worker) 0) R 1 2 3 4 5 6 7 8 9 10 150 50 0 0 20 0 3 0");
  ASSERT_TRUE(cpu);
  EXPECT_EQ(cpu->tid, 4242);
  EXPECT_EQ(cpu->name, "sfu worker) 0");
  EXPECT_EQ(cpu->cpu_ns, static_cast<uint64_t>(200 * 1e9 / clock_ticks_per_second()));
  EXPECT_FALSE(parse_stat(""));
  EXPECT_FALSE(parse_stat("12 (x) R 1 2"));
  EXPECT_FALSE(parse_stat("x (y) R 1 2 3 4 5 6 7 8 9 10 150 50"));
}

TEST(ProcStats, ReadsThisProcess) {
  auto threads = read_thread_cpu(getpid());
  ASSERT_FALSE(threads.empty());
  EXPECT_EQ(threads.front().tid, getpid());
  EXPECT_GT(read_rss_bytes(getpid()), 0u);
  auto use =
      cpu_use_between({{1, "a", 1'000'000'000}}, {{1, "a", 1'500'000'000}, {2, "b", 250'000'000}}, 1.0);
  ASSERT_EQ(use.size(), 2u);
  EXPECT_DOUBLE_EQ(use[0].percent, 50.0);
  EXPECT_DOUBLE_EQ(use[1].percent, 25.0);
}

TEST(ServerProcess, ConfigHasTheAskedWorkersAndPorts) {
  std::string yaml = server_config_yaml(18080, 41000, 42000, 3, "127.0.0.1", "warn", "limits:\n  rooms: 5\n");
  EXPECT_NE(yaml.find("listen: 127.0.0.1:18080"), std::string::npos);
  EXPECT_NE(yaml.find("workers: 3"), std::string::npos);
  EXPECT_NE(yaml.find("udp_port: 41000"), std::string::npos);
  EXPECT_NE(yaml.find("tcp_port: 42000"), std::string::npos);
  EXPECT_NE(yaml.find("tcp_max_pending_per_address: 100000"), std::string::npos);
  EXPECT_NE(yaml.find("announced_ip: 127.0.0.1"), std::string::npos);
  EXPECT_NE(yaml.find("rooms: 5"), std::string::npos);
  // The load comes from one address: the server's per-address connection cap must not apply.
  EXPECT_NE(yaml.find("max_connections_per_address: 1000000"), std::string::npos);
  EXPECT_NE(free_tcp_port("127.0.0.1"), 0);
  EXPECT_NE(free_udp_ports("127.0.0.1", 4), 0);
  EXPECT_NE(free_tcp_ports("127.0.0.1", 4), 0);
}

}  // namespace
}  // namespace sfu::bench
