// Janus signaling for the load: one thread that owns one Janus session and does every HTTP
// exchange (blocking), so the client loops only post jobs and poll their outcome. Rooms are
// created on first use; subscriptions wait until every publisher of their room is publishing.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "bench/janus_api.h"

namespace sfu::bench {

// One signaling exchange, shared between a client loop (which posts it and polls done()) and the
// signaling thread (which fills it in).
struct JanusJob {
  enum class Kind { kPublish, kSubscribe, kStart };
  Kind kind = Kind::kPublish;
  uint32_t room = 0;
  std::optional<uint32_t> publisher_index;  // kPublish: who; kSubscribe: whose feed to leave out
  std::string sdp;                          // in: kPublish offer, kStart answer
  uint64_t handle = 0;  // kStart: the subscription's handle (from kSubscribe); kSubscribe: once attached

  // Filled in by the signaling thread before done is set.
  std::string remote_sdp;  // kPublish: Janus's answer; kSubscribe: Janus's offer
  uint64_t result_handle = 0;
  std::string error;
  std::atomic<bool> done{false};
};

class JanusSignaling {
 public:
  JanusSignaling(std::string host, uint16_t port, uint32_t publishers_per_room);
  ~JanusSignaling();
  JanusSignaling(const JanusSignaling&) = delete;
  JanusSignaling& operator=(const JanusSignaling&) = delete;

  // Creates the session and starts the thread.
  bool start(std::string* error);
  void stop();
  void post(std::shared_ptr<JanusJob> job);

 private:
  void run();
  bool process(JanusJob& job);  // false: deferred (subscription before its publishers)
  std::optional<janus::Reply> post_json(const std::string& path, const nlohmann::json& body,
                                        std::string* error);
  // Sends a plugin message on `handle` and waits for its event (ack first, then the async event).
  std::optional<janus::Reply> request(uint64_t handle, const nlohmann::json& body,
                                      const std::string& jsep_type, const std::string& jsep_sdp,
                                      std::string* error);
  std::optional<uint64_t> attach(std::string* error);
  bool ensure_room(uint32_t room, std::string* error);
  std::string next_transaction() { return "t" + std::to_string(++transaction_); }

  std::string host_;
  uint16_t port_;
  uint32_t publishers_per_room_;
  uint64_t session_ = 0;
  uint64_t transaction_ = 0;
  std::map<uint32_t, uint32_t> published_;  // room -> publishers publishing
  std::map<uint32_t, bool> rooms_;
  std::map<uint64_t, std::deque<janus::Reply>> events_;  // by handle, not yet consumed

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::shared_ptr<JanusJob>> queue_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace sfu::bench
