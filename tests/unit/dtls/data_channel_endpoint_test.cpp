// DataChannelEndpoint pairs on real usrsctp over an in-memory link: DCEP opens both ways, messages
// of every size class, loss with reliable and unreliable channels, backpressure, close, limits.
#include "dtls/data_channel_endpoint.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "tests/unit/dtls/data_channel_fixture.h"

namespace sfu::dtls {
namespace {

using namespace test;
using Kind = SctpReliability::Kind;
using SendResult = SctpAssociation::SendResult;

SctpReliability reliability(bool ordered, Kind kind, uint32_t value) {
  SctpReliability r;
  r.ordered = ordered;
  r.kind = kind;
  r.value = value;
  return r;
}

Bytes numbered(uint32_t index, size_t size) {
  Bytes bytes = make_payload(std::max<size_t>(size, 4), index);
  store_be32(bytes.data(), index);
  return bytes;
}

TEST_F(DataChannelTest, OpensChannelsBothWaysWithLabelProtocolAndReliability) {
  ASSERT_NO_FATAL_FAILURE(connect());
  uint16_t from_client = open(*client, *server, "chat", reliability(false, Kind::kMaxRetransmits, 3), "json");
  uint16_t from_server =
      open(*server, *client, "files", reliability(true, Kind::kMaxLifetimeMs, 1500), "bin");

  EXPECT_EQ(from_client % 2, 0) << "the DTLS client opens even streams";
  EXPECT_EQ(from_server % 2, 1) << "the DTLS server opens odd streams";
  ASSERT_EQ(server->opened.size(), 1u);
  const DataChannelInfo& at_server = server->opened[0];
  EXPECT_EQ(at_server.id, from_client);
  EXPECT_EQ(at_server.label, "chat");
  EXPECT_EQ(at_server.protocol, "json");
  EXPECT_FALSE(at_server.reliability.ordered);
  EXPECT_EQ(at_server.reliability.kind, Kind::kMaxRetransmits);
  EXPECT_EQ(at_server.reliability.value, 3u);
  EXPECT_TRUE(at_server.opened_by_peer);
  ASSERT_EQ(client->opened.size(), 1u);
  const DataChannelInfo& at_client = client->opened[0];
  EXPECT_EQ(at_client.id, from_server);
  EXPECT_EQ(at_client.label, "files");
  EXPECT_EQ(at_client.protocol, "bin");
  EXPECT_TRUE(at_client.reliability.ordered);
  EXPECT_EQ(at_client.reliability.kind, Kind::kMaxLifetimeMs);
  EXPECT_EQ(at_client.reliability.value, 1500u);

  EXPECT_EQ(client->endpoint->channel_count(), 2u);
  EXPECT_EQ(server->endpoint->channel_count(), 2u);
  ASSERT_NE(client->endpoint->channel(from_client), nullptr);
  EXPECT_FALSE(client->endpoint->channel(from_client)->opened_by_peer);
  EXPECT_EQ(client->endpoint->counters().bad_dcep + server->endpoint->counters().bad_dcep, 0u);
}

TEST_F(DataChannelTest, MessagesOfEverySizeArriveByteIdenticalBothWays) {
  ASSERT_NO_FATAL_FAILURE(connect());
  uint16_t id = open(*client, *server, "sizes");
  const std::vector<size_t> sizes = {0, 1, 1200, 64 * 1024, 256 * 1024};
  std::vector<ReceivedMessage> expected;
  uint32_t seed = 1;
  for (size_t size : sizes) {
    for (bool binary : {false, true}) expected.push_back({id, binary, make_payload(size, seed++)});
  }
  for (const ReceivedMessage& m : expected) {
    EXPECT_EQ(client->endpoint->send(id, m.binary, m.data), SendResult::kSent) << m.data.size();
    EXPECT_EQ(server->endpoint->send(id, m.binary, m.data), SendResult::kSent) << m.data.size();
  }
  ASSERT_TRUE(run_until([&] {
    return client->messages.size() == expected.size() && server->messages.size() == expected.size();
  }));
  for (Peer* receiver : {client.get(), server.get()}) {
    for (size_t i = 0; i < expected.size(); ++i) {
      EXPECT_EQ(receiver->messages[i].channel, id);
      EXPECT_EQ(receiver->messages[i].binary, expected[i].binary) << i;
      EXPECT_EQ(receiver->messages[i].data.size(), expected[i].data.size()) << i;
      EXPECT_TRUE(receiver->messages[i].data == expected[i].data) << "message " << i << " differs";
    }
    EXPECT_EQ(receiver->endpoint->sctp_counters().oversized_messages_in, 0u);
  }
  // Every SCTP packet fits one DTLS record inside a 1200-byte datagram (AES-GCM: 37 bytes more).
  EXPECT_LE(client->largest_packet, 1200u - 37u);
  EXPECT_LE(server->largest_packet, 1200u - 37u);
  EXPECT_EQ(client->endpoint->sctp_counters().messages_out, expected.size() + 1);  // + the OPEN
  EXPECT_EQ(server->endpoint->sctp_counters().messages_in, expected.size() + 1);
}

TEST_F(DataChannelTest, OrderedReliableChannelDeliversEverythingInOrderThroughLoss) {
  ASSERT_NO_FATAL_FAILURE(connect());
  uint16_t id = open(*client, *server, "reliable");
  link_->set_loss(0.10, 7);
  constexpr uint32_t kCount = 400;
  for (uint32_t i = 0; i < kCount; ++i) {
    ASSERT_EQ(client->endpoint->send(id, true, numbered(i, 100 + (i * 37) % 1900)), SendResult::kSent);
  }
  ASSERT_TRUE(run_until([&] { return server->messages.size() == kCount; }, 60'000))
      << server->messages.size() << " of " << kCount;
  for (uint32_t i = 0; i < kCount; ++i) {
    EXPECT_EQ(load_be32(server->messages[i].data.data()), i);
    EXPECT_TRUE(server->messages[i].data == numbered(i, 100 + (i * 37) % 1900));
  }
  EXPECT_GT(link_->dropped(0) + link_->dropped(1), 0u) << "the link dropped nothing";
}

TEST_F(DataChannelTest, UnorderedChannelWithoutRetransmitsLosesAtMostWhatWasDropped) {
  ASSERT_NO_FATAL_FAILURE(connect());
  uint16_t id = open(*client, *server, "lossy", reliability(false, Kind::kMaxRetransmits, 0));
  ASSERT_TRUE(run_until([&] { return client->endpoint->buffered_bytes() == 0; }));  // the ACK is in
  link_->set_loss(0.10, 11);
  constexpr uint32_t kCount = 400;
  for (uint32_t i = 0; i < kCount; ++i) {
    ASSERT_EQ(client->endpoint->send(id, true, numbered(i, 100)), SendResult::kSent);
  }
  // Done when everything is acknowledged or abandoned.
  ASSERT_TRUE(run_until([&] { return client->endpoint->buffered_bytes() == 0; }, 60'000));
  std::set<uint32_t> seen;
  for (const ReceivedMessage& m : server->messages) {
    uint32_t index = load_be32(m.data.data());
    EXPECT_LT(index, kCount);
    EXPECT_TRUE(seen.insert(index).second) << "duplicate " << index;
    EXPECT_TRUE(m.data == numbered(index, 100));
  }
  uint64_t dropped = link_->dropped_data_chunks(0);
  EXPECT_GE(seen.size() + dropped, kCount) << "lost more than the link dropped";
  EXPECT_GT(dropped, 0u);
}

TEST_F(DataChannelTest, SendBufferFillsWhenThePeerDoesNotReadAndDrainsAfter) {
  SctpOptions options;
  options.send_buffer_bytes = 256 * 1024;
  ASSERT_NO_FATAL_FAILURE(connect(options));
  uint16_t id = open(*client, *server, "bulk");
  ASSERT_TRUE(run_until([&] { return client->endpoint->buffered_bytes() == 0; }));
  link_->set_stalled(0, true);
  Bytes chunk = make_payload(16 * 1024, 5);
  size_t sent = 0;
  SendResult result = SendResult::kSent;
  while ((result = client->endpoint->send(id, true, chunk)) == SendResult::kSent) ++sent;
  EXPECT_EQ(result, SendResult::kBufferFull);
  EXPECT_GT(sent, 0u);
  EXPECT_GE(client->endpoint->buffered_bytes(), sent * chunk.size());
  EXPECT_LE(client->endpoint->buffered_bytes(), options.send_buffer_bytes + chunk.size());
  EXPECT_EQ(client->buffer_low, 0);

  link_->set_stalled(0, false);
  ASSERT_TRUE(run_until([&] { return client->buffer_low > 0; }));
  EXPECT_LE(client->endpoint->buffered_bytes(), options.send_buffer_bytes / 2);
  ASSERT_TRUE(run_until([&] { return server->messages.size() == sent; }));
  EXPECT_EQ(client->endpoint->send(id, true, chunk), SendResult::kSent);
}

TEST_F(DataChannelTest, CloseResetsTheStreamAndBothSidesSeeTheChannelClosed) {
  ASSERT_NO_FATAL_FAILURE(connect());
  uint16_t id = open(*client, *server, "short-lived");
  uint16_t other = open(*server, *client, "stays");
  client->endpoint->close_channel(id);
  EXPECT_EQ(client->endpoint->send(id, false, span_of("late")), SendResult::kNotConnected);
  ASSERT_TRUE(run_until([&] { return client->closed.size() == 1 && server->closed.size() == 1; }));
  EXPECT_EQ(client->closed[0].id, id);
  EXPECT_EQ(server->closed[0].label, "short-lived");
  EXPECT_EQ(client->endpoint->channel(id), nullptr);
  EXPECT_EQ(server->endpoint->channel(id), nullptr);

  // The other channel is untouched, and the stream id can be used again.
  EXPECT_EQ(server->endpoint->send(other, false, span_of("still here")), SendResult::kSent);
  uint16_t again = open(*client, *server, "again");
  EXPECT_EQ(again, id);
  EXPECT_EQ(client->endpoint->send(again, false, span_of("hello again")), SendResult::kSent);
  ASSERT_TRUE(run_until([&] { return server->messages.size() == 1 && client->messages.size() == 1; }));
  EXPECT_EQ(server->messages[0].channel, again);
  EXPECT_EQ(client->messages[0].channel, other);
}

TEST_F(DataChannelTest, PeerCloseIsAnsweredWithOurReset) {
  ASSERT_NO_FATAL_FAILURE(connect());
  uint16_t id = open(*client, *server, "closed-by-server");
  server->endpoint->close_channel(id);
  ASSERT_TRUE(run_until([&] { return client->closed.size() == 1 && server->closed.size() == 1; }));
  EXPECT_EQ(client->endpoint->channel_count(), 0u);
  EXPECT_EQ(server->endpoint->channel_count(), 0u);
}

TEST_F(DataChannelTest, OpensOverTheChannelLimitAreRefusedAndCounted) {
  DataChannelLimits client_limits;
  client_limits.max_channels = 2;
  ASSERT_NO_FATAL_FAILURE(connect({}, client_limits));
  open(*server, *client, "one");
  open(*server, *client, "two");
  EXPECT_FALSE(client->endpoint->open_channel("mine", "", {}).has_value()) << "our own limit";

  std::optional<uint16_t> refused = server->endpoint->open_channel("three", "", {});
  ASSERT_TRUE(refused.has_value());
  ASSERT_TRUE(run_until([&] { return !server->closed.empty(); }))
      << "the refusal closes the opener's channel";
  EXPECT_EQ(server->closed.back().id, *refused);
  EXPECT_EQ(server->closed.back().label, "three");
  EXPECT_EQ(client->endpoint->counters().refused_channels, 1u);
  EXPECT_EQ(client->opened.size(), 2u);
  EXPECT_EQ(client->endpoint->channel_count(), 2u);
  EXPECT_EQ(server->endpoint->channel_count(), 2u);
  EXPECT_TRUE(client->closed.empty());
}

TEST_F(DataChannelTest, MessagesSentBeforeTheAckArriveAfterTheOpen) {
  ASSERT_NO_FATAL_FAILURE(connect());
  std::vector<std::string> events;
  server->on_message = [&](const DataChannelInfo& channel, bool, ByteSpan message) {
    events.push_back(channel.label + ":" + std::string(message.begin(), message.end()));
  };
  std::optional<uint16_t> id =
      client->endpoint->open_channel("eager", "", reliability(false, Kind::kReliable, 0));
  ASSERT_TRUE(id.has_value());
  for (int i = 0; i < 20; ++i) {
    std::string text = "m" + std::to_string(i);
    EXPECT_EQ(client->endpoint->send(*id, false, span_of(text)), SendResult::kSent);
  }
  ASSERT_TRUE(run_until([&] { return events.size() == 20; }));
  ASSERT_EQ(server->opened.size(), 1u);
  for (int i = 0; i < 20; ++i)
    EXPECT_EQ(events[i], "eager:m" + std::to_string(i)) << "sent ordered until the ACK";
  EXPECT_EQ(server->endpoint->counters().messages_unknown_stream, 0u);
}

TEST_F(DataChannelTest, RefusesWhatItCannotSend) {
  make();
  EXPECT_FALSE(client->endpoint->open_channel("early", "", {}).has_value()) << "not connected yet";
  EXPECT_EQ(client->endpoint->send(0, false, span_of("x")), SendResult::kNotConnected);
  client->endpoint->connect();
  server->endpoint->connect();
  ASSERT_TRUE(run_until([&] { return client->ready && server->ready; }));
  uint16_t id = open(*client, *server, "limits");
  EXPECT_EQ(client->endpoint->max_message_size(), SctpOptions{}.max_message_size);
  Bytes too_big(SctpOptions{}.max_message_size + 1);
  EXPECT_EQ(client->endpoint->send(id, true, too_big), SendResult::kTooLarge);
  client->endpoint->set_remote_max_message_size(1000);
  EXPECT_EQ(client->endpoint->max_message_size(), 1000u);
  EXPECT_EQ(client->endpoint->send(id, true, Bytes(1001)), SendResult::kTooLarge);
  EXPECT_EQ(client->endpoint->send(id, true, Bytes(1000)), SendResult::kSent);
  client->endpoint->set_remote_max_message_size(0);  // no a=max-message-size: 64 KiB
  EXPECT_EQ(client->endpoint->max_message_size(), 65536u);
  EXPECT_EQ(client->endpoint->send(99, true, Bytes(10)), SendResult::kNotConnected) << "no such channel";
}

}  // namespace
}  // namespace sfu::dtls
