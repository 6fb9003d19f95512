#include "sfu/control/room_placement.h"

namespace sfu {
namespace {

template <typename Workers>
uint32_t least_loaded(std::span<const size_t> load, const Workers& workers) {
  uint32_t best = *workers.begin();
  for (uint32_t worker : workers)
    if (load[worker] < load[best]) best = worker;
  return best;
}

}  // namespace

uint32_t place_participant(const PlacementRequest& request) {
  const auto workers = static_cast<uint32_t>(request.worker_load.size());
  if (workers <= 1) return 0;
  switch (request.policy) {
    case config::SpanWorkers::Off:
      return request.room_home;
    case config::SpanWorkers::RoundRobin:
      return static_cast<uint32_t>((request.room_home + request.room_joins) % workers);
    case config::SpanWorkers::Auto:
      break;
  }
  if (request.room_workers.empty()) return request.room_home;
  uint32_t in_room = least_loaded(request.worker_load, request.room_workers);
  uint32_t overall = in_room;
  for (uint32_t worker = 0; worker < workers; ++worker)
    if (request.worker_load[worker] < request.worker_load[overall]) overall = worker;
  if (request.worker_load[overall] + request.margin <= request.worker_load[in_room]) return overall;
  return in_room;
}

}  // namespace sfu
