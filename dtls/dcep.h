// The Data Channel Establishment Protocol (RFC 8832): DATA_CHANNEL_OPEN and DATA_CHANNEL_ACK, sent
// with PPID 50 on the stream of the channel they open. Pure functions over byte spans: parsing
// checks every length against the input and against the caller's limits, and never throws.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "base/bytes.h"
#include "dtls/sctp_association.h"

namespace sfu::dtls {

enum class DcepMessageType : uint8_t { kAck = 0x02, kOpen = 0x03 };

// RFC 8832 §5.1 channel types.
enum class DcepChannelType : uint8_t {
  kReliable = 0x00,
  kReliableUnordered = 0x80,
  kPartialReliableRexmit = 0x01,
  kPartialReliableRexmitUnordered = 0x81,
  kPartialReliableTimed = 0x02,
  kPartialReliableTimedUnordered = 0x82,
};

struct DcepOpen {
  SctpReliability reliability;  // from channel type and reliability parameter
  uint16_t priority = 256;      // RFC 8832 §6.4 ("normal" in the W3C API)
  std::string label;
  std::string protocol;
};

struct DcepLimits {
  size_t max_label_bytes = 1024;  // the W3C API refuses labels over 65535 bytes; we take less
  size_t max_protocol_bytes = 1024;
};

enum class DcepError : uint8_t {
  kTruncated,           // shorter than its fixed header or its declared lengths
  kUnknownType,         // neither OPEN nor ACK
  kUnknownChannelType,  // OPEN with a channel type RFC 8832 does not define
  kLabelTooLong,
  kProtocolTooLong,
  kTrailingBytes,  // more bytes than the header declares
};
const char* dcep_error_name(DcepError error);

struct DcepAck {};
using DcepMessage = std::variant<DcepOpen, DcepAck>;

std::variant<DcepMessage, DcepError> parse_dcep(ByteSpan message, const DcepLimits& limits = {});
std::vector<uint8_t> serialize_dcep_open(const DcepOpen& open);
std::vector<uint8_t> serialize_dcep_ack();

}  // namespace sfu::dtls
