// What a participant that joined and negotiated nothing costs the worker in heap memory: joining
// muted and waiting for minutes is normal (rtc.join_timeout_s defaults to 600 s), so such a
// participant must cost little. Measured as the change in glibc's in-use bytes (mallinfo2, all
// arenas, mmapped blocks included) while one worker joins many participants into an empty room;
// OpenSSL's allocations are counted too (it allocates with malloc). The figure is printed, and
// bounded so a costly part created at join (a DTLS session, a receive buffer) shows up as a failure.
#include <malloc.h>

#include <cstdio>

#include "tests/unit/media/room_test_support.h"

namespace sfu {
namespace {

using media_test::on_worker;

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kSanitizerOwnsMalloc = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool kSanitizerOwnsMalloc = true;
#else
constexpr bool kSanitizerOwnsMalloc = false;
#endif
#else
constexpr bool kSanitizerOwnsMalloc = false;
#endif

// Events are dropped: the control plane turns them into JSON and frees them, they are no part of
// what a participant keeps.
class DiscardingRoomEvents : public RoomEvents {
 public:
  void deliver(uint64_t, RoomEvent) override {}
  void participant_removed(const std::string&, const std::string&, uint64_t, const Error&) override {}
};

size_t heap_in_use() {
  struct mallinfo2 info = mallinfo2();
  return info.uordblks + info.hblkhd;
}

class IdleParticipantMemory : public media_test::WorkerFixture {
 protected:
  DiscardingRoomEvents events_;  // outlives the worker (stopped in TearDown)
};

TEST_F(IdleParticipantMemory, AJoinedParticipantThatNegotiatedNothingCostsLittle) {
  if (kSanitizerOwnsMalloc) GTEST_SKIP() << "a sanitizer's allocator is not glibc's";
  constexpr size_t kParticipants = 200;
  on_worker(*worker_, [&](Worker& w) {
    w.create_room("idle", events_, RoomLimits{kParticipants + 1, 8});
    // One participant first, so one-time costs (the shared DTLS context, map buckets) are not
    // charged to the measured ones.
    return w.find_room("idle")->join("warmup", "Warm", 1).ok();
  });
  size_t before = on_worker(*worker_, [](Worker&) { return heap_in_use(); });
  bool joined = on_worker(*worker_, [&](Worker& w) {
    bool ok = true;
    for (size_t i = 0; i < kParticipants; ++i)
      ok = ok && w.find_room("idle")->join("p" + std::to_string(i), "P", 100 + i).ok();
    return ok;
  });
  ASSERT_TRUE(joined);
  size_t after = on_worker(*worker_, [](Worker&) { return heap_in_use(); });
  size_t per_participant = after > before ? (after - before) / kParticipants : 0;
  std::printf("heap per idle participant (two transports, nothing negotiated): %zu bytes\n", per_participant);
  RecordProperty("bytes_per_idle_participant", static_cast<int>(per_participant));
  EXPECT_LT(per_participant, 8u * 1024);
}

}  // namespace
}  // namespace sfu
