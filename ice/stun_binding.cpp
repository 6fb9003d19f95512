#include "ice/stun_binding.h"

namespace sfu::ice {

bool split_ice_username(std::string_view username, std::string_view& receiver, std::string_view& sender) {
  const size_t colon = username.find(':');
  if (colon == std::string_view::npos) return false;
  receiver = username.substr(0, colon);
  sender = username.substr(colon + 1);
  return true;
}

CheckedBindingRequest check_binding_request(ByteSpan packet, const StunMessage& request,
                                            std::string_view local_ufrag, std::string_view local_pwd,
                                            std::optional<std::string_view> expected_sender_ufrag) {
  CheckedBindingRequest checked;
  // Connectivity checks carry USERNAME, MESSAGE-INTEGRITY and FINGERPRINT (RFC 8445 §7.2.2); a
  // request lacking one is malformed for ICE (RFC 8489 §9.1.3: missing credentials -> 400).
  if (!request.username || !request.has_message_integrity() || !request.has_fingerprint()) {
    checked.result = BindingRequestCheck::BadRequest;
    return checked;
  }
  // Unknown username or wrong key -> 401 (RFC 8489 §9.1.3).
  std::string_view receiver_ufrag;
  checked.result = BindingRequestCheck::Unauthorized;
  if (!split_ice_username(*request.username, receiver_ufrag, checked.sender_ufrag) ||
      receiver_ufrag != local_ufrag)
    return checked;
  if (expected_sender_ufrag && checked.sender_ufrag != *expected_sender_ufrag) return checked;
  if (!verify_message_integrity(packet, request, local_pwd)) return checked;
  checked.result =
      request.has_unknown_required() ? BindingRequestCheck::UnknownAttribute : BindingRequestCheck::Valid;
  return checked;
}

size_t build_binding_success(const StunMessage& request, const SocketAddress& from,
                             std::string_view local_pwd, MutableByteSpan out) {
  StunBuilder builder(out);
  builder.start(kStunBindingMethod, StunClass::SuccessResponse, request.transaction_id);
  builder.add_xor_mapped_address(from);
  builder.add_message_integrity(local_pwd);
  builder.add_fingerprint();
  return builder.finish();
}

size_t build_binding_error(const StunMessage& request, int code, std::string_view reason, bool authenticated,
                           std::string_view local_pwd, MutableByteSpan out) {
  StunBuilder builder(out);
  builder.start(kStunBindingMethod, StunClass::ErrorResponse, request.transaction_id);
  builder.add_error_code(code, reason);
  if (code == 420) builder.add_unknown_attributes(request.unknown_required_types());
  if (authenticated) builder.add_message_integrity(local_pwd);
  builder.add_fingerprint();
  return builder.finish();
}

size_t build_binding_rejection(const StunMessage& request, BindingRequestCheck check,
                               std::string_view local_pwd, MutableByteSpan out) {
  switch (check) {
    case BindingRequestCheck::Valid:
      break;
    case BindingRequestCheck::BadRequest:
      return build_binding_error(request, 400, "Bad Request", false, local_pwd, out);
    case BindingRequestCheck::Unauthorized:
      // The request could not be authenticated, so the answer carries no MESSAGE-INTEGRITY.
      return build_binding_error(request, 401, "Unauthorized", false, local_pwd, out);
    case BindingRequestCheck::UnknownAttribute:
      // From here on the request is authenticated, so errors carry MESSAGE-INTEGRITY.
      return build_binding_error(request, 420, "Unknown Attribute", true, local_pwd, out);
  }
  return 0;
}

}  // namespace sfu::ice
