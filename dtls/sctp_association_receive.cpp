// The receive side of SctpAssociation::Impl: draining the socket on the owner thread, message
// reassembly, and usrsctp's notifications.
#include <arpa/inet.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstring>

#include "dtls/sctp_association_impl.h"

namespace sfu::dtls {
namespace {

// Past a large message, its reassembly buffer is given back rather than kept per association.
constexpr size_t kKeptMessageCapacity = size_t{64} * 1024;
// Notifications are small structures; anything larger is not one we subscribed to.
constexpr size_t kMaxNotificationBytes = 4096;

// Holds the thread's receive buffer for one drain, also when a callback throws.
class ReceiveBufferLease {
 public:
  explicit ReceiveBufferLease(SctpMailbox::Impl& mailbox)
      : mailbox_(mailbox), buffer_(mailbox.acquire_receive_buffer()) {}
  ~ReceiveBufferLease() {
    if (!buffer_.empty()) mailbox_.release_receive_buffer();
  }
  ReceiveBufferLease(const ReceiveBufferLease&) = delete;
  ReceiveBufferLease& operator=(const ReceiveBufferLease&) = delete;
  MutableByteSpan buffer() const { return buffer_; }

 private:
  SctpMailbox::Impl& mailbox_;
  MutableByteSpan buffer_;
};

template <typename T>
T read_struct(ByteSpan bytes) {
  T value{};
  std::memcpy(&value, bytes.data(), std::min(bytes.size(), sizeof(T)));
  return value;
}

bool is_empty_ppid(uint32_t ppid) {
  return ppid == static_cast<uint32_t>(SctpPpid::kStringEmpty) ||
         ppid == static_cast<uint32_t>(SctpPpid::kBinaryEmpty);
}

}  // namespace

void SctpAssociation::Impl::service() {
  service_pending_ = false;
  if (socket_ == nullptr) return;
  ReceiveBufferLease lease(mailbox_);
  if (lease.buffer().empty()) {  // a drain on this thread is under way (we are inside its callback)
    service_pending_ = true;
    mailbox_.schedule_service(id_);
    return;
  }
  drain_socket(lease.buffer());
  check_send_buffer_low();
}

void SctpAssociation::Impl::drain_socket(MutableByteSpan buffer) {
  // Checked before every read: the owner may pause from inside a message callback.
  while (socket_ != nullptr && !receive_paused_) {
    sctp_rcvinfo info{};
    socklen_t info_length = sizeof(info);
    socklen_t from_length = 0;
    unsigned int info_type = SCTP_RECVV_NOINFO;
    int flags = 0;
    ssize_t received = usrsctp_recvv(socket_, buffer.data(), buffer.size(), nullptr, &from_length, &info,
                                     &info_length, &info_type, &flags);
    if (received < 0) return;  // EWOULDBLOCK: drained (or not connected yet)
    ByteSpan part(buffer.data(), static_cast<size_t>(received));
    bool end_of_message = (flags & MSG_EOR) != 0;
    if ((flags & MSG_NOTIFICATION) != 0) {
      on_notification_part(part, end_of_message);
    } else if (received == 0) {
      // End of stream: the peer shut the association down (SHUTDOWN_COMP may not be read anymore).
      mark_closed("SCTP shutdown by the peer");
      return;
    } else if (info_type == SCTP_RECVV_RCVINFO) {
      on_data_part(part, info, end_of_message);
    }
  }
}

void SctpAssociation::Impl::on_data_part(ByteSpan part, const sctp_rcvinfo& info, bool end_of_message) {
  if (discarding_message_) {  // the rest of a message already found too large
    discarding_message_ = !end_of_message;
    return;
  }
  if (end_of_message && message_.empty()) {  // whole in one part: the common case, no copy
    if (part.size() > largest_message_in()) {
      ++owner_.counters_.oversized_messages_in;
      return;
    }
    deliver(info.rcv_sid, ntohl(info.rcv_ppid), part);
    return;
  }
  if (message_.size() + part.size() > largest_message_in()) {
    ++owner_.counters_.oversized_messages_in;
    message_.clear();
    discarding_message_ = !end_of_message;
    return;
  }
  message_.insert(message_.end(), part.begin(), part.end());
  if (!end_of_message) return;
  deliver(info.rcv_sid, ntohl(info.rcv_ppid), message_);
  message_.clear();
  if (message_.capacity() > kKeptMessageCapacity) std::vector<uint8_t>().swap(message_);
}

void SctpAssociation::Impl::deliver(uint16_t stream, uint32_t ppid, ByteSpan message) {
  if (owner_.state_ == State::kClosed) return;
  if (is_empty_ppid(ppid)) message = {};  // the one byte that stands for an empty message
  ++owner_.counters_.messages_in;
  owner_.counters_.bytes_in += message.size();
  observer_.on_sctp_message(stream, static_cast<SctpPpid>(ppid), message);
}

void SctpAssociation::Impl::on_notification_part(ByteSpan part, bool end_of_message) {
  if (end_of_message && notification_.empty()) {
    on_notification(part);
    return;
  }
  if (notification_.size() + part.size() > kMaxNotificationBytes) {
    notification_.clear();
    return;
  }
  notification_.insert(notification_.end(), part.begin(), part.end());
  if (!end_of_message) return;
  on_notification(notification_);
  notification_.clear();
}

void SctpAssociation::Impl::on_notification(ByteSpan notification) {
  if (notification.size() < sizeof(sctp_notification::sn_header)) return;
  auto header = read_struct<decltype(sctp_notification::sn_header)>(notification);
  if (header.sn_length > notification.size()) return;
  notification = notification.first(header.sn_length);
  switch (header.sn_type) {
    case SCTP_ASSOC_CHANGE:
      on_association_change(notification);
      break;
    case SCTP_STREAM_RESET_EVENT:
      on_stream_reset_event(notification);
      break;
    case SCTP_SENDER_DRY_EVENT:
      check_send_buffer_low();
      break;
    default:  // SCTP_PEER_ADDR_CHANGE and others: nothing to do with one path over DTLS
      break;
  }
}

void SctpAssociation::Impl::on_association_change(ByteSpan notification) {
  if (notification.size() < offsetof(sctp_assoc_change, sac_info)) return;
  auto change = read_struct<sctp_assoc_change>(notification);
  switch (change.sac_state) {
    case SCTP_COMM_UP:
      if (owner_.state_ == State::kConnecting || owner_.state_ == State::kNew) {
        owner_.state_ = State::kConnected;
        observer_.on_sctp_connected();
      }
      break;
    case SCTP_COMM_LOST:
      mark_closed("SCTP association lost (ABORT or retransmissions exhausted)");
      break;
    case SCTP_SHUTDOWN_COMP:
      mark_closed("SCTP shutdown complete");
      break;
    case SCTP_CANT_STR_ASSOC:
      mark_closed("SCTP association could not be started");
      break;
    default:  // SCTP_RESTART: the association goes on
      break;
  }
}

void SctpAssociation::Impl::on_stream_reset_event(ByteSpan notification) {
  constexpr size_t kHeader = offsetof(sctp_stream_reset_event, strreset_stream_list);
  if (notification.size() < kHeader) return;
  auto event = read_struct<sctp_stream_reset_event>(notification);
  bool failed = (event.strreset_flags & (SCTP_STREAM_RESET_DENIED | SCTP_STREAM_RESET_FAILED)) != 0;
  if ((event.strreset_flags & SCTP_STREAM_RESET_INCOMING_SSN) != 0 && !failed) {
    // The peer reset its outgoing streams: the channels on them are closing (RFC 8831 §6.7).
    size_t count = (notification.size() - kHeader) / sizeof(uint16_t);
    for (size_t i = 0; i < count && owner_.state_ != State::kClosed; ++i) {
      uint16_t stream = 0;
      std::memcpy(&stream, notification.data() + kHeader + i * sizeof(uint16_t), sizeof(stream));
      observer_.on_sctp_stream_reset(stream);
    }
  }
  retry_stream_resets();  // a reset of ours may have been waiting for this one to finish
}

}  // namespace sfu::dtls
