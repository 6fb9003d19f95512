// A worker: one thread with its own libuv loop that owns a UDP socket per address family of the
// announced addresses (and, with rtc.tcp_port, an ICE-TCP listener per family), every ICE/DTLS/SRTP
// transport on them and the rooms assigned to it. Other threads reach
// it only through post(); the control plane owns the Worker object, the worker owns its transports and rooms.
//
// With data_channels.enabled each worker has an SctpMailbox on its loop (usrsctp's work for its
// associations lands there), and worker 0 also runs the process's one SctpTimerDriver
// (dtls/sctp_stack.h): a process that runs a worker 0 must not create another driver (the
// integration tests' clients use worker 0's).
#pragma once

#include <uv.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/result.h"
#include "base/socket_address.h"
#include "base/task_queue.h"
#include "base/uv_timer.h"
#include "config/config.h"
#include "net/packet_demux.h"
#include "net/tcp_server.h"
#include "net/udp_socket.h"
#include "sfu/media/bwe_counters.h"
#include "sfu/media/cross_worker_hub.h"
#include "sfu/media/data_counters.h"
#include "sfu/media/data_relay.h"
#include "sfu/media/drop_reason.h"
#include "sfu/media/room.h"
#include "sfu/media/router.h"
#include "sfu/media/webrtc_transport.h"
#include "sfu/sdp/sdp.h"

namespace sfu {

namespace dtls {
class DtlsCertificate;
class SctpMailbox;
class SctpTimerDriver;
}  // namespace dtls

// Lets by_ufrag_ be searched with the string_view a STUN USERNAME gives, without a copy.
struct TransparentStringHash {
  using is_transparent = void;
  size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
};

class Worker : private WebRtcTransport::Host, private net::TcpConnection::Handler {
 public:
  Worker(uint32_t index, const config::Config& config, std::shared_ptr<dtls::DtlsCertificate> certificate);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Binds the UDP sockets (udp_port + index) and, with ICE-TCP on, the TCP listeners (tcp_port +
  // index), one per address family (config::RtcConfig::bind_ip_for()), and starts the thread;
  // bind_failed with the reason.
  Status start();
  // Stops the loop and joins the thread; transports are closed. Call from a thread other than this
  // worker's own.
  void stop();
  // Thread-safe: runs `task` on the worker's loop. False when the queue is full or stopped.
  bool post(std::function<void(Worker&)> task);
  // Thread-safe: the same for a task that captures what it needs; on false `task` is left with the
  // caller, who may offer it again later (the control plane's OrderedPoster does).
  bool try_post(TaskQueue::Task& task) { return tasks_->try_post(task); }

  uint32_t index() const { return index_; }
  // The UDP socket of the first announced address's family (its bound address and port).
  const SocketAddress& udp_address() const { return primary_socket_->local_address(); }
  // Each family's socket (nullptr for a family with no announced address).
  const net::UdpSockets& udp_sockets() const { return sockets_; }
  // The ICE-TCP listener of the first announced address's family; port 0 when ICE-TCP is off.
  // Set by start(), as are the other families' (tcp_addresses()).
  SocketAddress tcp_address() const { return tcp_ ? tcp_->local_address() : SocketAddress(); }
  uint16_t tcp_port() const { return tcp_ ? tcp_->local_address().port() : 0; }
  std::vector<SocketAddress> tcp_addresses() const {
    return tcp_ ? tcp_->local_addresses() : std::vector<SocketAddress>();
  }
  // The host candidates of every transport of this worker (sdp::host_candidates() of the
  // announced addresses and the bound ports). Set by start().
  const std::vector<sdp::Candidate>& host_candidates() const { return host_candidates_; }
  bool running() const { return running_.load(); }

  // Read from any thread (metrics).
  const net::UdpSocketCounters& socket_counters() const { return udp_counters_; }  // all its UDP sockets
  const net::TcpCounters& tcp_counters() const { return tcp_counters_; }
  const DropCounters& drops() const { return drops_; }
  const DataCounters& data_channel_counters() const { return data_counters_; }
  const BweCounters& bandwidth_counters() const { return bwe_counters_; }
  // Control tasks that threw on this worker (caught at the task boundary, see TaskQueue).
  uint64_t failed_tasks() const { return tasks_ ? tasks_->failed_tasks() : 0; }
  uint64_t loop_lag_ms() const { return loop_lag_ms_.load(std::memory_order_relaxed); }
  size_t transport_count() const { return transport_count_.load(std::memory_order_relaxed); }
  // Participants its rooms removed because none of their connections came up within
  // rtc.join_timeout_s (count_join_timeout(), on the loop thread).
  uint64_t join_timeouts() const { return join_timeouts_.load(std::memory_order_relaxed); }

  // ---- loop thread only ----
  uv_loop_t* loop() { return &loop_; }
  uint64_t now_ms() { return uv_now(&loop_); }
  // Creates a server-side transport (ICE-lite, DTLS server) with fresh credentials.
  WebRtcTransport& create_transport(WebRtcTransport::Observer& observer);
  // Closes and frees a transport; its observer gets no more callbacks.
  void destroy_transport(uint64_t transport_id);
  WebRtcTransport* find_transport(uint64_t transport_id);
  // Remote 5-tuples some transport has validated (at most 8 per transport).
  size_t known_address_count() const { return by_address_.size(); }
  // Rooms assigned to this worker.
  Room* find_room(const std::string& name);
  Room& create_room(const std::string& name, RoomEvents& events, RoomLimits limits);
  // A room that spans workers: its shard here, opened while the room has shards on `peers`
  // (room_shard.h). The same as create_room() when `peers` is empty.
  Room& open_room_shard(const std::string& name, RoomEvents& events, RoomLimits limits,
                        const std::vector<uint32_t>& peers);
  void remove_room(const std::string& name);
  // The rings to and from the other workers (cross_worker_hub.h). doorbell() and counters() may be
  // used from any thread; the rest on the loop thread.
  CrossWorkerHub& cross_worker() { return *cross_worker_; }
  const CrossWorkerCounters& cross_worker_counters() const { return cross_worker_->counters(); }
  size_t room_count() const { return room_count_.load(std::memory_order_relaxed); }
  const RouterCounters& router_counters() const { return router_counters_; }
  DropCounters& drop_counters_for_rooms() { return drops_; }
  DataCounters& data_counters_for_rooms() { return data_counters_; }
  const DataRelayOptions& data_relay_options() const { return data_relay_options_; }
  const config::MediaConfig& media_config() const { return config_.media; }
  const config::BandwidthConfig& bandwidth_config() const { return config_.bandwidth; }
  BweCounters& bwe_counters_for_rooms() { return bwe_counters_; }
  const config::AudioConfig& audio_config() const { return config_.audio; }
  // rtc.join_timeout_s: how long a participant may stay without any connection up.
  uint64_t join_timeout_ms() const { return uint64_t{config_.rtc.join_timeout_s} * 1000; }
  void count_join_timeout() { join_timeouts_.store(join_timeouts() + 1, std::memory_order_relaxed); }
  // ICE restarts begun on this worker's transports (a publish re-offer with new credentials, or
  // restart_ice on a subscribe connection).
  uint64_t ice_restarts() const { return ice_restarts_.load(std::memory_order_relaxed); }
  void count_ice_restart() { ice_restarts_.store(ice_restarts() + 1, std::memory_order_relaxed); }
  // Sends whatever transports queued outside a receive batch (timers, tasks).
  void flush_sends() { sockets_.flush(); }

 private:
  void run();
  // On the loop thread: the SCTP mailbox (and on worker 0 the timer driver) when data channels are
  // on, and the check handle that flushes sends made outside a receive batch.
  void start_data_channels();
  void stop_data_channels();
  void on_datagrams(std::span<net::UdpSocket::Datagram> batch);
  // The transport a STUN datagram goes to: `address_owner` (the transport that validated its
  // source address, if any) while that one is in use, else the owner of the ufrag its binding
  // request names. nullptr (counted) when neither exists.
  WebRtcTransport* transport_for_stun(ByteSpan stun, WebRtcTransport* address_owner, uint64_t now_ms);
  // Whether `transport` still holds its addresses against a check for another transport: it is
  // open and had a valid check within takeover_quiet_ms_.
  bool in_use(const WebRtcTransport& transport, uint64_t now_ms) const;
  void on_tick();
  // Every kPacerIntervalMs while any transport's pacer holds packets: drains them.
  void on_pacer_timer();
  // Tells the observers of transports that failed since the last call. Only from the loop's own
  // callbacks (a datagram batch, a task, the tick) once their work is done: observers free
  // participants and transports.
  void report_failed_transports();

  // WebRtcTransport::Host
  void on_address_validated(WebRtcTransport& transport, const SocketAddress& address) override;
  void on_address_released(WebRtcTransport& transport, const SocketAddress& address) override;
  void on_tcp_path_validated(WebRtcTransport& transport, net::TcpConnection& connection) override;
  void on_tcp_path_released(WebRtcTransport& transport, net::TcpConnection& connection) override;
  void on_ufrag_added(WebRtcTransport& transport, const std::string& ufrag) override;
  void on_ufrag_retired(WebRtcTransport& transport, const std::string& ufrag) override;
  void on_transport_failed(WebRtcTransport& transport, std::string_view reason) override;
  DropCounters& drop_counters() override { return drops_; }
  DataCounters& data_counters() override { return data_counters_; }
  BweCounters& bwe_counters() override { return bwe_counters_; }
  const net::FlushClock* flush_clock() override { return &flush_clock_; }
  void on_pacer_queued(WebRtcTransport& transport) override;
  dtls::SctpMailbox* sctp_mailbox() override { return sctp_mailbox_.get(); }

  // net::TcpConnection::Handler: the frames of ICE-TCP connections, routed like datagrams.
  void on_frame(net::TcpConnection& connection, uint8_t* data, size_t size) override;
  void on_frames_done(net::TcpConnection& connection) override;
  void on_closed(net::TcpConnection& connection, net::TcpCloseReason reason) override;
  // A frame of a connection no transport has taken yet: only a binding request naming a live
  // ufrag may come first (that transport's agent checks it); anything else closes the connection.
  void on_pending_tcp_frame(net::TcpConnection& connection, const net::UdpSocket::Datagram& frame,
                            net::PacketKind kind, uint64_t now_ms);
  Status start_udp();
  Status start_relay();
  Status start_tcp();
  // host_candidates_ from the announced addresses and the ports bound.
  void make_host_candidates();

  const uint32_t index_;
  const config::Config config_;
  // A quarter of the consent timeout (7.5 s by default): longer than a live peer's consent-check
  // interval (at most 6 s, RFC 7675 §5.1), so only a connection that has stopped checking can lose
  // an address to another one; a spoofed check cannot take it from a connection in use.
  const uint64_t takeover_quiet_ms_;
  std::shared_ptr<dtls::DtlsCertificate> certificate_;
  uv_loop_t loop_{};
  net::UdpSocketCounters udp_counters_;
  // Set on the sockets below (declared before them: they may flush until destroyed); the
  // transports' bandwidth estimators read it.
  net::FlushClock flush_clock_;
  std::unique_ptr<net::UdpSocket> socket_v4_, socket_v6_;  // for the families announced
  net::UdpSockets sockets_;                                // the two above
  net::UdpSocket* primary_socket_ = nullptr;               // the first announced address's family
  std::vector<sdp::Candidate> host_candidates_;
  net::TcpCounters tcp_counters_;
  std::unique_ptr<net::TcpServer> tcp_;  // with ICE-TCP on; loop thread after start()
  std::unique_ptr<TaskQueue> tasks_;
  std::unique_ptr<UvTimer> tick_;
  // The pacer timer, armed only while paced_ (ids of transports whose pacer holds packets) is not
  // empty.
  static constexpr uint64_t kPacerIntervalMs = 5;
  std::unique_ptr<UvTimer> pacer_timer_;
  std::vector<uint64_t> paced_;
  std::unique_ptr<CrossWorkerHub> cross_worker_;
  uint64_t last_tick_ms_ = 0;
  std::thread thread_;
  std::atomic<bool> running_{false};
  std::atomic<uint64_t> loop_lag_ms_{0};
  std::atomic<size_t> transport_count_{0};
  std::atomic<size_t> room_count_{0};
  std::atomic<uint64_t> join_timeouts_{0};
  std::atomic<uint64_t> ice_restarts_{0};
  RouterCounters router_counters_;
  DropCounters drops_;
  DataCounters data_counters_;
  BweCounters bwe_counters_;
  const DataRelayOptions data_relay_options_;
  std::unique_ptr<dtls::SctpMailbox> sctp_mailbox_;     // loop thread; with data channels on
  std::unique_ptr<dtls::SctpTimerDriver> sctp_timers_;  // worker 0 only
  // SCTP sends from usrsctp's timers (through the mailbox) and from control tasks happen outside
  // a receive batch: flushed once per loop turn (uv_check), not left for the room's 20 ms timer.
  uv_check_t* flush_check_ = nullptr;

  uint64_t next_transport_id_ = 1;
  std::unordered_map<uint64_t, std::unique_ptr<WebRtcTransport>> transports_;
  std::vector<std::unique_ptr<WebRtcTransport>> retired_;  // destroyed, freed at a safe point
  std::vector<uint64_t> failed_transports_;                // failed, reported at a safe point
  // Every local ufrag of a live transport: its current one and, during an ICE restart, the one
  // before (see WebRtcTransport::Host::on_ufrag_added).
  std::unordered_map<std::string, WebRtcTransport*, TransparentStringHash, std::equal_to<>> by_ufrag_;
  // Exactly the validated addresses of every transport (each transport's own list says which;
  // the Host calls keep the two in step), so an entry never outlives its transport.
  std::unordered_map<SocketAddress, WebRtcTransport*, SocketAddressHash> by_address_;
  std::unordered_map<std::string, std::unique_ptr<Room>> rooms_;
};

}  // namespace sfu
