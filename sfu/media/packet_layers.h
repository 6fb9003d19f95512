// The scalability facts of one video packet that a forwarder needs to drop layers a subscriber
// does not get: which spatial and temporal layer it carries, whether it starts a picture or ends
// its layer frame, whether it is a point to switch up at, and which decode targets it belongs to
// (Dependency Descriptor). PacketLayerReader reads them once per packet for a published track
// (VP8 and VP9 payload descriptors; the Dependency Descriptor extension for AV1 and H.264) and keeps the
// track's latest dependency structure; every down-track of the track then decides on the same
// facts (SvcFilter).
//
// Thread: the track's worker. One reader per video PublishedTrack; allocates nothing per packet
// (its descriptor state once, on the first packet with a Dependency Descriptor).
#pragma once

#include <array>
#include <cstdint>
#include <memory>

#include "rtp/dependency_descriptor.h"
#include "rtp/keyframe_detector.h"
#include "rtp/rtp_packet.h"

namespace sfu {

struct PacketLayers {
  enum class Scheme : uint8_t {
    kNone,  // nothing to filter on (audio, H.264 without the descriptor, a packet without one)
    kVp8,   // temporal layers from the VP8 descriptor
    kVp9,   // spatial and temporal layers from the VP9 descriptor
    kDependencyDescriptor,  // decode targets from the Dependency Descriptor (AV1, H.264)
  };
  Scheme scheme = Scheme::kNone;
  uint8_t spatial_id = 0;
  uint8_t temporal_id = 0;
  bool starts_picture = false;    // the first packet of a new picture (temporal unit)
  bool ends_layer_frame = false;  // VP9 E, DD end_of_frame
  bool switch_up_point = false;   // VP8 Y, VP9 U: higher temporal layers may start after this
  bool keyframe = false;          // starts a picture every layer can be decoded from
  uint16_t picture_id = 0;        // VP8/VP9 picture id, the descriptor's frame number
  bool has_picture_id = false;
  const rtp::DependencyFrame* frame = nullptr;          // kDependencyDescriptor: this packet's
  const rtp::DependencyStructure* structure = nullptr;  // ... the structure it resolves against
};

class PacketLayerReader {
 public:
  // `dependency_descriptor_id`: the publisher's extension id for the Dependency Descriptor (0:
  // not negotiated).
  void set_dependency_descriptor_id(uint8_t id) { dd_id_ = id; }
  void set_codec(uint8_t payload_type, rtp::VideoCodec codec) {
    if (payload_type < codecs_.size()) codecs_[payload_type] = codec;
  }

  // Reads `packet`. A packet whose descriptor is malformed reads as kNone and counts in
  // malformed() (it is forwarded unfiltered: the decoder is the judge).
  const PacketLayers& read(const rtp::RtpPacket& packet);
  uint64_t malformed() const { return malformed_; }
  bool has_structure() const { return descriptor_ && descriptor_->structure_valid; }

  // The frame sizes of the spatial layers, as the publisher last described them (VP9's
  // scalability structure with Y, the Dependency Descriptor's resolutions); changes bump
  // sizes_generation(), so subscribers capped by a tile's size pick their layer again.
  uint32_t sizes_generation() const { return sizes_generation_; }
  // The lowest spatial layer at least `max_width` wide or `max_height` tall (0: no limit in that
  // dimension), the highest known when none is; kNoSpatialCap when no sizes are known.
  static constexpr uint8_t kNoSpatialCap = 0xFF;
  uint8_t spatial_layer_for_frame_size(uint16_t max_width, uint16_t max_height) const;

 private:
  void read_vp8(const rtp::RtpPacket& packet);
  void read_vp9(const rtp::RtpPacket& packet);
  void read_dependency_descriptor(const rtp::RtpPacket& packet);
  void note_sizes(size_t count, const uint16_t* widths, const uint16_t* heights);

  std::array<rtp::VideoCodec, 128> codecs_ = filled(rtp::VideoCodec::Unknown);
  uint8_t dd_id_ = 0;
  PacketLayers layers_;
  // The descriptor state (5 KB), allocated on the first packet with a descriptor: a track published and
  // never fed costs little.
  struct DescriptorState {
    rtp::DependencyStructure structure;
    bool structure_valid = false;
    rtp::DependencyFrame frame;
  };
  std::unique_ptr<DescriptorState> descriptor_;
  uint64_t malformed_ = 0;
  static constexpr size_t kMaxSpatialSizes = 8;
  std::array<uint16_t, kMaxSpatialSizes> widths_{}, heights_{};
  size_t size_count_ = 0;
  uint32_t sizes_generation_ = 0;

  static constexpr std::array<rtp::VideoCodec, 128> filled(rtp::VideoCodec codec) {
    std::array<rtp::VideoCodec, 128> a{};
    for (auto& c : a) c = codec;
    return a;
  }
};

}  // namespace sfu
