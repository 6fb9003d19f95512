#include "sfu/cluster/redis_uv_adapter.h"

#include <hiredis/async.h>

namespace sfu::cluster {
namespace {

// Lives until libuv has closed the poll handle, which can be after hiredis freed the context.
struct LoopEvents {
  redisAsyncContext* context = nullptr;  // nullptr once hiredis cleaned up
  uv_poll_t poll{};
  int events = 0;  // UV_READABLE | UV_WRITABLE that hiredis asked for
};

LoopEvents* events_of(void* privdata) { return static_cast<LoopEvents*>(privdata); }

void on_poll(uv_poll_t* handle, int status, int ready) {
  LoopEvents* e = events_of(handle->data);
  // On an error libuv has stopped the poll: hiredis tries what it waited for and meets the error.
  if (status < 0) ready = e->events;
  if (e->context && (ready & UV_READABLE)) redisAsyncHandleRead(e->context);
  if (e->context && (ready & UV_WRITABLE)) redisAsyncHandleWrite(e->context);
  // hiredis did not see the error (the read would have blocked): watch the socket again.
  if (status < 0 && e->context && e->events) uv_poll_start(&e->poll, e->events, on_poll);
}

void watch(LoopEvents* e, int events) {
  e->events = events;
  if (events)
    uv_poll_start(&e->poll, events, on_poll);
  else
    uv_poll_stop(&e->poll);
}

void add_read(void* privdata) { watch(events_of(privdata), events_of(privdata)->events | UV_READABLE); }
void del_read(void* privdata) { watch(events_of(privdata), events_of(privdata)->events & ~UV_READABLE); }
void add_write(void* privdata) { watch(events_of(privdata), events_of(privdata)->events | UV_WRITABLE); }
void del_write(void* privdata) { watch(events_of(privdata), events_of(privdata)->events & ~UV_WRITABLE); }

void cleanup(void* privdata) {
  LoopEvents* e = events_of(privdata);
  e->context = nullptr;
  uv_close(reinterpret_cast<uv_handle_t*>(&e->poll),
           [](uv_handle_t* handle) { delete events_of(handle->data); });
}

}  // namespace

bool attach_to_loop(redisAsyncContext* context, uv_loop_t* loop) {
  if (context->ev.data != nullptr) return false;
  auto* e = new LoopEvents;
  if (uv_poll_init(loop, &e->poll, context->c.fd) != 0) {
    delete e;
    return false;
  }
  e->context = context;
  e->poll.data = e;
  context->ev.addRead = add_read;
  context->ev.delRead = del_read;
  context->ev.addWrite = add_write;
  context->ev.delWrite = del_write;
  context->ev.cleanup = cleanup;
  context->ev.data = e;
  return true;
}

}  // namespace sfu::cluster
