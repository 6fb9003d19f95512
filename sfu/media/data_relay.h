// The data-channel relay of one room (docs/protocol.md, "Data channels"). A channel a participant
// opens on its publish connection is a data track of the room; every other participant gets it on
// its subscribe connection as a channel the server opens, with the same label and reliability and
// protocol = the publisher's participant id. Each message is handed, as received, to each
// subscriber's association (usrsctp copies it into its send buffer; nothing else copies it). A
// publisher closing its channel, or leaving, closes it for everyone; a participant whose subscribe
// association comes up later gets every existing data track then. The server's own messages
// (REST) go over a channel labelled "server" (protocol "") on each target's subscribe association.
//
// Limits (DataRelayOptions, from data_channels.*): channels per participant (more OPENs refused),
// message size, and a token bucket on each publisher's inbound bytes that slows rather than drops:
// a message over the rate is still relayed (the bucket goes into debt) and the publisher's
// association is paused (not read) until the bucket is repaid, so SCTP's flow control holds the
// publisher's sender back and reliable channels stay whole. Backpressure: each subscriber's
// association has a bounded send buffer; a message for an unreliable channel that does not fit is
// dropped for that subscriber, and a reliable channel that does not fit is closed at that
// subscriber (slow_subscriber) and not reopened, so one slow subscriber never holds up the
// publisher or the others. Every refusal is counted in the worker's DataCounters.
//
// Thread: the room's worker. Owned by the Room; participants are the room's, and are added and
// removed through add_participant() / remove_participant() (before their transports go).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/bytes.h"
#include "config/config.h"
#include "dtls/data_channel_endpoint.h"
#include "sfu/media/data_counters.h"
#include "sfu/media/room_events.h"
#include "sfu/media/token_bucket.h"
#include "sfu/media/transport_link.h"
#include "sfu/media/webrtc_transport.h"
#include "sfu/sdp/sdp_negotiation.h"

namespace sfu {

struct Participant;

// data_channels.* as the relay applies them.
struct DataRelayOptions {
  bool enabled = false;
  uint16_t sctp_port = 5000;
  size_t max_message_bytes = 262144;
  uint32_t channels_per_participant = 16;
  size_t send_buffer_bytes = 1 << 20;
  uint64_t bytes_per_second_per_participant = 0;  // 0: no limit
  uint64_t burst_bytes = 0;                       // raised to max_message_bytes at least

  static DataRelayOptions from_config(const config::Config& config);
  // What the server announces in its m=application sections; nullopt when data channels are off.
  std::optional<sdp::DataChannelOptions> negotiation() const;
  // The data channels of a participant's connection of `role`, given the peer's m-section.
  DataChannelSetup setup_for(TransportRole role, const sdp::DataChannelSpec& peer) const;
};

// The server channel's label; its protocol is "".
inline constexpr const char* kServerChannelLabel = "server";

class DataRelay {
 public:
  class Host {
   public:
    virtual ~Host() = default;
    // `subscriber` needs a data channel m-section in its subscribe session (the room has a data
    // track, or a server message waits for it): the room adds one and offers it.
    virtual void need_data_section(Participant& subscriber) = 0;
  };

  DataRelay(DataCounters& counters, DataRelayOptions options, Host& host);
  ~DataRelay();
  DataRelay(const DataRelay&) = delete;
  DataRelay& operator=(const DataRelay&) = delete;

  const DataRelayOptions& options() const { return options_; }
  bool has_tracks() const;

  void add_participant(Participant& participant, uint64_t now_ms);
  // Closes its data tracks for everyone and forgets its channels (its transports are going).
  void remove_participant(Participant& participant);

  // From the participant's transports (its TransportLink).
  void on_channels_ready(Participant& participant, TransportRole role);
  void on_channel_opened(Participant& participant, TransportRole role, const dtls::DataChannelInfo& channel);
  void on_channel_message(Participant& participant, TransportRole role, const dtls::DataChannelInfo& channel,
                          bool binary, ByteSpan message, uint64_t now_ms);
  void on_channel_closed(Participant& participant, TransportRole role, const dtls::DataChannelInfo& channel);
  void on_channels_closed(Participant& participant, TransportRole role);
  // The room's periodic timer: resumes reading the publishers whose rate budget is repaid.
  void on_timer(uint64_t now_ms);

  // A server message for `targets` (all participants when empty; ids not in the room are
  // skipped): sent on each one's server channel, or kept (bounded by send_buffer_bytes) until its
  // subscribe association is up. Returns how many participants it was sent or queued to.
  size_t send_server_message(const std::vector<std::string>& targets, bool binary, ByteSpan message);

  // For REST: the data tracks `publisher` publishes.
  std::vector<DataTrackSnapshot> describe(const Participant& publisher) const;

 private:
  struct Delivery {
    Participant* subscriber;  // nullptr: gone, swept after the current loop
    uint16_t channel;         // on the subscriber's subscribe association
  };
  struct Track {
    uint64_t serial = 0;
    Participant* publisher = nullptr;
    dtls::DataChannelInfo info;  // as opened on the publisher's publish association
    std::vector<Delivery> deliveries;
    uint64_t messages = 0, bytes = 0;
  };
  struct PendingMessage {
    bool binary = false;
    std::vector<uint8_t> bytes;
  };
  struct Member {
    Participant* participant = nullptr;
    std::map<uint16_t, std::unique_ptr<Track>> published;  // by stream on its publish association
    // Channels the server opened on its subscribe association: stream -> track (nullptr: the
    // server channel).
    std::map<uint16_t, Track*> received;
    std::optional<uint16_t> server_channel;
    std::vector<uint64_t> cut;  // serials of tracks closed here as slow_subscriber: not reopened
    TokenBucket bucket;
    std::vector<PendingMessage> pending;  // server messages waiting for the association
    size_t pending_bytes = 0;
    bool paused = false;  // its publish association is not read until the bucket is out of debt
  };

  Member* member(const Participant& participant);
  static dtls::DataChannelEndpoint* endpoint(Participant& participant, TransportRole role);
  void count_in(size_t bytes) { counters_.count_in(bytes); }
  void drop(DataDropReason reason) { counters_.drop(reason); }
  // Opens `track` on `subscriber`'s association (or asks for its m-section first).
  void open_for(Member& subscriber, Track& track);
  void relay(Track& track, bool binary, ByteSpan message);
  static void sweep(Track& track);  // drops the deliveries marked gone
  // A reliable channel that found `subscriber`'s send buffer full: closed there for good.
  void cut_off(Track& track, Delivery& delivery);
  void close_track(Member& publisher, uint16_t stream);
  void forget_deliveries_to(Member& subscriber);
  bool send_on_server_channel(Member& target, bool binary, ByteSpan message);
  void send_pending(Member& target);
  void pause(Member& publisher);

  DataCounters& counters_;
  const DataRelayOptions options_;
  Host& host_;
  std::map<const Participant*, Member> members_;
  uint64_t next_serial_ = 1;
  bool relaying_ = false;  // relay() is walking a track's deliveries
  size_t paused_publishers_ = 0;
};

}  // namespace sfu
