// Janus (Debian's `janus` package) for --target janus: a network namespace whose veth carries
// 127.0.0.2 (libnice skips loopback interfaces and refuses 127.0.0.1 candidates), a minimal
// config (videoroom plugin, HTTP transport on 127.0.0.2, full ICE, no STUN) and the janus process
// inside the namespace. While started, the calling thread (and every thread and process it
// creates) lives in the namespace; stop() moves it back and deletes the namespace.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace sfu::bench {

class JanusServer {
 public:
  struct Options {
    std::string binary = "janus";
    std::string work_dir;  // the config and log go to <work_dir>/janus
    std::string ip = "127.0.0.2";
    uint16_t http_port = 18088;
    std::vector<int> cpus;  // affinity of janus; empty = any
    int nice = 0;
    int debug_level = 3;
  };

  JanusServer() = default;
  ~JanusServer() { stop(); }
  JanusServer(const JanusServer&) = delete;
  JanusServer& operator=(const JanusServer&) = delete;

  bool start(const Options& options, std::string* error);
  void stop();
  bool running() const;
  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }
  std::string log_tail() const;

  // The config files (name, text) for `options`, as start() writes them.
  static std::vector<std::pair<std::string, std::string>> config_files(const Options& options,
                                                                       const std::string& config_dir);

 private:
  bool enter_namespace(std::string* error);
  void leave_namespace();

  Options options_;
  std::string namespace_;
  int original_netns_fd_ = -1;
  pid_t pid_ = 0;
  mutable bool exited_ = false;  // running() reaped it
  mutable int exit_status_ = 0;
  std::string log_path_;
};

}  // namespace sfu::bench
