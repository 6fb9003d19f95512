// A participant of the raw baseline: one plain UDP socket, no ICE, DTLS or SRTP. It joins its
// room at the UdpReflector (a small control datagram, repeated until acknowledged), then sends
// the same synthetic RTP as an SFU participant and receives the other publishers' packets.
#pragma once

#include <uv.h>

#include "base/socket_address.h"
#include "bench/bench_participant.h"
#include "net/udp_socket.h"

namespace sfu::bench {

class UdpParticipant : public BenchParticipant {
 public:
  UdpParticipant(uv_loop_t* loop, SocketAddress reflector, std::optional<MediaSourceConfig> media,
                 ParticipantSpec spec, ReceiveAccounting accounting, ReceiverStats& stats,
                 const MeasurementWindow& window);

  bool start(std::string* error) override;
  bool ready() const override;
  void pump(uint64_t now_ns) override;
  void close() override;
  bool closed() const override { return closed_; }
  std::string failure() const override { return {}; }
  std::string describe() const override;

 private:
  void on_datagrams(std::span<net::UdpSocket::Datagram> batch);
  void send_control(uint32_t magic);

  uv_loop_t* loop_;
  SocketAddress reflector_;
  net::UdpSocket socket_;
  bool joined_ = false;
  bool closed_ = false;
  uint64_t last_join_ns_ = 0;
};

}  // namespace sfu::bench
