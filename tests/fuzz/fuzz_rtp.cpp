// RTP header parsing, extension walking and the in-place rewrites the forwarder does.
#include <array>
#include <cstdint>
#include <vector>

#include "rtp/keyframe_detector.h"
#include "rtp/rtp_packet.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> buffer(data, data + size);
  auto packet = sfu::rtp::RtpPacket::parse(sfu::MutableByteSpan(buffer));
  if (!packet) return 0;
  for (const auto& extension : packet->extensions()) (void)extension;
  packet->mid(4);
  packet->audio_level(1);
  packet->transport_sequence_number(3);
  std::array<uint8_t, 256> map{};
  for (size_t i = 0; i < map.size(); ++i) map[i] = static_cast<uint8_t>((i * 7) & 0xFF);
  packet->remap_extension_ids(map);
  for (auto codec : {sfu::rtp::VideoCodec::VP8, sfu::rtp::VideoCodec::VP9, sfu::rtp::VideoCodec::H264,
                     sfu::rtp::VideoCodec::AV1})
    sfu::rtp::is_keyframe_start(codec, packet->payload());
  std::vector<uint8_t> rtx(size + 64);
  sfu::rtp::build_rtx(*packet, 97, 1234, 1, rtx);
  return 0;
}
