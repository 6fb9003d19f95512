// The soak's verdict on the server's resources.
#include "bench/soak/resource_checks.h"

#include <gtest/gtest.h>

#include "bench/soak/soak_options.h"

namespace sfu::soak {
namespace {

ServerSnapshot snapshot(double rooms, double participants, uint64_t fds, uint64_t rss_kib) {
  ServerSnapshot s;
  s.alive = true;
  s.rooms = rooms;
  s.participants = participants;
  s.fds = fds;
  s.rss_kib = rss_kib;
  return s;
}

const ResourceCheck& find(const std::vector<ResourceCheck>& checks, const std::string& prefix) {
  for (const auto& c : checks)
    if (c.what.rfind(prefix, 0) == 0) return c;
  static ResourceCheck none;
  return none;
}

TEST(ResourceChecks, BackToStartPasses) {
  ServerSnapshot start = snapshot(0, 0, 24, 16000), warm = snapshot(0, 0, 25, 20000);
  ResourcePeaks peaks;
  auto checks = check_resources(start, warm, peaks, snapshot(0, 0, 25, 20999), 0.05);
  EXPECT_TRUE(all_ok(checks)) << render_resource_checks(checks);
}

TEST(ResourceChecks, GaugesAreComparedWithTheStartAndFdsWithTheWarmUp) {
  ServerSnapshot start = snapshot(0, 0, 24, 16000), warm = snapshot(1, 0, 25, 20000);
  ResourcePeaks peaks;
  auto checks = check_resources(start, warm, peaks, snapshot(1, 0, 24, 20000), 0.05);
  EXPECT_FALSE(find(checks, "rooms").ok);  // a room left over from the warm-up still counts
  EXPECT_TRUE(find(checks, "participants").ok);
  EXPECT_FALSE(find(checks, "open fds").ok);  // exactly, both ways
  EXPECT_FALSE(all_ok(checks));
}

TEST(ResourceChecks, RssMayGrowByTheToleranceOnlyAndMayShrink) {
  ServerSnapshot start = snapshot(0, 0, 24, 16000), warm = snapshot(0, 0, 24, 20000);
  ResourcePeaks peaks;
  EXPECT_FALSE(find(check_resources(start, warm, peaks, snapshot(0, 0, 24, 21001), 0.05), "RSS").ok);
  EXPECT_TRUE(find(check_resources(start, warm, peaks, snapshot(0, 0, 24, 12000), 0.05), "RSS").ok);
}

TEST(ResourceChecks, ADeadServerFailsEverything) {
  ServerSnapshot start = snapshot(0, 0, 24, 16000);
  ServerSnapshot dead;
  ResourcePeaks peaks;
  for (const auto& c : check_resources(start, start, peaks, dead, 0.05)) EXPECT_FALSE(c.ok) << c.what;
}

TEST(SoakOptions, ParsesEachCommand) {
  auto soak = parse_soak_command({"soak", "--url", "ws://127.0.0.1:8080/v1/rtc", "--server-pid", "42",
                                  "--cycles=50", "--rss-tolerance-pct", "10"});
  ASSERT_TRUE(std::holds_alternative<SoakCommand>(soak)) << std::get<std::string>(soak);
  const SoakCommand& s = std::get<SoakCommand>(soak);
  EXPECT_EQ(s.mode, SoakCommand::Mode::kSoak);
  EXPECT_EQ(s.soak.port, 8080);
  EXPECT_EQ(s.soak.server_pid, 42);
  EXPECT_EQ(s.soak.cycles, 50u);
  EXPECT_DOUBLE_EQ(s.soak.rss_tolerance, 0.10);

  auto fault = parse_soak_command({"fault", "--kind", "slowloris", "--url", "ws://127.0.0.1:9/v1/rtc",
                                   "--server-pid", "7", "--server-config", "x.yaml"});
  ASSERT_TRUE(std::holds_alternative<SoakCommand>(fault)) << std::get<std::string>(fault);
  EXPECT_EQ(std::get<SoakCommand>(fault).fault.kind, FaultKind::kSlowloris);

  EXPECT_TRUE(std::holds_alternative<std::string>(parse_soak_command({"soak", "--cycles", "5"})));
  EXPECT_TRUE(std::holds_alternative<std::string>(parse_soak_command({"fault", "--kind", "meteor"})));
  EXPECT_TRUE(std::holds_alternative<std::string>(parse_soak_command({"dance"})));
}

}  // namespace
}  // namespace sfu::soak
