// The signaling handler as a session sees it: WebSocket text messages from up to three clients,
// delivered to the real ControlPlane (sfu/control/signaling.cpp) with real rooms on real workers.
//
// Input (text, so seeds stay readable): the first byte chooses the server (bit 0 auth on, bit 1
// tight limits, bit 2 two workers; '0'..'7' in seeds), then one action per line:
//   A<text> B<text> C<text>   a text message from client 0, 1 or 2 (connected on first use)
//   a b c                     that client's connection goes away
//   x y z / X Y Z             a binary / an oversized message from client 0, 1 or 2
// Placeholders in a message are replaced first (control_harness.h): $TOKEN0..$TOKEN9 (signed
// tokens, so inputs get past auth), $OFFER (a browser's publish offer), $ANSWER0..2 (a browser's
// answer to that client's latest subscribe offer), $P0..2 (a client's participant id).
// Every message the server sends must be JSON and no internal_error; at the end, after every
// client has gone, no participant may remain and no exception may have been caught.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "tests/fuzz/control_harness.h"

namespace {

constexpr size_t kMaxActions = 48;

void act(sfu::fuzz::ControlUnderTest& server, std::string_view line) {
  if (line.empty()) return;
  char c = line.front();
  std::string_view text = line.substr(1);
  if (c >= 'A' && c <= 'C') return server.send(static_cast<size_t>(c - 'A'), server.expand(text));
  if (c >= 'a' && c <= 'c') return server.disconnect(static_cast<size_t>(c - 'a'));
  if (c >= 'x' && c <= 'z') return server.protocol_error(static_cast<size_t>(c - 'x'), true);
  if (c >= 'X' && c <= 'Z') return server.protocol_error(static_cast<size_t>(c - 'X'), false);
  server.send(static_cast<unsigned char>(c) % sfu::fuzz::ControlUnderTest::kClients, server.expand(text));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  sfu::fuzz::ControlUnderTest server(sfu::fuzz::control_flags(data[0]));
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  size_t actions = 0;
  for (std::string_view line : sfu::fuzz::split_lines(rest)) {
    if (actions++ == kMaxActions) break;
    act(server, line);
  }
  server.finish();
  return 0;
}
