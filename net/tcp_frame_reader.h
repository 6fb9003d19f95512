// RFC 4571 framing on a byte stream, as ICE-TCP carries STUN, DTLS, RTP and RTCP (RFC 6544 §3):
// every packet is preceded by its length as a 16-bit big-endian number. The reader reassembles
// frames across reads in a buffer of fixed size: the socket reads straight into writable(),
// complete frames are handed out in place (they may be decrypted there), and only the bytes of an
// unfinished frame move, to the front, after a read. Nothing allocates.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "base/bytes.h"

namespace sfu::net {

class TcpFrameReader {
 public:
  static constexpr size_t kHeaderSize = 2;
  // The largest packet taken, the size of a UDP receive slot (UdpSocket::kBufferSize): a media
  // packet is sized for a path MTU, and the transports build replies in slots of this size. A
  // longer length field (up to 64 KiB) ends the connection at once, before its bytes arrive.
  static constexpr size_t kMaxFrameSize = 2048;
  // Several frames per read; always room for one whole frame after the front is compacted.
  static constexpr size_t kCapacity = 4 * (kHeaderSize + kMaxFrameSize);

  enum class Status : uint8_t {
    Ok,             // every complete frame was handed out; a partial one waits for more bytes
    FrameTooLarge,  // a length field over kMaxFrameSize: the stream cannot be trusted any more
    Stopped,        // the frame handler asked to stop (the connection is closing)
  };

  // Where the next read goes; never empty.
  MutableByteSpan writable() { return {buffer_.data() + filled_, kCapacity - filled_}; }

  // Takes `count` bytes just read into writable() and calls `on_frame(uint8_t* data, size_t
  // size) -> bool` for each complete frame, in order; `data` stays valid during the call. A
  // zero-length frame carries no packet and is skipped. `on_frame` returns false to stop. After
  // FrameTooLarge or Stopped the reader is not to be used again.
  template <typename OnFrame>
  Status commit(size_t count, OnFrame&& on_frame) {
    filled_ += count;
    size_t at = 0;
    Status status = Status::Ok;
    while (filled_ - at >= kHeaderSize) {
      const size_t size = load_be16(buffer_.data() + at);
      if (size > kMaxFrameSize) return Status::FrameTooLarge;
      if (filled_ - at < kHeaderSize + size) break;
      uint8_t* frame = buffer_.data() + at + kHeaderSize;
      at += kHeaderSize + size;
      if (size > 0 && !on_frame(frame, size)) {
        status = Status::Stopped;
        break;
      }
    }
    // Compact: the unfinished frame (at most kHeaderSize + kMaxFrameSize - 1 bytes) to the front.
    if (at > 0) {
      std::memmove(buffer_.data(), buffer_.data() + at, filled_ - at);
      filled_ -= at;
    }
    return status;
  }

  // Copies `bytes` in as the socket would (in as many reads as it takes) and commits them.
  template <typename OnFrame>
  Status feed(ByteSpan bytes, OnFrame&& on_frame) {
    while (!bytes.empty()) {
      MutableByteSpan room = writable();
      const size_t count = room.size() < bytes.size() ? room.size() : bytes.size();
      std::memcpy(room.data(), bytes.data(), count);
      bytes = bytes.subspan(count);
      if (Status status = commit(count, on_frame); status != Status::Ok) return status;
    }
    return Status::Ok;
  }

  // Bytes of an unfinished frame held (its header included).
  size_t buffered() const { return filled_; }

 private:
  std::array<uint8_t, kCapacity> buffer_{};
  size_t filled_ = 0;
};

}  // namespace sfu::net
