#include "dtls/sctp_association.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "dtls/sctp_association_impl.h"
#include "dtls/sctp_stack.h"

namespace sfu::dtls {
namespace {

// usrsctp answers this read-only option (from the FreeBSD stack) with the bytes queued toward the
// peer and not yet acknowledged; its public header does not declare it.
constexpr int kSctpGetSndbufUse = 0x00001101;
struct SctpSockstat {
  sctp_assoc_t ss_assoc_id;
  uint32_t ss_total_sndbuf;
  uint32_t ss_total_recv_buf;
};

constexpr size_t kDefaultRemoteMaxMessageSize = 65536;  // RFC 8841 §6.1: no a=max-message-size

void on_socket_upcall(struct socket* /*socket*/, void* arg, int /*flags*/) {
  SctpMailbox::Impl::dispatch_upcall(sctp_id_of(arg));
}

template <typename T>
bool set_option(struct socket* socket, int level, int name, const T& value) {
  return usrsctp_setsockopt(socket, level, name, &value, sizeof(value)) == 0;
}

bool subscribe(struct socket* socket, uint16_t event_type) {
  sctp_event event{};
  event.se_assoc_id = SCTP_FUTURE_ASSOC;
  event.se_on = 1;
  event.se_type = event_type;
  return set_option(socket, IPPROTO_SCTP, SCTP_EVENT, event);
}

sockaddr_conn conn_address(SctpAssociationId id, uint16_t port) {
  sockaddr_conn address{};
  address.sconn_family = AF_CONN;
  address.sconn_port = htons(port);
  address.sconn_addr = sctp_address_of(id);
  return address;
}

bool is_retryable(int error) {
  return error == EAGAIN || error == EALREADY || error == EBUSY || error == EINPROGRESS;
}

SctpPpid empty_ppid(SctpPpid ppid) {
  if (ppid == SctpPpid::kString) return SctpPpid::kStringEmpty;
  if (ppid == SctpPpid::kBinary) return SctpPpid::kBinaryEmpty;
  return ppid;
}

}  // namespace

SctpAssociation::Impl::Impl(SctpAssociation& owner, SctpMailbox::Impl& mailbox, Observer& observer,
                            const SctpOptions& options)
    : owner_(owner),
      mailbox_(mailbox),
      observer_(observer),
      options_(options),
      remote_max_message_size_(options.max_message_size) {
  SctpStack::ensure_initialized();
  id_ = mailbox_.add(*this);
  usrsctp_register_address(sctp_address_of(id_));
  if (!open_socket() && socket_ != nullptr) {
    usrsctp_close(socket_);
    socket_ = nullptr;
  }
}

SctpAssociation::Impl::~Impl() {
  // Out of the mailbox first: whatever usrsctp does from here on (the ABORT of a close with zero
  // linger, a timer on another thread) finds no association and is dropped.
  mailbox_.remove(id_);
  if (socket_ != nullptr) usrsctp_close(socket_);
  usrsctp_deregister_address(sctp_address_of(id_));
}

bool SctpAssociation::Impl::open_socket() {
  socket_ = usrsctp_socket(AF_CONN, SOCK_STREAM, IPPROTO_SCTP, nullptr, nullptr, 0, nullptr);
  if (socket_ == nullptr) {
    setup_error_ = "could not create the SCTP socket";
    return false;
  }
  if (!configure_socket()) return false;
  sockaddr_conn local = conn_address(id_, options_.local_port);
  if (usrsctp_bind(socket_, reinterpret_cast<sockaddr*>(&local), sizeof(local)) != 0) {
    setup_error_ = "could not bind the SCTP socket";
    return false;
  }
  return true;
}

bool SctpAssociation::Impl::configure_socket() {
  setup_error_ = "could not configure the SCTP socket";
  if (usrsctp_set_upcall(socket_, &on_socket_upcall, sctp_address_of(id_)) != 0) return false;
  if (usrsctp_set_non_blocking(socket_, 1) != 0) return false;
  // Closing aborts at once: nothing may go out after the owner let go of the association.
  linger no_linger{1, 0};
  sctp_assoc_value stream_reset{SCTP_FUTURE_ASSOC, SCTP_ENABLE_RESET_STREAM_REQ};
  sctp_paddrparams path{};
  path.spp_assoc_id = SCTP_FUTURE_ASSOC;
  path.spp_flags = SPP_HB_ENABLE | SPP_PMTUD_DISABLE;  // usrsctp has no PLPMTUD; fixed safe MTU
  path.spp_pathmtu = kSctpMtu;
  sctp_initmsg init{};
  init.sinit_num_ostreams = options_.streams;
  init.sinit_max_instreams = options_.streams;
  int on = 1;
  int no_interleave = 0;  // a message in parts is never interleaved with another (RFC 6458 §8.1.20)
  auto send_buffer = static_cast<int>(std::min<size_t>(options_.send_buffer_bytes, INT32_MAX));
  auto receive_buffer = static_cast<int>(std::min<size_t>(options_.receive_buffer_bytes, INT32_MAX));
  bool ok = set_option(socket_, SOL_SOCKET, SO_LINGER, no_linger) &&
            set_option(socket_, IPPROTO_SCTP, SCTP_ENABLE_STREAM_RESET, stream_reset) &&
            set_option(socket_, IPPROTO_SCTP, SCTP_RECVRCVINFO, on) &&
            set_option(socket_, IPPROTO_SCTP, SCTP_NODELAY, on) &&  // RFC 8831 §6.6: no Nagle
            set_option(socket_, IPPROTO_SCTP, SCTP_PEER_ADDR_PARAMS, path) &&
            set_option(socket_, IPPROTO_SCTP, SCTP_INITMSG, init) &&
            set_option(socket_, IPPROTO_SCTP, SCTP_FRAGMENT_INTERLEAVE, no_interleave) &&
            set_option(socket_, SOL_SOCKET, SO_SNDBUF, send_buffer) &&
            set_option(socket_, SOL_SOCKET, SO_RCVBUF, receive_buffer) &&
            subscribe(socket_, SCTP_ASSOC_CHANGE) && subscribe(socket_, SCTP_STREAM_RESET_EVENT) &&
            subscribe(socket_, SCTP_SENDER_DRY_EVENT);
  if (ok) setup_error_ = nullptr;
  return ok;
}

void SctpAssociation::Impl::connect() {
  if (owner_.state_ != State::kNew) return;
  if (socket_ == nullptr) {
    mark_closed(setup_error_ != nullptr ? setup_error_ : "no SCTP socket");
    return;
  }
  owner_.state_ = State::kConnecting;
  // Both ends connect (simultaneous open, RFC 8841 §9.3); the INIT goes out from inside this call.
  sockaddr_conn remote = conn_address(id_, options_.remote_port);
  if (usrsctp_connect(socket_, reinterpret_cast<sockaddr*>(&remote), sizeof(remote)) != 0 &&
      errno != EINPROGRESS) {
    mark_closed("SCTP connect failed");
  }
}

void SctpAssociation::Impl::handle_packet(ByteSpan packet) {
  // A packet before connect() means the DTLS connection is up: connect first, so that the peer's
  // INIT meets a connecting socket rather than a closed one.
  if (owner_.state_ == State::kNew) connect();
  if (owner_.state_ == State::kClosed || socket_ == nullptr || packet.empty()) return;
  ++owner_.counters_.packets_in;
  in_input_ = true;
  usrsctp_conninput(sctp_address_of(id_), packet.data(), packet.size(), 0);
  in_input_ = false;
  if (service_pending_) service();
}

SctpAssociation::SendResult SctpAssociation::Impl::send(uint16_t stream, SctpPpid ppid, ByteSpan message,
                                                        const SctpReliability& reliability) {
  if (owner_.state_ != State::kConnected) return SendResult::kNotConnected;
  if (message.size() > max_send_message_size()) return SendResult::kTooLarge;
  sctp_sendv_spa spa{};
  spa.sendv_flags = SCTP_SEND_SNDINFO_VALID;
  spa.sendv_sndinfo.snd_sid = stream;
  spa.sendv_sndinfo.snd_ppid = htonl(static_cast<uint32_t>(message.empty() ? empty_ppid(ppid) : ppid));
  spa.sendv_sndinfo.snd_flags = SCTP_EOR | (reliability.ordered ? 0 : SCTP_UNORDERED);
  if (!reliability.reliable()) {
    spa.sendv_flags |= SCTP_SEND_PRINFO_VALID;
    spa.sendv_prinfo.pr_policy =
        reliability.kind == SctpReliability::Kind::kMaxRetransmits ? SCTP_PR_SCTP_RTX : SCTP_PR_SCTP_TTL;
    spa.sendv_prinfo.pr_value = reliability.value;
  }
  static const uint8_t kZero = 0;  // an empty message goes as one zero byte (RFC 8831 §6.6)
  const uint8_t* data = message.empty() ? &kZero : message.data();
  size_t size = message.empty() ? 1 : message.size();
  if (usrsctp_sendv(socket_, data, size, nullptr, 0, &spa, sizeof(spa), SCTP_SENDV_SPA, 0) < 0) {
    if (errno == EWOULDBLOCK || errno == EAGAIN) {
      want_buffer_low_ = true;
      return SendResult::kBufferFull;
    }
    return errno == EMSGSIZE ? SendResult::kTooLarge : SendResult::kError;
  }
  ++owner_.counters_.messages_out;
  owner_.counters_.bytes_out += message.size();
  return SendResult::kSent;
}

void SctpAssociation::Impl::reset_stream(uint16_t stream) {
  if (socket_ == nullptr || owner_.state_ != State::kConnected) return;
  if (std::find(pending_resets_.begin(), pending_resets_.end(), stream) != pending_resets_.end()) return;
  if (!request_stream_reset(stream)) pending_resets_.push_back(stream);
}

// False when usrsctp cannot start the reset now (one is under way): retry after the next reset event.
bool SctpAssociation::Impl::request_stream_reset(uint16_t stream) {
  alignas(sctp_reset_streams) uint8_t buffer[sizeof(sctp_reset_streams) + sizeof(uint16_t)] = {};
  auto* request = reinterpret_cast<sctp_reset_streams*>(buffer);
  request->srs_assoc_id = SCTP_ALL_ASSOC;
  request->srs_flags = SCTP_STREAM_RESET_OUTGOING;
  request->srs_number_streams = 1;
  std::memcpy(buffer + sizeof(sctp_reset_streams), &stream, sizeof(stream));
  if (usrsctp_setsockopt(socket_, IPPROTO_SCTP, SCTP_RESET_STREAMS, buffer, sizeof(buffer)) == 0) return true;
  return !is_retryable(errno);
}

void SctpAssociation::Impl::retry_stream_resets() {
  if (pending_resets_.empty() || owner_.state_ != State::kConnected) return;
  std::vector<uint16_t> pending;
  pending.swap(pending_resets_);
  for (uint16_t stream : pending) {
    if (!request_stream_reset(stream)) pending_resets_.push_back(stream);
  }
}

void SctpAssociation::Impl::close() {
  if (owner_.state_ == State::kClosed) return;
  // Connected: SHUTDOWN, and the SHUTDOWN_COMP notification closes us. Otherwise there is nothing
  // to shut down gracefully.
  if (socket_ == nullptr || owner_.state_ != State::kConnected || usrsctp_shutdown(socket_, SHUT_WR) != 0) {
    mark_closed("closed");
  }
}

void SctpAssociation::Impl::pause_receiving(bool paused) {
  if (receive_paused_ == paused) return;
  receive_paused_ = paused;
  // What arrived meanwhile is read on the loop, not here: the caller may be inside a drain (a
  // callback of this or another association) or walking its own state.
  if (!paused && socket_ != nullptr && !service_pending_) {
    service_pending_ = true;
    mailbox_.schedule_service(id_);
  }
}

size_t SctpAssociation::Impl::buffered_bytes() const {
  if (socket_ == nullptr || owner_.state_ == State::kNew) return 0;
  SctpSockstat stat{};
  stat.ss_assoc_id = SCTP_FUTURE_ASSOC;  // a one-to-one socket answers for its association
  socklen_t length = sizeof(stat);
  if (usrsctp_getsockopt(socket_, IPPROTO_SCTP, kSctpGetSndbufUse, &stat, &length) != 0) return 0;
  return stat.ss_total_sndbuf;
}

size_t SctpAssociation::Impl::max_send_message_size() const {
  return std::min(options_.max_message_size, remote_max_message_size_);
}

void SctpAssociation::Impl::set_remote_max_message_size(size_t bytes) {
  remote_max_message_size_ = bytes == 0 ? kDefaultRemoteMaxMessageSize : bytes;
}

void SctpAssociation::Impl::on_output(ByteSpan packet) {
  if (owner_.state_ == State::kClosed) return;  // no callback after on_sctp_closed
  ++owner_.counters_.packets_out;
  observer_.send_sctp_packet(packet);
}

void SctpAssociation::Impl::on_upcall() {
  if (service_pending_) return;
  service_pending_ = true;
  // Inside usrsctp_conninput handle_packet services us as soon as usrsctp returns; anywhere else
  // (a send, a timer on this thread, a wake-up from another thread) the loop does it next.
  if (!in_input_) mailbox_.schedule_service(id_);
}

void SctpAssociation::Impl::check_send_buffer_low() {
  if (!want_buffer_low_ || owner_.state_ != State::kConnected) return;
  if (buffered_bytes() > options_.send_buffer_bytes / 2) return;
  want_buffer_low_ = false;
  observer_.on_sctp_send_buffer_low();
}

void SctpAssociation::Impl::mark_closed(std::string_view reason) {
  if (owner_.state_ == State::kClosed) return;
  owner_.state_ = State::kClosed;
  pending_resets_.clear();
  observer_.on_sctp_closed(reason);
}

SctpAssociation::SctpAssociation(SctpMailbox& mailbox, Observer& observer, SctpOptions options)
    : impl_(std::make_unique<Impl>(*this, mailbox.impl(), observer, options)) {}

SctpAssociation::~SctpAssociation() = default;

void SctpAssociation::connect() { impl_->connect(); }
void SctpAssociation::handle_packet(ByteSpan packet) { impl_->handle_packet(packet); }
SctpAssociation::SendResult SctpAssociation::send(uint16_t stream, SctpPpid ppid, ByteSpan message,
                                                  const SctpReliability& reliability) {
  return impl_->send(stream, ppid, message, reliability);
}
void SctpAssociation::reset_stream(uint16_t stream) { impl_->reset_stream(stream); }
void SctpAssociation::close() { impl_->close(); }
void SctpAssociation::pause_receiving(bool paused) { impl_->pause_receiving(paused); }
bool SctpAssociation::receiving_paused() const { return impl_->receiving_paused(); }
size_t SctpAssociation::buffered_bytes() const { return impl_->buffered_bytes(); }
size_t SctpAssociation::max_send_message_size() const { return impl_->max_send_message_size(); }
void SctpAssociation::set_remote_max_message_size(size_t bytes) { impl_->set_remote_max_message_size(bytes); }

}  // namespace sfu::dtls
