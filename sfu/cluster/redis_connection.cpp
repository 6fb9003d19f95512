#include "sfu/cluster/redis_connection.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <algorithm>

#include "base/logger.h"
#include "sfu/cluster/redis_uv_adapter.h"

namespace sfu::cluster {
namespace {

constexpr uint64_t kFirstRetryMs = 100;
constexpr uint64_t kMaxRetryMs = 2000;

RedisConnection* owner_of(const redisAsyncContext* context) {
  return context ? static_cast<RedisConnection*>(context->data) : nullptr;
}

}  // namespace

RedisConnection::RedisConnection(uv_loop_t* loop, std::string host, uint16_t port, std::string name,
                                 uint64_t timeout_ms, Handlers handlers)
    : loop_(loop),
      host_(std::move(host)),
      port_(port),
      name_(std::move(name)),
      timeout_ms_(std::max<uint64_t>(timeout_ms, 1)),
      handlers_(std::move(handlers)) {
  retry_ = std::make_unique<UvTimer>(loop_, [this] { connect(); });
  connect_timeout_ = std::make_unique<UvTimer>(loop_, [this] { abandon_connect(); });
  reply_check_ = std::make_unique<UvTimer>(loop_, [this] { check_replies(); });
}

void RedisConnection::abandon_connect() {
  if (!context_ || up_) return;
  context_->data = nullptr;
  redisAsyncFree(context_);
  context_ = nullptr;
  lost("connect timed out");
}

RedisConnection::~RedisConnection() {
  if (!context_) return;
  // hiredis calls every pending callback (with no reply) and the disconnect callback while it
  // frees the context: they must find no owner.
  context_->data = nullptr;
  redisAsyncFree(context_);
  context_ = nullptr;
}

void RedisConnection::start() { connect(); }

void RedisConnection::connect() {
  redisAsyncContext* context = redisAsyncConnect(host_.c_str(), port_);
  if (!context) return lost("out of memory");
  if (context->err) {
    std::string why = context->errstr;
    redisAsyncFree(context);
    return lost(why.c_str());
  }
  context->data = this;
  if (!attach_to_loop(context, loop_)) {
    context->data = nullptr;
    redisAsyncFree(context);
    return lost("cannot attach to the loop");
  }
  redisAsyncSetConnectCallback(context, &RedisConnection::on_connect);
  redisAsyncSetDisconnectCallback(context, &RedisConnection::on_disconnect);
  context_ = context;
  connect_timeout_->start(timeout_ms_);
}

void RedisConnection::on_connect(const redisAsyncContext* context, int status) {
  RedisConnection* self = owner_of(context);
  if (!self) return;
  if (status != REDIS_OK) {
    // hiredis frees the context after this callback.
    self->context_ = nullptr;
    return self->lost(context->errstr);
  }
  self->connect_timeout_->stop();
  self->up_ = true;
  self->backoff_ms_ = 0;
  // The pub/sub connection sends nothing for long stretches: the kernel's probes find a dead peer.
  if (self->context_) redisEnableKeepAlive(&self->context_->c);
  uint64_t check_every = std::max<uint64_t>(self->timeout_ms_ / 4, 1);
  self->reply_check_->start(check_every, check_every);
  log_info("cluster", "redis connected", {{"connection", self->name_}});
  if (self->handlers_.on_up) self->handlers_.on_up();
}

void RedisConnection::on_disconnect(const redisAsyncContext* context, int status) {
  RedisConnection* self = owner_of(context);
  if (!self) return;
  self->context_ = nullptr;  // freed by hiredis after this callback
  self->lost(status == REDIS_OK ? "closed" : context->errstr);
}

// Replies come in order, so the oldest command waiting tells whether the server still answers. It
// must be overdue at two checks in a row: libuv runs timers before it polls, so after the loop
// itself was held up (a slow turn, a sanitizer build) a reply already in the socket is read only
// after this check; one check later it has been.
void RedisConnection::check_replies() {
  if (!up_ || !context_ || pending_.empty() || uv_now(loop_) - pending_.front().sent_ms < timeout_ms_) {
    overdue_ = nullptr;
    return;
  }
  if (overdue_ != pending_.front().done) {
    overdue_ = pending_.front().done;
    return;
  }
  overdue_ = nullptr;
  drop("no reply in " + std::to_string(timeout_ms_) + " ms");
}

// Gives the connection up from this side: the commands waiting on it are answered with no reply once
// it is gone (so a callback that sends again finds it down), and a new one is made after the backoff.
void RedisConnection::drop(const std::string& why) {
  std::vector<ReplyFn> unanswered;
  for (Pending& waiting : pending_) {
    unanswered.push_back(std::move(*waiting.done));
    *waiting.done = nullptr;  // hiredis deletes the emptied callback while it frees the context
  }
  pending_.clear();
  context_->data = nullptr;
  redisAsyncFree(context_);
  context_ = nullptr;
  lost(why.c_str());
  for (ReplyFn& done : unanswered)
    if (done) done(nullptr);
}

void RedisConnection::lost(const char* why) {
  connect_timeout_->stop();
  reply_check_->stop();
  overdue_ = nullptr;
  bool was_up = up_;
  up_ = false;
  backoff_ms_ = backoff_ms_ == 0 ? kFirstRetryMs : std::min(backoff_ms_ * 2, kMaxRetryMs);
  ++reconnects_;
  if (was_up)
    log_warn("cluster", "redis connection lost", {{"connection", name_}, {"error", why ? why : ""}});
  retry_->start(backoff_ms_);
  if (handlers_.on_down) handlers_.on_down();
}

bool RedisConnection::command(const std::vector<std::string>& args, ReplyFn done) {
  if (!up_ || !context_) return false;
  std::vector<const char*> argv;
  std::vector<size_t> lengths;
  for (const std::string& arg : args) {
    argv.push_back(arg.data());
    lengths.push_back(arg.size());
  }
  auto* callback = new ReplyFn(std::move(done));
  if (redisAsyncCommandArgv(context_, &RedisConnection::on_reply, callback, static_cast<int>(argv.size()),
                            argv.data(), lengths.data()) != REDIS_OK) {
    delete callback;
    return false;
  }
  pending_.push_back({callback, uv_now(loop_)});
  return true;
}

void RedisConnection::on_reply(redisAsyncContext* context, void* reply, void* privdata) {
  std::unique_ptr<ReplyFn> callback(static_cast<ReplyFn*>(privdata));
  RedisConnection* self = owner_of(context);
  if (!self) return;
  auto waiting = std::find_if(self->pending_.begin(), self->pending_.end(),
                              [&](const Pending& p) { return p.done == callback.get(); });
  if (waiting != self->pending_.end()) self->pending_.erase(waiting);
  if (*callback) (*callback)(static_cast<const redisReply*>(reply));
}

bool RedisConnection::subscribe(const std::string& channel) {
  if (!up_ || !context_) return false;
  const char* argv[] = {"SUBSCRIBE", channel.data()};
  const size_t lengths[] = {9, channel.size()};
  return redisAsyncCommandArgv(context_, &RedisConnection::on_subscribed, nullptr, 2, argv, lengths) ==
         REDIS_OK;
}

// Called for the subscription's confirmation and then for every message: ["message", channel, payload].
void RedisConnection::on_subscribed(redisAsyncContext* context, void* reply, void* /*privdata*/) {
  RedisConnection* self = owner_of(context);
  const auto* r = static_cast<const redisReply*>(reply);
  if (!self || !r || r->type != REDIS_REPLY_ARRAY || r->elements != 3) return;
  const redisReply* kind = r->element[0];
  if (kind->type != REDIS_REPLY_STRING || std::string(kind->str, kind->len) != "message") return;
  const redisReply* channel = r->element[1];
  const redisReply* payload = r->element[2];
  if (channel->type != REDIS_REPLY_STRING || payload->type != REDIS_REPLY_STRING) return;
  if (self->handlers_.on_message)
    self->handlers_.on_message(std::string(channel->str, channel->len),
                               std::string(payload->str, payload->len));
}

}  // namespace sfu::cluster
