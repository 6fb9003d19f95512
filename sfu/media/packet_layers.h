// The scalability facts of one video packet that a forwarder needs to drop layers a subscriber
// does not get: which spatial and temporal layer it carries, whether it starts a picture or ends
// its layer frame, whether it is a point to switch up at, and which decode targets it belongs to
// (AV1 Dependency Descriptor). PacketLayerReader reads them once per packet for a published
// track (VP8 and VP9 payload descriptors, the AV1 Dependency Descriptor extension) and keeps the
// track's latest dependency structure; every down-track of the track then decides on the same
// facts (SvcFilter).
//
// Thread: the track's worker. One reader per video PublishedTrack; allocates nothing per packet
// (its AV1 state once, on the first packet with a Dependency Descriptor).
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
    kNone,  // nothing to filter on (audio, H.264, a packet without a descriptor)
    kVp8,   // temporal layers from the VP8 descriptor
    kVp9,   // spatial and temporal layers from the VP9 descriptor
    kAv1,   // decode targets from the Dependency Descriptor
  };
  Scheme scheme = Scheme::kNone;
  uint8_t spatial_id = 0;
  uint8_t temporal_id = 0;
  bool starts_picture = false;    // the first packet of a new picture (temporal unit)
  bool ends_layer_frame = false;  // VP9 E, DD end_of_frame
  bool switch_up_point = false;   // VP8 Y, VP9 U: higher temporal layers may start after this
  bool keyframe = false;          // starts a picture every layer can be decoded from
  uint16_t picture_id = 0;        // VP8/VP9 picture id, AV1 frame number
  bool has_picture_id = false;
  const rtp::DependencyFrame* frame = nullptr;          // kAv1: this packet's descriptor
  const rtp::DependencyStructure* structure = nullptr;  // kAv1: the structure it resolves against
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
  bool has_structure() const { return av1_ && av1_->structure_valid; }

 private:
  void read_vp8(const rtp::RtpPacket& packet);
  void read_vp9(const rtp::RtpPacket& packet);
  void read_av1(const rtp::RtpPacket& packet);

  std::array<rtp::VideoCodec, 128> codecs_ = filled(rtp::VideoCodec::Unknown);
  uint8_t dd_id_ = 0;
  PacketLayers layers_;
  // The AV1 state (5 KB), allocated on the first packet with a descriptor: a track published and
  // never fed costs little.
  struct Av1State {
    rtp::DependencyStructure structure;
    bool structure_valid = false;
    rtp::DependencyFrame frame;
  };
  std::unique_ptr<Av1State> av1_;
  uint64_t malformed_ = 0;

  static constexpr std::array<rtp::VideoCodec, 128> filled(rtp::VideoCodec codec) {
    std::array<rtp::VideoCodec, 128> a{};
    for (auto& c : a) c = codec;
    return a;
  }
};

}  // namespace sfu
