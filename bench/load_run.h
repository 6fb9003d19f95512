// One measured run of a scenario (rooms x publishers x subscribers at a given media rate) against
// one target: the SFU over WebRTC, or the plain UDP reflector of the baseline. It spreads the
// participants over client threads, waits until every subscriber receives every stream, warms
// up, measures for the window, then gathers loss, latency, rates and CPU.
#pragma once

#include <sys/types.h>
#include <uv.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/socket_address.h"
#include "bench/bench_participant.h"
#include "bench/data_run.h"
#include "bench/latency_histogram.h"
#include "bench/proc_stats.h"

namespace sfu::bench {

struct Scenario {
  uint32_t rooms = 1;
  uint32_t publishers = 2;   // per room
  uint32_t subscribers = 4;  // per room, besides the publishers (who receive each other too)
  uint32_t video_pps = 500;  // per publisher
  size_t video_packet_size = 1200;
  uint32_t video_fps = 30;
  bool audio = true;
  // Data channels (0 = none): each publisher sends data_rate messages per second of data_size
  // bytes on a reliable ordered and on an unreliable unordered channel (data_source.h).
  uint32_t data_rate = 0;
  size_t data_size = 1000;
  DataFault data_fault = DataFault::kNone;  // a fault to prove the checks (tests only)
  double warmup_s = 1.0;
  double duration_s = 5.0;
  double connect_timeout_s = 60.0;
  uint32_t client_threads = 2;
  std::vector<int> client_cpus;  // affinity of the client threads; empty = any
  std::string bind_ip = "127.0.0.1";
  bool ice_tcp = false;  // SFU participants connect over ICE-TCP (RFC 6544) instead of UDP
  // Publishers send rid simulcast video (q, h, f; media_source.h); subscriber k of a room asks
  // every publisher's video for layer k % 3 (track_settings max_layer), publishers receive each
  // other at the server's default (the best layer, f). SFU target only.
  bool simulcast = false;
  // Test of the checks: subscriber 0 of each room asks for another layer when the window starts,
  // while it still counts the layer it should get, so the run must fail.
  bool simulcast_fault = false;
  std::string room_prefix = "bench";
  bool progress = true;
  // Called on run_load's thread once every participant is ready, before the warm-up; the run
  // waits for it to return. The fault runs (sfu-soak) start their fault here, so it is active
  // for the whole measurement window.
  std::function<void()> on_connected;

  // Down-tracks (one per forwarded stream per receiver) and the forwarded packet rate offered.
  uint64_t down_tracks() const;
  double offered_forward_pps() const;
  bool data() const { return data_rate > 0; }
  uint64_t participants() const { return uint64_t{rooms} * (publishers + subscribers); }
  // Simulcast: the layer the participant at `index_in_room` receives (publishers come first).
  uint32_t receiver_layer(uint32_t index_in_room) const {
    return index_in_room < publishers ? kSimulcastLayers - 1
                                      : (index_in_room - publishers) % kSimulcastLayers;
  }
  // Video packets per second one publisher's video brings the participant at `index_in_room`.
  double receiver_video_pps(uint32_t index_in_room) const;
  // Messages the server should relay per second: both channels of every publisher to every other
  // participant of its room.
  double offered_data_relay_per_s() const;
};

// kCustom: how another system's participant is made (e.g. Janus, see janus_target.h). `media` is
// what a publisher sends (nullopt for receive-only participants).
using CustomParticipantFactory = std::function<std::unique_ptr<BenchParticipant>(
    uv_loop_t* loop, std::optional<MediaSourceConfig> media, const ParticipantSpec& spec,
    ReceiveAccounting accounting, ReceiverStats& stats, const MeasurementWindow& window)>;

struct Target {
  enum class Kind { kSfu, kUdpReflector, kCustom };
  Kind kind = Kind::kSfu;
  std::string name = "sfu";
  // kSfu: the signaling endpoint.
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string path = "/v1/rtc";
  // kSfu: more nodes of a cluster (sfu-bench --span-url). Participant i of a room joins node
  // i % (1 + span_nodes.size()) (0: host/port above) with `stay`: the room spans the nodes.
  struct Node {
    std::string host;
    uint16_t port = 0;
    std::string path;
  };
  std::vector<Node> span_nodes;
  // kUdpReflector: where to send.
  SocketAddress reflector;
  // kCustom: makes each participant.
  CustomParticipantFactory make_participant;
  // Whose CPU and memory to measure: a server process (0: unknown), or threads of this process.
  pid_t server_pid = 0;
  std::vector<pid_t> own_threads;
};

// One worker of the SFU during the window (its /metrics and its thread's CPU), to see how a room
// spread over workers shares the work.
struct WorkerFigures {
  uint32_t index = 0;
  uint64_t participants = 0;        // placed on it (at the end of the window)
  double cpu_percent = 0;           // its thread, sfu-worker-<index>
  double forwarded_pps = 0;         // RTP packets it forwarded, by its own count
  double ring_out_pps = 0;          // slots it handed to other workers
  uint64_t ring_dropped = 0;        // slots dropped on a full ring
  double cpu_us_per_forwarded = 0;  // CPU-microseconds per forwarded packet
};

// A simulcast run per layer (0 = q .. 2 = f): what the publishers sent and what the receivers that
// asked for it got in the window.
struct SimulcastLayerFigures {
  uint32_t receivers = 0;  // per room: participants that receive video at this layer
  double sent_pps = 0;     // all publishers
  uint64_t expected = 0, received = 0;
  double forwarded_pps = 0;
  double loss_ratio() const {
    return expected ? static_cast<double>(expected - received) / static_cast<double>(expected) : 0;
  }
};
struct SimulcastFigures {
  std::array<SimulcastLayerFigures, kSimulcastLayers> layers;
  uint64_t wrong_layer = 0;  // packets of a layer the receiver did not ask for, sent in the window
  // The checks sfu-bench fails a run on: every layer forwarded packets, none of a wrong layer.
  bool correct() const;
  std::string failure() const;  // why not correct(), or empty
};

struct RunResult {
  std::string target;
  bool ok = false;
  std::string error;
  double window_s = 0;
  uint64_t expected = 0, received = 0;
  double loss_ratio = 0;
  double forwarded_pps = 0, forwarded_bps = 0;
  double sent_pps = 0;  // publishers, stamps in the window
  LatencyHistogram latency;
  uint64_t duplicates = 0, unstamped = 0, too_old = 0, skipped = 0;
  uint64_t down_tracks = 0;
  double connect_s = 0;
  std::vector<ThreadCpuUse> server_threads;
  double server_cpu_percent = 0;
  uint64_t server_rss_idle_bytes = 0, server_rss_bytes = 0;
  double memory_per_down_track_bytes = 0;
  double memory_per_participant_bytes = 0;  // (RSS at the end - RSS before the run) / participants
  std::vector<ThreadCpuUse> client_threads;
  double client_cpu_percent = 0;
  // The whole machine during the window, in percent of one core: every CPU's busy time (softirq
  // included), and what of it was neither the server's nor the clients' threads: other processes
  // (a busy machine makes the figures pessimistic) plus softirq work not charged to any thread.
  double machine_busy_percent = 0;
  double softirq_percent = 0;
  double other_cpu_percent = 0;
  std::vector<double> cpu_busy_percent;       // per CPU
  std::optional<DataRunResult> data;          // Scenario::data()
  std::vector<WorkerFigures> workers;         // SFU runs
  std::optional<SimulcastFigures> simulcast;  // Scenario::simulcast
  Scenario scenario;

  // Server CPU-microseconds per packet the receivers counted (all server threads).
  double cpu_us_per_forwarded() const {
    return forwarded_pps > 0 ? server_cpu_percent * 1e4 / forwarded_pps : 0;
  }
};

RunResult run_load(const Scenario& scenario, const Target& target);

}  // namespace sfu::bench
