// place_participant (sfu/control/room_placement.h): where a new participant of a room goes under
// each rooms.span_workers policy.
#include "sfu/control/room_placement.h"

#include <gtest/gtest.h>

#include <vector>

namespace sfu {
namespace {

uint32_t place(config::SpanWorkers policy, const std::vector<size_t>& load, const std::vector<uint32_t>& room,
               uint32_t home = 0, uint64_t joins = 0, uint32_t margin = 8) {
  return place_participant(PlacementRequest{policy, margin, load, room, home, joins});
}

TEST(RoomPlacement, OffKeepsTheRoomOnItsHomeWorker) {
  EXPECT_EQ(place(config::SpanWorkers::Off, {100, 0, 0}, {2}, 2), 2u);
  EXPECT_EQ(place(config::SpanWorkers::Off, {0, 0}, {}, 1), 1u);
}

TEST(RoomPlacement, AutoStartsARoomOnItsHome) {
  EXPECT_EQ(place(config::SpanWorkers::Auto, {5, 3}, {}, 1), 1u);
}

TEST(RoomPlacement, AutoStaysOnTheRoomsWorkersWhileTheOthersAreNotMuchLessLoaded) {
  EXPECT_EQ(place(config::SpanWorkers::Auto, {7, 0}, {0}), 0u) << "7 fewer is within the margin of 8";
  EXPECT_EQ(place(config::SpanWorkers::Auto, {8, 0}, {0}), 1u) << "8 fewer: the room takes worker 1";
  // Among the room's workers, the least loaded.
  EXPECT_EQ(place(config::SpanWorkers::Auto, {20, 12, 30}, {0, 1}), 1u);
  EXPECT_EQ(place(config::SpanWorkers::Auto, {20, 12, 3}, {0, 1}), 2u);
}

TEST(RoomPlacement, AutoSpreadsALargeRoomOverAllWorkersAsItGrows) {
  std::vector<size_t> load(4, 0);
  std::vector<uint32_t> room;
  for (int i = 0; i < 400; ++i) {
    uint32_t worker = place(config::SpanWorkers::Auto, load, room);
    if (std::find(room.begin(), room.end(), worker) == room.end()) room.push_back(worker);
    ++load[worker];
  }
  EXPECT_EQ(room.size(), 4u);
  for (size_t l : load) EXPECT_NEAR(static_cast<double>(l), 100.0, 8.0);
}

TEST(RoomPlacement, RoundRobinTakesEachWorkerInTurnFromTheHome) {
  for (uint64_t joins = 0; joins < 6; ++joins)
    EXPECT_EQ(place(config::SpanWorkers::RoundRobin, {0, 0, 0}, {}, 1, joins), (1 + joins) % 3);
}

TEST(RoomPlacement, OneWorkerIsAlwaysWorkerZero) {
  EXPECT_EQ(place(config::SpanWorkers::RoundRobin, {4}, {0}, 0, 5), 0u);
  EXPECT_EQ(place(config::SpanWorkers::Auto, {4}, {0}), 0u);
}

}  // namespace
}  // namespace sfu
