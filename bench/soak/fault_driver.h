// One fault of `sfu-soak fault`, applied to a running server while two bystanders (a publisher
// and a subscriber, sfu-bench's load run) share a room and measure loss and latency. The fault
// run (fault_run.h) starts it once the bystanders are connected, turns it about every
// millisecond on its own loop and stops it after the measurement window; a driver reports what it
// did and its own checks (those it can see from the client side).
#pragma once

#include <uv.h>

#include <cstdint>
#include <string>
#include <vector>

namespace sfu::soak {

// Where the fault is aimed.
struct FaultTarget {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string path = "/v1/rtc";
  std::string bind_ip = "127.0.0.1";
  std::string room;  // the bystanders' room
};

// A verdict line of a fault's report: what was observed against its bound.
struct FaultCheck {
  std::string what;
  std::string observed;
  std::string bound;
  bool ok = false;
};

struct FaultFigure {
  std::string what;
  std::string value;
};

class FaultDriver {
 public:
  virtual ~FaultDriver() = default;

  // Starts applying the fault (connects its clients). False with *error when it cannot start.
  virtual bool start(std::string* error) = 0;
  // The fault is being applied (e.g. the flooder's connection is up and it floods).
  virtual bool active() const = 0;
  // A failure that keeps the fault from ever becoming active, or empty.
  virtual std::string failure() const { return {}; }
  // Called about every millisecond from start() to stopped().
  virtual void tick(uint64_t now_ns) = 0;
  // Stops the fault and closes its connections; stopped() once they are closed.
  virtual void stop() = 0;
  virtual bool stopped() const = 0;

  virtual std::vector<FaultFigure> figures() const = 0;
  virtual std::vector<FaultCheck> checks() const { return {}; }
};

}  // namespace sfu::soak
