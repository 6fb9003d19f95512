#include "bench/soak/vanish_child.h"

#include <unistd.h>

#include "bench/client/participant_client.h"
#include "bench/soak/client_loop.h"

namespace sfu::soak {
namespace {

constexpr uint64_t kNeverMs = 24ull * 3600 * 1000;

void report(int fd, char status, const std::string& text = {}) {
  std::string message(1, status);
  message += text;
  message += '\n';
  // One write of a short message to a pipe is atomic; a failed write only loses the report,
  // which the parent sees as a child that never reached its stage.
  [[maybe_unused]] ssize_t written = ::write(fd, message.data(), message.size());
}

bool reached(const client::ParticipantClient& client, VanishStage stage) {
  switch (stage) {
    case VanishStage::kJoined:
      return client.joined();
    case VanishStage::kOffered:
    case VanishStage::kRacing:
      return client.publish_answered();
    case VanishStage::kIce:
      return client.publish_connection().state() == client::WebRtcClient::State::IceConnected;
  }
  return false;
}

}  // namespace

int run_vanish_child(const VanishChildOptions& options) {
  ClientLoop loop;
  client::ParticipantClient::Options client_options;
  client_options.server_host = options.host;
  client_options.server_port = options.port;
  client_options.path = options.path;
  client_options.bind_ip = options.bind_ip;
  client_options.room = options.room;
  client_options.name = options.name;
  // The first two stages send nothing after what they are named for: no ICE, and no answer to a
  // subscribe offer that arrives before the parent stops them (it is held, i.e. never sent).
  bool signaling_only = options.stage == VanishStage::kJoined || options.stage == VanishStage::kOffered;
  client_options.auto_publish = options.stage != VanishStage::kJoined;
  client_options.connect_media = !signaling_only;
  if (signaling_only) client_options.first_subscribe_answer_delay_ms = kNeverMs;
  client_options.hold_dtls = options.stage == VanishStage::kIce;
  int exit_code = 0;
  {
    client::ParticipantClient client(loop.get(), client_options);
    std::string error;
    if (!client.start(&error)) {
      report(options.status_fd, kStageFailed, error);
      return 1;
    }
    bool ok = loop.run_until([&] { return reached(client, options.stage) || !client.failures().empty(); },
                             options.stage_timeout_ms);
    if (ok && client.failures().empty() && client.errors().empty()) {
      report(options.status_fd, kStageReached);
      loop.run_for(options.linger_ms);
    } else {
      std::string why = !client.failures().empty() ? client.failures().front()
                        : !client.errors().empty() ? client.errors().front().dump()
                                                   : std::string("timed out before the stage");
      report(options.status_fd, kStageFailed, why);
      exit_code = 1;
    }
  }
  loop.drain();
  return exit_code;
}

}  // namespace sfu::soak
