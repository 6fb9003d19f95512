// Helpers of the SDP data model (sfu/sdp/sdp.h). Parsing is in sdp_parser.cpp, writing in sdp_writer.cpp.

#include "sfu/sdp/sdp.h"

#include <charconv>

namespace sfu::sdp {
namespace {

bool equals_ignore_case(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace

std::string SdpError::to_string() const {
  if (line == 0) return message;
  return "line " + std::to_string(line) + ": " + message;
}

Error to_error(const SdpError& error, std::string_view context) {
  return Error{ErrorCode::bad_request, std::string(context) + ": " + error.to_string()};
}

std::string_view to_string(MediaKind kind) {
  switch (kind) {
    case MediaKind::kAudio:
      return "audio";
    case MediaKind::kVideo:
      return "video";
    case MediaKind::kApplication:
      return "application";
    case MediaKind::kOther:
      break;
  }
  return "other";
}

std::string_view to_string(Direction direction) {
  switch (direction) {
    case Direction::kSendRecv:
      return "sendrecv";
    case Direction::kSendOnly:
      return "sendonly";
    case Direction::kRecvOnly:
      return "recvonly";
    case Direction::kInactive:
      break;
  }
  return "inactive";
}

std::string_view to_string(SetupRole role) {
  switch (role) {
    case SetupRole::kActpass:
      return "actpass";
    case SetupRole::kActive:
      return "active";
    case SetupRole::kPassive:
      return "passive";
    case SetupRole::kHoldconn:
      return "holdconn";
    case SetupRole::kNone:
      break;
  }
  return "";
}

Direction reversed(Direction direction) {
  switch (direction) {
    case Direction::kSendOnly:
      return Direction::kRecvOnly;
    case Direction::kRecvOnly:
      return Direction::kSendOnly;
    default:
      return direction;
  }
}

bool sends(Direction direction) {
  return direction == Direction::kSendRecv || direction == Direction::kSendOnly;
}
bool receives(Direction direction) {
  return direction == Direction::kSendRecv || direction == Direction::kRecvOnly;
}

const std::string* Codec::fmtp_value(std::string_view key) const {
  for (const auto& param : fmtp) {
    if (equals_ignore_case(param.key, key)) return &param.value;
  }
  return nullptr;
}

bool Codec::is_named(std::string_view codec_name) const { return equals_ignore_case(name, codec_name); }

std::optional<uint8_t> Codec::rtx_apt() const {
  const std::string* apt = fmtp_value("apt");
  if (apt == nullptr || apt->empty()) return std::nullopt;
  unsigned value = 0;
  auto [end, ec] = std::from_chars(apt->data(), apt->data() + apt->size(), value);
  if (ec != std::errc() || end != apt->data() + apt->size() || value > 127) return std::nullopt;
  return static_cast<uint8_t>(value);
}

bool MediaSection::is_rtp() const { return protocol.find("RTP/") != std::string::npos; }

const Codec* MediaSection::find_codec(uint8_t payload_type) const {
  for (const auto& codec : codecs) {
    if (codec.payload_type == payload_type) return &codec;
  }
  return nullptr;
}

const Extmap* MediaSection::find_extmap(std::string_view uri) const {
  for (const auto& extmap : extmaps) {
    if (extmap.uri == uri) return &extmap;
  }
  return nullptr;
}

const SsrcGroup* MediaSection::find_ssrc_group(std::string_view semantics) const {
  for (const auto& group : ssrc_groups) {
    if (equals_ignore_case(group.semantics, semantics)) return &group;
  }
  return nullptr;
}

const SsrcDescription* MediaSection::find_ssrc(uint32_t ssrc) const {
  for (const auto& description : ssrcs) {
    if (description.ssrc == ssrc) return &description;
  }
  return nullptr;
}

const Group* SessionDescription::find_group(std::string_view semantics) const {
  for (const auto& group : groups) {
    if (equals_ignore_case(group.semantics, semantics)) return &group;
  }
  return nullptr;
}

const MediaSection* SessionDescription::find_media(std::string_view mid) const {
  for (const auto& section : media) {
    if (section.mid == mid) return &section;
  }
  return nullptr;
}

}  // namespace sfu::sdp
