#include "net/udp_socket.h"

#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>

namespace sfu::net {
namespace {

// Room for the control messages a socket asks for: an IP_PKTINFO or IPV6_PKTINFO (wildcard
// sockets) and a receive timestamp (SO_TIMESTAMPNS).
constexpr size_t kControlBytes = 128;
static_assert(CMSG_SPACE(sizeof(in6_pktinfo)) + CMSG_SPACE(sizeof(timespec)) <= kControlBytes &&
              CMSG_SPACE(sizeof(in_pktinfo)) + CMSG_SPACE(sizeof(timespec)) <= kControlBytes);

int64_t nanoseconds(const timespec& ts) { return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec; }

int64_t clock_ns(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return nanoseconds(ts);
}
struct alignas(cmsghdr) ControlBuffer {
  std::array<uint8_t, kControlBytes> bytes;
};

bool is_wildcard(const SocketAddress& address) {
  if (address.is_v4()) return address.v4().sin_addr.s_addr == htonl(INADDR_ANY);
  return address.is_v6() && IN6_IS_ADDR_UNSPECIFIED(&address.v6().sin6_addr);
}

}  // namespace

struct UdpSocket::RecvSlots {
  std::array<std::array<uint8_t, kBufferSize>, kBatch> buffers;
  std::array<sockaddr_storage, kBatch> addresses;
  std::array<ControlBuffer, kBatch> controls;
  std::array<iovec, kBatch> iovecs;
  std::array<mmsghdr, kBatch> headers;
  std::array<Datagram, kBatch> datagrams;
};

struct UdpSocket::SendSlots {
  std::array<std::array<uint8_t, kBufferSize>, kSendRing> buffers;
  std::array<SocketAddress, kSendRing> destinations;
  std::array<SocketAddress, kSendRing> sources;  // a wildcard socket's; family 0 = none
  std::array<ControlBuffer, kSendRing> controls;
  std::array<iovec, kSendRing> iovecs;
  std::array<mmsghdr, kSendRing> headers;
  size_t queued = 0;
};

UdpSocket::UdpSocket(uv_loop_t* loop, BatchHandler on_batch, UdpSocketCounters* shared_counters)
    : loop_(loop),
      on_batch_(std::move(on_batch)),
      counters_(shared_counters ? shared_counters : &own_counters_),
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
  // IPv4 has a socket of its own: :: must not take it (as IPv4-mapped addresses) nor collide
  // with an IPv4 socket on the same port.
  int v6only = 1;
  if (address.is_v6() && setsockopt(fd_, IPPROTO_IPV6, IPV6_V6ONLY, &v6only, sizeof(v6only)) != 0)
    return fail("IPV6_V6ONLY");
  wildcard_ = is_wildcard(address);
  if (wildcard_ && !enable_local_addresses(address)) return fail("IP_PKTINFO");
  // Best effort: without it datagrams carry no arrival time and the caller's clock stands in.
  int on = 1;
  setsockopt(fd_, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
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

bool UdpSocket::enable_local_addresses(const SocketAddress& address) {
  int on = 1;
  if (address.is_v4()) return setsockopt(fd_, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) == 0;
  return setsockopt(fd_, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on)) == 0;
}

void UdpSocket::read_controls(size_t i, int64_t realtime_minus_monotonic_ns, int64_t now_monotonic_ns,
                              SocketAddress& local, int64_t& arrival_us) const {
  local = local_;  // the bound port (and, unless wildcard, the address)
  arrival_us = 0;
  auto& header = const_cast<msghdr&>(recv_->headers[i].msg_hdr);  // CMSG_NXTHDR takes a mutable one
  for (cmsghdr* c = CMSG_FIRSTHDR(&header); c != nullptr; c = CMSG_NXTHDR(&header, c)) {
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
      timespec ts{};
      std::memcpy(&ts, CMSG_DATA(c), sizeof(ts));
      // Never later than now (a realtime clock stepped between the stamp and the read).
      const int64_t arrival_ns = std::min(nanoseconds(ts) - realtime_minus_monotonic_ns, now_monotonic_ns);
      arrival_us = arrival_ns > 0 ? arrival_ns / 1000 : 0;
    } else if (wildcard_ && c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
      in_pktinfo info{};
      std::memcpy(&info, CMSG_DATA(c), sizeof(info));
      // ipi_spec_dst: the local address a reply should come from (ipi_addr may be a broadcast).
      reinterpret_cast<sockaddr_in*>(local.sockaddr_ptr())->sin_addr = info.ipi_spec_dst;
    } else if (wildcard_ && c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
      in6_pktinfo info{};
      std::memcpy(&info, CMSG_DATA(c), sizeof(info));
      reinterpret_cast<sockaddr_in6*>(local.sockaddr_ptr())->sin6_addr = info.ipi6_addr;
    }
  }
}

namespace {
// Makes `info` the one control message of `header` (whose msg_control has room for it).
template <typename Info>
void put_control_message(msghdr& header, int level, int type, const Info& info) {
  header.msg_controllen = CMSG_SPACE(sizeof(Info));
  cmsghdr* c = CMSG_FIRSTHDR(&header);
  c->cmsg_level = level;
  c->cmsg_type = type;
  c->cmsg_len = CMSG_LEN(sizeof(Info));
  std::memcpy(CMSG_DATA(c), &info, sizeof(info));
}
}  // namespace

void UdpSocket::attach_source(size_t i) {
  msghdr& header = send_->headers[i].msg_hdr;
  const SocketAddress& from = send_->sources[i];
  header.msg_control = send_->controls[i].bytes.data();
  if (from.is_v4()) {
    in_pktinfo info{};
    info.ipi_spec_dst = from.v4().sin_addr;  // the source; ifindex 0 leaves the route to the kernel
    put_control_message(header, IPPROTO_IP, IP_PKTINFO, info);
  } else {
    in6_pktinfo info{};
    info.ipi6_addr = from.v6().sin6_addr;
    put_control_message(header, IPPROTO_IPV6, IPV6_PKTINFO, info);
  }
}

void UdpSocket::on_poll(uv_poll_t* handle, int status, int events) {
  auto* self = static_cast<UdpSocket*>(handle->data);
  if (status < 0) {
    bump(self->counters_->rx_errors);
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
      h.msg_control = recv_->controls[i].bytes.data();
      h.msg_controllen = kControlBytes;
      h.msg_flags = 0;
    }
    int n = recvmmsg(fd_, recv_->headers.data(), kBatch, MSG_DONTWAIT, nullptr);
    if (n <= 0) {
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) bump(counters_->rx_errors);
      break;
    }
    size_t kept = 0;
    uint64_t bytes = 0;
    // The kernel stamps in realtime: one reading of both clocks per batch converts them all.
    const int64_t now_monotonic_ns = clock_ns(CLOCK_MONOTONIC);
    const int64_t realtime_minus_monotonic_ns = clock_ns(CLOCK_REALTIME) - now_monotonic_ns;
    for (int i = 0; i < n; ++i) {
      const mmsghdr& m = recv_->headers[i];
      if (m.msg_hdr.msg_flags & MSG_TRUNC) {
        bump(counters_->rx_truncated);
        continue;
      }
      bytes += m.msg_len;
      Datagram& datagram = recv_->datagrams[kept++];
      datagram.data = recv_->buffers[i].data();
      datagram.size = m.msg_len;
      datagram.from = SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&recv_->addresses[i]));
      read_controls(static_cast<size_t>(i), realtime_minus_monotonic_ns, now_monotonic_ns, datagram.local,
                    datagram.arrival_us);
    }
    bump(counters_->rx_packets, kept);
    bump(counters_->rx_bytes, bytes);
    if (kept > 0) on_batch_(std::span<Datagram>(recv_->datagrams.data(), kept));
    flush();
    if (fd_ < 0 || static_cast<size_t>(n) < kBatch) break;
  }
}

MutableByteSpan UdpSocket::acquire_send() {
  if (send_->queued == kSendRing) flush();
  if (send_->queued == kSendRing) {
    // Flush could not empty the ring (socket buffer full): reuse the last slot, counted as a drop.
    bump(counters_->tx_dropped_ring_full);
    --send_->queued;
  }
  return MutableByteSpan(send_->buffers[send_->queued].data(), kBufferSize);
}

void UdpSocket::commit_send(size_t size, const SocketAddress& to, const SocketAddress* from) {
  size_t i = send_->queued;
  send_->destinations[i] = to;
  if (wildcard_) send_->sources[i] = from ? *from : SocketAddress();
  send_->iovecs[i] = {send_->buffers[i].data(), size};
  ++send_->queued;
}

void UdpSocket::send(ByteSpan datagram, const SocketAddress& to, const SocketAddress* from) {
  if (datagram.size() > kBufferSize) {
    bump(counters_->tx_errors);
    return;
  }
  MutableByteSpan slot = acquire_send();
  std::memcpy(slot.data(), datagram.data(), datagram.size());
  commit_send(datagram.size(), to, from);
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
    if (wildcard_ && send_->sources[i].family() == local_.family()) attach_source(i);
  }
  // The datagrams' send time (flush_clock.h), read once, just before the first sendmmsg: the kernel
  // sends a UDP datagram within the call. Not after it: the return from a system call is where a
  // loaded machine preempts the thread, and a read there came up to ~100 ms late.
  const int64_t sent_us = flush_clock_ ? static_cast<int64_t>(uv_hrtime() / 1000) : 0;
  size_t sent = 0;
  uint64_t bytes = 0;
  while (sent < total) {
    int n = sendmmsg(fd_, send_->headers.data() + sent, static_cast<unsigned>(total - sent), MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        bump(counters_->tx_dropped_would_block, total - sent);
      } else {
        // One bad destination (e.g. unreachable) fails the call: skip that datagram, send the rest.
        bump(counters_->tx_errors);
        ++sent;
        continue;
      }
      break;
    }
    for (int i = 0; i < n; ++i) bytes += send_->iovecs[sent + i].iov_len;
    sent += static_cast<size_t>(n);
    bump(counters_->tx_packets, static_cast<uint64_t>(n));
  }
  bump(counters_->tx_bytes, bytes);
  send_->queued = 0;
  if (flush_clock_) flush_clock_->on_flushed(sent_us);
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
