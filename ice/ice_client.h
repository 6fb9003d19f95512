// The checking side of ICE for one candidate pair, used by the project's test clients and load
// generator: sends Binding requests with short-term credentials (by default in the controlling
// role), matches the responses, answers the peer's own checks (a full-ICE server such as Janus
// checks us back), and repairs role conflicts (RFC 8445 §7.2.5.1, §7.3.1.1). No event loop: the
// owner passes packets and the clock in and sends what is built.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "base/bytes.h"
#include "base/socket_address.h"
#include "ice/stun_message.h"

namespace sfu::ice {

class IceClient {
 public:
  // Priority of a peer-reflexive candidate for component 1 (RFC 8445 §5.1.2.1): type preference
  // 110, local preference 65535.
  static constexpr uint32_t kDefaultPriority = (110u << 24) | (65535u << 8) | (256u - 1u);
  static constexpr uint64_t kDefaultCheckIntervalMs = 50;  // until the first success
  // Chromium's interval on a stable connection; RFC 7675 §5.1 asks for at most 4-6 s, and checking
  // more often keeps a server with a short consent timeout from dropping us between two checks.
  static constexpr uint64_t kDefaultConsentIntervalMs = 2'500;
  static constexpr uint64_t kDefaultConsentTimeoutMs = 30'000;  // RFC 7675 §5.1
  static constexpr size_t kMaxOutstanding = 8;                  // transactions remembered

  enum class Outcome : uint8_t {
    Connected,           // first success response: the pair works
    ConsentRefreshed,    // a later success response
    ErrorResponse,       // an error response to one of our checks; see last_error_code()
    RoleSwitched,        // a 487 made us switch roles; the next check carries the new role
    AnsweredRequest,     // the peer's check was valid and answered with a success response
    RejectedRequest,     // the peer's check was answered with an error (400, 401 or 487)
    UnknownTransaction,  // a response to nothing we sent (or sent too long ago)
    BadIntegrity,        // a response whose MESSAGE-INTEGRITY does not verify; dropped
    BadFingerprint,      // FINGERPRINT present and wrong; dropped
    MalformedStun,       // parse_stun failed; dropped
    Ignored,             // indications and other methods
  };

  IceClient(std::string local_ufrag, std::string local_pwd, std::string remote_ufrag, std::string remote_pwd,
            uint64_t tie_breaker, bool controlling = true);

  // Builds a Binding request: USERNAME "remote:local", PRIORITY, ICE-CONTROLLING or
  // ICE-CONTROLLED, USE-CANDIDATE when asked (controlling role only), MESSAGE-INTEGRITY with the
  // remote password, FINGERPRINT, and a fresh random transaction id that is remembered. Returns the
  // length, 0 if `out` is too small (kMaxMessageSize suffices for ufrags of up to 256 characters,
  // the limit of RFC 8839 §5.4).
  static constexpr size_t kMaxMessageSize = 600;
  size_t build_check(uint64_t now_ms, bool use_candidate, MutableByteSpan out);

  // Handles one STUN packet from `from`. When the peer's request needs an answer, it is written to
  // `response_out` and its length to `response_len` (0 when nothing is to be sent).
  Outcome handle_stun(ByteSpan packet, const SocketAddress& from, uint64_t now_ms,
                      MutableByteSpan response_out, size_t& response_len);

  // Whether a check is due: immediately at first, then every check interval until a success
  // response arrives, then every consent interval.
  bool needs_check(uint64_t now_ms) const;

  bool connected() const { return connected_; }
  // True when connected once but no success response arrived within the consent timeout.
  bool consent_expired(uint64_t now_ms) const;
  bool controlling() const { return controlling_; }
  uint64_t tie_breaker() const { return tie_breaker_; }
  // Our address as the peer saw it (XOR-MAPPED-ADDRESS of the last success response).
  std::optional<SocketAddress> mapped_address() const { return mapped_address_; }
  // The address the last success response came from.
  std::optional<SocketAddress> peer_address() const { return peer_address_; }
  std::optional<int> last_error_code() const { return last_error_code_; }
  // Whether the peer's last valid check carried USE-CANDIDATE (we are controlled and nominated).
  bool nominated_by_peer() const { return nominated_by_peer_; }

  void set_priority(uint32_t priority) { priority_ = priority; }
  void set_intervals(uint64_t check_interval_ms, uint64_t consent_interval_ms, uint64_t consent_timeout_ms);

 private:
  struct Transaction {
    StunTransactionId id{};
    uint64_t sent_ms = 0;
    bool controlling = true;  // the role claimed in the request, for 487 handling
    bool in_use = false;
  };

  Transaction* find_transaction(const StunTransactionId& id);
  Outcome handle_response(ByteSpan packet, const StunMessage& message, const SocketAddress& from,
                          uint64_t now_ms);
  Outcome handle_request(ByteSpan packet, const StunMessage& message, const SocketAddress& from,
                         MutableByteSpan response_out, size_t& response_len);

  std::string local_ufrag_;
  std::string local_pwd_;
  std::string remote_ufrag_;
  std::string remote_pwd_;
  std::string username_;  // "remote:local", as sent in our checks
  uint64_t tie_breaker_;
  bool controlling_;
  uint32_t priority_ = kDefaultPriority;
  uint64_t check_interval_ms_ = kDefaultCheckIntervalMs;
  uint64_t consent_interval_ms_ = kDefaultConsentIntervalMs;
  uint64_t consent_timeout_ms_ = kDefaultConsentTimeoutMs;

  std::array<Transaction, kMaxOutstanding> outstanding_{};
  size_t next_slot_ = 0;
  std::optional<uint64_t> last_check_ms_;
  std::optional<uint64_t> last_success_ms_;
  bool connected_ = false;
  bool nominated_by_peer_ = false;
  std::optional<SocketAddress> mapped_address_;
  std::optional<SocketAddress> peer_address_;
  std::optional<int> last_error_code_;
};

const char* to_string(IceClient::Outcome outcome);

}  // namespace sfu::ice
