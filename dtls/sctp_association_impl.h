// Internal to dtls/: the usrsctp side of an SctpAssociation. One usrsctp one-to-one socket on
// AF_CONN, non-blocking, read through the socket upcall and usrsctp_recvv on the owner thread.
// sctp_association.cpp sets the socket up and sends; sctp_association_receive.cpp drains it.
#pragma once

#include <usrsctp.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "base/bytes.h"
#include "dtls/sctp_association.h"
#include "dtls/sctp_mailbox_impl.h"

namespace sfu::dtls {

// The largest SCTP packet we produce: one DTLS record of it (13 bytes of header, 8 of explicit
// nonce and 16 of tag with AES-GCM) still fits a DtlsTransport datagram of 1200 bytes (RFC 8261 §5
// recommends at most 1200 when path MTU discovery is off). On AF_CONN, usrsctp's path MTU is the
// room for chunks: the 12-byte SCTP common header comes on top.
constexpr size_t kSctpMtu = 1200 - 13 - 8 - 16 - 12;

class SctpAssociation::Impl {
 public:
  Impl(SctpAssociation& owner, SctpMailbox::Impl& mailbox, Observer& observer, const SctpOptions& options);
  ~Impl();
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  void connect();
  void handle_packet(ByteSpan packet);
  SendResult send(uint16_t stream, SctpPpid ppid, ByteSpan message, const SctpReliability& reliability);
  void reset_stream(uint16_t stream);
  void close();
  size_t buffered_bytes() const;
  size_t max_send_message_size() const;
  void set_remote_max_message_size(size_t bytes);
  void pause_receiving(bool paused);
  bool receiving_paused() const { return receive_paused_; }

  // From the mailbox, on the owner thread.
  void on_output(ByteSpan packet);  // usrsctp produced a packet for the peer
  void on_upcall();                 // usrsctp says the socket is readable or writable
  void service();                   // drains the socket: messages, notifications, buffer level
  void add_mailbox_drops(uint64_t count) { owner_.counters_.mailbox_drops += count; }

 private:
  bool open_socket();
  bool configure_socket();
  bool request_stream_reset(uint16_t stream);
  void retry_stream_resets();
  void check_send_buffer_low();
  void mark_closed(std::string_view reason);

  // sctp_association_receive.cpp
  size_t largest_message_in() const {
    return std::min(options_.max_message_size, options_.receive_buffer_bytes);
  }
  void drain_socket(MutableByteSpan buffer);
  void on_data_part(ByteSpan part, const sctp_rcvinfo& info, bool end_of_message);
  void deliver(uint16_t stream, uint32_t ppid, ByteSpan message);
  void on_notification_part(ByteSpan part, bool end_of_message);
  void on_notification(ByteSpan notification);
  void on_association_change(ByteSpan notification);
  void on_stream_reset_event(ByteSpan notification);

  SctpAssociation& owner_;  // its state_ and counters_
  SctpMailbox::Impl& mailbox_;
  Observer& observer_;
  SctpOptions options_;
  size_t remote_max_message_size_;
  SctpAssociationId id_ = 0;
  struct socket* socket_ = nullptr;
  const char* setup_error_ = nullptr;

  bool in_input_ = false;                 // inside usrsctp_conninput: service after it returns
  bool service_pending_ = false;          // an upcall came and the socket has not been drained since
  bool want_buffer_low_ = false;          // send() answered kBufferFull
  bool receive_paused_ = false;           // pause_receiving(true): the drain reads nothing
  bool discarding_message_ = false;       // dropping the rest of an oversized message
  std::vector<uint8_t> message_;          // a message usrsctp hands over in parts
  std::vector<uint8_t> notification_;     // a notification usrsctp hands over in parts
  std::vector<uint16_t> pending_resets_;  // outgoing stream resets usrsctp could not start yet
};

}  // namespace sfu::dtls
