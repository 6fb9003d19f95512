#include "bench/soak/silent_subscribers.h"

#include <algorithm>

#include "bench/packet_stamp.h"
#include "bench/soak/text_table.h"

namespace sfu::soak {
namespace {

// Longer than any run: the first answer is held, i.e. never sent.
constexpr uint64_t kNeverMs = 24ull * 3600 * 1000;

}  // namespace

SilentSubscribers::SilentSubscribers(uv_loop_t* loop, const FaultTarget& target, uint32_t count,
                                     uint32_t join_timeout_s, double slack_s)
    : join_timeout_s_(join_timeout_s), slack_s_(slack_s) {
  for (uint32_t i = 0; i < count; ++i) {
    client::ParticipantClient::Options options;
    options.server_host = target.host;
    options.server_port = target.port;
    options.path = target.path;
    options.bind_ip = target.bind_ip;
    options.room = target.room;
    options.name = "silent-" + std::to_string(i);
    options.publish_audio = false;
    options.publish_video = false;
    options.connect_media = false;
    options.first_subscribe_answer_delay_ms = kNeverMs;
    clients_.push_back({std::make_unique<client::ParticipantClient>(loop, options)});
  }
}

bool SilentSubscribers::start(std::string* error) {
  for (Silent& s : clients_)
    if (!s.client->start(error)) return false;
  return true;
}

bool SilentSubscribers::removed(const Silent& s) const {
  // The server's `connection_lost` error, or its closing the socket: either way it let go.
  return s.client->signaling_closed() || s.client->counters().errors_received > 0;
}

bool SilentSubscribers::active() const {
  return std::all_of(clients_.begin(), clients_.end(),
                     [](const Silent& s) { return s.client->counters().subscribe_offers > 0; });
}

std::string SilentSubscribers::failure() const {
  for (const Silent& s : clients_)
    if (s.joined_ns == 0 && !s.client->failures().empty()) return s.client->failures().front();
  return {};
}

void SilentSubscribers::tick(uint64_t now_ns) {
  for (Silent& s : clients_) {
    if (s.joined_ns == 0 && s.client->joined()) s.joined_ns = now_ns;
    if (s.joined_ns != 0 && s.removed_ns == 0 && removed(s)) s.removed_ns = now_ns;
  }
}

void SilentSubscribers::stop() {
  for (Silent& s : clients_) s.client->close_signaling();
}

bool SilentSubscribers::stopped() const {
  return std::all_of(clients_.begin(), clients_.end(),
                     [](const Silent& s) { return s.client->signaling_closed(); });
}

std::vector<FaultFigure> SilentSubscribers::figures() const {
  uint64_t offers = 0, answers = 0;
  for (const Silent& s : clients_) {
    offers += s.client->counters().subscribe_offers;
    answers += s.client->counters().subscribe_answers_sent;
  }
  return {{"silent subscribers", std::to_string(clients_.size())},
          {"subscribe offers they got / answered", std::to_string(offers) + " / " + std::to_string(answers)}};
}

std::vector<FaultCheck> SilentSubscribers::checks() const {
  double bound_s = join_timeout_s_ + slack_s_;
  size_t in_time = 0;
  double slowest = 0;
  for (const Silent& s : clients_) {
    if (s.joined_ns == 0 || s.removed_ns == 0) continue;
    double after = static_cast<double>(s.removed_ns - s.joined_ns) / 1e9;
    slowest = std::max(slowest, after);
    if (after <= bound_s) ++in_time;
  }
  std::string observed = std::to_string(in_time) + "/" + std::to_string(clients_.size()) + " removed";
  if (in_time > 0) observed += ", slowest after " + fixed(slowest, 1) + " s";
  return {{"silent subscribers removed by the server", observed,
           "all, within rtc.join_timeout_s + " + fixed(slack_s_, 0) + " s = " + fixed(bound_s, 0) + " s",
           in_time == clients_.size()}};
}

}  // namespace sfu::soak
