#include "sfu/cluster/redis_connection.h"

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

#include <algorithm>

#include "base/logger.h"

// hiredis's own libuv adapter: plain C with file-local helpers, included once, here.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wunused-function"
#include <hiredis/adapters/libuv.h>
#pragma GCC diagnostic pop

namespace sfu::cluster {
namespace {

constexpr uint64_t kFirstRetryMs = 100;
constexpr uint64_t kMaxRetryMs = 2000;
// hiredis 0.14's libuv adapter drops a poll error, so a refused connection never reports back:
// an attempt not up within this long is abandoned and retried.
constexpr uint64_t kConnectTimeoutMs = 1000;

RedisConnection* owner_of(const redisAsyncContext* context) {
  return context ? static_cast<RedisConnection*>(context->data) : nullptr;
}

}  // namespace

RedisConnection::RedisConnection(uv_loop_t* loop, std::string host, uint16_t port, std::string name,
                                 Handlers handlers)
    : loop_(loop),
      host_(std::move(host)),
      port_(port),
      name_(std::move(name)),
      handlers_(std::move(handlers)) {
  retry_ = std::make_unique<UvTimer>(loop_, [this] { connect(); });
  connect_timeout_ = std::make_unique<UvTimer>(loop_, [this] { abandon_connect(); });
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
  if (redisLibuvAttach(context, loop_) != REDIS_OK) {
    context->data = nullptr;
    redisAsyncFree(context);
    return lost("cannot attach to the loop");
  }
  redisAsyncSetConnectCallback(context, &RedisConnection::on_connect);
  redisAsyncSetDisconnectCallback(context, &RedisConnection::on_disconnect);
  context_ = context;
  connect_timeout_->start(kConnectTimeoutMs);
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
  log_info("cluster", "redis connected", {{"connection", self->name_}});
  if (self->handlers_.on_up) self->handlers_.on_up();
}

void RedisConnection::on_disconnect(const redisAsyncContext* context, int status) {
  RedisConnection* self = owner_of(context);
  if (!self) return;
  self->context_ = nullptr;  // freed by hiredis after this callback
  self->lost(status == REDIS_OK ? "closed" : context->errstr);
}

void RedisConnection::lost(const char* why) {
  connect_timeout_->stop();
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
  return true;
}

void RedisConnection::on_reply(redisAsyncContext* context, void* reply, void* privdata) {
  std::unique_ptr<ReplyFn> callback(static_cast<ReplyFn*>(privdata));
  if (!owner_of(context) || !*callback) return;
  (*callback)(static_cast<const redisReply*>(reply));
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
