// Runs a hiredis async context on a libuv loop: what hiredis's own adapters/libuv.h does, with the
// one difference that matters here. When the socket fails (reset by the server, a refused connect)
// libuv reports a poll error and stops the poll; hiredis 0.14's adapter (Debian bookworm's) returns
// on that error, so hiredis never learned the connection was gone: commands queued on it and were
// never answered. Here a poll error is handed to hiredis as the readiness it waited for, so its read
// or write meets the error and it reports the disconnect (the fix hiredis 1.0's adapter carries).
#pragma once

#include <uv.h>

struct redisAsyncContext;

namespace sfu::cluster {

// Attaches `context` (not yet attached to any loop) to `loop`; false when the poll handle cannot be
// made. hiredis frees what this allocates through the context's cleanup hook.
bool attach_to_loop(redisAsyncContext* context, uv_loop_t* loop);

}  // namespace sfu::cluster
