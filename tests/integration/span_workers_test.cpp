// Rooms that span workers (docs/protocol.md, "Rooms across workers"), through the whole server
// in-process with two workers and placement forced round-robin (rooms.span_workers: round_robin),
// and clients with real ICE, DTLS and SRTP on loopback (conference_fixture.h):
//   - four participants on two workers receive each other's audio and video without a gap, and the
//     placement shows in REST and /metrics;
//   - a subscriber's PLI on one worker reaches the publisher on the other;
//   - packets a stalled worker's full ring dropped are NACKed by its subscriber, missing from that
//     worker's buffer, and answered by the publisher's worker across the ring.
// Waits are generous and bounded; nothing is timed.
#include <gtest/gtest.h>

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "rtp/rtcp_builder.h"
#include "tests/integration/conference_fixture.h"
#include "tests/unit/control/http_test_client.h"

using namespace sfu;
using namespace std::chrono_literals;
using client::ParticipantClient;
using conference_test::Conference;

namespace {

class SpanWorkers : public Conference {
 protected:
  void configure(config::Config& config) override {
    config.workers = 2;
    config.rooms.span_workers = config::SpanWorkers::RoundRobin;
  }

  // Joins one at a time, so round-robin placement puts the n-th on worker n mod 2.
  ParticipantClient& join(const std::string& room, const std::string& name,
                          std::function<void(ParticipantClient::Options&)> customize = {}) {
    ParticipantClient& client = add_client(room, name, std::move(customize));
    EXPECT_TRUE(run_until([&] { return client.joined(); })) << describe(client);
    return client;
  }

  // GET on the control port from another thread while this one keeps the clients' loop turning.
  std::optional<http_test::Response> get(const std::string& path) {
    auto response = std::async(std::launch::async, [port = server_.http_port(), path] {
      http_test::Socket socket(port);
      std::optional<http_test::Response> answer;
      // REST checks that Host names this server (port included).
      std::string request =
          "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\n\r\n";
      if (socket.ok() && socket.send_all(request)) answer = http_test::read_response(socket);
      return answer;
    });
    EXPECT_TRUE(run_until([&] { return response.wait_for(0ms) == std::future_status::ready; }));
    return response.get();
  }

  // The SSRC `subscriber` receives `publisher`'s video on.
  static uint32_t video_ssrc_from(const ParticipantClient& subscriber, const ParticipantClient& publisher) {
    for (const auto& media : subscriber.subscribed_media())
      if (media.active && media.participant_id == publisher.participant_id() &&
          media.kind == sdp::MediaKind::kVideo)
        return media.ssrc;
    return 0;
  }

  bool everyone_receives_everyone(const std::vector<ParticipantClient*>& all, uint64_t more_than) {
    for (auto* p : all)
      for (auto* q : all)
        if (p != q && !receives_both_kinds_from(*p, q->participant_id(), more_than)) return false;
    return true;
  }
};

// Keeps a worker inside one task until released, as a worker descheduled by a busy machine would
// be: its rings fill while the others go on.
class WorkerStall {
 public:
  explicit WorkerStall(Worker& worker) {
    auto entered = std::make_shared<std::promise<void>>();
    auto entered_future = entered->get_future();
    std::shared_future<void> released = release_.get_future().share();
    EXPECT_TRUE(worker.post([entered, released](Worker&) {
      entered->set_value();
      released.wait();
    }));
    EXPECT_EQ(entered_future.wait_for(conference_test::kLongWait), std::future_status::ready);
  }
  ~WorkerStall() { release(); }
  WorkerStall(const WorkerStall&) = delete;
  WorkerStall& operator=(const WorkerStall&) = delete;
  void release() {
    if (released_) return;
    released_ = true;
    release_.set_value();
  }

 private:
  std::promise<void> release_;
  bool released_ = false;
};

TEST_F(SpanWorkers, FourParticipantsOnTwoWorkersReceiveEachOtherWithoutLoss) {
  auto& a = join("span", "ann");
  auto& b = join("span", "bob");
  auto& c = join("span", "cid");
  auto& d = join("span", "dee");
  std::vector<ParticipantClient*> all = {&a, &b, &c, &d};
  for (auto* p : all) p->start_media();
  ASSERT_TRUE(run_until([&] { return everyone_receives_everyone(all, 200); })) << describe(a) << "\n"
                                                                               << describe(b) << "\n"
                                                                               << describe(c) << "\n"
                                                                               << describe(d);
  for (auto* p : all) p->stop_media();
  run_for(500ms);  // what is in flight arrives

  for (auto* p : all) {
    expect_clean_media(*p);
    EXPECT_EQ(p->participants().size(), 3u) << describe(*p);
    for (auto* q : all) {
      if (p == q) continue;
      EXPECT_EQ(p->missing_packets(q->participant_id(), sdp::MediaKind::kAudio), 0u)
          << p->participant_id() << " from " << q->participant_id();
      EXPECT_EQ(p->missing_packets(q->participant_id(), sdp::MediaKind::kVideo), 0u)
          << p->participant_id() << " from " << q->participant_id();
      EXPECT_GT(p->received_from(q->participant_id()).video_keyframes, 0u);
    }
  }

  // Placement in REST: round-robin, and each track counted with its subscribers on both workers.
  auto room = get("/v1/rooms/span");
  ASSERT_TRUE(room);
  ASSERT_EQ(room->status, 200) << room->body;
  auto body = nlohmann::json::parse(room->body);
  EXPECT_EQ(body["workers"], nlohmann::json::array({0, 1})) << room->body;
  std::map<std::string, uint32_t> placed;
  for (const auto& participant : body["participants"]) {
    placed[participant["id"]] = participant["worker"];
    EXPECT_EQ(participant["tracks"].size(), 2u) << room->body;
    for (const auto& track : participant["tracks"]) EXPECT_EQ(track["subscribers"], 3) << room->body;
  }
  EXPECT_EQ(placed[a.participant_id()], 0u);
  EXPECT_EQ(placed[b.participant_id()], 1u);
  EXPECT_EQ(placed[c.participant_id()], 0u);
  EXPECT_EQ(placed[d.participant_id()], 1u);

  // And in /metrics: two participants per worker, media crossing both ways, nothing dropped.
  auto metrics = get("/metrics");
  ASSERT_TRUE(metrics);
  for (const char* line :
       {"sfu_worker_participants{worker=\"0\"} 2\n", "sfu_worker_participants{worker=\"1\"} 2\n",
        "sfu_worker_spanning_rooms{worker=\"1\"} 1\n",
        "sfu_worker_ring_dropped_total{worker=\"0\",reason=\"full\"} 0\n",
        "sfu_worker_ring_dropped_total{worker=\"1\",reason=\"full\"} 0\n"})
    EXPECT_NE(metrics->body.find(line), std::string::npos) << line << metrics->body;
  for (size_t w = 0; w < 2; ++w) {
    const CrossWorkerCounters& ring = server_.worker(w).cross_worker_counters();
    EXPECT_GT(ring.packets_out.load(), 0u) << "worker " << w;
    EXPECT_GT(ring.packets_in.load(), 0u) << "worker " << w;
    EXPECT_LT(ring.wakeups.load(), ring.packets_out.load()) << "wake-ups are batched per loop turn";
    EXPECT_EQ(ring.dropped_stale.load(), 0u);
  }

  // One leaves: the others, on both workers, are told and stop receiving its tracks.
  std::string dee = d.participant_id();
  d.leave();
  ASSERT_TRUE(run_until([&] {
    for (auto* p : {&a, &b, &c})
      if (p->participants().count(dee) || p->tracks_by_participant().count(dee)) return false;
    return true;
  })) << describe(a)
      << "\n"
      << describe(b);
}

TEST_F(SpanWorkers, KeyframeRequestOfASubscriberOnOneWorkerReachesThePublisherOnTheOther) {
  auto& publisher = join("pli", "pub");   // worker 0
  auto& subscriber = join("pli", "sub");  // worker 1
  publisher.start_media();
  ASSERT_TRUE(run_until([&] { return receives_both_kinds_from(subscriber, publisher.participant_id(), 30); }))
      << describe(subscriber);
  uint32_t ssrc = video_ssrc_from(subscriber, publisher);
  ASSERT_NE(ssrc, 0u);

  uint64_t plis_before = publisher.counters().plis_received;
  uint64_t crossed_before = server_.worker(0).cross_worker_counters().keyframe_requests_in.load();
  uint64_t received_before = server_.worker(1).router_counters().plis_received.load();
  std::array<uint8_t, 64> pli{};
  size_t size = rtp::build_pli(0x5eed, ssrc, pli);
  ASSERT_TRUE(subscriber.subscribe_connection().send_rtcp(ByteSpan(pli.data(), size)));
  subscriber.subscribe_connection().flush();

  // Worker 1 takes it, collapses it with its other subscribers' requests, sends it across; worker 0
  // collapses again and asks the publisher.
  ASSERT_TRUE(run_until([&] {
    return server_.worker(1).router_counters().plis_received.load() > received_before &&
           server_.worker(0).cross_worker_counters().keyframe_requests_in.load() > crossed_before &&
           publisher.counters().plis_received > plis_before;
  })) << describe(publisher);
  expect_clean_media(subscriber);
}

class SpanWorkersSmallRing : public SpanWorkers {
 protected:
  void configure(config::Config& config) override {
    SpanWorkers::configure(config);
    config.rooms.ring_packets = 16;  // the least allowed: a stalled worker's ring fills at once
  }
};

TEST_F(SpanWorkersSmallRing, NackForPacketsTheRingDroppedIsAnsweredAcrossWorkers) {
  auto& publisher = join("nack", "pub");   // worker 0
  auto& subscriber = join("nack", "sub");  // worker 1
  publisher.start_media();
  ASSERT_TRUE(run_until([&] { return receives_both_kinds_from(subscriber, publisher.participant_id(), 30); }))
      << describe(subscriber);
  uint32_t ssrc = video_ssrc_from(subscriber, publisher);
  ASSERT_NE(ssrc, 0u);
  ASSERT_EQ(subscriber.missing_packets(publisher.participant_id(), sdp::MediaKind::kVideo), 0u);

  // Worker 1 stalls while the publisher sends on: worker 0's ring to it fills and drops (counted).
  const CrossWorkerCounters& publisher_side = server_.worker(0).cross_worker_counters();
  {
    WorkerStall stall(server_.worker(1));
    ASSERT_TRUE(run_until([&] { return publisher_side.dropped_full.load() > 20; })) << describe(publisher);
  }
  // What the ring held arrives first, then the packets after the gap.
  ASSERT_TRUE(run_until([&] { return !subscriber.missing_sequence_numbers(ssrc).empty(); }))
      << "the dropped video shows as gaps: " << describe(subscriber);
  std::vector<uint16_t> missing = subscriber.missing_sequence_numbers(ssrc);

  // The subscriber NACKs them: worker 1's buffer never had them, so worker 1 asks worker 0, whose
  // buffer answers across the ring; worker 1 forwards the repairs.
  uint64_t missed_before = server_.worker(1).router_counters().retransmissions_missed.load();
  uint64_t repairs_before = publisher_side.repairs_sent.load();
  std::array<uint8_t, 1500> nack{};
  size_t size = rtp::build_generic_nack(0x5eed, ssrc, missing, nack);
  ASSERT_GT(size, 0u);
  ASSERT_TRUE(subscriber.subscribe_connection().send_rtcp(ByteSpan(nack.data(), size)));
  subscriber.subscribe_connection().flush();
  ASSERT_TRUE(run_until([&] {
    std::vector<uint16_t> still = subscriber.missing_sequence_numbers(ssrc);
    return std::none_of(missing.begin(), missing.end(), [&](uint16_t seq) {
      return std::find(still.begin(), still.end(), seq) != still.end();
    });
  })) << describe(subscriber);
  EXPECT_GE(server_.worker(1).router_counters().retransmissions_missed.load() - missed_before,
            missing.size());
  EXPECT_GE(publisher_side.repairs_sent.load() - repairs_before, missing.size());
  expect_clean_media(subscriber);
}

}  // namespace

namespace {

std::string video_track_of(const ParticipantClient& subscriber, const std::string& publisher) {
  auto tracks = subscriber.tracks_by_participant().find(publisher);
  if (tracks == subscriber.tracks_by_participant().end()) return {};
  for (const auto& [id, kind] : tracks->second)
    if (kind == "video") return id;
  return {};
}

// Simulcast across workers: every layer crosses, and each worker selects per subscriber. Bob, on
// the other worker than Alice, first takes the lowest layer, then asks for the best: the key frame
// his worker needs to switch is asked of Alice's worker for that layer, and he climbs with
// continuous sequence numbers, timestamps and picture ids.
TEST_F(SpanWorkers, SimulcastLayersAreSelectedPerSubscriberOnTheOtherWorker) {
  auto& alice = join("simul", "alice", [](ParticipantClient::Options& o) {
    o.simulcast_layers = 3;
    o.publish_audio = false;
  });  // worker 0
  auto& bob = join("simul", "bob", [](ParticipantClient::Options& o) {
    o.publish_audio = false;
    o.publish_video = false;
  });  // worker 1
  alice.start_media();
  ASSERT_TRUE(run_until([&] { return !video_track_of(bob, alice.participant_id()).empty(); }))
      << describe(bob);
  auto settings = [&](nlohmann::json fields) {
    fields["type"] = "track_settings";
    fields["participant_id"] = alice.participant_id();
    fields["track_id"] = video_track_of(bob, alice.participant_id());
    ASSERT_TRUE(bob.send_signaling(fields));
  };
  auto from_alice = [&] { return bob.received_from(alice.participant_id()); };
  auto wait_for_layer = [&](size_t layer, uint64_t more_than) {
    return run_until([&] { return from_alice().video_packets_by_layer[layer] > more_than; });
  };

  settings({{"max_layer", 0}});
  ASSERT_TRUE(wait_for_layer(0, 30)) << describe(bob);
  auto low = from_alice();
  ASSERT_TRUE(wait_for_layer(0, low.video_packets_by_layer[0] + 60)) << describe(bob);
  EXPECT_EQ(from_alice().video_packets_by_layer[2], low.video_packets_by_layer[2]) << "q only";
  EXPECT_EQ(from_alice().video_width, 160);

  uint64_t crossed = server_.worker(0).cross_worker_counters().keyframe_requests_in.load();
  settings({{"max_layer", 2}});
  auto before = from_alice();
  ASSERT_TRUE(wait_for_layer(2, before.video_packets_by_layer[2] + 60)) << describe(bob);
  EXPECT_EQ(from_alice().video_width, 640);
  EXPECT_GT(server_.worker(0).cross_worker_counters().keyframe_requests_in.load(), crossed)
      << "the switch's key frame was asked of Alice's worker";
  EXPECT_GE(server_.worker(1).router_counters().layers.switches_up.load(), 1u);
  auto media = from_alice();
  EXPECT_EQ(media.video_sequence_gaps, 0u);
  EXPECT_EQ(media.video_sequence_backwards, 0u);
  EXPECT_EQ(media.video_timestamp_backwards, 0u);
  EXPECT_EQ(media.video_picture_id_jumps, 0u);
  expect_clean_media(bob);
}

}  // namespace
