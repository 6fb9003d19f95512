// One asynchronous Redis connection (hiredis) on a libuv loop: never blocks the loop, reconnects by
// itself with backoff (100 ms doubling to 2 s) whenever the server goes away, and tells its owner when
// it is up and down. A connection is given up on, and made again, when an attempt is not up or a
// command is not answered within `timeout_ms` (cluster.redis_timeout_ms; a command, within up to
// half as long again: see check_replies): a server that stopped answering without closing the
// socket (stopped, or its host gone) is noticed, and no command waits on it for ever. TCP keepalive probes
// the idle pub/sub connection. Commands are argument vectors (hiredis formats the protocol); each command's
// callback runs exactly once, with nullptr when the connection dropped first. A connection in subscriber mode
// gets every published message through Handlers::on_message. Used from the loop's thread only.
#pragma once

#include <uv.h>

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "base/uv_timer.h"

struct redisAsyncContext;
struct redisReply;

namespace sfu::cluster {

class RedisConnection {
 public:
  using ReplyFn = std::function<void(const redisReply* reply)>;  // nullptr: no reply (dropped)
  struct Handlers {
    std::function<void()> on_up;    // connected (again)
    std::function<void()> on_down;  // lost, or a connect attempt failed
    std::function<void(const std::string& channel, const std::string& payload)> on_message;
  };

  RedisConnection(uv_loop_t* loop, std::string host, uint16_t port, std::string name, uint64_t timeout_ms,
                  Handlers handlers);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  void start();
  bool up() const { return up_; }
  // Queues a command; false (and `done` is not called) when the connection is down.
  bool command(const std::vector<std::string>& args, ReplyFn done);
  // SUBSCRIBE channel: messages arrive through Handlers::on_message.
  bool subscribe(const std::string& channel);
  uint64_t reconnects() const { return reconnects_; }

 private:
  static void on_connect(const redisAsyncContext* context, int status);
  static void on_disconnect(const redisAsyncContext* context, int status);
  static void on_reply(redisAsyncContext* context, void* reply, void* privdata);
  static void on_subscribed(redisAsyncContext* context, void* reply, void* privdata);
  // A command sent and not answered yet; replies come in the order commands were sent.
  struct Pending {
    ReplyFn* done;  // owned by hiredis's callback list until the reply (or the drop) comes
    uint64_t sent_ms;
  };

  void connect();
  void abandon_connect();
  void check_replies();
  void drop(const std::string& why);
  void lost(const char* why);

  uv_loop_t* loop_;
  std::string host_;
  uint16_t port_;
  std::string name_;  // for logs: "commands" or "subscriber"
  uint64_t timeout_ms_;
  Handlers handlers_;
  redisAsyncContext* context_ = nullptr;  // owned by hiredis once connecting; freed by it on loss
  bool up_ = false;
  uint64_t backoff_ms_ = 0;
  uint64_t reconnects_ = 0;
  std::unique_ptr<UvTimer> retry_;
  std::unique_ptr<UvTimer> connect_timeout_;
  std::unique_ptr<UvTimer> reply_check_;
  std::deque<Pending> pending_;
  // The oldest command found overdue at the last check: dropped only when still there at the next
  // (see check_replies).
  const ReplyFn* overdue_ = nullptr;
};

}  // namespace sfu::cluster
