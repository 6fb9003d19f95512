#include "ice/ice_lite_agent.h"

#include <utility>

namespace sfu::ice {

namespace {

// Splits an ICE USERNAME "receiver-ufrag:sender-ufrag" (RFC 8445 §7.2.2) at the first ':'.
bool split_username(std::string_view username, std::string_view& receiver, std::string_view& sender) {
  const size_t colon = username.find(':');
  if (colon == std::string_view::npos) return false;
  receiver = username.substr(0, colon);
  sender = username.substr(colon + 1);
  return true;
}

}  // namespace

IceLiteAgent::IceLiteAgent(std::string local_ufrag, std::string local_pwd, uint64_t consent_timeout_ms)
    : local_ufrag_(std::move(local_ufrag)),
      local_pwd_(std::move(local_pwd)),
      consent_timeout_ms_(consent_timeout_ms) {}

void IceLiteAgent::set_remote_credentials(std::string remote_ufrag, std::string remote_pwd) {
  remote_ufrag_ = std::move(remote_ufrag);
  remote_pwd_ = std::move(remote_pwd);
}

std::optional<std::string_view> IceLiteAgent::local_ufrag_of_request(const StunMessage& message) {
  if (!message.username) return std::nullopt;
  std::string_view receiver, sender;
  if (!split_username(*message.username, receiver, sender)) return std::nullopt;
  return receiver;
}

IceLiteAgent::Result IceLiteAgent::handle_stun(ByteSpan packet, const SocketAddress& from, uint64_t now_ms,
                                               MutableByteSpan response_out) {
  Result result;
  if (state_ == State::Failed) {
    result.outcome = Outcome::AgentFailed;
    return result;
  }
  const StunParseResult parsed = parse_stun(packet);
  if (!parsed.ok()) {
    result.outcome = Outcome::MalformedStun;
    result.parse_error = parsed.error;
    return result;
  }
  const StunMessage& message = parsed.message;
  if (message.has_fingerprint() && !verify_fingerprint(packet, message)) {
    result.outcome = Outcome::BadFingerprint;
    return result;
  }
  switch (message.message_class) {
    case StunClass::Indication:
      result.outcome = Outcome::IgnoredIndication;
      return result;
    case StunClass::SuccessResponse:
    case StunClass::ErrorResponse:
      result.outcome = Outcome::IgnoredResponse;
      return result;
    case StunClass::Request:
      break;
  }
  // RFC 8489 would answer an unknown method with 400, but nothing but Binding is expected on a
  // media port, and staying silent to unauthenticated traffic gives reflection attacks nothing.
  if (message.method != kStunBindingMethod) {
    result.outcome = Outcome::NotBindingRequest;
    return result;
  }
  return handle_binding_request(packet, message, from, now_ms, response_out);
}

IceLiteAgent::Result IceLiteAgent::handle_binding_request(ByteSpan packet, const StunMessage& request,
                                                          const SocketAddress& from, uint64_t now_ms,
                                                          MutableByteSpan response_out) {
  Result result;
  auto reject = [&](Outcome outcome, int code, std::string_view reason, bool authenticated) {
    result.outcome = outcome;
    result.response_length = build_error(request, code, reason, authenticated, response_out);
    return result;
  };

  // Connectivity checks carry USERNAME, MESSAGE-INTEGRITY and FINGERPRINT (RFC 8445 §7.2.2); a
  // request lacking one is malformed for ICE (RFC 8489 §9.1.3: missing credentials -> 400).
  if (!request.username || !request.has_message_integrity() || !request.has_fingerprint())
    return reject(Outcome::BadRequest400, 400, "Bad Request", false);

  // Unknown username or wrong key -> 401, sent without MESSAGE-INTEGRITY since the request could
  // not be authenticated (RFC 8489 §9.1.3).
  std::string_view receiver_ufrag, sender_ufrag;
  if (!split_username(*request.username, receiver_ufrag, sender_ufrag) || receiver_ufrag != local_ufrag_)
    return reject(Outcome::Unauthorized401, 401, "Unauthorized", false);
  if (!verify_message_integrity(packet, request, local_pwd_))
    return reject(Outcome::Unauthorized401, 401, "Unauthorized", false);
  if (!remote_ufrag_.empty() && sender_ufrag != remote_ufrag_)
    return reject(Outcome::Unauthorized401, 401, "Unauthorized", false);

  // From here on the request is authenticated, so errors carry MESSAGE-INTEGRITY.
  if (request.has_unknown_required()) {
    result.outcome = Outcome::UnknownAttribute420;
    result.response_length = build_error(request, 420, "Unknown Attribute", true, response_out);
    return result;
  }

  // Role conflict. A lite agent is always controlled and the full peer controlling (RFC 8445
  // §6.1.1), so a peer that also claims the controlled role is wrong. RFC 8445 §7.3.1.1 has a
  // controlled agent that receives ICE-CONTROLLED either switch to controlling (its tie-breaker is
  // >= the peer's) or answer 487 (it is smaller). A lite agent cannot take the controlling role,
  // so it acts as if its tie-breaker were the smallest possible and always answers 487; the full
  // peer then switches to controlling (RFC 8445 §7.2.5.1). ICE-CONTROLLING is the expected case.
  if (request.ice_controlled) return reject(Outcome::RoleConflict487, 487, "Role Conflict", true);

  // A valid check.
  if (remote_ufrag_.empty() && !sender_ufrag.empty()) remote_ufrag_ = std::string(sender_ufrag);
  last_valid_check_ms_ = now_ms;
  if (!first_valid_) first_valid_ = from;
  if (state_ == State::New) state_ = State::Checking;
  result.outcome = Outcome::BindingSuccess;
  // The controlling peer nominates with USE-CANDIDATE (RFC 8445 §7.3.1.5). A later nomination from
  // another address (the peer's network changed, or it renominated) moves the selected path.
  if (request.use_candidate) {
    result.outcome = Outcome::Nominated;
    if (!selected_ || !(*selected_ == from)) {
      selected_ = from;
      result.selected_changed = true;
    }
    state_ = State::Connected;
  }
  result.response_length = build_success(request, from, response_out);
  return result;
}

size_t IceLiteAgent::build_success(const StunMessage& request, const SocketAddress& from,
                                   MutableByteSpan out) const {
  StunBuilder builder(out);
  builder.start(kStunBindingMethod, StunClass::SuccessResponse, request.transaction_id);
  builder.add_xor_mapped_address(from);
  builder.add_message_integrity(local_pwd_);
  builder.add_fingerprint();
  return builder.finish();
}

size_t IceLiteAgent::build_error(const StunMessage& request, int code, std::string_view reason,
                                 bool authenticated, MutableByteSpan out) const {
  StunBuilder builder(out);
  builder.start(kStunBindingMethod, StunClass::ErrorResponse, request.transaction_id);
  builder.add_error_code(code, reason);
  if (code == 420) builder.add_unknown_attributes(request.unknown_required_types());
  if (authenticated) builder.add_message_integrity(local_pwd_);
  builder.add_fingerprint();
  return builder.finish();
}

void IceLiteAgent::on_tick(uint64_t now_ms) {
  if (state_ != State::Failed && consent_expired(now_ms)) state_ = State::Failed;
}

bool IceLiteAgent::consent_expired(uint64_t now_ms) const {
  if (!last_valid_check_ms_) return false;
  return now_ms >= *last_valid_check_ms_ && now_ms - *last_valid_check_ms_ >= consent_timeout_ms_;
}

const char* to_string(IceLiteAgent::Outcome outcome) {
  using O = IceLiteAgent::Outcome;
  switch (outcome) {
    case O::BindingSuccess:
      return "binding_success";
    case O::Nominated:
      return "nominated";
    case O::BadRequest400:
      return "bad_request_400";
    case O::Unauthorized401:
      return "unauthorized_401";
    case O::UnknownAttribute420:
      return "unknown_attribute_420";
    case O::RoleConflict487:
      return "role_conflict_487";
    case O::MalformedStun:
      return "malformed_stun";
    case O::BadFingerprint:
      return "bad_fingerprint";
    case O::NotBindingRequest:
      return "not_binding_request";
    case O::IgnoredIndication:
      return "ignored_indication";
    case O::IgnoredResponse:
      return "ignored_response";
    case O::AgentFailed:
      return "agent_failed";
  }
  return "unknown";
}

const char* to_string(IceLiteAgent::State state) {
  switch (state) {
    case IceLiteAgent::State::New:
      return "new";
    case IceLiteAgent::State::Checking:
      return "checking";
    case IceLiteAgent::State::Connected:
      return "connected";
    case IceLiteAgent::State::Failed:
      return "failed";
  }
  return "unknown";
}

}  // namespace sfu::ice
