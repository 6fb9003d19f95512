#include "sfu/control/turn_credentials.h"

#include <openssl/evp.h>

#include <stdexcept>

#include "sfu/control/base64.h"
#include "sfu/control/hmac.h"

namespace sfu {

std::string turn_rest_password(std::string_view secret, std::string_view username) {
  std::optional<std::string> mac = hmac(EVP_sha1(), secret, username);
  if (!mac) throw std::runtime_error("HMAC-SHA1 failed");  // only when OpenSSL itself is broken
  return base64_encode(*mac);
}

TurnCredential make_turn_credential(std::string_view secret, std::string_view participant_id,
                                    int64_t expiry_unix) {
  std::string username = std::to_string(expiry_unix);
  username += ':';
  username += participant_id;
  std::string credential = turn_rest_password(secret, username);
  return {std::move(username), std::move(credential)};
}

}  // namespace sfu
