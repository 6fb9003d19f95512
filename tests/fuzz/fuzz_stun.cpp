// STUN parsing, integrity and fingerprint checks, and the ICE-lite agent on arbitrary datagrams.
#include <cstdint>
#include <vector>

#include "ice/ice_lite_agent.h"
#include "ice/stun_message.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sfu::ByteSpan input(data, size);
  auto parsed = sfu::ice::parse_stun(input);
  if (parsed.ok()) {
    sfu::ice::verify_message_integrity(input, parsed.message, "password");
    sfu::ice::verify_fingerprint(input, parsed.message);
  }
  static sfu::ice::IceLiteAgent agent("ufrag", "password");
  std::vector<uint8_t> response(sfu::ice::IceLiteAgent::kMaxResponseSize);
  agent.handle_stun(input, *sfu::SocketAddress::from_ip("10.0.0.1", 5000), 1000, response);
  return 0;
}
