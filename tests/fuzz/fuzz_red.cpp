// RFC 2198 RED payloads on hostile input: parse, check every block lies within the payload, and
// rewrite the block payload types in place. Nothing may read or write past the input.
#include <cstdint>
#include <cstdlib>
#include <vector>

#include "rtp/red_payload.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> copy(data, data + size);
  sfu::rtp::RedPayload red;
  if (sfu::rtp::parse_red_payload(sfu::ByteSpan(copy.data(), copy.size()), red) != sfu::rtp::RedError::kNone)
    return 0;
  if (red.block_count == 0 || red.block_count > sfu::rtp::kMaxRedBlocks || red.header_size > size)
    std::abort();
  size_t end = red.header_size;
  for (size_t i = 0; i < red.block_count; ++i) {
    if (red.blocks[i].offset != end || red.blocks[i].length > size - end) std::abort();
    end += red.blocks[i].length;
  }
  if (end != size || red.primary().length == 0) std::abort();
  sfu::rtp::rewrite_red_block_payload_types(sfu::MutableByteSpan(copy.data(), copy.size()), red,
                                            red.primary().payload_type, 96);
  return 0;
}
