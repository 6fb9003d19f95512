// The room directory of the control thread against its worker, through the public surface only
// (signaling WebSocket, REST, /metrics) with the whole server in-process: empty rooms created by
// join are freed after limits.empty_room_grace_s, limits.participants caps the server, control
// messages survive a full worker queue, and GET /v1/rooms/{name} never stalls the control thread.
// Clients are the plain-socket ones of the HTTP server tests; no media is sent. Waits are bounded
// and generous; nothing is timed.
#include <gtest/gtest.h>
#include <sys/socket.h>
#include <uv.h>

#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <thread>

#include "tests/integration/test_server.h"
#include "tests/unit/control/http_test_client.h"

namespace sfu {
namespace {

using namespace std::chrono_literals;
using test::TestServer;
using json = nlohmann::json;

constexpr auto kLongWait = 30s;

bool wait_until(const std::function<bool()>& done, std::chrono::milliseconds timeout = kLongWait) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(5ms);
  }
  return true;
}

// An HTTP/1.1 request whose Host names the server (REST checks it, docs/protocol.md section 5).
std::string request_text(uint16_t port, std::string_view method, std::string_view path,
                         std::string_view body = {}) {
  std::string text = std::string(method) + " " + std::string(path) +
                     " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) + "\r\n";
  if (!body.empty() || method == "POST") text += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  return text + "\r\n" + std::string(body);
}

std::optional<http_test::Response> http(uint16_t port, std::string_view method, std::string_view path,
                                        std::string_view body = {}) {
  http_test::Socket socket(port);
  if (!socket.ok() || !socket.send_all(request_text(port, method, path, body))) return std::nullopt;
  return http_test::read_response(socket);
}

// The next text message as JSON (discarded JSON when none came).
json read_json(http_test::WsClient& ws) {
  auto message = ws.read_message();
  if (!message || message->opcode != 0x1) return json::value_t::discarded;
  return json::parse(message->payload, nullptr, false);
}

// Skips messages until one of `type` (or the socket ends).
json read_until(http_test::WsClient& ws, const std::string& type) {
  for (;;) {
    json message = read_json(ws);
    if (message.is_discarded() || message.value("type", "") == type) return message;
  }
}

// A signaling client that joined `room` (the test fails otherwise).
struct Member {
  std::unique_ptr<http_test::WsClient> ws;
  std::string id;
};

// Runs `fn` on the worker's thread and returns its result.
template <typename Fn>
auto on_worker(Worker& worker, Fn fn) {
  using Value = decltype(fn(worker));
  auto promise = std::make_shared<std::promise<Value>>();
  auto future = promise->get_future();
  EXPECT_TRUE(worker.post([promise, fn](Worker& w) { promise->set_value(fn(w)); }));
  EXPECT_EQ(future.wait_for(kLongWait), std::future_status::ready);
  return future.get();
}

// Active timers on the worker's loop: its own tick, every room's 20 ms timer, transports' timers.
size_t active_timers(Worker& worker) {
  return on_worker(worker, [](Worker& w) {
    size_t count = 0;
    uv_walk(
        w.loop(),
        [](uv_handle_t* handle, void* arg) {
          if (handle->type == UV_TIMER && uv_is_active(handle) != 0) ++*static_cast<size_t*>(arg);
        },
        &count);
    return count;
  });
}

// Keeps a worker busy inside one task until released (or destroyed), so its queue fills up.
class WorkerBlocker {
 public:
  explicit WorkerBlocker(Worker& worker) : worker_(worker) {
    auto entered = std::make_shared<std::promise<void>>();
    auto entered_future = entered->get_future();
    std::shared_future<void> released = release_.get_future().share();
    EXPECT_TRUE(worker_.post([entered, released](Worker&) {
      entered->set_value();
      released.wait();
    }));
    EXPECT_EQ(entered_future.wait_for(kLongWait), std::future_status::ready);
  }
  ~WorkerBlocker() { release(); }
  WorkerBlocker(const WorkerBlocker&) = delete;
  WorkerBlocker& operator=(const WorkerBlocker&) = delete;

  // Fills the rest of the worker's queue, so that the server's next post finds it full.
  size_t fill_queue() {
    size_t posted = 0;
    while (worker_.post([](Worker&) {})) ++posted;
    return posted;
  }
  void release() {
    if (released_) return;
    released_ = true;
    release_.set_value();
  }

 private:
  Worker& worker_;
  std::promise<void> release_;
  bool released_ = false;
};

// True when the socket has bytes to read now (a response arrived), without waiting.
bool has_bytes(http_test::Socket& socket) {
  char c;
  return recv(socket.fd(), &c, 1, MSG_PEEK | MSG_DONTWAIT) > 0;
}

class RoomLifecycle : public ::testing::Test {
 protected:
  virtual void configure(config::Config&) {}
  void SetUp() override {
    configure(server_.config());
    std::string error;
    ASSERT_TRUE(server_.start(&error)) << error;
  }

  uint16_t port() const { return server_.http_port(); }

  // The answer to a join: "joined" or an "error".
  json join(http_test::WsClient& ws, const std::string& room, const std::string& name) {
    EXPECT_TRUE(ws.send_text(json{{"type", "join"}, {"room", room}, {"name", name}}.dump()));
    return read_json(ws);
  }
  Member joined_member(const std::string& room, const std::string& name) {
    Member member{std::make_unique<http_test::WsClient>(port()), {}};
    EXPECT_TRUE(member.ws->handshake());
    json answer = join(*member.ws, room, name);
    EXPECT_EQ(answer.value("type", ""), "joined") << answer.dump();
    member.id = answer.value("participant_id", "");
    return member;
  }
  static void leave(Member& member) { EXPECT_TRUE(member.ws->send_text(R"({"type":"leave"})")); }

  // The directory: room name -> participants, from GET /v1/rooms.
  std::map<std::string, size_t> rooms() {
    std::map<std::string, size_t> out;
    auto response = http(port(), "GET", "/v1/rooms");
    EXPECT_TRUE(response && response->status == 200);
    if (!response) return out;
    json body = json::parse(response->body);
    for (const auto& room : body["rooms"])
      out[room["name"].get<std::string>()] = room["participants"].get<size_t>();
    return out;
  }
  bool room_listed(const std::string& name) { return rooms().count(name) > 0; }

  // One sample of /metrics ("name{labels}"), or -1 when it is missing.
  int64_t metric(const std::string& sample) {
    auto response = http(port(), "GET", "/metrics");
    if (!response) return -1;
    size_t at = response->body.find("\n" + sample + " ");
    if (at == std::string::npos) return -1;
    return std::stoll(response->body.substr(at + sample.size() + 2));
  }

  TestServer server_;
};

// ---- Empty rooms created by join are freed (limits.empty_room_grace_s) ----

class EmptyRoomsFreedAtOnce : public RoomLifecycle {
  void configure(config::Config& config) override {
    config.limits.rooms = 2;
    config.limits.empty_room_grace_s = 0;
  }
};

TEST_F(EmptyRoomsFreedAtOnce, MoreRoomsThanTheLimitOneAfterAnotherAndTheirTimersAreGone) {
  const size_t idle_timers = active_timers(server_.worker());
  for (int i = 0; i < 5; ++i) {
    std::string room = "r" + std::to_string(i);
    {
      Member member = joined_member(room, "p");
      // Both ways out: an explicit leave, and closing the socket.
      if (i % 2 == 0)
        leave(member);
      else
        member.ws->send_close(1000);
    }
    ASSERT_TRUE(wait_until([&] { return rooms().empty(); })) << "room " << room << " is still listed";
  }
  Member fresh = joined_member("fresh", "p");
  EXPECT_EQ(rooms(), (std::map<std::string, size_t>{{"fresh", 1}}));
  leave(fresh);
  ASSERT_TRUE(wait_until([&] { return rooms().empty(); }));
  // The worker freed the rooms too, with their 20 ms timers and the participants' transports.
  EXPECT_TRUE(wait_until([&] {
    return server_.worker().room_count() == 0 && server_.worker().transport_count() == 0 &&
           active_timers(server_.worker()) == idle_timers;
  })) << "rooms "
      << server_.worker().room_count() << ", transports " << server_.worker().transport_count()
      << ", active timers " << active_timers(server_.worker()) << " (idle: " << idle_timers << ")";
}

class EmptyRoomGrace : public RoomLifecycle {
  void configure(config::Config& config) override {
    config.limits.rooms = 4;
    config.limits.empty_room_grace_s = 1;
  }
};

// Ordering, not timing: the "probe" room empties last, so once it is freed the grace of every
// room emptied before it has passed too.
TEST_F(EmptyRoomGrace, RestRoomsStayAndARoomJoinedAgainWithinTheGraceIsKept) {
  auto created = http(port(), "POST", "/v1/rooms", R"({"name":"kept"})");
  ASSERT_TRUE(created && created->status == 201);
  {
    Member member = joined_member("kept", "a");
    leave(member);
  }
  Member first = joined_member("reused", "b");
  leave(first);
  Member second = joined_member("reused", "c");
  {
    Member probe = joined_member("probe", "d");
    leave(probe);
  }
  ASSERT_TRUE(wait_until([&] { return !room_listed("probe"); })) << "a room created by join was not freed";
  auto now = rooms();
  EXPECT_EQ(now.count("kept"), 1u) << "a room created by POST /v1/rooms was freed";
  EXPECT_EQ(now["reused"], 1u) << "a room joined again within the grace was freed";
  auto detail = http(port(), "GET", "/v1/rooms/reused");
  ASSERT_TRUE(detail && detail->status == 200);
  EXPECT_EQ(json::parse(detail->body)["participants"].size(), 1u) << detail->body;

  leave(second);
  ASSERT_TRUE(wait_until([&] { return !room_listed("reused"); }));
  EXPECT_TRUE(room_listed("kept"));
}

// ---- limits.participants ----

class ServerParticipantCap : public RoomLifecycle {
  void configure(config::Config& config) override { config.limits.participants = 2; }
};

TEST_F(ServerParticipantCap, AJoinBeyondTheCapGetsServerFullAndIsCounted) {
  Member a = joined_member("x", "a");
  Member b = joined_member("y", "b");
  http_test::WsClient c(port());
  ASSERT_TRUE(c.handshake());
  json refused = join(c, "z", "c");
  EXPECT_EQ(refused.value("type", ""), "error") << refused.dump();
  EXPECT_EQ(refused.value("code", ""), "server_full") << refused.dump();
  EXPECT_EQ(refused.value("request_type", ""), "join") << refused.dump();
  EXPECT_FALSE(room_listed("z")) << "a refused join created its room";
  EXPECT_EQ(metric(R"(sfu_joins_refused_total{reason="server_full"})"), 1);

  leave(a);
  ASSERT_TRUE(wait_until([&] { return rooms()["x"] == 0; }));
  json accepted = join(c, "z", "c");
  EXPECT_EQ(accepted.value("type", ""), "joined") << accepted.dump();
}

// ---- A join storm (limits.control_queue_messages small) ----

// Every join into one room makes an event for each participant already there, all at once on the
// worker. With the worker held while 30 joins wait for it and a workers->control queue of 64 (32
// for joins' events), the joins beyond that budget are refused with overloaded and retried by the
// clients, instead of being admitted and then costing sessions their events (closed with 1013).
class JoinStorm : public RoomLifecycle {
  void configure(config::Config& config) override { config.limits.control_queue_messages = 64; }
};

TEST_F(JoinStorm, JoinsBeyondTheEventBudgetAreRefusedAndRetriedAndNoSessionLosesEvents) {
  constexpr size_t kClients = 30;
  std::vector<std::unique_ptr<http_test::WsClient>> clients;
  for (size_t i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<http_test::WsClient>(port()));
    ASSERT_TRUE(clients.back()->handshake());
  }
  auto send_join = [&](size_t i) {
    return clients[i]->send_text(
        json{{"type", "join"}, {"room", "storm"}, {"name", "p" + std::to_string(i)}}.dump());
  };
  std::vector<size_t> known(kClients, 0);  // participants each client has been told of
  size_t refused = 0;
  {
    WorkerBlocker blocker(server_.worker());
    for (size_t i = 0; i < kClients; ++i) ASSERT_TRUE(send_join(i));
    // The refusals come at once, from the control thread; the worker has answered nothing yet.
    ASSERT_TRUE(wait_until([&] { return metric(R"(sfu_joins_refused_total{reason="overloaded"})") > 0; }));
  }
  // Each client reads until it has joined, sending its join again whenever it was refused.
  for (size_t i = 0; i < kClients; ++i) {
    for (bool joined = false; !joined;) {
      {
        json message = read_json(*clients[i]);
        ASSERT_FALSE(message.is_discarded()) << "client " << i << " lost its socket";
        const std::string type = message.value("type", "");
        if (type == "joined") {
          joined = true;
          known[i] += message["participants"].size();
        } else if (type == "participant_joined") {
          ++known[i];
        } else if (type == "error") {
          ASSERT_EQ(message.value("code", ""), "overloaded") << message.dump();
          ASSERT_EQ(message.value("request_type", ""), "join") << "a session lost events: " << message.dump();
          ++refused;
          std::this_thread::sleep_for(5ms);
          ASSERT_TRUE(send_join(i));
        }
      }
    }
  }
  EXPECT_GT(refused, 0u);
  // Every client hears of every other one, and no event was dropped on the way.
  for (size_t i = 0; i < kClients; ++i) {
    while (known[i] < kClients - 1) {
      json message = read_json(*clients[i]);
      ASSERT_FALSE(message.is_discarded()) << "client " << i << " knows " << known[i];
      ASSERT_NE(message.value("type", ""), "error") << message.dump();
      if (message.value("type", "") == "participant_joined") ++known[i];
    }
  }
  EXPECT_EQ(rooms(), (std::map<std::string, size_t>{{"storm", kClients}}));
  EXPECT_EQ(metric(R"(sfu_queue_posts_refused_total{to="control",worker="0"})"), 0);
  EXPECT_EQ(metric(R"(sfu_joins_refused_total{reason="overloaded"})"), static_cast<int64_t>(refused));
}

// ---- A full worker queue (limits.worker_queue_messages at its minimum) ----

class BusyWorker : public RoomLifecycle {
  void configure(config::Config& config) override { config.limits.worker_queue_messages = 16; }
};

TEST_F(BusyWorker, LeavesKicksAndDeletesReachTheWorkerOnceItDrains) {
  Member a = joined_member("q1", "a");
  Member b = joined_member("q1", "b");
  Member c = joined_member("q2", "c");
  Member d = joined_member("q2", "d");
  auto created = http(port(), "POST", "/v1/rooms", R"({"name":"q3"})");
  ASSERT_TRUE(created && created->status == 201);
  Member e = joined_member("q3", "e");
  Worker& worker = server_.worker();
  ASSERT_TRUE(wait_until([&] { return worker.transport_count() == 10; }));

  WorkerBlocker blocker(worker);
  EXPECT_GT(blocker.fill_queue(), 0u);

  // Lifecycle messages while the worker's queue is full: a leave, a closed socket, a deleted room,
  // a kick.
  leave(a);
  b.ws->send_close(1000);
  auto deleted = http(port(), "DELETE", "/v1/rooms/q2");
  ASSERT_TRUE(deleted && deleted->status == 204);
  EXPECT_EQ(read_until(*c.ws, "room_closed").value("type", ""), "room_closed");
  auto kicked = http(port(), "DELETE", "/v1/rooms/q3/participants/" + e.id);
  ASSERT_TRUE(kicked && kicked->status == 204);
  EXPECT_EQ(read_until(*e.ws, "kicked").value("type", ""), "kicked");
  ASSERT_TRUE(wait_until([&] { return rooms() == std::map<std::string, size_t>{{"q1", 0}, {"q3", 0}}; }));

  // Requests are refused loudly meanwhile, and change nothing.
  http_test::WsClient f(port());
  ASSERT_TRUE(f.handshake());
  json refused = join(f, "q1", "f");
  EXPECT_EQ(refused.value("code", ""), "overloaded") << refused.dump();
  auto query = http(port(), "GET", "/v1/rooms/q1");
  ASSERT_TRUE(query);
  EXPECT_EQ(query->status, 503);
  EXPECT_EQ(rooms(), (std::map<std::string, size_t>{{"q1", 0}, {"q3", 0}}));
  EXPECT_GE(metric(R"(sfu_queue_posts_deferred_total{to="worker",worker="0"})"), 4);
  // The join is refused before it reaches the queue (messages wait), the query by the queue.
  EXPECT_GE(metric(R"(sfu_joins_refused_total{reason="overloaded"})"), 1);
  EXPECT_GE(metric(R"(sfu_queue_posts_refused_total{to="worker",worker="0"})"), 1);
  EXPECT_GE(metric(R"(sfu_queue_posts_waiting{to="worker",worker="0"})"), 4);

  blocker.release();
  // The directory and the worker agree: q1 and q3 are left, empty; q2 and every transport are gone.
  EXPECT_TRUE(wait_until([&] { return worker.transport_count() == 0 && worker.room_count() == 2; }))
      << "transports " << worker.transport_count() << ", rooms " << worker.room_count();
  json accepted = join(f, "q1", "f");
  EXPECT_EQ(accepted.value("type", ""), "joined") << accepted.dump();
  EXPECT_TRUE(wait_until([&] { return worker.transport_count() == 2; }));
}

TEST_F(BusyWorker, JoinsRefusedWhileMessagesWaitLeaveNothingMoreWaiting) {
  Worker& worker = server_.worker();
  WorkerBlocker blocker(worker);
  EXPECT_GT(blocker.fill_queue(), 0u);

  // A burst of joins to rooms nobody created, each its own: all refused. The first may leave its
  // shard's opening and removal waiting; the rest are refused before they open anything, so what
  // waits for the worker does not grow with the burst.
  constexpr int kJoins = 20;
  for (int i = 0; i < kJoins; ++i) {
    http_test::WsClient client(port());
    ASSERT_TRUE(client.handshake());
    json refused = join(client, "burst" + std::to_string(i), "x");
    EXPECT_EQ(refused.value("code", ""), "overloaded") << refused.dump();
  }
  EXPECT_LE(metric(R"(sfu_queue_posts_waiting{to="worker",worker="0"})"), 2);
  EXPECT_GE(metric(R"(sfu_joins_refused_total{reason="overloaded"})"), kJoins - 1);
  EXPECT_TRUE(rooms().empty());

  blocker.release();
  EXPECT_TRUE(wait_until([&] { return metric(R"(sfu_queue_posts_waiting{to="worker",worker="0"})") == 0; }));
  EXPECT_TRUE(wait_until([&] { return worker.room_count() == 0; })) << "rooms " << worker.room_count();
  http_test::WsClient late(port());
  ASSERT_TRUE(late.handshake());
  json accepted = join(late, "burst0", "x");
  EXPECT_EQ(accepted.value("type", ""), "joined") << accepted.dump();
}

// ---- GET /v1/rooms/{name} is answered by the worker without stalling the control thread ----

class RoomQuery : public RoomLifecycle {};

TEST_F(RoomQuery, OtherRequestsAreAnsweredWhileTheWorkerIsBusy) {
  Member a = joined_member("g", "a");
  WorkerBlocker blocker(server_.worker());
  http_test::Socket pending(port());
  ASSERT_TRUE(pending.send_all(request_text(port(), "GET", "/v1/rooms/g")));
  // Lets the server read that request first; the assertions below depend on order only.
  std::this_thread::sleep_for(200ms);
  auto health = http(port(), "GET", "/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  EXPECT_FALSE(has_bytes(pending)) << "the room query was answered before /healthz: the control thread "
                                      "waited for the worker";
  blocker.release();
  auto answer = http_test::read_response(pending);
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200) << answer->body;
  json room = json::parse(answer->body, nullptr, false);
  ASSERT_FALSE(room.is_discarded()) << answer->body;
  ASSERT_EQ(room["participants"].size(), 1u) << answer->body;
  EXPECT_EQ(room["participants"][0]["id"], a.id);
}

TEST_F(RoomQuery, AWorkerThatDoesNotAnswerGets503AndAClientThatLeftIsForgotten) {
  Member a = joined_member("g", "a");
  {
    WorkerBlocker blocker(server_.worker());
    auto late = http(port(), "GET", "/v1/rooms/g");
    ASSERT_TRUE(late);
    EXPECT_EQ(late->status, 503);
    EXPECT_NE(late->body.find("worker_timeout"), std::string::npos) << late->body;
    // A client that gives up before the answer.
    http_test::Socket gone(port());
    ASSERT_TRUE(gone.send_all(request_text(port(), "GET", "/v1/rooms/g")));
  }
  auto health = http(port(), "GET", "/healthz");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);
  auto answer = http(port(), "GET", "/v1/rooms/g");
  ASSERT_TRUE(answer);
  EXPECT_EQ(answer->status, 200) << answer->body;
}

}  // namespace
}  // namespace sfu
