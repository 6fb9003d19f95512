#include "bench/client/simulcast_video.h"

#include <openssl/rand.h>

#include <algorithm>

#include "rtp/rtp_packet.h"

namespace sfu::client {
namespace {

constexpr uint32_t kFps = 30;
constexpr uint32_t kTimestampStep = 90000 / kFps;
constexpr uint64_t kKeyframeIntervalFrames = kFps;
constexpr size_t kPayloadSize = 600;
constexpr const char* kRids[SimulcastVideo::kMaxLayers] = {"q", "h", "f"};
constexpr uint16_t kWidths[SimulcastVideo::kMaxLayers] = {160, 320, 640};
constexpr uint16_t kHeights[SimulcastVideo::kMaxLayers] = {120, 240, 480};

template <typename T>
T random_nonzero() {
  T value{};
  while (value == T{}) RAND_bytes(reinterpret_cast<uint8_t*>(&value), sizeof(value));
  return value;
}

}  // namespace

SimulcastVideo::SimulcastVideo(size_t layers, ExtensionIds ids) : ids_(ids) {
  for (size_t i = 0; i < layers && i < kMaxLayers; ++i) {
    Layer layer;
    layer.rid = kRids[i];
    layer.ssrc = random_nonzero<uint32_t>();
    layer.sequence = random_nonzero<uint16_t>();
    layer.timestamp = random_nonzero<uint32_t>();
    layer.picture_id = random_nonzero<uint16_t>() & 0x7FFF;
    layer.tl0_pic_idx = random_nonzero<uint8_t>();
    layer.width = kWidths[i];
    layer.height = kHeights[i];
    layers_.push_back(layer);
  }
}

std::vector<std::string> SimulcastVideo::rids() const {
  std::vector<std::string> out;
  for (const auto& layer : layers_) out.push_back(layer.rid);
  return out;
}

bool SimulcastVideo::on_keyframe_request(uint32_t media_ssrc) {
  for (auto& layer : layers_) {
    if (layer.ssrc != media_ssrc) continue;
    layer.keyframe_requested = true;
    ++layer.plis;
    return true;
  }
  return false;
}

std::optional<uint8_t> SimulcastVideo::layer_of(ByteSpan payload) {
  if (payload.size() < 3) return std::nullopt;
  const uint8_t* end = payload.data() + payload.size();
  if (end[-3] != kLayerTag0 || end[-2] != kLayerTag1 || end[-1] >= kMaxLayers) return std::nullopt;
  return end[-1];
}

size_t SimulcastVideo::build_packet(Layer& layer, size_t layer_index, bool keyframe, bool first, bool last,
                                    uint64_t now_ms, uint16_t transport_sequence, size_t payload_size,
                                    MutableByteSpan out) {
  std::array<uint8_t, 1500> scratch{};
  if (payload_size < kMinPayloadSize || payload_size > scratch.size()) return 0;
  MutableByteSpan payload(scratch.data(), payload_size);
  size_t at = 0;
  // VP8 payload descriptor (RFC 7741): X, S on the frame's first packet, PID 0; I (15-bit picture
  // id), L (TL0PICIDX), T (TID 0, Y).
  payload[at++] = first ? 0x90 : 0x80;
  payload[at++] = 0xE0;
  payload[at++] = static_cast<uint8_t>(0x80 | (layer.picture_id >> 8));
  payload[at++] = static_cast<uint8_t>(layer.picture_id & 0xFF);
  payload[at++] = layer.tl0_pic_idx;
  payload[at++] = 0x20;
  if (first) {
    // VP8 frame tag: P=0 for a key frame, show_frame; key frames add the start code and size.
    payload[at++] = keyframe ? 0x10 : 0x11;
    payload[at++] = 0x02;
    payload[at++] = 0x00;
    if (keyframe) {
      for (uint8_t byte :
           {uint8_t{0x9D}, uint8_t{0x01}, uint8_t{0x2A}, static_cast<uint8_t>(layer.width & 0xFF),
            static_cast<uint8_t>(layer.width >> 8), static_cast<uint8_t>(layer.height & 0xFF),
            static_cast<uint8_t>(layer.height >> 8)})
        payload[at++] = byte;
    }
  }
  for (size_t i = at; i < payload.size() - 3; ++i) payload[i] = static_cast<uint8_t>(layer.sequence + i);
  payload[payload.size() - 3] = kLayerTag0;
  payload[payload.size() - 2] = kLayerTag1;
  payload[payload.size() - 1] = static_cast<uint8_t>(layer_index);

  auto abs_send_time = static_cast<uint32_t>(((now_ms << 18) / 1000) & 0xFFFFFF);
  const uint8_t abs[3] = {static_cast<uint8_t>(abs_send_time >> 16), static_cast<uint8_t>(abs_send_time >> 8),
                          static_cast<uint8_t>(abs_send_time)};
  const uint8_t twcc[2] = {static_cast<uint8_t>(transport_sequence >> 8),
                           static_cast<uint8_t>(transport_sequence)};
  const uint8_t mid[] = {'1'};
  rtp::HeaderExtension extensions[] = {
      {ids_.abs_send_time, ByteSpan(abs, 3)},
      {ids_.transport_cc, ByteSpan(twcc, 2)},
      {ids_.mid, ByteSpan(mid, 1)},
      {ids_.rid, ByteSpan(reinterpret_cast<const uint8_t*>(layer.rid.data()), layer.rid.size())}};
  rtp::RtpHeaderFields fields;
  fields.marker = last;
  fields.payload_type = 96;
  fields.sequence_number = layer.sequence;
  fields.timestamp = layer.timestamp;
  fields.ssrc = layer.ssrc;
  size_t size = rtp::build_rtp_packet(fields, extensions, payload, 0, out);
  if (size > 0) ++layer.sequence;  // a packet that did not fit takes no sequence number
  return size;
}

void SimulcastVideo::end_frame(Layer& layer) {
  layer.timestamp += kTimestampStep;
  layer.picture_id = static_cast<uint16_t>((layer.picture_id + 1) & 0x7FFF);
  ++layer.tl0_pic_idx;
  ++layer.frames;
}

SimulcastVideo::BuiltPacket SimulcastVideo::build_next(size_t layer_index, size_t packets_per_frame,
                                                       size_t payload_size, uint64_t now_ms,
                                                       uint16_t transport_sequence, MutableByteSpan out) {
  BuiltPacket built;
  if (layer_index >= layers_.size()) return built;
  Layer& layer = layers_[layer_index];
  packets_per_frame = std::max<size_t>(1, packets_per_frame);
  const bool first = layer.frame_packet == 0;
  if (first) {
    layer.frame_keyframe = layer.keyframe_requested || layer.frames % kKeyframeIntervalFrames == 0;
    layer.keyframe_requested = false;
  }
  const bool last = layer.frame_packet + 1 >= packets_per_frame;
  built.size = build_packet(layer, layer_index, layer.frame_keyframe, first, last, now_ms, transport_sequence,
                            payload_size, out);
  if (built.size == 0) return built;
  built.payload_size = payload_size;
  built.payload_offset = built.size - payload_size;
  built.keyframe_start = first && layer.frame_keyframe;
  if (built.keyframe_start) ++layer.keyframes;
  ++layer.packets;
  if (last) {
    end_frame(layer);
    layer.frame_packet = 0;
  } else {
    ++layer.frame_packet;
  }
  return built;
}

void SimulcastVideo::send_frame(uint64_t now_ms, uint16_t& transport_sequence,
                                const std::function<bool(ByteSpan)>& send) {
  for (size_t index = 0; index < layers_.size(); ++index) {
    Layer& layer = layers_[index];
    const bool keyframe = layer.keyframe_requested || layer.frames % kKeyframeIntervalFrames == 0;
    layer.keyframe_requested = false;
    const size_t packets = index + 1;
    for (size_t p = 0; p < packets; ++p) {
      size_t size = build_packet(layer, index, keyframe, p == 0, p + 1 == packets, now_ms,
                                 transport_sequence++, kPayloadSize, MutableByteSpan(buffer_));
      if (size > 0 && send(ByteSpan(buffer_.data(), size))) ++layer.packets;
    }
    end_frame(layer);
    if (keyframe) ++layer.keyframes;
  }
}

}  // namespace sfu::client
