// Two clients built from the project's own layers (ICE controlling, DTLS client, SRTP) connect to a
// real worker over loopback UDP. With a minimal route between their transports, RTP protected by
// client A arrives at client B decrypted with a byte-identical payload.
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <mutex>
#include <thread>

#include "bench/client/webrtc_client.h"
#include "dtls/dtls_certificate.h"
#include "rtp/rtp_packet.h"
#include "sfu/media/worker.h"
#include "tests/unit/media/room_test_support.h"

using namespace sfu;
using namespace std::chrono_literals;
using sfu::media_test::on_worker;

namespace {

// Forwards every RTP packet of one transport to another: the smallest possible router.
class PipeObserver : public WebRtcTransport::Observer {
 public:
  Worker* worker = nullptr;
  std::unordered_map<uint64_t, uint64_t> routes;  // from transport id -> to transport id
  std::atomic<int> connected{0};
  std::atomic<int> closed{0};
  std::string close_reason;  // written before `closed` counts up, read after

  void on_transport_connected(WebRtcTransport&) override { ++connected; }
  void on_transport_closed(WebRtcTransport&, std::string_view reason) override {
    close_reason = reason;
    ++closed;
  }
  void on_rtp(WebRtcTransport& from, uint8_t* data, size_t size, int64_t) override {
    auto route = routes.find(from.id());
    if (route == routes.end()) return;
    WebRtcTransport* to = worker->find_transport(route->second);
    if (!to) return;
    MutableByteSpan slot = to->acquire_send();
    std::memcpy(slot.data(), data, size);
    to->commit_rtp(slot, size);
  }
  // RTCP takes the same route (the interop test below; the other tests send none).
  void on_rtcp(WebRtcTransport& from, uint8_t* data, size_t size) override {
    auto route = routes.find(from.id());
    if (route == routes.end()) return;
    if (WebRtcTransport* to = worker->find_transport(route->second)) to->send_rtcp(ByteSpan(data, size));
  }
};

struct ServerSide {
  uint64_t id;
  std::string ufrag, pwd, fingerprint;
};

// Pumps the client loop until `done` or the timeout.
template <typename Pred>
bool run_until(uv_loop_t* loop, Pred done, std::chrono::milliseconds timeout = 5000ms) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    uv_run(loop, UV_RUN_NOWAIT);
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

std::vector<uint8_t> make_rtp(uint16_t seq, uint32_t ssrc, size_t payload_size) {
  std::vector<uint8_t> packet(12 + payload_size);
  packet[0] = 0x80;
  packet[1] = 96;
  packet[2] = static_cast<uint8_t>(seq >> 8);
  packet[3] = static_cast<uint8_t>(seq);
  packet[7] = 0x10;
  packet[8] = static_cast<uint8_t>(ssrc >> 24);
  packet[9] = static_cast<uint8_t>(ssrc >> 16);
  packet[10] = static_cast<uint8_t>(ssrc >> 8);
  packet[11] = static_cast<uint8_t>(ssrc);
  for (size_t i = 0; i < payload_size; ++i) packet[12 + i] = static_cast<uint8_t>(seq * 7 + i);
  return packet;
}

class TransportIntegration : public ::testing::Test {
 protected:
  void SetUp() override {
    server_certificate_ = dtls::DtlsCertificate::generate();
    ASSERT_TRUE(server_certificate_);
    worker_ = std::make_unique<Worker>(0, server_config(), server_certificate_);
    observer_.worker = worker_.get();
    Status started = worker_->start();
    ASSERT_TRUE(started.ok()) << started.error().message;
    uv_loop_init(&client_loop_);
  }
  virtual config::Config server_config() { return media_test::worker_test_config(); }

  void TearDown() override {
    clients_.clear();
    worker_->stop();
    worker_.reset();
    uv_run(&client_loop_, UV_RUN_NOWAIT);
    uv_loop_close(&client_loop_);
  }

  ServerSide create_server_transport() {
    return on_worker(*worker_, [this](Worker& w) {
      WebRtcTransport& t = w.create_transport(observer_);
      return ServerSide{t.id(), t.ice_ufrag(), t.ice_pwd(), t.dtls_fingerprint()};
    });
  }

  void set_remote(const ServerSide& server, const client::WebRtcClient& client,
                  std::string fingerprint = {}) {
    if (fingerprint.empty()) fingerprint = client.fingerprint();
    on_worker(*worker_, [&](Worker& w) {
      w.find_transport(server.id)->set_remote_parameters(client.ice_ufrag(), client.ice_pwd(), "sha-256",
                                                         fingerprint);
      return true;
    });
  }

  client::WebRtcClient& new_client() {
    clients_.push_back(
        std::make_unique<client::WebRtcClient>(&client_loop_, dtls::DtlsCertificate::generate()));
    std::string error;
    EXPECT_TRUE(clients_.back()->open(*SocketAddress::from_ip("127.0.0.1", 0), &error)) << error;
    return *clients_.back();
  }

  client::WebRtcClient::RemoteParameters remote_of(const ServerSide& server) {
    SocketAddress address = *SocketAddress::from_ip("127.0.0.1", worker_->udp_address().port());
    return {address, server.ufrag, server.pwd, server.fingerprint};
  }

  std::shared_ptr<dtls::DtlsCertificate> server_certificate_;
  std::unique_ptr<Worker> worker_;
  PipeObserver observer_;
  uv_loop_t client_loop_{};
  std::vector<std::unique_ptr<client::WebRtcClient>> clients_;
};

TEST_F(TransportIntegration, RtpFromClientAArrivesDecryptedAtClientB) {
  ServerSide server_a = create_server_transport();
  ServerSide server_b = create_server_transport();
  auto& a = new_client();
  auto& b = new_client();
  set_remote(server_a, a);
  set_remote(server_b, b);
  on_worker(*worker_, [&](Worker&) {
    observer_.routes[server_a.id] = server_b.id;
    return true;
  });

  std::vector<std::vector<uint8_t>> received;
  b.on_rtp = [&](uint8_t* data, size_t size) { received.emplace_back(data, data + size); };
  a.connect(remote_of(server_a));
  b.connect(remote_of(server_b));
  ASSERT_TRUE(run_until(&client_loop_, [&] { return a.connected() && b.connected(); }))
      << "a: " << a.failure_reason() << " b: " << b.failure_reason();
  ASSERT_TRUE(run_until(&client_loop_, [&] { return observer_.connected.load() == 2; }));

  constexpr int kPackets = 50;
  std::vector<std::vector<uint8_t>> sent;
  for (int i = 0; i < kPackets; ++i) {
    sent.push_back(make_rtp(static_cast<uint16_t>(1000 + i), 0x11223344, 1000));
    ASSERT_TRUE(a.send_rtp(sent.back()));
  }
  a.flush();
  ASSERT_TRUE(run_until(&client_loop_, [&] { return received.size() == kPackets; }))
      << "received " << received.size();
  for (int i = 0; i < kPackets; ++i) EXPECT_EQ(received[i], sent[i]) << "packet " << i;

  // The worker's own counters saw every packet in and out.
  auto [in, out] = on_worker(*worker_, [&](Worker& w) {
    return std::pair{w.find_transport(server_a.id)->counters().rtp_packets_in,
                     w.find_transport(server_b.id)->counters().rtp_packets_out};
  });
  EXPECT_EQ(in, uint64_t{kPackets});
  EXPECT_EQ(out, uint64_t{kPackets});
  EXPECT_GE(worker_->socket_counters().rx_packets.load(), uint64_t{kPackets});
  EXPECT_EQ(worker_->drops().get(DropReason::SrtpAuthFailed), 0u);
}

// The two SRTP backends are interchangeable on the wire: with the worker on one and the clients on
// either, RTP and RTCP from client A reach client B byte for byte, both ways round, for every
// pairing (the worker unprotects and protects each packet again).
class SrtpBackendInterop
    : public TransportIntegration,
      public ::testing::WithParamInterface<std::tuple<rtp::SrtpBackend, rtp::SrtpBackend>> {
 protected:
  config::Config server_config() override {
    config::Config config = media_test::worker_test_config();
    config.rtc.srtp_backend = std::get<0>(GetParam()) == rtp::SrtpBackend::OpenSsl
                                  ? config::SrtpBackendChoice::OpenSsl
                                  : config::SrtpBackendChoice::Libsrtp2;
    return config;
  }
};

INSTANTIATE_TEST_SUITE_P(
    Backends, SrtpBackendInterop,
    ::testing::Combine(::testing::Values(rtp::SrtpBackend::OpenSsl, rtp::SrtpBackend::Libsrtp2),
                       ::testing::Values(rtp::SrtpBackend::OpenSsl, rtp::SrtpBackend::Libsrtp2)),
    [](const auto& info) {
      return std::string("Server") + rtp::srtp_backend_name(std::get<0>(info.param)) + "Client" +
             rtp::srtp_backend_name(std::get<1>(info.param));
    });

TEST_P(SrtpBackendInterop, RtpAndRtcpCrossTheWorkerBothWays) {
  ServerSide server_a = create_server_transport();
  ServerSide server_b = create_server_transport();
  auto& a = new_client();
  auto& b = new_client();
  a.use_srtp_backend(std::get<1>(GetParam()));
  b.use_srtp_backend(std::get<1>(GetParam()));
  set_remote(server_a, a);
  set_remote(server_b, b);
  on_worker(*worker_, [&](Worker&) {
    observer_.routes[server_a.id] = server_b.id;
    observer_.routes[server_b.id] = server_a.id;
    return true;
  });
  std::vector<std::vector<uint8_t>> at_a, at_b, rtcp_at_b;
  a.on_rtp = [&](uint8_t* data, size_t size) { at_a.emplace_back(data, data + size); };
  b.on_rtp = [&](uint8_t* data, size_t size) { at_b.emplace_back(data, data + size); };
  b.on_rtcp = [&](uint8_t* data, size_t size) { rtcp_at_b.emplace_back(data, data + size); };
  a.connect(remote_of(server_a));
  b.connect(remote_of(server_b));
  ASSERT_TRUE(run_until(&client_loop_, [&] { return a.connected() && b.connected(); }))
      << "a: " << a.failure_reason() << " b: " << b.failure_reason();
  ASSERT_TRUE(run_until(&client_loop_, [&] { return observer_.connected.load() == 2; }));

  // Sequence numbers from just below the wrap, so the rollover counter advances on every hop.
  constexpr int kPackets = 200;
  std::vector<std::vector<uint8_t>> from_a, from_b, rtcp_from_a;
  for (int i = 0; i < kPackets; ++i) {
    from_a.push_back(make_rtp(static_cast<uint16_t>(65436 + i), 0x11223344, 1000));
    from_b.push_back(make_rtp(static_cast<uint16_t>(500 + i), 0x55667788, 300));
    ASSERT_TRUE(a.send_rtp(from_a.back()));
    ASSERT_TRUE(b.send_rtp(from_b.back()));
    if (i % 20 == 0) {
      std::vector<uint8_t> report(32, static_cast<uint8_t>(i));
      report[0] = 0x81;
      report[1] = 201;  // a receiver report with one block
      report[2] = 0;
      report[3] = 7;
      store_be32(report.data() + 4, 0x11223344);
      rtcp_from_a.push_back(report);
      ASSERT_TRUE(a.send_rtcp(report));
    }
    if (i % 50 == 49) {
      a.flush();
      b.flush();
      ASSERT_TRUE(run_until(&client_loop_, [&] { return at_b.size() == from_a.size(); }));
    }
  }
  a.flush();
  b.flush();
  ASSERT_TRUE(run_until(&client_loop_,
                        [&] {
                          return at_b.size() == kPackets && at_a.size() == kPackets &&
                                 rtcp_at_b.size() == rtcp_from_a.size();
                        }))
      << "b got " << at_b.size() << ", a got " << at_a.size() << ", RTCP " << rtcp_at_b.size();
  EXPECT_EQ(at_b, from_a);
  EXPECT_EQ(at_a, from_b);
  EXPECT_EQ(rtcp_at_b, rtcp_from_a);
  EXPECT_EQ(worker_->drops().get(DropReason::SrtpAuthFailed), 0u);
  EXPECT_EQ(worker_->drops().get(DropReason::SrtpReplay), 0u);
}

TEST_F(TransportIntegration, WrongFingerprintGetsNothingThrough) {
  ServerSide server_a = create_server_transport();
  ServerSide server_b = create_server_transport();
  auto& a = new_client();
  auto& b = new_client();
  // The server expects a certificate other than the one client A really has.
  auto other = dtls::DtlsCertificate::generate();
  set_remote(server_a, a, other->fingerprint_sha256());
  set_remote(server_b, b);
  on_worker(*worker_, [&](Worker&) {
    observer_.routes[server_a.id] = server_b.id;
    return true;
  });
  size_t received = 0;
  b.on_rtp = [&](uint8_t*, size_t) { ++received; };
  a.connect(remote_of(server_a));
  b.connect(remote_of(server_b));
  ASSERT_TRUE(run_until(&client_loop_, [&] { return b.connected(); }));
  // The server refuses A's certificate: its transport fails and is freed, no keys were ever used.
  ASSERT_TRUE(run_until(&client_loop_, [&] { return observer_.closed.load() == 1; }));
  EXPECT_EQ(observer_.connected.load(), 1);
  EXPECT_TRUE(run_until(&client_loop_, [&] {
    return on_worker(*worker_, [&](Worker& w) { return w.find_transport(server_a.id) == nullptr; });
  }));
  // Whatever A manages to send is not forwarded.
  auto packet = make_rtp(1, 1, 100);
  a.send_rtp(packet);
  a.flush();
  run_until(
      &client_loop_, [] { return false; }, 300ms);
  EXPECT_EQ(received, 0u);
}

// Audit row 25: a peer that closes its connection (RTCPeerConnection.close() sends a DTLS
// close_notify) has its server transport closed at once, the way a DTLS failure closes it, instead
// of one kept sending media until consent expires 30 s later.
TEST_F(TransportIntegration, APeersCloseNotifyClosesTheTransport) {
  ServerSide server_a = create_server_transport();
  auto& a = new_client();
  set_remote(server_a, a);
  a.connect(remote_of(server_a));
  ASSERT_TRUE(run_until(&client_loop_, [&] { return a.connected() && observer_.connected.load() == 1; }))
      << a.failure_reason();
  a.close();
  ASSERT_TRUE(run_until(&client_loop_, [&] { return observer_.closed.load() == 1; }));
  EXPECT_EQ(observer_.close_reason, "dtls: closed by peer");
  // The observer here keeps its transports; the worker frees a closed one itself.
  EXPECT_TRUE(run_until(&client_loop_, [&] {
    return on_worker(*worker_, [&](Worker& w) { return w.find_transport(server_a.id) == nullptr; });
  }));
}

TEST_F(TransportIntegration, InboundSsrcsBeyondTheLimitAreDroppedAndCounted) {
  // limits.ssrcs_per_transport: a peer sending on ever new SSRCs gets SRTP state for that many;
  // packets on further SSRCs are dropped before libsrtp allocates anything, and counted.
  const uint32_t limit = media_test::worker_test_config().limits.ssrcs_per_transport;
  ASSERT_GT(limit, 0u);
  ServerSide server_a = create_server_transport();
  ServerSide server_b = create_server_transport();
  auto& a = new_client();
  auto& b = new_client();
  set_remote(server_a, a);
  set_remote(server_b, b);
  on_worker(*worker_, [&](Worker&) {
    observer_.routes[server_a.id] = server_b.id;
    return true;
  });
  size_t received = 0;
  b.on_rtp = [&](uint8_t*, size_t) { ++received; };
  a.connect(remote_of(server_a));
  b.connect(remote_of(server_b));
  ASSERT_TRUE(run_until(&client_loop_, [&] { return a.connected() && b.connected(); }));
  ASSERT_TRUE(run_until(&client_loop_, [&] { return observer_.connected.load() == 2; }));

  constexpr uint32_t kFirstSsrc = 0x10000, kExtra = 6;
  for (uint32_t i = 0; i < limit + kExtra; ++i) {
    ASSERT_TRUE(a.send_rtp(make_rtp(1, kFirstSsrc + i, 100)));
    if (i % 16 == 15) a.flush();
  }
  ASSERT_TRUE(a.send_rtp(make_rtp(2, kFirstSsrc, 100))) << "a stream with a place goes on";
  a.flush();
  EXPECT_TRUE(run_until(
      &client_loop_,
      [&] { return received == limit + 1 && worker_->drops().get(DropReason::SrtpSsrcLimit) == kExtra; }))
      << "received " << received << ", dropped " << worker_->drops().get(DropReason::SrtpSsrcLimit);
  EXPECT_EQ(worker_->drops().get(DropReason::SrtpAuthFailed), 0u);
}

TEST_F(TransportIntegration, WrongIcePasswordGetsUnauthorized) {
  ServerSide server_a = create_server_transport();
  auto& a = new_client();
  set_remote(server_a, a);
  auto remote = remote_of(server_a);
  remote.ice_pwd = "not-the-password-at-all!";
  a.connect(remote);
  ASSERT_TRUE(run_until(&client_loop_, [&] { return a.last_ice_error().has_value(); }));
  EXPECT_EQ(*a.last_ice_error(), 401);
  run_until(
      &client_loop_, [] { return false; }, 200ms);
  EXPECT_FALSE(a.connected());
  EXPECT_EQ(observer_.connected.load(), 0);
  EXPECT_GT(worker_->drops().get(DropReason::StunRejected), 0u);
}

TEST_F(TransportIntegration, UnknownAddressesAreDroppedAndCounted) {
  auto& a = new_client();
  ServerSide server_a = create_server_transport();
  set_remote(server_a, a);
  // No ICE at all: raw RTP and DTLS-looking bytes from an unknown 5-tuple.
  uv_udp_t raw;
  uv_udp_init(&client_loop_, &raw);
  sockaddr_in any{};
  uv_ip4_addr("127.0.0.1", 0, &any);
  uv_udp_bind(&raw, reinterpret_cast<sockaddr*>(&any), 0);
  auto rtp = make_rtp(5, 5, 50);
  uint8_t dtls_like[20] = {22, 0xfe, 0xfd};
  SocketAddress server = remote_of(server_a).address;
  uv_buf_t bufs[] = {uv_buf_init(reinterpret_cast<char*>(rtp.data()), static_cast<unsigned>(rtp.size()))};
  uv_udp_try_send(&raw, bufs, 1, server.sockaddr_ptr());
  bufs[0] = uv_buf_init(reinterpret_cast<char*>(dtls_like), sizeof(dtls_like));
  uv_udp_try_send(&raw, bufs, 1, server.sockaddr_ptr());
  EXPECT_TRUE(run_until(&client_loop_, [&] {
    return worker_->drops().get(DropReason::UnknownAddress) == 1 &&
           worker_->drops().get(DropReason::DtlsBeforeIce) == 1;
  }));
  bool raw_closed = false;
  raw.data = &raw_closed;
  uv_close(reinterpret_cast<uv_handle_t*>(&raw), [](uv_handle_t* h) { *static_cast<bool*>(h->data) = true; });
  run_until(&client_loop_, [&] { return raw_closed; });
}

}  // namespace
