#include "bench/janus_signaling.h"

#include <chrono>
#include <cstdio>
#include <exception>

#include "bench/janus_http_client.h"

namespace sfu::bench {
namespace {

constexpr int kRequestTimeoutMs = 10'000;
constexpr int kEventTimeoutMs = 20'000;

}  // namespace

JanusSignaling::JanusSignaling(std::string host, uint16_t port, uint32_t publishers_per_room)
    : host_(std::move(host)), port_(port), publishers_per_room_(publishers_per_room) {}

JanusSignaling::~JanusSignaling() {
  // stop() talks HTTP and builds JSON, which may throw; a destructor must not. Janus drops the
  // session on its own when its keep-alives stop.
  try {
    stop();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "janus: stopping the session failed: %s\n", e.what());
  }
}

bool JanusSignaling::start(std::string* error) {
  auto reply = post_json("/janus", janus::create_session(next_transaction()), error);
  if (!reply) return false;
  if (reply->janus != "success" || reply->id == 0) {
    *error = "create session: " + (reply->error.empty() ? reply->janus : reply->error);
    return false;
  }
  session_ = reply->id;
  thread_ = std::thread([this] { run(); });
  return true;
}

void JanusSignaling::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  if (session_ != 0) {
    std::string ignored;
    post_json("/janus/" + std::to_string(session_),
              {{"janus", "destroy"}, {"transaction", next_transaction()}}, &ignored);
    session_ = 0;
  }
}

void JanusSignaling::post(std::shared_ptr<JanusJob> job) {
  {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(job));
  }
  wake_.notify_all();
}

void JanusSignaling::run() {
  std::deque<std::shared_ptr<JanusJob>> deferred;
  while (true) {
    std::shared_ptr<JanusJob> job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, std::chrono::milliseconds(50), [&] { return stopping_ || !queue_.empty(); });
      if (stopping_) break;
      if (!queue_.empty()) {
        job = queue_.front();
        queue_.pop_front();
      }
    }
    if (job) {
      if (!process(*job)) deferred.push_back(job);
      continue;
    }
    // Idle: retry the deferred subscriptions.
    size_t count = deferred.size();
    for (size_t i = 0; i < count; ++i) {
      auto next = deferred.front();
      deferred.pop_front();
      if (!process(*next)) deferred.push_back(next);
    }
  }
  for (auto& job : deferred) {
    job->error = "stopped before its room's publishers were publishing";
    job->done = true;
  }
}

std::optional<janus::Reply> JanusSignaling::post_json(const std::string& path, const nlohmann::json& body,
                                                      std::string* error) {
  auto response = janus::http_request(host_, port_, "POST", path, body.dump(), kRequestTimeoutMs, error);
  if (!response) return std::nullopt;
  auto json = nlohmann::json::parse(response->body, nullptr, false);
  auto reply = janus::read_reply(json);
  if (!reply)
    *error =
        "HTTP " + std::to_string(response->status) + ": unexpected body " + response->body.substr(0, 200);
  return reply;
}

std::optional<uint64_t> JanusSignaling::attach(std::string* error) {
  auto reply = post_json("/janus/" + std::to_string(session_), janus::attach(next_transaction()), error);
  if (!reply) return std::nullopt;
  if (reply->janus != "success" || reply->id == 0) {
    *error = "attach: " + (reply->error.empty() ? reply->janus : reply->error);
    return std::nullopt;
  }
  return reply->id;
}

std::optional<janus::Reply> JanusSignaling::request(uint64_t handle, const nlohmann::json& body,
                                                    const std::string& jsep_type, const std::string& jsep_sdp,
                                                    std::string* error) {
  std::string path = "/janus/" + std::to_string(session_) + "/" + std::to_string(handle);
  auto reply = post_json(path, janus::message(next_transaction(), body, jsep_type, jsep_sdp), error);
  if (!reply) return std::nullopt;
  if (!reply->error.empty()) {
    *error = reply->error;
    return std::nullopt;
  }
  if (reply->janus == "success") return reply;  // synchronous requests (create)
  if (reply->janus != "ack") {
    *error = "unexpected reply " + reply->janus;
    return std::nullopt;
  }
  // The plugin's answer comes as an event on the session's long poll.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kEventTimeoutMs);
  while (std::chrono::steady_clock::now() < deadline) {
    auto& queue = events_[handle];
    while (!queue.empty()) {
      janus::Reply event = std::move(queue.front());
      queue.pop_front();
      if (event.janus != "event") continue;  // webrtcup, media, slowlink, ...
      if (!event.error.empty()) {
        *error = event.error;
        return std::nullopt;
      }
      return event;
    }
    auto response = janus::http_request(
        host_, port_, "GET", "/janus/" + std::to_string(session_) + "?maxev=10", "", kEventTimeoutMs, error);
    if (!response) return std::nullopt;
    auto json = nlohmann::json::parse(response->body, nullptr, false);
    std::vector<nlohmann::json> messages;
    if (json.is_array())
      for (auto& m : json) messages.push_back(m);
    else
      messages.push_back(json);
    for (auto& m : messages)
      if (auto event = janus::read_reply(m); event && event->sender != 0)
        events_[event->sender].push_back(*event);
  }
  *error = "no event from janus within " + std::to_string(kEventTimeoutMs / 1000) + " s";
  return std::nullopt;
}

bool JanusSignaling::ensure_room(uint32_t room, std::string* error) {
  if (rooms_[room]) return true;
  auto handle = attach(error);
  if (!handle) return false;
  auto reply =
      request(*handle, janus::create_room_body(janus::room_id(room), publishers_per_room_), "", "", error);
  if (!reply) return false;
  rooms_[room] = true;
  return true;
}

// NOLINTNEXTLINE(readability-function-cognitive-complexity): one case per job kind (publish, subscribe, answer), each its Janus request and error replies; to split per kind.
bool JanusSignaling::process(JanusJob& job) {
  auto finish = [&](std::string error) {
    job.error = std::move(error);
    job.done = true;
    return true;
  };
  std::string error;
  if (!ensure_room(job.room, &error)) return finish("create room: " + error);
  switch (job.kind) {
    case JanusJob::Kind::kPublish: {
      auto handle = attach(&error);
      if (!handle) return finish(error);
      auto reply =
          request(*handle,
                  janus::publisher_join_body(janus::room_id(job.room), janus::feed_id(*job.publisher_index),
                                             "pub" + std::to_string(*job.publisher_index)),
                  "offer", job.sdp, &error);
      if (!reply) return finish("publish: " + error);
      if (reply->jsep_type != "answer") return finish("publish: no answer in " + reply->plugin_data.dump());
      ++published_[job.room];
      job.remote_sdp = reply->jsep_sdp;
      job.result_handle = *handle;
      return finish({});
    }
    case JanusJob::Kind::kSubscribe: {
      if (published_[job.room] < publishers_per_room_) return false;
      std::vector<uint64_t> feeds;
      for (uint32_t p = 0; p < publishers_per_room_; ++p)
        if (!job.publisher_index || *job.publisher_index != p) feeds.push_back(janus::feed_id(p));
      if (job.handle == 0) {
        auto handle = attach(&error);
        if (!handle) return finish(error);
        job.handle = *handle;
      }
      auto reply =
          request(job.handle, janus::subscriber_join_body(janus::room_id(job.room), feeds), "", "", &error);
      // A feed becomes subscribable only once its publisher's PeerConnection is up: try again.
      if (!reply && error.find("(428)") != std::string::npos) return false;
      if (!reply) return finish("subscribe: " + error);
      if (reply->jsep_type != "offer") return finish("subscribe: no offer in " + reply->plugin_data.dump());
      job.remote_sdp = reply->jsep_sdp;
      job.result_handle = job.handle;
      return finish({});
    }
    case JanusJob::Kind::kStart: {
      auto reply = request(job.handle, janus::start_body(), "answer", job.sdp, &error);
      if (!reply) return finish("start: " + error);
      return finish({});
    }
  }
  return finish("unknown job");
}

}  // namespace sfu::bench
