// Time-limited TURN credentials of the TURN REST API scheme (draft-uberti-behave-turn-rest-00,
// section 2.2), as coturn checks them with `use-auth-secret` and `static-auth-secret`:
//   username   = "<expiry, Unix seconds>:<participant id>"
//   credential = base64(HMAC-SHA1(shared secret, username))
// coturn recomputes the credential from the username and refuses an expiry in the past, so the
// relay needs no user database and this server no connection to the relay. Pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sfu {

struct TurnCredential {
  std::string username;
  std::string credential;  // the password of RFC 8489's long-term credential mechanism
};

// base64(HMAC-SHA1(secret, username)): the password coturn expects for `username`.
std::string turn_rest_password(std::string_view secret, std::string_view username);

// The credential of one participant, valid until `expiry_unix` (a join's time + turn.ttl_s).
TurnCredential make_turn_credential(std::string_view secret, std::string_view participant_id,
                                    int64_t expiry_unix);

}  // namespace sfu
