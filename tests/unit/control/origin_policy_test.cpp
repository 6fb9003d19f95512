// Which pages may use the control port (docs/protocol.md 2.1 and 5): the Origin check of the
// signaling WebSocket (cross-site WebSocket hijacking) and the Host check of REST (DNS rebinding).
#include "sfu/control/origin_policy.h"

#include <gtest/gtest.h>

using sfu::OriginPolicy;

namespace {

OriginPolicy loopback_server(std::vector<std::string> allowed = {}) {
  return OriginPolicy("127.0.0.1", 8080, allowed);
}

TEST(OriginPolicy, RequestsWithoutOriginComeFromNonBrowsersAndAreAllowed) {
  EXPECT_TRUE(loopback_server().origin_allowed("", "127.0.0.1:8080"));
  EXPECT_TRUE(loopback_server().origin_allowed("", ""));
  EXPECT_TRUE(loopback_server({"https://meet.example.com"}).origin_allowed("", "evil.example:8080"));
}

TEST(OriginPolicy, DefaultAllowsTheServersOwnOrigin) {
  auto policy = loopback_server();
  EXPECT_TRUE(policy.origin_allowed("http://127.0.0.1:8080", "127.0.0.1:8080"));
  EXPECT_TRUE(policy.origin_allowed("HTTP://127.0.0.1:8080", "127.0.0.1:8080"));
}

TEST(OriginPolicy, DefaultAllowsPagesFromLoopbackHostsOnAnyPort) {
  auto policy = loopback_server();
  for (const char* origin : {"http://localhost:3000", "http://127.0.0.1:5173", "http://[::1]:8000",
                             "http://localhost", "https://localhost:8443", "http://LOCALHOST:1234"})
    EXPECT_TRUE(policy.origin_allowed(origin, "127.0.0.1:8080")) << origin;
}

TEST(OriginPolicy, DefaultRefusesOtherSites) {
  auto policy = loopback_server();
  for (const char* origin :
       {"http://evil.example", "https://evil.example", "http://evil.example:8080", "null", "file://",
        "http://localhost.evil.example:8080", "http://127.0.0.1.evil.example", "garbage",
        "http://127.0.0.1:8080/path", "http://user@127.0.0.1:8080", "ws://evil.example"})
    EXPECT_FALSE(policy.origin_allowed(origin, "127.0.0.1:8080")) << origin;
}

// DNS rebinding: evil.example now resolves to 127.0.0.1, so the page and the WebSocket are
// "same-origin" for the browser; the Host header still names evil.example.
TEST(OriginPolicy, DefaultRefusesSameOriginPagesUnderAForeignName) {
  auto policy = loopback_server();
  EXPECT_FALSE(policy.origin_allowed("http://evil.example:8080", "evil.example:8080"));
  EXPECT_FALSE(policy.host_allowed("evil.example:8080"));
}

TEST(OriginPolicy, WildcardListenAcceptsItsOwnOriginByAnyAddressLiteral) {
  OriginPolicy policy("0.0.0.0", 8080, {});
  EXPECT_TRUE(policy.origin_allowed("http://192.0.2.10:8080", "192.0.2.10:8080"));
  EXPECT_TRUE(policy.origin_allowed("http://[2001:db8::1]:8080", "[2001:db8::1]:8080"));
  // Another site on an address literal is not this server's page.
  EXPECT_FALSE(policy.origin_allowed("http://192.0.2.99:8080", "192.0.2.10:8080"));
  EXPECT_FALSE(policy.origin_allowed("http://192.0.2.10:9999", "192.0.2.10:8080"));
  EXPECT_FALSE(policy.origin_allowed("http://meet.example.com:8080", "meet.example.com:8080"));
  EXPECT_TRUE(policy.host_allowed("192.0.2.10:8080"));
  EXPECT_FALSE(policy.host_allowed("192.0.2.10:9999"));
  EXPECT_FALSE(policy.host_allowed("meet.example.com:8080"));
}

TEST(OriginPolicy, AllowedOriginsReplaceTheDefault) {
  auto policy = loopback_server({"https://meet.example.com", "http://Dev.Example:8000/"});
  EXPECT_TRUE(policy.origin_allowed("https://meet.example.com", "meet.example.com"));
  EXPECT_TRUE(policy.origin_allowed("https://meet.example.com:443", "127.0.0.1:8080"));
  EXPECT_TRUE(policy.origin_allowed("http://dev.example:8000", "127.0.0.1:8080"));
  EXPECT_FALSE(policy.origin_allowed("http://meet.example.com", "127.0.0.1:8080"));  // other scheme
  EXPECT_FALSE(policy.origin_allowed("https://meet.example.com:8443", "127.0.0.1:8080"));
  EXPECT_FALSE(policy.origin_allowed("http://localhost:3000", "127.0.0.1:8080"));
  EXPECT_FALSE(policy.origin_allowed("http://127.0.0.1:8080", "127.0.0.1:8080"));
}

TEST(OriginPolicy, NullOriginIsAllowedOnlyWhenListedLiterally) {
  EXPECT_FALSE(loopback_server().origin_allowed("null", "127.0.0.1:8080"));
  EXPECT_TRUE(loopback_server({"null"}).origin_allowed("null", "127.0.0.1:8080"));
}

TEST(OriginPolicy, HostMustNameThisServer) {
  auto policy = loopback_server();
  for (const char* host : {"127.0.0.1:8080", "localhost:8080", "LocalHost:8080", "[::1]:8080"})
    EXPECT_TRUE(policy.host_allowed(host)) << host;
  for (const char* host :
       {"127.0.0.1:8081", "127.0.0.1", "localhost", "evil.example:8080", "evil.example", "127.0.0.1:8080:1",
        "[::1", "127.0.0.1:", "127.0.0.1:99999", "10.0.0.1:8080", "127.0.0.1:80a"})
    EXPECT_FALSE(policy.host_allowed(host)) << host;
}

TEST(OriginPolicy, HostWithoutPortMeansPort80) {
  OriginPolicy policy("127.0.0.1", 80, {});
  EXPECT_TRUE(policy.host_allowed("localhost"));
  EXPECT_TRUE(policy.host_allowed("127.0.0.1"));
  EXPECT_TRUE(policy.origin_allowed("http://127.0.0.1", "127.0.0.1"));
}

TEST(OriginPolicy, HostOfAnAllowedOriginIsAccepted) {
  auto policy = loopback_server({"https://meet.example.com", "http://dev.example:8000"});
  EXPECT_TRUE(policy.host_allowed("meet.example.com"));
  EXPECT_TRUE(policy.host_allowed("meet.example.com:443"));
  EXPECT_TRUE(policy.host_allowed("dev.example:8000"));
  EXPECT_FALSE(policy.host_allowed("dev.example"));
  EXPECT_FALSE(policy.host_allowed("meet.example.com:8443"));
  EXPECT_FALSE(policy.host_allowed("evil.example"));
  EXPECT_TRUE(policy.host_allowed("127.0.0.1:8080"));  // this server's own address always
}

TEST(OriginPolicy, MissingHostIsNotABrowserAndIsAllowed) { EXPECT_TRUE(loopback_server().host_allowed("")); }

}  // namespace
