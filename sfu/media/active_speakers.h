// The room's active speakers, from its audio tracks' AudioLevelMeters: every
// AudioLevelMeter::kWindowMs the room's timer closes each meter's window and asks update() for
// the participants speaking now, loudest first. An event is due when that list (the ids in
// order) differs from the last one sent, at most `events_per_second` times a second; a change
// held back by the rate is sent with the next update after it. With `forward_loudest` N > 0 it
// also marks each meter forwarded or not: the N loudest tracks (speakers first, then by level)
// are, the others are not (Router::forward drops and counts their packets).
//
// A room spanning workers: every shard sees every track's packets (proxies included), so each
// computes the same list for its own participants; nothing crosses between shards.
//
// Thread: its room's worker. Allocates only on the timer (the lists), never per packet.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "sfu/media/room_events.h"

namespace sfu {

class AudioLevelMeter;

class ActiveSpeakers {
 public:
  struct Options {
    uint32_t events_per_second = 2;
    uint32_t forward_loudest = 0;  // 0: every audio track is forwarded
  };
  // One audio track with levels, of participant `participant_id`.
  struct Candidate {
    const std::string* participant_id = nullptr;
    AudioLevelMeter* meter = nullptr;
  };

  explicit ActiveSpeakers(Options options) : options_(options) {}

  // After the meters' windows closed: the ranking. Returns true (and fills `event`) when an
  // active_speakers event is due now.
  bool update(std::vector<Candidate>& candidates, uint64_t now_ms, ActiveSpeakersChanged& event);

  const std::vector<std::string>& last_sent() const { return sent_ids_; }
  // The last event sent, for a participant that joins after it; nullptr before the first.
  const ActiveSpeakersChanged* last_event() const { return sent_once_ ? &last_event_ : nullptr; }

 private:
  void mark_forwarded(std::vector<Candidate>& ranked) const;

  Options options_;
  std::vector<std::string> sent_ids_;
  ActiveSpeakersChanged last_event_;
  bool sent_once_ = false;
  uint64_t last_sent_ms_ = 0;
};

}  // namespace sfu
