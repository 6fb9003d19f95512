#include "bench/udp_reflector.h"

#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <memory>

#include "base/bytes.h"

namespace sfu::bench {
namespace {

constexpr size_t kRecvBatch = 64;
constexpr size_t kBufferSize = 2048;
constexpr size_t kSendBatch = 1024;

struct Slots {
  std::array<std::array<uint8_t, kBufferSize>, kRecvBatch> buffers;
  std::array<sockaddr_storage, kRecvBatch> sources;
  std::array<iovec, kRecvBatch> recv_iovecs;
  std::array<mmsghdr, kRecvBatch> recv_headers;
  std::array<iovec, kSendBatch> send_iovecs;
  std::array<mmsghdr, kSendBatch> send_headers;
};

}  // namespace

UdpReflector::~UdpReflector() { stop(); }

bool UdpReflector::start(const SocketAddress& bind_address, const std::vector<int>& cpus,
                         std::string* error) {
  fd_ = ::socket(bind_address.family(), SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd_ < 0) {
    *error = std::string("socket: ") + std::strerror(errno);
    return false;
  }
  int size = 1 << 22;
  setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size));
  setsockopt(fd_, SOL_SOCKET, SO_SNDBUF, &size, sizeof(size));
  if (::bind(fd_, bind_address.sockaddr_ptr(), bind_address.length()) != 0) {
    *error = std::string("bind: ") + std::strerror(errno);
    ::close(fd_);
    fd_ = -1;
    return false;
  }
  sockaddr_storage local{};
  socklen_t length = sizeof(local);
  getsockname(fd_, reinterpret_cast<sockaddr*>(&local), &length);
  address_ = SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&local));
  cpus_ = cpus;
  stopping_ = false;
  thread_ = std::thread([this] { run(); });
  while (tid_.load() == 0) std::this_thread::yield();
  return true;
}

void UdpReflector::stop() {
  if (thread_.joinable()) {
    stopping_ = true;
    thread_.join();
  }
  if (fd_ >= 0) {
    ::close(fd_);
    fd_ = -1;
  }
}

// NOLINTNEXTLINE(readability-function-cognitive-complexity): the reflector loop (receive, route, fan out, batch send) kept in one place for speed reading against the worker; to split.
void UdpReflector::run() {
  tid_ = static_cast<pid_t>(gettid());
  pthread_setname_np(pthread_self(), "udp-reflector");
  if (!cpus_.empty()) {
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int cpu : cpus_) CPU_SET(cpu, &set);
    pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
  }
  auto slots = std::make_unique<Slots>();
  size_t queued = 0;
  auto flush = [&] {
    size_t sent = 0;
    while (sent < queued) {
      int n = sendmmsg(fd_, slots->send_headers.data() + sent, static_cast<unsigned>(queued - sent),
                       MSG_DONTWAIT);
      if (n < 0) {
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
          counters_.tx_dropped.fetch_add(queued - sent, std::memory_order_relaxed);
          break;
        }
        counters_.tx_dropped.fetch_add(1, std::memory_order_relaxed);  // one bad destination: skip it
        ++sent;
        continue;
      }
      counters_.forwarded.fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
      sent += static_cast<size_t>(n);
    }
    queued = 0;
  };
  auto queue = [&](const SocketAddress& to, iovec* iov) {
    if (queued == kSendBatch) flush();
    msghdr& h = slots->send_headers[queued].msg_hdr;
    std::memset(&h, 0, sizeof(h));
    h.msg_name = const_cast<sockaddr*>(to.sockaddr_ptr());
    h.msg_namelen = to.length();
    h.msg_iov = iov;
    h.msg_iovlen = 1;
    ++queued;
  };

  while (!stopping_.load(std::memory_order_relaxed)) {
    pollfd pfd{fd_, POLLIN, 0};
    if (poll(&pfd, 1, 50) <= 0) continue;
    for (int round = 0; round < 64; ++round) {
      for (size_t i = 0; i < kRecvBatch; ++i) {
        slots->recv_iovecs[i] = {slots->buffers[i].data(), kBufferSize};
        msghdr& h = slots->recv_headers[i].msg_hdr;
        std::memset(&h, 0, sizeof(h));
        h.msg_name = &slots->sources[i];
        h.msg_namelen = sizeof(sockaddr_storage);
        h.msg_iov = &slots->recv_iovecs[i];
        h.msg_iovlen = 1;
      }
      int n = recvmmsg(fd_, slots->recv_headers.data(), kRecvBatch, MSG_DONTWAIT, nullptr);
      if (n <= 0) break;
      counters_.rx_packets.fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
      for (int i = 0; i < n; ++i) {
        size_t size = slots->recv_headers[i].msg_len;
        slots->recv_iovecs[i].iov_len = size;
        const uint8_t* data = slots->buffers[i].data();
        SocketAddress from = SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&slots->sources[i]));
        if (size == 8 && (load_be32(data) == kJoinMagic || load_be32(data) == kLeaveMagic)) {
          counters_.control.fetch_add(1, std::memory_order_relaxed);
          flush();  // queued sends point into the member tables about to change
          uint32_t room = load_be32(data + 4);
          auto& members = members_[room];
          members.erase(std::remove(members.begin(), members.end(), from), members.end());
          room_of_.erase(from);
          if (load_be32(data) == kJoinMagic) {
            members.push_back(from);
            room_of_[from] = room;
            uint8_t ack[4];
            store_be32(ack, kJoinAckMagic);
            sendto(fd_, ack, sizeof(ack), MSG_DONTWAIT, from.sockaddr_ptr(), from.length());
          }
          continue;
        }
        auto it = room_of_.find(from);
        if (it == room_of_.end()) {
          counters_.unknown_source.fetch_add(1, std::memory_order_relaxed);
          continue;
        }
        uint32_t drop_every = drop_every_.load(std::memory_order_relaxed);
        if (drop_every != 0 && ++media_packets_ % drop_every == 0) {
          counters_.injected_drops.fetch_add(1, std::memory_order_relaxed);
          continue;
        }
        for (const SocketAddress& member : members_[it->second])
          if (!(member == from)) queue(member, &slots->recv_iovecs[i]);
      }
      // The queued iovecs point into this batch's buffers: send before they are reused.
      flush();
      if (static_cast<size_t>(n) < kRecvBatch) break;
    }
  }
}

}  // namespace sfu::bench
