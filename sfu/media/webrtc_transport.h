// One WebRTC connection as the server sees it: an ICE-lite agent, a DTLS server and a pair of SRTP
// sessions, bundled on one 5-tuple of one of its worker's UDP sockets or on one ICE-TCP connection
// (RFC 6544; the path the peer nominated last, see update_remote_address()). A UDP path is the
// peer's address and the server address the peer sent to (one of the announced addresses): what
// goes to the peer leaves from there. It decrypts what arrives and hands
// RTP/RTCP to its observer (the router); it encrypts what the router sends back out, as the
// MediaSink of the tracks that send through it.
//
// Data channels (RFC 8831): when the connection's negotiated SDP has an application m-section, the
// room calls enable_data_channels(); the transport then owns a DataChannelEndpoint (SCTP over its
// DTLS association, odd stream ids as the DTLS server), created and connected once DTLS is up. Its
// channel events reach the observer typed, like RTP.
//
// Created at join with only its ICE credentials: the DTLS server (an OpenSSL session with its
// buffers, tens of KB) is created when the peer can start its handshake (remote description or
// first valid ICE check), so a participant that negotiates nothing costs little (about 4 KB in
// all, see tests/unit/media/idle_participant_memory_test.cpp).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/socket_address.h"
#include "base/uv_timer.h"
#include "dtls/data_channel_endpoint.h"
#include "dtls/dtls_transport.h"
#include "ice/ice_lite_agent.h"
#include "net/tcp_connection.h"
#include "net/udp_socket.h"
#include "rtp/srtp_session.h"
#include "sfu/media/data_counters.h"
#include "sfu/media/drop_reason.h"
#include "sfu/media/media_sink.h"
#include "sfu/media/pacer.h"
#include "sfu/media/transport_bandwidth_estimator.h"

namespace sfu::dtls {
class SctpMailbox;
}

namespace sfu {

// A connection's data channels as its negotiated SDP sets them up (WebRtcTransport::enable_data_channels).
struct DataChannelSetup {
  dtls::SctpOptions sctp;  // ports, our max-message-size, the send buffer bound
  dtls::DataChannelLimits limits;
  size_t remote_max_message_size = 65536;  // the peer's a=max-message-size (0: 64 KiB, RFC 8841)
};

struct TransportCounters {
  uint64_t rtp_packets_in = 0, rtp_bytes_in = 0, rtcp_packets_in = 0;
  uint64_t rtp_packets_out = 0, rtp_bytes_out = 0, rtcp_packets_out = 0;
};

class WebRtcTransport final : public MediaSink, private dtls::DataChannelEndpoint::Observer {
 public:
  enum class State { New, IceConnected, DtlsConnected, Closed };

  // The worker: keeps the 5-tuple table and the drop counters. Its table holds exactly the
  // addresses of validated_addresses(), kept so by these two calls (and release_address()).
  class Host {
   public:
    virtual ~Host() = default;
    // `address` joined validated_addresses(); the host routes datagrams from it here.
    virtual void on_address_validated(WebRtcTransport& transport, const SocketAddress& address) = 0;
    // `address` left validated_addresses() (the oldest, evicted for a new one, or the one the
    // peer nominated before it nominated another).
    virtual void on_address_released(WebRtcTransport& transport, const SocketAddress& address) = 0;
    // `connection` carried a valid ICE check (it joined tcp_paths()); the host routes its frames here.
    virtual void on_tcp_path_validated(WebRtcTransport& transport, net::TcpConnection& connection) = 0;
    // `connection` left tcp_paths() (the oldest, evicted for a new one): the host closes it.
    virtual void on_tcp_path_released(WebRtcTransport& transport, net::TcpConnection& connection) = 0;
    // An ICE restart (restart_ice()) gave the transport a new local ufrag: checks that name it
    // come here too. The one before stays the transport's until on_ufrag_retired().
    virtual void on_ufrag_added(WebRtcTransport& transport, const std::string& ufrag) = 0;
    // `ufrag` no longer names the transport: the restart completed, or a newer one replaced it.
    virtual void on_ufrag_retired(WebRtcTransport& transport, const std::string& ufrag) = 0;
    // The transport has closed itself. The host must call report_failure() later, at a point where
    // no call into the transport or its observer is on the stack.
    virtual void on_transport_failed(WebRtcTransport& transport, std::string_view reason) = 0;
    virtual DropCounters& drop_counters() = 0;
    virtual DataCounters& data_counters() = 0;
    virtual BweCounters& bwe_counters() = 0;
    // When the host's sockets flushed (send times for the bandwidth estimate); nullptr: the
    // estimate takes the time a packet was queued.
    virtual const net::FlushClock* flush_clock() { return nullptr; }
    // The transport's pacer queue went from empty to holding packets: the host drains it
    // (drain_pacer()) on its pacer timer until it is empty again.
    virtual void on_pacer_queued(WebRtcTransport& /*transport*/) {}
    // The SCTP mailbox of the host's thread (dtls/sctp_stack.h); nullptr when data channels are off.
    virtual dtls::SctpMailbox* sctp_mailbox() = 0;
  };

  // The user of the media: the participant's link to its room (TransportLink), typed, so no
  // context pointer is needed. Packets are decrypted in place and valid until return.
  // on_transport_closed comes only through report_failure(), never from inside another call into
  // the transport (set_remote_parameters() replays early DTLS, which may fail it): the observer
  // may then free what it likes, the transport included.
  class Observer {
   public:
    virtual ~Observer() = default;
    virtual void on_transport_connected(WebRtcTransport& transport) = 0;
    virtual void on_transport_closed(WebRtcTransport& transport, std::string_view reason) = 0;
    // `arrival_us`: when the kernel received it (net::UdpSocket::Datagram), 0 when unknown.
    virtual void on_rtp(WebRtcTransport& transport, uint8_t* data, size_t size, int64_t arrival_us) = 0;
    virtual void on_rtcp(WebRtcTransport& transport, uint8_t* data, size_t size) = 0;
    // Data channels (after enable_data_channels()), as DataChannelEndpoint::Observer says; the
    // endpoint is data_channels(). They may send and close channels, not free the transport.
    virtual void on_data_channels_ready(WebRtcTransport&) {}
    virtual void on_data_channel_opened(WebRtcTransport&, const dtls::DataChannelInfo&) {}
    virtual void on_data_channel_message(WebRtcTransport&, const dtls::DataChannelInfo&, bool /*binary*/,
                                         ByteSpan /*message*/) {}
    virtual void on_data_channel_closed(WebRtcTransport&, const dtls::DataChannelInfo&) {}
    virtual void on_data_channels_closed(WebRtcTransport&) {}
  };

  struct Options {
    uint64_t consent_timeout_ms = 30000;
    // Counted from the remote description or the first valid ICE check, whichever comes first.
    uint64_t dtls_handshake_timeout_ms = 30000;
    // Distinct inbound SSRCs the peer may use (limits.ssrcs_per_transport); 0 = no limit.
    uint32_t max_inbound_ssrcs = 0;
    rtp::SrtpBackend srtp_backend = rtp::SrtpBackend::OpenSsl;  // rtc.srtp_backend
    // bandwidth.pacing: the subscribe connection's packets are paced at its estimate (pacer.h)
    // once it has one; nullopt: every packet goes out at once.
    std::optional<PacerOptions> pacer;
  };

  // `sockets`: the worker's, which outlive the transport.
  WebRtcTransport(uint64_t id, uv_loop_t* loop, const net::UdpSockets& sockets,
                  std::shared_ptr<dtls::DtlsCertificate> certificate, Host& host, Observer& observer,
                  Options options);
  ~WebRtcTransport() override;
  WebRtcTransport(const WebRtcTransport&) = delete;
  WebRtcTransport& operator=(const WebRtcTransport&) = delete;

  uint64_t id() const { return id_; }
  // The local ICE credentials the next description carries (a pending restart's new ones).
  const std::string& ice_ufrag() const { return ice_.local_ufrag(); }
  const std::string& ice_pwd() const { return ice_.local_pwd(); }
  // While a restart is pending, the ufrag in use before it (still accepted); empty otherwise.
  const std::string& retiring_ice_ufrag() const { return retiring_ufrag_; }
  const std::string& dtls_fingerprint() const;
  State state() const { return state_; }
  const std::vector<SocketAddress>& validated_addresses() const { return validated_; }
  // The UDP address media goes to; nullopt when the selected path is an ICE-TCP connection.
  const std::optional<SocketAddress>& remote_address() const { return remote_address_; }
  // ICE-TCP connections that carried a valid check (at most kMaxTcpPaths), and the one media goes
  // to (nullptr when it goes over UDP, or nowhere yet).
  static constexpr size_t kMaxTcpPaths = 4;
  const std::vector<net::TcpConnection*>& tcp_paths() const { return tcp_paths_; }
  const net::TcpConnection* remote_tcp() const { return remote_tcp_; }
  // When the last valid ICE check arrived (from any of its addresses); nullopt before the first.
  std::optional<uint64_t> last_valid_check_ms() const { return ice_.last_valid_check_ms(); }
  const TransportCounters& counters() const { return counters_; }
  uint64_t now_ms() const { return uv_now(loop_); }
  // Called by the worker when it destroys the transport: no observer callback after this.
  void detach_observer() { observer_ = nullptr; }
  // Called by the host when another transport proved `address` more recently (a peer reusing a
  // local port for a new connection): it leaves validated_addresses() and is no longer sent to.
  void release_address(const SocketAddress& address);
  // Called by the host when `connection` closed: it leaves tcp_paths() and is no longer sent to
  // (consent then decides, as for a UDP path that went quiet).
  void release_tcp_path(const net::TcpConnection& connection);
  // Tells the observer that the transport failed (once; see Host::on_transport_failed).
  void report_failure();

  // From the peer's SDP: ICE credentials and the DTLS certificate fingerprint ("sha-256"). Starts
  // the DTLS handshake deadline (Options::dtls_handshake_timeout_ms) unless the first valid ICE
  // check started it already.
  void set_remote_parameters(const std::string& ice_ufrag, const std::string& ice_pwd,
                             const std::string& fingerprint_algorithm, const std::string& fingerprint);

  // ICE restart (RFC 8445 §9): new local credentials (ice_ufrag(), ice_pwd()) for the next
  // description, told to the host. Checks with the previous ones are answered until the peer
  // nominates with the new ones; DTLS, SRTP and the selected address stay, so media goes on.
  void restart_ice();
  // The peer's ICE credentials of the restart (from its description); DTLS is not touched.
  void set_remote_ice_credentials(const std::string& ice_ufrag, const std::string& ice_pwd);

  // Datagrams routed here by the worker (already classified, RFC 7983). A STUN packet that came
  // over an ICE-TCP connection names it in `via` (its answer goes back there, and a valid check
  // makes it a path); nullptr for UDP.
  void handle_stun(const net::UdpSocket::Datagram& datagram, uint64_t now_ms,
                   net::TcpConnection* via = nullptr);
  void handle_dtls(const net::UdpSocket::Datagram& datagram, uint64_t now_ms);
  void handle_srtp(const net::UdpSocket::Datagram& datagram, bool is_rtcp);

  // MediaSink. acquire_send() gives a socket slot to build a plain RTP packet in; commit_rtp()
  // encrypts it in place and queues it. False (and counted) when it cannot be sent.
  bool ready() const override { return state_ == State::DtlsConnected; }
  MutableByteSpan acquire_send() override {
    return remote_tcp_ ? remote_tcp_->acquire_send() : path_socket_->acquire_send();
  }
  bool commit_rtp(MutableByteSpan slot, size_t size) override;
  // With a pacer that paces (an estimate exists): what it holds back is copied and sent by
  // drain_pacer(); otherwise the same as commit_rtp().
  bool commit_media(MutableByteSpan slot, size_t size, MediaClass kind) override {
    if (!pacer_ || !pacer_->pacing()) return commit_rtp(slot, size);
    return commit_paced(slot, size, kind);
  }
  // The host's pacer timer: sends what the pacer lets out now. True while packets remain queued.
  bool drain_pacer();
  // nullptr unless pacing is configured and bandwidth estimation enabled.
  const Pacer* pacer() const { return pacer_.get(); }
  // Set by the host while this transport is on its list of queues to drain.
  bool pacer_scheduled = false;
  bool send_rtcp(ByteSpan packet) override;  // copies
  bool commit_rtcp(MutableByteSpan slot, size_t size);
  // Sends what is queued now. Needed only outside a receive batch (timers, control tasks): the
  // socket flushes after every batch by itself.
  void flush_sends() {
    if (remote_tcp_) remote_tcp_->flush();
    sockets_.flush();
  }

  // The peer has stopped sending on `ssrc` for good (its track was unpublished): its SRTP state
  // is freed and its place under max_inbound_ssrcs serves another SSRC.
  void forget_inbound_ssrc(uint32_t ssrc) {
    if (srtp_in_) srtp_in_->forget_stream(ssrc);
  }

  // Send-side bandwidth estimation toward the peer (a subscribe connection whose answer accepted
  // media): every RTP packet sent carries the server's transport-wide sequence number in header
  // extension `extension_id` (0: the peer accepted none and can only send REMB), and the peer's
  // transport-cc feedback and REMB feed the estimate. A later call with the same id keeps it.
  void enable_bandwidth_estimation(uint8_t extension_id);
  // nullptr until enabled.
  const TransportBandwidthEstimator* bandwidth_estimator() const { return bwe_.get(); }
  TransportBandwidthEstimator* bandwidth_estimator() { return bwe_.get(); }

  // Gives the connection data channels (its negotiated SDP has an application m-section): the
  // SCTP association starts when DTLS is up, at once if it is. The first call counts; without the
  // host's SCTP mailbox (data channels off) nothing starts.
  void enable_data_channels(const DataChannelSetup& setup);
  bool data_channels_enabled() const { return data_setup_.has_value(); }
  // The connection's data channels: nullptr until DTLS is up after enable_data_channels().
  dtls::DataChannelEndpoint* data_channels() { return state_ == State::Closed ? nullptr : data_.get(); }

  // Consent freshness; returns false once the transport has failed (reported to the host).
  bool on_tick(uint64_t now_ms);
  void close(std::string_view reason);

 private:
  // Creates the DTLS server and starts its handshake deadline (once; see the definition).
  void start_dtls(uint64_t now_ms);
  void on_dtls_connected(const dtls::SrtpKeys& keys);
  void fail(std::string_view reason);
  void arm_dtls_timer();
  void update_remote_address();
  bool has_path() const { return remote_address_.has_value() || remote_tcp_ != nullptr; }
  // Queues `size` bytes of the slot acquire_send() gave on the selected path (one is set).
  void commit_to_path(size_t size) {
    if (remote_tcp_)
      remote_tcp_->commit_send(size);
    else
      path_socket_->commit_send(size, *remote_address_, &path_local_);
  }
  // Copies and queues one packet (STUN, DTLS) on the selected path.
  void send_to_path(ByteSpan packet);
  void add_tcp_path(net::TcpConnection& connection);
  // A valid check from a new address, sent to our `local`: it joins validated_addresses() (the
  // oldest may go).
  void add_validated_address(const SocketAddress& address, const SocketAddress& local, uint64_t now_ms);
  // Removes validated_[i] and what goes with it (not the host's table: the caller tells it).
  void erase_validated(size_t i);
  // Lets go of the validated addresses the peer has left (see the definition).
  void release_quiet_addresses(uint64_t now_ms);
  void count_drop(DropReason reason) { host_.drop_counters().count(reason); }
  bool commit_paced(MutableByteSpan slot, size_t size, MediaClass kind);
  // The estimate, once the subscriber has given one (feedback or REMB), sets the pacing rate.
  void update_pacing_rate(int64_t now_us);
  // Moves the pacer's new drops and sends into the host's counters.
  void harvest_pacer_stats();
  void start_data_channels();
  void on_application_data(ByteSpan packet);
  // Moves what the endpoint counted since the last call into the host's DataCounters (drops, and
  // the channel and association gauges; `final` takes this connection out of the gauges).
  void harvest_data_counters(bool final);

  // dtls::DataChannelEndpoint::Observer
  void send_data_packet(ByteSpan packet) override;
  void on_data_channels_ready() override;
  void on_channel_opened(const dtls::DataChannelInfo& channel) override;
  void on_channel_message(const dtls::DataChannelInfo& channel, bool binary, ByteSpan message) override;
  void on_channel_closed(const dtls::DataChannelInfo& channel) override;
  void on_data_channels_closed(std::string_view reason) override;
  bool data_events_wanted() const { return observer_ != nullptr && state_ == State::DtlsConnected; }

  const uint64_t id_;
  uv_loop_t* loop_;
  const net::UdpSockets& sockets_;
  // The socket of remote_address_'s family (the worker's first one while there is no UDP path):
  // cached, as remote_address_ and path_local_, for the packet path.
  net::UdpSocket* path_socket_;
  Host& host_;
  Observer* observer_;  // not owned; nullptr once detached
  Options options_;
  std::string retiring_ufrag_;  // see retiring_ice_ufrag()
  State state_ = State::New;
  std::optional<std::string> failure_reason_;  // why fail() closed it, until report_failure()
  std::optional<uint64_t> remote_set_ms_;      // when set_remote_parameters() was called
  // DTLS that arrives before the peer's SDP (and so its fingerprint) reached us: a browser
  // answering a subscribe offer starts its handshake while its answer is still on the way.
  // Held (bounded) and replayed once the fingerprint is known.
  std::vector<std::vector<uint8_t>> early_dtls_;
  static constexpr size_t kMaxEarlyDtlsDatagrams = 8;

  ice::IceLiteAgent ice_;
  std::vector<SocketAddress> validated_;      // bounded: kMaxValidatedAddresses
  std::vector<uint64_t> validated_check_ms_;  // the last valid check from validated_[i]
  // Our address validated_[i] sent its first valid check to, or its latest nominating one.
  std::vector<SocketAddress> validated_local_;
  std::optional<SocketAddress> remote_address_;
  // Our address remote_address_ sent its checks to (its nominating one's, if it nominated): the
  // source of everything sent there. Unset without a UDP path.
  SocketAddress path_local_;
  std::vector<net::TcpConnection*> tcp_paths_;  // bounded: kMaxTcpPaths; the host keeps them alive
  net::TcpConnection* remote_tcp_ = nullptr;    // the selected path when it is a TCP connection
  // The connection the last nomination (USE-CANDIDATE) came over; nullptr when it came over UDP
  // (the agent's selected address is then the path) or that connection is gone.
  net::TcpConnection* nominated_tcp_ = nullptr;
  bool nominated_over_tcp_ = false;            // the last nomination came over TCP (even if since closed)
  std::unique_ptr<dtls::DtlsTransport> dtls_;  // nullptr until start_dtls()
  std::shared_ptr<dtls::DtlsCertificate> certificate_;
  UvTimer dtls_timer_;
  std::unique_ptr<rtp::SrtpSession> srtp_in_;
  std::unique_ptr<rtp::SrtpSession> srtp_out_;
  TransportCounters counters_;
  std::unique_ptr<TransportBandwidthEstimator> bwe_;  // see enable_bandwidth_estimation()
  std::unique_ptr<Pacer> pacer_;                      // with bwe_, when options_.pacer is set
  PacerStats pacer_seen_;                             // what harvest_pacer_stats() counted already
  std::array<uint8_t, 512> stun_response_{};
  std::optional<DataChannelSetup> data_setup_;
  std::unique_ptr<dtls::DataChannelEndpoint> data_;  // once DTLS is up with data channels enabled
  // What of data_'s counters the host's DataCounters hold already (harvest_data_counters).
  struct DataCountersSeen {
    uint64_t oversized = 0, mailbox_drops = 0, bad_dcep = 0, refused = 0, unknown_stream = 0,
             unknown_ppid = 0;
    int64_t channels = 0, associations = 0;
    bool final = false;
  } data_seen_;
};

}  // namespace sfu
