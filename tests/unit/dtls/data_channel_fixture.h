// Two DataChannelEndpoints (real usrsctp) on one uv loop, joined by an in-memory link that carries
// each SCTP packet to the other side from the loop (never from inside usrsctp), and can drop a
// seeded share of packets or hold them while "stalled". The usrsctp timers run on the same loop
// unless a test drives them from another thread.
#pragma once

#include <gtest/gtest.h>
#include <uv.h>

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "dtls/data_channel_endpoint.h"
#include "dtls/sctp_stack.h"

namespace sfu::dtls::test {

using Bytes = std::vector<uint8_t>;

inline Bytes make_payload(size_t size, uint32_t seed) {
  Bytes bytes(size);
  std::mt19937 rng(seed);
  for (uint8_t& b : bytes) b = static_cast<uint8_t>(rng());
  return bytes;
}

inline ByteSpan span_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

// DATA chunks (type 0) in one SCTP packet: 12-byte common header, then chunks padded to 4 bytes.
inline size_t count_data_chunks(ByteSpan packet) {
  size_t count = 0;
  size_t offset = 12;
  while (offset + 4 <= packet.size()) {
    size_t length = (packet[offset + 2] << 8) | packet[offset + 3];
    if (length < 4) break;
    if (packet[offset] == 0) ++count;
    offset += (length + 3) & ~size_t{3};
  }
  return count;
}

// Carries packets between side 0 and side 1 on the loop, through a uv_async.
class MemoryLink {
 public:
  using Deliver = std::function<void(int to, ByteSpan packet)>;

  explicit MemoryLink(uv_loop_t* loop) : async_(new uv_async_t) {
    uv_async_init(loop, async_, [](uv_async_t* h) {
      if (auto* self = static_cast<MemoryLink*>(h->data)) self->flush();
    });
    async_->data = this;
  }
  ~MemoryLink() {
    async_->data = nullptr;
    uv_close(reinterpret_cast<uv_handle_t*>(async_),
             [](uv_handle_t* h) { delete reinterpret_cast<uv_async_t*>(h); });
  }
  MemoryLink(const MemoryLink&) = delete;
  MemoryLink& operator=(const MemoryLink&) = delete;

  void set_deliver(Deliver deliver) { deliver_ = std::move(deliver); }
  // Drops this share of packets in both directions, decided by a seeded generator.
  void set_loss(double share, uint32_t seed) {
    loss_ = share;
    rng_.seed(seed);
  }
  // Holds what `from` sends until released (the peer seems not to read).
  void set_stalled(int from, bool stalled) {
    stalled_[from] = stalled;
    if (!stalled) uv_async_send(async_);
  }

  void carry(int from, ByteSpan packet) {
    ++sent_[from];
    if (loss_ > 0 && std::uniform_real_distribution<double>(0, 1)(rng_) < loss_) {
      ++dropped_[from];
      dropped_data_chunks_[from] += count_data_chunks(packet);
      return;
    }
    queue_.push_back({from, Bytes(packet.begin(), packet.end())});
    uv_async_send(async_);
  }

  uint64_t sent(int from) const { return sent_[from]; }
  uint64_t dropped(int from) const { return dropped_[from]; }
  uint64_t dropped_data_chunks(int from) const { return dropped_data_chunks_[from]; }

 private:
  struct Packet {
    int from;
    Bytes bytes;
  };

  void flush() {
    std::vector<Packet> batch;
    batch.swap(queue_);
    for (Packet& packet : batch) {
      if (stalled_[packet.from]) {
        queue_.push_back(std::move(packet));
        continue;
      }
      if (deliver_) deliver_(1 - packet.from, packet.bytes);
    }
  }

  uv_async_t* async_;
  Deliver deliver_;
  std::vector<Packet> queue_;
  double loss_ = 0;
  std::mt19937 rng_;
  std::array<bool, 2> stalled_{false, false};
  std::array<uint64_t, 2> sent_{0, 0};
  std::array<uint64_t, 2> dropped_{0, 0};
  std::array<uint64_t, 2> dropped_data_chunks_{0, 0};
};

struct ReceivedMessage {
  uint16_t channel;
  bool binary;
  Bytes data;
};

// One side: an endpoint and what its observer saw.
class Peer : public DataChannelEndpoint::Observer {
 public:
  Peer(SctpMailbox& mailbox, MemoryLink& link, int side, bool is_dtls_client, SctpOptions options,
       DataChannelLimits limits)
      : link_(link), side_(side) {
    endpoint = std::make_unique<DataChannelEndpoint>(mailbox, *this, options, is_dtls_client, limits);
  }

  void send_data_packet(ByteSpan packet) override {
    largest_packet = std::max(largest_packet, packet.size());
    link_.carry(side_, packet);
  }
  void on_data_channels_ready() override { ready = true; }
  void on_channel_opened(const DataChannelInfo& channel) override { opened.push_back(channel); }
  void on_channel_message(const DataChannelInfo& channel, bool binary, ByteSpan message) override {
    messages.push_back({channel.id, binary, Bytes(message.begin(), message.end())});
    if (on_message) on_message(channel, binary, message);
  }
  void on_channel_closed(const DataChannelInfo& channel) override { closed.push_back(channel); }
  void on_send_buffer_low() override { ++buffer_low; }
  void on_data_channels_closed(std::string_view reason) override { dead_reason = std::string(reason); }

  std::unique_ptr<DataChannelEndpoint> endpoint;
  bool ready = false;
  std::vector<DataChannelInfo> opened;
  std::vector<ReceivedMessage> messages;
  std::vector<DataChannelInfo> closed;
  int buffer_low = 0;
  std::optional<std::string> dead_reason;
  size_t largest_packet = 0;
  std::function<void(const DataChannelInfo&, bool, ByteSpan)> on_message;

 private:
  MemoryLink& link_;
  int side_;
};

class DataChannelTest : public ::testing::Test {
 protected:
  void SetUp() override {
    uv_loop_init(&loop_);
    mailbox_ = std::make_unique<SctpMailbox>(&loop_);
    link_ = std::make_unique<MemoryLink>(&loop_);
    link_->set_deliver([this](int to, ByteSpan packet) {
      Peer* peer = to == 0 ? client.get() : server.get();
      if (peer != nullptr) peer->endpoint->handle_packet(packet);
    });
  }

  void TearDown() override {
    client.reset();
    server.reset();
    timers_.reset();
    link_.reset();
    mailbox_.reset();
    uv_run(&loop_, UV_RUN_NOWAIT);  // close callbacks
    uv_walk(
        &loop_,
        [](uv_handle_t* h, void*) { ADD_FAILURE() << "handle left open: " << uv_handle_type_name(h->type); },
        nullptr);
    uv_loop_close(&loop_);
  }

  // Side 0 is the DTLS client, side 1 the DTLS server (as the SFU always is).
  void make(SctpOptions options = {}, DataChannelLimits client_limits = {},
            DataChannelLimits server_limits = {}, bool timers_on_loop = true) {
    if (timers_on_loop) timers_ = std::make_unique<SctpTimerDriver>(&loop_);
    client = std::make_unique<Peer>(*mailbox_, *link_, 0, true, options, client_limits);
    server = std::make_unique<Peer>(*mailbox_, *link_, 1, false, options, server_limits);
  }

  void connect(SctpOptions options = {}, DataChannelLimits client_limits = {},
               DataChannelLimits server_limits = {}) {
    make(options, client_limits, server_limits);
    client->endpoint->connect();
    server->endpoint->connect();
    ASSERT_TRUE(run_until([&] { return client->ready && server->ready; })) << "association never came up";
  }

  // Runs the loop until `done` or `timeout_ms` of loop time passed.
  bool run_until(const std::function<bool()>& done, uint64_t timeout_ms = 20'000) {
    uint64_t deadline = uv_now(&loop_) + timeout_ms;
    uv_timer_t wake;  // keeps UV_RUN_ONCE from blocking past the deadline
    uv_timer_init(&loop_, &wake);
    uv_timer_start(
        &wake, [](uv_timer_t*) {}, 50, 50);
    bool ok = false;
    while (!(ok = done()) && uv_now(&loop_) < deadline) uv_run(&loop_, UV_RUN_ONCE);
    uv_close(reinterpret_cast<uv_handle_t*>(&wake), nullptr);
    uv_run(&loop_, UV_RUN_NOWAIT);
    return ok;
  }

  // Opens a channel from `opener` and waits until the other side has it.
  uint16_t open(Peer& opener, Peer& other, const std::string& label, SctpReliability reliability = {},
                const std::string& protocol = "") {
    size_t before = other.opened.size();
    std::optional<uint16_t> id = opener.endpoint->open_channel(label, protocol, reliability);
    EXPECT_TRUE(id.has_value());
    EXPECT_TRUE(run_until([&] { return other.opened.size() > before; }));
    return id.value_or(0);
  }

  uv_loop_t loop_{};
  std::unique_ptr<SctpMailbox> mailbox_;
  std::unique_ptr<MemoryLink> link_;
  std::unique_ptr<SctpTimerDriver> timers_;
  std::unique_ptr<Peer> client;
  std::unique_ptr<Peer> server;
};

}  // namespace sfu::dtls::test
