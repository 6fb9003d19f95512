// The cluster: section (docs/protocol.md, "Cluster" and section 8).
#include <gtest/gtest.h>

#include "config/config.h"
#include "tests/unit/config/config_expect.h"

using namespace sfu::config;

namespace {

const char* kSecret = "\"0123456789abcdef0123456789abcdef\"";

TEST(ClusterConfig, OffByDefaultWithPublicDefaults) {
  Config c = default_config();
  EXPECT_FALSE(c.cluster.enabled);
  EXPECT_EQ(c.cluster.redis_url, "redis://127.0.0.1:6379");
  EXPECT_EQ(c.cluster.node_id, "");
  EXPECT_EQ(c.cluster.advertise, "");
  EXPECT_EQ(c.cluster.secret, "");
  EXPECT_EQ(c.cluster.refresh_s, 1u);
  EXPECT_EQ(c.cluster.dead_after_s, 3u);
  EXPECT_EQ(c.cluster.redis_timeout_ms, 1000u);
  EXPECT_EQ(c.cluster.relay_address, "127.0.0.1");
  EXPECT_EQ(c.cluster.relay_port, 0u);
  EXPECT_EQ(c.cluster.relay_handshake_timeout_s, 10u);
  EXPECT_EQ(c.cluster.relay_handshake_retry_s, 2u);
  EXPECT_EQ(c.cluster.max_room_participants_per_node, 0u);
  EXPECT_EQ(c.cluster.region, "");
}

TEST(ClusterConfig, RegionIsAShortNameOfLowercaseLettersDigitsAndDashes) {
  EXPECT_EQ(expect_ok("cluster:\n  region: eu-west-1\n").cluster.region, "eu-west-1");
  EXPECT_EQ(expect_ok("cluster:\n  region: \"\"\n").cluster.region, "");
  EXPECT_EQ(expect_ok("cluster:\n  region: " + std::string(32, 'a') + "\n").cluster.region,
            std::string(32, 'a'));
  EXPECT_EQ(expect_error("cluster:\n  region: " + std::string(33, 'a') + "\n").key, "cluster.region");
  EXPECT_EQ(expect_error("cluster:\n  region: EU\n").key, "cluster.region");
  EXPECT_EQ(expect_error("cluster:\n  region: eu_west\n").key, "cluster.region");
  EXPECT_EQ(expect_error("cluster:\n  region: \"eu west\"\n").key, "cluster.region");
  EXPECT_EQ(expect_error("cluster:\n  region: [eu]\n").key, "cluster.region");
}

TEST(ClusterConfig, RelayAndPerNodeLimit) {
  Config c = expect_ok(
      "cluster:\n  relay_address: 10.0.0.9\n  relay_port: 7000\n  max_room_participants_per_node: 50\n");
  EXPECT_EQ(c.cluster.relay_address, "10.0.0.9");
  EXPECT_EQ(c.cluster.relay_port, 7000u);
  EXPECT_EQ(c.cluster.max_room_participants_per_node, 50u);
  EXPECT_EQ(expect_error("cluster:\n  relay_address: relay.example.com\n").key, "cluster.relay_address");
  EXPECT_EQ(expect_error("cluster:\n  relay_address: \"\"\n").key, "cluster.relay_address");
  EXPECT_EQ(expect_error("cluster:\n  relay_port: 70000\n").key, "cluster.relay_port");
  Config handshake = expect_ok("cluster:\n  relay_handshake_timeout_s: 5\n  relay_handshake_retry_s: 30\n");
  EXPECT_EQ(handshake.cluster.relay_handshake_timeout_s, 5u);
  EXPECT_EQ(handshake.cluster.relay_handshake_retry_s, 30u);
  EXPECT_EQ(expect_error("cluster:\n  relay_handshake_timeout_s: 0\n").key,
            "cluster.relay_handshake_timeout_s");
  EXPECT_EQ(expect_error("cluster:\n  relay_handshake_timeout_s: 121\n").key,
            "cluster.relay_handshake_timeout_s");
  EXPECT_EQ(expect_error("cluster:\n  relay_handshake_retry_s: 0\n").key, "cluster.relay_handshake_retry_s");
  EXPECT_EQ(expect_error("cluster:\n  max_room_participants_per_node: -1\n").key,
            "cluster.max_room_participants_per_node");
}

TEST(ClusterConfig, EnabledWithEverything) {
  Config c = expect_ok(std::string("cluster:\n  enabled: true\n  redis_url: redis://10.0.0.9:6390\n") +
                       "  node_id: eu-1.a\n  advertise: https://eu1.example.com\n  secret: " + kSecret +
                       "\n  refresh_s: 2\n  dead_after_s: 7\n  redis_timeout_ms: 250\n");
  EXPECT_TRUE(c.cluster.enabled);
  EXPECT_EQ(c.cluster.redis_url, "redis://10.0.0.9:6390");
  EXPECT_EQ(c.cluster.node_id, "eu-1.a");
  EXPECT_EQ(c.cluster.advertise, "https://eu1.example.com");
  EXPECT_EQ(c.cluster.refresh_s, 2u);
  EXPECT_EQ(c.cluster.dead_after_s, 7u);
  EXPECT_EQ(c.cluster.redis_timeout_ms, 250u);
}

TEST(ClusterConfig, BadValuesAreRefusedWithTheKey) {
  EXPECT_EQ(expect_error("cluster:\n  redis_url: http://127.0.0.1:6379\n").key, "cluster.redis_url");
  EXPECT_EQ(expect_error("cluster:\n  redis_url: redis://127.0.0.1\n").key, "cluster.redis_url");
  EXPECT_EQ(expect_error("cluster:\n  redis_url: redis://127.0.0.1:70000\n").key, "cluster.redis_url");
  EXPECT_EQ(expect_error("cluster:\n  node_id: \"a b\"\n").key, "cluster.node_id");
  EXPECT_EQ(expect_error("cluster:\n  redis_timeout_ms: 99\n").key, "cluster.redis_timeout_ms");
  EXPECT_EQ(expect_error("cluster:\n  redis_timeout_ms: 60001\n").key, "cluster.redis_timeout_ms");
  EXPECT_EQ(expect_error("cluster:\n  advertise: ws://x:1\n").key, "cluster.advertise");
  EXPECT_EQ(expect_error("cluster:\n  advertise: http://x:1/path\n").key, "cluster.advertise");
  EXPECT_EQ(expect_error("cluster:\n  secret: short\n").key, "cluster.secret");
  EXPECT_EQ(expect_error("cluster:\n  refresh_s: 0\n").key, "cluster.refresh_s");
}

TEST(ClusterConfig, EnabledNeedsASecretAndDeadAfterLongerThanRefresh) {
  ConfigError no_secret = expect_error("cluster:\n  enabled: true\n");
  EXPECT_EQ(no_secret.key, "cluster.secret");
  EXPECT_NE(no_secret.message.find("required"), std::string::npos) << no_secret.message;
  EXPECT_EQ(expect_error(std::string("cluster:\n  enabled: true\n  secret: ") + kSecret +
                         "\n  refresh_s: 3\n  dead_after_s: 3\n")
                .key,
            "cluster.dead_after_s");
}

// The secret never appears in an error message.
TEST(ClusterConfig, ErrorsDoNotShowTheSecret) {
  ConfigError e = expect_error("cluster:\n  secret: tooshort-secret\n");
  EXPECT_EQ(e.message.find("tooshort-secret"), std::string::npos) << e.message;
}

}  // namespace
