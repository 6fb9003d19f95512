#include "bench/packet_stamp.h"

#include <time.h>

#include "bench/client/simulcast_video.h"

namespace sfu::bench {

bool write_stamp(const PacketStamp& stamp, MutableByteSpan payload) {
  if (payload.size() < kStampSize) return false;
  uint8_t* p = payload.data() + payload.size() - kStampSize;
  store_be32(p, kStampMagic);
  store_be32(p + 4, stamp.stream);
  store_be32(p + 8, stamp.sequence);
  store_be64(p + 12, stamp.send_ns);
  return true;
}

std::optional<PacketStamp> read_stamp(ByteSpan payload) {
  if (payload.size() < kStampSize) return std::nullopt;
  const uint8_t* p = payload.data() + payload.size() - kStampSize;
  if (load_be32(p) != kStampMagic) return std::nullopt;
  return PacketStamp{load_be32(p + 4), load_be32(p + 8), load_be64(p + 12)};
}

std::optional<PacketStamp> read_stamp_or_tagged(ByteSpan payload) {
  if (auto stamp = read_stamp(payload)) return stamp;
  if (!client::SimulcastVideo::layer_of(payload)) return std::nullopt;
  return read_stamp(payload.first(payload.size() - client::SimulcastVideo::kLayerTagSize));
}

uint64_t monotonic_ns() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ull + static_cast<uint64_t>(ts.tv_nsec);
}

}  // namespace sfu::bench
