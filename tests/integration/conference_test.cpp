// The whole server in-process (a worker and the control plane on its own thread, as Server::run
// wires them) and participants that behave like browsers: signaling WebSocket, publish and
// subscribe connections, synthetic Opus and VP8. Also the client's own pieces: its SDP against the
// server's negotiation, and its WebSocket client against a scripted server that misbehaves.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <future>
#include <thread>

#include "bench/client/client_sdp.h"
#include "bench/client/participant_client.h"
#include "bench/client/signaling_client.h"
#include "dtls/dtls_certificate.h"
#include "sfu/control_plane.h"
#include "sfu/sdp_negotiation.h"
#include "sfu/worker.h"

using namespace sfu;
using namespace std::chrono_literals;
using client::ParticipantClient;
using client::SignalingClient;

namespace {

// Waits are generous: sanitizer builds on a loaded 2-core machine are slow. Nothing is timed.
constexpr auto kLongWait = 60s;

// The server's threads: one worker and the control plane on a loop of its own thread.
class TestServer {
 public:
  TestServer() {
    config_ = config::default_config();
    config_.http.host = "127.0.0.1";
    config_.http.port = 0;  // any free port
    config_.rtc.udp_port = 0;
    config_.rtc.announced_ip = "127.0.0.1";
    config_.workers = 1;
  }
  ~TestServer() { stop(); }

  bool start(std::string* error) {
    auto certificate = dtls::DtlsCertificate::generate(error);
    if (!certificate) return false;
    worker_ = std::make_unique<Worker>(0, config_, certificate);
    if (!worker_->start(error)) return false;
    auto started = std::make_shared<std::promise<std::string>>();
    auto result = started->get_future();
    thread_ = std::thread([this, started] { run(*started); });
    *error = result.get();
    if (!error->empty()) thread_.join();
    return error->empty();
  }

  void stop() {
    if (!thread_.joinable()) return;
    uv_async_send(&stop_async_);
    thread_.join();
  }

  uint16_t http_port() const { return http_port_; }
  Worker& worker() { return *worker_; }

 private:
  void run(std::promise<std::string>& started) {
    uv_loop_init(&loop_);
    uv_async_init(&loop_, &stop_async_, [](uv_async_t* async) { uv_stop(async->loop); });
    control_ = std::make_unique<ControlPlane>(&loop_, config_, std::vector<Worker*>{worker_.get()});
    std::string error;
    if (!control_->start(&error)) {
      control_.reset();
      uv_close(reinterpret_cast<uv_handle_t*>(&stop_async_), nullptr);
      uv_run(&loop_, UV_RUN_DEFAULT);
      uv_loop_close(&loop_);
      worker_->stop();
      started.set_value(error.empty() ? "control plane failed to start" : error);
      return;
    }
    http_port_ = control_->port();
    started.set_value("");
    uv_run(&loop_, UV_RUN_DEFAULT);
    // The order of Server::run: signaling first, then the worker, then the loop's handles.
    control_->stop();
    worker_->stop();
    control_.reset();
    uv_close(reinterpret_cast<uv_handle_t*>(&stop_async_), nullptr);
    for (int i = 0; i < 100 && uv_run(&loop_, UV_RUN_NOWAIT) != 0; ++i) std::this_thread::sleep_for(1ms);
    uv_loop_close(&loop_);
  }

  config::Config config_;
  std::unique_ptr<Worker> worker_;
  std::unique_ptr<ControlPlane> control_;
  uv_loop_t loop_{};
  uv_async_t stop_async_{};
  std::thread thread_;
  uint16_t http_port_ = 0;
};

class Conference : public ::testing::Test {
 protected:
  void SetUp() override {
    uv_loop_init(&loop_);
    std::string error;
    ASSERT_TRUE(server_.start(&error)) << error;
  }
  void TearDown() override {
    for (auto& c : clients_) c->close_signaling();
    run_until(
        [&] {
          return std::all_of(clients_.begin(), clients_.end(), [](auto& c) { return c->signaling_closed(); });
        },
        5s);
    clients_.clear();
    server_.stop();
    for (int i = 0; i < 100 && uv_run(&loop_, UV_RUN_NOWAIT) != 0; ++i) std::this_thread::sleep_for(1ms);
    EXPECT_EQ(uv_loop_close(&loop_), 0) << "client handles left open";
  }

  ParticipantClient& add_client(const std::string& room, const std::string& name,
                                std::function<void(ParticipantClient::Options&)> customize = {}) {
    ParticipantClient::Options options;
    options.server_port = server_.http_port();
    options.room = room;
    options.name = name;
    if (customize) customize(options);
    clients_.push_back(std::make_unique<ParticipantClient>(&loop_, options));
    std::string error;
    EXPECT_TRUE(clients_.back()->start(&error)) << error;
    return *clients_.back();
  }

  // Pumps the client loop until `done` or the timeout.
  template <typename Pred>
  bool run_until(Pred done, std::chrono::milliseconds timeout = kLongWait) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      uv_run(&loop_, UV_RUN_NOWAIT);
      std::this_thread::sleep_for(1ms);
    }
    return true;
  }
  void run_for(std::chrono::milliseconds duration) {
    run_until([] { return false; }, duration);
  }

  static std::string describe(const ParticipantClient& c) {
    std::string out = "participant " + c.participant_id() + ": publish " +
                      std::to_string(c.publish_answered()) + "/" + std::to_string(c.publish_connected()) +
                      ", subscribe offers " + std::to_string(c.counters().subscribe_offers) + " connected " +
                      std::to_string(c.subscribe_connected()) + ", sent a/v " +
                      std::to_string(c.counters().audio_packets_sent) + "/" +
                      std::to_string(c.counters().video_packets_sent) + ", received";
    for (const auto& [id, p] : c.participants()) {
      auto media = c.received_from(id);
      out += " " + id + " a/v " + std::to_string(media.audio_packets) + "/" +
             std::to_string(media.video_packets);
    }
    for (const client::WebRtcClient* connection : {&c.publish_connection(), &c.subscribe_connection()}) {
      out += connection == &c.publish_connection() ? "; publish " : "; subscribe ";
      out += "state " + std::to_string(static_cast<int>(connection->state())) + " ice error " +
             std::to_string(connection->last_ice_error().value_or(0)) + " " + connection->failure_reason();
    }
    for (const auto& f : c.failures()) out += "; failure: " + f;
    for (const auto& e : c.errors()) out += "; error: " + e.dump();
    return out;
  }

  // No forwarded packet broke what the subscribe offer promised.
  static void expect_clean_media(const ParticipantClient& c) {
    EXPECT_EQ(c.counters().unknown_ssrc, 0u) << c.participant_id();
    EXPECT_EQ(c.counters().unexpected_payload_type, 0u) << c.participant_id();
    EXPECT_EQ(c.counters().undeclared_extension, 0u) << c.participant_id();
    EXPECT_EQ(c.counters().video_started_without_keyframe, 0u) << c.participant_id();
    EXPECT_EQ(c.counters().malformed_rtp, 0u) << c.participant_id();
    EXPECT_TRUE(c.errors().empty()) << describe(c);
    EXPECT_TRUE(c.failures().empty()) << describe(c);
  }

  static bool receives_both_kinds_from(const ParticipantClient& c, const std::string& source,
                                       uint64_t more_than) {
    auto media = c.received_from(source);
    return media.audio_packets > more_than && media.video_packets > more_than;
  }

  uv_loop_t loop_{};
  TestServer server_;
  std::vector<std::unique_ptr<ParticipantClient>> clients_;
};

TEST_F(Conference, ThreeParticipantsExchangeMediaAndOneLeaves) {
  auto& a = add_client("conf", "alice");
  auto& b = add_client("conf", "bob");
  auto& c = add_client("conf", "carol");
  std::vector<ParticipantClient*> all = {&a, &b, &c};
  for (auto* p : all) p->start_media();

  ASSERT_TRUE(run_until([&] {
    for (auto* p : all)
      for (auto* q : all)
        if (p != q && !receives_both_kinds_from(*p, q->participant_id(), 20)) return false;
    return true;
  })) << describe(a)
      << "\n"
      << describe(b) << "\n"
      << describe(c);

  for (auto* p : all) {
    EXPECT_TRUE(p->joined());
    EXPECT_TRUE(p->publish_connected());
    EXPECT_TRUE(p->subscribe_connected());
    EXPECT_EQ(p->participants().size(), 2u);
    for (auto* q : all) {
      if (p == q) continue;
      EXPECT_EQ(p->participants().count(q->participant_id()), 1u);
      auto tracks = p->tracks_by_participant().find(q->participant_id());
      ASSERT_NE(tracks, p->tracks_by_participant().end());
      EXPECT_EQ(tracks->second.size(), 2u);
      EXPECT_GT(p->received_from(q->participant_id()).video_keyframes, 0u);
    }
    expect_clean_media(*p);
    // Four active m-sections: audio and video of each of the two others.
    size_t active = std::count_if(p->subscribed_media().begin(), p->subscribed_media().end(),
                                  [](const client::SubscribedMedia& m) { return m.active; });
    EXPECT_EQ(active, 4u);
  }

  // The server answers ping.
  size_t pongs = a.message_count("pong");
  a.send_signaling({{"type", "ping"}});
  ASSERT_TRUE(run_until([&] { return a.message_count("pong") == pongs + 1; }));

  // Carol leaves.
  std::string carol = c.participant_id();
  std::map<ParticipantClient*, std::vector<std::string>> carol_mids;
  std::map<ParticipantClient*, uint64_t> offers_before;
  for (auto* p : {&a, &b}) {
    for (const auto& m : p->subscribed_media())
      if (m.participant_id == carol) carol_mids[p].push_back(m.mid);
    EXPECT_EQ(carol_mids[p].size(), 2u);
    offers_before[p] = p->counters().subscribe_offers;
  }
  c.leave();

  // Both others are told, and get an offer in which Carol's m-sections are disabled.
  auto carol_sections_disabled = [&](ParticipantClient* p) {
    if (p->counters().subscribe_offers <= offers_before[p] || !p->last_subscribe_offer()) return false;
    for (const auto& mid : carol_mids[p]) {
      const sdp::MediaSection* m = p->last_subscribe_offer()->find_media(mid);
      // PROTOCOL.md: removed tracks leave their m-section inactive (port 0 or a=inactive).
      if (!m || (m->port != 0 && m->direction != sdp::Direction::kInactive) || m->msid) return false;
    }
    return true;
  };
  ASSERT_TRUE(run_until([&] {
    for (auto* p : {&a, &b})
      if (p->participants().count(carol) || !carol_sections_disabled(p)) return false;
    return true;
  })) << describe(a)
      << "\n"
      << describe(b);
  for (auto* p : {&a, &b}) {
    EXPECT_EQ(p->message_count("participant_left"), 1u);
    EXPECT_EQ(p->tracks_by_participant().count(carol), 0u);
    // The m-section count never shrinks (JSEP), and what is still active is the other's media.
    EXPECT_EQ(p->last_subscribe_offer()->media.size(), 4u);
    for (const auto& m : p->subscribed_media()) {
      if (m.active) {
        EXPECT_NE(m.participant_id, carol);
      }
    }
  }
  EXPECT_EQ(c.message_count("participant_left"), 0u);
  EXPECT_TRUE(c.errors().empty()) << describe(c);

  // Carol's media stops; Alice and Bob keep receiving each other.
  run_for(300ms);  // packets already in flight
  auto carol_at_a = a.received_from(carol), carol_at_b = b.received_from(carol);
  uint64_t bob_at_a = a.received_packets(b.participant_id(), sdp::MediaKind::kVideo);
  uint64_t alice_at_b = b.received_packets(a.participant_id(), sdp::MediaKind::kVideo);
  c.start_media();  // even if Carol's client keeps sending, nothing of it may be forwarded
  ASSERT_TRUE(run_until([&] {
    return a.received_packets(b.participant_id(), sdp::MediaKind::kVideo) > bob_at_a + 30 &&
           b.received_packets(a.participant_id(), sdp::MediaKind::kVideo) > alice_at_b + 30;
  })) << describe(a)
      << "\n"
      << describe(b);
  run_for(500ms);
  EXPECT_EQ(a.received_from(carol).audio_packets, carol_at_a.audio_packets);
  EXPECT_EQ(a.received_from(carol).video_packets, carol_at_a.video_packets);
  EXPECT_EQ(b.received_from(carol).audio_packets, carol_at_b.audio_packets);
  EXPECT_EQ(b.received_from(carol).video_packets, carol_at_b.video_packets);
  for (auto* p : {&a, &b}) expect_clean_media(*p);

  // Dave joins: his tracks go into the m-sections Carol's left (JSEP: m-sections are never removed,
  // and inactive ones are reused), and media flows again in every direction.
  auto& d = add_client("conf", "dave");
  d.start_media();
  ASSERT_TRUE(run_until([&] {
    return receives_both_kinds_from(a, d.participant_id(), 20) &&
           receives_both_kinds_from(b, d.participant_id(), 20) &&
           receives_both_kinds_from(d, a.participant_id(), 20) &&
           receives_both_kinds_from(d, b.participant_id(), 20);
  })) << describe(a)
      << "\n"
      << describe(b) << "\n"
      << describe(d);
  for (auto* p : {&a, &b}) {
    EXPECT_EQ(p->last_subscribe_offer()->media.size(), 4u);
    std::vector<std::string> dave_mids;
    for (const auto& m : p->subscribed_media())
      if (m.active && m.participant_id == d.participant_id()) dave_mids.push_back(m.mid);
    std::sort(dave_mids.begin(), dave_mids.end());
    std::sort(carol_mids[p].begin(), carol_mids[p].end());
    EXPECT_EQ(dave_mids, carol_mids[p]);
    expect_clean_media(*p);
  }
  expect_clean_media(d);
  EXPECT_EQ(a.received_from(carol).video_packets, carol_at_a.video_packets);
}

TEST_F(Conference, PublishWithOnlyAnUnknownCodecIsRefusedAndChangesNothing) {
  auto& x = add_client("codec", "xavier", [](ParticipantClient::Options& o) {
    o.auto_publish = false;
    o.publish_audio = false;
  });
  auto& y = add_client("codec", "yvonne");
  y.start_media();
  ASSERT_TRUE(run_until([&] {
    return x.joined() && y.joined() && y.publish_connected() && x.participants().size() == 1;
  })) << describe(x)
      << "\n"
      << describe(y);

  sdp::SessionDescription offer = x.make_publish_offer();
  ASSERT_EQ(offer.media.size(), 1u);
  sdp::Codec foo;
  foo.payload_type = 96;
  foo.name = "FOO";
  foo.clock_rate = 90000;
  offer.media[0].codecs = {foo};
  offer.media[0].ssrc_groups.clear();
  offer.media[0].ssrcs.resize(1);
  x.send_signaling({{"type", "publish"}, {"sdp", sdp::write_sdp(offer)}});
  ASSERT_TRUE(run_until([&] { return !x.errors().empty(); })) << describe(x);
  const auto& error = x.errors().front();
  EXPECT_EQ(error.value("code", ""), "bad_request");
  EXPECT_EQ(error.value("request_type", ""), "publish");
  EXPECT_NE(error.value("message", "").find("FOO"), std::string::npos) << error.dump();

  // Nothing happened: no answer, nobody told of a track, no offer to the other participant.
  uint64_t y_offers = y.counters().subscribe_offers;
  run_for(500ms);
  EXPECT_EQ(x.message_count("publish_answer"), 0u);
  EXPECT_EQ(y.message_count("track_published"), 0u);
  EXPECT_EQ(y.counters().subscribe_offers, y_offers);
  EXPECT_TRUE(y.tracks_by_participant().empty());
  EXPECT_TRUE(x.signaling_open());

  // And the participant can still publish properly afterwards.
  ASSERT_TRUE(x.publish());
  x.start_media();
  ASSERT_TRUE(run_until([&] {
    return x.publish_connected() && y.received_packets(x.participant_id(), sdp::MediaKind::kVideo) > 20;
  })) << describe(x)
      << "\n"
      << describe(y);
  EXPECT_EQ(y.message_count("track_published"), 1u);
  EXPECT_EQ(x.errors().size(), 1u);
  expect_clean_media(y);
  EXPECT_TRUE(x.failures().empty()) << describe(x);
}

TEST_F(Conference, ServerStopsWhileParticipantsAreConnected) {
  auto& a = add_client("stop", "ann");
  auto& b = add_client("stop", "ben");
  auto& c = add_client("stop", "cid");
  for (auto* p : {&a, &b, &c}) p->start_media();
  ASSERT_TRUE(run_until([&] {
    return receives_both_kinds_from(a, b.participant_id(), 5) &&
           receives_both_kinds_from(b, a.participant_id(), 5);
  })) << describe(a)
      << "\n"
      << describe(b);
  // Shut down as Server::run does on SIGTERM, with everyone still in the room.
  server_.stop();
  ASSERT_TRUE(
      run_until([&] { return a.signaling_closed() && b.signaling_closed() && c.signaling_closed(); }, 10s));
}

// A browser starts ICE on the subscribe connection while its answer is still on the way, so the
// server may see checks and a DTLS ClientHello before its worker has the answer (and with it the
// fingerprint to verify). Here the answer is held back long enough for the client to retransmit
// its ClientHello: the server must keep the handshake going until the answer arrives.
TEST_F(Conference, SubscribeAnswerArrivingAfterTheFirstDtlsPackets) {
  auto& a = add_client("late", "ada");
  auto& b = add_client("late", "bea",
                       [](ParticipantClient::Options& o) { o.first_subscribe_answer_delay_ms = 1500; });
  a.start_media();
  ASSERT_TRUE(run_until([&] {
    return receives_both_kinds_from(b, a.participant_id(), 20) || !b.errors().empty();
  })) << describe(b);
  expect_clean_media(b);
  EXPECT_TRUE(b.signaling_open());
  EXPECT_EQ(b.counters().subscribe_answers_sent, 1u);
}

// ---- The client's SDP against the server's negotiation -------------------------------------

TEST(ClientSdp, PublishOfferNegotiatesBothTracks) {
  client::PublishOfferParams params;
  params.transport = {"ufrag1234", "passwordpasswordpassword", "AB:CD:EF"};
  params.stream_id = "stream";
  params.cname = "cname";
  params.audio_track_id = "mic";
  params.video_track_id = "cam";
  params.audio_ssrc = 1111;
  params.video_ssrc = 2222;
  params.video_rtx_ssrc = 3333;
  auto text = sdp::write_sdp(client::build_publish_offer(params));
  auto parsed = sdp::parse_sdp(text);
  ASSERT_TRUE(std::holds_alternative<sdp::SessionDescription>(parsed)) << text;
  sdp::LocalTransport local{
      "srv", "serverpasswordserverpass", "01:02", {sdp::make_host_candidate("127.0.0.1", 5000)}};
  auto negotiated = sdp::negotiate_publish(std::get<sdp::SessionDescription>(parsed), local);
  ASSERT_TRUE(std::holds_alternative<sdp::PublishResult>(negotiated))
      << std::get<sdp::SdpError>(negotiated).to_string() << "\n"
      << text;
  const auto& result = std::get<sdp::PublishResult>(negotiated);
  ASSERT_EQ(result.tracks.size(), 2u);
  EXPECT_EQ(result.tracks[0].kind, sdp::MediaKind::kAudio);
  EXPECT_EQ(result.tracks[0].track_id, "mic");
  EXPECT_EQ(result.tracks[0].ssrcs, std::vector<uint32_t>{1111});
  EXPECT_EQ(result.tracks[1].kind, sdp::MediaKind::kVideo);
  EXPECT_EQ(result.tracks[1].track_id, "cam");
  EXPECT_EQ(result.tracks[1].ssrcs, std::vector<uint32_t>{2222});
  EXPECT_EQ(result.tracks[1].rtx_ssrcs, std::vector<uint32_t>{3333});
  ASSERT_EQ(result.tracks[1].codecs.size(), 1u);
  EXPECT_EQ(result.tracks[1].codecs[0].rtx_payload_type, std::optional<uint8_t>(client::kVp8RtxPayloadType));
  EXPECT_EQ(result.remote.setup, "actpass");
  EXPECT_EQ(result.remote.ice_ufrag, "ufrag1234");

  // The answer tells the client where to go.
  auto endpoint = client::server_endpoint_of(result.answer);
  ASSERT_TRUE(std::holds_alternative<client::ServerEndpoint>(endpoint)) << std::get<std::string>(endpoint);
  EXPECT_EQ(std::get<client::ServerEndpoint>(endpoint).address.to_string(), "127.0.0.1:5000");
  EXPECT_EQ(std::get<client::ServerEndpoint>(endpoint).setup, "passive");
}

TEST(ClientSdp, SubscribeAnswerIsAcceptedByTheServer) {
  sdp::LocalTransport local{
      "srv", "serverpasswordserverpass", "01:02", {sdp::make_host_candidate("127.0.0.1", 5000)}};
  std::vector<sdp::SubscribeSlot> slots(3);
  slots[0].mid = "0";
  slots[0].kind = sdp::MediaKind::kAudio;
  slots[0].participant_id = "p1";
  slots[0].track_id = "mic";
  slots[0].ssrc = 10;
  slots[0].codecs = {{sdp::Codec{111, "opus", 48000, 2, {}, {}, {}}, std::nullopt}};
  slots[0].extensions = {{1, std::nullopt, std::string(sdp::kExtAudioLevel), {}}};
  slots[1].mid = "1";
  slots[1].kind = sdp::MediaKind::kVideo;
  slots[1].participant_id = "p1";
  slots[1].track_id = "cam";
  slots[1].ssrc = 20;
  slots[1].rtx_ssrc = 21;
  slots[1].codecs = {{sdp::Codec{96, "VP8", 90000, 0, {}, {}, {}}, uint8_t{97}},
                     {sdp::Codec{98, "H264", 90000, 0, {}, {}, {}}, uint8_t{99}}};
  slots[2].mid = "2";
  slots[2].kind = sdp::MediaKind::kVideo;
  slots[2].active = false;
  slots[2].codecs = slots[1].codecs;
  auto offer_text = sdp::write_sdp(sdp::build_subscribe_offer(slots, local, 7, 1));
  auto offer = std::get<sdp::SessionDescription>(sdp::parse_sdp(offer_text));

  auto built = client::build_subscribe_answer(offer, {"cli", "clientpasswordclientpass", "AA:BB"}, 9, 1);
  ASSERT_TRUE(std::holds_alternative<client::SubscribeAnswer>(built)) << std::get<std::string>(built);
  const auto& answer = std::get<client::SubscribeAnswer>(built);
  ASSERT_EQ(answer.media.size(), 3u);
  EXPECT_TRUE(answer.media[0].active);
  EXPECT_EQ(answer.media[0].participant_id, "p1");
  EXPECT_EQ(answer.media[0].ssrc, 10u);
  EXPECT_TRUE(answer.media[1].active);
  EXPECT_EQ(answer.media[1].track_id, "cam");
  EXPECT_EQ(answer.media[1].ssrc, 20u);
  EXPECT_EQ(answer.media[1].rtx_ssrc, 21u);
  EXPECT_EQ(answer.media[1].payload_types, std::vector<uint8_t>{96});  // H264 is not decoded
  EXPECT_FALSE(answer.media[2].active);  // kept, bundled and inactive: the server may reuse it
  EXPECT_EQ(answer.answer.media[2].direction, sdp::Direction::kInactive);
  EXPECT_NE(answer.answer.media[2].port, 0);

  auto answer_text = sdp::write_sdp(answer.answer);
  auto reparsed = sdp::parse_sdp(answer_text);
  ASSERT_TRUE(std::holds_alternative<sdp::SessionDescription>(reparsed)) << answer_text;
  auto applied = sdp::apply_subscribe_answer(offer, std::get<sdp::SessionDescription>(reparsed));
  ASSERT_TRUE(std::holds_alternative<sdp::SubscribeAnswerResult>(applied))
      << std::get<sdp::SdpError>(applied).to_string() << "\n"
      << answer_text;
  const auto& result = std::get<sdp::SubscribeAnswerResult>(applied);
  EXPECT_EQ(result.remote.setup, "active");
  EXPECT_EQ(result.remote.ice_ufrag, "cli");
  ASSERT_EQ(result.tracks.size(), 3u);
  EXPECT_TRUE(result.tracks[0].receivable);
  EXPECT_TRUE(result.tracks[1].receivable);
  ASSERT_EQ(result.tracks[1].codecs.size(), 1u);
  EXPECT_EQ(result.tracks[1].codecs[0].rtx_payload_type, std::optional<uint8_t>(97));
  ASSERT_EQ(result.tracks[0].extensions.size(), 1u);
  EXPECT_TRUE(result.tracks[2].accepted);
  EXPECT_FALSE(result.tracks[2].receivable);
}

// ---- The WebSocket client against a scripted server ----------------------------------------

// Accepts one TCP connection, answers the upgrade (correctly unless told otherwise), then writes
// `script` and records what the client sends.
class ScriptedWsServer {
 public:
  std::function<std::string(const std::string& key)> handshake_response = [](const std::string& key) {
    return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: "
           "Upgrade\r\nSec-WebSocket-Accept: " +
           SignalingClient::accept_key_for(key) + "\r\n\r\n";
  };
  std::string script;
  std::string from_client;  // bytes after the handshake
  bool close_after_script = false;

  explicit ScriptedWsServer(uv_loop_t* loop) : loop_(loop) {
    uv_tcp_init(loop_, &listener_);
    listener_.data = this;
    sockaddr_in address{};
    uv_ip4_addr("127.0.0.1", 0, &address);
    uv_tcp_bind(&listener_, reinterpret_cast<sockaddr*>(&address), 0);
    uv_listen(reinterpret_cast<uv_stream_t*>(&listener_), 4, [](uv_stream_t* server, int) {
      auto* self = static_cast<ScriptedWsServer*>(server->data);
      if (self->accepted_) return;
      uv_tcp_init(self->loop_, &self->connection_);
      self->connection_.data = self;
      self->accepted_ = true;
      uv_accept(server, reinterpret_cast<uv_stream_t*>(&self->connection_));
      uv_read_start(
          reinterpret_cast<uv_stream_t*>(&self->connection_),
          [](uv_handle_t* h, size_t, uv_buf_t* buf) {
            auto* s = static_cast<ScriptedWsServer*>(h->data);
            *buf = uv_buf_init(s->buffer_, sizeof(s->buffer_));
          },
          [](uv_stream_t* stream, ssize_t nread, const uv_buf_t* buf) {
            auto* s = static_cast<ScriptedWsServer*>(stream->data);
            if (nread < 0) {
              s->peer_closed = true;
              uv_read_stop(stream);
              return;
            }
            s->on_bytes(std::string(buf->base, static_cast<size_t>(nread)));
          });
    });
    sockaddr_storage bound{};
    int length = sizeof(bound);
    uv_tcp_getsockname(&listener_, reinterpret_cast<sockaddr*>(&bound), &length);
    port_ = ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  }
  ~ScriptedWsServer() {
    uv_close(reinterpret_cast<uv_handle_t*>(&listener_), nullptr);
    if (accepted_) uv_close(reinterpret_cast<uv_handle_t*>(&connection_), nullptr);
    for (int i = 0; i < 10; ++i) uv_run(loop_, UV_RUN_NOWAIT);
  }
  uint16_t port() const { return port_; }
  bool peer_closed = false;

 private:
  void on_bytes(std::string bytes) {
    if (handshake_done_) {
      from_client += bytes;
      return;
    }
    request_ += bytes;
    size_t end = request_.find("\r\n\r\n");
    if (end == std::string::npos) return;
    std::string key;
    size_t at = request_.find("Sec-WebSocket-Key: ");
    if (at != std::string::npos) key = request_.substr(at + 19, request_.find("\r\n", at) - at - 19);
    handshake_done_ = true;
    write(handshake_response(key) + script);
    if (close_after_script) uv_shutdown(&shutdown_, reinterpret_cast<uv_stream_t*>(&connection_), nullptr);
  }
  void write(std::string bytes) {
    auto* request = new std::pair<uv_write_t, std::string>();
    request->second = std::move(bytes);
    uv_buf_t buf = uv_buf_init(request->second.data(), static_cast<unsigned>(request->second.size()));
    uv_write(&request->first, reinterpret_cast<uv_stream_t*>(&connection_), &buf, 1,
             [](uv_write_t* w, int) { delete reinterpret_cast<std::pair<uv_write_t, std::string>*>(w); });
  }

  uv_loop_t* loop_;
  uv_tcp_t listener_{};
  uv_tcp_t connection_{};
  uv_shutdown_t shutdown_{};
  bool accepted_ = false;
  bool handshake_done_ = false;
  std::string request_;
  char buffer_[4096];
  uint16_t port_ = 0;
};

std::string server_frame(uint8_t first_byte, std::string_view payload) {
  std::string frame(1, static_cast<char>(first_byte));
  if (payload.size() < 126) {
    frame.push_back(static_cast<char>(payload.size()));
  } else {
    frame.push_back(126);
    frame.push_back(static_cast<char>(payload.size() >> 8));
    frame.push_back(static_cast<char>(payload.size() & 0xFF));
  }
  return frame + std::string(payload);
}

class SignalingClientTest : public ::testing::Test {
 protected:
  void SetUp() override { uv_loop_init(&loop_); }
  void TearDown() override {
    client_.reset();
    server_.reset();
    for (int i = 0; i < 100 && uv_run(&loop_, UV_RUN_NOWAIT) != 0; ++i) std::this_thread::sleep_for(1ms);
    EXPECT_EQ(uv_loop_close(&loop_), 0);
  }

  // Connects a client to a scripted server and runs until it closes (or `until` holds).
  void run(std::function<void(ScriptedWsServer&)> setup, std::function<bool()> until = {}) {
    server_ = std::make_unique<ScriptedWsServer>(&loop_);
    setup(*server_);
    client_ = std::make_unique<SignalingClient>(&loop_);
    SignalingClient::Callbacks callbacks;
    callbacks.on_open = [this] { ++opened_; };
    callbacks.on_message = [this](const nlohmann::json& m) { messages_.push_back(m); };
    callbacks.on_close = [this](uint16_t code, const std::string& reason) {
      ++closed_;
      close_code_ = code;
      close_reason_ = reason;
    };
    std::string error;
    ASSERT_TRUE(client_->connect("127.0.0.1", server_->port(), "/v1/rtc", callbacks, &error)) << error;
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (closed_ == 0 && !(until && until()) && std::chrono::steady_clock::now() < deadline) {
      uv_run(&loop_, UV_RUN_NOWAIT);
      std::this_thread::sleep_for(1ms);
    }
    // Let the client's last frames reach the server.
    for (int i = 0; i < 20; ++i) {
      uv_run(&loop_, UV_RUN_NOWAIT);
      std::this_thread::sleep_for(1ms);
    }
  }

  // The client's frames after the handshake: {opcode, masked, unmasked payload}.
  struct ClientFrame {
    uint8_t opcode;
    bool masked;
    std::string payload;
  };
  std::vector<ClientFrame> client_frames() const {
    std::vector<ClientFrame> frames;
    const std::string& data = server_->from_client;
    size_t i = 0;
    while (data.size() - i >= 2) {
      auto b0 = static_cast<uint8_t>(data[i]), b1 = static_cast<uint8_t>(data[i + 1]);
      size_t length = b1 & 0x7F, header = 2;
      if (length == 126) {
        length = (static_cast<uint8_t>(data[i + 2]) << 8) | static_cast<uint8_t>(data[i + 3]);
        header = 4;
      }
      bool masked = b1 & 0x80;
      if (masked) header += 4;
      if (data.size() - i < header + length) break;
      std::string payload = data.substr(i + header, length);
      if (masked)
        for (size_t k = 0; k < length; ++k)
          payload[k] = static_cast<char>(payload[k] ^ data[i + header - 4 + (k & 3)]);
      frames.push_back({static_cast<uint8_t>(b0 & 0x0F), masked, payload});
      i += header + length;
    }
    return frames;
  }

  uv_loop_t loop_{};
  std::unique_ptr<ScriptedWsServer> server_;
  std::unique_ptr<SignalingClient> client_;
  int opened_ = 0, closed_ = 0;
  uint16_t close_code_ = 0;
  std::string close_reason_;
  std::vector<nlohmann::json> messages_;
};

TEST(SignalingClientKeys, AcceptKeyMatchesRfc6455Example) {
  // RFC 6455 section 1.3.
  EXPECT_EQ(SignalingClient::accept_key_for("dGhlIHNhbXBsZSBub25jZQ=="), "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
}

TEST(SignalingClientKeys, Utf8Validation) {
  EXPECT_TRUE(SignalingClient::valid_utf8("plain"));
  EXPECT_TRUE(SignalingClient::valid_utf8("\xC3\xA9t\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80"));
  EXPECT_FALSE(SignalingClient::valid_utf8("\xC3"));              // truncated
  EXPECT_FALSE(SignalingClient::valid_utf8("\xC0\xAF"));          // overlong '/'
  EXPECT_FALSE(SignalingClient::valid_utf8("\xED\xA0\x80"));      // surrogate
  EXPECT_FALSE(SignalingClient::valid_utf8("\xF4\x90\x80\x80"));  // above U+10FFFF
  EXPECT_FALSE(SignalingClient::valid_utf8("\xFF"));
}

TEST_F(SignalingClientTest, FragmentedMessageWithPingInBetween) {
  run(
      [](ScriptedWsServer& s) {
        s.script = server_frame(0x01, R"({"type":)") + server_frame(0x89, "hi") +
                   server_frame(0x00, R"("x",)") + server_frame(0x80, R"("n":1})") +
                   server_frame(0x81, R"({"type":"y"})");
      },
      [this] { return messages_.size() == 2; });
  EXPECT_EQ(opened_, 1);
  ASSERT_EQ(messages_.size(), 2u);
  EXPECT_EQ(messages_[0], (nlohmann::json{{"type", "x"}, {"n", 1}}));
  EXPECT_EQ(messages_[1].value("type", ""), "y");
  // The ping was answered with a masked pong carrying the same payload.
  auto frames = client_frames();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].opcode, 0xA);
  EXPECT_TRUE(frames[0].masked);
  EXPECT_EQ(frames[0].payload, "hi");

  // Sending: one masked text frame with the JSON.
  ASSERT_TRUE(client_->send({{"type", "ping"}}));
  for (int i = 0; i < 50 && client_frames().size() < 2; ++i) {
    uv_run(&loop_, UV_RUN_NOWAIT);
    std::this_thread::sleep_for(1ms);
  }
  frames = client_frames();
  ASSERT_EQ(frames.size(), 2u);
  EXPECT_EQ(frames[1].opcode, 0x1);
  EXPECT_TRUE(frames[1].masked);
  EXPECT_EQ(frames[1].payload, R"({"type":"ping"})");
  EXPECT_EQ(closed_, 0);
}

TEST_F(SignalingClientTest, ServerCloseIsEchoed) {
  run([](ScriptedWsServer& s) { s.script = server_frame(0x88, std::string("\x03\xE9", 2) + "bye"); });
  EXPECT_EQ(closed_, 1);
  EXPECT_EQ(close_code_, 1001);
  EXPECT_EQ(close_reason_, "bye");
  auto frames = client_frames();
  ASSERT_EQ(frames.size(), 1u);
  EXPECT_EQ(frames[0].opcode, 0x8);
  EXPECT_EQ(frames[0].payload, std::string("\x03\xE9", 2));
}

struct MalformedCase {
  const char* name;
  std::string script;
  uint16_t expected_code;
};

class SignalingClientMalformed : public SignalingClientTest,
                                 public ::testing::WithParamInterface<MalformedCase> {};

TEST_P(SignalingClientMalformed, ClosesWithError) {
  run([](ScriptedWsServer& s) { s.script = GetParam().script; });
  EXPECT_EQ(opened_, 1);
  EXPECT_EQ(closed_, 1);
  EXPECT_EQ(close_code_, GetParam().expected_code) << close_reason_;
  EXPECT_TRUE(messages_.empty());
  EXPECT_EQ(client_->counters().protocol_errors, 1u);
  // The client told the server why, in a masked close frame with that code.
  auto frames = client_frames();
  ASSERT_FALSE(frames.empty());
  EXPECT_EQ(frames.back().opcode, 0x8);
  EXPECT_TRUE(frames.back().masked);
  ASSERT_GE(frames.back().payload.size(), 2u);
  EXPECT_EQ(
      (static_cast<uint8_t>(frames.back().payload[0]) << 8) | static_cast<uint8_t>(frames.back().payload[1]),
      GetParam().expected_code);
}

INSTANTIATE_TEST_SUITE_P(
    Frames, SignalingClientMalformed,
    ::testing::Values(
        MalformedCase{"Masked", std::string("\x81\x82\x01\x02\x03\x04zz", 8), 1002},
        MalformedCase{"ReservedBit", server_frame(0xC1, "{}"), 1002},
        MalformedCase{"UnknownOpcode", server_frame(0x83, "{}"), 1002},
        MalformedCase{"FragmentedPing", server_frame(0x09, "x"), 1002},
        MalformedCase{"ContinuationWithoutStart", server_frame(0x80, "{}"), 1002},
        MalformedCase{"TextInsideFragmentedText", server_frame(0x01, "{") + server_frame(0x81, "{}"), 1002},
        MalformedCase{"NonMinimalLength", std::string("\x81\x7E\x00\x02{}", 6), 1002},
        MalformedCase{"HugeLength", std::string("\x81\x7F\x00\x00\x00\x01\x00\x00\x00\x00", 10), 1009},
        MalformedCase{"InvalidUtf8", server_frame(0x81, "{\"a\":\"\xC3\"}"), 1007},
        MalformedCase{"NotJson", server_frame(0x81, "hello"), 1008},
        MalformedCase{"Binary", server_frame(0x82, "{}"), 1003},
        MalformedCase{"BadCloseCode", server_frame(0x88, std::string("\x03\xED", 2)), 1002}),
    [](const ::testing::TestParamInfo<MalformedCase>& info) { return std::string(info.param.name); });

TEST_F(SignalingClientTest, WrongAcceptKeyRefusesTheUpgrade) {
  run([](ScriptedWsServer& s) {
    s.handshake_response = [](const std::string&) {
      return std::string(
          "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
          "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n");
    };
    s.script = server_frame(0x81, R"({"type":"x"})");
  });
  EXPECT_EQ(opened_, 0);
  EXPECT_EQ(closed_, 1);
  EXPECT_EQ(close_code_, 1002);
  EXPECT_NE(close_reason_.find("Accept"), std::string::npos) << close_reason_;
  EXPECT_TRUE(messages_.empty());
}

TEST_F(SignalingClientTest, NotAnUpgradeIsRefused) {
  run([](ScriptedWsServer& s) {
    s.handshake_response = [](const std::string&) {
      return std::string("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
    };
  });
  EXPECT_EQ(opened_, 0);
  EXPECT_EQ(closed_, 1);
  EXPECT_EQ(close_code_, 1002);
}

TEST_F(SignalingClientTest, ConnectionDroppedWithoutCloseFrame) {
  run([](ScriptedWsServer& s) {
    s.script = server_frame(0x81, R"({"type":"x"})");
    s.close_after_script = true;
  });
  EXPECT_EQ(opened_, 1);
  EXPECT_EQ(messages_.size(), 1u);
  EXPECT_EQ(closed_, 1);
  EXPECT_EQ(close_code_, 1006);
}

TEST_F(SignalingClientTest, RefusedConnection) {
  // A port that was just free: nothing listens there.
  uint16_t port = 0;
  {
    ScriptedWsServer probe(&loop_);
    port = probe.port();
  }
  client_ = std::make_unique<SignalingClient>(&loop_);
  SignalingClient::Callbacks callbacks;
  callbacks.on_close = [this](uint16_t code, const std::string& reason) {
    ++closed_;
    close_code_ = code;
    close_reason_ = reason;
  };
  std::string error;
  ASSERT_TRUE(client_->connect("127.0.0.1", port, "/v1/rtc", callbacks, &error)) << error;
  for (int i = 0; i < 5000 && closed_ == 0; ++i) {
    uv_run(&loop_, UV_RUN_NOWAIT);
    std::this_thread::sleep_for(1ms);
  }
  EXPECT_EQ(closed_, 1);
  EXPECT_EQ(close_code_, 1006);
  EXPECT_FALSE(client_->connect("127.0.0.1", port, "/v1/rtc", callbacks, &error));  // one use only
}

}  // namespace
