// The REST router (sfu/control/rest_api.cpp) with /healthz, /metrics and the demo page, on the real
// ControlPlane and workers, auth on and off, with rooms that have real participants in them.
//
// Input (text, so seeds stay readable): the first byte chooses the server as in fuzz_signaling
// (bit 0 auth, bit 1 tight limits, bit 2 two workers); the second how many participants join room
// "r1" over signaling first (0-2; the first publishes audio and video). Then requests, separated by
// a line "====", each as
//   METHOD PATH[?QUERY]
//   Name: value            (headers, e.g. Authorization, Host, Content-Type; names lowercased)
//
//   body
// with the placeholders of fuzz_signaling ($TOKEN7 is the admin token, $P0/$P1 the participants).
// Every answer must have a sane status and headers, JSON where it says so, an error body on
// errors and no 5xx but 503; at the end no participant may remain once its connection has gone.
#include <algorithm>
#include <cctype>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "tests/fuzz/control_harness.h"

namespace {

using sfu::fuzz::ControlUnderTest;

constexpr size_t kMaxRequests = 24;

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

sfu::HttpRequest parse_request(std::string_view text) {
  sfu::HttpRequest request;
  auto lines = sfu::fuzz::split_lines(text);
  std::string_view first = lines.front();
  size_t space = first.find(' ');
  request.method = std::string(first.substr(0, space));
  std::string_view target = space == std::string_view::npos ? std::string_view() : first.substr(space + 1);
  size_t question = target.find('?');
  request.path = std::string(target.substr(0, question));
  if (question != std::string_view::npos) request.query = std::string(target.substr(question + 1));
  size_t i = 1;
  for (; i < lines.size() && !lines[i].empty(); ++i) {
    size_t colon = lines[i].find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view value = lines[i].substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    request.headers[lowercase(lines[i].substr(0, colon))] = std::string(value);
  }
  for (size_t body_line = i + 1; body_line < lines.size(); ++body_line) {
    if (body_line > i + 1) request.body += '\n';
    request.body += lines[body_line];
  }
  return request;
}

void join_participants(ControlUnderTest& server, uint8_t count) {
  bool auth = server.config().auth.enabled;
  if (count >= 1) {
    server.send(0, server.expand(auth ? R"({"type":"join","room":"r1","token":"$TOKEN0"})"
                                      : R"({"type":"join","room":"r1","name":"alice"})"));
    server.send(0, server.expand(R"({"type":"publish","sdp":"$OFFER"})"));
  }
  if (count >= 2) {
    server.send(1, server.expand(auth ? R"({"type":"join","room":"r1","token":"$TOKEN1"})"
                                      : R"({"type":"join","room":"r1","name":"bob"})"));
    server.send(1, server.expand(R"({"type":"subscribe_answer","sdp":"$ANSWER1"})"));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  ControlUnderTest server(sfu::fuzz::control_flags(data[0]));
  join_participants(server, static_cast<uint8_t>(data[1] % 3));
  std::string_view rest(reinterpret_cast<const char*>(data) + 2, size - 2);
  size_t requests = 0;
  while (!rest.empty() && requests++ < kMaxRequests) {
    size_t separator = rest.find("\n====\n");
    std::string_view one = rest.substr(0, separator);
    rest = separator == std::string_view::npos ? std::string_view() : rest.substr(separator + 6);
    while (!one.empty() && one.front() == '\n') one.remove_prefix(1);
    if (one.empty()) continue;
    sfu::HttpRequest request = parse_request(server.expand(one));
    // HttpServer answers an oversized body with 413 itself; the handler never sees it.
    if (request.body.size() > server.config().limits.message_bytes) continue;
    server.http(request);
  }
  server.finish();
  return 0;
}
