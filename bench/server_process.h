// The server under test as a child process: build/bin/sfu with a generated YAML config (free
// ports on loopback, the asked number of workers, quiet logging), started and stopped by the bench.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace sfu::bench {

class ServerProcess {
 public:
  struct Options {
    std::string binary;  // path of the sfu executable
    uint32_t workers = 1;
    std::string log_level = "warn";
    std::string bind_ip = "127.0.0.1";
    std::vector<int> cpus;  // CPU affinity of the whole process; empty = any
    int nice = 0;
    std::string extra_yaml;  // appended to the generated config
    std::string work_dir;    // config and log go here
    uint32_t ready_timeout_ms = 15'000;
  };

  ServerProcess() = default;
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;

  // Writes the config, spawns the server and waits until its HTTP port accepts connections.
  bool start(const Options& options, std::string* error);
  // SIGTERM, then SIGKILL after 5 s. Returns the exit status (-1 if killed or not running).
  int stop();
  bool running();

  pid_t pid() const { return pid_; }
  uint16_t http_port() const { return http_port_; }
  uint16_t udp_port() const { return udp_port_; }
  uint16_t tcp_port() const { return tcp_port_; }  // the first worker's ICE-TCP port
  const std::string& config_path() const { return config_path_; }
  const std::string& log_path() const { return log_path_; }
  std::string log_tail(size_t max_bytes = 2000) const;

 private:
  pid_t pid_ = -1;
  uint16_t http_port_ = 0;
  uint16_t udp_port_ = 0;
  uint16_t tcp_port_ = 0;
  std::string config_path_;
  std::string log_path_;
};

// A free TCP port on `ip`, and a free run of `count` UDP (or TCP) ports on `ip` (0 when none was found).
uint16_t free_tcp_port(const std::string& ip);
uint16_t free_udp_ports(const std::string& ip, uint32_t count);
uint16_t free_tcp_ports(const std::string& ip, uint32_t count);

// The generated configuration (exposed for tests): workers on UDP udp_port + i and ICE-TCP
// tcp_port + i.
std::string server_config_yaml(uint16_t http_port, uint16_t udp_port, uint16_t tcp_port, uint32_t workers,
                               const std::string& ip, const std::string& log_level,
                               const std::string& extra_yaml);

// In a forked child before exec: pin to `cpus` (none = any) and set the nice level (0 = keep).
void set_scheduling(const std::vector<int>& cpus, int nice);

}  // namespace sfu::bench
