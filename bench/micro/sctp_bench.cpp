// Data channels on usrsctp: messages per second through one DataChannelEndpoint pair (sender and
// receiver on this one thread, so the figure is what one core does for both ends), at 100 B and
// 16 KiB, reliable and ordered; and the heap an idle connected association holds (mallinfo2 over
// 100 pairs). Allocations are reported, not asserted: usrsctp allocates its mbufs per packet.
//
// The pair talks through an in-memory link that hands each SCTP packet to the other side from the
// loop, as DTLS would; DTLS itself is not part of the figure.
#include <malloc.h>
#include <uv.h>

#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "bench/micro/micro_support.h"
#include "dtls/data_channel_endpoint.h"
#include "dtls/sctp_stack.h"

namespace sfu::bench {
namespace {

using dtls::DataChannelEndpoint;
using dtls::DataChannelInfo;
using SendResult = dtls::SctpAssociation::SendResult;
using Bytes = std::vector<uint8_t>;

// This thread's loop, mailbox and the process's usrsctp timer driver, for every benchmark.
struct SctpRuntime {
  uv_loop_t loop{};
  std::unique_ptr<dtls::SctpMailbox> mailbox;
  std::unique_ptr<dtls::SctpTimerDriver> timers;
  SctpRuntime() {
    uv_loop_init(&loop);
    mailbox = std::make_unique<dtls::SctpMailbox>(&loop);
    timers = std::make_unique<dtls::SctpTimerDriver>(&loop);
  }
};

SctpRuntime& runtime() {
  static auto* instance = new SctpRuntime;
  return *instance;
}

class EndpointPair {
 public:
  explicit EndpointPair(dtls::SctpOptions options = {}) : client_(*this, 0), server_(*this, 1) {
    client_.endpoint = std::make_unique<DataChannelEndpoint>(*runtime().mailbox, client_, options, true);
    server_.endpoint = std::make_unique<DataChannelEndpoint>(*runtime().mailbox, server_, options, false);
    client_.endpoint->connect();
    server_.endpoint->connect();
    pump_until([&] { return client_.endpoint->ready() && server_.endpoint->ready(); });
  }

  bool connected() const { return client_.endpoint->ready() && server_.endpoint->ready(); }
  DataChannelEndpoint& sender() { return *client_.endpoint; }
  uint64_t received() const { return server_.received; }

  std::optional<uint16_t> open_channel() {
    std::optional<uint16_t> id = client_.endpoint->open_channel("bench", "", {});
    if (id) pump_until([&] { return server_.endpoint->channel_count() == 1; });
    return id;
  }

  // Delivers queued packets and runs the loop (mailbox, timers) until `done`; false after 10 s.
  template <typename Done>
  bool pump_until(Done done) {
    uint64_t deadline = uv_now(&runtime().loop) + 10'000;
    while (!done()) {
      if (!deliver()) {
        if (uv_now(&runtime().loop) > deadline) return false;
        uv_run(&runtime().loop, UV_RUN_NOWAIT);
      }
    }
    return true;
  }

 private:
  struct Side : DataChannelEndpoint::Observer {
    Side(EndpointPair& pair, int index) : pair(pair), index(index) {}
    void send_data_packet(ByteSpan packet) override { pair.queue(index, packet); }
    void on_channel_opened(const DataChannelInfo&) override {}
    void on_channel_message(const DataChannelInfo&, bool, ByteSpan) override { ++received; }
    void on_channel_closed(const DataChannelInfo&) override {}

    EndpointPair& pair;
    int index;
    uint64_t received = 0;
    std::unique_ptr<DataChannelEndpoint> endpoint;
  };

  void queue(int from, ByteSpan packet) {
    Bytes buffer;
    if (!spare_.empty()) {
      buffer = std::move(spare_.back());
      spare_.pop_back();
    }
    buffer.assign(packet.begin(), packet.end());
    queues_[from].push_back(std::move(buffer));
  }

  // Hands every queued packet to the other side; false when nothing was queued.
  bool deliver() {
    bool any = false;
    for (int from = 0; from < 2; ++from) {
      std::deque<Bytes> batch;
      batch.swap(queues_[from]);
      any = any || !batch.empty();
      DataChannelEndpoint& to = from == 0 ? *server_.endpoint : *client_.endpoint;
      for (Bytes& packet : batch) {
        to.handle_packet(packet);
        spare_.push_back(std::move(packet));
      }
    }
    return any;
  }

  Side client_;
  Side server_;
  std::deque<Bytes> queues_[2];
  std::vector<Bytes> spare_;
};

void BM_DataChannelMessages(benchmark::State& state) {
  const auto size = static_cast<size_t>(state.range(0));
  const size_t batch = size <= 1024 ? 256 : 32;  // well inside the 1 MiB send buffer
  EndpointPair pair;
  std::optional<uint16_t> channel = pair.connected() ? pair.open_channel() : std::nullopt;
  if (!channel) return fail(state, "the pair did not connect");
  Bytes payload(size, 0x5A);
  uint64_t target = 0;
  const uint64_t start = allocation_count();
  for (auto _ : state) {
    for (size_t i = 0; i < batch; ++i) {
      SendResult result = pair.sender().send(*channel, true, payload);
      if (result == SendResult::kBufferFull) {
        pair.pump_until([&] { return pair.sender().buffered_bytes() < (1u << 19); });
        result = pair.sender().send(*channel, true, payload);
      }
      if (result != SendResult::kSent) return fail(state, "send failed");
    }
    target += batch;
    if (!pair.pump_until([&] { return pair.received() >= target; })) return fail(state, "messages were lost");
  }
  report_allocations(state, (allocation_count() - start) / batch, AllocationPolicy::kReportOnly);
  state.counters["msgs_per_s"] =
      benchmark::Counter(static_cast<double>(state.iterations() * batch), benchmark::Counter::kIsRate);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * batch * size));
}

BENCHMARK(BM_DataChannelMessages)->Arg(100)->Arg(16384)->UseRealTime()->Unit(benchmark::kMillisecond);

// Heap held per idle, connected association (endpoint included), from 100 pairs, by the number of
// streams offered (usrsctp keeps per-stream state for each).
void BM_IdleAssociationMemory(benchmark::State& state) {
  constexpr size_t kPairs = 100;
  dtls::SctpOptions options;
  options.streams = static_cast<uint16_t>(state.range(0));
  runtime();
  EndpointPair warm_up;  // usrsctp's first-use allocations are not per association
  double per_association = 0;
  for (auto _ : state) {
    struct mallinfo2 before = mallinfo2();
    std::vector<std::unique_ptr<EndpointPair>> pairs;
    for (size_t i = 0; i < kPairs; ++i) {
      pairs.push_back(std::make_unique<EndpointPair>(options));
      if (!pairs.back()->connected()) return fail(state, "a pair did not connect");
    }
    struct mallinfo2 after = mallinfo2();
    per_association =
        static_cast<double>((after.uordblks + after.hblkhd) - (before.uordblks + before.hblkhd)) /
        (2 * kPairs);
  }
  state.counters["bytes_per_association"] = per_association;
}

BENCHMARK(BM_IdleAssociationMemory)->Arg(1024)->Arg(256)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace sfu::bench
