#include "bench/janus_server.h"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "bench/janus_api.h"
#include "bench/janus_http_client.h"
#include "bench/server_process.h"

namespace sfu::bench {
namespace {

constexpr const char* kLibDir = "/usr/lib/x86_64-linux-gnu/janus";

bool run_command(const std::string& command, std::string* error) {
  int status = std::system((command + " >/dev/null 2>&1").c_str());
  if (status != 0) {
    *error = "'" + command + "' failed (status " + std::to_string(status) + ")";
    return false;
  }
  return true;
}

std::string library_dir() {
  // Debian's multiarch path; fall back to what janus was built for elsewhere.
  for (const char* dir : {kLibDir, "/usr/lib/janus", "/usr/local/lib/janus", "/opt/janus/lib/janus"})
    if (std::filesystem::exists(std::string(dir) + "/plugins/libjanus_videoroom.so")) return dir;
  return kLibDir;
}

std::string disable_all_but(const std::string& dir, const std::string& keep) {
  std::string out;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.size() < 3 || name.substr(name.size() - 3) != ".so" || name == keep) continue;
    out += (out.empty() ? "" : ",") + name;
  }
  return out;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> JanusServer::config_files(const Options& o,
                                                                           const std::string& config_dir) {
  std::string lib = library_dir();
  std::ostringstream core;
  core << "general: {\n"
       << "  configs_folder = \"" << config_dir << "\"\n"
       << "  plugins_folder = \"" << lib << "/plugins\"\n"
       << "  transports_folder = \"" << lib << "/transports\"\n"
       << "  events_folder = \"" << lib << "/events\"\n"
       << "  loggers_folder = \"" << lib << "/loggers\"\n"
       << "  debug_level = " << o.debug_level << "\n"
       << "  session_timeout = 0\n"  // no keepalives needed during long runs
       << "  server_name = \"sfu-bench\"\n"
       << "}\n"
       << "certificates: {\n}\n"
       << "media: {\n  rtp_port_range = \"40000-59999\"\n}\n"
       << "nat: {\n  nice_debug = false\n  full_trickle = false\n  ice_lite = false\n  ice_tcp = false\n"
       << "  ice_enforce_list = \"" << o.ip << "\"\n}\n"
       << "plugins: {\n  disable = \"" << disable_all_but(lib + "/plugins", "libjanus_videoroom.so")
       << "\"\n}\n"
       << "transports: {\n  disable = \"" << disable_all_but(lib + "/transports", "libjanus_http.so")
       << "\"\n}\n"
       << "loggers: {\n  disable = \"" << disable_all_but(lib + "/loggers", "") << "\"\n}\n"
       << "events: {\n  broadcast = false\n}\n";
  std::ostringstream http;
  http << "general: {\n  json = \"compact\"\n  base_path = \"/janus\"\n  http = true\n  port = "
       << o.http_port << "\n  ip = \"" << o.ip << "\"\n  https = false\n}\n"
       << "admin: {\n  admin_base_path = \"/admin\"\n  admin_http = false\n  admin_https = false\n}\n"
       << "cors: {\n}\n";
  return {{"janus.jcfg", core.str()},
          {"janus.plugin.videoroom.jcfg", "general: {\n}\n"},
          {"janus.transport.http.jcfg", http.str()}};
}

bool JanusServer::enter_namespace(std::string* error) {
  namespace_ = "sfub-" + std::to_string(getpid());
  const std::string ns = namespace_;
  run_command("ip netns del " + ns, error);  // a leftover of a crashed run
  if (!run_command("ip netns add " + ns, error)) {
    namespace_.clear();
    return false;
  }
  for (const std::string& command :
       {"ip -n " + ns + " link set lo up", "ip -n " + ns + " link add sfub0 type veth peer name sfub1",
        "ip -n " + ns + " addr add " + options_.ip + "/8 dev sfub0", "ip -n " + ns + " link set sfub0 up",
        "ip -n " + ns + " link set sfub1 up",
        "ip netns exec " + ns + " sysctl -qw net.ipv4.conf.all.route_localnet=1"})
    if (!run_command(command, error)) return false;
  original_netns_fd_ = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
  int fd = open(("/var/run/netns/" + ns).c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || original_netns_fd_ < 0 || setns(fd, CLONE_NEWNET) != 0) {
    *error = "entering network namespace " + ns + ": " + std::strerror(errno);
    if (fd >= 0) close(fd);
    return false;
  }
  close(fd);
  return true;
}

void JanusServer::leave_namespace() {
  if (original_netns_fd_ >= 0) {
    if (setns(original_netns_fd_, CLONE_NEWNET) != 0)
      std::fprintf(stderr, "sfu-bench: cannot leave the janus namespace: %s\n", std::strerror(errno));
    close(original_netns_fd_);
    original_netns_fd_ = -1;
  }
  if (!namespace_.empty()) {
    std::string error;
    if (!run_command("ip netns del " + namespace_, &error))
      std::fprintf(stderr, "sfu-bench: %s\n", error.c_str());
    namespace_.clear();
  }
}

bool JanusServer::start(const Options& options, std::string* error) {
  options_ = options;
  std::string dir = options.work_dir + "/janus";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  for (const auto& [name, text] : config_files(options, dir)) {
    const std::string file = std::string(dir).append("/").append(name);
    std::ofstream out(file);
    out << text;
    if (!out) {
      *error = "cannot write " + file;
      return false;
    }
  }
  log_path_ = dir + "/janus.log";
  if (!enter_namespace(error)) {
    leave_namespace();
    return false;
  }
  std::string config = dir + "/janus.jcfg";
  std::vector<std::string> args = {options.binary, "-F", dir, "-C", config, "-o", "-N", "-L", log_path_};
  pid_ = fork();
  if (pid_ < 0) {
    *error = std::string("fork: ") + std::strerror(errno);
    pid_ = 0;
    leave_namespace();
    return false;
  }
  if (pid_ == 0) {
    set_scheduling(options.cpus, options.nice);
    int null_fd = open("/dev/null", O_RDWR);
    if (null_fd >= 0) {
      dup2(null_fd, 0);
      dup2(null_fd, 1);
      dup2(null_fd, 2);
    }
    std::vector<char*> argv;
    argv.reserve(args.size() + 1);
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execvp(argv[0], argv.data());
    _exit(127);
  }
  // Ready when the HTTP API answers.
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  while (std::chrono::steady_clock::now() < deadline) {
    if (!running()) {
      *error = "janus exited at startup (status " + std::to_string(exit_status_) + "; 127: '" +
               options.binary + "' could not be run): " + log_tail();
      stop();
      return false;
    }
    std::string ignored;
    if (auto response =
            janus::http_request(options.ip, options.http_port, "GET", "/janus/info", "", 1000, &ignored);
        response && response->status == 200)
      return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  *error = "janus did not answer on http://" + options.ip + ":" + std::to_string(options.http_port) + ": " +
           log_tail();
  stop();
  return false;
}

bool JanusServer::running() const {
  if (pid_ <= 0 || exited_) return false;
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) == 0) return true;
  exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  exited_ = true;  // reaped: stop() must not signal a pid that may be reused
  return false;
}

void JanusServer::stop() {
  if (pid_ > 0 && exited_) pid_ = 0;
  exited_ = false;
  if (pid_ > 0) {
    kill(pid_, SIGTERM);
    for (int i = 0; i < 50; ++i) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) != 0) {
        pid_ = 0;
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = 0;
    }
  }
  leave_namespace();
}

std::string JanusServer::log_tail() const {
  std::ifstream in(log_path_);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (text.size() > 2000) text = text.substr(text.size() - 2000);
  return text;
}

}  // namespace sfu::bench
