// A remote peer for tests that talk to a real worker one datagram at a time: a blocking UDP socket on
// 127.0.0.1 with an ephemeral port of its own, so that each peer is one more 5-tuple. It sends
// authenticated ICE checks (built by the project's IceClient, keyed with a server transport's
// credentials) and raw bytes (DTLS, RTP) from that port. Test thread only.
#pragma once

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "base/socket_address.h"
#include "ice/ice_client.h"

namespace sfu::media_test {

class UdpTestPeer {
 public:
  // The client side's ICE credentials: the same for every peer, as for one browser whose
  // connection moves between local ports.
  static constexpr const char* kClientUfrag = "peerufrg";
  static constexpr const char* kClientPwd = "peer-password-1234567890";

  UdpTestPeer() {
    fd_ = ::socket(AF_INET, SOCK_DGRAM, 0);
    EXPECT_GE(fd_, 0);
    SocketAddress any = *SocketAddress::from_ip("127.0.0.1", 0);
    EXPECT_EQ(::bind(fd_, any.sockaddr_ptr(), any.length()), 0);
    timeval timeout{2, 0};  // generous for sanitizer builds; only a missing answer waits this long
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
    socklen_t length = address_.length();
    ::getsockname(fd_, address_.sockaddr_ptr(), &length);
  }
  ~UdpTestPeer() { ::close(fd_); }
  UdpTestPeer(const UdpTestPeer&) = delete;
  UdpTestPeer& operator=(const UdpTestPeer&) = delete;

  const SocketAddress& address() const { return address_; }

  void send(ByteSpan bytes, const SocketAddress& to) const {
    EXPECT_EQ(::sendto(fd_, bytes.data(), bytes.size(), 0, to.sockaddr_ptr(), to.length()),
              static_cast<ssize_t>(bytes.size()));
  }

  // One datagram, or empty after the receive timeout.
  std::vector<uint8_t> receive() const {
    std::vector<uint8_t> buffer(2048);
    ssize_t n = ::recv(fd_, buffer.data(), buffer.size(), 0);
    buffer.resize(n > 0 ? static_cast<size_t>(n) : 0);
    return buffer;
  }

  // Sends one ICE check (USERNAME "server_ufrag:client_ufrag", MESSAGE-INTEGRITY keyed with
  // `server_pwd`) and waits for the answer: 200 for a success response whose integrity verifies
  // with `server_pwd`, the error code of an error response, 0 when nothing usable came back.
  int check(const std::string& server_ufrag, const std::string& server_pwd, const SocketAddress& server,
            bool use_candidate = false, const std::string& client_ufrag = kClientUfrag) const {
    ice::IceClient client(client_ufrag, kClientPwd, server_ufrag, server_pwd, 1);
    std::array<uint8_t, ice::IceClient::kMaxMessageSize> request{};
    size_t size = client.build_check(0, use_candidate, MutableByteSpan(request));
    send(ByteSpan(request.data(), size), server);
    std::vector<uint8_t> answer = receive();
    std::array<uint8_t, ice::IceClient::kMaxMessageSize> unused{};
    size_t unused_size = 0;
    auto outcome = client.handle_stun(ByteSpan(answer), server, 0, MutableByteSpan(unused), unused_size);
    if (outcome == ice::IceClient::Outcome::Connected) return 200;
    if (outcome == ice::IceClient::Outcome::ErrorResponse) return client.last_error_code().value_or(0);
    return 0;
  }

 private:
  int fd_ = -1;
  SocketAddress address_;
};

}  // namespace sfu::media_test
