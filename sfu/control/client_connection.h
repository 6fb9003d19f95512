// One signaling client as the control plane sees it: an id, a way to send it a text message and a
// way to end the conversation. HttpServer's WebSocketSession is the one the server runs on; the
// control plane's signaling depends only on this, so unit tests and the fuzz targets drive the real
// handler with their own connection instead of a socket.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sfu {

class ClientConnection {
 public:
  ClientConnection(const ClientConnection&) = delete;
  ClientConnection& operator=(const ClientConnection&) = delete;

  // Unique among the open connections of one server, never reused.
  virtual uint64_t id() const = 0;
  virtual const std::string& remote_address() const = 0;  // "ip:port"
  // True once close() was called or the peer went away: nothing sent is delivered any more.
  virtual bool closing() const = 0;
  // Queues one text message; false (and dropped) when closing.
  virtual bool send_text(std::string_view message) = 0;
  // Sends what is queued, then ends the connection with this close code and reason.
  virtual void close(uint16_t code, std::string reason) = 0;

 protected:
  ClientConnection() = default;
  ~ClientConnection() = default;  // not owned through this interface
};

}  // namespace sfu
