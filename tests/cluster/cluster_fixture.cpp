#include "tests/cluster/cluster_fixture.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <thread>

namespace sfu::cluster_test {
namespace {

bool port_accepts(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  close(fd);
  return ok;
}

bool redis_installed() { return std::system("command -v redis-server >/dev/null 2>&1") == 0; }

}  // namespace

bool RedisProcess::start(uint16_t port, std::string* error) {
  port_ = port;
  std::fflush(nullptr);  // the child must not write the test's buffered output again
  pid_ = fork();
  if (pid_ < 0) {
    *error = "fork failed";
    return false;
  }
  if (pid_ == 0) {
    std::string port_text = std::to_string(port);
    freopen("/dev/null", "w", stdout);
    execlp("redis-server", "redis-server", "--port", port_text.c_str(), "--bind", "127.0.0.1", "--save", "",
           "--appendonly", "no", static_cast<char*>(nullptr));
    _exit(127);
  }
  for (int i = 0; i < 500; ++i) {
    if (port_accepts(port)) return true;
    std::this_thread::sleep_for(10ms);
  }
  *error = "redis-server did not listen on port " + std::to_string(port);
  return false;
}

void RedisProcess::kill_now() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

void RedisProcess::stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  waitpid(pid_, nullptr, 0);
  pid_ = -1;
}

std::optional<HttpAnswer> http(uint16_t port, const std::string& method, const std::string& path,
                               const std::string& body) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return std::nullopt;
  timeval timeout{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return std::nullopt;
  }
  std::string request = method + " " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                        "\r\nConnection: close\r\nContent-Length: " + std::to_string(body.size()) +
                        "\r\n\r\n" + body;
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size())) {
    close(fd);
    return std::nullopt;
  }
  std::string text;
  char buffer[4096];
  for (;;) {
    ssize_t n = recv(fd, buffer, sizeof(buffer), 0);
    if (n <= 0) break;
    text.append(buffer, static_cast<size_t>(n));
    // Connection: close is not always honoured at once: stop at a complete answer.
    size_t head_end = text.find("\r\n\r\n");
    if (head_end == std::string::npos) continue;
    size_t length_at = text.find("content-length:");
    if (length_at == std::string::npos) length_at = text.find("Content-Length:");
    if (length_at != std::string::npos && length_at < head_end) {
      size_t length = std::stoul(text.substr(length_at + 15));
      if (text.size() >= head_end + 4 + length) break;
    }
  }
  close(fd);
  if (text.rfind("HTTP/1.1 ", 0) != 0) return std::nullopt;
  HttpAnswer answer;
  answer.status = std::stoi(text.substr(9, 3));
  size_t head_end = text.find("\r\n\r\n");
  if (head_end != std::string::npos) answer.body = text.substr(head_end + 4);
  return answer;
}

double metric(uint16_t port, const std::string& sample) {
  auto answer = http(port, "GET", "/metrics");
  if (!answer) return NAN;
  size_t at = answer->body.find("\n" + sample + " ");
  if (at == std::string::npos) return NAN;
  return std::strtod(answer->body.c_str() + at + sample.size() + 2, nullptr);
}

int redis_publish(uint16_t redis_port, const std::string& channel, const std::string& payload) {
  // The payload through a file: no shell quoting of arbitrary bytes.
  std::string path =
      std::filesystem::temp_directory_path() / ("sfu-cluster-payload-" + std::to_string(getpid()));
  {
    FILE* file = fopen(path.c_str(), "wb");
    if (!file) return -1;
    fwrite(payload.data(), 1, payload.size(), file);
    fclose(file);
  }
  std::string command =
      "redis-cli -p " + std::to_string(redis_port) + " -x PUBLISH " + channel + " < " + path;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return -1;
  char line[64] = {};
  int receivers = fgets(line, sizeof(line), pipe) ? std::atoi(line) : -1;
  pclose(pipe);
  std::filesystem::remove(path);
  return receivers;
}

std::string redis_get(uint16_t redis_port, const std::string& key) {
  return redis_command(redis_port, "GET " + key);
}

std::string redis_command(uint16_t redis_port, const std::string& words) {
  std::string command = "redis-cli -p " + std::to_string(redis_port) + " --raw " + words;
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) return {};
  std::string out;
  char chunk[4096];
  size_t n = 0;
  while ((n = fread(chunk, 1, sizeof(chunk), pipe)) > 0) out.append(chunk, n);
  pclose(pipe);
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

nlohmann::json body_of(const std::optional<HttpAnswer>& answer) {
  return answer ? nlohmann::json::parse(answer->body, nullptr, false) : nlohmann::json();
}

nlohmann::json listed_room(uint16_t port, const std::string& room) {
  nlohmann::json list = body_of(http(port, "GET", "/v1/rooms"));
  if (!list.is_object() || !list["rooms"].is_array()) return nullptr;
  for (const nlohmann::json& entry : list["rooms"])
    if (entry.value("name", "") == room) return entry;
  return nullptr;
}

void Cluster::SetUp() {
  if (!redis_installed()) {
    skipped_ = true;
    GTEST_SKIP() << "redis-server is not installed (scripts/setup.sh installs it): cluster tests skipped";
  }
  uv_loop_init(&loop_);
  char dir_template[] = "/tmp/sfu-cluster-test-XXXXXX";
  ASSERT_NE(mkdtemp(dir_template), nullptr);
  work_dir_ = dir_template;
  std::string error;
  ASSERT_TRUE(redis_.start(bench::free_tcp_port("127.0.0.1"), &error)) << error;
  for (size_t i = 0; i < kNodes; ++i) {
    bench::ServerProcess::Options options;
    options.binary = SFU_BIN;
    options.log_level = "info";
    options.work_dir = work_dir_ + "/" + node_id(i);
    std::filesystem::create_directories(options.work_dir);
    options.extra_yaml =
        "cluster:\n  enabled: true\n  redis_url: redis://127.0.0.1:" + std::to_string(redis_.port()) +
        "\n  node_id: " + node_id(i) + "\n  secret: \"" + kSecret + "\"\n" + extra_cluster_yaml() +
        node_cluster_yaml(i);
    nodes_.push_back(std::make_unique<bench::ServerProcess>());
    node_options_.push_back(options);
    ASSERT_TRUE(nodes_.back()->start(options, &error)) << node_id(i) << ": " << error;
  }
  ASSERT_TRUE(wait_for_registry()) << diagnostics();
}

void Cluster::TearDown() {
  if (skipped_) return;
  for (auto& c : clients_) c->close_signaling();
  pump_for(200ms);
  clients_.clear();
  sctp_timers_.reset();
  sctp_mailbox_.reset();  // after the clients' associations, on this thread
  for (int i = 0; i < 100 && uv_run(&loop_, UV_RUN_NOWAIT) != 0; ++i) uv_sleep(1);
  for (auto& node : nodes_) node->stop();
  redis_.stop();
  uv_loop_close(&loop_);
  if (!HasFailure()) std::filesystem::remove_all(work_dir_);
}

bool Cluster::wait_for_registry(size_t alive) {
  auto deadline = std::chrono::steady_clock::now() + 15s;
  while (std::chrono::steady_clock::now() < deadline) {
    bool all = true;
    for (auto& node : nodes_)
      if (node->running() &&
          metric(node->http_port(), "sfu_cluster_nodes_alive") != static_cast<double>(alive))
        all = false;
    if (all) return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

std::unique_ptr<client::ParticipantClient> Cluster::make_client(uint16_t port, const std::string& room,
                                                                const std::string& name, bool publish,
                                                                bool stay) {
  client::ParticipantClient::Options options;
  options.stay = stay;
  options.server_port = port;
  options.room = room;
  options.name = name;
  options.publish_audio = publish;
  options.publish_video = publish;
  auto participant = std::make_unique<client::ParticipantClient>(&loop_, options);
  std::string error;
  EXPECT_TRUE(participant->start(&error)) << error;
  return participant;
}

client::ParticipantClient& Cluster::add_client(size_t node, const std::string& room, const std::string& name,
                                               bool publish, bool stay, bool data) {
  if (!data) {
    clients_.push_back(make_client(port(node), room, name, publish, stay));
    return *clients_.back();
  }
  if (!sctp_mailbox_) {
    sctp_mailbox_ = std::make_unique<dtls::SctpMailbox>(&loop_);
    sctp_timers_ = std::make_unique<dtls::SctpTimerDriver>(&loop_);
  }
  client::ParticipantClient::Options options;
  options.stay = stay;
  options.server_port = port(node);
  options.room = room;
  options.name = name;
  options.publish_audio = publish;
  options.publish_video = publish;
  options.sctp_mailbox = sctp_mailbox_.get();
  clients_.push_back(std::make_unique<client::ParticipantClient>(&loop_, options));
  std::string error;
  EXPECT_TRUE(clients_.back()->start(&error)) << error;
  return *clients_.back();
}

std::string Cluster::diagnostics() {
  std::string out;
  for (size_t i = 0; i < nodes_.size(); ++i)
    out += "\n--- " + node_id(i) + " log ---\n" + nodes_[i]->log_tail(3000);
  return out;
}

}  // namespace sfu::cluster_test
