#include "bench/client_thread.h"

#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include <chrono>
#include <stdexcept>

#include "bench/packet_stamp.h"
#include "dtls/sctp_stack.h"

namespace sfu::bench {

void pin_current_thread(const std::vector<int>& cpus) {
  if (cpus.empty()) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int cpu : cpus) CPU_SET(cpu, &set);
  pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

ClientThread::ClientThread(uint32_t index, std::vector<ParticipantSpec> specs, ParticipantFactory factory,
                           const MeasurementWindow& window, std::vector<int> cpus, bool data_channels)
    : index_(index),
      specs_(std::move(specs)),
      factory_(std::move(factory)),
      window_(window),
      cpus_(std::move(cpus)),
      data_channels_(data_channels) {}

ClientThread::~ClientThread() {
  request_stop();
  join();
}

void ClientThread::start() {
  thread_ = std::thread([this] { run(); });
}

void ClientThread::request_stop() { stop_requested_ = true; }

void ClientThread::join() {
  if (thread_.joinable()) thread_.join();
}

std::string ClientThread::describe_waiting() {
  if (!thread_.joinable()) return {};
  description_ready_ = false;
  describe_requested_ = true;
  for (int i = 0; i < 100 && !description_ready_.load(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  return description_ready_.load() ? description_ : std::string("(thread busy)");
}

void ClientThread::run() {
  tid_ = static_cast<pid_t>(gettid());
  std::string name = "bench-client-" + std::to_string(index_);
  pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
  pin_current_thread(cpus_);
  uv_loop_init(&loop_);
  if (data_channels_) {
    sctp_mailbox_ = std::make_unique<dtls::SctpMailbox>(&loop_);
    // One driver per process: if one runs already (a server in this process), it serves ours too.
    try {
      if (index_ == 0) sctp_timers_ = std::make_unique<dtls::SctpTimerDriver>(&loop_);
    } catch (const std::logic_error&) {
    }
  }
  for (const auto& spec : specs_) {
    auto participant = factory_(&loop_, spec, stats_, window_);
    std::string error;
    if (!participant->start(&error)) start_errors_.push_back(spec.name + ": " + error);
    participants_.push_back(std::move(participant));
  }
  uv_timer_init(&loop_, &media_timer_);
  uv_timer_init(&loop_, &check_timer_);
  media_timer_.data = check_timer_.data = this;
  uv_timer_start(
      &media_timer_, [](uv_timer_t* t) { static_cast<ClientThread*>(t->data)->on_media_tick(); }, 1, 1);
  uv_timer_start(
      &check_timer_, [](uv_timer_t* t) { static_cast<ClientThread*>(t->data)->on_check_tick(); }, 20, 20);
  started_ = true;
  uv_run(&loop_, UV_RUN_DEFAULT);

  collect_results();
  participants_.clear();
  sctp_timers_.reset();
  sctp_mailbox_.reset();
  uv_close(reinterpret_cast<uv_handle_t*>(&media_timer_), nullptr);
  uv_close(reinterpret_cast<uv_handle_t*>(&check_timer_), nullptr);
  for (int i = 0; i < 1000 && uv_run(&loop_, UV_RUN_NOWAIT) != 0; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  uv_loop_close(&loop_);
}

void ClientThread::collect_results() {
  for (auto& participant : participants_) {
    ParticipantResult result;
    result.spec = participant->spec();
    if (const SyntheticMediaSource* source = participant->source()) {
      if (source->config().audio) result.audio_sent = source->audio_window();
      if (source->simulcast()) {
        result.layers_sent.emplace();
        for (uint32_t layer = 0; layer < kSimulcastLayers; ++layer)
          (*result.layers_sent)[layer] = source->layer_window(layer);
      } else if (source->config().video_pps > 0) {
        result.video_sent = source->video_window();
      }
      result.skipped = source->skipped();
    }
    if (const DataSource* data = participant->data_source()) {
      result.data_sent = {data->window(DataChannelKind::kReliable),
                          data->window(DataChannelKind::kUnreliable)};
      result.data_sent_total =
          data->sent_count(DataChannelKind::kReliable) + data->sent_count(DataChannelKind::kUnreliable);
      result.data_skipped = data->skipped();
      result.data_refusals = data->refusals();
      result.data_send_errors = data->send_errors();
    }
    result.failure = participant->failure();
    result.accounting = participant->take_accounting();
    result.data_accounting = participant->take_data_accounting();
    results_.push_back(std::move(result));
  }
}

void ClientThread::on_media_tick() {
  if (stopping_) return;
  uint64_t now = monotonic_ns();
  for (auto& participant : participants_) participant->pump(now);
}

void ClientThread::on_check_tick() {
  if (describe_requested_.exchange(false)) {
    std::string out;
    for (auto& participant : participants_)
      if (!participant->ready()) out += "  " + participant->describe() + "\n";
    description_ = out;
    description_ready_ = true;
  }
  if (!stopping_) {
    size_t ready = 0, failed = 0;
    for (auto& participant : participants_) {
      if (participant->ready()) ++ready;
      if (!participant->failure().empty()) ++failed;
    }
    ready_ = ready;
    failed_ = failed;
    if (stop_requested_) {
      stopping_ = true;
      stop_deadline_ns_ = monotonic_ns() + 3'000'000'000ull;
      for (auto& participant : participants_) participant->close();
    }
    return;
  }
  bool all_closed = true;
  for (auto& participant : participants_) all_closed &= participant->closed();
  if (all_closed || monotonic_ns() > stop_deadline_ns_) uv_stop(&loop_);
}

}  // namespace sfu::bench
