// Record intake of a live server transport: DTLS datagrams into a DtlsTransport in the server
// role before, during and after a real handshake with an in-process client, and SRTP/SRTCP
// packets into the unprotect path keyed from a real handshake.
//
// Input: byte 0 chooses the mode (bits 0-1) and whether the server knows the client's fingerprint
// from the start (bit 2; otherwise only after op 6, as when DTLS arrives before the SDP):
//   mode 0  a fresh server and a started client whose ClientHello waits in its outbox
//   mode 1  a server and client that have completed a real handshake (one per input)
//   mode 2  SRTP with AEAD_AES_128_GCM keys, mode 3 with AES_CM_128_HMAC_SHA1_80 keys (keys from a
//           real handshake at start-up; fresh sessions per input)
// then records of [op][length, 2 bytes little-endian][length bytes]:
//   DTLS modes: 0 a raw datagram to the server (DTLS first bytes only, as the worker's demux);
//     1 the client's next datagram, byte [2] XORed into it at the offset in bytes [0,1];
//     2 time passes ([0,1] ms x 10) and both sides' timers run; 3 the client sends the bytes as
//     application data (queued); 4 pump both ways until quiet; 5 the server closes;
//     6 the server learns the client's fingerprint (odd [0]: a stranger's)
//   SRTP modes: 0 raw bytes into unprotect (RTP or RTCP by the demux's rule);
//     1/2 the bytes as plain RTP/RTCP, protected by the peer's session, byte [2] XORed in at offset
//     [0,1] (0: untouched), then unprotected.
// Checks: a tampered SRTP packet never authenticates and an accepted one decrypts to exactly what
// was protected; the server's application data is only what the client sent, each record once;
// on_connected at most once, with keys of the right length, only for the right fingerprint.
//
// SFU_FUZZ_WRITE_SEEDS=<dir> writes this target's seed corpus there (a real ClientHello among
// them) and exits; tests/fuzz/corpus/fuzz_dtls_srtp was made that way.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dtls/dtls_certificate.h"
#include "dtls/dtls_transport.h"
#include "net/packet_demux.h"
#include "rtp/srtp_session.h"

namespace {

using sfu::ByteSpan;
using sfu::dtls::DtlsRole;
using sfu::dtls::DtlsState;
using sfu::dtls::DtlsTransport;
using sfu::rtp::SrtpProfile;
using sfu::rtp::SrtpSession;
using Bytes = std::vector<uint8_t>;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "\n== FUZZ FINDING: %s\n", what);
  std::abort();
}

struct Certificates {
  std::shared_ptr<sfu::dtls::DtlsCertificate> client, server, stranger;
};

const Certificates& certificates() {
  static const Certificates certs = [] {
    Certificates c{sfu::dtls::DtlsCertificate::generate(), sfu::dtls::DtlsCertificate::generate(),
                   sfu::dtls::DtlsCertificate::generate()};
    if (!c.client || !c.server || !c.stranger) fail("setup: no certificates");
    return c;
  }();
  return certs;
}

// One side of the in-memory wire.
struct Peer {
  Peer(std::shared_ptr<sfu::dtls::DtlsCertificate> certificate, DtlsRole role,
       std::vector<SrtpProfile> profiles = {SrtpProfile::AeadAes128Gcm, SrtpProfile::AesCm128HmacSha1_80}) {
    sfu::dtls::DtlsCallbacks callbacks;
    callbacks.send = [this](ByteSpan datagram) { outbox.emplace_back(datagram.begin(), datagram.end()); };
    callbacks.on_connected = [this](const sfu::dtls::SrtpKeys& k) {
      if (keys) fail("on_connected called twice");
      if (failed) fail("on_connected after on_failed");
      size_t expected = sfu::rtp::srtp_key_salt_length(k.profile);
      if (k.local_key_salt.size() != expected || k.remote_key_salt.size() != expected)
        fail("SRTP keys of the wrong length");
      keys = k;
    };
    callbacks.on_failed = [this](std::string_view) {
      if (failed) fail("on_failed called twice");
      failed = true;
    };
    callbacks.on_application_data = [this](ByteSpan data) {
      received.emplace_back(data.begin(), data.end());
    };
    transport = std::make_unique<DtlsTransport>(std::move(certificate), role, std::move(callbacks),
                                                std::move(profiles));
  }

  std::unique_ptr<DtlsTransport> transport;
  std::deque<Bytes> outbox;
  std::optional<sfu::dtls::SrtpKeys> keys;
  bool failed = false;
  std::vector<Bytes> received;
};

// A server and a client, the client started (its first flight queued).
struct Wire {
  explicit Wire(bool server_knows_client,
                std::vector<SrtpProfile> client_profiles = {SrtpProfile::AeadAes128Gcm,
                                                            SrtpProfile::AesCm128HmacSha1_80})
      : client(certificates().client, DtlsRole::Client, std::move(client_profiles)),
        server(certificates().server, DtlsRole::Server) {
    client.transport->set_remote_fingerprint("sha-256", certificates().server->fingerprint_sha256());
    if (server_knows_client) learn_fingerprint(false);
    server.transport->start(now_ms);
    client.transport->start(now_ms);
  }

  void learn_fingerprint(bool stranger) {
    right_fingerprint = !stranger;
    const auto& cert = stranger ? certificates().stranger : certificates().client;
    server.transport->set_remote_fingerprint("sha-256", cert->fingerprint_sha256());
  }

  void to_server(ByteSpan datagram) {
    // The worker hands the transport only what the demux calls DTLS (RFC 7983).
    if (sfu::net::classify_packet(datagram) != sfu::net::PacketKind::Dtls) return;
    DtlsState before = server.transport->state();
    server.transport->handle_packet(datagram, now_ms);
    check_server(before);
  }

  void check_server(DtlsState before) {
    DtlsState after = server.transport->state();
    if (before == DtlsState::Connected && after == DtlsState::Connecting)
      fail("connected went back to connecting");
    if (server.keys && !right_fingerprint && !connected_before_wrong_fingerprint)
      fail("connected to a peer whose fingerprint does not match");
    // Only what the client sent arrives, each record at most once (DTLS replay protection).
    for (const Bytes& data : server.received) {
      auto it = std::find(sent_by_client.begin(), sent_by_client.end(), data);
      if (it == sent_by_client.end()) fail("application data the client never sent");
      sent_by_client.erase(it);
    }
    server.received.clear();
  }

  void pump() {
    for (int round = 0; round < 32 && (!client.outbox.empty() || !server.outbox.empty()); ++round) {
      std::deque<Bytes> from_client, from_server;
      from_client.swap(client.outbox);
      from_server.swap(server.outbox);
      for (const Bytes& datagram : from_client) to_server(datagram);
      for (const Bytes& datagram : from_server) client.transport->handle_packet(datagram, now_ms);
    }
  }

  void pass_time(uint64_t ms) {
    now_ms += ms;
    DtlsState before = server.transport->state();
    server.transport->handle_timeout(now_ms);
    client.transport->handle_timeout(now_ms);
    check_server(before);
  }

  uint64_t now_ms = 1'000'000;
  bool right_fingerprint = false;
  bool connected_before_wrong_fingerprint = false;
  std::vector<Bytes> sent_by_client;
  Peer client;
  Peer server;
};

// Reads [op][len16][bytes] records.
struct Reader {
  const uint8_t* data;
  size_t size;
  size_t at = 0;

  bool next(uint8_t* op, ByteSpan* payload) {
    if (size - at < 3) return false;
    *op = data[at];
    size_t length = static_cast<size_t>(data[at + 1]) | static_cast<size_t>(data[at + 2]) << 8;
    at += 3;
    length = std::min(length, size - at);
    *payload = ByteSpan(data + at, length);
    at += length;
    return true;
  }
};

size_t mutation_offset(ByteSpan p) { return p.size() >= 2 ? (size_t{p[0]} | size_t{p[1]} << 8) : 0; }
uint8_t mutation_xor(ByteSpan p) { return p.size() >= 3 ? p[2] : 0; }
ByteSpan after_mutation(ByteSpan p) { return p.size() > 3 ? p.subspan(3) : ByteSpan(); }

void run_dtls(Wire& wire, Reader& reader) {
  uint8_t op = 0;
  ByteSpan payload;
  for (int records = 0; records < 64 && reader.next(&op, &payload); ++records) {
    switch (op % 7) {
      case 0:
        wire.to_server(payload);
        break;
      case 1: {
        if (wire.client.outbox.empty()) break;
        Bytes datagram = std::move(wire.client.outbox.front());
        wire.client.outbox.pop_front();
        if (!datagram.empty()) datagram[mutation_offset(payload) % datagram.size()] ^= mutation_xor(payload);
        wire.to_server(datagram);
        break;
      }
      case 2:
        wire.pass_time(10 * mutation_offset(payload));
        break;
      case 3:
        if (wire.client.transport->send_application_data(payload))
          wire.sent_by_client.emplace_back(payload.begin(), payload.end());
        break;
      case 4:
        wire.pump();
        break;
      case 5:
        wire.server.transport->close();
        break;
      default:
        if (wire.server.keys) wire.connected_before_wrong_fingerprint = true;
        wire.learn_fingerprint(!payload.empty() && (payload[0] & 1) != 0);
        break;
    }
  }
}

// SRTP keys from a real handshake, one per profile, made once.
const sfu::dtls::SrtpKeys& handshake_keys(SrtpProfile profile) {
  static std::optional<sfu::dtls::SrtpKeys> cached[2];
  auto& keys = cached[profile == SrtpProfile::AeadAes128Gcm ? 0 : 1];
  if (!keys) {
    Wire wire(true, {profile});
    wire.pump();
    if (!wire.server.keys || !wire.client.keys) fail("setup: the handshake for SRTP keys failed");
    if (wire.server.keys->profile != profile) fail("setup: the wrong SRTP profile was negotiated");
    keys = wire.server.keys;
  }
  return *keys;
}

// Protects `plain` with the peer's session (so it authenticates), optionally tampers with it, and
// checks what the server's unprotect makes of it.
void protect_then_unprotect(SrtpSession& peer_out, SrtpSession& server_in, ByteSpan payload, bool rtcp) {
  ByteSpan plain = after_mutation(payload);
  Bytes buffer(plain.begin(), plain.end());
  buffer.resize(plain.size() + SrtpSession::kMaxRtcpTrailer);
  size_t length = plain.size();
  auto protected_ok = rtcp ? peer_out.protect_rtcp(buffer.data(), length, buffer.size())
                           : peer_out.protect_rtp(buffer.data(), length, buffer.size());
  if (protected_ok != sfu::rtp::SrtpError::Ok || length == 0) return;
  uint8_t flip = mutation_xor(payload);
  buffer[mutation_offset(payload) % length] ^= flip;
  size_t protected_length = length;
  auto result =
      rtcp ? server_in.unprotect_rtcp(buffer.data(), length) : server_in.unprotect_rtp(buffer.data(), length);
  if (result != sfu::rtp::SrtpError::Ok) {
    if (length != protected_length) fail("a failed unprotect changed the length");
    return;
  }
  if (flip != 0) fail("a tampered SRTP/SRTCP packet authenticated");
  if (length != plain.size() || !std::equal(plain.begin(), plain.end(), buffer.begin()))
    fail("an unprotected packet differs from what was protected");
}

void run_srtp(SrtpProfile profile, Reader& reader) {
  const auto& keys = handshake_keys(profile);
  // The server unprotects with its remote key; the client protected with the same bytes (its local).
  auto server_in = SrtpSession::create(profile, keys.remote_key_salt, SrtpSession::Direction::Inbound);
  auto peer_out = SrtpSession::create(profile, keys.remote_key_salt, SrtpSession::Direction::Outbound);
  if (!server_in || !peer_out) fail("setup: SRTP sessions");
  uint8_t op = 0;
  ByteSpan payload;
  for (int records = 0; records < 64 && reader.next(&op, &payload); ++records) {
    if (op % 3 == 0) {
      Bytes buffer(payload.begin(), payload.end());
      size_t length = buffer.size();
      auto kind = sfu::net::classify_packet(payload);
      if (kind == sfu::net::PacketKind::Rtcp)
        server_in->unprotect_rtcp(buffer.data(), length);
      else if (kind == sfu::net::PacketKind::Rtp)
        server_in->unprotect_rtp(buffer.data(), length);
      if (length > payload.size()) fail("unprotect grew a packet");
    } else {
      protect_then_unprotect(*peer_out, *server_in, payload, op % 3 == 2);
    }
  }
}

// ---- seed corpus (SFU_FUZZ_WRITE_SEEDS) ----

void add_record(Bytes& out, uint8_t op, const Bytes& payload) {
  out.push_back(op);
  out.push_back(static_cast<uint8_t>(payload.size() & 0xFF));
  out.push_back(static_cast<uint8_t>(payload.size() >> 8));
  out.insert(out.end(), payload.begin(), payload.end());
}

void write_seed(const std::string& dir, const std::string& name, const Bytes& seed) {
  std::ofstream(dir + "/" + name, std::ios::binary)
      .write(reinterpret_cast<const char*>(seed.data()), static_cast<std::streamsize>(seed.size()));
}

Bytes rtp_plain(uint16_t seq) {
  Bytes p = {0x80, 96,  static_cast<uint8_t>(seq >> 8), static_cast<uint8_t>(seq), 0, 0, 0x10, 0, 0x12, 0x34,
             0x56, 0x78};
  for (int i = 0; i < 40; ++i) p.push_back(static_cast<uint8_t>(i));
  return p;
}

void write_seeds(const std::string& dir) {
  Wire wire(true);
  const Bytes client_hello = wire.client.outbox.front();
  Bytes mutation_none = {0, 0, 0};
  // A real ClientHello as a raw datagram, then the rest of the handshake and some data.
  Bytes seed = {0x04};
  add_record(seed, 0, client_hello);
  write_seed(dir, "client_hello", seed);
  seed = {0x04};
  add_record(seed, 4, {});
  Bytes hello = {0, 0, 0, 'h', 'e', 'l', 'l', 'o'};
  add_record(seed, 3, Bytes(hello.begin() + 3, hello.end()));
  add_record(seed, 4, {});
  write_seed(dir, "handshake_then_data", seed);
  // DTLS before the fingerprint is known, then the fingerprint, then the handshake.
  seed = {0x00};
  add_record(seed, 1, mutation_none);
  add_record(seed, 6, {0});
  add_record(seed, 4, {});
  write_seed(dir, "fingerprint_late", seed);
  // A tampered ClientHello, then timers.
  seed = {0x04};
  add_record(seed, 1, {40, 0, 0x5A});
  add_record(seed, 2, {0xE8, 0x03});
  write_seed(dir, "client_hello_tampered", seed);
  // After a handshake: a ClientHello again (renegotiation is off), data, close.
  seed = {0x05};
  add_record(seed, 0, client_hello);
  add_record(seed, 3, Bytes(hello.begin() + 3, hello.end()));
  add_record(seed, 1, {13, 0, 0x01});
  add_record(seed, 5, {});
  write_seed(dir, "after_handshake", seed);
  // A long conversation: the handshake, data, replays and tampered copies, forged records of each
  // content type in epoch 1, a stranger's ClientHello, timers, then close.
  seed = {0x04};
  add_record(seed, 1, mutation_none);
  add_record(seed, 4, {});
  for (int i = 0; i < 3; ++i) {
    add_record(seed, 3, Bytes(hello.begin() + 3, hello.end()));
    add_record(seed, 1, {static_cast<uint8_t>(20 + i), 0, static_cast<uint8_t>(i)});
  }
  for (uint8_t content_type : {uint8_t{20}, uint8_t{21}, uint8_t{22}, uint8_t{23}}) {
    Bytes forged = {content_type, 0xFE, 0xFD, 0, 1, 0, 0, 0, 0, 0, 9, 0, 40};
    forged.resize(13 + 40, 0xAB);
    add_record(seed, 0, forged);
  }
  add_record(seed, 2, {0x10, 0x27});
  add_record(seed, 0, client_hello);
  add_record(seed, 5, {});
  add_record(seed, 4, {});
  write_seed(dir, "long_conversation", seed);
  // SRTP and SRTCP, untouched and tampered, both profiles.
  for (uint8_t mode : {uint8_t{2}, uint8_t{3}}) {
    seed = {mode};
    Bytes rtp = mutation_none;
    Bytes first = rtp_plain(1);
    rtp.insert(rtp.end(), first.begin(), first.end());
    add_record(seed, 1, rtp);
    Bytes tampered = {20, 0, 0x80};
    Bytes second = rtp_plain(2);
    tampered.insert(tampered.end(), second.begin(), second.end());
    add_record(seed, 1, tampered);
    Bytes rtcp = {0, 0, 0, 0x80, 200, 0, 6, 0x12, 0x34, 0x56, 0x78};
    rtcp.resize(3 + 28, 0);
    add_record(seed, 2, rtcp);
    add_record(seed, 0, rtp_plain(3));
    write_seed(dir, mode == 2 ? "srtp_gcm" : "srtp_aes_cm", seed);
  }
}

}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  if (const char* dir = std::getenv("SFU_FUZZ_WRITE_SEEDS")) {
    write_seeds(dir);
    std::exit(0);
  }
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  Reader reader{data, size, 1};
  uint8_t mode = data[0] & 3;
  bool server_knows_client = (data[0] & 4) != 0;
  if (mode == 2 || mode == 3) {
    run_srtp(mode == 2 ? SrtpProfile::AeadAes128Gcm : SrtpProfile::AesCm128HmacSha1_80, reader);
    return 0;
  }
  Wire wire(server_knows_client || mode == 1);
  if (mode == 1) {
    wire.pump();
    if (!wire.server.keys) fail("the real handshake did not complete");
  }
  run_dtls(wire, reader);
  return 0;
}
