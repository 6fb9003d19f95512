#include "net/tcp_connection.h"

#include <cstring>

#include "base/counter.h"

namespace sfu::net {
namespace {

constexpr size_t kFrameSlot = TcpFrameReader::kHeaderSize + TcpFrameReader::kMaxFrameSize;

void drop_gauge(std::atomic<uint64_t>& gauge) {
  uint64_t value = gauge.load(std::memory_order_relaxed);
  gauge.store(value > 0 ? value - 1 : 0, std::memory_order_relaxed);
}

}  // namespace

// Heap-allocated apart from the connection: libuv may call back (a cancelled write, the close
// callbacks) after the connection is gone; `owner` is then nullptr and the block frees itself
// when both handles have closed.
struct TcpConnection::Io {
  uv_tcp_t tcp{};
  uv_prepare_t prepare{};  // flushes before the loop blocks, armed by a queued frame
  uv_write_t write{};
  uv_connect_t connect{};
  TcpConnection* owner = nullptr;
  int handles = 0;  // initialized handles not yet closed

  static void on_closed(uv_handle_t* handle) {
    auto* io = static_cast<Io*>(handle->data);
    if (--io->handles == 0) delete io;
  }
  void close_all() {
    owner = nullptr;
    if (handles == 0) {
      delete this;
      return;
    }
    auto* tcp_handle = reinterpret_cast<uv_handle_t*>(&tcp);
    auto* prepare_handle = reinterpret_cast<uv_handle_t*>(&prepare);
    // The prepare handle is initialized first, so with one handle it is that one.
    if (!uv_is_closing(prepare_handle)) uv_close(prepare_handle, &Io::on_closed);
    if (handles == 2 && !uv_is_closing(tcp_handle)) uv_close(tcp_handle, &Io::on_closed);
  }
};

// Two halves: `filling` takes new frames; the other one holds what the kernel did not take yet
// (`writing` bytes, in flight with a uv_write).
struct TcpConnection::SendBuffers {
  std::array<std::array<uint8_t, kSendHalfBytes>, 2> halves;
  std::array<uint8_t, kFrameSlot> scratch;  // what acquire_send() hands out when there is no room
  size_t filling = 0;
  size_t filled = 0;
  size_t writing = 0;  // bytes of the in-flight write; 0 = none
  bool scratch_acquired = false;
  bool flush_armed = false;
};

TcpConnection::TcpConnection(uv_loop_t* loop, Handler& handler, TcpCounters& counters)
    : loop_(loop), handler_(handler), counters_(counters) {}

TcpConnection::~TcpConnection() { release_io(); }

void TcpConnection::release_io() {
  if (!io_) return;
  io_->close_all();
  io_ = nullptr;
}

bool TcpConnection::start(std::string* error) {
  io_ = new Io;
  io_->owner = this;
  auto fail = [&](const char* what, int rc) {
    if (error) *error = std::string(what) + ": " + uv_strerror(rc);
    release_io();
    state_ = State::Closed;
    return false;
  };
  if (int rc = uv_prepare_init(loop_, &io_->prepare); rc != 0) return fail("uv_prepare_init", rc);
  io_->prepare.data = io_;
  ++io_->handles;
  if (int rc = uv_tcp_init(loop_, &io_->tcp); rc != 0) return fail("uv_tcp_init", rc);
  io_->tcp.data = io_;
  ++io_->handles;
  io_->write.data = io_;
  io_->connect.data = io_;
  return true;
}

bool TcpConnection::accept(uv_stream_t* listener) {
  if (!start(nullptr)) return false;
  auto* stream = reinterpret_cast<uv_stream_t*>(&io_->tcp);
  if (uv_accept(listener, stream) != 0) {
    release_io();
    state_ = State::Closed;
    return false;
  }
  sockaddr_storage peer{};
  int length = sizeof(peer);
  if (uv_tcp_getpeername(&io_->tcp, reinterpret_cast<sockaddr*>(&peer), &length) == 0)
    remote_ = SocketAddress::from_sockaddr(reinterpret_cast<sockaddr*>(&peer));
  // Media is latency-bound and already packetized: never hold a small frame back (Nagle).
  uv_tcp_nodelay(&io_->tcp, 1);
  state_ = State::Open;
  bump(counters_.open);
  uv_read_start(stream, &TcpConnection::on_alloc, &TcpConnection::on_read);
  return true;
}

bool TcpConnection::connect(const SocketAddress& remote, std::string* error) {
  if (!start(error)) return false;
  remote_ = remote;
  uv_tcp_nodelay(&io_->tcp, 1);
  if (int rc = uv_tcp_connect(&io_->connect, &io_->tcp, remote.sockaddr_ptr(), &TcpConnection::on_connect);
      rc != 0) {
    if (error) *error = std::string("uv_tcp_connect: ") + uv_strerror(rc);
    release_io();
    state_ = State::Closed;
    return false;
  }
  state_ = State::Connecting;
  bump(counters_.open);
  return true;
}

void TcpConnection::on_connect(uv_connect_t* request, int status) {
  TcpConnection* self = static_cast<Io*>(request->data)->owner;
  if (!self || self->state_ != State::Connecting) return;
  if (status != 0) {
    self->close(TcpCloseReason::Error);
    return;
  }
  self->state_ = State::Open;
  uv_read_start(reinterpret_cast<uv_stream_t*>(&self->io_->tcp), &TcpConnection::on_alloc,
                &TcpConnection::on_read);
  self->flush();
}

void TcpConnection::on_alloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  TcpConnection* self = static_cast<Io*>(handle->data)->owner;
  if (!self) {
    *buf = uv_buf_init(nullptr, 0);
    return;
  }
  MutableByteSpan room = self->reader_.writable();
  *buf = uv_buf_init(reinterpret_cast<char*>(room.data()), static_cast<unsigned>(room.size()));
}

void TcpConnection::on_read(uv_stream_t* stream, ssize_t nread, const uv_buf_t*) {
  TcpConnection* self = static_cast<Io*>(stream->data)->owner;
  if (!self || self->state_ == State::Closed) return;
  if (nread > 0) {
    self->take_bytes(static_cast<size_t>(nread));
  } else if (nread == UV_EOF) {
    self->close(TcpCloseReason::PeerClosed);
  } else if (nread < 0) {
    self->close(TcpCloseReason::Error);
  }
}

void TcpConnection::take_bytes(size_t count) {
  bump(counters_.rx_bytes, count);
  TcpFrameReader::Status status = reader_.commit(count, [this](uint8_t* data, size_t size) {
    bump(counters_.rx_frames);
    handler_.on_frame(*this, data, size);
    return state_ != State::Closed;
  });
  if (status == TcpFrameReader::Status::FrameTooLarge) close(TcpCloseReason::FrameTooLarge);
  handler_.on_frames_done(*this);
}

MutableByteSpan TcpConnection::acquire_send() {
  if (!send_) send_ = std::make_unique<SendBuffers>();
  SendBuffers& s = *send_;
  // A full half goes to the kernel now rather than at the end of the loop turn, unless the
  // previous write is still in flight (the kernel's buffer is full: then this packet is dropped).
  if (kSendHalfBytes - s.filled < kFrameSlot) flush();
  s.scratch_acquired = state_ == State::Closed || kSendHalfBytes - s.filled < kFrameSlot;
  uint8_t* frame = s.scratch_acquired ? s.scratch.data() : s.halves[s.filling].data() + s.filled;
  return {frame + TcpFrameReader::kHeaderSize, TcpFrameReader::kMaxFrameSize};
}

void TcpConnection::commit_send(size_t size) {
  if (!send_) return;  // no acquire_send() before
  SendBuffers& s = *send_;
  if (s.scratch_acquired || size > TcpFrameReader::kMaxFrameSize) {
    bump(counters_.tx_dropped_queue_full);
    return;
  }
  store_be16(s.halves[s.filling].data() + s.filled, static_cast<uint16_t>(size));
  s.filled += TcpFrameReader::kHeaderSize + size;
  bump(counters_.tx_frames);
  schedule_flush();
}

void TcpConnection::send(ByteSpan packet) {
  MutableByteSpan slot = acquire_send();
  if (packet.size() > slot.size()) {
    bump(counters_.tx_dropped_queue_full);
    return;
  }
  std::memcpy(slot.data(), packet.data(), packet.size());
  commit_send(packet.size());
}

void TcpConnection::schedule_flush() {
  if (!io_ || send_->flush_armed) return;
  send_->flush_armed = true;
  uv_prepare_start(&io_->prepare, &TcpConnection::on_prepare);
}

void TcpConnection::on_prepare(uv_prepare_t* prepare) {
  uv_prepare_stop(prepare);
  TcpConnection* self = static_cast<Io*>(prepare->data)->owner;
  if (!self) return;
  self->send_->flush_armed = false;
  self->flush();
}

void TcpConnection::flush() {
  if (!send_ || state_ != State::Open || !io_) return;
  SendBuffers& s = *send_;
  if (s.writing > 0 || s.filled == 0) return;
  auto* stream = reinterpret_cast<uv_stream_t*>(&io_->tcp);
  uint8_t* data = s.halves[s.filling].data();
  // Straight into the kernel's buffer when it has room (the usual case): the half is free again
  // at once. Only what does not fit waits, in flight, for a uv_write to complete.
  uv_buf_t buffer = uv_buf_init(reinterpret_cast<char*>(data), static_cast<unsigned>(s.filled));
  int written = uv_try_write(stream, &buffer, 1);
  if (written < 0 && written != UV_EAGAIN) {
    close(TcpCloseReason::Error);
    return;
  }
  size_t done = written > 0 ? static_cast<size_t>(written) : 0;
  bump(counters_.tx_bytes, done);
  if (done == s.filled) {
    s.filled = 0;
    return;
  }
  buffer = uv_buf_init(reinterpret_cast<char*>(data + done), static_cast<unsigned>(s.filled - done));
  s.writing = s.filled - done;
  s.filling ^= 1;
  s.filled = 0;
  if (uv_write(&io_->write, stream, &buffer, 1, &TcpConnection::on_write) != 0) {
    s.writing = 0;
    close(TcpCloseReason::Error);
  }
}

void TcpConnection::on_write(uv_write_t* request, int status) {
  TcpConnection* self = static_cast<Io*>(request->data)->owner;
  if (!self || !self->send_) return;
  bump(self->counters_.tx_bytes, status == 0 ? self->send_->writing : 0);
  self->send_->writing = 0;
  if (status != 0) {
    self->close(TcpCloseReason::Error);
    return;
  }
  self->flush();  // what was queued while this write was in flight
}

void TcpConnection::close(TcpCloseReason reason) {
  if (state_ == State::Closed) return;
  const bool counted_open = state_ != State::Idle;
  state_ = State::Closed;
  if (counted_open) drop_gauge(counters_.open);
  bump(counters_.closed[static_cast<size_t>(reason)]);
  if (io_) uv_read_stop(reinterpret_cast<uv_stream_t*>(&io_->tcp));
  handler_.on_closed(*this, reason);
  // The socket closes now; a write in flight is cancelled (its data is never read again).
  release_io();
}

}  // namespace sfu::net
