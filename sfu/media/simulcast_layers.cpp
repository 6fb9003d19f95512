#include "sfu/media/simulcast_layers.h"

#include "sfu/media/layer_for_size.h"

namespace sfu {

uint8_t layer_for_frame_size(const PublishedTrack& track, uint16_t max_width, uint16_t max_height) {
  return lowest_layer_covering(static_cast<uint8_t>(track.layer_count()), max_width, max_height,
                               [&](uint8_t i) { return track.layer(i).frame_size(); });
}

}  // namespace sfu
