#include "ice/ice_client.h"

#include <openssl/rand.h>

#include <utility>

#include "ice/stun_binding.h"

namespace sfu::ice {

IceClient::IceClient(std::string local_ufrag, std::string local_pwd, std::string remote_ufrag,
                     std::string remote_pwd, uint64_t tie_breaker, bool controlling)
    : local_ufrag_(std::move(local_ufrag)),
      local_pwd_(std::move(local_pwd)),
      remote_ufrag_(std::move(remote_ufrag)),
      remote_pwd_(std::move(remote_pwd)),
      username_(remote_ufrag_ + ":" + local_ufrag_),
      tie_breaker_(tie_breaker),
      controlling_(controlling) {}

void IceClient::set_intervals(uint64_t check_interval_ms, uint64_t consent_interval_ms,
                              uint64_t consent_timeout_ms) {
  check_interval_ms_ = check_interval_ms;
  consent_interval_ms_ = consent_interval_ms;
  consent_timeout_ms_ = consent_timeout_ms;
}

size_t IceClient::build_check(uint64_t now_ms, bool use_candidate, MutableByteSpan out) {
  StunTransactionId id;
  if (RAND_bytes(id.data(), static_cast<int>(id.size())) != 1) return 0;
  StunBuilder builder(out);
  builder.start(kStunBindingMethod, StunClass::Request, id);
  builder.add_username(username_);
  builder.add_priority(priority_);
  if (controlling_) {
    builder.add_ice_controlling(tie_breaker_);
    // Only the controlling agent nominates (RFC 8445 §7.2.2).
    if (use_candidate) builder.add_use_candidate();
  } else {
    builder.add_ice_controlled(tie_breaker_);
  }
  builder.add_message_integrity(remote_pwd_);
  builder.add_fingerprint();
  const size_t length = builder.finish();
  if (length == 0) return 0;

  // Each check gets its own transaction instead of STUN retransmissions; a response to any of the
  // last few still counts, so a slow answer is not lost when the next check has gone out.
  outstanding_[next_slot_] = Transaction{id, now_ms, controlling_, true};
  next_slot_ = (next_slot_ + 1) % outstanding_.size();
  last_check_ms_ = now_ms;
  return length;
}

bool IceClient::needs_check(uint64_t now_ms) const {
  if (!last_check_ms_) return true;
  if (now_ms < *last_check_ms_) return false;
  return now_ms - *last_check_ms_ >= (connected_ ? consent_interval_ms_ : check_interval_ms_);
}

bool IceClient::consent_expired(uint64_t now_ms) const {
  if (!connected_ || !last_success_ms_) return false;
  return now_ms >= *last_success_ms_ && now_ms - *last_success_ms_ >= consent_timeout_ms_;
}

IceClient::Transaction* IceClient::find_transaction(const StunTransactionId& id) {
  for (Transaction& t : outstanding_) {
    if (t.in_use && t.id == id) return &t;
  }
  return nullptr;
}

IceClient::Outcome IceClient::handle_stun(ByteSpan packet, const SocketAddress& from, uint64_t now_ms,
                                          MutableByteSpan response_out, size_t& response_len) {
  response_len = 0;
  const StunParseResult parsed = parse_stun(packet);
  if (!parsed.ok()) return Outcome::MalformedStun;
  const StunMessage& message = parsed.message;
  if (message.has_fingerprint() && !verify_fingerprint(packet, message)) return Outcome::BadFingerprint;
  if (message.method != kStunBindingMethod) return Outcome::Ignored;
  switch (message.message_class) {
    case StunClass::Request:
      return handle_request(packet, message, from, response_out, response_len);
    case StunClass::SuccessResponse:
    case StunClass::ErrorResponse:
      return handle_response(packet, message, from, now_ms);
    case StunClass::Indication:
      break;
  }
  return Outcome::Ignored;
}

IceClient::Outcome IceClient::handle_response(ByteSpan packet, const StunMessage& message,
                                              const SocketAddress& from, uint64_t now_ms) {
  Transaction* transaction = find_transaction(message.transaction_id);
  if (transaction == nullptr) return Outcome::UnknownTransaction;
  // Success responses are authenticated with the remote password (RFC 8489 §9.1.4). Error
  // responses to unauthenticated requests (400, 401) come without MESSAGE-INTEGRITY; when it is
  // present it must verify.
  if (message.has_message_integrity()) {
    if (!verify_message_integrity(packet, message, remote_pwd_)) return Outcome::BadIntegrity;
  } else if (message.message_class == StunClass::SuccessResponse) {
    return Outcome::BadIntegrity;
  }
  const bool request_was_controlling = transaction->controlling;
  transaction->in_use = false;

  if (message.message_class == StunClass::ErrorResponse) {
    last_error_code_ = message.error_code ? message.error_code->code : 0;
    // RFC 8445 §7.2.5.1: after a 487, take the role opposite to the one the request claimed, unless
    // that switch has already happened. The tie-breaker is kept.
    if (*last_error_code_ == 487 && request_was_controlling == controlling_) {
      controlling_ = !request_was_controlling;
      return Outcome::RoleSwitched;
    }
    return Outcome::ErrorResponse;
  }

  if (message.xor_mapped_address) mapped_address_ = message.xor_mapped_address;
  peer_address_ = from;
  last_success_ms_ = now_ms;
  last_error_code_.reset();
  if (connected_) return Outcome::ConsentRefreshed;
  connected_ = true;
  return Outcome::Connected;
}

IceClient::Outcome IceClient::handle_request(ByteSpan packet, const StunMessage& request,
                                             const SocketAddress& from, MutableByteSpan response_out,
                                             size_t& response_len) {
  // Same rules as the server side: credentials required (400), our ufrag, the peer's ufrag and
  // our password (401), no unknown required attributes (420).
  const CheckedBindingRequest checked =
      check_binding_request(packet, request, local_ufrag_, local_pwd_, remote_ufrag_);
  if (checked.result != BindingRequestCheck::Valid) {
    response_len = build_binding_rejection(request, checked.result, local_pwd_, response_out);
    return Outcome::RejectedRequest;
  }
  auto reject_role_conflict = [&] {
    response_len = build_binding_error(request, 487, "Role Conflict", true, local_pwd_, response_out);
    return Outcome::RejectedRequest;
  };

  // RFC 8445 §7.3.1.1: both sides claim the same role. The larger tie-breaker keeps (or takes)
  // the controlling role; the side that keeps its role answers 487, the other switches silently.
  if (controlling_ && request.ice_controlling) {
    if (tie_breaker_ >= *request.ice_controlling) return reject_role_conflict();
    controlling_ = false;
  } else if (!controlling_ && request.ice_controlled) {
    if (tie_breaker_ < *request.ice_controlled) return reject_role_conflict();
    controlling_ = true;
  }
  if (request.use_candidate && !controlling_) nominated_by_peer_ = true;

  response_len = build_binding_success(request, from, local_pwd_, response_out);
  return Outcome::AnsweredRequest;
}

const char* to_string(IceClient::Outcome outcome) {
  using O = IceClient::Outcome;
  switch (outcome) {
    case O::Connected:
      return "connected";
    case O::ConsentRefreshed:
      return "consent_refreshed";
    case O::ErrorResponse:
      return "error_response";
    case O::RoleSwitched:
      return "role_switched";
    case O::AnsweredRequest:
      return "answered_request";
    case O::RejectedRequest:
      return "rejected_request";
    case O::UnknownTransaction:
      return "unknown_transaction";
    case O::BadIntegrity:
      return "bad_integrity";
    case O::BadFingerprint:
      return "bad_fingerprint";
    case O::MalformedStun:
      return "malformed_stun";
    case O::Ignored:
      return "ignored";
  }
  return "unknown";
}

}  // namespace sfu::ice
