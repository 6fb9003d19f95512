// Synthetic rid simulcast VP8 video for the test client, as Chromium sends three encodings of one
// camera (sendEncodings rid q/h/f, scaleResolutionDownBy 4/2/1): each layer with its own SSRC,
// sequence numbers, timestamp origin and 15-bit picture ids, the sdes:mid and
// sdes:rtp-stream-id header extensions on every packet (no a=ssrc lines in the SDP: the server
// learns the SSRCs from the rid), its own key frames (every second and on a PLI naming its
// SSRC), and a frame size in its key frames (160x120, 320x240, 640x480). Layer i sends i+1
// packets per frame. Every payload ends with a tag naming its layer (kLayerTag), so a receiver
// can tell which layer it got.
//
// Two ways to send: send_frame() sends one whole frame on every layer (the test client, 30 fps);
// build_next() builds one packet of one layer at a time, of any payload size and frame length,
// for a sender that paces packets itself (sfu-bench, which writes its stamp into the payload's
// tail before the tag).
//
// Lives on the client's loop; allocates only at construction.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"

namespace sfu::client {

class SimulcastVideo {
 public:
  static constexpr size_t kMaxLayers = 3;
  // The last three payload bytes: 'S', 'L', layer index.
  static constexpr uint8_t kLayerTag0 = 'S', kLayerTag1 = 'L';
  static constexpr size_t kLayerTagSize = 3;

  struct Layer {
    std::string rid;
    uint32_t ssrc = 0;
    uint16_t sequence = 0;
    uint32_t timestamp = 0;
    uint16_t picture_id = 0;
    uint8_t tl0_pic_idx = 0;
    uint16_t width = 0, height = 0;
    bool keyframe_requested = true;
    uint64_t frames = 0, keyframes = 0, packets = 0, plis = 0;
    // build_next(): the index of the next packet within the current frame, and whether that
    // frame is a key frame.
    size_t frame_packet = 0;
    bool frame_keyframe = false;
  };

  // What build_next() wrote: the packet's size (0: it did not fit), and where its payload lies
  // within it (the last three payload bytes are the layer tag).
  struct BuiltPacket {
    size_t size = 0;
    size_t payload_offset = 0, payload_size = 0;
    bool keyframe_start = false;  // the first packet of a key frame
  };
  // The smallest payload build_next() accepts: the descriptor, a key frame's header, the tag.
  static constexpr size_t kMinPayloadSize = 19;

  // Extension ids as the client's offer declares them.
  struct ExtensionIds {
    uint8_t abs_send_time = 0, transport_cc = 0, mid = 0, rid = 0;
  };

  SimulcastVideo(size_t layers, ExtensionIds ids);

  const std::vector<Layer>& layers() const { return layers_; }
  std::vector<std::string> rids() const;
  // One frame on every layer, each packet through `send`; `transport_sequence` is the
  // connection's transport-wide counter.
  void send_frame(uint64_t now_ms, uint16_t& transport_sequence, const std::function<bool(ByteSpan)>& send);
  // A PLI naming `media_ssrc`: true when it is one of the layers (its next frame is a key frame).
  bool on_keyframe_request(uint32_t media_ssrc);
  // The next packet of `layer` into `out`, with a payload of `payload_size` bytes: frames are
  // `packets_per_frame` packets long, a key frame every second's worth of frames (30) and after a
  // request. `transport_sequence` is the connection's transport-wide counter for this packet.
  BuiltPacket build_next(size_t layer, size_t packets_per_frame, size_t payload_size, uint64_t now_ms,
                         uint16_t transport_sequence, MutableByteSpan out);

  // The layer a received payload's tag names; nullopt when it has none.
  static std::optional<uint8_t> layer_of(ByteSpan payload);

 private:
  size_t build_packet(Layer& layer, size_t layer_index, bool keyframe, bool first, bool last, uint64_t now_ms,
                      uint16_t transport_sequence, size_t payload_size, MutableByteSpan out);
  static void end_frame(Layer& layer);

  ExtensionIds ids_;
  std::vector<Layer> layers_;
  std::array<uint8_t, 1500> buffer_{};
};

}  // namespace sfu::client
