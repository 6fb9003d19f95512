#include "ice/ice_lite_agent.h"

#include <utility>

#include "ice/stun_binding.h"

namespace sfu::ice {

namespace {

IceLiteAgent::Outcome outcome_of_rejection(BindingRequestCheck check) {
  switch (check) {
    case BindingRequestCheck::BadRequest:
      return IceLiteAgent::Outcome::BadRequest400;
    case BindingRequestCheck::UnknownAttribute:
      return IceLiteAgent::Outcome::UnknownAttribute420;
    case BindingRequestCheck::Unauthorized:
    case BindingRequestCheck::Valid:
      break;
  }
  return IceLiteAgent::Outcome::Unauthorized401;
}

}  // namespace

IceLiteAgent::IceLiteAgent(std::string local_ufrag, std::string local_pwd, uint64_t consent_timeout_ms)
    : current_{std::move(local_ufrag), std::move(local_pwd), {}, {}},
      consent_timeout_ms_(consent_timeout_ms) {}

void IceLiteAgent::set_remote_credentials(std::string remote_ufrag, std::string remote_pwd) {
  current_.remote_ufrag = std::move(remote_ufrag);
  current_.remote_pwd = std::move(remote_pwd);
}

void IceLiteAgent::restart(std::string local_ufrag, std::string local_pwd) {
  // The generation in use before the first of several restarts in a row is the one the peer's
  // selected pair has; a pending one that never completed is simply replaced.
  if (!previous_) previous_ = std::move(current_);
  current_ = Credentials{std::move(local_ufrag), std::move(local_pwd), {}, {}};
}

IceLiteAgent::Credentials& IceLiteAgent::credentials_for(const StunMessage& request) {
  if (previous_) {
    auto receiver = local_ufrag_of_request(request);
    if (receiver && *receiver == previous_->local_ufrag) return *previous_;
  }
  return current_;
}

std::optional<std::string_view> IceLiteAgent::local_ufrag_of_request(const StunMessage& message) {
  if (!message.username) return std::nullopt;
  std::string_view receiver, sender;
  if (!split_ice_username(*message.username, receiver, sender)) return std::nullopt;
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
  Credentials& credentials = credentials_for(request);
  // The sender's ufrag is checked once known (from set_remote_credentials or the first valid check).
  const CheckedBindingRequest checked = check_binding_request(
      packet, request, credentials.local_ufrag, credentials.local_pwd,
      credentials.remote_ufrag.empty() ? std::nullopt
                                       : std::optional<std::string_view>(credentials.remote_ufrag));
  if (checked.result != BindingRequestCheck::Valid) {
    result.outcome = outcome_of_rejection(checked.result);
    result.response_length =
        build_binding_rejection(request, checked.result, credentials.local_pwd, response_out);
    return result;
  }
  const std::string_view sender_ufrag = checked.sender_ufrag;

  // Role conflict. A lite agent is always controlled and the full peer controlling (RFC 8445
  // §6.1.1), so a peer that also claims the controlled role is wrong. RFC 8445 §7.3.1.1 has a
  // controlled agent that receives ICE-CONTROLLED either switch to controlling (its tie-breaker is
  // >= the peer's) or answer 487 (it is smaller). A lite agent cannot take the controlling role,
  // so it acts as if its tie-breaker were the smallest possible and always answers 487; the full
  // peer then switches to controlling (RFC 8445 §7.2.5.1). ICE-CONTROLLING is the expected case.
  if (request.ice_controlled) {
    result.outcome = Outcome::RoleConflict487;
    result.response_length =
        build_binding_error(request, 487, "Role Conflict", true, credentials.local_pwd, response_out);
    return result;
  }

  // A valid check.
  if (credentials.remote_ufrag.empty() && !sender_ufrag.empty())
    credentials.remote_ufrag = std::string(sender_ufrag);
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
  result.response_length = build_binding_success(request, from, credentials.local_pwd, response_out);
  // The peer nominated a pair of the new generation: the restart is over (RFC 8445 §9), and the
  // previous credentials go (`credentials` is the current generation here, never the one freed).
  if (request.use_candidate && previous_ && &credentials == &current_) {
    previous_.reset();
    result.restart_completed = true;
  }
  return result;
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
