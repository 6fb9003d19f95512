// What one simulated subscriber receives: for each stream of its room, the distinct stamped
// sequence numbers whose send time fell in the measurement window (a SequenceTracker), and the
// one-way latency of those packets into its thread's histogram. Streams are room-local indices
// (see media_source.h). With simulcast, a receiver gets one layer of each publisher's video (the
// one it asked for): only that layer's stamps count, and a packet of another layer sent in the
// window is counted as wrong_layer. Nothing here allocates per packet.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "bench/data_accounting.h"
#include "bench/latency_histogram.h"
#include "bench/measurement_window.h"
#include "bench/sequence_tracker.h"

namespace sfu::bench {

// Shared by all receivers of one client thread; read by others only after the thread has ended,
// except the live counters.
struct ReceiverStats {
  LatencyHistogram latency;
  uint64_t window_packets = 0, window_bytes = 0;
  uint64_t unstamped = 0, unknown_stream = 0, duplicates = 0, too_old = 0;
  // Simulcast: packets sent in the window of a video layer the receiver did not ask for.
  uint64_t wrong_layer = 0;
  LiveCounter packets, bytes;  // everything received, for the progress line
  DataReceiverStats data;      // the data channel messages (--data-rate)
};

class ReceiveAccounting {
 public:
  // `stream_count`: streams of the room (2 per publisher); `own_publisher`: this participant's
  // publisher index, whose streams it does not expect (UINT32_MAX when it publishes nothing);
  // `audio`/`video`: which kinds the publishers send.
  ReceiveAccounting(uint32_t stream_count, uint32_t own_publisher, bool audio, bool video);

  // Simulcast: the layer of every publisher's video this receiver asked for (0 = q .. 2 = f).
  void set_video_layer(uint32_t layer) { video_layer_ = layer; }
  uint32_t video_layer() const { return video_layer_; }

  // One received RTP packet (already decrypted), at now_ns.
  void on_rtp(const uint8_t* data, size_t size, uint64_t now_ns, const MeasurementWindow& window,
              ReceiverStats& stats);

  bool expects(uint32_t stream) const { return stream < expected_.size() && expected_[stream]; }
  uint32_t stream_count() const { return static_cast<uint32_t>(expected_.size()); }
  uint32_t expected_stream_count() const { return expected_count_; }
  // Every expected stream has delivered at least one packet (at any time): the down-tracks run.
  bool receiving_all() const { return seen_count_ == expected_count_; }
  uint32_t streams_seen() const { return seen_count_; }
  // Packets of `stream` sent inside the window, as received.
  const SequenceTracker& window_tracker(uint32_t stream) const { return trackers_[stream]; }

 private:
  std::vector<uint8_t> expected_;
  std::vector<uint8_t> seen_;
  std::vector<SequenceTracker> trackers_;
  uint32_t expected_count_ = 0;
  uint32_t seen_count_ = 0;
  uint32_t video_layer_ = 0;
};

}  // namespace sfu::bench
