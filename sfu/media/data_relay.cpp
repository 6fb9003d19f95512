#include "sfu/media/data_relay.h"

#include <algorithm>

#include "sfu/media/participant.h"

namespace sfu {
namespace {

using dtls::SctpAssociation;

// The server opens one channel per data track of the other participants (and the server
// channel) on a subscriber's association: odd stream ids of the 1024 streams offered.
constexpr size_t kMaxSubscriberChannels = 512;

const char* reliability_name(dtls::SctpReliability::Kind kind) {
  switch (kind) {
    case dtls::SctpReliability::Kind::kMaxRetransmits:
      return "max_retransmits";
    case dtls::SctpReliability::Kind::kMaxLifetimeMs:
      return "max_packet_life_time";
    default:
      return "reliable";
  }
}

}  // namespace

// ---- options ----

DataRelayOptions DataRelayOptions::from_config(const config::Config& config) {
  const auto& data = config.data_channels;
  DataRelayOptions options;
  options.enabled = data.enabled;
  options.sctp_port = data.sctp_port;
  options.max_message_bytes = data.max_message_bytes;
  options.channels_per_participant = data.channels_per_participant;
  options.send_buffer_bytes = data.send_buffer_bytes;
  options.bytes_per_second_per_participant = data.bytes_per_second_per_participant;
  // A message the bucket could never hold would always be refused.
  options.burst_bytes = std::max<uint64_t>(data.burst_bytes, data.max_message_bytes);
  return options;
}

std::optional<sdp::DataChannelOptions> DataRelayOptions::negotiation() const {
  if (!enabled) return std::nullopt;
  sdp::DataChannelOptions options;
  options.sctp_port = sctp_port;
  options.max_message_size = max_message_bytes;
  return options;
}

DataChannelSetup DataRelayOptions::setup_for(TransportRole role, const sdp::DataChannelSpec& peer) const {
  DataChannelSetup setup;
  setup.sctp.local_port = sctp_port;
  setup.sctp.remote_port = peer.sctp_port;
  setup.sctp.max_message_size = max_message_bytes;
  setup.sctp.send_buffer_bytes = send_buffer_bytes;
  setup.sctp.receive_buffer_bytes = std::max(setup.sctp.receive_buffer_bytes, max_message_bytes);
  // On the publish connection the client opens the channels (the limit refuses more OPENs); on
  // the subscribe connection the server does, one per data track of the room.
  setup.limits.max_channels =
      role == TransportRole::Publish ? channels_per_participant : kMaxSubscriberChannels;
  setup.remote_max_message_size = peer.max_message_size;
  return setup;
}

// ---- participants ----

DataRelay::DataRelay(DataCounters& counters, DataRelayOptions options, Host& host)
    : counters_(counters), options_(options), host_(host) {}

DataRelay::~DataRelay() = default;

bool DataRelay::has_tracks() const {
  return std::any_of(members_.begin(), members_.end(),
                     [](const auto& entry) { return !entry.second.published.empty(); });
}

DataRelay::Member* DataRelay::member(const Participant& participant) {
  auto it = members_.find(&participant);
  return it == members_.end() ? nullptr : &it->second;
}

dtls::DataChannelEndpoint* DataRelay::endpoint(Participant& participant, TransportRole role) {
  WebRtcTransport* transport =
      role == TransportRole::Publish ? participant.publish_transport : participant.subscribe_transport;
  return transport ? transport->data_channels() : nullptr;
}

void DataRelay::add_participant(Participant& participant, uint64_t now_ms) {
  if (!options_.enabled) return;
  Member entry{
      &participant, {}, {},
      std::nullopt, {}, TokenBucket(options_.bytes_per_second_per_participant, options_.burst_bytes, now_ms),
      {},           0};
  members_.emplace(&participant, std::move(entry));
  if (has_tracks()) host_.need_data_section(participant);
}

void DataRelay::remove_participant(Participant& participant) {
  Member* gone = member(participant);
  if (!gone) return;
  if (gone->paused) --paused_publishers_;
  while (!gone->published.empty()) close_track(*gone, gone->published.begin()->first);
  forget_deliveries_to(*gone);
  members_.erase(&participant);
}

// ---- channel events ----

void DataRelay::on_channels_ready(Participant& participant, TransportRole role) {
  Member* subscriber = member(participant);
  if (!subscriber || role != TransportRole::Subscribe) return;
  for (auto& [publisher, entry] : members_) {
    if (publisher == &participant) continue;
    for (auto& [stream, track] : entry.published) open_for(*subscriber, *track);
  }
  send_pending(*subscriber);
}

void DataRelay::on_channel_opened(Participant& participant, TransportRole role,
                                  const dtls::DataChannelInfo& channel) {
  Member* publisher = member(participant);
  dtls::DataChannelEndpoint* ep = endpoint(participant, role);
  if (!publisher || !ep) return;
  if (role == TransportRole::Subscribe) {
    // The server relays what is published; a channel the client opens toward it on the
    // subscribe connection carries nothing anywhere.
    ep->close_channel(channel.id);
    drop(DataDropReason::NotRelayed);
    return;
  }
  if (publisher->published.size() >= options_.channels_per_participant ||
      publisher->published.count(channel.id)) {
    ep->close_channel(channel.id);
    drop(DataDropReason::ChannelLimit);
    return;
  }
  auto track = std::make_unique<Track>();
  track->serial = next_serial_++;
  track->publisher = &participant;
  track->info = channel;
  Track& added = *track;
  publisher->published.emplace(channel.id, std::move(track));
  for (auto& [other, entry] : members_)
    if (other != &participant) open_for(entry, added);
}

void DataRelay::on_channel_message(Participant& participant, TransportRole role,
                                   const dtls::DataChannelInfo& channel, bool binary, ByteSpan message,
                                   uint64_t now_ms) {
  count_in(message.size());
  Member* publisher = member(participant);
  if (!publisher) return;
  if (role == TransportRole::Subscribe) return drop(DataDropReason::NotRelayed);
  auto it = publisher->published.find(channel.id);
  if (it == publisher->published.end()) return drop(DataDropReason::UnknownChannel);
  if (message.size() > options_.max_message_bytes) return drop(DataDropReason::MessageTooLarge);
  // Read already, so relayed whatever the budget; over it, the publisher is read no further.
  bool within_rate = publisher->bucket.take_with_debt(message.size(), now_ms);
  relay(*it->second, binary, message);
  if (!within_rate) pause(*publisher);
}

void DataRelay::pause(Member& publisher) {
  dtls::DataChannelEndpoint* ep = endpoint(*publisher.participant, TransportRole::Publish);
  if (publisher.paused || !ep) return;
  // Stops this drain after the current message: usrsctp's receive buffer fills, the window it
  // advertises closes, and the publisher's own SCTP (its bufferedAmount) holds the rest.
  ep->pause_receiving(true);
  publisher.paused = true;
  ++paused_publishers_;
  counters_.count_publisher_paused();
}

void DataRelay::on_timer(uint64_t now_ms) {
  if (paused_publishers_ == 0) return;
  for (auto& [participant, entry] : members_) {
    if (!entry.paused || entry.bucket.in_debt(now_ms)) continue;
    entry.paused = false;
    --paused_publishers_;
    if (dtls::DataChannelEndpoint* ep = endpoint(*entry.participant, TransportRole::Publish))
      ep->pause_receiving(false);  // what usrsctp queued meanwhile is read on the next loop turn
  }
}

void DataRelay::sweep(Track& track) {
  std::erase_if(track.deliveries, [](const Delivery& d) { return d.subscriber == nullptr; });
}

void DataRelay::relay(Track& track, bool binary, ByteSpan message) {
  relaying_ = true;
  ++track.messages;
  track.bytes += message.size();
  for (Delivery& delivery : track.deliveries) {
    if (!delivery.subscriber) continue;
    dtls::DataChannelEndpoint* ep = endpoint(*delivery.subscriber, TransportRole::Subscribe);
    if (!ep) {
      drop(DataDropReason::SendFailed);
      continue;
    }
    switch (ep->send(delivery.channel, binary, message)) {
      case SctpAssociation::SendResult::kSent:
        counters_.count_out(message.size());
        break;
      case SctpAssociation::SendResult::kBufferFull:
        if (track.info.reliability.reliable())
          cut_off(track, delivery);
        else
          drop(DataDropReason::SubscriberBufferFull);
        break;
      case SctpAssociation::SendResult::kTooLarge:
        drop(DataDropReason::MessageTooLarge);  // over this subscriber's max-message-size
        break;
      default:
        drop(DataDropReason::SendFailed);
        break;
    }
  }
  relaying_ = false;
  sweep(track);
}

void DataRelay::cut_off(Track& track, Delivery& delivery) {
  drop(DataDropReason::SlowSubscriber);
  Participant& subscriber = *delivery.subscriber;
  delivery.subscriber = nullptr;
  if (Member* entry = member(subscriber)) {
    entry->received.erase(delivery.channel);
    entry->cut.push_back(track.serial);
  }
  if (dtls::DataChannelEndpoint* ep = endpoint(subscriber, TransportRole::Subscribe))
    ep->close_channel(delivery.channel);
}

void DataRelay::on_channel_closed(Participant& participant, TransportRole role,
                                  const dtls::DataChannelInfo& channel) {
  Member* entry = member(participant);
  if (!entry) return;
  if (role == TransportRole::Publish) return close_track(*entry, channel.id);
  auto it = entry->received.find(channel.id);
  if (it == entry->received.end()) return;  // closed by the server: forgotten already
  Track* track = it->second;
  entry->received.erase(it);
  if (!track) {
    entry->server_channel.reset();
    return;
  }
  // The subscriber closed its end: it gets no more of the track (until it joins again). Marked
  // only: relay() may be walking these deliveries, and sweeps them when done.
  for (Delivery& delivery : track->deliveries)
    if (delivery.subscriber == &participant && delivery.channel == channel.id) delivery.subscriber = nullptr;
  if (!relaying_) sweep(*track);
}

void DataRelay::on_channels_closed(Participant& participant, TransportRole role) {
  Member* entry = member(participant);
  if (!entry) return;
  if (role == TransportRole::Publish) {
    if (entry->paused) {  // that association is gone; a new one starts unpaused
      entry->paused = false;
      --paused_publishers_;
    }
    while (!entry->published.empty()) close_track(*entry, entry->published.begin()->first);
  } else {
    forget_deliveries_to(*entry);
  }
}

void DataRelay::open_for(Member& subscriber, Track& track) {
  Participant& participant = *subscriber.participant;
  if (&participant == track.publisher) return;
  if (std::find(subscriber.cut.begin(), subscriber.cut.end(), track.serial) != subscriber.cut.end()) return;
  for (const auto& [stream, received] : subscriber.received)
    if (received == &track) return;
  dtls::DataChannelEndpoint* ep = endpoint(participant, TransportRole::Subscribe);
  if (!ep || !ep->ready()) {
    // Opened by on_channels_ready once the subscriber's association is up.
    host_.need_data_section(participant);
    return;
  }
  auto channel = ep->open_channel(track.info.label, track.publisher->id, track.info.reliability);
  if (!channel) return drop(DataDropReason::SubscriberChannelLimit);
  track.deliveries.push_back({&participant, *channel});
  subscriber.received[*channel] = &track;
}

void DataRelay::close_track(Member& publisher, uint16_t stream) {
  auto it = publisher.published.find(stream);
  if (it == publisher.published.end()) return;
  std::unique_ptr<Track> track = std::move(it->second);
  publisher.published.erase(it);
  for (const Delivery& delivery : track->deliveries) {
    if (!delivery.subscriber) continue;
    if (Member* subscriber = member(*delivery.subscriber)) subscriber->received.erase(delivery.channel);
    if (dtls::DataChannelEndpoint* ep = endpoint(*delivery.subscriber, TransportRole::Subscribe))
      ep->close_channel(delivery.channel);
  }
  if (dtls::DataChannelEndpoint* ep = endpoint(*publisher.participant, TransportRole::Publish))
    if (ep->channel(stream)) ep->close_channel(stream);
  for (auto& [participant, entry] : members_) std::erase(entry.cut, track->serial);
}

void DataRelay::forget_deliveries_to(Member& subscriber) {
  for (auto& [stream, track] : subscriber.received) {
    if (!track) continue;
    for (Delivery& delivery : track->deliveries)
      if (delivery.subscriber == subscriber.participant) delivery.subscriber = nullptr;
    if (!relaying_) sweep(*track);
  }
  subscriber.received.clear();
  subscriber.server_channel.reset();
}

// ---- server messages ----

size_t DataRelay::send_server_message(const std::vector<std::string>& targets, bool binary,
                                      ByteSpan message) {
  size_t queued = 0;
  for (auto& [participant, entry] : members_) {
    if (!targets.empty() && std::find(targets.begin(), targets.end(), participant->id) == targets.end())
      continue;
    dtls::DataChannelEndpoint* ep = endpoint(*entry.participant, TransportRole::Subscribe);
    if (ep && ep->ready()) {
      if (send_on_server_channel(entry, binary, message)) ++queued;
      continue;
    }
    if (entry.pending_bytes + message.size() > options_.send_buffer_bytes) {
      drop(DataDropReason::SubscriberBufferFull);
      continue;
    }
    entry.pending.push_back({binary, std::vector<uint8_t>(message.begin(), message.end())});
    entry.pending_bytes += message.size();
    ++queued;
    host_.need_data_section(*entry.participant);
  }
  return queued;
}

bool DataRelay::send_on_server_channel(Member& target, bool binary, ByteSpan message) {
  dtls::DataChannelEndpoint* ep = endpoint(*target.participant, TransportRole::Subscribe);
  if (!ep) return false;
  if (!target.server_channel) {
    dtls::SctpReliability reliable;
    target.server_channel = ep->open_channel(kServerChannelLabel, "", reliable);
    if (!target.server_channel) {
      drop(DataDropReason::SubscriberChannelLimit);
      return false;
    }
    target.received[*target.server_channel] = nullptr;
  }
  switch (ep->send(*target.server_channel, binary, message)) {
    case SctpAssociation::SendResult::kSent:
      counters_.count_out(message.size());
      return true;
    case SctpAssociation::SendResult::kBufferFull:
      drop(DataDropReason::SubscriberBufferFull);
      return false;
    case SctpAssociation::SendResult::kTooLarge:
      drop(DataDropReason::MessageTooLarge);
      return false;
    default:
      drop(DataDropReason::SendFailed);
      return false;
  }
}

void DataRelay::send_pending(Member& target) {
  std::vector<PendingMessage> pending = std::move(target.pending);
  target.pending.clear();
  target.pending_bytes = 0;
  for (const PendingMessage& message : pending)
    send_on_server_channel(target, message.binary, ByteSpan(message.bytes));
}

// ---- REST ----

std::vector<DataTrackSnapshot> DataRelay::describe(const Participant& publisher) const {
  std::vector<DataTrackSnapshot> tracks;
  auto it = members_.find(&publisher);
  if (it == members_.end()) return tracks;
  for (const auto& [stream, track] : it->second.published) {
    const dtls::SctpReliability& reliability = track->info.reliability;
    tracks.push_back({stream, track->info.label, track->info.protocol, reliability.ordered,
                      reliability_name(reliability.kind), reliability.value, track->messages, track->bytes,
                      static_cast<size_t>(std::count_if(track->deliveries.begin(), track->deliveries.end(),
                                                        [](const Delivery& d) { return d.subscriber; }))});
  }
  return tracks;
}

}  // namespace sfu
