#include "sfu/media/simulcast_layers.h"

namespace sfu {

uint8_t layer_for_frame_size(const PublishedTrack& track, uint16_t max_width, uint16_t max_height) {
  const auto highest = static_cast<uint8_t>(track.layer_count() - 1);
  if (max_width == 0 && max_height == 0) return highest;
  for (uint8_t i = 0; i < highest; ++i) {
    const auto& size = track.layer(i).frame_size();
    if (!size) continue;
    // A limit of 0 is no limit in that dimension: never "big enough" by it.
    bool wide_enough = max_width != 0 && size->width >= max_width;
    bool tall_enough = max_height != 0 && size->height >= max_height;
    if (wide_enough || tall_enough) return i;
  }
  return highest;
}

}  // namespace sfu
