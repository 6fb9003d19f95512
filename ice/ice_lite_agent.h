// The server side of ICE (RFC 8445 lite implementation): answers connectivity checks with
// short-term credentials, follows the peer's nomination (USE-CANDIDATE), and tracks consent
// freshness (RFC 7675) from the peer's checks. A lite agent never sends checks of its own and is
// always in the controlled role. No event loop: the owner passes packets and the clock in.
//
// ICE restart (RFC 8445 §9): restart() gives the agent new local credentials (and forgets the
// remote ones until set or learned). Until the peer nominates a pair with the new credentials
// (a valid check with USE-CANDIDATE), checks with the previous ones are still answered: the peer
// keeps its old pair alive, and media keeps flowing on the selected address, while the new pairs
// are checked. That nomination completes the restart: the previous credentials are refused from
// then on (401). Consent freshness counts valid checks of either generation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/bytes.h"
#include "base/socket_address.h"
#include "ice/stun_message.h"

namespace sfu::ice {

class IceLiteAgent {
 public:
  static constexpr uint64_t kDefaultConsentTimeoutMs = 30'000;  // RFC 7675 §5.1
  // Every response this agent writes fits in this many bytes.
  static constexpr size_t kMaxResponseSize = 128;

  enum class State : uint8_t {
    New,        // no valid check yet
    Checking,   // valid checks seen, nothing nominated
    Connected,  // a nominated address is selected
    Failed,     // consent expired; terminal (the peer must restart ICE)
  };

  // What happened to one packet, for counters. Only BindingSuccess and Nominated are valid checks.
  enum class Outcome : uint8_t {
    BindingSuccess,       // valid check answered with a success response
    Nominated,            // valid check carrying USE-CANDIDATE, answered with a success response
    BadRequest400,        // USERNAME, MESSAGE-INTEGRITY or FINGERPRINT missing
    Unauthorized401,      // wrong ufrag, or MESSAGE-INTEGRITY does not verify with our password
    UnknownAttribute420,  // authenticated, but carries comprehension-required attributes we lack
    RoleConflict487,      // the peer claims the controlled role too
    MalformedStun,        // parse_stun failed; see Result::parse_error; dropped
    BadFingerprint,       // FINGERPRINT present and wrong; dropped silently (RFC 8489 §7.3)
    NotBindingRequest,    // a request of another method; dropped
    IgnoredIndication,    // e.g. a Binding indication keepalive; no answer, no consent
    IgnoredResponse,      // a lite agent sends no requests, so responses are stray
    AgentFailed,          // consent already expired; the agent answers nothing any more
  };

  struct Result {
    size_t response_length = 0;  // bytes written to response_out; 0 = send nothing
    Outcome outcome = Outcome::MalformedStun;
    StunParseError parse_error = StunParseError::None;
    bool selected_changed = false;  // the selected (nominated) address changed with this packet
    // This packet completed a restart: the previous local credentials are refused from now on.
    bool restart_completed = false;
  };

  IceLiteAgent(std::string local_ufrag, std::string local_pwd,
               uint64_t consent_timeout_ms = kDefaultConsentTimeoutMs);

  // Optional: checks are accepted before the remote ufrag is known, and the remote part of the
  // first authenticated USERNAME is then remembered. Once known (set or learned), checks must
  // carry it. The remote password is kept for completeness; a lite agent never uses it.
  // During a restart they are the new generation's (the peer's new ufrag and pwd).
  void set_remote_credentials(std::string remote_ufrag, std::string remote_pwd);
  // Starts an ICE restart with new local credentials; the remote ones are unknown again until
  // set_remote_credentials() or the first valid check with the new ones. The selected address and
  // consent are kept. A restart while one is pending replaces the pending generation (its
  // credentials are refused from then on); the ones in use before the first stay accepted.
  void restart(std::string local_ufrag, std::string local_pwd);
  // A restart is pending: the previous local credentials are still accepted.
  bool restart_pending() const { return previous_.has_value(); }
  void set_consent_timeout_ms(uint64_t timeout_ms) { consent_timeout_ms_ = timeout_ms; }

  // Handles one STUN packet from `from`. The response, if any, goes to `from` and is written into
  // `response_out` (kMaxResponseSize bytes always suffice). A response length of 0 with a success outcome
  // means the buffer was too small; the check still counted.
  Result handle_stun(ByteSpan packet, const SocketAddress& from, uint64_t now_ms,
                     MutableByteSpan response_out);

  // Moves the agent to Failed once consent has expired.
  void on_tick(uint64_t now_ms);

  // True when checks were seen once but none within the consent timeout. Before the first valid
  // check this is false: the owner applies its own connection-setup timeout.
  bool consent_expired(uint64_t now_ms) const;

  State state() const { return state_; }
  // The nominated address, or nullopt before any nomination.
  std::optional<SocketAddress> selected_address() const { return selected_; }
  // The first address from which a valid check arrived (the default path before nomination).
  std::optional<SocketAddress> first_valid_address() const { return first_valid_; }
  std::optional<uint64_t> last_valid_check_ms() const { return last_valid_check_ms_; }

  // The newest credentials (those of the pending restart, if one is).
  const std::string& local_ufrag() const { return current_.local_ufrag; }
  const std::string& local_pwd() const { return current_.local_pwd; }
  // Set by set_remote_credentials or learned from the first authenticated check; empty if neither.
  const std::string& remote_ufrag() const { return current_.remote_ufrag; }
  const std::string& remote_pwd() const { return current_.remote_pwd; }

  // For demultiplexing a new address by ufrag: the part of USERNAME before ':' (the receiver's
  // ufrag, RFC 8445 §7.2.2). nullopt without USERNAME or without ':'.
  static std::optional<std::string_view> local_ufrag_of_request(const StunMessage& message);

 private:
  // One generation of credentials: a restart starts a new one.
  struct Credentials {
    std::string local_ufrag;
    std::string local_pwd;
    std::string remote_ufrag;  // empty until set or learned
    std::string remote_pwd;
  };

  Result handle_binding_request(ByteSpan packet, const StunMessage& request, const SocketAddress& from,
                                uint64_t now_ms, MutableByteSpan response_out);
  // The generation a request is addressed to (by the receiver part of its USERNAME); the newest
  // when none matches, so that the check fails against it.
  Credentials& credentials_for(const StunMessage& request);

  Credentials current_;
  std::optional<Credentials> previous_;  // while a restart is pending
  uint64_t consent_timeout_ms_;

  State state_ = State::New;
  std::optional<SocketAddress> selected_;
  std::optional<SocketAddress> first_valid_;
  std::optional<uint64_t> last_valid_check_ms_;
};

const char* to_string(IceLiteAgent::Outcome outcome);
const char* to_string(IceLiteAgent::State state);

}  // namespace sfu::ice
