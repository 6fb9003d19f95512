#include "bench/janus_target.h"

#include <cstdio>

#include "bench/janus_participant.h"
#include "bench/janus_server.h"
#include "bench/janus_signaling.h"

namespace sfu::bench {

std::optional<RunResult> run_janus_target(const BenchOptions& options, const std::vector<int>& server_cpus,
                                          std::string* error) {
  JanusServer server;
  JanusServer::Options so;
  so.binary = options.janus_binary;
  so.work_dir = options.work_dir;
  so.cpus = server_cpus;
  so.nice = options.nice;
  if (!server.start(so, error)) return std::nullopt;
  std::fprintf(stderr, "[janus] started %s (pid %d, http %s:%u, log %s)\n", so.binary.c_str(), server.pid(),
               so.ip.c_str(), so.http_port, server.log_path().c_str());

  JanusSignaling signaling(so.ip, so.http_port, options.scenario.publishers);
  if (!signaling.start(error)) {
    *error += "\n" + server.log_tail();
    return std::nullopt;
  }
  Scenario scenario = options.scenario;
  scenario.bind_ip = so.ip;
  scenario.room_prefix = "janus";
  std::string bind_ip = so.ip;
  Target target;
  target.kind = Target::Kind::kCustom;
  target.name = "janus";
  target.server_pid = server.pid();
  target.make_participant = [&](uv_loop_t* loop, std::optional<MediaSourceConfig> media,
                                const ParticipantSpec& spec, ReceiveAccounting accounting,
                                ReceiverStats& stats,
                                const MeasurementWindow& window) -> std::unique_ptr<BenchParticipant> {
    return std::make_unique<JanusParticipant>(loop, signaling, bind_ip, media, spec, std::move(accounting),
                                              stats, window);
  };
  RunResult result = run_load(scenario, target);
  signaling.stop();
  if (!server.running()) {
    result.ok = false;
    result.error +=
        (result.error.empty() ? "" : "\n") + std::string("janus died during the run: ") + server.log_tail();
  }
  server.stop();
  return result;
}

}  // namespace sfu::bench
