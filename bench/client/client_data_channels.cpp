#include "bench/client/client_data_channels.h"

#include "bench/client/webrtc_client.h"

namespace sfu::client {

ClientDataChannels::ClientDataChannels(WebRtcClient& connection, dtls::SctpMailbox& mailbox)
    : connection_(connection), mailbox_(mailbox) {
  connection_.on_dtls_connected = [this] { start(); };
  connection_.on_application_data = [this](ByteSpan packet) {
    if (endpoint_) endpoint_->handle_packet(packet);
  };
}

ClientDataChannels::~ClientDataChannels() {
  connection_.on_dtls_connected = nullptr;
  connection_.on_application_data = nullptr;
  endpoint_.reset();
}

void ClientDataChannels::enable(const dtls::SctpOptions& options, size_t remote_max_message_size) {
  if (options_) return;
  options_ = options;
  remote_max_message_size_ = remote_max_message_size;
  if (connection_.connected()) start();
}

void ClientDataChannels::start() {
  if (endpoint_ || !options_ || !connection_.connected()) return;
  dtls::DataChannelEndpoint::Observer& observer = *this;
  endpoint_ =
      std::make_unique<dtls::DataChannelEndpoint>(mailbox_, observer, *options_, /*is_dtls_client=*/true);
  endpoint_->set_remote_max_message_size(remote_max_message_size_);
  endpoint_->connect();
  connection_.flush();
}

std::optional<uint16_t> ClientDataChannels::open(const std::string& label,
                                                 const dtls::SctpReliability& reliability,
                                                 const std::string& protocol) {
  if (!ready()) return std::nullopt;
  auto id = endpoint_->open_channel(label, protocol, reliability);
  if (id) {
    if (const dtls::DataChannelInfo* info = endpoint_->channel(*id)) channels_[*id] = Channel{*info};
  }
  connection_.flush();
  return id;
}

dtls::SctpAssociation::SendResult ClientDataChannels::send(uint16_t channel, bool binary, ByteSpan message) {
  if (!endpoint_) return dtls::SctpAssociation::SendResult::kNotConnected;
  auto result = endpoint_->send(channel, binary, message);
  connection_.flush();
  return result;
}

void ClientDataChannels::close(uint16_t channel) {
  if (!endpoint_) return;
  endpoint_->close_channel(channel);
  connection_.flush();
}

const ClientDataChannels::Channel* ClientDataChannels::find(const std::string& label,
                                                            const std::string& protocol) const {
  for (const auto& [id, channel] : channels_)
    if (channel.info.label == label && (protocol.empty() || channel.info.protocol == protocol))
      return &channel;
  return nullptr;
}

void ClientDataChannels::send_data_packet(ByteSpan packet) { connection_.send_application_data(packet); }

void ClientDataChannels::on_channel_opened(const dtls::DataChannelInfo& channel) {
  channels_[channel.id] = Channel{channel};
  if (on_open) on_open(channel);
}

void ClientDataChannels::on_channel_message(const dtls::DataChannelInfo& channel, bool binary,
                                            ByteSpan message) {
  Channel& entry = channels_[channel.id];
  if (entry.info.label.empty() && entry.messages == 0) entry.info = channel;
  ++entry.messages;
  entry.bytes += message.size();
  ++(binary ? entry.binary_messages : entry.string_messages);
  if (on_message) on_message(channel, binary, message);
}

void ClientDataChannels::on_channel_closed(const dtls::DataChannelInfo& channel) {
  auto it = channels_.find(channel.id);
  if (it != channels_.end()) it->second.open = false;
  if (on_close) on_close(channel);
}

void ClientDataChannels::on_data_channels_closed(std::string_view) { closed_ = true; }

}  // namespace sfu::client
