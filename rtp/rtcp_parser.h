// Typed views of RTCP packets: SR, RR, SDES, BYE (RFC 3550), generic NACK and PLI (RFC 4585),
// FIR (RFC 5104), REMB (draft-alvestrand-rmcat-remb) and transport-wide congestion control
// feedback (draft-holmer-rmcat-transport-wide-cc-extensions-01).
//
// Each parse_* function takes a header from RtcpCompoundIterator and returns nullopt when the
// packet is of another type or malformed. The views point into the caller's buffer; lists are
// decoded lazily, so nothing is allocated or copied.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string_view>

#include "base/bytes.h"
#include "rtp/rtcp_packet.h"

namespace sfu::rtp {

// RFC 3550 section 6.4.1 reception report block.
struct ReportBlock {
  static constexpr size_t kSize = 24;

  uint32_t ssrc = 0;
  uint8_t fraction_lost = 0;    // fixed point, lost / expected * 256
  int32_t cumulative_lost = 0;  // 24-bit signed on the wire (duplicates can make it negative)
  uint32_t extended_highest_sequence = 0;
  uint32_t jitter = 0;               // in RTP timestamp units
  uint32_t last_sr = 0;              // middle 32 bits of the last SR's NTP timestamp
  uint32_t delay_since_last_sr = 0;  // in 1/65536 seconds

  static ReportBlock decode(const uint8_t* p);
  // Writes 24 bytes; cumulative_lost is clamped to the 24-bit signed range.
  void encode(uint8_t* p) const;
  bool operator==(const ReportBlock&) const = default;
};

struct SenderInfo {
  uint32_t ssrc = 0;
  uint64_t ntp_timestamp = 0;  // 32.32 fixed-point seconds since 1900
  uint32_t rtp_timestamp = 0;
  uint32_t packet_count = 0;
  uint32_t octet_count = 0;
  bool operator==(const SenderInfo&) const = default;
};

struct SenderReport {
  SenderInfo info;
  RtcpRecordList<ReportBlock> report_blocks;
  ByteSpan profile_extension;  // bytes after the report blocks, if any
};

struct ReceiverReport {
  uint32_t sender_ssrc = 0;
  RtcpRecordList<ReportBlock> report_blocks;
  ByteSpan profile_extension;
};

enum class SdesItemType : uint8_t {
  kEnd = 0,
  kCname = 1,
  kName = 2,
  kEmail = 3,
  kPhone = 4,
  kLocation = 5,
  kTool = 6,
  kNote = 7,
  kPriv = 8,
};

struct SdesItem {
  uint32_t ssrc = 0;  // of the chunk the item belongs to
  uint8_t type = 0;
  std::string_view text;
};

// Walks the items of every chunk of a validated SDES packet.
class SdesItemReader {
 public:
  SdesItemReader() = default;
  SdesItemReader(ByteSpan body, uint8_t chunk_count) : body_(body), chunks_left_(chunk_count) {}
  bool next(SdesItem& out);
  // True when the walk stopped at an item or chunk that runs past the body.
  bool malformed() const { return malformed_; }

 private:
  ByteSpan body_;
  size_t position_ = 0;
  uint8_t chunks_left_ = 0;
  bool in_chunk_ = false;
  bool malformed_ = false;
  uint32_t ssrc_ = 0;
};

struct Sdes {
  uint8_t chunk_count = 0;
  ByteSpan body;

  SdesItemReader items() const { return {body, chunk_count}; }
  // The CNAME of `ssrc`, or of the first chunk that has one when `ssrc` is nullopt.
  std::optional<std::string_view> cname(std::optional<uint32_t> ssrc = std::nullopt) const;
};

struct Bye {
  RtcpRecordList<uint32_t> ssrcs;
  std::string_view reason;  // empty when absent
};

// RFC 4585 section 6.2.1: a lost packet id and a bitmask of the 16 following ones.
struct NackItem {
  static constexpr size_t kSize = 4;

  uint16_t packet_id = 0;
  uint16_t lost_bitmask = 0;  // bit i set: packet_id + i + 1 is lost too

  static NackItem decode(const uint8_t* p) { return {load_be16(p), load_be16(p + 2)}; }
  bool operator==(const NackItem&) const = default;
};

struct GenericNack {
  uint32_t sender_ssrc = 0;
  uint32_t media_ssrc = 0;
  RtcpRecordList<NackItem> items;

  // Number of sequence numbers the items name (duplicates across items counted twice).
  size_t lost_count() const;
  // Writes the lost sequence numbers in item order into `out`; returns how many were written
  // (at most out.size()).
  size_t lost_sequence_numbers(std::span<uint16_t> out) const;
  template <typename F>  // F: void(uint16_t sequence_number)
  void for_each_lost(F&& f) const {
    for (const NackItem item : items) {
      f(item.packet_id);
      for (int bit = 0; bit < 16; ++bit) {
        if (item.lost_bitmask & (1u << bit)) f(static_cast<uint16_t>(item.packet_id + bit + 1));
      }
    }
  }
};

struct Pli {
  uint32_t sender_ssrc = 0;
  uint32_t media_ssrc = 0;
};

// RFC 5104 section 4.3.1.1.
struct FirEntry {
  static constexpr size_t kSize = 8;

  uint32_t ssrc = 0;
  uint8_t sequence_number = 0;

  static FirEntry decode(const uint8_t* p) { return {load_be32(p), p[4]}; }
  bool operator==(const FirEntry&) const = default;
};

struct Fir {
  uint32_t sender_ssrc = 0;
  uint32_t media_ssrc = 0;  // unused by RFC 5104, normally 0
  RtcpRecordList<FirEntry> entries;
};

struct Remb {
  uint32_t sender_ssrc = 0;
  // mantissa * 2^exponent; saturates at UINT64_MAX for the few encodings that exceed 64 bits.
  uint64_t bitrate_bps = 0;
  RtcpRecordList<uint32_t> ssrcs;
};

// One packet of transport-cc feedback, as decoded by TransportCc::decode().
struct TransportCcPacketStatus {
  uint16_t sequence_number = 0;
  bool received = false;
  // Arrival time relative to the previous received packet of the feedback (to the reference time
  // for the first one), a multiple of 250 us. 0 for packets not received.
  int32_t delta_us = 0;
  bool operator==(const TransportCcPacketStatus&) const = default;
};

struct TransportCc {
  static constexpr int64_t kReferenceTimeUnitUs = 64000;
  static constexpr int32_t kDeltaUnitUs = 250;

  uint32_t sender_ssrc = 0;
  uint32_t media_ssrc = 0;
  uint16_t base_sequence = 0;
  uint16_t status_count = 0;
  int32_t reference_time = 0;  // 24-bit signed, in units of 64 ms
  uint8_t feedback_count = 0;
  uint16_t received_count = 0;
  ByteSpan chunks_and_deltas;  // everything after the fixed FCI fields, padding excluded

  int64_t reference_time_us() const { return reference_time * kReferenceTimeUnitUs; }
  // Writes min(status_count, out.size()) entries, in sequence order, and returns that number.
  size_t decode(std::span<TransportCcPacketStatus> out) const;
};

std::optional<SenderReport> parse_sender_report(const RtcpHeader& header);
std::optional<ReceiverReport> parse_receiver_report(const RtcpHeader& header);
std::optional<Sdes> parse_sdes(const RtcpHeader& header);
std::optional<Bye> parse_bye(const RtcpHeader& header);
std::optional<GenericNack> parse_generic_nack(const RtcpHeader& header);
std::optional<Pli> parse_pli(const RtcpHeader& header);
std::optional<Fir> parse_fir(const RtcpHeader& header);
std::optional<Remb> parse_remb(const RtcpHeader& header);
std::optional<TransportCc> parse_transport_cc(const RtcpHeader& header);

// What a packet is, from its type, format and (for application feedback) the REMB identifier, to
// pick the parse function without trying them all. Does not validate the body.
enum class RtcpMessageKind : uint8_t {
  kSenderReport,
  kReceiverReport,
  kSdes,
  kBye,
  kGenericNack,
  kTransportCc,
  kPli,
  kFir,
  kRemb,
  kOther,
};
RtcpMessageKind classify_rtcp(const RtcpHeader& header);

}  // namespace sfu::rtp
