// The data channels of one WebRTC connection (RFC 8831, RFC 8832): an SctpAssociation and the
// channels on it, opened by either side in-band with DCEP. Stream ids follow RFC 8832 §6: the DTLS
// client uses even ones, the DTLS server odd ones. Closing a channel resets its outgoing stream;
// the peer's reset of its end completes the close.
//
// Same threading as SctpAssociation: everything, callbacks included, on the owner thread.
// Callbacks may call send() and close_channel(), not destroy the endpoint.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "dtls/dcep.h"
#include "dtls/sctp_association.h"

namespace sfu::dtls {

class SctpMailbox;

struct DataChannelInfo {
  uint16_t id = 0;  // the SCTP stream id
  std::string label;
  std::string protocol;
  SctpReliability reliability;
  bool opened_by_peer = false;
};

struct DataChannelLimits {
  size_t max_channels = 64;  // open at once (either side's); more peer OPENs are refused (reset)
  DcepLimits dcep;
};

struct DataChannelCounters {
  uint64_t bad_dcep = 0;                 // malformed DCEP messages (channel refused)
  uint64_t refused_channels = 0;         // peer opens over max_channels or on a stream id in use
  uint64_t messages_unknown_stream = 0;  // data on a stream with no open channel, dropped
  uint64_t messages_unknown_ppid = 0;    // data with a PPID that is neither string nor binary, dropped
};

class DataChannelEndpoint : private SctpAssociation::Observer {
 public:
  class Observer {
   public:
    virtual ~Observer() = default;
    // One SCTP-over-DTLS packet for the peer (send as DTLS application data).
    virtual void send_data_packet(ByteSpan packet) = 0;
    // The association is up: channels may be opened.
    virtual void on_data_channels_ready() {}
    // The peer opened a channel (after the OPEN, before its first message).
    virtual void on_channel_opened(const DataChannelInfo& channel) = 0;
    // One whole message; binary false for string (UTF-8) messages. Valid until return.
    virtual void on_channel_message(const DataChannelInfo& channel, bool binary, ByteSpan message) = 0;
    // The channel is gone (either side closed it, or the association died).
    virtual void on_channel_closed(const DataChannelInfo& channel) = 0;
    // After a kBufferFull, the association's send buffer fell below half its bound.
    virtual void on_send_buffer_low() {}
    // Once: the association is dead. on_channel_closed has been called for each channel first.
    virtual void on_data_channels_closed(std::string_view /*reason*/) {}
  };

  // is_dtls_client: our DTLS role on this connection (decides even or odd stream ids).
  DataChannelEndpoint(SctpMailbox& mailbox, Observer& observer, SctpOptions options, bool is_dtls_client,
                      DataChannelLimits limits = {});
  ~DataChannelEndpoint() override;
  DataChannelEndpoint(const DataChannelEndpoint&) = delete;
  DataChannelEndpoint& operator=(const DataChannelEndpoint&) = delete;

  void connect() { association_.connect(); }  // once DTLS is up
  void handle_packet(ByteSpan packet) { association_.handle_packet(packet); }
  bool ready() const { return association_.state() == SctpAssociation::State::kConnected; }
  // Stops (and resumes) reading the association: the peer's SCTP flow control slows its sender
  // (SctpAssociation::pause_receiving). DCEP messages and channel closes wait as well.
  void pause_receiving(bool paused) { association_.pause_receiving(paused); }
  bool receiving_paused() const { return association_.receiving_paused(); }

  // Opens a channel of ours (DCEP OPEN on our next free stream id). nullopt when not ready or
  // when no stream id is free under the limits.
  std::optional<uint16_t> open_channel(std::string label, std::string protocol, SctpReliability reliability,
                                       uint16_t priority = 256);
  // One message on an open channel (string when !binary). Ordered and reliable as the channel is.
  SctpAssociation::SendResult send(uint16_t channel_id, bool binary, ByteSpan message);
  void close_channel(uint16_t channel_id);

  const DataChannelInfo* channel(uint16_t channel_id) const;
  size_t channel_count() const { return channels_.size(); }
  size_t buffered_bytes() const { return association_.buffered_bytes(); }
  size_t max_message_size() const { return association_.max_send_message_size(); }
  void set_remote_max_message_size(size_t bytes) { association_.set_remote_max_message_size(bytes); }
  const SctpCounters& sctp_counters() const { return association_.counters(); }
  const DataChannelCounters& counters() const { return counters_; }

 private:
  // SctpAssociation::Observer
  void send_sctp_packet(ByteSpan packet) override;
  void on_sctp_connected() override;
  void on_sctp_message(uint16_t stream, SctpPpid ppid, ByteSpan message) override;
  void on_sctp_stream_reset(uint16_t stream) override;
  void on_sctp_send_buffer_low() override;
  void on_sctp_closed(std::string_view reason) override;

  struct Channel {
    DataChannelInfo info;
    // Ours, until the peer's ACK (or first message) arrives: sent ordered meanwhile, so that no
    // message overtakes the OPEN (RFC 8832 §6).
    bool awaiting_ack = false;
    bool closing = false;  // we reset our outgoing stream and wait for the peer to reset its own
  };

  void on_dcep(uint16_t stream, ByteSpan message);
  void on_peer_open(uint16_t stream, DcepOpen open);
  std::optional<uint16_t> free_stream_id() const;

  Observer& observer_;
  bool is_dtls_client_;
  DataChannelLimits limits_;
  uint16_t streams_;
  SctpAssociation association_;
  std::map<uint16_t, Channel> channels_;
  DataChannelCounters counters_;
};

}  // namespace sfu::dtls
