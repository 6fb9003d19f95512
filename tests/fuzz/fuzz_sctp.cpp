// Data channel intake: DCEP parsing, and SCTP packets into the server side of a real usrsctp pair
// (a DataChannelEndpoint in the DTLS server role, as the SFU runs it; its peer is a bare
// SctpAssociation, so the input can send any DCEP message, PPID and stream).
//
// Input: byte 0 bit 0 = connect the pair before the records (else the records meet the handshake);
// then records of [op][length, 2 bytes little-endian][length bytes]:
//   0 parse the bytes as DCEP (an OPEN must survive serialize and parse unchanged);
//   1 the bytes as a raw SCTP packet to the server;
//   2 the bytes as the chunks of a packet with a valid common header (ports, the verification tag
//     the server expects, CRC32c) to the server;
//   3 the peer's next queued packet, byte [2] XORed in at offset [0,1], CRC32c fixed, to the server;
//   4 pump both ways until quiet;
//   5 the peer sends a message: stream [0] % 16, PPID chosen by [1], [2] bit 0 unordered, bit 1 no
//     retransmissions; the rest is the payload;
//   6 time passes: usrsctp's timers run for [0] x 10 ms;
//   7 the server acts, by [0] % 3: opens a channel labelled with the rest, sends the rest on
//     stream [1], closes stream [1].
// Checks: the server never holds more channels than its limit, never reports a message on a channel
// it does not have or larger than its max_message_size, never a label or protocol over the DCEP
// limits; on_data_channels_closed at most once.
//
// SFU_FUZZ_WRITE_SEEDS=<dir> writes this target's seed corpus there and exits;
// tests/fuzz/corpus/fuzz_sctp was made that way.
#include <usrsctp.h>
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <fstream>
#include <memory>
#include <string>
#include <variant>
#include <vector>

#include "dtls/data_channel_endpoint.h"
#include "dtls/dcep.h"
#include "dtls/sctp_stack.h"

namespace {

using sfu::ByteSpan;
using sfu::dtls::DataChannelEndpoint;
using sfu::dtls::DataChannelInfo;
using sfu::dtls::SctpAssociation;
using sfu::dtls::SctpPpid;
using sfu::dtls::SctpReliability;
using Bytes = std::vector<uint8_t>;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "\n== FUZZ FINDING: %s\n", what);
  std::abort();
}

// CRC32c (Castagnoli), as SCTP puts it in its common header (RFC 4960 Appendix B).
uint32_t crc32c(ByteSpan bytes) {
  uint32_t crc = 0xFFFFFFFF;
  for (uint8_t byte : bytes) {
    crc ^= byte;
    for (int bit = 0; bit < 8; ++bit) crc = (crc >> 1) ^ (0x82F63B78 & (0u - (crc & 1)));
  }
  return ~crc;
}

void fix_checksum(Bytes& packet) {
  if (packet.size() < 12) return;
  packet[8] = packet[9] = packet[10] = packet[11] = 0;
  uint32_t crc = crc32c(packet);
  for (int i = 0; i < 4; ++i) packet[8 + i] = static_cast<uint8_t>(crc >> (8 * i));
}

// The thread's loop and mailbox, made once: usrsctp and the mailbox outlive every input.
struct Runtime {
  uv_loop_t loop{};
  std::unique_ptr<sfu::dtls::SctpMailbox> mailbox;
  Runtime() {
    uv_loop_init(&loop);
    mailbox = std::make_unique<sfu::dtls::SctpMailbox>(&loop);
  }
};

Runtime& runtime() {
  static auto* instance = new Runtime;
  return *instance;
}

constexpr size_t kMaxChannels = 8;

struct ServerSide : DataChannelEndpoint::Observer {
  std::deque<Bytes> outbox;
  int closed_calls = 0;
  std::unique_ptr<DataChannelEndpoint> endpoint;

  void send_data_packet(ByteSpan packet) override { outbox.emplace_back(packet.begin(), packet.end()); }
  void on_channel_opened(const DataChannelInfo& channel) override {
    if (endpoint->channel_count() > kMaxChannels) fail("more channels than the limit");
    if (channel.label.size() > 1024 || channel.protocol.size() > 1024)
      fail("label or protocol over the limit");
    if (endpoint->channel(channel.id) == nullptr) fail("opened channel not found");
  }
  void on_channel_message(const DataChannelInfo& channel, bool, ByteSpan message) override {
    if (endpoint->channel(channel.id) == nullptr) fail("message on a channel the endpoint does not have");
    if (message.size() > sfu::dtls::SctpOptions{}.max_message_size) fail("message over max_message_size");
  }
  void on_channel_closed(const DataChannelInfo&) override {}
  void on_data_channels_closed(std::string_view) override {
    if (++closed_calls > 1) fail("on_data_channels_closed twice");
  }
};

struct PeerSide : SctpAssociation::Observer {
  std::deque<Bytes> outbox;
  void send_sctp_packet(ByteSpan packet) override { outbox.emplace_back(packet.begin(), packet.end()); }
  void on_sctp_connected() override {}
  void on_sctp_message(uint16_t, SctpPpid, ByteSpan) override {}
  void on_sctp_stream_reset(uint16_t) override {}
  void on_sctp_closed(std::string_view) override {}
};

struct Pair {
  ServerSide server;
  PeerSide peer;
  std::unique_ptr<SctpAssociation> association;  // the peer's
  Bytes last_peer_header;                        // common header of the peer's last packet

  Pair() {
    sfu::dtls::DataChannelLimits limits;
    limits.max_channels = kMaxChannels;
    server.endpoint =
        std::make_unique<DataChannelEndpoint>(*runtime().mailbox, server, sfu::dtls::SctpOptions{},
                                              /*is_dtls_client=*/false, limits);
    association = std::make_unique<SctpAssociation>(*runtime().mailbox, peer, sfu::dtls::SctpOptions{});
  }
  ~Pair() {
    association.reset();
    server.endpoint.reset();
    settle();
  }

  void to_server(const Bytes& packet) {
    if (packet.size() >= 12) last_peer_header.assign(packet.begin(), packet.begin() + 12);
    server.endpoint->handle_packet(packet);
  }

  void pump() {
    for (int round = 0; round < 50; ++round) {
      uv_run(&runtime().loop, UV_RUN_NOWAIT);
      if (server.outbox.empty() && peer.outbox.empty()) return;
      std::deque<Bytes> from_peer;
      from_peer.swap(peer.outbox);
      for (const Bytes& packet : from_peer) to_server(packet);
      std::deque<Bytes> from_server;
      from_server.swap(server.outbox);
      for (const Bytes& packet : from_server) association->handle_packet(packet);
    }
  }

  void connect() {
    association->connect();
    server.endpoint->connect();
    pump();
    if (!server.endpoint->ready()) fail("setup: the pair did not connect");
  }

  // Lets usrsctp free what the input's associations left (its kill timers).
  static void settle() {
    for (int i = 0; i < 5; ++i) usrsctp_handle_timers(100);
    uv_run(&runtime().loop, UV_RUN_NOWAIT);
  }
};

struct Reader {
  const uint8_t* data;
  size_t size;
  size_t offset;
  bool next(uint8_t& op, ByteSpan& bytes) {
    if (offset + 3 > size) return false;
    op = data[offset];
    size_t length = data[offset + 1] | (data[offset + 2] << 8);
    offset += 3;
    if (length > size - offset) length = size - offset;
    bytes = ByteSpan(data + offset, length);
    offset += length;
    return true;
  }
};

void check_dcep(ByteSpan bytes) {
  auto parsed = sfu::dtls::parse_dcep(bytes);
  const auto* message = std::get_if<sfu::dtls::DcepMessage>(&parsed);
  if (message == nullptr) return;
  const auto* open = std::get_if<sfu::dtls::DcepOpen>(message);
  if (open == nullptr) return;
  auto again = sfu::dtls::parse_dcep(sfu::dtls::serialize_dcep_open(*open));
  const auto* reparsed = std::get_if<sfu::dtls::DcepMessage>(&again);
  const auto* reopen = reparsed != nullptr ? std::get_if<sfu::dtls::DcepOpen>(reparsed) : nullptr;
  if (reopen == nullptr || reopen->label != open->label || reopen->protocol != open->protocol ||
      reopen->priority != open->priority || reopen->reliability.kind != open->reliability.kind ||
      reopen->reliability.ordered != open->reliability.ordered ||
      reopen->reliability.value != open->reliability.value) {
    fail("DCEP OPEN changed through serialize and parse");
  }
}

void crafted_packet(Pair& pair, ByteSpan chunks) {
  Bytes packet = pair.last_peer_header;
  if (packet.size() != 12) packet = {0x13, 0x88, 0x13, 0x88, 0, 0, 0, 0, 0, 0, 0, 0};
  packet.insert(packet.end(), chunks.begin(), chunks.end());
  fix_checksum(packet);
  pair.to_server(packet);
}

void mutated_packet(Pair& pair, ByteSpan bytes) {
  if (pair.peer.outbox.empty()) return;
  Bytes packet = std::move(pair.peer.outbox.front());
  pair.peer.outbox.pop_front();
  if (bytes.size() >= 3 && !packet.empty()) {
    size_t offset = (bytes[0] | (bytes[1] << 8)) % packet.size();
    packet[offset] ^= bytes[2];
  }
  fix_checksum(packet);
  pair.to_server(packet);
}

void peer_sends(Pair& pair, ByteSpan bytes) {
  if (bytes.size() < 3) return;
  static constexpr uint32_t kPpids[] = {50, 51, 53, 56, 57, 52, 54, 0};
  uint32_t ppid = bytes[1] < 8 ? kPpids[bytes[1]] : bytes[1];
  SctpReliability reliability;
  reliability.ordered = (bytes[2] & 1) == 0;
  if ((bytes[2] & 2) != 0) reliability.kind = SctpReliability::Kind::kMaxRetransmits;
  pair.association->send(bytes[0] % 16, static_cast<SctpPpid>(ppid), bytes.subspan(3), reliability);
}

void server_acts(Pair& pair, ByteSpan bytes) {
  if (bytes.size() < 2) return;
  DataChannelEndpoint& endpoint = *pair.server.endpoint;
  uint16_t stream = bytes[1] % 16;
  ByteSpan rest = bytes.subspan(2);
  switch (bytes[0] % 3) {
    case 0:
      endpoint.open_channel(std::string(rest.begin(), rest.end()), "", {});
      break;
    case 1:
      endpoint.send(stream, (bytes[0] & 4) != 0, rest);
      break;
    default:
      endpoint.close_channel(stream);
      break;
  }
}

void run_record(Pair& pair, uint8_t op, ByteSpan bytes) {
  switch (op % 8) {
    case 0:
      check_dcep(bytes);
      break;
    case 1:
      pair.to_server(Bytes(bytes.begin(), bytes.end()));
      break;
    case 2:
      crafted_packet(pair, bytes);
      break;
    case 3:
      mutated_packet(pair, bytes);
      break;
    case 4:
      pair.pump();
      break;
    case 5:
      peer_sends(pair, bytes);
      break;
    case 6:
      usrsctp_handle_timers(10u * (bytes.empty() ? 1 : bytes[0]) + 1);
      uv_run(&runtime().loop, UV_RUN_NOWAIT);
      break;
    default:
      server_acts(pair, bytes);
      break;
  }
}

void add_record(Bytes& seed, uint8_t op, const Bytes& bytes) {
  seed.push_back(op);
  seed.push_back(static_cast<uint8_t>(bytes.size()));
  seed.push_back(static_cast<uint8_t>(bytes.size() >> 8));
  seed.insert(seed.end(), bytes.begin(), bytes.end());
}

void write_seed(const std::string& dir, const char* name, const Bytes& seed) {
  std::ofstream(dir + "/" + name, std::ios::binary)
      .write(reinterpret_cast<const char*>(seed.data()), static_cast<std::streamsize>(seed.size()));
}

Bytes dcep_open(uint8_t type, const std::string& label) {
  sfu::dtls::DcepOpen open;
  open.reliability.ordered = (type & 0x80) == 0;
  if ((type & 3) == 1) open.reliability.kind = SctpReliability::Kind::kMaxRetransmits;
  if ((type & 3) == 2) open.reliability.kind = SctpReliability::Kind::kMaxLifetimeMs;
  open.reliability.value = (type & 3) != 0 ? 3 : 0;
  open.label = label;
  return sfu::dtls::serialize_dcep_open(open);
}

Bytes with_prefix(Bytes prefix, const Bytes& rest) {
  prefix.insert(prefix.end(), rest.begin(), rest.end());
  return prefix;
}

void write_seeds(const std::string& dir) {
  Bytes seed = {0x01};  // connected: open channels in-band, talk, close
  add_record(seed, 5, with_prefix({0, 0, 0}, dcep_open(0x00, "chat")));
  add_record(seed, 4, {});
  add_record(seed, 5, with_prefix({0, 1, 0}, {'h', 'i'}));
  add_record(seed, 5, with_prefix({0, 4, 0}, {0}));
  add_record(seed, 5, with_prefix({2, 0, 0}, dcep_open(0x81, "lossy")));
  add_record(seed, 5, with_prefix({2, 2, 3}, Bytes(3000, 7)));
  add_record(seed, 7, with_prefix({0, 0}, {'s', 'r', 'v'}));
  add_record(seed, 4, {});
  add_record(seed, 7, {2, 0});
  add_record(seed, 4, {});
  add_record(seed, 6, {50});
  write_seed(dir, "channels", seed);

  seed = {0x01};  // refusals: wrong parity, bad DCEP, duplicate, over the limit, unknown stream
  add_record(seed, 5, with_prefix({1, 0, 0}, dcep_open(0x00, "odd")));
  add_record(seed, 5, with_prefix({4, 0, 0}, {0x03, 0x00, 0x01, 0x00, 0, 0, 0, 0, 0xFF, 0xFF}));
  add_record(seed, 5, with_prefix({6, 0, 0}, dcep_open(0x00, "a")));
  add_record(seed, 5, with_prefix({6, 0, 0}, dcep_open(0x00, "a")));
  for (uint8_t stream = 8; stream < 16 + 8; stream += 2) {
    add_record(seed, 5, with_prefix({stream, 0, 0}, dcep_open(0x02, "many")));
  }
  add_record(seed, 5, with_prefix({10, 1, 0}, {'x'}));
  add_record(seed, 4, {});
  write_seed(dir, "refusals", seed);

  seed = {0x01};  // DCEP parsing alone
  add_record(seed, 0, dcep_open(0x82, "label"));
  add_record(seed, 0, {0x02});
  add_record(seed, 0, {0x03, 0x00, 0x01, 0x00, 0, 0, 0, 0, 0xFF, 0xFF});
  add_record(seed, 0, {0x07});
  write_seed(dir, "dcep", seed);

  seed = {0x00};  // the handshake, mutated on the way
  add_record(seed, 4, {});
  add_record(seed, 3, {4, 0, 0xFF});
  add_record(seed, 3, {20, 0, 0x01});
  add_record(seed, 4, {});
  add_record(seed, 6, {100});
  add_record(seed, 4, {});
  write_seed(dir, "handshake", seed);

  seed = {0x01};  // chunks behind a valid header: DATA, SACK, FORWARD-TSN, RE-CONFIG, ABORT, SHUTDOWN
  add_record(seed, 2, {0x00, 0x03, 0x00, 0x14, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 51, 'a', 'b', 'c', 'd'});
  add_record(seed, 2, {0x03, 0x00, 0x00, 0x10, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0});
  add_record(seed, 2, {0xC0, 0x00, 0x00, 0x0C, 0x7F, 0xFF, 0xFF, 0xFF, 0, 1, 0, 5});
  add_record(seed, 2,
             {0x82, 0x00, 0x00, 0x16, 0x00, 0x0D, 0x00, 0x12, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
  add_record(seed, 2, {0x07, 0x00, 0x00, 0x08, 0, 0, 0, 0});
  add_record(seed, 2, {0x06, 0x00, 0x00, 0x04});
  add_record(seed, 4, {});
  write_seed(dir, "chunks", seed);

  seed = {0x01};  // garbage
  add_record(seed, 1, Bytes(40, 0xAB));
  add_record(seed, 1, {0x13, 0x88, 0x13, 0x88});
  add_record(seed, 1, {});
  write_seed(dir, "garbage", seed);
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = std::getenv("SFU_FUZZ_WRITE_SEEDS")) {
    write_seeds(dir);
    std::exit(0);
  }
  runtime();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  Pair pair;
  if ((data[0] & 1) != 0) pair.connect();
  Reader reader{data, size, 1};
  uint8_t op = 0;
  ByteSpan bytes;
  for (int records = 0; records < 256 && reader.next(op, bytes); ++records) run_record(pair, op, bytes);
  return 0;
}
