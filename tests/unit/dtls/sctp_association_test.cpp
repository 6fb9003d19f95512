// SctpAssociation pairs on real usrsctp, below DCEP: empty messages, oversized messages (whole and
// in parts), stream reset, graceful shutdown, garbage input, implicit connect, and freeing an
// association while packets and timers for it are still around; pause_receiving (backpressure
// through the peer's flow control).
#include "dtls/sctp_association.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "dtls/sctp_mailbox_impl.h"
#include "tests/unit/dtls/data_channel_fixture.h"

namespace sfu::dtls {
namespace {

using namespace test;
using SendResult = SctpAssociation::SendResult;

struct Message {
  uint16_t stream;
  SctpPpid ppid;
  Bytes data;
};

class AssociationPeer : public SctpAssociation::Observer {
 public:
  AssociationPeer(SctpMailbox& mailbox, MemoryLink& link, int side, SctpOptions options)
      : link_(link), side_(side), association(std::make_unique<SctpAssociation>(mailbox, *this, options)) {}

  void send_sctp_packet(ByteSpan packet) override { link_.carry(side_, packet); }
  void on_sctp_connected() override { connected = true; }
  void on_sctp_message(uint16_t stream, SctpPpid ppid, ByteSpan message) override {
    messages.push_back({stream, ppid, Bytes(message.begin(), message.end())});
    if (on_message) on_message();
  }
  void on_sctp_stream_reset(uint16_t stream) override { resets.push_back(stream); }
  void on_sctp_closed(std::string_view reason) override {
    ++closed_calls;
    closed_reason = std::string(reason);
  }

  MemoryLink& link_;
  int side_;
  std::unique_ptr<SctpAssociation> association;
  bool connected = false;
  std::vector<Message> messages;
  std::vector<uint16_t> resets;
  int closed_calls = 0;
  std::string closed_reason;
  std::function<void()> on_message;
};

class SctpAssociationTest : public DataChannelTest {
 protected:
  void SetUp() override {
    DataChannelTest::SetUp();
    link_->set_deliver([this](int to, ByteSpan packet) {
      AssociationPeer* peer = to == 0 ? a.get() : b.get();
      if (peer != nullptr) peer->association->handle_packet(packet);
    });
  }
  void TearDown() override {
    a.reset();
    b.reset();
    DataChannelTest::TearDown();
  }

  void connect_pair(SctpOptions a_options = {}, SctpOptions b_options = {}) {
    timers_ = std::make_unique<SctpTimerDriver>(&loop_);
    a = std::make_unique<AssociationPeer>(*mailbox_, *link_, 0, a_options);
    b = std::make_unique<AssociationPeer>(*mailbox_, *link_, 1, b_options);
    a->association->connect();
    b->association->connect();
    ASSERT_TRUE(run_until([&] { return a->connected && b->connected; }));
    EXPECT_EQ(a->association->state(), SctpAssociation::State::kConnected);
  }

  std::unique_ptr<AssociationPeer> a;
  std::unique_ptr<AssociationPeer> b;
};

TEST_F(SctpAssociationTest, EmptyMessagesTravelAsOneByteWithTheEmptyPpids) {
  ASSERT_NO_FATAL_FAILURE(connect_pair());
  EXPECT_EQ(a->association->send(1, SctpPpid::kString, {}, {}), SendResult::kSent);
  EXPECT_EQ(a->association->send(1, SctpPpid::kBinary, {}, {}), SendResult::kSent);
  ASSERT_TRUE(run_until([&] { return b->messages.size() == 2; }));
  EXPECT_EQ(b->messages[0].ppid, SctpPpid::kStringEmpty);
  EXPECT_TRUE(b->messages[0].data.empty());
  EXPECT_EQ(b->messages[1].ppid, SctpPpid::kBinaryEmpty);
  EXPECT_TRUE(b->messages[1].data.empty());
  EXPECT_EQ(b->association->counters().bytes_in, 0u);
  EXPECT_EQ(b->association->counters().messages_in, 2u);
}

TEST_F(SctpAssociationTest, OversizedMessagesAreDiscardedAndCountedWholeOrInParts) {
  SctpOptions small;
  small.max_message_size = 50 * 1024;  // below the 64 KiB receive buffer
  ASSERT_NO_FATAL_FAILURE(connect_pair({}, small));
  Bytes in_one_part = make_payload(50 * 1024 + 1, 1);  // a bit over; whole in one read
  Bytes in_parts = make_payload(200 * 1024, 2);        // comes out of usrsctp in parts
  Bytes fits = make_payload(50 * 1024, 3);
  EXPECT_EQ(a->association->send(2, SctpPpid::kBinary, in_parts, {}), SendResult::kSent);
  EXPECT_EQ(a->association->send(2, SctpPpid::kBinary, fits, {}), SendResult::kSent);
  EXPECT_EQ(a->association->send(2, SctpPpid::kBinary, in_one_part, {}), SendResult::kSent);
  EXPECT_EQ(a->association->send(2, SctpPpid::kString, make_payload(10, 4), {}), SendResult::kSent);
  ASSERT_TRUE(run_until([&] { return b->messages.size() == 2; }));
  ASSERT_TRUE(run_until([&] { return a->association->buffered_bytes() == 0; }));
  EXPECT_EQ(b->messages.size(), 2u);
  EXPECT_TRUE(b->messages[0].data == fits);
  EXPECT_TRUE(b->messages[1].data == make_payload(10, 4));
  EXPECT_EQ(b->association->counters().oversized_messages_in, 2u);
}

TEST_F(SctpAssociationTest, ResetStreamReachesThePeer) {
  ASSERT_NO_FATAL_FAILURE(connect_pair());
  EXPECT_EQ(a->association->send(7, SctpPpid::kString, make_payload(5, 1), {}), SendResult::kSent);
  a->association->reset_stream(7);
  a->association->reset_stream(9);  // a second one while the first is under way
  ASSERT_TRUE(run_until([&] { return b->resets.size() == 2; }));
  std::sort(b->resets.begin(), b->resets.end());  // 7 waits for its queued message to be acknowledged
  EXPECT_EQ(b->resets, (std::vector<uint16_t>{7, 9}));
  ASSERT_EQ(b->messages.size(), 1u) << "the message before the reset still arrives";
}

TEST_F(SctpAssociationTest, CloseShutsDownBothEnds) {
  ASSERT_NO_FATAL_FAILURE(connect_pair());
  a->association->close();
  ASSERT_TRUE(run_until([&] { return a->closed_calls == 1 && b->closed_calls == 1; }));
  EXPECT_EQ(a->association->state(), SctpAssociation::State::kClosed);
  EXPECT_EQ(b->association->state(), SctpAssociation::State::kClosed);
  EXPECT_EQ(a->association->send(1, SctpPpid::kString, make_payload(3, 1), {}), SendResult::kNotConnected);
  a->association->close();  // once only
  EXPECT_EQ(a->closed_calls, 1);
}

TEST_F(SctpAssociationTest, APacketBeforeConnectConnects) {
  timers_ = std::make_unique<SctpTimerDriver>(&loop_);
  a = std::make_unique<AssociationPeer>(*mailbox_, *link_, 0, SctpOptions{});
  b = std::make_unique<AssociationPeer>(*mailbox_, *link_, 1, SctpOptions{});
  a->association->connect();  // b only ever sees packets
  ASSERT_TRUE(run_until([&] { return a->connected && b->connected; }));
}

TEST_F(SctpAssociationTest, GarbageIsDroppedAndTheAssociationGoesOn) {
  ASSERT_NO_FATAL_FAILURE(connect_pair());
  std::mt19937 rng(3);
  for (int i = 0; i < 2000; ++i) {
    Bytes junk = make_payload(rng() % 1300, static_cast<uint32_t>(rng()));
    if (junk.size() >= 12 && i % 2 == 0)
      junk[0] = 0x13, junk[1] = 0x88, junk[2] = 0x13, junk[3] = 0x88;  // ports
    b->association->handle_packet(junk);
  }
  b->association->handle_packet({});
  EXPECT_EQ(a->association->send(1, SctpPpid::kBinary, make_payload(3000, 9), {}), SendResult::kSent);
  ASSERT_TRUE(run_until([&] { return b->messages.size() == 1; }));
  EXPECT_EQ(b->association->state(), SctpAssociation::State::kConnected);
}

TEST_F(SctpAssociationTest, FreeingAnAssociationWithTrafficInFlightIsSafe) {
  ASSERT_NO_FATAL_FAILURE(connect_pair());
  link_->set_loss(0.3, 5);  // retransmission timers stay armed
  for (int i = 0; i < 50; ++i) a->association->send(1, SctpPpid::kBinary, make_payload(4000, i), {});
  b.reset();  // packets for b are queued in the link and its timers are armed in usrsctp
  uint64_t until = uv_now(&loop_) + 1500;
  run_until([&] { return uv_now(&loop_) >= until; });
  a.reset();
  uint64_t later = uv_now(&loop_) + 300;
  run_until([&] { return uv_now(&loop_) >= later; });
}

TEST_F(SctpAssociationTest, PacketsFromAnotherThreadAreBoundedAndCountedWhenTheMailboxIsFull) {
  a = std::make_unique<AssociationPeer>(*mailbox_, *link_, 0, SctpOptions{});
  // The mailbox's first association: id = mailbox serial in the high half, 1 in the low half.
  SctpAssociationId id = (static_cast<uint64_t>(mailbox_->impl().serial()) << 32) | 1;
  constexpr size_t kPosted = SctpMailbox::kMaxQueuedPackets + 904;
  std::thread foreign([&] {
    Bytes packet = make_payload(100, 1);
    for (size_t i = 0; i < kPosted; ++i) SctpMailbox::Impl::dispatch_packet(id, packet);
    SctpMailbox::Impl::dispatch_packet(id + 1, packet);  // no such association: dropped on arrival
  });
  foreign.join();
  EXPECT_EQ(link_->sent(0), 0u) << "nothing reaches the association before its loop runs";
  uv_run(&loop_, UV_RUN_NOWAIT);
  EXPECT_EQ(link_->sent(0), SctpMailbox::kMaxQueuedPackets);
  EXPECT_EQ(a->association->counters().packets_out, SctpMailbox::kMaxQueuedPackets);
  EXPECT_EQ(a->association->counters().mailbox_drops, 904u);
}

TEST_F(SctpAssociationTest, APausedAssociationReadsNothingUntilTheSenderIsFullThenDeliversAllInOrder) {
  constexpr size_t kMessageBytes = 1000;
  SctpOptions sender;
  sender.send_buffer_bytes = 32 * 1024;
  SctpOptions receiver;
  receiver.receive_buffer_bytes = 32 * 1024;
  ASSERT_NO_FATAL_FAILURE(connect_pair(sender, receiver));
  b->association->pause_receiving(true);
  EXPECT_TRUE(b->association->receiving_paused());
  // A few messages per loop turn: a reading receiver keeps up with that, so the sender's buffer
  // fills only if the receiver's window closes.
  size_t sent = 0;
  SendResult last = SendResult::kSent;
  for (int round = 0; round < 1000 && last == SendResult::kSent; ++round) {
    for (int i = 0; i < 4; ++i) {
      last = a->association->send(3, SctpPpid::kBinary,
                                  make_payload(kMessageBytes, static_cast<uint32_t>(sent)), {});
      if (last != SendResult::kSent) break;
      ++sent;
    }
    uint64_t until = uv_now(&loop_) + 20;
    run_until([&] { return uv_now(&loop_) >= until; });
  }
  ASSERT_EQ(last, SendResult::kBufferFull) << "the window never closed after " << sent << " messages";
  EXPECT_TRUE(b->messages.empty()) << "a paused association delivered";
  EXPECT_GT(a->association->buffered_bytes(), 0u);

  b->association->pause_receiving(false);
  ASSERT_TRUE(run_until([&] { return b->messages.size() == sent; }));
  for (size_t i = 0; i < sent; ++i) {
    ASSERT_EQ(b->messages[i].stream, 3);
    ASSERT_TRUE(b->messages[i].data == make_payload(kMessageBytes, static_cast<uint32_t>(i)))
        << "message " << i;
  }
  // The window reopened: the sender's buffer empties and takes messages again.
  ASSERT_TRUE(run_until([&] { return a->association->buffered_bytes() == 0; }));
  EXPECT_EQ(a->association->send(3, SctpPpid::kBinary, make_payload(10, 1), {}), SendResult::kSent);
  ASSERT_TRUE(run_until([&] { return b->messages.size() == sent + 1; }));
}

TEST_F(SctpAssociationTest, PausingInsideTheMessageCallbackStopsTheDrainAfterThatMessage) {
  ASSERT_NO_FATAL_FAILURE(connect_pair());
  b->on_message = [&] { b->association->pause_receiving(true); };
  constexpr size_t kCount = 5;
  for (size_t i = 0; i < kCount; ++i)
    ASSERT_EQ(a->association->send(1, SctpPpid::kString, make_payload(100, static_cast<uint32_t>(i)), {}),
              SendResult::kSent);
  ASSERT_TRUE(run_until([&] { return a->association->buffered_bytes() == 0; }))
      << "all of them are acknowledged: queued at the receiver";
  for (size_t delivered = 1; delivered <= kCount; ++delivered) {
    ASSERT_TRUE(run_until([&] { return b->messages.size() >= delivered; }));
    uint64_t until = uv_now(&loop_) + 50;
    run_until([&] { return uv_now(&loop_) >= until; });
    ASSERT_EQ(b->messages.size(), delivered) << "one message per unpause";
    ASSERT_TRUE(b->messages.back().data == make_payload(100, static_cast<uint32_t>(delivered - 1)));
    b->association->pause_receiving(false);
  }
}

}  // namespace
}  // namespace sfu::dtls
