// The server's candidate list for several announced addresses: RFC 8445 section 5.1.2.1
// priorities with distinct local preferences in the configured order, RFC 6544 passive TCP ones
// below every UDP one, and foundations distinct per (type, base address, protocol), section 5.1.1.3.
#include "sfu/sdp/host_candidates.h"

#include <gtest/gtest.h>

#include <set>

#include "sfu/sdp/sdp_negotiation.h"

using namespace sfu::sdp;

namespace {

constexpr uint32_t priority(uint32_t local_preference) {
  return (126u << 24) + (local_preference << 8) + 255u;
}

}  // namespace

TEST(HostCandidates, OneAddressKeepsTheSingleAddressValues) {
  std::vector<Candidate> c = host_candidates({{"127.0.0.1", 40000, 40001}});
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].transport, "udp");
  EXPECT_EQ(c[0].priority, 2130706431u);  // 126 << 24 | 65535 << 8 | 255
  EXPECT_EQ(c[0].foundation, "1");
  EXPECT_EQ(c[1].transport, "tcp");
  EXPECT_EQ(c[1].tcp_type, "passive");
  EXPECT_EQ(c[1].port, 40001);
  EXPECT_EQ(c[1].priority, 2124414975u);  // local preference 2^13 * 4 + 8191
  EXPECT_EQ(c[1].foundation, "2");
}

TEST(HostCandidates, SeveralAddressesInConfiguredOrder) {
  std::vector<Candidate> c = host_candidates(
      {{"203.0.113.5", 40000, 40100}, {"2001:db8::5", 40002, 40102}, {"10.0.0.5", 40000, 40100}});
  ASSERT_EQ(c.size(), 6u);
  // Every UDP candidate first, in list order; the first is the default candidate.
  const char* order[] = {"203.0.113.5", "2001:db8::5", "10.0.0.5", "203.0.113.5", "2001:db8::5", "10.0.0.5"};
  for (size_t i = 0; i < c.size(); ++i) {
    EXPECT_EQ(c[i].address, order[i]) << i;
    EXPECT_EQ(c[i].transport, i < 3 ? "udp" : "tcp") << i;
    EXPECT_EQ(c[i].type, "host");
    EXPECT_EQ(c[i].component, 1u);
  }
  EXPECT_EQ(c[1].port, 40002);  // each address's own family socket
  EXPECT_EQ(c[4].port, 40102);
  // Distinct local preferences, descending with the list; every UDP above every TCP.
  EXPECT_EQ(c[0].priority, priority(65535));
  EXPECT_EQ(c[1].priority, priority(65534));
  EXPECT_EQ(c[2].priority, priority(65533));
  EXPECT_EQ(c[3].priority, priority(32768 + 8191));
  EXPECT_EQ(c[4].priority, priority(32768 + 8190));
  EXPECT_EQ(c[5].priority, priority(32768 + 8189));
  for (size_t i = 1; i < c.size(); ++i) EXPECT_LT(c[i].priority, c[i - 1].priority) << i;
  // One foundation per (type, base address, protocol): all six differ.
  std::set<std::string> foundations;
  for (const Candidate& candidate : c) foundations.insert(candidate.foundation);
  EXPECT_EQ(foundations.size(), c.size());
  EXPECT_EQ(c[2].foundation, "5");
  EXPECT_EQ(c[5].foundation, "6");
}

TEST(HostCandidates, NoTcpCandidateWithoutATcpPort) {
  std::vector<Candidate> c = host_candidates({{"127.0.0.1", 40000, 0}, {"::1", 40000, 0}});
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].transport, "udp");
  EXPECT_EQ(c[1].transport, "udp");
  EXPECT_NE(c[0].foundation, c[1].foundation);
}

// The default candidate goes on the m= and c= lines, IP6 for an IPv6 first address.
TEST(HostCandidates, DefaultCandidateOnTheMediaLine) {
  LocalTransport local{"ufrag", "passwordpasswordpassword", "01:02",
                       host_candidates({{"::1", 40004, 0}, {"127.0.0.1", 40000, 0}})};
  MediaSection m;
  set_local_transport(m, local, SetupRole::kPassive);
  EXPECT_EQ(m.port, 40004);
  ASSERT_TRUE(m.connection.has_value());
  EXPECT_EQ(m.connection->address_type, "IP6");
  EXPECT_EQ(m.connection->address, "::1");
  ASSERT_EQ(m.candidates.size(), 2u);
}
