#include "sfu/media/packet_layers.h"

#include "rtp/vp8_descriptor.h"
#include "rtp/vp9_descriptor.h"

namespace sfu {

const PacketLayers& PacketLayerReader::read(const rtp::RtpPacket& packet) {
  layers_ = PacketLayers{};
  const uint8_t pt = packet.payload_type();
  switch (pt < codecs_.size() ? codecs_[pt] : rtp::VideoCodec::Unknown) {
    case rtp::VideoCodec::VP8:
      read_vp8(packet);
      break;
    case rtp::VideoCodec::VP9:
      read_vp9(packet);
      break;
    case rtp::VideoCodec::AV1:
      if (dd_id_ != 0) read_av1(packet);
      break;
    default:
      break;
  }
  return layers_;
}

void PacketLayerReader::read_vp8(const rtp::RtpPacket& packet) {
  auto d = rtp::parse_vp8_descriptor(packet.payload());
  if (!d) {
    ++malformed_;
    return;
  }
  // Without a TID there are no temporal layers to drop.
  if (!d->has_tid) return;
  layers_.scheme = PacketLayers::Scheme::kVp8;
  layers_.temporal_id = d->tid;
  layers_.starts_picture = d->starts_frame();
  layers_.switch_up_point = d->layer_sync;
  layers_.keyframe = rtp::is_vp8_keyframe_start(packet.payload());
  layers_.has_picture_id = d->has_picture_id;
  layers_.picture_id = d->picture_id;
}

void PacketLayerReader::read_vp9(const rtp::RtpPacket& packet) {
  auto d = rtp::parse_vp9_descriptor(packet.payload());
  if (!d) {
    ++malformed_;
    return;
  }
  if (!d->has_layer_indices) return;
  layers_.scheme = PacketLayers::Scheme::kVp9;
  layers_.spatial_id = d->spatial_id;
  layers_.temporal_id = d->temporal_id;
  layers_.starts_picture = d->begins_layer_frame && d->spatial_id == 0;
  layers_.ends_layer_frame = d->ends_layer_frame;
  layers_.switch_up_point = d->switching_up_point;
  layers_.keyframe = d->starts_keyframe();
  layers_.has_picture_id = d->has_picture_id;
  layers_.picture_id = d->picture_id;
}

void PacketLayerReader::read_av1(const rtp::RtpPacket& packet) {
  auto extension = packet.find_extension(dd_id_);
  if (!extension) return;
  if (!av1_) av1_ = std::make_unique<Av1State>();
  const rtp::DependencyFrame& frame = av1_->frame;
  const auto error =
      rtp::parse_dependency_descriptor(*extension, av1_->structure, av1_->structure_valid, av1_->frame);
  if (error != rtp::DependencyDescriptorError::kNone) {
    // A structure is lost only when a new one was bad; a frame naming no known template is
    // forwarded unfiltered until the next key frame brings one.
    ++malformed_;
    return;
  }
  layers_.scheme = PacketLayers::Scheme::kAv1;
  layers_.spatial_id = frame.spatial_id;
  layers_.temporal_id = frame.temporal_id;
  layers_.starts_picture = frame.start_of_frame;
  layers_.ends_layer_frame = frame.end_of_frame;
  layers_.keyframe = frame.carries_structure && frame.start_of_frame;
  layers_.has_picture_id = true;
  layers_.picture_id = frame.frame_number;
  layers_.frame = &frame;
  layers_.structure = &av1_->structure;
}

}  // namespace sfu
