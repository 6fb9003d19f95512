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
  // Once the connection has ended (on_ws_close): true when it was lost rather than ended on
  // purpose, so the participant may come back with a resume (docs/protocol.md, "Session resume"):
  // the peer sent no close frame (a network drop, a killed process), or a close code other than
  // 1000 or 1001, or the server closed it for silence (idle timeout). False when the peer said
  // goodbye (1000, 1001) or the server closed it for any other reason.
  virtual bool lost() const { return false; }

 protected:
  ClientConnection() = default;
  ~ClientConnection() = default;  // not owned through this interface
};

}  // namespace sfu
