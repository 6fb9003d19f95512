#include "bench/soak/join_burst.h"

#include <algorithm>

#include "bench/packet_stamp.h"

namespace sfu::soak {

JoinBurst::JoinBurst(uv_loop_t* loop, const FaultTarget& target, uint32_t sockets, uint32_t pairs,
                     uint64_t interval_ms)
    : loop_(loop),
      target_(target),
      sockets_(sockets),
      pairs_(pairs),
      interval_ns_(interval_ms * 1'000'000ull) {}

bool JoinBurst::start(std::string*) {
  next_burst_ns_ = bench::monotonic_ns();
  return true;
}

void JoinBurst::on_message(const nlohmann::json& message) {
  std::string type = message.value("type", "");
  if (type == "joined") ++joined_;
  if (type != "error") return;
  if (message.value("code", "") == "overloaded")
    ++overloaded_;
  else
    ++other_errors_;
}

void JoinBurst::burst() {
  // The previous burst's sockets stay open until now, so the answers to their messages (joined,
  // overloaded) arrive; then they close, and their closes are tasks for the worker too.
  std::erase_if(clients_, [](const auto& c) { return c->state() == client::SignalingClient::State::Closed; });
  for (auto& client : clients_) client->close(1000, "burst over");
  ++bursts_;
  for (uint32_t i = 0; i < sockets_; ++i) {
    auto client = std::make_unique<client::SignalingClient>(loop_);
    client::SignalingClient* raw = client.get();
    std::string room = target_.room + "-burst-" + std::to_string(i % 4);
    client::SignalingClient::Callbacks callbacks;
    callbacks.on_open = [this, raw, room] {
      ++opened_;
      nlohmann::json join = {{"type", "join"}, {"room", room}, {"name", "burst"}};
      nlohmann::json leave = {{"type", "leave"}};
      for (uint32_t pair = 0; pair < pairs_; ++pair) {
        if (raw->send(join)) ++messages_sent_;
        if (raw->send(leave)) ++messages_sent_;
      }
    };
    callbacks.on_message = [this](const nlohmann::json& message) { on_message(message); };
    callbacks.on_close = [this, raw](uint16_t, const std::string&) {
      if (raw->counters().messages_sent == 0) ++not_opened_;
    };
    std::string error;
    if (!client->connect(target_.host, target_.port, target_.path, std::move(callbacks), &error)) {
      failure_ = error;
      return;
    }
    clients_.push_back(std::move(client));
  }
}

void JoinBurst::tick(uint64_t now_ns) {
  if (stopping_ || now_ns < next_burst_ns_) return;
  next_burst_ns_ = now_ns + interval_ns_;
  burst();
}

void JoinBurst::stop() {
  stopping_ = true;
  for (auto& client : clients_) client->close(1000, "fault over");
}

bool JoinBurst::stopped() const {
  return std::all_of(clients_.begin(), clients_.end(),
                     [](const auto& c) { return c->state() == client::SignalingClient::State::Closed; });
}

std::vector<FaultFigure> JoinBurst::figures() const {
  return {
      {"bursts", std::to_string(bursts_) + " x " + std::to_string(sockets_) + " sockets x " +
                     std::to_string(pairs_) + " join/leave pairs"},
      {"messages sent", std::to_string(messages_sent_)},
      {"sockets opened / refused or failed", std::to_string(opened_) + " / " + std::to_string(not_opened_)},
      {"joined answers", std::to_string(joined_)},
      {"overloaded errors received", std::to_string(overloaded_)},
      {"other errors received", std::to_string(other_errors_)}};
}

}  // namespace sfu::soak
