#include "net/tcp_frame_reader.h"

#include <gtest/gtest.h>

#include <vector>

namespace sfu::net {
namespace {

using Bytes = std::vector<uint8_t>;

Bytes frame(const Bytes& packet) {
  Bytes out{static_cast<uint8_t>(packet.size() >> 8), static_cast<uint8_t>(packet.size())};
  out.insert(out.end(), packet.begin(), packet.end());
  return out;
}

Bytes packet_of(size_t size, uint8_t seed) {
  Bytes out(size);
  for (size_t i = 0; i < size; ++i) out[i] = static_cast<uint8_t>(seed + i);
  return out;
}

Bytes join(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

// Feeds `stream` in reads of `chunk` bytes and collects the frames.
struct Collector {
  TcpFrameReader reader;
  std::vector<Bytes> frames;
  TcpFrameReader::Status feed(const Bytes& stream, size_t chunk) {
    for (size_t at = 0; at < stream.size(); at += chunk) {
      size_t count = std::min(chunk, stream.size() - at);
      auto status = reader.feed(ByteSpan(stream.data() + at, count), [&](uint8_t* data, size_t size) {
        frames.emplace_back(data, data + size);
        return true;
      });
      if (status != TcpFrameReader::Status::Ok) return status;
    }
    return TcpFrameReader::Status::Ok;
  }
};

TEST(TcpFrameReader, SeveralFramesInOneRead) {
  Bytes a = packet_of(20, 1), b = packet_of(1200, 2), c = packet_of(1, 3);
  Collector collector;
  EXPECT_EQ(collector.feed(join({frame(a), frame(b), frame(c)}), 1 << 20), TcpFrameReader::Status::Ok);
  ASSERT_EQ(collector.frames.size(), 3u);
  EXPECT_EQ(collector.frames[0], a);
  EXPECT_EQ(collector.frames[1], b);
  EXPECT_EQ(collector.frames[2], c);
  EXPECT_EQ(collector.reader.buffered(), 0u);
}

// Every split point of the stream, down to one byte per read, the header split included.
TEST(TcpFrameReader, FramesSplitAcrossReadsAtEveryChunkSize) {
  Bytes a = packet_of(100, 7), b = packet_of(TcpFrameReader::kMaxFrameSize, 9), c = packet_of(3, 11);
  Bytes stream = join({frame(a), frame(b), frame(c)});
  for (size_t chunk : {1u, 2u, 3u, 7u, 101u, 1000u, 2049u, 4096u}) {
    Collector collector;
    ASSERT_EQ(collector.feed(stream, chunk), TcpFrameReader::Status::Ok) << chunk;
    ASSERT_EQ(collector.frames.size(), 3u) << chunk;
    EXPECT_EQ(collector.frames[0], a);
    EXPECT_EQ(collector.frames[1], b);
    EXPECT_EQ(collector.frames[2], c);
  }
}

TEST(TcpFrameReader, PartialFrameWaitsForTheRest) {
  Bytes a = packet_of(500, 5);
  Bytes stream = frame(a);
  Collector collector;
  EXPECT_EQ(collector.feed(Bytes(stream.begin(), stream.begin() + 300), 1 << 20), TcpFrameReader::Status::Ok);
  EXPECT_TRUE(collector.frames.empty());
  EXPECT_EQ(collector.reader.buffered(), 300u);
  EXPECT_EQ(collector.feed(Bytes(stream.begin() + 300, stream.end()), 1 << 20), TcpFrameReader::Status::Ok);
  ASSERT_EQ(collector.frames.size(), 1u);
  EXPECT_EQ(collector.frames[0], a);
}

// A stream of many frames, longer than the buffer: each read leaves a partial frame to compact.
TEST(TcpFrameReader, LongStreamThroughTheFixedBuffer) {
  Bytes stream;
  std::vector<Bytes> expected;
  for (int i = 0; i < 200; ++i) {
    expected.push_back(packet_of(1 + (i * 37) % TcpFrameReader::kMaxFrameSize, static_cast<uint8_t>(i)));
    Bytes f = frame(expected.back());
    stream.insert(stream.end(), f.begin(), f.end());
  }
  Collector collector;
  EXPECT_EQ(collector.feed(stream, 1333), TcpFrameReader::Status::Ok);
  EXPECT_EQ(collector.frames, expected);
}

TEST(TcpFrameReader, ZeroLengthFramesAreSkipped) {
  Bytes a = packet_of(10, 1);
  Collector collector;
  EXPECT_EQ(collector.feed(join({Bytes{0, 0}, frame(a), Bytes{0, 0}, Bytes{0, 0}, frame(a)}), 3),
            TcpFrameReader::Status::Ok);
  ASSERT_EQ(collector.frames.size(), 2u);
  EXPECT_EQ(collector.frames[1], a);
}

TEST(TcpFrameReader, OversizedLengthStopsAtTheHeader) {
  Collector collector;
  // 0xFFFF announced, nothing after it: refused at once, without waiting for 64 KiB.
  EXPECT_EQ(collector.feed(Bytes{0xff, 0xff}, 1 << 20), TcpFrameReader::Status::FrameTooLarge);
  EXPECT_TRUE(collector.frames.empty());

  Collector just_over;
  const auto over = TcpFrameReader::kMaxFrameSize + 1;
  EXPECT_EQ(just_over.feed(Bytes{static_cast<uint8_t>(over >> 8), static_cast<uint8_t>(over)}, 1),
            TcpFrameReader::Status::FrameTooLarge);

  // Good frames before the bad header are still delivered.
  Collector after_good;
  Bytes a = packet_of(50, 3);
  EXPECT_EQ(after_good.feed(join({frame(a), Bytes{0x10, 0x00}}), 1 << 20),
            TcpFrameReader::Status::FrameTooLarge);
  EXPECT_EQ(after_good.frames.size(), 1u);
}

TEST(TcpFrameReader, LargestFrameIsTaken) {
  Bytes a = packet_of(TcpFrameReader::kMaxFrameSize, 4);
  Collector collector;
  EXPECT_EQ(collector.feed(frame(a), 1 << 20), TcpFrameReader::Status::Ok);
  ASSERT_EQ(collector.frames.size(), 1u);
  EXPECT_EQ(collector.frames[0], a);
}

TEST(TcpFrameReader, HandlerCanStopTheRead) {
  Bytes a = packet_of(10, 1);
  Bytes stream = join({frame(a), frame(a), frame(a)});
  TcpFrameReader reader;
  int seen = 0;
  auto status = reader.feed(stream, [&](uint8_t*, size_t) { return ++seen < 2; });
  EXPECT_EQ(status, TcpFrameReader::Status::Stopped);
  EXPECT_EQ(seen, 2);
}

// Frames are handed out in place and may be changed there (SRTP decrypts in place).
TEST(TcpFrameReader, FramesAreWritableInPlace) {
  Bytes a = packet_of(8, 0);
  TcpFrameReader reader;
  Bytes stream = frame(a);
  reader.feed(stream, [&](uint8_t* data, size_t size) {
    for (size_t i = 0; i < size; ++i) data[i] = 0xaa;
    return true;
  });
  EXPECT_EQ(reader.buffered(), 0u);
}

}  // namespace
}  // namespace sfu::net
