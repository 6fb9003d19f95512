// Shared by the Room and Worker tests: a real worker on 127.0.0.1 with an ephemeral UDP port,
// a way to run code on its loop and wait for the result, and a RoomEvents fake that records the
// typed events rooms deliver (from the worker thread, read by the test thread after a round trip).
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "config/config.h"
#include "dtls/dtls_certificate.h"
#include "sfu/media/room_events.h"
#include "sfu/media/worker.h"
#include "tests/unit/sdp/sdp_test_support.h"

namespace sfu::media_test {

// SFU_TEST_SRTP_BACKEND=libsrtp2 runs the tests' workers on libsrtp2 instead of the default
// (OpenSSL), so the whole integration suite can run on either backend.
inline void apply_test_srtp_backend(config::Config& config) {
  const char* name = std::getenv("SFU_TEST_SRTP_BACKEND");
  if (name == nullptr || *name == '\0') return;
  auto choice = config::srtp_backend_choice_from_name(name);
  if (!choice) {
    ADD_FAILURE() << "SFU_TEST_SRTP_BACKEND must be openssl or libsrtp2, not " << name;
    return;
  }
  config.rtc.srtp_backend = *choice;
}

inline config::Config worker_test_config() {
  config::Config config = config::default_config();
  config.rtc.udp_port = 0;  // any free port
  config.rtc.tcp_port = 0;  // ICE-TCP on any free port
  config.rtc.bind_ip = "127.0.0.1";
  config.rtc.announced_ip = "127.0.0.1";
  config.workers = 1;
  apply_test_srtp_backend(config);
  return config;
}

// Runs `fn` on the worker's loop and waits for its result.
template <typename Fn>
auto on_worker(Worker& worker, Fn fn) {
  using Value = decltype(fn(worker));
  auto promise = std::make_shared<std::promise<Value>>();
  auto future = promise->get_future();
  EXPECT_TRUE(worker.post([promise, fn](Worker& w) mutable { promise->set_value(fn(w)); }));
  EXPECT_EQ(future.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  return future.get();
}

// The captured descriptions of tests/data/sdp, read and parsed as the SDP tests do.
inline std::string read_sdp(const std::string& name) { return sdp::test::load(name); }
inline sdp::SessionDescription parse_sdp_file(const std::string& name) {
  return sdp::test::parse_ok(read_sdp(name));
}

// The events of one type among those a session received, in order.
template <typename T>
std::vector<T> all_of_type(const std::vector<RoomEvent>& events) {
  std::vector<T> out;
  for (const auto& event : events)
    if (const T* e = std::get_if<T>(&event)) out.push_back(*e);
  return out;
}

class RecordingRoomEvents : public RoomEvents {
 public:
  struct Delivered {
    uint64_t session_id;
    RoomEvent event;
  };
  struct Removed {
    std::string room, participant_id;
    uint64_t session_id;
    Error why;
  };

  void deliver(uint64_t session_id, RoomEvent event) override {
    std::lock_guard lock(mutex_);
    delivered_.push_back({session_id, std::move(event)});
  }
  void participant_removed(const std::string& room, const std::string& participant_id, uint64_t session_id,
                           const Error& why) override {
    std::lock_guard lock(mutex_);
    removed_.push_back({room, participant_id, session_id, why});
  }

  // Takes the events delivered to one session so far, in order.
  std::vector<RoomEvent> take(uint64_t session_id) {
    std::lock_guard lock(mutex_);
    std::vector<RoomEvent> out;
    std::vector<Delivered> rest;
    for (auto& d : delivered_) {
      if (d.session_id == session_id)
        out.push_back(std::move(d.event));
      else
        rest.push_back(std::move(d));
    }
    delivered_ = std::move(rest);
    return out;
  }
  std::vector<Removed> removed() {
    std::lock_guard lock(mutex_);
    return removed_;
  }

 private:
  std::mutex mutex_;
  std::vector<Delivered> delivered_;
  std::vector<Removed> removed_;
};

// A started worker for one test.
class WorkerFixture : public ::testing::Test {
 protected:
  virtual void configure(config::Config&) {}
  void SetUp() override {
    certificate_ = dtls::DtlsCertificate::generate();
    ASSERT_TRUE(certificate_);
    config::Config config = worker_test_config();
    configure(config);
    worker_ = std::make_unique<Worker>(0, config, certificate_);
    Status started = worker_->start();
    ASSERT_TRUE(started.ok()) << started.error().message;
  }
  void TearDown() override {
    if (worker_) worker_->stop();
    worker_.reset();
  }

  std::shared_ptr<dtls::DtlsCertificate> certificate_;
  std::unique_ptr<Worker> worker_;
};

}  // namespace sfu::media_test
