// The raw baseline: a plain UDP reflector doing the SFU's fan-out with nothing else, to show what
// the machine can do at all. One thread, one socket, recvmmsg/sendmmsg batches of 64, and every
// packet is sent on to each other member of the sender's room straight from the receive buffer (no
// copy, no crypto, no RTP parsing). Members join with a control datagram:
//   kJoinMagic | room (4 bytes, big endian)  ->  answered with kJoinAckMagic
//   kLeaveMagic | room                       ->  the member is forgotten
// Nothing allocates per packet; membership tables change only on join/leave.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/socket_address.h"

namespace sfu::bench {

class UdpReflector {
 public:
  static constexpr uint32_t kJoinMagic = 0x53464A4E;     // "SFJN"
  static constexpr uint32_t kJoinAckMagic = 0x53464A41;  // "SFJA"
  static constexpr uint32_t kLeaveMagic = 0x53464C56;    // "SFLV"

  struct Counters {
    std::atomic<uint64_t> rx_packets{0}, forwarded{0}, tx_dropped{0}, unknown_source{0}, control{0};
    std::atomic<uint64_t> injected_drops{0};
  };

  UdpReflector() = default;
  ~UdpReflector();
  UdpReflector(const UdpReflector&) = delete;
  UdpReflector& operator=(const UdpReflector&) = delete;

  // Binds (port 0 picks one) and starts the thread, pinned to `cpus` when not empty.
  bool start(const SocketAddress& bind_address, const std::vector<int>& cpus, std::string* error);
  void stop();

  const SocketAddress& address() const { return address_; }
  pid_t thread_id() const { return tid_.load(); }
  const Counters& counters() const { return counters_; }
  // Test hook for the generator's own tests: drop every n-th media packet before the fan-out
  // (0 = none), so a known loss must show in the results.
  void set_drop_every(uint32_t n) { drop_every_ = n; }

 private:
  void run();

  int fd_ = -1;
  SocketAddress address_;
  std::vector<int> cpus_;
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<pid_t> tid_{0};
  std::atomic<uint32_t> drop_every_{0};
  uint64_t media_packets_ = 0;
  Counters counters_;
  // Reflector thread only.
  std::unordered_map<SocketAddress, uint32_t, SocketAddressHash> room_of_;
  std::unordered_map<uint32_t, std::vector<SocketAddress>> members_;
};

}  // namespace sfu::bench
