#include "dtls/sctp_stack.h"

#include <usrsctp.h>

#include <atomic>
#include <mutex>
#include <stdexcept>

#include "base/uv_timer.h"
#include "dtls/sctp_mailbox_impl.h"

namespace sfu::dtls {
namespace {

// usrsctp's only way out: a packet for the association registered under `address`, on whatever
// thread ran into the stack. The mailbox decides whether it goes straight to the association
// (owner thread) or through the owner's queue.
int conn_output(void* address, void* buffer, size_t length, uint8_t /*tos*/, uint8_t /*set_df*/) {
  SctpMailbox::Impl::dispatch_packet(sctp_id_of(address),
                                     ByteSpan(static_cast<const uint8_t*>(buffer), length));
  return 0;
}

// The process-wide settings, the same for every association. Where a value differs from usrsctp's
// default, the reason is given; WebRTC stacks (Chromium's, libdatachannel, mediasoup) agree on most.
void configure_stack() {
  // No ECN: there is no IP header under SCTP here, DTLS is (RFC 8261).
  usrsctp_sysctl_set_sctp_ecn_enable(0);
  // Partial reliability (RFC 3758) for maxRetransmits / maxPacketLifeTime channels, and stream
  // reconfiguration (RFC 6525) to close channels (RFC 8831 §6.7).
  usrsctp_sysctl_set_sctp_pr_enable(1);
  usrsctp_sysctl_set_sctp_reconfig_enable(1);
  // Neither browsers nor RFC 8831 use NR-SACK, SCTP-AUTH or ASCONF (DTLS authenticates; one path).
  usrsctp_sysctl_set_sctp_nrsack_enable(0);
  usrsctp_sysctl_set_sctp_asconf_enable(0);
  usrsctp_sysctl_set_sctp_auth_enable(0);
  usrsctp_sysctl_set_sctp_pktdrop_enable(0);
  // One queued chunk per small message: the default (512) would refuse sends of 100-byte messages
  // long before the 1 MiB send buffer is full.
  usrsctp_sysctl_set_sctp_max_chunks_on_queue(32 * 1024);
  // Timers. The first RTO stays at RFC 4960's 1 s; later ones may go down to 400 ms (RTTs on
  // today's paths are far below that); a dead peer is given up after 5 retransmissions at most
  // 10 s apart rather than 60 s (ICE consent fails it sooner anyway).
  usrsctp_sysctl_set_sctp_rto_initial_default(1000);
  usrsctp_sysctl_set_sctp_rto_min_default(400);
  usrsctp_sysctl_set_sctp_rto_max_default(10'000);
  usrsctp_sysctl_set_sctp_init_rto_max_default(10'000);
  usrsctp_sysctl_set_sctp_init_rtx_max_default(5);
  usrsctp_sysctl_set_sctp_assoc_rtx_max_default(5);
  usrsctp_sysctl_set_sctp_path_rtx_max_default(5);
  usrsctp_sysctl_set_sctp_heartbeat_interval_default(10'000);
  // SACK after 20 ms rather than 200: a lone message is acknowledged (and its send buffer freed)
  // quickly. Initial congestion window of 10 MTUs (RFC 6928) rather than 3.
  usrsctp_sysctl_set_sctp_delayed_sack_time_default(20);
  usrsctp_sysctl_set_sctp_initial_cwnd(10);
  // Stray packets for unknown associations get no ABORT: the only path is the DTLS connection,
  // and an answer would only help someone probing (INIT floods).
  usrsctp_sysctl_set_sctp_blackhole(2);
}

std::atomic<bool> g_timer_driver_exists{false};

}  // namespace

void SctpStack::ensure_initialized() {
  static std::once_flag once;
  std::call_once(once, [] {
    // Port 0: no UDP encapsulation; packets only leave through conn_output. No debug printer.
    usrsctp_init_nothreads(0, &conn_output, nullptr);
    configure_stack();
  });
}

class SctpTimerDriver::Impl {
 public:
  explicit Impl(uv_loop_t* loop) : loop_(loop), last_ms_(uv_now(loop)), timer_(loop, [this] { tick(); }) {
    timer_.start(kTickMs, kTickMs);
  }

 private:
  void tick() {
    uint64_t now = uv_now(loop_);
    auto elapsed = static_cast<uint32_t>(now - last_ms_);
    last_ms_ = now;
    usrsctp_handle_timers(elapsed);
  }

  uv_loop_t* loop_;
  uint64_t last_ms_;
  UvTimer timer_;
};

SctpTimerDriver::SctpTimerDriver(uv_loop_t* loop) {
  if (g_timer_driver_exists.exchange(true)) throw std::logic_error("SctpTimerDriver: one exists already");
  SctpStack::ensure_initialized();
  impl_ = std::make_unique<Impl>(loop);
}

SctpTimerDriver::~SctpTimerDriver() {
  impl_.reset();
  g_timer_driver_exists.store(false);
}

}  // namespace sfu::dtls
