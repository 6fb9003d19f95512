// The forwarding path allocates nothing per packet: parsing, reception statistics, NACK
// bookkeeping, the retransmission buffer, keyframe detection and the per-subscriber rewrite run
// here under a counting operator new, alone and then through the Router and its RTCP features into
// counting sinks; and the whole path with SRTP (the OpenSSL backend) on both ends, where OpenSSL's
// own allocations are counted too (CRYPTO_set_mem_functions). The libsrtp2 backend is not covered:
// Debian builds it on NSS, which allocates per packet (see the README's Performance section).
#include <gtest/gtest.h>

// GCC cannot see that these replacements pair malloc with free throughout.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include <openssl/crypto.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

#include "rtp/keyframe_detector.h"
#include "rtp/rtcp_builder.h"
#include "rtp/rtp_packet.h"
#include "rtp/srtp_session.h"
#include "rtp/transport_cc_recorder.h"
#include "sfu/media/down_track.h"
#include "sfu/media/pacer.h"
#include "sfu/media/participant.h"
#include "sfu/media/published_track.h"
#include "sfu/media/router.h"
#include "sfu/media/transport_bandwidth_estimator.h"
#include "tests/unit/media/cross_worker_test_support.h"
#include "tests/unit/media/media_test_support.h"

namespace {
std::atomic<uint64_t> g_allocations{0};
std::atomic<uint64_t> g_allocated_bytes{0};

// OpenSSL's allocations, counted through its own hook. It must be installed before libcrypto's
// first allocation, so at static initialization; hooked says whether that worked.
std::atomic<uint64_t> g_crypto_allocations{0};
void* count_crypto_malloc(size_t size, const char*, int) {
  g_crypto_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::malloc(size);
}
void* count_crypto_realloc(void* p, size_t size, const char*, int) {
  g_crypto_allocations.fetch_add(1, std::memory_order_relaxed);
  return std::realloc(p, size);
}
void crypto_free(void* p, const char*, int) { std::free(p); }
const bool g_crypto_hooked =
    CRYPTO_set_mem_functions(count_crypto_malloc, count_crypto_realloc, crypto_free) == 1;
}  // namespace

// Counting replacements for the global allocation functions of this test binary.
void* operator new(std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  g_allocated_bytes.fetch_add(size, std::memory_order_relaxed);
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t size) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  g_allocated_bytes.fetch_add(size, std::memory_order_relaxed);
  if (void* p = std::malloc(size ? size : 1)) return p;
  throw std::bad_alloc();
}
// The nothrow forms too (std::get_temporary_buffer uses them), so every new meets our delete.
void* operator new(std::size_t size, const std::nothrow_t&) noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  g_allocated_bytes.fetch_add(size, std::memory_order_relaxed);
  return std::malloc(size ? size : 1);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  g_allocated_bytes.fetch_add(size, std::memory_order_relaxed);
  return std::malloc(size ? size : 1);
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

using namespace sfu;

// Audit row 8: publishing is cheap until media flows. A track published and never fed (eight per
// participant, by the thousand, cost 768 KB each when the buffer came with the track).
TEST(HotPath, PublishingASilentVideoTrackAllocatesNoPacketBuffer) {
  Participant publisher;
  test::FakeMediaSink feedback;
  uint64_t before = g_allocated_bytes.load();
  PublishedTrack& track = test::add_track(publisher, feedback, sdp::MediaKind::kVideo, 1234, 1235);
  uint64_t bytes = g_allocated_bytes.load() - before;
  EXPECT_LT(bytes, 4096u) << "bytes allocated to publish one silent video track";
  std::vector<uint8_t> packet = test::make_rtp(1234, test::kVp8Pt, 1, 0, test::kVp8Keyframe);
  before = g_allocated_bytes.load();
  track.on_packet(test::view(packet), 1000);
  EXPECT_GT(g_allocated_bytes.load() - before, 100u * 1500u) << "its first packet brings the buffer";
}

TEST(HotPath, ForwardingOnePacketToManySubscribersAllocatesNothing) {
  Participant publisher;
  test::FakeMediaSink feedback_sink, sink;
  std::vector<std::unique_ptr<Participant>> subscribers;
  PublishedTrackSpec spec;
  spec.id = "video";
  spec.mid = "1";
  spec.kind = sdp::MediaKind::kVideo;
  spec.ssrc = 1234;
  sdp::Codec vp8;
  vp8.payload_type = 96;
  vp8.name = "VP8";
  vp8.clock_rate = 90000;
  spec.codecs = {vp8};
  spec.extensions.abs_send_time = 2;
  PublishedTrack track(publisher, feedback_sink, spec);
  std::vector<std::unique_ptr<DownTrack>> downs;
  for (int i = 0; i < 20; ++i) {
    subscribers.push_back(std::make_unique<Participant>());
    downs.push_back(std::make_unique<DownTrack>(track, *subscribers.back(), sink, "m", 5000 + i, 6000 + i));
    downs.back()->map_payload_type(96, 100, 101);
    downs.back()->map_extension(2, 2);
    downs.back()->set_active(true);
  }
  // A 1,200-byte VP8 keyframe packet with an abs-send-time extension.
  std::vector<uint8_t> payload(1180, 0x55);
  const uint8_t keyframe[] = {0x10, 0x10, 0x02, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0xe0, 0x01};
  std::copy(std::begin(keyframe), std::end(keyframe), payload.begin());
  std::array<uint8_t, 3> abs = {1, 2, 3};
  std::array<rtp::HeaderExtension, 1> extensions = {rtp::HeaderExtension{2, abs}};
  std::vector<uint8_t> packet(1500), out(2048), scratch(2048);
  rtp::RtpHeaderFields fields;
  fields.payload_type = 96;
  fields.ssrc = 1234;

  // The track's first packet allocates its retransmission buffer and NACK state, once per track
  // (audit row 8: not at publish time); from the second packet on nothing allocates.
  uint64_t before = 0;
  uint64_t forwarded = 0;
  for (uint16_t seq = 0; seq < 2000; ++seq) {
    if (seq == 1) before = g_allocations.load();
    fields.sequence_number = seq;
    fields.timestamp = seq / 3 * 3000u;
    size_t size = rtp::build_rtp_packet(fields, extensions, payload, 0, packet);
    ASSERT_GT(size, 0u);
    auto view = rtp::RtpPacket::parse(MutableByteSpan(packet.data(), size));
    ASSERT_TRUE(view);
    track.on_packet(*view, 1000 + seq);
    bool key = rtp::is_keyframe_start(rtp::VideoCodec::VP8, view->payload());
    for (auto& down : downs) forwarded += down->rewrite(*view, key, out) > 0 ? 1 : 0;
    if (seq % 10 == 0) {
      // A NACK answer: the stored packet, rewritten and wrapped as RTX.
      auto stored = track.stored_packet(seq, 1000 + seq);
      ASSERT_TRUE(stored);
      std::copy(stored->begin(), stored->end(), scratch.begin());
      auto again = rtp::RtpPacket::parse(MutableByteSpan(scratch.data(), stored->size()));
      ASSERT_TRUE(again);
      std::vector<uint8_t>& rtx_scratch = packet;  // reused: the packet was already forwarded
      EXPECT_GT(downs[0]->rewrite_retransmission(*again, rtx_scratch, out), 0u);
    }
  }
  uint64_t allocations = g_allocations.load() - before;
  EXPECT_EQ(forwarded, 2000u * 20u);
  EXPECT_EQ(allocations, 0u) << "allocations on the forwarding path for " << forwarded
                             << " forwarded packets";
}

// Audio RED (RFC 2198) to subscribers that take it as it is, with other payload types (the
// blocks' payload types rewritten) and Opus only (the primary moved in place): nothing allocates.
TEST(HotPath, ForwardingAudioRedAllocatesNothing) {
  Participant publisher;
  test::FakeMediaSink feedback_sink, sink;
  PublishedTrackSpec spec;
  spec.id = "audio";
  spec.mid = "0";
  spec.kind = sdp::MediaKind::kAudio;
  spec.ssrc = 4321;
  sdp::Codec red, opus;
  red.payload_type = 63;
  red.name = "red";
  red.clock_rate = 48000;
  red.channels = 2;
  red.fmtp = {{"111/111", ""}};
  opus.payload_type = 111;
  opus.name = "opus";
  opus.clock_rate = 48000;
  opus.channels = 2;
  spec.codecs = {red, opus};
  spec.red_payload_type = 63;
  spec.red_primary_payload_type = 111;
  PublishedTrack track(publisher, feedback_sink, spec);
  std::vector<std::unique_ptr<Participant>> subscribers;
  std::vector<std::unique_ptr<DownTrack>> downs;
  for (int i = 0; i < 3; ++i) {
    subscribers.push_back(std::make_unique<Participant>());
    downs.push_back(std::make_unique<DownTrack>(track, *subscribers.back(), sink, "m", 5000 + i, 0));
    downs.back()->set_active(true);
  }
  downs[0]->map_payload_type(63, 63, 0);
  downs[0]->map_payload_type(111, 111, 0);
  downs[1]->map_payload_type(63, 100, 0);
  downs[1]->map_payload_type(111, 101, 0);
  downs[2]->map_payload_type(111, 109, 0);
  // Two redundant blocks of 60 bytes and a 60-byte primary.
  std::vector<uint8_t> payload = {0x80 | 111, 0x1E, 0x00, 60, 0x80 | 111, 0x0F, 0x00, 60, 111};
  payload.resize(payload.size() + 180, 0x42);
  std::vector<uint8_t> packet(1500), out(2048);
  rtp::RtpHeaderFields fields;
  fields.payload_type = 63;
  fields.ssrc = 4321;
  uint64_t before = 0;
  uint64_t forwarded = 0;
  for (uint16_t seq = 0; seq < 2000; ++seq) {
    if (seq == 1) before = g_allocations.load();
    fields.sequence_number = seq;
    fields.timestamp = seq * 960u;
    size_t size = rtp::build_rtp_packet(fields, {}, payload, 0, packet);
    ASSERT_GT(size, 0u);
    auto view = rtp::RtpPacket::parse(MutableByteSpan(packet.data(), size));
    ASSERT_TRUE(view);
    track.on_packet(*view, 1000 + seq);
    for (auto& down : downs) forwarded += down->rewrite(*view, false, out) > 0 ? 1 : 0;
  }
  EXPECT_EQ(forwarded, 2000u * 3u);
  EXPECT_EQ(g_allocations.load() - before, 0u) << "allocations forwarding RED";
}

namespace {

// Counts what it is given and keeps nothing: the recording FakeMediaSink would allocate itself.
class CountingSink final : public MediaSink {
 public:
  bool ready() const override { return true; }
  MutableByteSpan acquire_send() override { return slot_; }
  bool commit_rtp(MutableByteSpan, size_t) override { return ++rtp, true; }
  bool send_rtcp(ByteSpan) override { return ++rtcp, true; }
  uint64_t rtp = 0, rtcp = 0;

 private:
  std::array<uint8_t, 1500> slot_{};
};

}  // namespace

TEST(HotPath, RouterFanOutNackAnswersAndReportsThroughSinksAllocateNothing) {
  DropCounters drops;
  RouterCounters counters;
  Router router(drops, counters);
  Participant publisher;
  CountingSink feedback;
  PublishedTrack& track = test::add_track(publisher, feedback, sdp::MediaKind::kVideo, 1234, 1235);
  std::vector<std::unique_ptr<Participant>> subscribers;
  std::vector<std::unique_ptr<CountingSink>> sinks;
  for (int i = 0; i < 20; ++i) {
    subscribers.push_back(std::make_unique<Participant>());
    sinks.push_back(std::make_unique<CountingSink>());
    test::add_down_track(track, *subscribers.back(), *sinks.back(), 5000 + i, 6000 + i);
  }
  std::vector<uint8_t> payload(1180, 0x55);
  std::copy(test::kVp8Keyframe.begin(), test::kVp8Keyframe.end(), payload.begin());
  std::vector<uint8_t> packet(1500), rtcp(1500);
  rtp::RtpHeaderFields fields;
  fields.payload_type = test::kVp8Pt;
  fields.ssrc = 1234;
  rtp::SenderInfo sr;
  sr.ssrc = 1234;

  // 1,000 packets a second. The first packet allocates the track's retransmission buffer and
  // NACK state, and the timer grows the buffer once after a second of measured rate (audit row
  // 8): one-off allocations per track, made during the first 1,100 packets. After that nothing
  // allocates.
  constexpr uint16_t kWarmup = 1100, kPackets = 3100;
  uint64_t before = 0;
  for (uint16_t seq = 0; seq < kPackets; ++seq) {
    if (seq == kWarmup) before = g_allocations.load();
    fields.sequence_number = seq;
    fields.timestamp = seq / 3 * 3000u;
    size_t size = rtp::build_rtp_packet(fields, {}, payload, 0, packet);
    router.on_publisher_rtp(publisher, packet.data(), size, 1000 + seq);
    if (seq % 10 == 0) {
      // Subscriber 0 NACKs the packet just sent (in its own space: to_source_sequence(0) is minus
      // its offset), twice (the repeat is refused as a duplicate); the publisher reports its
      // clock; the timers run.
      const uint16_t nacked[] = {
          static_cast<uint16_t>(seq - subscribers[0]->down_tracks[0]->to_source_sequence(0))};
      size_t nack = rtp::build_generic_nack(1, 5000, nacked, rtcp);
      router.on_subscriber_rtcp(*subscribers[0], rtcp.data(), nack, 1000 + seq);
      router.on_subscriber_rtcp(*subscribers[0], rtcp.data(), nack, 1000 + seq);
      sr.rtp_timestamp = fields.timestamp;
      size_t report = rtp::build_sender_report(sr, {}, rtcp);
      router.on_publisher_rtcp(publisher, rtcp.data(), report, 1000 + seq);
      router.on_fast_timer(publisher, 1000 + seq);
    }
  }
  uint64_t allocations = g_allocations.load() - before;
  EXPECT_EQ(track.retransmission_capacity(), 1024u) << "grown to a second of packets during the warm-up";
  EXPECT_EQ(sinks[19]->rtp, kPackets);
  EXPECT_EQ(counters.retransmissions_sent.load(), kPackets / 10u);
  EXPECT_EQ(counters.retransmissions_duplicate.load(), kPackets / 10u);
  EXPECT_EQ(counters.sender_reports_sent.load(), kPackets / 10u * 20u);
  EXPECT_EQ(allocations, 0u) << "allocations in Router for " << counters.rtp_forwarded.load()
                             << " forwarded packets";
}

namespace {

// The transport's half of a subscriber: protects what the router commits, as WebRtcTransport does
// (in place, in the slot), and counts it.
class SrtpSink final : public MediaSink {
 public:
  explicit SrtpSink(ByteSpan key)
      : session_(rtp::SrtpSession::create(rtp::SrtpBackend::OpenSsl, rtp::SrtpProfile::AeadAes128Gcm, key,
                                          rtp::SrtpSession::Direction::Outbound)) {}
  bool ready() const override { return session_ != nullptr; }
  MutableByteSpan acquire_send() override { return slot_; }
  bool commit_rtp(MutableByteSpan slot, size_t size) override {
    if (session_->protect_rtp(slot.data(), size, slot.size()) != rtp::SrtpError::Ok) return false;
    return ++rtp, true;
  }
  bool send_rtcp(ByteSpan packet) override {
    std::copy(packet.begin(), packet.end(), slot_.begin());
    size_t size = packet.size();
    if (session_->protect_rtcp(slot_.data(), size, slot_.size()) != rtp::SrtpError::Ok) return false;
    return ++rtcp, true;
  }
  uint64_t rtp = 0, rtcp = 0;

 private:
  std::unique_ptr<rtp::SrtpSession> session_;
  std::array<uint8_t, 1500> slot_{};
};

// One end of a connection as the browser has it (protects what it sends) and as the server has it
// (unprotects what arrives), keyed alike.
struct SrtpLink {
  explicit SrtpLink(ByteSpan key)
      : browser(rtp::SrtpSession::create(rtp::SrtpBackend::OpenSsl, rtp::SrtpProfile::AeadAes128Gcm, key,
                                         rtp::SrtpSession::Direction::Outbound)),
        server(rtp::SrtpSession::create(rtp::SrtpBackend::OpenSsl, rtp::SrtpProfile::AeadAes128Gcm, key,
                                        rtp::SrtpSession::Direction::Inbound)) {}
  // Protects buf[0, size) as the browser sends it, then unprotects it as the server receives it.
  size_t send(std::vector<uint8_t>& buf, size_t size, bool rtcp) {
    if (rtcp ? browser->protect_rtcp(buf.data(), size, buf.size()) != rtp::SrtpError::Ok
             : browser->protect_rtp(buf.data(), size, buf.size()) != rtp::SrtpError::Ok)
      return 0;
    rtp::SrtpError error =
        rtcp ? server->unprotect_rtcp(buf.data(), size) : server->unprotect_rtp(buf.data(), size);
    return error == rtp::SrtpError::Ok ? size : 0;
  }
  std::unique_ptr<rtp::SrtpSession> browser;
  std::unique_ptr<rtp::SrtpSession> server;
};

std::vector<uint8_t> test_key(uint8_t seed) {
  std::vector<uint8_t> key(rtp::srtp_key_salt_length(rtp::SrtpProfile::AeadAes128Gcm));
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(seed * 31 + i);
  return key;
}

// The pacer: its queue is allocated the first time it holds a packet; after that admitting,
// holding (also past a full queue), draining and flushing allocate nothing.
TEST(HotPath, PacingAllocatesNothingAfterItsQueue) {
  Pacer pacer(PacerOptions{.pacing_factor = 2.5, .queue_packets = 32, .max_delay_ms = 500});
  pacer.set_estimate(400'000, 0);
  std::array<uint8_t, 1100> packet{};
  ASSERT_TRUE(pacer.enqueue(MediaClass::kVideo, ByteSpan(packet.data(), packet.size()), 0));
  size_t sent = 0;
  const uint64_t before = g_allocations.load();
  for (int64_t i = 1; i < 20'000; ++i) {
    const int64_t now_us = i * 1000;
    const auto kind =
        i % 7 == 0 ? MediaClass::kRetransmission : (i % 5 == 0 ? MediaClass::kAudio : MediaClass::kVideo);
    // A packet every 10 ms and bursts of 40 every 600 ms, at 125 bytes/ms: the queue fills, drops
    // and drains.
    const int packets = i % 600 == 0 ? 40 : (i % 10 == 0 ? 1 : 0);
    for (int n = 0; n < packets; ++n)
      if (!pacer.admit(kind, packet.size(), now_us))
        pacer.enqueue(kind, ByteSpan(packet.data(), packet.size()), now_us);
    if (i % 5 == 0) pacer.drain(now_us, [&](ByteSpan) { ++sent; });
  }
  EXPECT_EQ(g_allocations.load() - before, 0u) << "allocations in the pacer";
  EXPECT_GT(sent, 0u);
  EXPECT_GT(pacer.stats().paced_packets, 0u);
  EXPECT_GT(pacer.stats().dropped_packets, 0u);
}

}  // namespace

// The whole forwarding path with SRTP on the OpenSSL backend: the publisher's packets and sender
// reports are protected (as the browser would) and unprotected by the server, routed, rewritten and
// protected once per subscriber; subscribers' NACKs arrive as SRTCP and are answered with
// re-protected retransmissions. After each SSRC's first packet, nothing allocates: neither the
// server's code (operator new) nor OpenSSL (its allocation hook).
TEST(HotPath, ForwardingWithSrtpOnTheOpenSslBackendAllocatesNothing) {
  ASSERT_TRUE(g_crypto_hooked) << "OpenSSL allocated before the counting hook was installed";
  DropCounters drops;
  RouterCounters counters;
  Router router(drops, counters);
  Participant publisher;
  SrtpSink feedback(test_key(1));
  SrtpLink publisher_link(test_key(2));
  PublishedTrack& track = test::add_track(publisher, feedback, sdp::MediaKind::kVideo, 1234, 1235);
  std::vector<std::unique_ptr<Participant>> subscribers;
  std::vector<std::unique_ptr<SrtpSink>> sinks;
  std::vector<std::unique_ptr<SrtpLink>> subscriber_links;
  for (int i = 0; i < 20; ++i) {
    subscribers.push_back(std::make_unique<Participant>());
    sinks.push_back(std::make_unique<SrtpSink>(test_key(static_cast<uint8_t>(10 + i))));
    subscriber_links.push_back(std::make_unique<SrtpLink>(test_key(static_cast<uint8_t>(40 + i))));
    test::add_down_track(track, *subscribers.back(), *sinks.back(), 5000 + i, 6000 + i);
  }
  std::vector<uint8_t> payload(1180, 0x55);
  std::copy(test::kVp8Keyframe.begin(), test::kVp8Keyframe.end(), payload.begin());
  std::vector<uint8_t> packet(1500), rtcp(1500);
  rtp::RtpHeaderFields fields;
  fields.payload_type = test::kVp8Pt;
  fields.ssrc = 1234;
  rtp::SenderInfo sr;
  sr.ssrc = 1234;

  // As in the Router test above: the track's one-off allocations happen in the first 1,100
  // packets, and so does the first packet of every SSRC in every SRTP session (its replay state).
  constexpr uint16_t kWarmup = 1100, kPackets = 3100;
  uint64_t before = 0, crypto_before = 0;
  for (uint16_t seq = 0; seq < kPackets; ++seq) {
    if (seq == kWarmup) {
      before = g_allocations.load();
      crypto_before = g_crypto_allocations.load();
    }
    fields.sequence_number = seq;
    fields.timestamp = seq / 3 * 3000u;
    size_t size = publisher_link.send(packet, rtp::build_rtp_packet(fields, {}, payload, 0, packet), false);
    ASSERT_GT(size, 0u) << seq;
    router.on_publisher_rtp(publisher, packet.data(), size, 1000 + seq);
    if (seq % 10 == 0) {
      const uint16_t nacked[] = {
          static_cast<uint16_t>(seq - subscribers[0]->down_tracks[0]->to_source_sequence(0))};
      size_t nack = subscriber_links[0]->send(rtcp, rtp::build_generic_nack(1, 5000, nacked, rtcp), true);
      ASSERT_GT(nack, 0u) << seq;
      router.on_subscriber_rtcp(*subscribers[0], rtcp.data(), nack, 1000 + seq);
      sr.rtp_timestamp = fields.timestamp;
      size_t report = publisher_link.send(rtcp, rtp::build_sender_report(sr, {}, rtcp), true);
      ASSERT_GT(report, 0u) << seq;
      router.on_publisher_rtcp(publisher, rtcp.data(), report, 1000 + seq);
      router.on_fast_timer(publisher, 1000 + seq);
    }
  }
  uint64_t allocations = g_allocations.load() - before;
  uint64_t crypto_allocations = g_crypto_allocations.load() - crypto_before;
  EXPECT_EQ(sinks[19]->rtp, kPackets);
  EXPECT_EQ(counters.retransmissions_sent.load(), kPackets / 10u);
  EXPECT_EQ(sinks[0]->rtp, kPackets + kPackets / 10u) << "every NACK answered, protected again";
  EXPECT_GT(sinks[19]->rtcp, 0u);
  EXPECT_EQ(allocations, 0u) << "operator new on the SRTP forwarding path for "
                             << counters.rtp_forwarded.load() << " forwarded packets";
  EXPECT_EQ(crypto_allocations, 0u) << "OpenSSL allocations on the SRTP forwarding path";
}

// Rooms spanning workers: the publisher's worker hands every packet to the other worker's ring,
// which fans it out to its 20 subscribers; every tenth packet never reaches the other worker, its
// subscriber NACKs it, the NACK crosses back, the publisher's worker answers from its buffer and the
// repair crosses again; sender reports cross too. After the one-off warm-up, nothing allocates.
TEST(HotPath, CrossWorkerHandOverNackRepairsAndReportsAllocateNothing) {
  test::TwoWorkers w;  // before: its tracks' one-off allocations are not counted
  std::vector<std::unique_ptr<Participant>> subscribers;
  std::vector<std::unique_ptr<CountingSink>> sinks;
  for (int i = 0; i < 20; ++i) {
    subscribers.push_back(std::make_unique<Participant>());
    sinks.push_back(std::make_unique<CountingSink>());
    w.subscribe_on_b(*subscribers.back(), *sinks.back(), 5000 + 2 * i);
  }
  std::vector<uint8_t> payload(1180, 0x55);
  std::copy(test::kVp8Keyframe.begin(), test::kVp8Keyframe.end(), payload.begin());
  std::vector<uint8_t> packet(1500), rtcp(1500);
  rtp::RtpHeaderFields fields;
  fields.payload_type = test::kVp8Pt;
  fields.ssrc = test::TwoWorkers::kPublisherSsrc;
  rtp::SenderInfo sr;
  sr.ssrc = test::TwoWorkers::kPublisherSsrc;

  constexpr uint16_t kWarmup = 1100, kPackets = 3100;
  uint64_t before = 0;
  for (uint16_t seq = 0; seq < kPackets; ++seq) {
    if (seq == kWarmup) before = g_allocations.load();
    const uint64_t now = 1000 + seq;
    fields.sequence_number = seq;
    fields.timestamp = seq / 3 * 3000u;
    size_t size = rtp::build_rtp_packet(fields, {}, payload, 0, packet);
    if (seq % 10 == 5) {
      // Lost between the workers: only the publisher's worker has it.
      auto view = rtp::RtpPacket::parse(MutableByteSpan(packet.data(), size));
      w.track->on_packet(*view, now);
      w.a_to_b.wake_consumer();
      w.drain_b(now);
      const uint16_t nacked[] = {
          static_cast<uint16_t>(seq - subscribers[0]->down_tracks[0]->to_source_sequence(0))};
      size_t nack = rtp::build_generic_nack(1, 5000, nacked, rtcp);
      w.b_router.on_subscriber_rtcp(*subscribers[0], rtcp.data(), nack, now);
      w.b_to_a.wake_consumer();
      w.drain_a(now);
      w.drain_b(now);
      continue;
    }
    w.a_router.on_publisher_rtp(w.publisher, packet.data(), size, now);
    w.a_to_b.wake_consumer();
    w.drain_b(now);
    if (seq % 10 == 0) {
      sr.rtp_timestamp = fields.timestamp;
      size_t report = rtp::build_sender_report(sr, {}, rtcp);
      w.a_router.on_publisher_rtcp(w.publisher, rtcp.data(), report, now);
      w.drain_b(now);
      w.a_router.on_fast_timer(w.publisher, now);
      w.b_router.on_fast_timer(w.proxy_participant, now);
    }
  }
  uint64_t allocations = g_allocations.load() - before;
  EXPECT_EQ(sinks[19]->rtp, kPackets) << "every packet, the repaired ones included";
  EXPECT_EQ(w.a_counters.repairs_sent.load(), kPackets / 10u);
  EXPECT_EQ(w.a_counters.dropped_full.load(), 0u);
  EXPECT_EQ(allocations, 0u) << "allocations on the cross-worker path for "
                             << w.b_router_counters.rtp_forwarded.load() << " forwarded packets";
}

// The subscriber's bandwidth estimate: stamping, recording and reading its feedback and REMB
// allocate nothing once the estimator exists (its send history is allocated with it).
TEST(HotPath, BandwidthEstimationAllocatesNothingPerPacketOrFeedback) {
  BweCounters counters;
  net::FlushClock flush_clock;  // the worker's, as in production: send times from its flushes
  TransportBandwidthEstimator bwe(3, counters, &flush_clock);
  auto recorder = std::make_unique<rtp::TransportCcRecorder>();
  std::vector<uint8_t> packet = test::make_rtp(1234, test::kVp8Pt, 1, 0, std::vector<uint8_t>(1100, 7));
  std::array<uint8_t, 2048> slot{};
  std::array<uint8_t, 1500> rtcp{};
  const uint32_t ssrc = 1234;
  const uint64_t before = g_allocations.load();
  for (int64_t i = 0; i < 3000; ++i) {
    const int64_t now_us = i * 2000;
    std::copy(packet.begin(), packet.end(), slot.begin());
    size_t size = bwe.stamp(slot, packet.size());
    bwe.on_queued(size + 10, [now_us] { return now_us; });
    flush_clock.on_flushed(now_us + 100);
    auto sent = rtp::RtpPacket::parse(MutableByteSpan(slot.data(), size));
    recorder->on_packet(*sent->transport_sequence_number(3), static_cast<uint64_t>(now_us + 20'000));
    if (i % 25 == 0) {
      size_t feedback = recorder->build_feedback(1, ssrc, rtcp);
      size_t remb = rtp::build_remb(1, 5'000'000, std::span<const uint32_t>(&ssrc, 1),
                                    MutableByteSpan(rtcp).subspan(feedback));
      bwe.on_rtcp(ByteSpan(rtcp.data(), feedback + remb), now_us + 40'000);
      bwe.on_tick(now_us + 40'000);
    }
  }
  EXPECT_EQ(g_allocations.load() - before, 0u) << "allocations in the bandwidth estimator";
  EXPECT_EQ(counters.feedback_parsed(), 120u);
  EXPECT_EQ(counters.remb(), 120u);
  EXPECT_EQ(counters.unstamped(), 0u);
  EXPECT_GT(bwe.estimator().acknowledged_bps().value_or(0), 4'000'000);  // 1.1 KB every 2 ms
}
