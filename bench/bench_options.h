// sfu-bench's command line.
#pragma once

#include <string>
#include <variant>
#include <vector>

#include "bench/load_run.h"
#include "bench/packet_stamp.h"

namespace sfu::bench {

// --data-size bounds: the stamp, and the server's default a=max-message-size.
inline constexpr size_t kMinDataSize = kStampSize;
inline constexpr size_t kMaxDataSize = 262144;

struct BenchOptions {
  Scenario scenario;
  std::string target = "sfu";  // sfu | janus | both (the SFU run, then the same load through Janus)
  std::string janus_binary = "janus";
  uint32_t workers = 1;
  std::string url;     // use a running server instead of starting one
  int server_pid = 0;  // with --url: whose CPU and memory to report
  // --span-url (repeatable, with --url): other nodes of a cluster; each room's participants are
  // spread over --url and these in turn and join with `stay`, so every room spans the nodes.
  std::vector<std::string> span_urls;
  std::string sfu_binary;  // default: "sfu" next to sfu-bench
  std::string server_log_level = "warn";
  std::string pacing;  // --pacing on|off: the server's bandwidth.pacing (empty: its default)
  // --allocation on|off: the server's bandwidth.allocation; off unless asked for: the bench measures
  // forwarding, and loopback has no bottleneck for the allocator to share.
  std::string allocation = "off";
  std::string srtp_profile = "any";  // any | gcm | aes-cm
  std::string json_path;
  bool baseline = false;
  bool tcp = false;  // after the SFU run over UDP, the same load over ICE-TCP
  // After the plain SFU run, the same scenario with simulcast publishers (Scenario::simulcast).
  bool simulcast = false;
  bool ramp = false;
  double ramp_step_s = 3;
  double ramp_factor = 1.5;
  uint32_t ramp_max_steps = 12;
  double ramp_max_loss = 0.001;
  double ramp_max_p99_ms = 20;
  bool pin = true;  // server on the last CPU, clients on the others (when there are two or more)
  std::string work_dir;
  int nice = 0;  // scheduling priority of the server and the bench (negative needs privileges)
  bool help = false;
};

std::variant<BenchOptions, std::string> parse_bench_options(const std::vector<std::string>& args);
const char* bench_usage();

// "ws://host:port/path" or "http://host:port" -> host, port, path.
bool parse_url(const std::string& url, std::string* host, uint16_t* port, std::string* path);

}  // namespace sfu::bench
