#include "bench/soak/join_cycles.h"

#include <algorithm>
#include <memory>

#include "bench/measurement_window.h"
#include "bench/packet_stamp.h"
#include "bench/receive_accounting.h"
#include "bench/sfu_participant.h"

namespace sfu::soak {
namespace {

constexpr size_t kMaxFailuresKept = 10;
constexpr uint64_t kLeaveTimeoutMs = 3000;

struct Wave {
  bench::MeasurementWindow window;  // everything counts: the wave measures delivery, not a window
  std::vector<std::unique_ptr<bench::ReceiverStats>> stats;
  std::vector<std::unique_ptr<bench::SfuParticipant>> clients;
};

bool received_enough(const bench::SfuParticipant& client, uint32_t packets) {
  const bench::ReceiveAccounting& accounting = client.accounting();
  for (uint32_t stream = 0; stream < accounting.stream_count(); ++stream)
    if (accounting.expects(stream) && accounting.window_tracker(stream).received() < packets) return false;
  return true;
}

std::string first_failure(const Wave& wave) {
  for (const auto& client : wave.clients)
    if (!client->failure().empty()) return client->describe();
  return {};
}

void build_wave(Wave& wave, ClientLoop& loop, const CycleOptions& options, uint32_t size, uint32_t index) {
  wave.window.set(0, UINT64_MAX);
  std::string room = options.room_prefix + "-w" + std::to_string(index);
  for (uint32_t i = 0; i < size; ++i) {
    bench::MediaSourceConfig media;
    media.publisher_index = i;
    media.video_pps = options.video_pps;
    media.video_packet_size = 400;
    bench::ParticipantSpec spec;
    spec.room = index;
    spec.index_in_room = i;
    spec.publisher_index = i;
    spec.name = room + "-c" + std::to_string(i);
    client::ParticipantClient::Options client_options;
    client_options.server_host = options.host;
    client_options.server_port = options.port;
    client_options.path = options.path;
    client_options.room = room;
    client_options.name = spec.name;
    client_options.bind_ip = options.bind_ip;
    wave.stats.push_back(std::make_unique<bench::ReceiverStats>());
    wave.clients.push_back(std::make_unique<bench::SfuParticipant>(
        loop.get(), client_options, media, spec, bench::ReceiveAccounting(size * 2, i, true, true),
        *wave.stats.back(), wave.window));
  }
}

// One wave: join, publish, media both ways, leave. Empty when it worked, else what failed.
std::string run_wave(Wave& wave, ClientLoop& loop, const CycleOptions& options) {
  loop.update_time();
  for (auto& client : wave.clients) {
    std::string error;
    if (!client->start(&error)) return client->spec().name + ": " + error;
  }
  auto pump = [&] {
    uint64_t now = bench::monotonic_ns();
    for (auto& client : wave.clients) client->pump(now);
  };
  auto failed = [&] { return !first_failure(wave).empty(); };
  bool media_flowed = loop.run_until(
      [&] {
        return failed() || std::all_of(wave.clients.begin(), wave.clients.end(), [&](const auto& c) {
                 return c->ready() && received_enough(*c, options.packets);
               });
      },
      options.wave_timeout_ms, pump);
  std::string failure = first_failure(wave);
  if (failure.empty() && !media_flowed) {
    for (const auto& client : wave.clients)
      if (!client->ready() || !received_enough(*client, options.packets))
        failure = "timed out: " + client->describe();
  }
  for (size_t i = 0; i < wave.clients.size(); ++i) {
    if (i % 2 == 0)
      wave.clients[i]->leave();
    else
      wave.clients[i]->close();
  }
  bool closed = loop.run_until(
      [&] {
        return std::all_of(wave.clients.begin(), wave.clients.end(),
                           [](const auto& c) { return c->closed(); });
      },
      kLeaveTimeoutMs);
  if (failure.empty() && !closed) failure = "the signaling socket did not close after leaving";
  return failure;
}

}  // namespace

CycleResult run_join_cycles(ClientLoop& loop, const CycleOptions& options,
                            const std::function<void(uint32_t done)>& progress) {
  CycleResult result;
  uint64_t start = bench::monotonic_ns();
  uint32_t concurrency = std::max<uint32_t>(2, options.concurrency);
  uint32_t done = 0;
  while (done < options.cycles) {
    uint32_t size = std::max<uint32_t>(2, std::min(concurrency, options.cycles - done));
    Wave wave;
    build_wave(wave, loop, options, size, result.waves++);
    std::string failure = run_wave(wave, loop, options);
    if (failure.empty()) {
      result.cycles_ok += size;
    } else {
      result.cycles_failed += size;
      if (result.failures.size() < kMaxFailuresKept) result.failures.push_back(failure);
    }
    for (const auto& stats : wave.stats) {
      result.packets_received += stats->window_packets;
      result.latency.merge(stats->latency);
    }
    wave.clients.clear();
    loop.drain();
    done += size;
    if (progress) progress(done);
  }
  result.seconds = static_cast<double>(bench::monotonic_ns() - start) / 1e9;
  return result;
}

}  // namespace sfu::soak
