#include "sfu/media/active_speakers.h"

#include <algorithm>

#include "sfu/media/audio_level_meter.h"

namespace sfu {
namespace {

// Speakers first, then the louder; by id among equals, so the order does not flicker.
bool louder(const ActiveSpeakers::Candidate& a, const ActiveSpeakers::Candidate& b) {
  if (a.meter->speaking() != b.meter->speaking()) return a.meter->speaking();
  if (a.meter->level() != b.meter->level()) return a.meter->level() > b.meter->level();
  return *a.participant_id < *b.participant_id;
}

}  // namespace

void ActiveSpeakers::mark_forwarded(std::vector<Candidate>& ranked) const {
  for (size_t i = 0; i < ranked.size(); ++i)
    ranked[i].meter->set_forwarded(options_.forward_loudest == 0 || i < options_.forward_loudest);
}

bool ActiveSpeakers::update(std::vector<Candidate>& candidates, uint64_t now_ms,
                            ActiveSpeakersChanged& event) {
  std::sort(candidates.begin(), candidates.end(), louder);
  mark_forwarded(candidates);

  event.speakers.clear();
  for (const Candidate& c : candidates) {
    if (!c.meter->speaking()) break;  // speakers come first
    // A participant with two audio tracks is listed once, at its louder one.
    const bool listed = std::any_of(event.speakers.begin(), event.speakers.end(), [&](const SpeakerLevel& s) {
      return s.participant_id == *c.participant_id;
    });
    if (!listed) event.speakers.push_back({*c.participant_id, c.meter->level()});
  }
  const bool same =
      event.speakers.size() == sent_ids_.size() &&
      std::equal(event.speakers.begin(), event.speakers.end(), sent_ids_.begin(),
                 [](const SpeakerLevel& s, const std::string& id) { return s.participant_id == id; });
  if (same && sent_once_) return false;
  // Nobody has spoken yet: nothing to say.
  if (!sent_once_ && event.speakers.empty()) return false;
  const uint64_t min_interval_ms = 1000 / std::max<uint32_t>(options_.events_per_second, 1);
  if (sent_once_ && now_ms - last_sent_ms_ < min_interval_ms) return false;
  sent_ids_.clear();
  for (const SpeakerLevel& s : event.speakers) sent_ids_.push_back(s.participant_id);
  last_event_ = event;
  sent_once_ = true;
  last_sent_ms_ = now_ms;
  return true;
}

}  // namespace sfu
