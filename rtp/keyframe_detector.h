// Recognises the first RTP packet of a keyframe from its payload, so that a new subscriber (or a
// switch of simulcast/SVC layer) can start forwarding at a picture the decoder can use alone.
//
// Each function looks only at the payload (RtpPacket::payload(), padding excluded), reads nothing
// past it, allocates nothing, and returns false for anything truncated or malformed.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/bytes.h"

namespace sfu::rtp {

enum class VideoCodec : uint8_t { VP8, VP9, H264, AV1, Unknown };

// The SDP encoding name (a=rtpmap), case-insensitive, with or without a "video/" prefix as in a
// MIME type. "AV1X", the name early Chrome versions used, also means AV1.
VideoCodec video_codec_from_name(std::string_view name);
const char* to_string(VideoCodec codec);

bool is_keyframe_start(VideoCodec codec, ByteSpan payload);

// VP8 (RFC 7741): a payload descriptor with S=1 and PID=0 (the start of partition 0), followed by
// a VP8 frame tag with P=0 (key frame) and the key frame start code 9d 01 2a (RFC 6386 section
// 9.1), whose 10 bytes must all be present.
bool is_vp8_keyframe_start(ByteSpan payload);

// VP9 (RFC 9628): B=1 (start of a layer frame) and P=0 (not inter-picture predicted), and, when
// layer indices are present, spatial layer 0 (higher spatial layers of a keyframe only predict
// from the layer below, and start no decodable picture). The whole descriptor (picture ID, layer
// indices, TL0PICIDX in non-flexible mode, reference indices in flexible mode and the scalability
// structure) must be present and be followed by some payload.
bool is_vp9_keyframe_start(ByteSpan payload);

// H.264 (RFC 6184) in packetization modes 0 and 1: a single NAL unit packet of type 5 (IDR slice)
// or 7 (SPS); a well-formed STAP-A (24) aggregating one of them; or the first fragment (S=1) of an
// FU-A (28) of one of them. Packets with the forbidden_zero bit set are refused. Every slice of an
// IDR picture sent as its own packet is reported; browsers send SPS and PPS in a STAP-A (or single
// packets) before the IDR, so the first packet reported is where a decoder can start.
bool is_h264_keyframe_start(ByteSpan payload);

// AV1 (AOMedia "RTP Payload Format for AV1", section 4.4): the aggregation header's N bit, set on
// the first packet of a coded video sequence, with Z=0 (it cannot continue an earlier OBU). The
// OBU elements must be well-formed: LEB128 lengths within the payload, no empty element, and a
// first OBU header with the forbidden bit clear.
bool is_av1_keyframe_start(ByteSpan payload);

}  // namespace sfu::rtp
