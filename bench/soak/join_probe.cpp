#include "bench/soak/join_probe.h"

namespace sfu::soak {
namespace {

client::ParticipantClient::Options probe_options(const FaultTarget& target, std::string room) {
  client::ParticipantClient::Options options;
  options.server_host = target.host;
  options.server_port = target.port;
  options.path = target.path;
  options.bind_ip = target.bind_ip;
  options.room = std::move(room);
  options.name = "probe";
  options.publish_audio = false;
  options.publish_video = false;
  return options;
}

}  // namespace

JoinProbe::JoinProbe(uv_loop_t* loop, const FaultTarget& target, std::string room)
    : client_(loop, probe_options(target, std::move(room))) {}

bool JoinProbe::start(uint64_t now_ns, std::string* error) {
  started_ns_ = now_ns;
  return client_.start(error);
}

void JoinProbe::tick(uint64_t now_ns) {
  if (!started() || answered()) return;
  if (client_.joined()) {
    answer_ = "joined";
  } else if (!client_.errors().empty()) {
    answer_ = client_.errors().front().value("code", "error");
  } else if (!client_.failures().empty()) {
    answer_ = client_.failures().front();
  } else {
    return;
  }
  answered_ns_ = now_ns;
}

}  // namespace sfu::soak
