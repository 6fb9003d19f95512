// The body of POST /v1/rooms/{name}/data (docs/protocol.md, "Data channels"): one message for the
// room's server channel, as text or as base64 binary, optionally for named participants only.
// A pure function of the body text, so REST and its tests share it.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/result.h"

namespace sfu {

struct DataPost {
  bool binary = false;
  std::string message;                    // the bytes to send (UTF-8 text, or the decoded binary)
  std::vector<std::string> participants;  // empty: everyone in the room
};

// {"text": "..."} or {"binary_base64": "..."} (exactly one), and an optional non-empty
// "participants": [ids]. bad_request naming the problem; payload_too_large when the message is
// over `max_message_bytes`.
Result<DataPost> parse_data_post(std::string_view body, size_t max_message_bytes);

}  // namespace sfu
