// Test helpers shared by the bandwidth tests (allocation, estimation, pacing): a REMB from a
// subscriber, and a REST request answered while the calling thread keeps the clients' loop turning.
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cstdint>
#include <future>
#include <span>
#include <string>

#include "bench/client/participant_client.h"
#include "rtp/rtcp_builder.h"
#include "tests/unit/control/http_test_client.h"

namespace sfu::conference_test {

// `subscriber` reports `bps` for the first stream it receives (REMB on its subscribe connection).
inline void send_remb(client::ParticipantClient& subscriber, uint64_t bps) {
  std::array<uint8_t, 64> packet{};
  const uint32_t media_ssrc = subscriber.subscribed_media().front().ssrc;
  size_t size = rtp::build_remb(1, bps, std::span<const uint32_t>(&media_ssrc, 1), MutableByteSpan(packet));
  ASSERT_GT(size, 0u);
  ASSERT_TRUE(subscriber.subscribe_connection().send_rtcp(ByteSpan(packet.data(), size)));
  subscriber.subscribe_connection().flush();
}

// `method path` to the server on `port`, sent from another thread while `run_until` (the
// fixture's) pumps this one.
template <typename RunUntil>
http_test::Response http_while_pumping(uint16_t port, const std::string& method, const std::string& path,
                                       RunUntil&& run_until) {
  using namespace std::chrono_literals;
  auto answer = std::async(std::launch::async, [port, method, path] {
    http_test::Socket socket(port);
    std::string text = http_test::request_text(method, path, {});
    text.replace(text.find("Host: 127.0.0.1"), 15, "Host: 127.0.0.1:" + std::to_string(port));
    if (!socket.ok() || !socket.send_all(text)) return http_test::Response{};
    return http_test::read_response(socket).value_or(http_test::Response{});
  });
  EXPECT_TRUE(run_until([&] { return answer.wait_for(0ms) == std::future_status::ready; }));
  return answer.get();
}

}  // namespace sfu::conference_test
