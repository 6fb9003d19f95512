// What the SDP tests share: reading the captured descriptions in tests/data/sdp, parsing text that
// must parse, and the server transport the captured answers were made with.
#pragma once

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "sfu/sdp/sdp.h"
#include "sfu/sdp/sdp_negotiation.h"

namespace sfu::sdp::test {

// The text of tests/data/sdp/<name>; a missing file fails the test.
inline std::string load(const std::string& name) {
  std::ifstream file(std::string(SFU_TEST_DATA_DIR) + "/sdp/" + name, std::ios::binary);
  EXPECT_TRUE(file.good()) << "missing fixture " << name;
  std::stringstream text;
  text << file.rdbuf();
  return text.str();
}

// The parsed description; a parse error fails the test (and yields an empty description).
inline SessionDescription parse_ok(std::string_view text) {
  auto result = parse_sdp(text);
  if (auto* error = std::get_if<SdpError>(&result)) {
    ADD_FAILURE() << "unexpected parse error: " << error->to_string() << "\n" << text;
    return {};
  }
  return std::get<SessionDescription>(std::move(result));
}

// The transport the captured answers and offers were made with.
inline LocalTransport server_transport() {
  LocalTransport local;
  local.ice_ufrag = "srvUfrag1";
  local.ice_pwd = "serverpassword0123456789";
  local.fingerprint =
      "12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0:12:34:56:78:9A:BC:DE:F0";
  local.candidates.push_back(make_host_candidate("127.0.0.1", 40000));
  return local;
}

// Subscribe slots carrying the tracks negotiate_publish takes from chromium_publish_offer.sdp, sent
// by participant "alice" (audio mid 0 with SSRC 1000, video mid 1 with SSRC 1001 and RTX 2001), as
// in the interop runs with the browsers (sdp_subscribe_test.cpp).
inline std::vector<SubscribeSlot> chromium_subscribe_slots() {
  std::vector<SubscribeSlot> slots;
  auto published = negotiate_publish(parse_ok(load("chromium_publish_offer.sdp")), server_transport());
  auto* result = std::get_if<PublishResult>(&published);
  EXPECT_NE(result, nullptr);
  if (result == nullptr) return slots;
  for (const auto& track : result->tracks) {
    SubscribeSlot slot;
    slot.mid = track.mid;
    slot.kind = track.kind;
    slot.participant_id = "alice";
    slot.track_id = "track-" + track.mid;
    slot.ssrc = 1000 + static_cast<uint32_t>(std::stoul(track.mid));
    slot.rtx_ssrc = track.kind == MediaKind::kVideo ? 2000 + static_cast<uint32_t>(std::stoul(track.mid)) : 0;
    slot.cname = "alice-cname";
    slot.codecs = track.codecs;
    slot.extensions = track.extensions;
    slots.push_back(slot);
  }
  return slots;
}

}  // namespace sfu::sdp::test
