// What a room tells its participants about the media itself, from its timer: the active
// speakers (active_speakers.h, to everyone) and, for simulcast publishers, which layers anyone
// needs (dynacast.h, `publisher_layers` to the publisher). Both run every
// AudioLevelMeter::kWindowMs, on the room's participants as the Room owns them.
//
// Thread: its room's worker. Owned by its Room; allocates on the timer only.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "sfu/media/active_speakers.h"
#include "sfu/media/participant.h"
#include "sfu/media/room_events.h"

namespace sfu {

class RoomMediaSignals {
 public:
  struct Options {
    bool active_speakers = true;
    uint8_t active_level_dbov = 40;
    uint32_t speaker_events_per_second = 2;
    uint32_t forward_loudest = 0;
    bool dynacast = true;
    uint32_t dynacast_off_delay_ms = 3000;

    static Options from_config(const config::MediaConfig& media, const config::AudioConfig& audio);
  };
  using Participants = std::map<std::string, std::unique_ptr<Participant>>;

  explicit RoomMediaSignals(Options options)
      : options_(options), speakers_({options.speaker_events_per_second, options.forward_loudest}) {}

  // The room's fast timer (every ~20 ms); works every kWindowMs.
  void on_timer(Participants& participants, uint64_t now_ms, RoomEvents& events);
  // The loudest participant of the last active_speakers event; nullptr when nobody speaks.
  const std::string* active_speaker() const {
    const auto& speakers = speakers_.last_sent();
    return speakers.empty() ? nullptr : &speakers.front();
  }

 private:
  void update_speakers(Participants& participants, uint64_t now_ms, RoomEvents& events);
  void update_layers(Participants& participants, uint64_t now_ms, RoomEvents& events);

  Options options_;
  ActiveSpeakers speakers_;
  uint64_t last_window_ms_ = 0;
  std::vector<ActiveSpeakers::Candidate> candidates_;  // reused
  ActiveSpeakersChanged event_;                        // reused
  std::vector<uint64_t> told_;  // the sessions of the local participants that have the last event
};

}  // namespace sfu
