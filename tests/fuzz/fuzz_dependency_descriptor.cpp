// Scalable-video payload parsing as the forwarder does it on hostile input: a sequence of AV1
// Dependency Descriptors (each prefixed by its length, one byte) parsed against the structure the
// earlier ones left, and every descriptor also read as a VP9 payload descriptor. Nothing may read
// past its input, loop unbounded, or index past the fixed-size tables.
#include <cstdint>
#include <cstdlib>

#include "rtp/dependency_descriptor.h"
#include "rtp/vp9_descriptor.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  sfu::rtp::DependencyStructure structure;
  bool valid = false;
  sfu::rtp::DependencyFrame frame;
  size_t at = 0;
  while (at < size) {
    const size_t length = data[at++];
    const size_t take = length < size - at ? length : size - at;
    sfu::ByteSpan piece(data + at, take);
    at += take;
    if (sfu::rtp::parse_dependency_descriptor(piece, structure, valid, frame) ==
        sfu::rtp::DependencyDescriptorError::kNone) {
      // What a resolved frame claims must lie within the structure it resolved against.
      if (frame.spatial_id > structure.max_spatial_id || frame.fdiff_count > frame.fdiffs.size())
        std::abort();
      for (uint8_t dt = 0; dt < structure.decode_target_count; ++dt)
        if (structure.decode_target_spatial_id[dt] > structure.max_spatial_id) std::abort();
    }
    if (auto d = sfu::rtp::parse_vp9_descriptor(piece); d && d->size >= piece.size()) std::abort();
  }
  return 0;
}
