// The data channels of one client connection (a WebRtcClient), as a browser's peer connection has
// them: a dtls::DataChannelEndpoint (usrsctp) over the connection's DTLS, started when both the
// SDP has a data channel m-section (enable()) and DTLS is up. It keeps what the tests check: every
// channel either side opened (open or closed since), and per channel the messages received, in
// order, with a callback for each one.
//
// Threads: on the client's loop thread, like the connection. usrsctp's work for its association
// arrives through `mailbox`, an SctpMailbox on that same loop (one per client thread). The process
// needs exactly one SctpTimerDriver: in the integration tests the in-process server's worker 0
// runs it (sfu/media/worker.h); a client process without a server must create its own.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "dtls/data_channel_endpoint.h"

namespace sfu::dtls {
class SctpMailbox;
}

namespace sfu::client {

class WebRtcClient;

class ClientDataChannels final : private dtls::DataChannelEndpoint::Observer {
 public:
  struct Channel {
    dtls::DataChannelInfo info;
    bool open = true;
    uint64_t messages = 0, bytes = 0;
    uint64_t string_messages = 0, binary_messages = 0;
  };

  // Hooks the connection's DTLS events; `connection` and `mailbox` outlive this.
  ClientDataChannels(WebRtcClient& connection, dtls::SctpMailbox& mailbox);
  ~ClientDataChannels() override;
  ClientDataChannels(const ClientDataChannels&) = delete;
  ClientDataChannels& operator=(const ClientDataChannels&) = delete;

  // The connection's SDP has a data channel m-section: the association starts once DTLS is up (at
  // once if it is). The first call counts.
  void enable(const dtls::SctpOptions& options, size_t remote_max_message_size);
  bool enabled() const { return options_.has_value(); }
  bool ready() const { return endpoint_ && endpoint_->ready(); }
  bool closed() const { return closed_; }  // the association died
  // nullptr until started.
  dtls::DataChannelEndpoint* endpoint() { return endpoint_.get(); }

  // Opens a channel (the client is the DTLS client: even stream ids); nullopt when not ready.
  std::optional<uint16_t> open(const std::string& label, const dtls::SctpReliability& reliability,
                               const std::string& protocol = "");
  // Sends one message and flushes the connection's socket.
  dtls::SctpAssociation::SendResult send(uint16_t channel, bool binary, ByteSpan message);
  void close(uint16_t channel);

  // Every channel seen, by stream id (a later channel on a reused id replaces a closed one).
  const std::map<uint16_t, Channel>& channels() const { return channels_; }
  // The first channel with `label` (and, when not empty, `protocol`), open or not.
  const Channel* find(const std::string& label, const std::string& protocol = "") const;

  // Called for each channel the peer opens, each message, and each channel closed.
  std::function<void(const dtls::DataChannelInfo& channel)> on_open;
  std::function<void(const dtls::DataChannelInfo& channel, bool binary, ByteSpan message)> on_message;
  std::function<void(const dtls::DataChannelInfo& channel)> on_close;

 private:
  void start();

  // dtls::DataChannelEndpoint::Observer
  void send_data_packet(ByteSpan packet) override;
  void on_channel_opened(const dtls::DataChannelInfo& channel) override;
  void on_channel_message(const dtls::DataChannelInfo& channel, bool binary, ByteSpan message) override;
  void on_channel_closed(const dtls::DataChannelInfo& channel) override;
  void on_data_channels_closed(std::string_view reason) override;

  WebRtcClient& connection_;
  dtls::SctpMailbox& mailbox_;
  std::optional<dtls::SctpOptions> options_;
  size_t remote_max_message_size_ = 65536;
  bool closed_ = false;
  std::map<uint16_t, Channel> channels_;
  std::unique_ptr<dtls::DataChannelEndpoint> endpoint_;
};

}  // namespace sfu::client
