#include "sfu/control/metrics.h"

#include <functional>
#include <sstream>
#include <utility>

#include "sfu/media/worker.h"

namespace sfu {
namespace {

class Exposition {
 public:
  void family(const char* name, const char* type, const char* help) {
    out_ << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
  }
  void sample(const char* name, uint64_t value, const std::string& labels = {}) {
    out_ << name;
    if (!labels.empty()) out_ << '{' << labels << '}';
    out_ << ' ' << value << '\n';
  }
  // One family with one sample per worker.
  void per_worker(const char* name, const char* type, const char* help, const std::vector<Worker*>& workers,
                  const std::function<uint64_t(const Worker&)>& value) {
    family(name, type, help);
    for (const Worker* w : workers) sample(name, value(*w), worker_label(*w));
  }
  static std::string worker_label(const Worker& w) { return "worker=\"" + std::to_string(w.index()) + "\""; }
  std::string str() const { return out_.str(); }

 private:
  std::ostringstream out_;
};

// One sample per direction and worker: to="worker" (control thread to worker i) and
// to="control" (worker i's rooms to the control thread).
void queue_samples(Exposition& e, const char* name, const ControlStats& control,
                   uint64_t QueueStats::*field) {
  for (size_t i = 0; i < control.to_worker.size(); ++i)
    e.sample(name, control.to_worker[i].*field, "to=\"worker\",worker=\"" + std::to_string(i) + "\"");
  for (size_t i = 0; i < control.to_control.size(); ++i)
    e.sample(name, control.to_control[i].*field, "to=\"control\",worker=\"" + std::to_string(i) + "\"");
}

// Data channels (docs/protocol.md, "Data channels"): the relay's messages and bytes, its refusals
// by reason, and the channels and SCTP associations open, per worker.
void render_data_channel_metrics(Exposition& e, const std::vector<Worker*>& workers) {
  e.family("sfu_data_messages_total", "counter",
           "Data channel messages received from participants (in) and sent to them (out).");
  for (const Worker* w : workers) {
    const DataCounters& c = w->data_channel_counters();
    e.sample("sfu_data_messages_total", c.messages_in(), Exposition::worker_label(*w) + ",direction=\"in\"");
    e.sample("sfu_data_messages_total", c.messages_out(),
             Exposition::worker_label(*w) + ",direction=\"out\"");
  }
  e.family("sfu_data_bytes_total", "counter", "Data channel message bytes received (in) and sent (out).");
  for (const Worker* w : workers) {
    const DataCounters& c = w->data_channel_counters();
    e.sample("sfu_data_bytes_total", c.bytes_in(), Exposition::worker_label(*w) + ",direction=\"in\"");
    e.sample("sfu_data_bytes_total", c.bytes_out(), Exposition::worker_label(*w) + ",direction=\"out\"");
  }
  e.family("sfu_data_drops_total", "counter",
           "Data channel messages not delivered, and channels refused or closed, by reason.");
  for (const Worker* w : workers) {
    for (size_t i = 0; i < kDataDropReasonNames.size(); ++i)
      e.sample("sfu_data_drops_total", w->data_channel_counters().drops(static_cast<DataDropReason>(i)),
               Exposition::worker_label(*w) + ",reason=\"" + kDataDropReasonNames[i] + "\"");
  }
  e.per_worker("sfu_data_publisher_paused_total", "counter",
               "Times a publisher over data_channels.bytes_per_second_per_participant had its association "
               "paused (backpressure: its sender is slowed, nothing is dropped).",
               workers, [](const Worker& w) { return w.data_channel_counters().publisher_paused(); });
  e.per_worker("sfu_data_channels", "gauge", "Data channels open on the worker's SCTP associations.", workers,
               [](const Worker& w) { return w.data_channel_counters().channels(); });
  e.per_worker("sfu_data_associations", "gauge", "SCTP associations (data channel connections) up.", workers,
               [](const Worker& w) { return w.data_channel_counters().associations(); });
}

// Simulcast (docs/protocol.md 3.3): layer switches made for subscribers, the PLIs switches asked
// for, and the packets a subscriber did not get, by reason.
void render_simulcast_metrics(Exposition& e, const std::vector<Worker*>& workers) {
  auto relaxed = [](const std::atomic<uint64_t>& c) { return c.load(std::memory_order_relaxed); };
  e.family("sfu_layer_switches_total", "counter",
           "Simulcast layer switches made for subscribers, by direction.");
  for (const Worker* w : workers) {
    const LayerCounters& c = w->router_counters().layers;
    e.sample("sfu_layer_switches_total", relaxed(c.switches_up),
             Exposition::worker_label(*w) + ",direction=\"up\"");
    e.sample("sfu_layer_switches_total", relaxed(c.switches_down),
             Exposition::worker_label(*w) + ",direction=\"down\"");
  }
  e.per_worker("sfu_layer_switch_keyframe_requests_total", "counter",
               "PLIs sent to publishers for a subscriber waiting to switch simulcast layers.", workers,
               [&](const Worker& w) { return relaxed(w.router_counters().layers.switch_keyframe_requests); });
  e.family("sfu_layer_packets_not_forwarded_total", "counter",
           "Packets of simulcast, scalable (SVC, temporal layers) or paused tracks not sent to a subscriber, "
           "by reason.");
  for (const Worker* w : workers) {
    const LayerCounters& c = w->router_counters().layers;
    const std::pair<const char*, const std::atomic<uint64_t>*> reasons[] = {
        {"other_layer", &c.not_forwarded_other_layer},
        {"waiting_keyframe", &c.not_forwarded_waiting_keyframe},
        {"paused", &c.not_forwarded_paused},
        {"before_switch", &c.not_forwarded_before_switch},
        {"temporal_layer", &c.not_forwarded_temporal_layer},
        {"spatial_layer", &c.not_forwarded_spatial_layer},
    };
    for (const auto& [reason, counter] : reasons)
      e.sample("sfu_layer_packets_not_forwarded_total", relaxed(*counter),
               Exposition::worker_label(*w) + ",reason=\"" + reason + "\"");
  }
}

// ICE-TCP (docs/protocol.md, "ICE-TCP"): connections open (pending: no valid ICE check yet),
// refusals and other ends by reason, frames and bytes each way, and sends dropped on a full queue.
void render_ice_tcp_metrics(Exposition& e, const std::vector<Worker*>& workers) {
  auto relaxed = [](const std::atomic<uint64_t>& c) { return c.load(std::memory_order_relaxed); };
  e.family("sfu_ice_tcp_connections", "gauge",
           "ICE-TCP connections open, by state (pending: no valid ICE check yet; validated).");
  for (const Worker* w : workers) {
    const net::TcpCounters& c = w->tcp_counters();
    uint64_t open = relaxed(c.open), pending = relaxed(c.pending);
    e.sample("sfu_ice_tcp_connections", pending, Exposition::worker_label(*w) + ",state=\"pending\"");
    e.sample("sfu_ice_tcp_connections", open > pending ? open - pending : 0,
             Exposition::worker_label(*w) + ",state=\"validated\"");
  }
  e.per_worker("sfu_ice_tcp_accepted_total", "counter",
               "ICE-TCP connections accepted (refused ones included).", workers,
               [&](const Worker& w) { return relaxed(w.tcp_counters().accepted); });
  e.family("sfu_ice_tcp_refused_total", "counter",
           "ICE-TCP connections the server refused or closed, by reason.");
  for (const Worker* w : workers)
    for (size_t i = 0; i < net::kTcpRefusalReasons; ++i)
      e.sample("sfu_ice_tcp_refused_total", relaxed(w->tcp_counters().closed[i]),
               Exposition::worker_label(*w) + ",reason=\"" + net::kTcpCloseReasonNames[i] + "\"");
  e.family("sfu_ice_tcp_closed_total", "counter", "ICE-TCP connections that ended otherwise, by reason.");
  for (const Worker* w : workers)
    for (size_t i = net::kTcpRefusalReasons; i < net::kTcpCloseReasonNames.size(); ++i)
      e.sample("sfu_ice_tcp_closed_total", relaxed(w->tcp_counters().closed[i]),
               Exposition::worker_label(*w) + ",reason=\"" + net::kTcpCloseReasonNames[i] + "\"");
  e.family("sfu_ice_tcp_packets_total", "counter", "RFC 4571 frames received (in) and queued to send (out).");
  for (const Worker* w : workers) {
    e.sample("sfu_ice_tcp_packets_total", relaxed(w->tcp_counters().rx_frames),
             Exposition::worker_label(*w) + ",direction=\"in\"");
    e.sample("sfu_ice_tcp_packets_total", relaxed(w->tcp_counters().tx_frames),
             Exposition::worker_label(*w) + ",direction=\"out\"");
  }
  e.family("sfu_ice_tcp_bytes_total", "counter",
           "ICE-TCP bytes received (in) and written (out), framing included.");
  for (const Worker* w : workers) {
    e.sample("sfu_ice_tcp_bytes_total", relaxed(w->tcp_counters().rx_bytes),
             Exposition::worker_label(*w) + ",direction=\"in\"");
    e.sample("sfu_ice_tcp_bytes_total", relaxed(w->tcp_counters().tx_bytes),
             Exposition::worker_label(*w) + ",direction=\"out\"");
  }
  e.family("sfu_ice_tcp_dropped_packets_total", "counter",
           "Packets not sent over ICE-TCP, by reason (send_queue_full: the peer reads too slowly).");
  for (const Worker* w : workers)
    e.sample("sfu_ice_tcp_dropped_packets_total", relaxed(w->tcp_counters().tx_dropped_queue_full),
             Exposition::worker_label(*w) + ",reason=\"send_queue_full\"");
}

// Rooms across workers (docs/protocol.md, "Rooms across workers"): where participants are placed,
// and what the rings between workers carried, dropped and repaired.
void render_span_metrics(Exposition& e, const std::vector<Worker*>& workers, const ControlStats& control) {
  e.family("sfu_worker_participants", "gauge", "Participants placed on the worker.");
  for (size_t i = 0; i < control.worker_participants.size(); ++i)
    e.sample("sfu_worker_participants", control.worker_participants[i],
             "worker=\"" + std::to_string(i) + "\"");
  e.family("sfu_worker_spanning_rooms", "gauge", "Shards of rooms that span workers, on the worker.");
  for (size_t i = 0; i < control.worker_spanning_rooms.size(); ++i)
    e.sample("sfu_worker_spanning_rooms", control.worker_spanning_rooms[i],
             "worker=\"" + std::to_string(i) + "\"");
  auto relaxed = [](const std::atomic<uint64_t>& c) { return c.load(std::memory_order_relaxed); };
  e.family("sfu_worker_ring_packets_total", "counter",
           "Slots the worker queued to other workers' rings (out) and took from them (in).");
  for (const Worker* w : workers) {
    const CrossWorkerCounters& c = w->cross_worker_counters();
    e.sample("sfu_worker_ring_packets_total", relaxed(c.packets_out),
             Exposition::worker_label(*w) + ",direction=\"out\"");
    e.sample("sfu_worker_ring_packets_total", relaxed(c.packets_in),
             Exposition::worker_label(*w) + ",direction=\"in\"");
  }
  e.per_worker("sfu_worker_ring_wakeups_total", "counter",
               "Wake-ups the worker sent to other workers (at most one per ring and loop turn).", workers,
               [&](const Worker& w) { return relaxed(w.cross_worker_counters().wakeups); });
  e.family("sfu_worker_ring_dropped_total", "counter",
           "Ring slots dropped: full (the other worker's ring), too_large, stale (track gone).");
  for (const Worker* w : workers) {
    const CrossWorkerCounters& c = w->cross_worker_counters();
    const std::pair<const char*, const std::atomic<uint64_t>*> reasons[] = {
        {"full", &c.dropped_full}, {"too_large", &c.dropped_too_large}, {"stale", &c.dropped_stale}};
    for (const auto& [reason, counter] : reasons)
      e.sample("sfu_worker_ring_dropped_total", relaxed(*counter),
               Exposition::worker_label(*w) + ",reason=\"" + reason + "\"");
  }
  e.per_worker("sfu_worker_ring_keyframe_requests_total", "counter",
               "Keyframe requests other workers' subscribers sent the worker's publishers.", workers,
               [&](const Worker& w) { return relaxed(w.cross_worker_counters().keyframe_requests_in); });
  e.family("sfu_worker_ring_repairs_total", "counter",
           "Packets other workers NACKed from the worker: resent, missed (not buffered), duplicate.");
  for (const Worker* w : workers) {
    const CrossWorkerCounters& c = w->cross_worker_counters();
    const std::pair<const char*, const std::atomic<uint64_t>*> results[] = {
        {"sent", &c.repairs_sent}, {"missed", &c.repairs_missed}, {"duplicate", &c.repairs_duplicate}};
    for (const auto& [result, counter] : results)
      e.sample("sfu_worker_ring_repairs_total", relaxed(*counter),
               Exposition::worker_label(*w) + ",result=\"" + result + "\"");
  }
}

// Send-side bandwidth estimation toward subscribers (docs/protocol.md, section 6): the feedback
// it reads, its over-use events, and its current estimates as a histogram snapshot.
void render_bandwidth_metrics(Exposition& e, const std::vector<Worker*>& workers) {
  e.family("sfu_transport_cc_feedback_total", "counter",
           "Transport-cc feedback packets from subscribers, by result (parsed, malformed).");
  for (const Worker* w : workers) {
    const BweCounters& c = w->bandwidth_counters();
    e.sample("sfu_transport_cc_feedback_total", c.feedback_parsed(),
             Exposition::worker_label(*w) + ",result=\"parsed\"");
    e.sample("sfu_transport_cc_feedback_total", c.feedback_malformed(),
             Exposition::worker_label(*w) + ",result=\"malformed\"");
  }
  e.per_worker("sfu_remb_received_total", "counter", "REMB packets from subscribers.", workers,
               [](const Worker& w) { return w.bandwidth_counters().remb(); });
  e.per_worker("sfu_bwe_overuse_total", "counter",
               "Times a subscriber's delay-based estimate detected over-use (a growing queue).", workers,
               [](const Worker& w) { return w.bandwidth_counters().overuse(); });
  e.per_worker("sfu_bwe_unstamped_total", "counter",
               "RTP packets sent to a subscriber without a transport-wide sequence number.", workers,
               [](const Worker& w) { return w.bandwidth_counters().unstamped(); });
  e.per_worker("sfu_bandwidth_probe_clusters_total", "counter", "Probe clusters sent to subscribers.",
               workers, [](const Worker& w) { return w.bandwidth_counters().probe_clusters(); });
  e.per_worker("sfu_bandwidth_probe_packets_total", "counter",
               "Padding-only probe packets sent to subscribers.", workers,
               [](const Worker& w) { return w.bandwidth_counters().probe_packets(); });
  e.per_worker("sfu_bandwidth_probe_bytes_total", "counter", "Bytes of probe packets sent to subscribers.",
               workers, [](const Worker& w) { return w.bandwidth_counters().probe_bytes(); });
  e.per_worker("sfu_pacer_paced_packets_total", "counter",
               "RTP packets a subscriber's pacer held back and sent later (bandwidth.pacing).", workers,
               [](const Worker& w) { return w.bandwidth_counters().paced_packets(); });
  e.per_worker("sfu_pacer_flushed_packets_total", "counter",
               "RTP packets a pacer sent at once because its queue exceeded bandwidth.pacer_max_delay_ms.",
               workers, [](const Worker& w) { return w.bandwidth_counters().pacer_flushed(); });
  e.family("sfu_bandwidth_tracks_paused_total", "counter",
           "Video tracks the allocator paused or resumed for a subscriber's bandwidth.");
  for (const Worker* w : workers) {
    const BweCounters& c = w->bandwidth_counters();
    e.sample("sfu_bandwidth_tracks_paused_total", c.tracks_paused(),
             Exposition::worker_label(*w) + ",change=\"paused\"");
    e.sample("sfu_bandwidth_tracks_paused_total", c.tracks_resumed(),
             Exposition::worker_label(*w) + ",change=\"resumed\"");
  }
  e.family("sfu_bandwidth_layer_changes_total", "counter",
           "Layer caps the allocator lowered (down, pauses included) or raised (up, resumes included).");
  for (const Worker* w : workers) {
    const BweCounters& c = w->bandwidth_counters();
    e.sample("sfu_bandwidth_layer_changes_total", c.allocation_down(),
             Exposition::worker_label(*w) + ",direction=\"down\"");
    e.sample("sfu_bandwidth_layer_changes_total", c.allocation_up(),
             Exposition::worker_label(*w) + ",direction=\"up\"");
  }
  e.family("sfu_subscriber_bwe_bps", "histogram",
           "Current send-side bandwidth estimates of subscriber connections, bit/s (a snapshot, "
           "refreshed every 100 ms: not cumulative).");
  for (const Worker* w : workers) {
    const BweCounters& c = w->bandwidth_counters();
    uint64_t cumulative = 0;
    for (size_t i = 0; i < BweCounters::kBuckets; ++i) {
      cumulative += c.bucket(i);
      const std::string le =
          i < BweCounters::kBucketBounds.size() ? std::to_string(BweCounters::kBucketBounds[i]) : "+Inf";
      e.sample("sfu_subscriber_bwe_bps_bucket", cumulative,
               Exposition::worker_label(*w) + ",le=\"" + le + "\"");
    }
    e.sample("sfu_subscriber_bwe_bps_sum", c.sum_bps(), Exposition::worker_label(*w));
    e.sample("sfu_subscriber_bwe_bps_count", c.count(), Exposition::worker_label(*w));
  }
}

}  // namespace

std::string render_metrics(const std::vector<Worker*>& workers, const ControlStats& control) {
  Exposition e;
  e.family("sfu_rooms", "gauge", "Rooms that exist.");
  e.sample("sfu_rooms", control.rooms);
  e.family("sfu_participants", "gauge", "Participants in all rooms.");
  e.sample("sfu_participants", control.participants);
  e.family("sfu_websocket_sessions", "gauge", "Open signaling WebSocket sessions.");
  e.sample("sfu_websocket_sessions", control.websocket_sessions);

  e.family("sfu_internal_errors_total", "counter",
           "Exceptions caught at a handler boundary (a bug: the request failed, the server kept serving).");
  e.sample("sfu_internal_errors_total", control.signaling_errors, "where=\"signaling\"");
  e.sample("sfu_internal_errors_total", control.rest_errors, "where=\"rest\"");
  e.sample("sfu_internal_errors_total", control.control_task_errors, "where=\"control_task\"");
  for (const Worker* w : workers)
    e.sample("sfu_internal_errors_total", w->failed_tasks(), "where=\"worker_task\"," + e.worker_label(*w));

  e.family("sfu_http_refused_total", "counter",
           "Connections and requests the control port refused, by reason.");
  e.sample("sfu_http_refused_total", control.http_refused.origin, "reason=\"origin\"");
  e.sample("sfu_http_refused_total", control.http_refused.host, "reason=\"host\"");
  e.sample("sfu_http_refused_total", control.http_refused.connections, "reason=\"connections\"");
  e.sample("sfu_http_refused_total", control.http_refused.connections_per_address,
           "reason=\"connections_per_address\"");
  e.family("sfu_http_timeouts_total", "counter",
           "Connections the control port closed on a timer, by reason.");
  e.sample("sfu_http_timeouts_total", control.http_timeouts.request, "reason=\"request\"");
  e.sample("sfu_http_timeouts_total", control.http_timeouts.websocket_idle, "reason=\"websocket_idle\"");
  e.family("sfu_joins_refused_total", "counter", "Joins refused by the control plane, by reason.");
  for (const auto& [reason, count] : control.joins_refused)
    e.sample("sfu_joins_refused_total", count, std::string("reason=\"") + reason + "\"");
  e.family("sfu_resumes_total", "counter", "Session resume attempts (a `resume` message), by result.");
  for (const auto& [result, count] : control.resumes)
    e.sample("sfu_resumes_total", count, std::string("result=\"") + result + "\"");
  e.family("sfu_participants_detached", "gauge",
           "Participants whose signaling WebSocket was lost, waiting for a resume.");
  e.sample("sfu_participants_detached", control.participants_detached);
  e.family("sfu_resume_grace_expired_total", "counter",
           "Participants that left because no resume came within signaling.resume_grace_s.");
  e.sample("sfu_resume_grace_expired_total", control.resume_grace_expired);
  e.family("sfu_turn_credentials_issued_total", "counter",
           "TURN credentials handed out in joined (one per join while turn.urls is set).");
  e.sample("sfu_turn_credentials_issued_total", control.turn_credentials_issued);
  e.family("sfu_queue_posts_deferred_total", "counter",
           "Control messages that found the receiving queue full and were kept for a retry.");
  queue_samples(e, "sfu_queue_posts_deferred_total", control, &QueueStats::deferred);
  e.family("sfu_queue_posts_refused_total", "counter",
           "Control messages refused on a full queue (answered overloaded, or the session closed).");
  queue_samples(e, "sfu_queue_posts_refused_total", control, &QueueStats::refused);
  e.family("sfu_queue_posts_waiting", "gauge",
           "Control messages kept for a retry now (joins are refused while any wait).");
  queue_samples(e, "sfu_queue_posts_waiting", control, &QueueStats::waiting);

  auto relaxed = [](const std::atomic<uint64_t>& c) { return c.load(std::memory_order_relaxed); };
  e.per_worker("sfu_worker_rooms", "gauge", "Rooms per worker.", workers,
               [](const Worker& w) { return w.room_count(); });
  e.per_worker("sfu_worker_transports", "gauge", "ICE/DTLS/SRTP transports per worker.", workers,
               [](const Worker& w) { return w.transport_count(); });
  e.per_worker("sfu_join_timeouts_total", "counter",
               "Participants removed because none of their connections came up within rtc.join_timeout_s.",
               workers, [](const Worker& w) { return w.join_timeouts(); });
  e.per_worker("sfu_ice_restarts_total", "counter",
               "ICE restarts begun: publish re-offers with new ICE credentials and restart_ice requests.",
               workers, [](const Worker& w) { return w.ice_restarts(); });
  e.per_worker("sfu_worker_loop_lag_ms", "gauge", "How late the worker's 100 ms timer last fired.", workers,
               [](const Worker& w) { return w.loop_lag_ms(); });
  e.per_worker("sfu_packets_received_total", "counter", "UDP datagrams received.", workers,
               [&](const Worker& w) { return relaxed(w.socket_counters().rx_packets); });
  e.per_worker("sfu_bytes_received_total", "counter", "UDP bytes received.", workers,
               [&](const Worker& w) { return relaxed(w.socket_counters().rx_bytes); });
  e.per_worker("sfu_packets_sent_total", "counter", "UDP datagrams sent.", workers,
               [&](const Worker& w) { return relaxed(w.socket_counters().tx_packets); });
  e.per_worker("sfu_bytes_sent_total", "counter", "UDP bytes sent.", workers,
               [&](const Worker& w) { return relaxed(w.socket_counters().tx_bytes); });
  e.per_worker("sfu_rtp_forwarded_total", "counter", "RTP packets forwarded to subscribers.", workers,
               [&](const Worker& w) { return relaxed(w.router_counters().rtp_forwarded); });
  e.per_worker("sfu_retransmissions_total", "counter", "Packets resent to subscribers answering NACKs.",
               workers, [&](const Worker& w) { return relaxed(w.router_counters().retransmissions_sent); });
  e.per_worker("sfu_retransmissions_missed_total", "counter", "NACKed packets not in the buffer.", workers,
               [&](const Worker& w) { return relaxed(w.router_counters().retransmissions_missed); });
  e.family("sfu_retransmissions_refused_total", "counter",
           "NACKed packets not resent, by reason (not_buffered, duplicate, budget, unsendable).");
  for (const Worker* w : workers) {
    const RouterCounters& c = w->router_counters();
    const std::pair<const char*, const std::atomic<uint64_t>*> reasons[] = {
        {"not_buffered", &c.retransmissions_missed},
        {"duplicate", &c.retransmissions_duplicate},
        {"budget", &c.retransmissions_over_budget},
        {"unsendable", &c.retransmissions_unsendable},
    };
    for (const auto& [reason, counter] : reasons)
      e.sample("sfu_retransmissions_refused_total", relaxed(*counter),
               Exposition::worker_label(*w) + ",reason=\"" + reason + "\"");
  }
  e.per_worker("sfu_nacks_received_total", "counter", "NACK feedback from subscribers.", workers,
               [&](const Worker& w) { return relaxed(w.router_counters().nacks_received); });
  e.per_worker("sfu_nacks_sent_total", "counter", "NACKs sent to publishers for the server's own losses.",
               workers, [&](const Worker& w) { return relaxed(w.router_counters().nacks_sent); });
  e.per_worker("sfu_keyframe_requests_received_total", "counter", "PLI and FIR from subscribers.", workers,
               [&](const Worker& w) {
                 return relaxed(w.router_counters().plis_received) +
                        relaxed(w.router_counters().firs_received);
               });
  e.family("sfu_keyframe_requests_suppressed_total", "counter",
           "Subscribers' PLI/FIR that asked for no keyframe of their own, by reason.");
  for (const Worker* w : workers) {
    const RouterCounters& c = w->router_counters();
    e.sample("sfu_keyframe_requests_suppressed_total", relaxed(c.keyframe_requests_throttled),
             Exposition::worker_label(*w) + ",reason=\"subscriber_interval\"");
    e.sample("sfu_keyframe_requests_suppressed_total", relaxed(c.keyframe_requests_collapsed),
             Exposition::worker_label(*w) + ",reason=\"collapsed\"");
  }
  e.per_worker("sfu_transport_cc_feedback_sent_total", "counter",
               "Transport-wide congestion control feedback sent to publishers.", workers,
               [&](const Worker& w) { return relaxed(w.router_counters().transport_cc_sent); });
  e.per_worker("sfu_audio_packets_not_forwarded_total", "counter",
               "Audio packets not sent to a subscriber: the track was not among the room's loudest "
               "(audio.forward_loudest).",
               workers,
               [&](const Worker& w) { return relaxed(w.router_counters().audio_not_forwarded_quiet); });
  e.per_worker("sfu_keyframe_requests_sent_total", "counter", "PLIs sent to publishers (after throttling).",
               workers, [&](const Worker& w) { return relaxed(w.router_counters().plis_sent); });

  render_data_channel_metrics(e, workers);
  render_ice_tcp_metrics(e, workers);
  render_span_metrics(e, workers, control);
  render_simulcast_metrics(e, workers);
  render_bandwidth_metrics(e, workers);

  e.family("sfu_dropped_packets_total", "counter", "Datagrams dropped, by reason.");
  for (const Worker* w : workers) {
    for (size_t i = 0; i < kDropReasonNames.size(); ++i) {
      e.sample("sfu_dropped_packets_total", w->drops().get(static_cast<DropReason>(i)),
               Exposition::worker_label(*w) + ",reason=\"" + kDropReasonNames[i] + "\"");
    }
    const auto& socket = w->socket_counters();
    e.sample("sfu_dropped_packets_total", relaxed(socket.rx_truncated),
             Exposition::worker_label(*w) + ",reason=\"rx_truncated\"");
    e.sample("sfu_dropped_packets_total", relaxed(socket.tx_dropped_ring_full),
             Exposition::worker_label(*w) + ",reason=\"tx_ring_full\"");
    e.sample("sfu_dropped_packets_total", relaxed(socket.tx_dropped_would_block),
             Exposition::worker_label(*w) + ",reason=\"tx_would_block\"");
    e.sample("sfu_dropped_packets_total", relaxed(socket.tx_errors),
             Exposition::worker_label(*w) + ",reason=\"tx_error\"");
  }
  return e.str();
}

}  // namespace sfu
