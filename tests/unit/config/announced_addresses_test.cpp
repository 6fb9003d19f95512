// rtc.announced_addresses and its one-address form rtc.announced_ip: which addresses go into ICE
// candidates, which sockets bind what, and the clear errors for addresses no client can reach.
#include <gtest/gtest.h>

#include "config/config.h"
#include "tests/unit/config/config_expect.h"

using namespace sfu::config;

namespace {

bool mentions(const ConfigError& error, std::string_view text) {
  return error.to_string().find(text) != std::string::npos;
}

}  // namespace

TEST(AnnouncedAddresses, DefaultIsTheOneAnnouncedIp) {
  Config c = default_config();
  EXPECT_TRUE(c.rtc.announced_addresses.empty());
  EXPECT_EQ(c.rtc.resolved_announced_addresses(), std::vector<std::string>{"127.0.0.1"});
  EXPECT_EQ(c.rtc.bind_ip_for(false), "127.0.0.1");  // loopback: nothing listens elsewhere
  EXPECT_EQ(c.rtc.bind_ip_for(true), "");            // no IPv6 address, no IPv6 socket
}

TEST(AnnouncedAddresses, AnnouncedIpAloneIsAOneElementList) {
  Config c = expect_ok("rtc:\n  announced_ip: 192.0.2.10\n");
  EXPECT_EQ(c.rtc.resolved_announced_addresses(), std::vector<std::string>{"192.0.2.10"});
  EXPECT_EQ(c.rtc.bind_ip_for(false), "0.0.0.0");  // not loopback: all interfaces, replies by IP_PKTINFO
  EXPECT_EQ(c.rtc.bind_ip_for(true), "");
  Config v6 = expect_ok("rtc:\n  announced_ip: \"2001:db8::10\"\n");
  EXPECT_EQ(v6.rtc.bind_ip_for(true), "::");
  EXPECT_EQ(v6.rtc.bind_ip_for(false), "");
}

TEST(AnnouncedAddresses, ListInOrderWithBothFamilies) {
  // Flow and block lists; an IPv6 literal quoted or not.
  Config c = expect_ok("rtc:\n  announced_addresses: [\"::1\", 127.0.0.1]\n");
  EXPECT_EQ(c.rtc.resolved_announced_addresses(), (std::vector<std::string>{"::1", "127.0.0.1"}));
  EXPECT_EQ(c.rtc.bind_ip_for(false), "127.0.0.1");
  EXPECT_EQ(c.rtc.bind_ip_for(true), "::1");
  Config block =
      expect_ok("rtc:\n  announced_addresses:\n    - 203.0.113.5\n    - 2001:db8::5\n    - 10.0.0.5\n");
  EXPECT_EQ(block.rtc.resolved_announced_addresses(),
            (std::vector<std::string>{"203.0.113.5", "2001:db8::5", "10.0.0.5"}));
  EXPECT_EQ(block.rtc.bind_ip_for(false), "0.0.0.0");
  EXPECT_EQ(block.rtc.bind_ip_for(true), "::");
}

TEST(AnnouncedAddresses, SeveralLoopbackAddressesOfAFamilyShareAWildcardSocket) {
  Config c = expect_ok("rtc:\n  announced_addresses: [127.0.0.1, 127.0.0.2]\n");
  EXPECT_EQ(c.rtc.bind_ip_for(false), "0.0.0.0");
}

TEST(AnnouncedAddresses, BindIpServesItsFamilyOnly) {
  Config c = expect_ok("rtc:\n  announced_addresses: [203.0.113.5, \"::1\"]\n  bind_ip: 10.0.0.5\n");
  EXPECT_EQ(c.rtc.bind_ip_for(false), "10.0.0.5");
  EXPECT_EQ(c.rtc.bind_ip_for(true), "::1");
  ConfigError e = expect_error("rtc:\n  announced_ip: 127.0.0.1\n  bind_ip: \"::\"\n");
  EXPECT_EQ(e.key, "rtc.bind_ip");
  EXPECT_EQ(e.line, 3);
  EXPECT_TRUE(mentions(e, "no announced address is")) << e.to_string();
}

TEST(AnnouncedAddresses, BothKeysInOneFileAreRefused) {
  ConfigError e = expect_error("rtc:\n  announced_ip: 127.0.0.1\n  announced_addresses: [127.0.0.2]\n");
  EXPECT_EQ(e.key, "rtc.announced_addresses");
  EXPECT_EQ(e.line, 3);
  EXPECT_TRUE(mentions(e, "not both")) << e.to_string();
  // An empty list is no list: announced_ip stands.
  Config c = expect_ok("rtc:\n  announced_ip: 127.0.0.2\n  announced_addresses: []\n");
  EXPECT_EQ(c.rtc.resolved_announced_addresses(), std::vector<std::string>{"127.0.0.2"});
}

TEST(AnnouncedAddresses, AddressesNoClientCanReachAreRefused) {
  struct Case {
    const char* yaml_value;
    const char* why;
  };
  const Case cases[] = {
      {"[example.com]", "'example.com' is not an IPv4 or IPv6 address"},
      {"[0.0.0.0]", "'0.0.0.0' is the wildcard address"},
      {"[\"::\"]", "'::' is the wildcard address"},
      {"[224.0.0.1]", "multicast or broadcast"},
      {"[255.255.255.255]", "multicast or broadcast"},
      {"[\"ff02::1\"]", "'ff02::1' is a multicast address"},
      {"[\"::ffff:192.0.2.1\"]", "IPv4-mapped; write the IPv4 address"},
      {"[\"fe80::1\"]", "link-local"},
      {"[127.0.0.1, \"::1\", 127.0.0.001]", "'127.0.0.001' is not an IPv4"},  // inet_pton refuses it
      {"[\"::1\", \"0::1\"]", "'0::1' is listed twice"},
      {"[10.0.0.1, 10.0.0.2, 10.0.0.3, 10.0.0.4, 10.0.0.5]", "(5 given)"},
      {"127.0.0.1", "a list of at most 4"},
      {"[[127.0.0.1]]", "an entry is not a string"},
  };
  for (const Case& c : cases) {
    ConfigError e = expect_error(std::string("rtc:\n  announced_addresses: ") + c.yaml_value + "\n");
    EXPECT_EQ(e.key, "rtc.announced_addresses") << c.yaml_value;
    EXPECT_EQ(e.line, 2) << c.yaml_value;
    EXPECT_TRUE(mentions(e, c.why)) << c.yaml_value << ": " << e.to_string();
  }
}

TEST(AnnouncedAddresses, AnnouncedIpGetsTheSameChecks) {
  ConfigError e = expect_error("rtc:\n  announced_ip: 0.0.0.0\n");
  EXPECT_EQ(e.key, "rtc.announced_ip");
  EXPECT_TRUE(mentions(e, "expected an IPv4 or IPv6 address clients can reach ('0.0.0.0' is the wildcard"))
      << e.to_string();
  EXPECT_EQ(expect_error("rtc:\n  announced_ip: \"fe80::1\"\n").key, "rtc.announced_ip");
}

TEST(AnnouncedAddresses, ErrorShowsTheListGiven) {
  ConfigError e = expect_error("rtc:\n  announced_addresses: [127.0.0.1, 0.0.0.0]\n");
  EXPECT_TRUE(mentions(e, "got [127.0.0.1, 0.0.0.0]")) << e.to_string();
}
