#include "dtls/dcep.h"

#include <algorithm>
#include <cstdint>
#include <utility>

namespace sfu::dtls {
namespace {

using DcepResult = std::variant<DcepMessage, DcepError>;

// DATA_CHANNEL_OPEN (RFC 8832 §5.1): type (1), channel type (1), priority (2), reliability
// parameter (4), label length (2), protocol length (2), then label and protocol.
constexpr size_t kOpenHeaderSize = 12;

std::optional<SctpReliability> reliability_of(uint8_t channel_type, uint32_t parameter) {
  SctpReliability reliability;
  reliability.ordered = (channel_type & 0x80) == 0;
  switch (static_cast<DcepChannelType>(channel_type)) {
    case DcepChannelType::kReliable:
    case DcepChannelType::kReliableUnordered:
      reliability.kind = SctpReliability::Kind::kReliable;
      reliability.value = 0;  // RFC 8832 §5.1: ignored for reliable channels
      return reliability;
    case DcepChannelType::kPartialReliableRexmit:
    case DcepChannelType::kPartialReliableRexmitUnordered:
      reliability.kind = SctpReliability::Kind::kMaxRetransmits;
      reliability.value = parameter;
      return reliability;
    case DcepChannelType::kPartialReliableTimed:
    case DcepChannelType::kPartialReliableTimedUnordered:
      reliability.kind = SctpReliability::Kind::kMaxLifetimeMs;
      reliability.value = parameter;
      return reliability;
  }
  return std::nullopt;
}

uint8_t channel_type_of(const SctpReliability& reliability) {
  uint8_t type = 0x00;
  if (reliability.kind == SctpReliability::Kind::kMaxRetransmits) type = 0x01;
  if (reliability.kind == SctpReliability::Kind::kMaxLifetimeMs) type = 0x02;
  return reliability.ordered ? type : static_cast<uint8_t>(type | 0x80);
}

DcepResult parse_open(ByteSpan message, const DcepLimits& limits) {
  if (message.size() < kOpenHeaderSize) return DcepError::kTruncated;
  const uint8_t* p = message.data();
  std::optional<SctpReliability> reliability = reliability_of(p[1], load_be32(p + 4));
  if (!reliability) return DcepError::kUnknownChannelType;
  size_t label_length = load_be16(p + 8);
  size_t protocol_length = load_be16(p + 10);
  if (label_length > limits.max_label_bytes) return DcepError::kLabelTooLong;
  if (protocol_length > limits.max_protocol_bytes) return DcepError::kProtocolTooLong;
  size_t declared = kOpenHeaderSize + label_length + protocol_length;
  if (message.size() < declared) return DcepError::kTruncated;
  if (message.size() > declared) return DcepError::kTrailingBytes;
  // Built in place: moving a DcepOpen through the nested variants trips GCC 12's
  // -Wmaybe-uninitialized under ASan.
  DcepResult result(std::in_place_index<0>, std::in_place_type<DcepOpen>);
  auto& open = std::get<DcepOpen>(std::get<DcepMessage>(result));
  open.reliability = *reliability;
  open.priority = load_be16(p + 2);
  const auto* text = reinterpret_cast<const char*>(p + kOpenHeaderSize);
  open.label.assign(text, label_length);
  open.protocol.assign(text + label_length, protocol_length);
  return result;
}

}  // namespace

const char* dcep_error_name(DcepError error) {
  switch (error) {
    case DcepError::kTruncated:
      return "truncated";
    case DcepError::kUnknownType:
      return "unknown_type";
    case DcepError::kUnknownChannelType:
      return "unknown_channel_type";
    case DcepError::kLabelTooLong:
      return "label_too_long";
    case DcepError::kProtocolTooLong:
      return "protocol_too_long";
    case DcepError::kTrailingBytes:
      return "trailing_bytes";
  }
  return "unknown";
}

std::variant<DcepMessage, DcepError> parse_dcep(ByteSpan message, const DcepLimits& limits) {
  if (message.empty()) return DcepError::kTruncated;
  switch (message[0]) {
    case static_cast<uint8_t>(DcepMessageType::kOpen):
      return parse_open(message, limits);
    case static_cast<uint8_t>(DcepMessageType::kAck):
      // RFC 8832 §5.2: the ACK is the type byte alone.
      if (message.size() > 1) return DcepError::kTrailingBytes;
      return DcepResult(std::in_place_index<0>, std::in_place_type<DcepAck>);
    default:
      return DcepError::kUnknownType;
  }
}

std::vector<uint8_t> serialize_dcep_open(const DcepOpen& open) {
  // Lengths are 16-bit on the wire; longer strings are cut (callers keep to DcepLimits).
  size_t label_length = std::min<size_t>(open.label.size(), UINT16_MAX);
  size_t protocol_length = std::min<size_t>(open.protocol.size(), UINT16_MAX);
  std::vector<uint8_t> out(kOpenHeaderSize + label_length + protocol_length);
  uint8_t* p = out.data();
  p[0] = static_cast<uint8_t>(DcepMessageType::kOpen);
  p[1] = channel_type_of(open.reliability);
  store_be16(p + 2, open.priority);
  store_be32(p + 4, open.reliability.reliable() ? 0 : open.reliability.value);
  store_be16(p + 8, static_cast<uint16_t>(label_length));
  store_be16(p + 10, static_cast<uint16_t>(protocol_length));
  std::copy_n(open.label.data(), label_length, p + kOpenHeaderSize);
  std::copy_n(open.protocol.data(), protocol_length, p + kOpenHeaderSize + label_length);
  return out;
}

std::vector<uint8_t> serialize_dcep_ack() { return {static_cast<uint8_t>(DcepMessageType::kAck)}; }

}  // namespace sfu::dtls
