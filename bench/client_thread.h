// A thread of the load generator: its own libuv loop hosting a share of the simulated
// participants. A 1 ms timer sends the media that is due, the sockets deliver what arrives, and a
// slower timer reports how many participants are ready. The main thread reads only atomics while
// it runs, and everything else after join(). With data channels, each thread has an SctpMailbox on
// its loop for its participants' associations, and thread 0 drives usrsctp's timers for the whole
// process (the one SctpTimerDriver; the server under test is another process).
#pragma once

#include <sys/types.h>
#include <uv.h>

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "bench/bench_participant.h"

namespace sfu::dtls {
class SctpMailbox;
class SctpTimerDriver;
}  // namespace sfu::dtls

namespace sfu::bench {

using ParticipantFactory = std::function<std::unique_ptr<BenchParticipant>(
    uv_loop_t* loop, const ParticipantSpec& spec, ReceiverStats& stats, const MeasurementWindow& window)>;

// What a participant leaves behind when its thread ends.
struct ParticipantResult {
  ParticipantSpec spec;
  std::optional<SentRange> audio_sent, video_sent;  // publishers: stamps sent in the window
  // Simulcast publishers: each layer's stamps sent in the window (video_sent stays empty).
  std::optional<std::array<SentRange, kSimulcastLayers>> layers_sent;
  uint64_t skipped = 0;
  ReceiveAccounting accounting{0, UINT32_MAX, false, false};
  // Data load: per DataChannelKind, the messages sent in the window (publishers), and what was
  // received (everyone).
  std::optional<std::array<SentRange, 2>> data_sent;
  uint64_t data_sent_total = 0, data_skipped = 0, data_refusals = 0, data_send_errors = 0;
  std::optional<DataReceiveAccounting> data_accounting;
  std::string failure;
};

class ClientThread {
 public:
  // `data_channels`: the participants use data channels (an SctpMailbox on this thread's loop).
  ClientThread(uint32_t index, std::vector<ParticipantSpec> specs, ParticipantFactory factory,
               const MeasurementWindow& window, std::vector<int> cpus, bool data_channels = false);
  ~ClientThread();

  void start();
  // Stops media, lets participants leave (up to a few seconds), ends the thread.
  void request_stop();
  void join();

  // Live.
  size_t participant_count() const { return specs_.size(); }
  size_t ready_count() const { return ready_.load(std::memory_order_relaxed); }
  size_t failed_count() const { return failed_.load(std::memory_order_relaxed); }
  bool started() const { return started_.load(); }
  pid_t thread_id() const { return tid_.load(); }
  const ReceiverStats& stats() const { return stats_; }
  // Describes the participants that are not ready (asks the thread; waits up to a second).
  std::string describe_waiting();

  // After join().
  std::vector<ParticipantResult>& results() { return results_; }
  const std::vector<std::string>& start_errors() const { return start_errors_; }

 private:
  void run();
  void collect_results();
  void on_media_tick();
  void on_check_tick();

  uint32_t index_;
  std::vector<ParticipantSpec> specs_;
  ParticipantFactory factory_;
  const MeasurementWindow& window_;
  std::vector<int> cpus_;
  bool data_channels_;
  std::thread thread_;
  std::atomic<bool> started_{false}, stop_requested_{false}, describe_requested_{false};
  std::atomic<size_t> ready_{0}, failed_{0};
  std::atomic<pid_t> tid_{0};
  std::atomic<bool> description_ready_{false};
  std::string description_;

  ReceiverStats stats_;
  uv_loop_t loop_{};
  uv_timer_t media_timer_{}, check_timer_{};
  std::unique_ptr<dtls::SctpMailbox> sctp_mailbox_;     // before the participants, gone after them
  std::unique_ptr<dtls::SctpTimerDriver> sctp_timers_;  // thread 0 only
  std::vector<std::unique_ptr<BenchParticipant>> participants_;
  bool stopping_ = false;
  uint64_t stop_deadline_ns_ = 0;
  std::vector<ParticipantResult> results_;
  std::vector<std::string> start_errors_;
};

// Pins the calling thread to `cpus` (no-op when empty).
void pin_current_thread(const std::vector<int>& cpus);

}  // namespace sfu::bench
