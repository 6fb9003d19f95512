#include "rtp/transport_sequence_stamp.h"

#include <cstring>
#include <optional>

#include "rtp/rtp_packet.h"

namespace sfu::rtp {
namespace {

constexpr size_t kBlockHeaderSize = 4;  // profile + length in 32-bit words
constexpr uint8_t kMaxOneByteId = 14;

// The offset (within the block) of a run of at least `needed` padding bytes, walking the block's
// elements as RFC 8285 lays them out (the packet was parsed, so every element fits).
std::optional<size_t> find_padding_run(ByteSpan block, bool one_byte, size_t needed) {
  size_t run_start = 0;
  size_t run = 0;
  size_t i = 0;
  while (i < block.size()) {
    const uint8_t first = block[i];
    if (first == 0) {
      if (run == 0) run_start = i;
      if (++run >= needed) return run_start;
      ++i;
      continue;
    }
    run = 0;
    if (one_byte) {
      if ((first >> 4) == 15) return std::nullopt;  // the rest of the block is not to be read
      i += 2 + (first & 0x0F);
    } else {
      if (i + 1 >= block.size()) return std::nullopt;
      i += 2 + block[i + 1];
    }
  }
  return std::nullopt;
}

void write_element(uint8_t* at, bool one_byte, uint8_t id, uint16_t sequence) {
  if (one_byte) {
    at[0] = static_cast<uint8_t>(id << 4 | 1);  // length field is size - 1
    store_be16(at + 1, sequence);
  } else {
    at[0] = id;
    at[1] = 2;
    store_be16(at + 2, sequence);
  }
}

// Opens `gap` bytes at `offset` of the packet by moving what follows back.
bool open_gap(MutableByteSpan buffer, size_t size, size_t offset, size_t gap) {
  if (buffer.size() < size + gap) return false;
  std::memmove(buffer.data() + offset + gap, buffer.data() + offset, size - offset);
  std::memset(buffer.data() + offset, 0, gap);
  return true;
}

}  // namespace

size_t stamp_transport_sequence(MutableByteSpan buffer, size_t size, uint8_t id, uint16_t sequence) {
  if (id == 0 || size > buffer.size()) return 0;
  auto packet = RtpPacket::parse(buffer.first(size));
  if (!packet) return 0;
  if (auto existing = packet->find_mutable_extension(id)) {
    if (existing->size() != 2) return 0;
    store_be16(existing->data(), sequence);
    return size;
  }
  const HeaderExtensionForm form = packet->extension_form();
  uint8_t* data = buffer.data();
  if (form == HeaderExtensionForm::kNone) {
    // A new block of one word: header, element, padding.
    const bool one_byte = id <= kMaxOneByteId;
    const size_t offset = RtpPacket::kFixedHeaderSize + 4 * size_t{packet->csrc_count()};
    if (!open_gap(buffer, size, offset, kBlockHeaderSize + 4)) return 0;
    store_be16(data + offset, one_byte ? RtpPacket::kOneByteProfile : RtpPacket::kTwoByteProfile);
    store_be16(data + offset + 2, 1);
    write_element(data + offset + kBlockHeaderSize, one_byte, id, sequence);
    data[0] |= 0x10;  // X bit
    return size + kBlockHeaderSize + 4;
  }
  if (form == HeaderExtensionForm::kOther) return 0;
  const bool one_byte = form == HeaderExtensionForm::kOneByte;
  if (one_byte && id > kMaxOneByteId) return 0;
  const ByteSpan block = packet->extension_data();
  const size_t block_offset = static_cast<size_t>(block.data() - data);
  if (auto gap = find_padding_run(block, one_byte, one_byte ? 3 : 4)) {
    write_element(data + block_offset + *gap, one_byte, id, sequence);
    return size;
  }
  // Append a word at the block's end; its length field grows by one.
  const size_t block_end = block_offset + block.size();
  const size_t words = block.size() / 4 + 1;
  if (words > 0xFFFF || !open_gap(buffer, size, block_end, 4)) return 0;
  store_be16(data + block_offset - 2, static_cast<uint16_t>(words));
  write_element(data + block_end, one_byte, id, sequence);
  return size + 4;
}

}  // namespace sfu::rtp
