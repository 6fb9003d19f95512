#include "bench/load_run.h"

#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <thread>

#include "bench/client_thread.h"
#include "bench/packet_stamp.h"
#include "bench/server_metrics.h"
#include "bench/sfu_participant.h"
#include "bench/udp_participant.h"

namespace sfu::bench {
namespace {

void sleep_until_ns(uint64_t deadline) {
  uint64_t now = monotonic_ns();
  if (deadline > now) std::this_thread::sleep_for(std::chrono::nanoseconds(deadline - now));
}

std::vector<ThreadCpu> sample_server(const Target& target) {
  if (target.server_pid > 0) return read_thread_cpu(target.server_pid);
  std::vector<ThreadCpu> out;
  for (pid_t tid : target.own_threads)
    if (auto cpu = read_one_thread_cpu(getpid(), tid)) out.push_back(*cpu);
  return out;
}

std::vector<ThreadCpu> sample_clients(const std::vector<std::unique_ptr<ClientThread>>& threads) {
  std::vector<ThreadCpu> out;
  for (const auto& thread : threads)
    if (auto cpu = read_one_thread_cpu(getpid(), thread->thread_id())) out.push_back(*cpu);
  return out;
}

double total_percent(const std::vector<ThreadCpuUse>& threads) {
  double sum = 0;
  for (const auto& t : threads) sum += t.percent;
  return sum;
}

uint64_t data_window_received(const std::vector<std::unique_ptr<ClientThread>>& threads) {
  uint64_t sum = 0;
  for (const auto& thread : threads) sum += thread->stats().data.window_live.get();
  return sum;
}

// After the window: reliable messages of the window may still be on their way (retransmitted, or
// queued behind others at the server), so wait until the receivers' count of window messages
// stops growing (at most a few seconds) rather than a fixed time.
void drain_data(const std::vector<std::unique_ptr<ClientThread>>& threads) {
  uint64_t previous = data_window_received(threads);
  for (int i = 0; i < 25; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    uint64_t now = data_window_received(threads);
    if (now == previous) return;
    previous = now;
  }
}

std::optional<ServerMediaMetrics> sample_media_metrics(const Target& target) {
  if (target.kind != Target::Kind::kSfu) return std::nullopt;
  std::string error;
  return fetch_media_metrics(target.host, target.port, &error);
}

// Per worker: what its counters and its thread's CPU say about the window.
std::vector<WorkerFigures> worker_figures(const ServerMediaMetrics& before, const ServerMediaMetrics& after,
                                          const std::vector<ThreadCpuUse>& threads, double seconds) {
  std::vector<WorkerFigures> figures;
  for (const auto& [index, end] : after) {
    auto start = before.find(index);
    WorkerMediaMetrics begin = start == before.end() ? WorkerMediaMetrics{} : start->second;
    WorkerFigures f;
    f.index = index;
    f.participants = end.participants;
    f.forwarded_pps = static_cast<double>(end.forwarded - begin.forwarded) / seconds;
    f.ring_out_pps = static_cast<double>(end.ring_out - begin.ring_out) / seconds;
    f.ring_dropped = end.ring_dropped - begin.ring_dropped;
    std::string name = "sfu-worker-" + std::to_string(index);
    for (const auto& t : threads)
      if (t.name == name) f.cpu_percent += t.percent;
    if (f.forwarded_pps > 0) f.cpu_us_per_forwarded = f.cpu_percent * 1e4 / f.forwarded_pps;
    figures.push_back(f);
  }
  return figures;
}

std::optional<ServerDataMetrics> sample_data_metrics(const Scenario& scenario, const Target& target,
                                                     std::string* error) {
  if (!scenario.data() || target.kind != Target::Kind::kSfu) return std::nullopt;
  return fetch_data_metrics(target.host, target.port, error);
}

}  // namespace

uint64_t Scenario::down_tracks() const {
  uint64_t kinds = (audio ? 1 : 0) + (video_pps > 0 ? 1 : 0);
  uint64_t receivers = subscribers + (publishers > 0 ? publishers - 1 : 0);
  return uint64_t{rooms} * publishers * kinds * receivers;
}

double Scenario::offered_data_relay_per_s() const {
  double receivers = subscribers + (publishers > 0 ? publishers - 1.0 : 0.0);
  return rooms * publishers * 2.0 * data_rate * receivers;
}

double Scenario::receiver_video_pps(uint32_t index_in_room) const {
  return simulcast ? simulcast_layer_pps(video_pps, receiver_layer(index_in_room)) : video_pps;
}

double Scenario::offered_forward_pps() const {
  double audio_pps = audio ? 50.0 : 0.0;
  double per_room = 0;
  for (uint32_t i = 0; i < publishers + subscribers; ++i) {
    double senders = i < publishers ? publishers - 1.0 : publishers;
    per_room += senders * (audio_pps + receiver_video_pps(i));
  }
  return rooms * per_room;
}

bool SimulcastFigures::correct() const { return failure().empty(); }

std::string SimulcastFigures::failure() const {
  std::string out;
  for (uint32_t layer = 0; layer < kSimulcastLayers; ++layer) {
    const SimulcastLayerFigures& l = layers[layer];
    if (l.receivers > 0 && l.received == 0)
      out += "layer " + std::to_string(layer) + ": nothing forwarded to its " + std::to_string(l.receivers) +
             " receiver(s) per room; ";
  }
  if (wrong_layer > 0)
    out += std::to_string(wrong_layer) + " packet(s) of a layer the receiver did not ask for; ";
  if (!out.empty()) out.resize(out.size() - 2);
  return out;
}

// NOLINTNEXTLINE(readability-function-cognitive-complexity): the load run phases (set-up, ramp-in, measure, drain, collect) in sequence; to split per phase.
RunResult run_load(const Scenario& scenario, const Target& target) {
  RunResult result;
  result.target = target.name;
  result.scenario = scenario;
  result.down_tracks = scenario.down_tracks();
  if (target.server_pid > 0) result.server_rss_idle_bytes = read_rss_bytes(target.server_pid);
  std::string metrics_error;
  auto data_metrics_at_start = sample_data_metrics(scenario, target, &metrics_error);

  // Participants, spread round-robin over the client threads.
  uint32_t thread_count = std::max<uint32_t>(1, scenario.client_threads);
  std::vector<std::vector<ParticipantSpec>> specs(thread_count);
  size_t next = 0, total = 0;
  for (uint32_t room = 0; room < scenario.rooms; ++room) {
    for (uint32_t i = 0; i < scenario.publishers + scenario.subscribers; ++i) {
      ParticipantSpec spec;
      spec.room = room;
      spec.index_in_room = i;
      if (i < scenario.publishers) spec.publisher_index = i;
      spec.name = scenario.room_prefix + "-r" + std::to_string(room) +
                  (i < scenario.publishers ? "-pub" + std::to_string(i)
                                           : "-sub" + std::to_string(i - scenario.publishers));
      specs[next++ % thread_count].push_back(std::move(spec));
      ++total;
    }
  }

  MediaSourceConfig media_base;
  media_base.video_pps = scenario.video_pps;
  media_base.video_packet_size = scenario.video_packet_size;
  media_base.video_fps = scenario.video_fps;
  media_base.audio = scenario.audio;
  media_base.simulcast_layers = scenario.simulcast ? kSimulcastLayers : 0;
  uint32_t stream_count = scenario.publishers * 2;
  bool video = scenario.video_pps > 0;

  ParticipantFactory factory = [&](uv_loop_t* loop, const ParticipantSpec& spec, ReceiverStats& stats,
                                   const MeasurementWindow& window) -> std::unique_ptr<BenchParticipant> {
    std::optional<MediaSourceConfig> media;
    if (spec.publisher_index) {
      media = media_base;
      media->publisher_index = *spec.publisher_index;
      media->audio_ssrc = 0x10000000u + spec.room * 1000 + *spec.publisher_index * 2;
      media->video_ssrc = media->audio_ssrc + 1;
    }
    ReceiveAccounting accounting(stream_count, spec.publisher_index.value_or(UINT32_MAX), scenario.audio,
                                 video);
    if (scenario.simulcast) accounting.set_video_layer(scenario.receiver_layer(spec.index_in_room));
    std::optional<DataSourceConfig> data;
    std::optional<DataReceiveAccounting> data_accounting;
    if (scenario.data()) {
      if (spec.publisher_index) {
        data = DataSourceConfig{*spec.publisher_index, scenario.data_rate, scenario.data_size};
        data->fault = scenario.data_fault;
      }
      data_accounting.emplace(scenario.publishers, spec.publisher_index.value_or(UINT32_MAX),
                              scenario.data_size);
    }
    if (target.kind == Target::Kind::kCustom)
      return target.make_participant(loop, media, spec, std::move(accounting), stats, window);
    if (target.kind == Target::Kind::kUdpReflector) {
      ParticipantSpec udp_spec = spec;
      return std::make_unique<UdpParticipant>(loop, target.reflector, media, udp_spec, std::move(accounting),
                                              stats, window);
    }
    client::ParticipantClient::Options options;
    options.server_host = target.host;
    options.server_port = target.port;
    options.path = target.path;
    if (!target.span_nodes.empty()) {
      options.stay = true;
      const size_t node = spec.index_in_room % (target.span_nodes.size() + 1);
      if (node > 0) {
        const Target::Node& other = target.span_nodes[node - 1];
        options.server_host = other.host;
        options.server_port = other.port;
        options.path = other.path;
      }
    }
    options.room = scenario.room_prefix + "-" + std::to_string(spec.room);
    options.name = spec.name;
    options.bind_ip = scenario.bind_ip;
    options.ice_tcp = scenario.ice_tcp;
    auto participant = std::make_unique<SfuParticipant>(loop, options, media, spec, std::move(accounting),
                                                        stats, window, data, std::move(data_accounting));
    // Subscribers ask for their layer; publishers keep the default (the best layer).
    if (scenario.simulcast && !spec.publisher_index) {
      uint32_t layer = scenario.receiver_layer(spec.index_in_room);
      bool fault = scenario.simulcast_fault && spec.index_in_room == scenario.publishers;
      participant->ask_video_layer(
          layer, fault ? std::optional<uint32_t>((layer + 1) % kSimulcastLayers) : std::nullopt);
    }
    return participant;
  };

  MeasurementWindow window;
  std::vector<std::unique_ptr<ClientThread>> threads;
  for (uint32_t i = 0; i < thread_count; ++i)
    threads.push_back(
        std::make_unique<ClientThread>(i, specs[i], factory, window, scenario.client_cpus, scenario.data()));
  uint64_t connect_start = monotonic_ns();
  for (auto& thread : threads) thread->start();

  auto fail = [&](std::string error) {
    for (auto& thread : threads) thread->request_stop();
    for (auto& thread : threads) thread->join();
    result.error = std::move(error);
    for (auto& thread : threads)
      for (const auto& e : thread->start_errors()) result.error += "\n  " + e;
    return result;
  };

  // Everyone connected and every subscriber receiving every stream.
  uint64_t deadline = connect_start + static_cast<uint64_t>(scenario.connect_timeout_s * 1e9);
  uint64_t last_progress = connect_start;
  while (true) {
    size_t ready = 0, failed = 0, started = 0;
    for (auto& thread : threads) {
      ready += thread->ready_count();
      failed += thread->failed_count();
      started += thread->started();
    }
    if (started == threads.size() && ready == total) break;
    uint64_t now = monotonic_ns();
    if (failed > 0 || now > deadline) {
      std::string waiting;
      for (auto& thread : threads) waiting += thread->describe_waiting();
      return fail(std::string(failed > 0 ? "participants failed" : "timed out connecting") + " (" +
                  std::to_string(ready) + "/" + std::to_string(total) + " ready):\n" + waiting);
    }
    if (scenario.progress && now - last_progress > 1'000'000'000ull) {
      std::fprintf(stderr, "\r[%s] connecting: %zu/%zu participants ready   ", target.name.c_str(), ready,
                   total);
      last_progress = now;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  result.connect_s = static_cast<double>(monotonic_ns() - connect_start) / 1e9;
  if (scenario.on_connected) scenario.on_connected();

  // Warm-up, then the window.
  uint64_t start = monotonic_ns() + static_cast<uint64_t>(scenario.warmup_s * 1e9);
  uint64_t end = start + static_cast<uint64_t>(scenario.duration_s * 1e9);
  window.set(start, end);
  sleep_until_ns(start);
  auto server_before = sample_server(target);
  auto clients_before = sample_clients(threads);
  auto machine_before = read_cpu_times();
  auto data_metrics_before = sample_data_metrics(scenario, target, &metrics_error);
  auto media_metrics_before = sample_media_metrics(target);
  uint64_t measured_start = monotonic_ns();
  uint64_t previous_packets = 0, previous_ns = measured_start;
  // RTP packets and data channel messages received.
  auto received_now = [&] {
    uint64_t sum = 0;
    for (auto& thread : threads) sum += thread->stats().packets.get() + thread->stats().data.messages.get();
    return sum;
  };
  previous_packets = received_now();
  while (monotonic_ns() < end) {
    sleep_until_ns(std::min<uint64_t>(end, monotonic_ns() + 1000000000ull));
    uint64_t now = monotonic_ns();
    uint64_t packets = received_now();
    if (scenario.progress && now > previous_ns) {
      double pps =
          static_cast<double>(packets - previous_packets) * 1e9 / static_cast<double>(now - previous_ns);
      std::fprintf(stderr, "\r[%s] %4.1f/%.1f s  received %9.0f %s   ", target.name.c_str(),
                   static_cast<double>(now - measured_start) / 1e9, scenario.duration_s, pps,
                   scenario.data() ? "pkt+msg/s" : "pps");
    }
    previous_packets = packets;
    previous_ns = now;
  }
  auto server_after = sample_server(target);
  auto clients_after = sample_clients(threads);
  auto machine_after = read_cpu_times();
  auto data_metrics_after = sample_data_metrics(scenario, target, &metrics_error);
  auto media_metrics_after = sample_media_metrics(target);
  auto data_metrics_at_end = data_metrics_after;
  double measured_s = static_cast<double>(monotonic_ns() - measured_start) / 1e9;
  if (target.server_pid > 0) result.server_rss_bytes = read_rss_bytes(target.server_pid);
  if (scenario.progress) std::fprintf(stderr, "\n");

  // Packets still in flight when the window closed.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  if (scenario.data()) {
    drain_data(threads);
    if (auto end_sample = sample_data_metrics(scenario, target, &metrics_error))
      data_metrics_at_end = end_sample;
  }
  for (auto& thread : threads) thread->request_stop();
  for (auto& thread : threads) thread->join();

  result.window_s = window.seconds();
  result.server_threads = cpu_use_between(server_before, server_after, measured_s);
  result.server_cpu_percent = total_percent(result.server_threads);
  if (media_metrics_before && media_metrics_after)
    result.workers =
        worker_figures(*media_metrics_before, *media_metrics_after, result.server_threads, measured_s);
  result.client_threads = cpu_use_between(clients_before, clients_after, measured_s);
  result.client_cpu_percent = total_percent(result.client_threads);
  for (const CpuTimes& after : machine_after) {
    for (const CpuTimes& before : machine_before) {
      if (before.cpu != after.cpu || after.total_ns <= before.total_ns) continue;
      double busy = 100.0 * static_cast<double>(after.busy_ns - before.busy_ns) / (measured_s * 1e9);
      if (after.cpu < 0) {
        result.machine_busy_percent = busy;
        result.softirq_percent =
            100.0 * static_cast<double>(after.softirq_ns - before.softirq_ns) / (measured_s * 1e9);
      } else {
        result.cpu_busy_percent.push_back(busy);
      }
    }
  }
  result.other_cpu_percent =
      std::max(0.0, result.machine_busy_percent - result.server_cpu_percent - result.client_cpu_percent);
  if (result.server_rss_bytes > result.server_rss_idle_bytes && result.down_tracks > 0)
    result.memory_per_down_track_bytes =
        static_cast<double>(result.server_rss_bytes - result.server_rss_idle_bytes) /
        static_cast<double>(result.down_tracks);
  if (result.server_rss_bytes > result.server_rss_idle_bytes && scenario.participants() > 0)
    result.memory_per_participant_bytes =
        static_cast<double>(result.server_rss_bytes - result.server_rss_idle_bytes) /
        static_cast<double>(scenario.participants());

  // Expected: for each receiver and each stream it expects, what that stream's publisher sent in
  // the window.
  // With simulcast, the stream key is the stamp's (stream and layer, stamp_stream()).
  std::map<std::pair<uint32_t, uint32_t>, SentRange> sent;  // (room, stream) -> range
  uint64_t sent_packets = 0;
  if (scenario.simulcast) {
    result.simulcast.emplace();
    for (uint32_t i = 0; i < scenario.publishers + scenario.subscribers; ++i)
      if (i >= scenario.publishers || scenario.publishers > 1)  // a lone publisher receives nothing
        ++result.simulcast->layers[scenario.receiver_layer(i)].receivers;
  }
  for (auto& thread : threads) {
    for (auto& r : thread->results()) {
      if (!r.spec.publisher_index) continue;
      uint32_t publisher = *r.spec.publisher_index;
      if (r.audio_sent) sent[{r.spec.room, audio_stream_of(publisher)}] = *r.audio_sent;
      if (r.video_sent) sent[{r.spec.room, video_stream_of(publisher)}] = *r.video_sent;
      sent_packets += (r.audio_sent ? r.audio_sent->count : 0) + (r.video_sent ? r.video_sent->count : 0);
      for (uint32_t layer = 0; r.layers_sent && layer < kSimulcastLayers; ++layer) {
        const SentRange& range = (*r.layers_sent)[layer];
        sent[{r.spec.room, stamp_stream(video_stream_of(publisher), layer)}] = range;
        sent_packets += range.count;
        result.simulcast->layers[layer].sent_pps += static_cast<double>(range.count);
      }
      result.skipped += r.skipped;
    }
  }
  for (auto& thread : threads) {
    const ReceiverStats& stats = thread->stats();
    result.latency.merge(stats.latency);
    result.duplicates += stats.duplicates;
    result.unstamped += stats.unstamped;
    result.too_old += stats.too_old;
    if (result.simulcast) result.simulcast->wrong_layer += stats.wrong_layer;
    result.forwarded_bps += static_cast<double>(stats.window_bytes) * 8;
    for (auto& r : thread->results()) {
      for (uint32_t stream = 0; stream < r.accounting.stream_count(); ++stream) {
        if (!r.accounting.expects(stream)) continue;
        bool layered = result.simulcast && stream % 2 == 1;
        uint32_t layer = layered ? r.accounting.video_layer() : 0;
        auto it = sent.find({r.spec.room, stamp_stream(stream, layer)});
        uint64_t expected = it == sent.end() ? 0 : it->second.count;
        uint64_t received = std::min<uint64_t>(r.accounting.window_tracker(stream).received(), expected);
        result.expected += expected;
        result.received += received;
        if (layered) {
          result.simulcast->layers[layer].expected += expected;
          result.simulcast->layers[layer].received += received;
        }
      }
    }
  }
  double seconds = result.window_s > 0 ? result.window_s : 1;
  result.forwarded_pps = static_cast<double>(result.received) / seconds;
  result.forwarded_bps /= seconds;
  result.sent_pps = static_cast<double>(sent_packets) / seconds;
  if (result.simulcast) {
    for (SimulcastLayerFigures& layer : result.simulcast->layers) {
      layer.sent_pps /= seconds;
      layer.forwarded_pps = static_cast<double>(layer.received) / seconds;
    }
  }
  result.loss_ratio = result.expected ? static_cast<double>(result.expected - result.received) /
                                            static_cast<double>(result.expected)
                                      : 0;
  if (scenario.data()) {
    DataRunResult& data = result.data.emplace();
    data.rate = scenario.data_rate;
    data.size = scenario.data_size;
    data.receivers_per_stream = scenario.subscribers + scenario.publishers - 1;
    data.offered_relay_per_s = scenario.offered_data_relay_per_s();
    gather_data_results(threads, scenario.publishers, result.window_s, &data);
    add_server_data_results(data_metrics_before, data_metrics_after, measured_s, result.server_threads,
                            &data);
    if (data_metrics_at_start && data_metrics_at_end)
      data.server_drops_in_run = metrics_delta(*data_metrics_at_start, *data_metrics_at_end).drops;
    data.server_metrics_error = metrics_error;
  }
  result.ok = true;
  return result;
}

}  // namespace sfu::bench
