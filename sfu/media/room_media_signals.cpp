#include "sfu/media/room_media_signals.h"

#include <algorithm>

#include "sfu/media/audio_level_meter.h"
#include "sfu/media/dynacast.h"
#include "sfu/media/proxy_uplink.h"

namespace sfu {

RoomMediaSignals::Options RoomMediaSignals::Options::from_config(const config::MediaConfig& media,
                                                                 const config::AudioConfig& audio) {
  Options options;
  options.active_speakers = audio.active_speakers;
  options.active_level_dbov = static_cast<uint8_t>(std::min<uint32_t>(audio.active_level_dbov, 127));
  options.speaker_events_per_second = audio.speaker_events_per_second;
  options.forward_loudest = audio.forward_loudest;
  options.dynacast = media.dynacast;
  options.dynacast_off_delay_ms = media.dynacast_off_delay_ms;
  return options;
}

void RoomMediaSignals::on_timer(Participants& participants, uint64_t now_ms, RoomEvents& events) {
  if (now_ms - last_window_ms_ < AudioLevelMeter::kWindowMs) return;
  last_window_ms_ = now_ms;
  if (options_.active_speakers || options_.forward_loudest > 0) update_speakers(participants, now_ms, events);
  if (options_.dynacast) update_layers(participants, now_ms, events);
}

void RoomMediaSignals::update_speakers(Participants& participants, uint64_t now_ms, RoomEvents& events) {
  candidates_.clear();
  for (auto& [id, p] : participants) {
    for (auto& track : p->published) {
      if (!track->has_audio_level()) continue;
      AudioLevelMeter& meter = track->audio_level();
      meter.set_active_level(options_.active_level_dbov);
      meter.close_window();
      candidates_.push_back({&p->id, &meter});
    }
  }
  const bool due = speakers_.update(candidates_, now_ms, event_);
  if (!options_.active_speakers) return;
  // Another worker's participants (proxies) hear it from their own worker's shard. Those that
  // joined (or resumed) since the last event get that one, so nobody waits for the next change.
  const ActiveSpeakersChanged* last = speakers_.last_event();
  auto told = [&](uint64_t session) { return std::find(told_.begin(), told_.end(), session) != told_.end(); };
  for (const auto& [id, p] : participants) {
    if (p->remote_worker) continue;
    if (due)
      events.deliver(p->session_id, event_);
    else if (last && !told(p->session_id))
      events.deliver(p->session_id, *last);
  }
  told_.clear();
  for (const auto& [id, p] : participants)
    if (!p->remote_worker) told_.push_back(p->session_id);
}

void RoomMediaSignals::update_layers(Participants& participants, uint64_t now_ms, RoomEvents& events) {
  for (auto& [id, p] : participants) {
    for (auto& track : p->published) {
      if (track->kind() != sdp::MediaKind::kVideo || !track->simulcast()) continue;
      const uint32_t needed = needed_layers(*track, now_ms);
      if (p->remote_worker) {
        // A proxy: its publisher is told by its own worker, which combines what every worker needs.
        // A proxy's feedback sink is always its ProxyUplink (make_proxy).
        if (track->remote_routes().proxied && track->dynacast().demand_due(needed, now_ms))
          static_cast<ProxyUplink&>(track->feedback_sink()).send_layer_demand(needed);
        continue;
      }
      const auto count = static_cast<uint8_t>(track->layer_count());
      if (!track->dynacast().update(needed, count, now_ms, options_.dynacast_off_delay_ms)) continue;
      PublisherLayers message{track->id(), {}};
      for (uint8_t i = 0; i < count; ++i) message.active.push_back((track->dynacast().active() >> i) & 1u);
      events.deliver(p->session_id, std::move(message));
    }
  }
}

}  // namespace sfu
