// Three sfu server processes (build/bin/sfu) in cluster mode and a redis-server of their own, all
// on free loopback ports, for the cluster tests; plus the pieces the tests share: blocking HTTP
// requests, /metrics samples, and bench clients (ParticipantClient) on the test thread's loop.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/types.h>
#include <uv.h>

#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "bench/client/participant_client.h"
#include "bench/server_process.h"
#include "dtls/sctp_stack.h"
#include "tests/support/pump_loop.h"

namespace sfu::cluster_test {

using namespace std::chrono_literals;

// redis-server --port N --save '' --appendonly no on loopback, as a child process.
class RedisProcess {
 public:
  ~RedisProcess() { stop(); }
  bool start(uint16_t port, std::string* error);
  void kill_now();  // SIGKILL, as a crash
  void stop();
  uint16_t port() const { return port_; }

 private:
  pid_t pid_ = -1;
  uint16_t port_ = 0;
};

struct HttpAnswer {
  int status = 0;
  std::string body;
};
std::optional<HttpAnswer> http(uint16_t port, const std::string& method, const std::string& path,
                               const std::string& body = {});
// An answer's body as JSON (discarded when it is not JSON, null when there was no answer).
nlohmann::json body_of(const std::optional<HttpAnswer>& answer);
// The room's entry in GET /v1/rooms of `port`, or null.
nlohmann::json listed_room(uint16_t port, const std::string& room);
// The value of one sample line of /metrics (e.g. `sfu_cluster_nodes_alive`), NaN when absent.
double metric(uint16_t port, const std::string& sample);
// redis-cli PUBLISH channel payload; the number of receivers, or -1.
int redis_publish(uint16_t redis_port, const std::string& channel, const std::string& payload);
// redis-cli GET key: the value, "" when absent.
std::string redis_get(uint16_t redis_port, const std::string& key);
// redis-cli --raw <command> (words without shell quoting needs): its output, trailing newlines cut.
std::string redis_command(uint16_t redis_port, const std::string& command);

class Cluster : public ::testing::Test {
 protected:
  static constexpr const char* kSecret = "cluster-test-secret-0123456789abcdef";
  static constexpr size_t kNodes = 3;

  void SetUp() override;
  void TearDown() override;

  // YAML appended to every node's cluster: section (indented two spaces), e.g. a limit under test.
  virtual std::string extra_cluster_yaml() const { return {}; }
  // ... and to node `node`'s only (e.g. its cluster.region).
  virtual std::string node_cluster_yaml(size_t /*node*/) const { return {}; }

  uint16_t port(size_t node) const { return nodes_[node]->http_port(); }
  static std::string node_id(size_t node) { return std::string("node-") + static_cast<char>('a' + node); }
  bench::ServerProcess& node(size_t index) { return *nodes_[index]; }
  // Starts node `index` again (after a kill) with its config: a new run, a new HTTP port.
  bool restart_node(size_t index, std::string* error) {
    return nodes_[index]->start(node_options_[index], error);
  }
  RedisProcess& redis() { return redis_; }
  // Waits until every node sees all the others alive.
  bool wait_for_registry(size_t alive = kNodes);

  // `stay`: the join asks to stay on that node (the room spans nodes) rather than be redirected.
  // `data`: with data channels (on this thread's SCTP mailbox and timers).
  client::ParticipantClient& add_client(size_t node, const std::string& room, const std::string& name,
                                        bool publish = true, bool stay = false, bool data = false);
  std::unique_ptr<client::ParticipantClient> make_client(uint16_t port, const std::string& room,
                                                         const std::string& name, bool publish,
                                                         bool stay = false);
  // Pumps the clients' loop until `done` or the timeout.
  template <typename Pred>
  bool run_until(Pred done, std::chrono::milliseconds timeout = 30s) {
    return test_support::pump_loop_until(&loop_, done, timeout);
  }
  void pump_for(std::chrono::milliseconds time) {
    run_until([] { return false; }, time);
  }
  std::string diagnostics();

  uv_loop_t loop_{};
  std::vector<std::unique_ptr<client::ParticipantClient>> clients_;
  bool skipped_ = false;

 private:
  RedisProcess redis_;
  // For clients with data channels: this process has no server, so its own usrsctp timer driver.
  std::unique_ptr<dtls::SctpMailbox> sctp_mailbox_;
  std::unique_ptr<dtls::SctpTimerDriver> sctp_timers_;
  std::vector<std::unique_ptr<bench::ServerProcess>> nodes_;
  std::vector<bench::ServerProcess::Options> node_options_;
  std::string work_dir_;
};

}  // namespace sfu::cluster_test
