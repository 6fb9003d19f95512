#include "bench/soak/slowloris.h"

#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "base/socket_address.h"
#include "bench/packet_stamp.h"
#include "bench/soak/text_table.h"

namespace sfu::soak {
namespace {

constexpr uint64_t kByteIntervalNs = 1'000'000'000ull;
constexpr size_t kFramePayload = 125;  // the largest length that fits the 7-bit field

const char* name_of(Slowloris::Flavour flavour) {
  return flavour == Slowloris::Flavour::kHeaders ? "upgrade request" : "WebSocket frame";
}

// A masked text frame header for kFramePayload bytes, then the payload (masked with a zero key,
// which leaves it as it is).
std::string dribbled_frame() {
  std::string frame;
  frame.push_back(static_cast<char>(0x81));                  // FIN, text
  frame.push_back(static_cast<char>(0x80 | kFramePayload));  // MASK, length
  frame.append(4, '\0');                                     // masking key
  frame.push_back('{');
  frame.append(kFramePayload - 2, ' ');
  frame.push_back('}');
  return frame;
}

}  // namespace

Slowloris::Slowloris(const FaultTarget& target, uint32_t per_flavour, double bound_s)
    : target_(target), per_flavour_(per_flavour), bound_s_(bound_s) {}

Slowloris::~Slowloris() {
  for (Connection& c : connections_)
    if (c.fd >= 0) ::close(c.fd);
}

std::string Slowloris::upgrade_request() const {
  return "GET " + target_.path + " HTTP/1.1\r\nHost: " + target_.host + ":" + std::to_string(target_.port) +
         "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
         "Sec-WebSocket-Version: 13\r\n\r\n";
}

bool Slowloris::start(std::string* error) {
  auto address = SocketAddress::from_ip(target_.host, target_.port);
  if (!address) {
    *error = "bad host " + target_.host;
    return false;
  }
  for (Flavour flavour : {Flavour::kHeaders, Flavour::kFrame}) {
    for (uint32_t i = 0; i < per_flavour_; ++i) {
      Connection c;
      c.flavour = flavour;
      c.fd = ::socket(address->family(), SOCK_STREAM | SOCK_CLOEXEC, 0);
      if (c.fd < 0 || ::connect(c.fd, address->sockaddr_ptr(), address->length()) != 0) {
        *error = std::string("connect: ") + std::strerror(errno);
        if (c.fd >= 0) ::close(c.fd);
        return false;
      }
      fcntl(c.fd, F_SETFL, O_NONBLOCK);
      c.opened_ns = bench::monotonic_ns();
      c.next_byte_ns = c.opened_ns;
      if (flavour == Flavour::kHeaders) {
        c.to_send = upgrade_request();
      } else {
        std::string request = upgrade_request();
        if (::send(c.fd, request.data(), request.size(), MSG_NOSIGNAL) !=
            static_cast<ssize_t>(request.size())) {
          *error = "could not send the upgrade request";
          ::close(c.fd);
          return false;
        }
        c.to_send = dribbled_frame();
      }
      connections_.push_back(std::move(c));
    }
  }
  return true;
}

bool Slowloris::active() const {
  return std::all_of(connections_.begin(), connections_.end(), [](const Connection& c) {
    return c.closed_ns != 0 || c.flavour == Flavour::kHeaders || c.upgraded;
  });
}

void Slowloris::mark_closed(Connection& c, uint64_t now_ns, std::string how) {
  c.how_closed = std::move(how);
  c.closed_ns = now_ns;
  ::close(c.fd);
  c.fd = -1;
}

void Slowloris::read_from_server(Connection& c, uint64_t now_ns) {
  char buffer[1024];
  while (true) {
    ssize_t n = ::recv(c.fd, buffer, sizeof(buffer), MSG_DONTWAIT);
    if (n == 0) return mark_closed(c, now_ns, "closed");
    if (n < 0) {
      if (errno != EAGAIN && errno != EWOULDBLOCK) mark_closed(c, now_ns, std::strerror(errno));
      return;
    }
    if (c.upgraded) continue;  // pings and whatever else: not answered
    c.received.append(buffer, static_cast<size_t>(n));
    if (c.received.find("\r\n\r\n") == std::string::npos) continue;
    c.upgraded = c.received.rfind("HTTP/1.1 101", 0) == 0;
    if (!c.upgraded && failure_.empty()) failure_ = "the upgrade was refused: " + c.received.substr(0, 40);
  }
}

void Slowloris::dribble(Connection& c, uint64_t now_ns) {
  bool may_send = c.flavour == Flavour::kHeaders || c.upgraded;
  if (!may_send || c.to_send.empty() || now_ns < c.next_byte_ns) return;
  c.next_byte_ns = now_ns + kByteIntervalNs;
  if (::send(c.fd, c.to_send.data(), 1, MSG_NOSIGNAL | MSG_DONTWAIT) == 1) {
    c.to_send.erase(0, 1);
    ++c.bytes_sent;
  } else if (errno == EPIPE || errno == ECONNRESET) {
    mark_closed(c, now_ns, std::strerror(errno));
  }
}

void Slowloris::tick(uint64_t now_ns) {
  for (Connection& c : connections_) {
    if (c.fd >= 0) read_from_server(c, now_ns);
    if (c.fd >= 0) dribble(c, now_ns);
  }
}

void Slowloris::stop() {
  for (Connection& c : connections_) {
    if (c.fd < 0) continue;
    ::close(c.fd);
    c.fd = -1;
  }
  stopped_ = true;
}

std::vector<FaultFigure> Slowloris::figures() const {
  std::vector<FaultFigure> out;
  for (Flavour flavour : {Flavour::kHeaders, Flavour::kFrame}) {
    uint64_t count = 0, closed = 0, bytes = 0;
    double slowest = 0;
    for (const Connection& c : connections_) {
      if (c.flavour != flavour) continue;
      ++count;
      bytes += c.bytes_sent;
      if (c.closed_ns == 0) continue;
      ++closed;
      slowest = std::max(slowest, static_cast<double>(c.closed_ns - c.opened_ns) / 1e9);
    }
    std::string value = std::to_string(closed) + "/" + std::to_string(count) + " closed by the server, " +
                        std::to_string(bytes) + " bytes dribbled";
    if (closed > 0) value += ", slowest close after " + fixed(slowest, 1) + " s";
    out.push_back({std::string("slowloris: ") + name_of(flavour), value});
  }
  return out;
}

std::vector<FaultCheck> Slowloris::checks() const {
  std::vector<FaultCheck> out;
  for (Flavour flavour : {Flavour::kHeaders, Flavour::kFrame}) {
    uint64_t count = 0, in_time = 0;
    for (const Connection& c : connections_) {
      if (c.flavour != flavour) continue;
      ++count;
      if (c.closed_ns != 0 && static_cast<double>(c.closed_ns - c.opened_ns) / 1e9 <= bound_s_) ++in_time;
    }
    out.push_back({std::string("slowloris ") + name_of(flavour) + " connections closed by the server",
                   std::to_string(in_time) + "/" + std::to_string(count),
                   "all, within " + fixed(bound_s_, 0) + " s of opening", in_time == count});
  }
  return out;
}

}  // namespace sfu::soak
