// A simulated path for the send-side bandwidth estimator tests: a sender that sends video-like
// traffic (30 frames a second, each a burst of packets of at most 1200 bytes, plus a 50-packet-a-
// second audio stream) at the estimate's rate, as an encoder following its target does; a
// bottleneck link of a settable capacity with a drop-tail queue, a propagation delay and random
// loss; and a receiver that records arrivals with the project's own TransportCcRecorder and sends
// its transport-cc feedback every 50 ms, as Chromium does. The feedback goes through the real
// RTCP builder and parser, so the estimator reads what it would read from a browser.
//
// Scheduling jitter (Jitter): the sender's loop may stall, so packets it queued leave together when
// the stall ends (the estimator is told that time, or, as the bug it models, the time they were
// queued); the receiver's loop may stall, so packets that arrived meanwhile are stamped together
// when it ends (Chromium stamps arrival when its network thread reads the socket); and arrivals
// get a little noise. A loaded machine does all three to an SFU and its local browsers.
//
// Policer (Link::policer_rate_bps): instead of the queue, a token bucket that passes what fits in
// its rate plus a burst allowance and drops the rest at once, as an ISP's or nftables' `limit rate
// over` does. Probe clusters (probe()): padding at a given rate for a while on top of the media,
// measured by the estimator as the server's prober's are.
//
// Simulated time only (1 ms steps); deterministic for a given seed.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <deque>
#include <random>
#include <vector>

#include "rtp/rtcp_packet.h"
#include "rtp/rtcp_parser.h"
#include "rtp/send_side_bwe.h"
#include "rtp/transport_cc_recorder.h"

namespace sfu::rtp::test {

class BweLinkSimulator {
 public:
  struct Link {
    double capacity_bps = 2'000'000;
    int64_t one_way_delay_us = 20'000;
    int64_t max_queue_delay_us = 300'000;  // drop-tail: a queue this long in time drops arrivals
    double loss = 0;                       // random, on the forward path
    double policer_rate_bps = 0;           // > 0: a policer instead of capacity and queue
    double policer_burst_bytes = 0;
  };

  struct Jitter {
    double sender_stall_per_ms = 0;   // probability that the sender's loop stalls, per 1 ms step
    int64_t sender_max_stall_us = 0;  // for 0..this long (uniform)
    bool record_queue_time = false;   // the estimator gets the time packets were queued, not sent
    double receiver_stall_per_ms = 0;
    int64_t receiver_max_stall_us = 0;
    int64_t arrival_noise_us = 0;  // 0..this added to each arrival (never reordering)
  };

  struct Sample {
    int64_t at_us;
    double estimate_bps;
    double capacity_bps;
  };

  explicit BweLinkSimulator(SendSideBwe::Options options = {}, uint32_t seed = 1)
      : bwe_(options), random_(seed) {}

  Link& link() { return link_; }
  Jitter& jitter() { return jitter_; }
  SendSideBwe& bwe() { return bwe_; }
  int64_t now_us() const { return now_us_; }
  // The most the "encoder" sends, whatever the estimate says.
  void set_max_send_bps(double bps) { max_send_bps_ = bps; }
  // Send at a fixed rate instead of following the estimate (an SFU forwarding what it gets).
  void set_fixed_send_bps(double bps) { fixed_send_bps_ = bps; }

  // A probe cluster from now: `padding_bps` of padding packets on top of the media for
  // `duration_us` (SendSideBwe::start_probe's `verifying` as given).
  void probe(double padding_bps, int64_t duration_us, bool verifying) {
    bwe_.start_probe(next_sequence_, verifying);
    probe_padding_bps_ = padding_bps;
    probe_end_us_ = now_us_ + duration_us;
    probe_carry_bytes_ = 0;
  }

  // Runs for `duration_us`, recording the estimate every 100 ms.
  void run(int64_t duration_us) {
    const int64_t end = now_us_ + duration_us;
    for (; now_us_ < end; now_us_ += kStepUs) step();
  }

  const std::vector<Sample>& samples() const { return samples_; }
  // The mean estimate over [from_us, to_us).
  double mean_estimate(int64_t from_us, int64_t to_us) const {
    double sum = 0;
    int n = 0;
    for (const Sample& s : samples_)
      if (s.at_us >= from_us && s.at_us < to_us) sum += s.estimate_bps, ++n;
    return n ? sum / n : 0;
  }
  // The first time at or after `from_us` the estimate was within `tolerance` of `target`, and
  // stayed so for the following `hold_us`; -1 if never.
  int64_t settle_time(int64_t from_us, double target, double tolerance, int64_t hold_us) const {
    for (size_t i = 0; i < samples_.size(); ++i) {
      if (samples_[i].at_us < from_us || !within(samples_[i].estimate_bps, target, tolerance)) continue;
      bool held = true;
      for (size_t j = i; j < samples_.size() && samples_[j].at_us < samples_[i].at_us + hold_us; ++j)
        held = held && within(samples_[j].estimate_bps, target, tolerance);
      if (held) return samples_[i].at_us;
    }
    return -1;
  }
  uint64_t packets_sent() const { return static_cast<uint64_t>(next_sequence_ - 65'000); }
  uint64_t packets_dropped() const { return dropped_; }
  uint64_t feedbacks_sent() const { return feedbacks_sent_; }

  static bool within(double value, double target, double tolerance) {
    return value >= target * (1 - tolerance) && value <= target * (1 + tolerance);
  }

 private:
  static constexpr int64_t kStepUs = 1000;
  static constexpr int64_t kFrameIntervalUs = 1'000'000 / 30;
  static constexpr int64_t kAudioIntervalUs = 20'000;
  static constexpr int64_t kFeedbackIntervalUs = 50'000;
  static constexpr uint32_t kMaxPacketBytes = 1200;
  static constexpr uint32_t kAudioPacketBytes = 100;
  static constexpr uint32_t kOverheadBytes = 28 + 12 + 10;  // IPv4 + UDP, RTP header, SRTP tag
  static constexpr uint32_t kPaddingPacketBytes = 255 + kOverheadBytes;

  struct InFlight {
    int64_t arrival_us;
    uint16_t sequence;
  };
  struct Feedback {
    int64_t delivery_us;
    std::vector<uint8_t> packet;
  };

  void step() {
    maybe_stall();
    if (now_us_ >= next_frame_us_) {
      send_frame();
      next_frame_us_ += kFrameIntervalUs;
    }
    if (now_us_ >= next_audio_us_) {
      send_packet(kAudioPacketBytes + kOverheadBytes);
      next_audio_us_ += kAudioIntervalUs;
    }
    if (probe_end_us_ > 0) send_probe_padding();
    // A stalled receiver reads nothing; when it wakes, what arrived meanwhile gets the wake time.
    while (!in_flight_.empty() && in_flight_.front().arrival_us <= now_us_ &&
           now_us_ >= receiver_stalled_until_us_) {
      const int64_t stamp = std::max(in_flight_.front().arrival_us, receiver_stalled_until_us_);
      recorder_.on_packet(in_flight_.front().sequence, static_cast<uint64_t>(stamp));
      in_flight_.pop_front();
    }
    if (now_us_ >= next_feedback_us_) {
      send_feedback();
      next_feedback_us_ += kFeedbackIntervalUs;
    }
    while (!feedback_.empty() && feedback_.front().delivery_us <= now_us_) {
      deliver(feedback_.front().packet);
      feedback_.pop_front();
    }
    if (now_us_ >= next_timer_us_) {
      bwe_.on_timer(now_us_);
      samples_.push_back({now_us_, bwe_.estimate_bps(), link_.capacity_bps});
      next_timer_us_ += 100'000;
    }
  }

  void maybe_stall() {
    if (now_us_ >= sender_stalled_until_us_ && jitter_.sender_stall_per_ms > 0 &&
        uniform_(random_) < jitter_.sender_stall_per_ms)
      sender_stalled_until_us_ =
          now_us_ + static_cast<int64_t>(uniform_(random_) * jitter_.sender_max_stall_us);
    if (now_us_ >= receiver_stalled_until_us_ && jitter_.receiver_stall_per_ms > 0 &&
        uniform_(random_) < jitter_.receiver_stall_per_ms)
      receiver_stalled_until_us_ =
          now_us_ + static_cast<int64_t>(uniform_(random_) * jitter_.receiver_max_stall_us);
  }

  void send_frame() {
    const double rate = fixed_send_bps_ > 0 ? fixed_send_bps_ : std::min(bwe_.estimate_bps(), max_send_bps_);
    // Video takes the rate less the audio stream's.
    const double video_bps = std::max(rate - 50.0 * 8 * (kAudioPacketBytes + kOverheadBytes), 50'000.0);
    auto frame_bytes = static_cast<uint32_t>(video_bps / 30 / 8);
    while (frame_bytes > 0) {
      const uint32_t payload = std::min(frame_bytes, kMaxPacketBytes);
      send_packet(payload + kOverheadBytes);
      frame_bytes -= payload;
    }
  }

  void send_probe_padding() {
    probe_carry_bytes_ += probe_padding_bps_ * kStepUs / 8e6;
    while (probe_carry_bytes_ >= kPaddingPacketBytes) {
      send_packet(kPaddingPacketBytes);
      probe_carry_bytes_ -= kPaddingPacketBytes;
    }
    if (now_us_ + kStepUs >= probe_end_us_) {
      bwe_.end_probe(next_sequence_ - 1);
      probe_end_us_ = 0;
    }
  }

  // A token bucket: true when `size` bytes at `at_us` fit.
  bool policer_passes(uint32_t size, int64_t at_us) {
    policer_tokens_ = std::min(
        link_.policer_burst_bytes,
        policer_tokens_ + link_.policer_rate_bps * static_cast<double>(at_us - policer_at_us_) / 8e6);
    policer_at_us_ = at_us;
    if (policer_tokens_ < size) return false;
    policer_tokens_ -= size;
    return true;
  }

  void send_packet(uint32_t size) {
    const int64_t sequence = next_sequence_++;
    // Queued now; leaves when the sender's loop runs again.
    const int64_t sent_us = std::max(now_us_, sender_stalled_until_us_);
    bwe_.on_packet_sent(sequence, jitter_.record_queue_time ? now_us_ : sent_us, size);
    if (link_.policer_rate_bps > 0) {
      if (!policer_passes(size, sent_us)) {
        ++dropped_;
        return;
      }
      in_flight_.push_back({sent_us + link_.one_way_delay_us, static_cast<uint16_t>(sequence)});
      return;
    }
    // The bottleneck serves packets in order at its capacity; one that would wait longer than the
    // queue holds is dropped at the tail.
    const int64_t start = std::max(link_free_us_, sent_us);
    if (start - sent_us > link_.max_queue_delay_us) {
      ++dropped_;
      return;
    }
    link_free_us_ = start + static_cast<int64_t>(size * 8 * 1e6 / link_.capacity_bps);
    if (uniform_(random_) < link_.loss) {
      ++dropped_;
      return;
    }
    int64_t arrival_us = link_free_us_ + link_.one_way_delay_us;
    if (jitter_.arrival_noise_us > 0) {
      arrival_us += static_cast<int64_t>(uniform_(random_) * jitter_.arrival_noise_us);
      if (!in_flight_.empty()) arrival_us = std::max(arrival_us, in_flight_.back().arrival_us);
    }
    in_flight_.push_back({arrival_us, static_cast<uint16_t>(sequence)});
  }

  void send_feedback() {
    std::array<uint8_t, 8192> out{};
    const size_t size = recorder_.build_feedback(0x1111, 0x2222, MutableByteSpan(out));
    if (size == 0) return;
    ++feedbacks_sent_;
    feedback_.push_back(
        {now_us_ + link_.one_way_delay_us, std::vector<uint8_t>(out.begin(), out.begin() + size)});
  }

  void deliver(const std::vector<uint8_t>& packet) {
    RtcpCompoundIterator packets{ByteSpan(packet)};
    RtcpHeader header;
    while (packets.next(header))
      if (auto feedback = parse_transport_cc(header)) bwe_.on_transport_cc(*feedback, now_us_);
  }

  SendSideBwe bwe_;
  TransportCcRecorder recorder_;
  Link link_;
  Jitter jitter_;
  int64_t sender_stalled_until_us_ = 0, receiver_stalled_until_us_ = 0;
  std::mt19937 random_;
  std::uniform_real_distribution<double> uniform_{0.0, 1.0};
  double max_send_bps_ = 4'000'000;
  double fixed_send_bps_ = 0;
  int64_t now_us_ = 0;
  int64_t next_frame_us_ = 0, next_audio_us_ = 0, next_feedback_us_ = 0, next_timer_us_ = 0;
  int64_t link_free_us_ = 0;
  double policer_tokens_ = 0;
  int64_t policer_at_us_ = 0;
  double probe_padding_bps_ = 0, probe_carry_bytes_ = 0;
  int64_t probe_end_us_ = 0;
  int64_t next_sequence_ = 65'000;  // the 16-bit numbers wrap early in every trace
  uint64_t dropped_ = 0, feedbacks_sent_ = 0;
  std::deque<InFlight> in_flight_;
  std::deque<Feedback> feedback_;
  std::vector<Sample> samples_;
};

}  // namespace sfu::rtp::test
