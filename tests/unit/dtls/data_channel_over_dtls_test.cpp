// Data channels over real DTLS (RFC 8261): two DtlsTransports, client and server, carry the SCTP
// packets of two DataChannelEndpoints as application data; the datagrams cross the in-memory link.
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "dtls/data_channel_endpoint.h"
#include "dtls/dtls_transport.h"
#include "tests/unit/dtls/data_channel_fixture.h"

namespace sfu::dtls {
namespace {

using namespace test;
using SendResult = SctpAssociation::SendResult;

class DtlsDataPeer : public DataChannelEndpoint::Observer {
 public:
  DtlsDataPeer(SctpMailbox& mailbox, MemoryLink& link, int side, DtlsRole role,
               std::shared_ptr<DtlsCertificate> certificate)
      : link_(link), side_(side) {
    DtlsCallbacks callbacks;
    callbacks.send = [this](ByteSpan datagram) {
      largest_datagram = std::max(largest_datagram, datagram.size());
      link_.carry(side_, datagram);
    };
    callbacks.on_connected = [this](const SrtpKeys&) { endpoint->connect(); };
    callbacks.on_failed = [this](std::string_view reason) { failure = std::string(reason); };
    callbacks.on_application_data = [this](ByteSpan data) { endpoint->handle_packet(data); };
    dtls = std::make_unique<DtlsTransport>(std::move(certificate), role, std::move(callbacks));
    endpoint = std::make_unique<DataChannelEndpoint>(mailbox, *this, SctpOptions{}, role == DtlsRole::Client);
  }

  void send_data_packet(ByteSpan packet) override {
    if (!dtls->send_application_data(packet)) ++unsent_packets;
  }
  void on_data_channels_ready() override { ready = true; }
  void on_channel_opened(const DataChannelInfo& channel) override { opened.push_back(channel); }
  void on_channel_message(const DataChannelInfo& channel, bool binary, ByteSpan message) override {
    messages.push_back({channel.id, binary, Bytes(message.begin(), message.end())});
  }
  void on_channel_closed(const DataChannelInfo& channel) override { closed.push_back(channel); }

  std::unique_ptr<DtlsTransport> dtls;
  std::unique_ptr<DataChannelEndpoint> endpoint;
  bool ready = false;
  std::vector<DataChannelInfo> opened;
  std::vector<ReceivedMessage> messages;
  std::vector<DataChannelInfo> closed;
  std::string failure;
  size_t largest_datagram = 0;
  int unsent_packets = 0;

 private:
  MemoryLink& link_;
  int side_;
};

class DataChannelOverDtlsTest : public DataChannelTest {
 protected:
  void SetUp() override {
    DataChannelTest::SetUp();
    link_->set_deliver([this](int to, ByteSpan datagram) {
      DtlsDataPeer* peer = to == 0 ? dtls_client.get() : dtls_server.get();
      if (peer != nullptr) peer->dtls->handle_packet(datagram, uv_now(&loop_));
    });
  }
  void TearDown() override {
    dtls_client.reset();
    dtls_server.reset();
    DataChannelTest::TearDown();
  }

  std::unique_ptr<DtlsDataPeer> dtls_client;
  std::unique_ptr<DtlsDataPeer> dtls_server;
};

TEST_F(DataChannelOverDtlsTest, ChannelsAndMessagesCrossRealDtls) {
  auto client_certificate = DtlsCertificate::generate();
  auto server_certificate = DtlsCertificate::generate();
  ASSERT_TRUE(client_certificate && server_certificate);
  timers_ = std::make_unique<SctpTimerDriver>(&loop_);
  dtls_client = std::make_unique<DtlsDataPeer>(*mailbox_, *link_, 0, DtlsRole::Client, client_certificate);
  dtls_server = std::make_unique<DtlsDataPeer>(*mailbox_, *link_, 1, DtlsRole::Server, server_certificate);
  dtls_client->dtls->set_remote_fingerprint("sha-256", server_certificate->fingerprint_sha256());
  dtls_server->dtls->set_remote_fingerprint("sha-256", client_certificate->fingerprint_sha256());
  dtls_client->dtls->start(uv_now(&loop_));
  dtls_server->dtls->start(uv_now(&loop_));
  ASSERT_TRUE(run_until([&] { return dtls_client->ready && dtls_server->ready; }))
      << dtls_client->failure << dtls_server->failure;

  std::optional<uint16_t> from_client = dtls_client->endpoint->open_channel("chat", "sfu-test", {});
  std::optional<uint16_t> from_server = dtls_server->endpoint->open_channel("server", "", {});
  ASSERT_TRUE(from_client && from_server);
  ASSERT_TRUE(run_until([&] { return dtls_client->opened.size() == 1 && dtls_server->opened.size() == 1; }));
  EXPECT_EQ(dtls_server->opened[0].label, "chat");
  EXPECT_EQ(dtls_server->opened[0].protocol, "sfu-test");
  EXPECT_EQ(dtls_client->opened[0].label, "server");
  EXPECT_EQ(*from_server % 2, 1);

  std::vector<Bytes> payloads = {
      {}, make_payload(1, 1), make_payload(1200, 2), make_payload(64 * 1024, 3), make_payload(256 * 1024, 4)};
  for (const Bytes& payload : payloads) {
    EXPECT_EQ(dtls_client->endpoint->send(*from_client, true, payload), SendResult::kSent);
    EXPECT_EQ(dtls_server->endpoint->send(*from_server, false, payload), SendResult::kSent);
  }
  ASSERT_TRUE(run_until([&] {
    return dtls_server->messages.size() == payloads.size() && dtls_client->messages.size() == payloads.size();
  }));
  for (size_t i = 0; i < payloads.size(); ++i) {
    EXPECT_TRUE(dtls_server->messages[i].data == payloads[i]) << i;
    EXPECT_TRUE(dtls_server->messages[i].binary);
    EXPECT_TRUE(dtls_client->messages[i].data == payloads[i]) << i;
    EXPECT_FALSE(dtls_client->messages[i].binary);
  }
  EXPECT_EQ(dtls_client->unsent_packets + dtls_server->unsent_packets, 0);
  EXPECT_LE(dtls_client->largest_datagram, DtlsTransport::kMtu);
  EXPECT_LE(dtls_server->largest_datagram, DtlsTransport::kMtu);

  dtls_server->endpoint->close_channel(*from_client);
  ASSERT_TRUE(run_until([&] { return dtls_client->closed.size() == 1 && dtls_server->closed.size() == 1; }));
  EXPECT_EQ(dtls_client->closed[0].label, "chat");
}

}  // namespace
}  // namespace sfu::dtls
