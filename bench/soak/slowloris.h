// Fault (d): slowloris on the signaling port. Raw TCP connections that send one byte per second:
//   kHeaders: the HTTP upgrade request of /v1/rtc, one byte at a time (it would take minutes);
//   kFrame:   the whole upgrade request at once, then, once upgraded, a masked 125-byte text frame
//             one byte at a time (so the connection is never idle, but never finishes a message).
// Neither flavour reads what the server sends (pings go unanswered). The server must close each
// within `bound_s` of its opening; a connection that it closes is counted with the time it took.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "bench/soak/fault_driver.h"

namespace sfu::soak {

class Slowloris : public FaultDriver {
 public:
  enum class Flavour { kHeaders, kFrame };

  Slowloris(const FaultTarget& target, uint32_t per_flavour, double bound_s);
  ~Slowloris() override;

  bool start(std::string* error) override;
  bool active() const override;  // every connection is open (and the frame ones upgraded)
  std::string failure() const override { return failure_; }
  void tick(uint64_t now_ns) override;
  void stop() override;
  bool stopped() const override { return stopped_; }
  std::vector<FaultFigure> figures() const override;
  std::vector<FaultCheck> checks() const override;

 private:
  struct Connection {
    Flavour flavour = Flavour::kHeaders;
    int fd = -1;
    std::string to_send;  // the bytes still to dribble
    std::string received;
    bool upgraded = false;
    uint64_t opened_ns = 0, next_byte_ns = 0, closed_ns = 0;
    uint64_t bytes_sent = 0;
    std::string how_closed;
  };
  // Reads what the server sent (the upgrade answer, then ignored); notes a close.
  void read_from_server(Connection& c, uint64_t now_ns);
  // Sends the next byte when one is due.
  void dribble(Connection& c, uint64_t now_ns);
  static void mark_closed(Connection& c, uint64_t now_ns, std::string how);
  std::string upgrade_request() const;

  FaultTarget target_;
  uint32_t per_flavour_;
  double bound_s_;
  std::vector<Connection> connections_;
  std::string failure_;
  bool stopped_ = false;
};

}  // namespace sfu::soak
