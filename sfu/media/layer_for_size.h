// Which layer of a stack of growing frame sizes (simulcast layers, SVC spatial layers) a
// subscriber's tile needs: the lowest one that is big enough for it, as wide or as tall. One rule
// for both, so a tile picks the same resolution whichever way the publisher encodes.
#pragma once

#include <cstdint>
#include <optional>

#include "rtp/vp8_descriptor.h"

namespace sfu {

// The lowest of `count` (>= 1) layers whose size (size_of(i): std::optional<rtp::FrameSize>,
// nullopt while unknown) is at least `max_width` wide or `max_height` tall; 0 is no limit in that
// dimension (never "big enough" by it). The highest layer when none is.
template <typename SizeOf>
uint8_t lowest_layer_covering(uint8_t count, uint16_t max_width, uint16_t max_height, SizeOf size_of) {
  const auto highest = static_cast<uint8_t>(count - 1);
  for (uint8_t i = 0; i < highest; ++i) {
    const std::optional<rtp::FrameSize> size = size_of(i);
    if (!size) continue;
    const bool wide_enough = max_width != 0 && size->width >= max_width;
    const bool tall_enough = max_height != 0 && size->height >= max_height;
    if (wide_enough || tall_enough) return i;
  }
  return highest;
}

}  // namespace sfu
