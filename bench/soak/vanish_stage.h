// How far a vanishing client of the soak gets before it disappears, and how it disappears. Shared
// by the parent (vanishing_clients.h) and the child process (vanish_child.h).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace sfu::soak {

enum class VanishStage : uint8_t {
  kJoined,   // got `joined`, sends nothing else (no publish, no subscribe answer)
  kOffered,  // sent its publish offer and got the answer; no ICE, no subscribe answer
  kIce,      // the publish connection passed ICE (and the subscribe one, if offered), no DTLS
  kRacing,   // a normal client, stopped a few milliseconds after the publish answer: wherever it
             // then is in ICE or DTLS
};
inline constexpr VanishStage kVanishStages[] = {VanishStage::kJoined, VanishStage::kOffered,
                                                VanishStage::kIce, VanishStage::kRacing};

enum class VanishAction : uint8_t {
  kKill,    // SIGKILL: the kernel closes the WebSocket's TCP connection and the UDP sockets
  kFreeze,  // SIGSTOP: the sockets stay open but nothing is ever sent or answered again, so only
            // the server's own timeouts (join, DTLS, consent, WebSocket idle) can free it
};

const char* to_string(VanishStage stage);
const char* to_string(VanishAction action);
std::optional<VanishStage> parse_vanish_stage(std::string_view text);

// The child reports on its status pipe with one byte: reached its stage, or failed (a line of
// text follows).
inline constexpr char kStageReached = 'R';
inline constexpr char kStageFailed = 'F';

}  // namespace sfu::soak
