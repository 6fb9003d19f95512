// The signed envelope of the nodes' pub/sub messages (sfu/cluster/cluster_envelope.h).
#include "sfu/cluster/cluster_envelope.h"

#include <gtest/gtest.h>

#include <variant>

using namespace sfu::cluster;

namespace {

constexpr const char* kSecret = "0123456789abcdef0123456789abcdef";
constexpr int64_t kNow = 1'800'000'000'000;

ClusterMessage message_to(const std::string& to, int64_t ts_ms = kNow) {
  return {"node-b", to, ts_ms, {{"kind", "rest"}, {"id", 7}, {"path", "/v1/rooms/x"}}};
}

Rejection rejection_of(const std::variant<ClusterMessage, Rejection>& opened) {
  EXPECT_TRUE(std::holds_alternative<Rejection>(opened));
  return std::holds_alternative<Rejection>(opened) ? std::get<Rejection>(opened) : Rejection::malformed;
}

TEST(ClusterEnvelope, SealedMessageOpensForItsReceiver) {
  std::string wire = seal(message_to("node-a"), kSecret);
  auto opened = open(wire, kSecret, "node-a", kNow + 1000);
  ASSERT_TRUE(std::holds_alternative<ClusterMessage>(opened));
  const auto& message = std::get<ClusterMessage>(opened);
  EXPECT_EQ(message.from, "node-b");
  EXPECT_EQ(message.body["id"], 7);
  EXPECT_EQ(message.body["path"], "/v1/rooms/x");
}

TEST(ClusterEnvelope, AnyChangedByteBreaksTheSignature) {
  std::string wire = seal(message_to("node-a"), kSecret);
  for (size_t i = 65; i < wire.size(); ++i) {
    std::string tampered = wire;
    tampered[i] = static_cast<char>(tampered[i] ^ 0x01);
    EXPECT_EQ(rejection_of(open(tampered, kSecret, "node-a", kNow)), Rejection::bad_signature) << i;
  }
  EXPECT_EQ(rejection_of(open(seal(message_to("node-a"), "another-secret-0123456789abcdef!"), kSecret,
                              "node-a", kNow)),
            Rejection::bad_signature);
}

TEST(ClusterEnvelope, WrongReceiverStaleAndMalformedAreRejected) {
  EXPECT_EQ(rejection_of(open(seal(message_to("node-c"), kSecret), kSecret, "node-a", kNow)),
            Rejection::wrong_node);
  EXPECT_EQ(rejection_of(open(seal(message_to("node-a", kNow - kMaxMessageAgeMs - 1), kSecret), kSecret,
                              "node-a", kNow)),
            Rejection::stale);
  EXPECT_EQ(rejection_of(open(seal(message_to("node-a", kNow + kMaxMessageAgeMs + 1), kSecret), kSecret,
                              "node-a", kNow)),
            Rejection::stale);
  EXPECT_EQ(rejection_of(open("", kSecret, "node-a", kNow)), Rejection::malformed);
  EXPECT_EQ(rejection_of(open("garbage", kSecret, "node-a", kNow)), Rejection::malformed);
  EXPECT_EQ(rejection_of(open(std::string(64, 'a') + "x{}", kSecret, "node-a", kNow)), Rejection::malformed);
  // A valid MAC over text that is not an envelope: still refused.
  std::string sealed = seal(message_to("node-a"), kSecret);
  EXPECT_EQ(rejection_of(open(sealed.substr(0, 64) + " [1,2]", kSecret, "node-a", kNow)),
            Rejection::bad_signature);
}

}  // namespace
