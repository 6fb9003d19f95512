// SDP parsing and the publish negotiation a browser's offer goes through.
#include <cstdint>
#include <string_view>
#include <variant>

#include "sfu/sdp/sdp.h"
#include "sfu/sdp/sdp_negotiation.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto parsed = sfu::sdp::parse_sdp(text);
  auto* description = std::get_if<sfu::sdp::SessionDescription>(&parsed);
  if (!description) return 0;
  sfu::sdp::write_sdp(*description);
  sfu::sdp::LocalTransport local;
  local.ice_ufrag = "ufrag";
  local.ice_pwd = "passwordpasswordpassword";
  local.fingerprint = "AB:CD";
  local.candidates.push_back(sfu::sdp::make_host_candidate("127.0.0.1", 40000));
  auto answer = sfu::sdp::negotiate_publish(*description, local);
  if (auto* result = std::get_if<sfu::sdp::PublishResult>(&answer)) sfu::sdp::write_sdp(result->answer);
  return 0;
}
