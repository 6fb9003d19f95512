#include "sfu/media/packet_layers.h"

#include <algorithm>

#include "rtp/vp8_descriptor.h"
#include "rtp/vp9_descriptor.h"
#include "sfu/media/layer_for_size.h"

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
    case rtp::VideoCodec::H264:
      // H.264's payload names no layers; with the descriptor negotiated, libwebrtc describes its
      // temporal layers (L1T2, L1T3) there exactly as AV1's.
      if (dd_id_ != 0) read_dependency_descriptor(packet);
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
  if (d->has_scalability && d->has_resolutions)
    note_sizes(size_t{d->spatial_layers}, d->widths.data(), d->heights.data());
}

void PacketLayerReader::read_dependency_descriptor(const rtp::RtpPacket& packet) {
  auto extension = packet.find_extension(dd_id_);
  if (!extension) return;
  if (!descriptor_) descriptor_ = std::make_unique<DescriptorState>();
  const rtp::DependencyFrame& frame = descriptor_->frame;
  const auto error = rtp::parse_dependency_descriptor(*extension, descriptor_->structure,
                                                      descriptor_->structure_valid, descriptor_->frame);
  if (error != rtp::DependencyDescriptorError::kNone) {
    // A structure is lost only when a new one was bad; a frame naming no known template is
    // forwarded unfiltered until the next key frame brings one.
    ++malformed_;
    return;
  }
  layers_.scheme = PacketLayers::Scheme::kDependencyDescriptor;
  layers_.spatial_id = frame.spatial_id;
  layers_.temporal_id = frame.temporal_id;
  layers_.starts_picture = frame.start_of_frame;
  layers_.ends_layer_frame = frame.end_of_frame;
  layers_.keyframe = frame.carries_structure && frame.start_of_frame;
  layers_.has_picture_id = true;
  layers_.picture_id = frame.frame_number;
  layers_.frame = &frame;
  layers_.structure = &descriptor_->structure;
  const rtp::DependencyStructure& structure = descriptor_->structure;
  if (frame.carries_structure && structure.has_resolutions)
    note_sizes(size_t{structure.max_spatial_id} + 1, structure.widths.data(), structure.heights.data());
}

void PacketLayerReader::note_sizes(size_t count, const uint16_t* widths, const uint16_t* heights) {
  count = std::min(count, kMaxSpatialSizes);
  bool same = count == size_count_;
  for (size_t i = 0; same && i < count; ++i) same = widths[i] == widths_[i] && heights[i] == heights_[i];
  if (same) return;
  std::copy_n(widths, count, widths_.begin());
  std::copy_n(heights, count, heights_.begin());
  size_count_ = count;
  ++sizes_generation_;
}

uint8_t PacketLayerReader::spatial_layer_for_frame_size(uint16_t max_width, uint16_t max_height) const {
  if (size_count_ == 0 || (max_width == 0 && max_height == 0)) return kNoSpatialCap;
  return lowest_layer_covering(static_cast<uint8_t>(size_count_), max_width, max_height, [&](uint8_t i) {
    return std::optional<rtp::FrameSize>(rtp::FrameSize{widths_[i], heights_[i]});
  });
}

}  // namespace sfu
