// A room on its worker: who is in it, what they publish, who receives what, and the signaling
// that follows (publish answers, subscribe offers, membership events). The media path itself is
// the Router's. Every method runs on the worker thread.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "base/uv_timer.h"
#include "sfu/media/participant.h"
#include "sfu/media/room_events.h"
#include "sfu/media/router.h"
#include "sfu/media/webrtc_transport.h"
#include "sfu/sdp/sdp.h"

namespace sfu {

class Worker;

struct RoomLimits {
  uint32_t max_participants = 100;
  uint32_t max_tracks_per_participant = 8;
};

class Room : public WebRtcTransport::Observer {
 public:
  Room(std::string name, Worker& worker, RoomEvents& events, RouterCounters& counters, RoomLimits limits);
  ~Room() override;
  Room(const Room&) = delete;
  Room& operator=(const Room&) = delete;

  const std::string& name() const { return name_; }
  size_t participant_count() const { return participants_.size(); }

  // Adds a participant with its two transports; sends `joined` to it and `participant_joined`
  // to the others. False (and an `error` to the session) when the room is full.
  bool join(const std::string& participant_id, const std::string& display_name, uint64_t session_id);
  // The publish offer (already parsed): answers with `publish_answer` or an `error`.
  void publish(const std::string& participant_id, const sdp::SessionDescription& offer);
  void subscribe_answer(const std::string& participant_id, const sdp::SessionDescription& answer);
  // Frees everything of the participant and tells the others. `notify` is sent to the leaving
  // participant's own session first when not empty (e.g. a `kicked` message).
  void leave(const std::string& participant_id, const std::string& reason);
  // Removes everyone (room deleted or server stopping).
  void close(const std::string& reason);
  bool has_participant(const std::string& participant_id) const {
    return participants_.count(participant_id) > 0;
  }

  // For REST: {"name", "worker", "participants": [{"id","name","tracks":[{"id","kind","packets","bytes"}]}]}
  nlohmann::json describe() const;

  // WebRtcTransport::Observer
  void on_transport_connected(WebRtcTransport& transport) override;
  void on_transport_closed(WebRtcTransport& transport, std::string_view reason) override;
  void on_rtp(WebRtcTransport& transport, uint8_t* data, size_t size) override;
  void on_rtcp(WebRtcTransport& transport, uint8_t* data, size_t size) override;

 private:
  void send(const Participant& participant, const nlohmann::json& message);
  void broadcast(const nlohmann::json& message, const std::string& except_id);
  void send_error(const Participant& participant, const std::string& code, const std::string& message,
                  const std::string& request_type);
  void remove_participant(const std::string& participant_id, const std::string& reason, bool tell_control);
  void remove_published_track(Participant& publisher, PublishedTrack& track);
  // Recomputes what `subscriber` should receive and sends a subscribe offer if one is due.
  void update_subscriptions(Participant& subscriber);
  void send_subscribe_offer(Participant& subscriber);
  void on_timer();
  nlohmann::json participant_summary(const Participant& participant) const;

  std::string name_;
  Worker& worker_;
  RoomEvents& events_;
  RoomLimits limits_;
  Router router_;
  std::map<std::string, std::unique_ptr<Participant>> participants_;
  UvTimer timer_;
  uint64_t last_report_ms_ = 0;
  uint32_t next_mid_ = 0;
};

}  // namespace sfu
