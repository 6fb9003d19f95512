// How a subscriber's wanted size maps onto a simulcast track's layers: the lowest layer that is
// big enough for the tile it is shown in (as wide or as tall), judged by the frame sizes the
// layers' key frames carry. A plain function over the track; allocates nothing.
#pragma once

#include <cstdint>

#include "sfu/media/published_track.h"

namespace sfu {

// The lowest layer whose known frame size is at least `max_width` wide or `max_height` tall (0:
// no limit in that dimension); the highest layer when none is, or none is known yet.
uint8_t layer_for_frame_size(const PublishedTrack& track, uint16_t max_width, uint16_t max_height);

}  // namespace sfu
