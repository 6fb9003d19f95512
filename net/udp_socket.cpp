#include "net/udp_socket.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace sfu::net {

struct UdpSocket::RecvSlots {
  std::array<std::array<uint8_t, kBufferSize>, kBatch> buffers;
  std::array<sockaddr_storage, kBatch> addresses;
  std::array<iovec, kBatch> iovecs;
  std::array<mmsghdr, kBatch> headers;
  std::array<Datagram, kBatch> datagrams;
};

struct UdpSocket::SendSlots {
  std::array<std::array<uint8_t, kBufferSize>, kSendRing> buffers;
  std::array<SocketAddress, kSendRing> destinations;
  std::array<iovec, kSendRing> iovecs;
  std::array<mmsghdr, kSendRing> headers;
  size_t queued = 0;
};

UdpSocket::UdpSocket(uv_loop_t* loop, BatchHandler on_batch)
    : loop_(loop),
      on_batch_(std::move(on_batch)),
      recv_(std::make_unique<RecvSlots>()),
      send_(std::make_unique<SendSlots>()) {
  for (size_t i = 0; i < kBatch; ++i) {
    recv_->iovecs[i] = {recv_->buffers[i].data(), kBufferSize};
    std::memset(&recv_->headers[i], 0, sizeof(mmsghdr));
  }
}

UdpSocket::~UdpSocket() {
  close();
  if (fd_ >= 0) ::close(fd_);
}

bool UdpSocket::bind(const SocketAddress& address, uint32_t recv_buffer_bytes, uint32_t send_buffer_bytes,
                     std::string* error) {
  auto fail = [&](const char* what) {
    if (error) *error = std::string(what) + ": " + std::strerror(errno);
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    return false;
  };
  fd_ = ::socket(address.family(), SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd_ < 0) return fail("socket");
  int size = static_cast<int>(recv_buffer_bytes);
  // Best effort: the kernel caps these at net.core.{r,w}mem_max.
  if (size > 0) setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
  size = static_cast<int>(send_buffer_bytes);
  if (size > 0) setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
  if (address.is_v4()) {
    // DF set: media is never fragmented (it is sized for the path), and the kernel then takes IP
    // ids from a per-socket counter instead of hashing every datagram (__ip_select_ident).
    int pmtu = IP_PMTUDISC_DO;
    setsockopt(fd_, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof(pmtu));
  }
  if (::bind(fd_, address.sockaddr_ptr(), address.length()) != 0) return fail("bind");
  sockaddr_storage bound{};
  socklen_t length = sizeof(bound);
  if (getsockname(fd_, reinterpret_cast<sockaddr*>(&bound), &length) != 0) return fail("getsockname");
  local_ = SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&bound));

  poll_ = new uv_poll_t;
  if (int rc = uv_poll_init(loop_, poll_, fd_); rc != 0) {
    delete poll_;
    poll_ = nullptr;
    errno = -rc;
    return fail("uv_poll_init");
  }
  poll_->data = this;
  uv_poll_start(poll_, UV_READABLE, &UdpSocket::on_poll);
  return true;
}

void UdpSocket::on_poll(uv_poll_t* handle, int status, int events) {
  auto* self = static_cast<UdpSocket*>(handle->data);
  if (status < 0) {
    bump(self->counters_.rx_errors);
    return;
  }
  if (events & UV_READABLE) self->drain();
}

void UdpSocket::drain() {
  // Bounded so one busy socket cannot starve the loop's timers and queues.
  for (int round = 0; round < 16; ++round) {
    for (size_t i = 0; i < kBatch; ++i) {
      msghdr& h = recv_->headers[i].msg_hdr;
      h.msg_name = &recv_->addresses[i];
      h.msg_namelen = sizeof(sockaddr_storage);
      h.msg_iov = &recv_->iovecs[i];
      h.msg_iovlen = 1;
      h.msg_control = nullptr;
      h.msg_controllen = 0;
      h.msg_flags = 0;
    }
    int n = recvmmsg(fd_, recv_->headers.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) {
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) bump(counters_.rx_errors);
      break;
    }
    size_t kept = 0;
    uint64_t bytes = 0;
    for (int i = 0; i < n; ++i) {
      const mmsghdr& m = recv_->headers[i];
      if (m.msg_hdr.msg_flags & MSG_TRUNC) {
        bump(counters_.rx_truncated);
        continue;
      }
      bytes += m.msg_len;
      recv_->datagrams[kept++] = {
          recv_->buffers[i].data(), m.msg_len,
          SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&recv_->addresses[i]))};
    }
    bump(counters_.rx_packets, kept);
    bump(counters_.rx_bytes, bytes);
    if (kept > 0) on_batch_(std::span<Datagram>(recv_->datagrams.data(), kept));
    flush();
    if (fd_ < 0 || static_cast<size_t>(n) < kBatch) break;
  }
}

MutableByteSpan UdpSocket::acquire_send() {
  if (send_->queued == kSendRing) flush();
  if (send_->queued == kSendRing) {
    // Flush could not empty the ring (socket buffer full): reuse the last slot, counted as a drop.
    bump(counters_.tx_dropped_ring_full);
    --send_->queued;
  }
  return MutableByteSpan(send_->buffers[send_->queued].data(), kBufferSize);
}

void UdpSocket::commit_send(size_t size, const SocketAddress& to) {
  size_t i = send_->queued;
  send_->destinations[i] = to;
  send_->iovecs[i] = {send_->buffers[i].data(), size};
  ++send_->queued;
}

void UdpSocket::send(ByteSpan datagram, const SocketAddress& to) {
  if (datagram.size() > kBufferSize) {
    bump(counters_.tx_errors);
    return;
  }
  MutableByteSpan slot = acquire_send();
  std::memcpy(slot.data(), datagram.data(), datagram.size());
  commit_send(datagram.size(), to);
}

void UdpSocket::flush() {
  size_t total = send_->queued;
  if (total == 0 || fd_ < 0) return;
  for (size_t i = 0; i < total; ++i) {
    msghdr& h = send_->headers[i].msg_hdr;
    h.msg_name = const_cast<sockaddr*>(send_->destinations[i].sockaddr_ptr());
    h.msg_namelen = send_->destinations[i].length();
    h.msg_iov = &send_->iovecs[i];
    h.msg_iovlen = 1;
    h.msg_control = nullptr;
    h.msg_controllen = 0;
    h.msg_flags = 0;
  }
  size_t sent = 0;
  uint64_t bytes = 0;
  while (sent < total) {
    int n = sendmmsg(fd_, send_->headers.data() + sent, static_cast<unsigned>(total - sent), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        bump(counters_.tx_dropped_would_block, total - sent);
      } else {
        // One bad destination (e.g. unreachable) fails the call: skip that datagram, send the rest.
        bump(counters_.tx_errors);
        ++sent;
        continue;
      }
      break;
    }
    for (int i = 0; i < n; ++i) bytes += send_->iovecs[sent + i].iov_len;
    sent += static_cast<size_t>(n);
    bump(counters_.tx_packets, static_cast<uint64_t>(n));
  }
  bump(counters_.tx_bytes, bytes);
  send_->queued = 0;
}

void UdpSocket::close() {
  if (poll_) {
    uv_poll_stop(poll_);
    uv_close(reinterpret_cast<uv_handle_t*>(poll_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
    poll_ = nullptr;
  }
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

}  // namespace sfu::net
