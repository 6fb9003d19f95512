#include "dtls/data_channel_endpoint.h"

#include <utility>
#include <variant>

namespace sfu::dtls {
namespace {

// DCEP messages go ordered and reliable (RFC 8832 §6).
constexpr SctpReliability kDcepReliability{};

}  // namespace

DataChannelEndpoint::DataChannelEndpoint(SctpMailbox& mailbox, Observer& observer, SctpOptions options,
                                         bool is_dtls_client, DataChannelLimits limits)
    : observer_(observer),
      is_dtls_client_(is_dtls_client),
      limits_(limits),
      streams_(options.streams),
      association_(mailbox, *this, options) {}

DataChannelEndpoint::~DataChannelEndpoint() = default;

std::optional<uint16_t> DataChannelEndpoint::open_channel(std::string label, std::string protocol,
                                                          SctpReliability reliability, uint16_t priority) {
  if (!ready() || channels_.size() >= limits_.max_channels) return std::nullopt;
  if (label.size() > limits_.dcep.max_label_bytes || protocol.size() > limits_.dcep.max_protocol_bytes) {
    return std::nullopt;
  }
  std::optional<uint16_t> id = free_stream_id();
  if (!id) return std::nullopt;
  DcepOpen open;
  open.reliability = reliability;
  open.priority = priority;
  open.label = std::move(label);
  open.protocol = std::move(protocol);
  std::vector<uint8_t> message = serialize_dcep_open(open);
  if (association_.send(*id, SctpPpid::kDcep, message, kDcepReliability) !=
      SctpAssociation::SendResult::kSent) {
    return std::nullopt;
  }
  Channel& channel = channels_[*id];
  channel.info = DataChannelInfo{*id, std::move(open.label), std::move(open.protocol), reliability, false};
  channel.awaiting_ack = true;
  return id;
}

SctpAssociation::SendResult DataChannelEndpoint::send(uint16_t channel_id, bool binary, ByteSpan message) {
  auto it = channels_.find(channel_id);
  if (it == channels_.end() || it->second.closing) return SctpAssociation::SendResult::kNotConnected;
  SctpReliability reliability = it->second.info.reliability;
  if (it->second.awaiting_ack) reliability.ordered = true;
  return association_.send(channel_id, binary ? SctpPpid::kBinary : SctpPpid::kString, message, reliability);
}

void DataChannelEndpoint::close_channel(uint16_t channel_id) {
  auto it = channels_.find(channel_id);
  if (it == channels_.end() || it->second.closing) return;
  it->second.closing = true;
  association_.reset_stream(channel_id);
}

const DataChannelInfo* DataChannelEndpoint::channel(uint16_t channel_id) const {
  auto it = channels_.find(channel_id);
  return it == channels_.end() ? nullptr : &it->second.info;
}

// Ours are even as DTLS client, odd as DTLS server (RFC 8832 §6), below the streams offered.
std::optional<uint16_t> DataChannelEndpoint::free_stream_id() const {
  for (uint32_t id = is_dtls_client_ ? 0 : 1; id < streams_; id += 2) {
    if (!channels_.contains(static_cast<uint16_t>(id))) return static_cast<uint16_t>(id);
  }
  return std::nullopt;
}

void DataChannelEndpoint::send_sctp_packet(ByteSpan packet) { observer_.send_data_packet(packet); }

void DataChannelEndpoint::on_sctp_connected() { observer_.on_data_channels_ready(); }

void DataChannelEndpoint::on_sctp_message(uint16_t stream, SctpPpid ppid, ByteSpan message) {
  if (ppid == SctpPpid::kDcep) {
    on_dcep(stream, message);
    return;
  }
  auto it = channels_.find(stream);
  if (it == channels_.end()) {
    ++counters_.messages_unknown_stream;
    return;
  }
  bool binary = false;
  switch (ppid) {
    case SctpPpid::kString:
    case SctpPpid::kStringEmpty:
      break;
    case SctpPpid::kBinary:
    case SctpPpid::kBinaryEmpty:
      binary = true;
      break;
    default:  // includes the deprecated partial PPIDs 52 and 54
      ++counters_.messages_unknown_ppid;
      return;
  }
  // The peer sends on the channel only after taking our OPEN; its ACK went first.
  it->second.awaiting_ack = false;
  observer_.on_channel_message(it->second.info, binary, message);
}

void DataChannelEndpoint::on_dcep(uint16_t stream, ByteSpan message) {
  std::variant<DcepMessage, DcepError> parsed = parse_dcep(message, limits_.dcep);
  auto* dcep = std::get_if<DcepMessage>(&parsed);
  if (dcep == nullptr) {
    ++counters_.bad_dcep;
    // A bad OPEN on a free stream is refused by closing it (RFC 8832 §6); a channel in use stays.
    if (!channels_.contains(stream)) association_.reset_stream(stream);
    return;
  }
  if (auto* open = std::get_if<DcepOpen>(dcep)) {
    on_peer_open(stream, std::move(*open));
    return;
  }
  auto it = channels_.find(stream);
  if (it == channels_.end() || it->second.info.opened_by_peer) {
    ++counters_.bad_dcep;  // an ACK for no OPEN of ours
    return;
  }
  it->second.awaiting_ack = false;
}

void DataChannelEndpoint::on_peer_open(uint16_t stream, DcepOpen open) {
  // RFC 8832 §6: refused (closed, no ACK) when the stream is in use, its parity is ours, or (ours)
  // the channel limit is reached.
  bool peer_parity = (stream % 2 == 1) == is_dtls_client_;
  if (channels_.contains(stream) || !peer_parity || channels_.size() >= limits_.max_channels) {
    ++counters_.refused_channels;
    if (channels_.contains(stream)) {
      close_channel(stream);
    } else {
      association_.reset_stream(stream);
    }
    return;
  }
  Channel& channel = channels_[stream];
  channel.info =
      DataChannelInfo{stream, std::move(open.label), std::move(open.protocol), open.reliability, true};
  std::vector<uint8_t> ack = serialize_dcep_ack();
  association_.send(stream, SctpPpid::kDcep, ack, kDcepReliability);
  DataChannelInfo info = channel.info;  // the observer may close the channel from its callback
  observer_.on_channel_opened(info);
}

void DataChannelEndpoint::on_sctp_stream_reset(uint16_t stream) {
  auto it = channels_.find(stream);
  if (it == channels_.end()) return;  // a channel we refused, or closed already
  // The peer closed its end. Unless we started the close, reset ours too (RFC 8831 §6.7).
  if (!it->second.closing) association_.reset_stream(stream);
  DataChannelInfo info = std::move(it->second.info);
  channels_.erase(it);
  observer_.on_channel_closed(info);
}

void DataChannelEndpoint::on_sctp_send_buffer_low() { observer_.on_send_buffer_low(); }

void DataChannelEndpoint::on_sctp_closed(std::string_view reason) {
  std::map<uint16_t, Channel> channels;
  channels.swap(channels_);
  for (auto& [id, channel] : channels) observer_.on_channel_closed(channel.info);
  observer_.on_data_channels_closed(reason);
}

}  // namespace sfu::dtls
