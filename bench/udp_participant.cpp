#include "bench/udp_participant.h"

#include "bench/packet_stamp.h"
#include "bench/udp_reflector.h"

namespace sfu::bench {

UdpParticipant::UdpParticipant(uv_loop_t* loop, SocketAddress reflector,
                               std::optional<MediaSourceConfig> media, ParticipantSpec spec,
                               ReceiveAccounting accounting, ReceiverStats& stats,
                               const MeasurementWindow& window)
    : BenchParticipant(std::move(spec), std::move(accounting), stats, window),
      loop_(loop),
      reflector_(reflector),
      socket_(loop, [this](auto batch) { on_datagrams(batch); }) {
  if (media) source_.emplace(*media);
}

bool UdpParticipant::start(std::string* error) {
  auto bind = SocketAddress::from_ip(reflector_.ip_string(), 0);
  if (!socket_.bind(*bind, 1 << 22, 1 << 22, error)) return false;
  send_control(UdpReflector::kJoinMagic);
  last_join_ns_ = monotonic_ns();
  socket_.flush();
  return true;
}

void UdpParticipant::send_control(uint32_t magic) {
  uint8_t message[8];
  store_be32(message, magic);
  store_be32(message + 4, spec_.room);
  socket_.send(ByteSpan(message, sizeof(message)), reflector_);
}

bool UdpParticipant::ready() const { return joined_ && accounting_.receiving_all(); }

void UdpParticipant::pump(uint64_t now_ns) {
  if (closed_) return;
  if (!joined_) {
    if (now_ns - last_join_ns_ > 100'000'000) {
      send_control(UdpReflector::kJoinMagic);
      last_join_ns_ = now_ns;
      socket_.flush();
    }
    return;
  }
  if (!source_) return;
  if (!source_->started()) source_->start(now_ns);
  bool sent = false;
  for (auto kind = source_->next_due(now_ns); kind != SyntheticMediaSource::Kind::kNone;
       kind = source_->next_due(now_ns)) {
    MutableByteSpan slot = socket_.acquire_send();
    size_t size = source_->build(kind, now_ns, &window_, slot);
    if (size == 0) continue;
    socket_.commit_send(size, reflector_);
    sent = true;
  }
  if (sent) socket_.flush();
}

void UdpParticipant::close() {
  if (closed_) return;
  send_control(UdpReflector::kLeaveMagic);
  socket_.flush();
  closed_ = true;
}

void UdpParticipant::on_datagrams(std::span<net::UdpSocket::Datagram> batch) {
  uint64_t now = monotonic_ns();
  for (const auto& datagram : batch) {
    if (datagram.size == 4 && load_be32(datagram.data) == UdpReflector::kJoinAckMagic) {
      joined_ = true;
      continue;
    }
    accounting_.on_rtp(datagram.data, datagram.size, now, window_, stats_);
  }
}

std::string UdpParticipant::describe() const {
  return spec_.name + ": joined " + std::to_string(joined_) + ", streams " +
         std::to_string(accounting_.streams_seen()) + "/" +
         std::to_string(accounting_.expected_stream_count());
}

}  // namespace sfu::bench
