#include "bench/bench_options.h"

#include <charconv>
#include <functional>
#include <map>

namespace sfu::bench {
namespace {

template <typename T>
bool parse_number(const std::string& text, T* out) {
  if constexpr (std::is_floating_point_v<T>) {
    try {
      size_t used = 0;
      double value = std::stod(text, &used);
      if (used != text.size()) return false;
      *out = static_cast<T>(value);
      return true;
    } catch (...) {
      return false;
    }
  } else {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
    return ec == std::errc() && end == text.data() + text.size();
  }
}

}  // namespace

const char* bench_usage() {
  return R"(Usage: sfu-bench [options]

Load generator for the SFU: every simulated participant does real signaling, ICE, DTLS and SRTP
on its own UDP sockets. Publishers send stamped synthetic video and audio; subscribers measure
loss and one-way latency. With --data-rate, publishers also send stamped messages on data
channels (SCTP over DTLS, usrsctp), and receivers check them.

Scenario:
  --rooms N              rooms (default 1)
  --publishers N         publishers per room (default 2)
  --subscribers N        receive-only participants per room (default 4)
  --video-pps N          video packets per second per publisher (default 500; 0 = no video)
  --packet-size N        video RTP packet size in bytes (default 1200)
  --fps N                video frames per second (default 30)
  --no-audio             publishers send no audio (default: Opus-sized packets every 20 ms)
  --data-rate N          data channel messages per second per publisher on each of two channels,
                         a reliable ordered one and an unreliable unordered one (maxRetransmits
                         0), relayed by the server to every other participant of the room
                         (default 0: no data channels). Receivers count loss (unreliable),
                         gaps, reordering and missing messages (reliable: any is an error, and
                         sfu-bench then exits 1, as it does when nothing was relayed) and one-way
                         latency; the report adds messages relayed per second (the server's
                         sfu_data_messages_total{direction="out"} and the receivers' counts) and
                         per worker core. Works with or without media (--video-pps 0 --no-audio
                         for data only). The started server runs with
                         data_channels.bytes_per_second_per_participant: 0 (no rate limit)
  --data-size B          bytes per data message, the 20-byte stamp included (default 1000;
                         20..262144)
  --data-test-fault F    gap | reorder: to test the checks, publishers skip a sequence number
                         (gap) or swap two (reorder) on their reliable channel every 20
                         messages, so the run must fail (the ctest bench_data_smoke does)
  --duration S           measured seconds (default 5)
  --warmup S             seconds between "all connected" and the measurement (default 1)
  --connect-timeout S    (default 60)
  --client-threads N     client loop threads (default 2)
  --srtp-profile P       any | gcm | aes-cm (default any: the server picks)
Target:
  --target T             sfu (default), janus, or both: janus puts the same load through Janus
                         (Debian's janus package, videoroom plugin; needs root: Janus and the
                         clients run in a private network namespace on 127.0.0.2) and reports
                         janus_pps; both runs the SFU first, then Janus, in one report
  --janus PATH           the janus binary (default: janus on PATH)
  --workers N            server worker threads (default 1)
  --sfu PATH             the server binary (default: sfu next to sfu-bench)
  --url URL              use a running server (ws://127.0.0.1:8080/v1/rtc) instead of starting one
  --server-pid PID       with --url: the server process to measure CPU and memory of
  --span-url URL         with --url, repeatable: another node of the same cluster; each room's
                         participants go to --url and these nodes in turn and join with "stay",
                         so every room spans the nodes (CPU and /metrics: --url's node only)
  --server-log-level L   (default warn)
  --pacing on|off        the server's bandwidth.pacing (default: the server's default, off)
  --allocation on|off    the server's bandwidth.allocation (default off: loopback has no bottleneck
                         to share; on measures the allocator's cost)
  --nice N               run the server and the bench at this nice level (e.g. -10 on a machine
                         that is busy with other work; negative values need privileges)
  --no-pin               do not pin the server and the clients to separate CPUs
Modes:
  --baseline             also run the same load through a plain UDP reflector (no ICE/DTLS/SRTP)
  --tcp                  after the SFU run over UDP, run the same load with every participant on
                         ICE-TCP (RFC 6544, the server's passive TCP candidate) and compare
  --simulcast            after the plain SFU run, run the same scenario with simulcast publishers
                         and compare: each publisher sends rid VP8 simulcast as Chromium does
                         (layers q, h, f; f at --video-pps, h at half, q at a quarter of it, each
                         layer with its own key frames), subscriber k of a room asks every
                         publisher's video for layer k % 3 (track_settings max_layer), publishers
                         receive each other at the default (f). Receivers count loss and latency on
                         the layer they asked for. Reports forwarded pps per layer and the server
                         CPU-us per forwarded packet of both runs and their ratio (and per packet in
                         or out, as simulcast publishers send 1.75x the packets); sfu-bench exits 1
                         when a layer with receivers forwarded nothing or a receiver got packets of
                         a layer it did not ask for. --packet-size at least 100
  --simulcast-test-fault to test the checks: with --simulcast, subscriber 0 of each room asks for
                         another layer when the measurement starts, so the run must fail
  --ramp                 raise the video rate step by step until loss > --ramp-max-loss or
                         p99 > --ramp-max-p99-ms; report the highest load that held, then run at
                         half of it. With --data-rate, the data rate is raised instead (media
                         stays as given), and a step also fails on any reliable channel error or
                         when the publishers could not send 98 % of the offered messages
  --ramp-step S          seconds per step (default 3)
  --ramp-factor F        rate multiplier per step (default 1.5)
  --ramp-steps N         at most N steps (default 12)
  --ramp-max-loss R      (default 0.001)
  --ramp-max-p99-ms MS   (default 20)
Output:
  --json FILE            write the results as JSON
  --quiet                no progress line
  --work-dir DIR         where the server's config and log go (default: a temp dir)
  --help
)";
}

bool parse_url(const std::string& url, std::string* host, uint16_t* port, std::string* path) {
  std::string rest = url;
  for (const char* scheme : {"ws://", "http://"})
    if (rest.rfind(scheme, 0) == 0) rest = rest.substr(std::string(scheme).size());
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  *path = slash == std::string::npos || rest.substr(slash) == "/" ? "/v1/rtc" : rest.substr(slash);
  size_t colon = authority.rfind(':');
  if (colon == std::string::npos || colon == 0) return false;
  *host = authority.substr(0, colon);
  if (host->size() > 2 && host->front() == '[' && host->back() == ']')
    *host = host->substr(1, host->size() - 2);
  return parse_number(authority.substr(colon + 1), port) && *port != 0;
}

// NOLINTNEXTLINE(readability-function-cognitive-complexity): one flat branch per flag; splitting it scatters the flag table.
std::variant<BenchOptions, std::string> parse_bench_options(const std::vector<std::string>& args) {
  BenchOptions o;
  Scenario& s = o.scenario;
  using Setter = std::function<bool(const std::string&)>;
  auto u32 = [](uint32_t* out) {
    return Setter([out](const std::string& v) { return parse_number(v, out); });
  };
  auto dbl = [](double* out) {
    return Setter([out](const std::string& v) { return parse_number(v, out) && *out >= 0; });
  };
  auto str = [](std::string* out) {
    return Setter([out](const std::string& v) {
      *out = v;
      return !v.empty();
    });
  };
  auto on_off = [](std::string* out) {
    return Setter([out](const std::string& v) {
      *out = v;
      return v == "on" || v == "off";
    });
  };
  std::map<std::string, Setter> with_value = {
      {"--rooms", u32(&s.rooms)},
      {"--publishers", u32(&s.publishers)},
      {"--subscribers", u32(&s.subscribers)},
      {"--video-pps", u32(&s.video_pps)},
      {"--packet-size",
       [&](const std::string& v) {
         return parse_number(v, &s.video_packet_size) && s.video_packet_size >= 64 &&
                s.video_packet_size <= 1400;
       }},
      {"--fps", u32(&s.video_fps)},
      {"--data-rate", u32(&s.data_rate)},
      {"--data-test-fault",
       [&](const std::string& v) {
         s.data_fault = v == "gap"       ? DataFault::kGap
                        : v == "reorder" ? DataFault::kReorder
                                         : DataFault::kNone;
         return s.data_fault != DataFault::kNone;
       }},
      {"--data-size",
       [&](const std::string& v) {
         return parse_number(v, &s.data_size) && s.data_size >= kMinDataSize && s.data_size <= kMaxDataSize;
       }},
      {"--duration", dbl(&s.duration_s)},
      {"--warmup", dbl(&s.warmup_s)},
      {"--connect-timeout", dbl(&s.connect_timeout_s)},
      {"--client-threads", u32(&s.client_threads)},
      {"--srtp-profile",
       [&](const std::string& v) {
         o.srtp_profile = v;
         return v == "any" || v == "gcm" || v == "aes-cm";
       }},
      {"--target",
       [&](const std::string& v) {
         o.target = v;
         return v == "sfu" || v == "janus" || v == "both";
       }},
      {"--janus", str(&o.janus_binary)},
      {"--workers", u32(&o.workers)},
      {"--sfu", str(&o.sfu_binary)},
      {"--url", str(&o.url)},
      {"--server-pid", [&](const std::string& v) { return parse_number(v, &o.server_pid); }},
      {"--span-url",
       [&](const std::string& v) {
         o.span_urls.push_back(v);
         return true;
       }},
      {"--server-log-level", str(&o.server_log_level)},
      {"--pacing", on_off(&o.pacing)},
      {"--allocation", on_off(&o.allocation)},
      {"--ramp-step", dbl(&o.ramp_step_s)},
      {"--ramp-factor",
       [&](const std::string& v) { return parse_number(v, &o.ramp_factor) && o.ramp_factor > 1.0; }},
      {"--ramp-steps", u32(&o.ramp_max_steps)},
      {"--ramp-max-loss", dbl(&o.ramp_max_loss)},
      {"--ramp-max-p99-ms", dbl(&o.ramp_max_p99_ms)},
      {"--json", str(&o.json_path)},
      {"--work-dir", str(&o.work_dir)},
      {"--nice",
       [&](const std::string& v) { return parse_number(v, &o.nice) && o.nice >= -20 && o.nice <= 19; }},
  };
  std::map<std::string, std::function<void()>> flags = {
      {"--no-audio", [&] { s.audio = false; }},
      {"--baseline", [&] { o.baseline = true; }},
      {"--tcp", [&] { o.tcp = true; }},
      {"--ramp", [&] { o.ramp = true; }},
      {"--simulcast", [&] { o.simulcast = true; }},
      {"--simulcast-test-fault", [&] { s.simulcast_fault = true; }},
      {"--no-pin", [&] { o.pin = false; }},
      {"--quiet", [&] { s.progress = false; }},
      {"--help", [&] { o.help = true; }},
      {"-h", [&] { o.help = true; }},
  };
  for (size_t i = 0; i < args.size(); ++i) {
    std::string arg = args[i], value;
    bool inline_value = false;
    if (size_t eq = arg.find('='); arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = arg.substr(eq + 1);
      arg = arg.substr(0, eq);
      inline_value = true;
    }
    if (auto f = flags.find(arg); f != flags.end() && !inline_value) {
      f->second();
      continue;
    }
    auto setter = with_value.find(arg);
    if (setter == with_value.end()) return "unknown argument '" + args[i] + "'";
    if (!inline_value) {
      if (i + 1 >= args.size()) return "missing value for " + arg;
      value = args[++i];
    }
    if (!setter->second(value))
      return std::string("bad value for ").append(arg).append(": '").append(value).append("'");
  }
  if (s.rooms == 0 || s.publishers == 0) return "--rooms and --publishers must be at least 1";
  if (s.video_pps == 0 && !s.audio && s.data_rate == 0)
    return "nothing to send: --video-pps 0 with --no-audio and no --data-rate";
  if (s.data() && (o.target != "sfu" || o.baseline))
    return "--data-rate needs --target sfu and no --baseline (the others carry no data channels)";
  if (o.workers == 0) return "--workers must be at least 1";
  if (s.client_threads == 0 || s.client_threads > 64) return "--client-threads must be 1..64";
  if (s.duration_s <= 0) return "--duration must be positive";
  if (o.target != "sfu" && o.ramp) return "--ramp is not supported with --target janus or both";
  if (o.tcp && (o.target != "sfu" || o.ramp)) return "--tcp needs --target sfu and no --ramp";
  if (o.simulcast && (o.target != "sfu" || o.ramp || o.tcp || o.baseline || s.data()))
    return "--simulcast needs --target sfu and none of --ramp, --tcp, --baseline, --data-rate";
  if (o.simulcast && (s.video_pps < kSimulcastLayers + 1 || s.video_packet_size < kMinSimulcastPacketSize))
    return "--simulcast needs --video-pps 4 or more and --packet-size 100 or more";
  if (s.simulcast_fault && !o.simulcast) return "--simulcast-test-fault needs --simulcast";
  if (!o.url.empty()) {
    std::string host, path;
    uint16_t port = 0;
    if (!parse_url(o.url, &host, &port, &path))
      return "bad --url '" + o.url + "' (expected ws://host:port/v1/rtc)";
  }
  if (!o.span_urls.empty() && (o.url.empty() || o.target != "sfu" || o.ramp || o.tcp || o.baseline))
    return "--span-url needs --url and --target sfu, and none of --ramp, --tcp, --baseline";
  for (const std::string& url : o.span_urls) {
    std::string host, path;
    uint16_t port = 0;
    if (!parse_url(url, &host, &port, &path))
      return "bad --span-url '" + url + "' (expected ws://host:port/v1/rtc)";
  }
  return o;
}

}  // namespace sfu::bench
