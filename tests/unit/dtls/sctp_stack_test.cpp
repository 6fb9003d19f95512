// The process-wide rules of the usrsctp stack: one SctpMailbox per thread (found again with
// current()), one SctpTimerDriver per process.
#include "dtls/sctp_stack.h"

#include <gtest/gtest.h>
#include <uv.h>

#include <memory>
#include <stdexcept>
#include <thread>

namespace sfu::dtls {
namespace {

TEST(SctpStackTest, OneMailboxPerThreadAndOneTimerDriverPerProcess) {
  uv_loop_t loop;
  uv_loop_init(&loop);
  {
    EXPECT_EQ(SctpMailbox::current(), nullptr);
    SctpMailbox mailbox(&loop);
    EXPECT_EQ(SctpMailbox::current(), &mailbox);
    EXPECT_EQ(mailbox.loop(), &loop);
    EXPECT_THROW(SctpMailbox second(&loop), std::logic_error);
    EXPECT_EQ(SctpMailbox::current(), &mailbox);
    std::thread([] { EXPECT_EQ(SctpMailbox::current(), nullptr); }).join();

    SctpTimerDriver timers(&loop);
    EXPECT_THROW(SctpTimerDriver second(&loop), std::logic_error);
  }
  EXPECT_EQ(SctpMailbox::current(), nullptr);
  {
    SctpTimerDriver again(&loop);  // the first one is gone
  }
  uv_run(&loop, UV_RUN_NOWAIT);
  EXPECT_EQ(uv_loop_close(&loop), 0);
}

}  // namespace
}  // namespace sfu::dtls
