// One SCTP association over a DTLS connection (RFC 8261), on usrsctp: the transport under WebRTC
// data channels (RFC 8831). It owns no socket: the owner feeds the SCTP packets it decrypted from
// DTLS to handle_packet(), and sends what Observer::send_sctp_packet() gets as DTLS application
// data.
//
// Threads: usrsctp is one stack per process, run without its own threads
// (usrsctp_init_nothreads, see SctpStack). Every association belongs to the thread that created
// it (a worker, or a bench client thread), and every Observer callback runs on that thread. What
// usrsctp does from another thread (its timers, driven on one loop for the whole process: SACKs,
// retransmissions, heartbeats) reaches the owner through its SctpMailbox: a bounded copy, sent on
// the owner's loop. Calls made on the owner thread take no lock of ours.
//
// Messages are whole: send() takes one message of up to max_message_size bytes and the observer
// gets each received message once, reassembled (usrsctp may deliver a large message in parts).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/bytes.h"

namespace sfu::dtls {

class SctpMailbox;

// The SCTP payload protocol identifiers of WebRTC (RFC 8831 §8, RFC 8832 §8.1).
enum class SctpPpid : uint32_t {
  kDcep = 50,
  kString = 51,
  kBinary = 53,
  kStringEmpty = 56,  // an empty string message is sent as one zero byte with this PPID
  kBinaryEmpty = 57,
};

// Partial reliability of a channel's messages (RFC 3758 via RFC 8831 §6.6).
struct SctpReliability {
  enum class Kind : uint8_t { kReliable, kMaxRetransmits, kMaxLifetimeMs };
  bool ordered = true;
  Kind kind = Kind::kReliable;
  uint32_t value = 0;  // retransmissions or milliseconds; 0 for kReliable
  bool reliable() const { return kind == Kind::kReliable; }
};

struct SctpOptions {
  uint16_t local_port = 5000;   // a=sctp-port of our SDP
  uint16_t remote_port = 5000;  // a=sctp-port of the peer's SDP
  // The largest message we accept (our a=max-message-size) and send (the least of ours and the
  // peer's).
  size_t max_message_size = 262144;
  // Bound of the bytes queued toward the peer and not yet acknowledged (usrsctp's send buffer):
  // send() answers kBufferFull rather than queueing past it.
  size_t send_buffer_bytes = 1 << 20;
  // Bound of the bytes of one message under reassembly; also the receive window.
  size_t receive_buffer_bytes = 1 << 20;
  uint16_t streams = 1024;  // inbound and outbound streams offered (RFC 8831 §6.2: 65535 max)
};

struct SctpCounters {
  uint64_t packets_in = 0, packets_out = 0;
  uint64_t messages_in = 0, bytes_in = 0, messages_out = 0, bytes_out = 0;
  uint64_t oversized_messages_in = 0;  // received messages over max_message_size, discarded
  uint64_t mailbox_drops = 0;          // packets from another thread lost to a full mailbox
};

class SctpAssociation {
 public:
  enum class State : uint8_t { kNew, kConnecting, kConnected, kClosed };
  enum class SendResult : uint8_t { kSent, kBufferFull, kTooLarge, kNotConnected, kError };

  class Observer {
   public:
    virtual ~Observer() = default;
    // One SCTP packet for the peer: send it as one DTLS application-data record. Valid until return.
    virtual void send_sctp_packet(ByteSpan packet) = 0;
    virtual void on_sctp_connected() = 0;
    // One whole message as the peer sent it; valid until return.
    virtual void on_sctp_message(uint16_t stream, SctpPpid ppid, ByteSpan message) = 0;
    // The peer reset its outgoing `stream` (the remote end closed a channel, RFC 8831 §6.7).
    virtual void on_sctp_stream_reset(uint16_t stream) = 0;
    // The send buffer dropped below half of send_buffer_bytes after a kBufferFull.
    virtual void on_sctp_send_buffer_low() {}
    // Once; the association is dead (peer ABORT/SHUTDOWN, or a fault). No callback follows.
    virtual void on_sctp_closed(std::string_view reason) = 0;
  };

  // On the owner thread, whose mailbox is `mailbox` (SctpMailbox::current() on that thread).
  SctpAssociation(SctpMailbox& mailbox, Observer& observer, SctpOptions options);
  ~SctpAssociation();  // closes the usrsctp socket; no callback after it returns
  SctpAssociation(const SctpAssociation&) = delete;
  SctpAssociation& operator=(const SctpAssociation&) = delete;

  // Starts the association (both ends of a WebRTC connection connect: SCTP simultaneous open);
  // call once the DTLS connection is up.
  void connect();
  // One SCTP packet decrypted from DTLS.
  void handle_packet(ByteSpan packet);

  // Sends one message on `stream`. An empty message goes as one zero byte with the *Empty PPID.
  SendResult send(uint16_t stream, SctpPpid ppid, ByteSpan message, const SctpReliability& reliability);
  // Resets our outgoing `stream` (closing our end of a channel); the peer resets its end in turn.
  void reset_stream(uint16_t stream);
  // Closes the association gracefully (SHUTDOWN). on_sctp_closed follows.
  void close();
  // Backpressure on the peer: while paused the owner-thread drain reads nothing (messages and
  // notifications stay queued in usrsctp, in order), so usrsctp's receive buffer fills and its
  // advertised window closes and the peer's sender stalls. Pausing inside on_sctp_message stops
  // the drain after that message. Unpausing schedules a drain of what is queued on the loop.
  void pause_receiving(bool paused);
  bool receiving_paused() const;

  State state() const { return state_; }
  // Bytes queued toward the peer and not yet acknowledged.
  size_t buffered_bytes() const;
  // The largest message send() takes: the least of ours and the peer's max-message-size.
  size_t max_send_message_size() const;
  void set_remote_max_message_size(size_t bytes);  // from the peer's a=max-message-size (0: 64 KiB)
  const SctpCounters& counters() const { return counters_; }

  // For the mailbox and usrsctp's callbacks (internal).
  class Impl;

 private:
  std::unique_ptr<Impl> impl_;
  State state_ = State::kNew;
  SctpCounters counters_;
};

}  // namespace sfu::dtls
