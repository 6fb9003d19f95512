// The answering side of an ICE connectivity check, a STUN Binding request with short-term
// credentials (RFC 8445 §7.2.2, §7.3; RFC 8489 §9.1.3): checking its credentials and writing the
// success or error response. Shared by IceLiteAgent (the server) and IceClient (which answers the
// server's checks too), so both apply the same rules.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string_view>

#include "base/bytes.h"
#include "base/socket_address.h"
#include "ice/stun_message.h"

namespace sfu::ice {

// Splits an ICE USERNAME "receiver-ufrag:sender-ufrag" (RFC 8445 §7.2.2) at the first ':'.
bool split_ice_username(std::string_view username, std::string_view& receiver, std::string_view& sender);

enum class BindingRequestCheck : uint8_t {
  Valid,
  BadRequest,        // USERNAME, MESSAGE-INTEGRITY or FINGERPRINT missing: answer 400
  Unauthorized,      // not our ufrag, not the expected sender, or a wrong password: answer 401
  UnknownAttribute,  // authenticated, but with comprehension-required attributes unknown here: 420
};

struct CheckedBindingRequest {
  BindingRequestCheck result = BindingRequestCheck::BadRequest;
  std::string_view sender_ufrag;  // the part of USERNAME after ':' (a view into the request)
};

// Checks a Binding request addressed to `local_ufrag` and keyed with `local_pwd`. The sender's
// ufrag must equal `expected_sender_ufrag`, unless that is nullopt (not known yet: any sender).
// `packet` must be the buffer `request` was parsed from.
CheckedBindingRequest check_binding_request(ByteSpan packet, const StunMessage& request,
                                            std::string_view local_ufrag, std::string_view local_pwd,
                                            std::optional<std::string_view> expected_sender_ufrag);

// Success response: XOR-MAPPED-ADDRESS of `from`, MESSAGE-INTEGRITY keyed with `local_pwd`,
// FINGERPRINT. Returns its length, 0 when `out` is too small.
size_t build_binding_success(const StunMessage& request, const SocketAddress& from,
                             std::string_view local_pwd, MutableByteSpan out);

// Error response. Only a request that authenticated gets MESSAGE-INTEGRITY (`authenticated`,
// keyed with `local_pwd`); 420 lists the unknown attributes. Returns its length, 0 when `out` is too
// small.
size_t build_binding_error(const StunMessage& request, int code, std::string_view reason, bool authenticated,
                           std::string_view local_pwd, MutableByteSpan out);

// The error response a failed check calls for: 400 and 401 unauthenticated, 420 authenticated.
// Nothing (0) for a valid request.
size_t build_binding_rejection(const StunMessage& request, BindingRequestCheck check,
                               std::string_view local_pwd, MutableByteSpan out);

}  // namespace sfu::ice
