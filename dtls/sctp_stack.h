// The process's usrsctp stack, run without usrsctp's own threads, and how its work reaches the
// thread that owns each association.
//
// - SctpStack::ensure_initialized(): usrsctp_init_nothreads once per process (AF_CONN only, no
//   UDP encapsulation), with the sysctls WebRTC needs (PR-SCTP, stream reconfiguration, no ECN).
// - SctpTimerDriver: a uv timer on one loop of the process that calls usrsctp_handle_timers(); the
//   server runs it on worker 0's loop, a test or bench client on its own. Exactly one may exist.
// - SctpMailbox: one per thread that owns associations, on that thread's loop. What usrsctp
//   produces for an association while running on another thread (packets from its timers,
//   readable-socket upcalls) is copied into the owner's mailbox (bounded, counted when full) and
//   handled on the owner's loop through a uv_async. Calls on the owner thread go straight through.
#pragma once

#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <memory>

namespace sfu::dtls {

class SctpStack {
 public:
  static void ensure_initialized();
};

class SctpTimerDriver {
 public:
  static constexpr uint64_t kTickMs = 10;
  explicit SctpTimerDriver(uv_loop_t* loop);
  ~SctpTimerDriver();  // stops the timer (before the loop closes)
  SctpTimerDriver(const SctpTimerDriver&) = delete;
  SctpTimerDriver& operator=(const SctpTimerDriver&) = delete;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

class SctpMailbox {
 public:
  // Packets (and wake-ups) waiting for the owner thread; beyond it they are dropped and counted
  // (SCTP retransmits what is lost).
  static constexpr size_t kMaxQueuedPackets = 4096;

  explicit SctpMailbox(uv_loop_t* loop);  // on the owning thread
  ~SctpMailbox();                         // on the owning thread, after its associations are gone
  SctpMailbox(const SctpMailbox&) = delete;
  SctpMailbox& operator=(const SctpMailbox&) = delete;

  uv_loop_t* loop() const;
  // This thread's mailbox, or nullptr when it has none.
  static SctpMailbox* current();

  class Impl;
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace sfu::dtls
