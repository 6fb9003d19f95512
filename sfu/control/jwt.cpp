#include "sfu/control/jwt.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "sfu/control/hmac.h"

namespace sfu {

namespace {

constexpr size_t kMaxTokenBytes = size_t{16} * 1024;  // far above any real token; bounds the work per request
constexpr size_t kSha256Bytes = 32;

std::optional<std::string> hmac_sha256(std::string_view key, std::string_view data) {
  return hmac(EVP_sha256(), key, data);
}

// Parses a JSON object; anything else (invalid JSON, arrays, numbers...) gives nullopt.
std::optional<nlohmann::json> parse_object(std::string_view text) {
  nlohmann::json value = nlohmann::json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (value.is_discarded() || !value.is_object()) return std::nullopt;
  return value;
}

}  // namespace

namespace {
// Every refusal is `unauthorized` to the client; the message says why, for logs.
Error refused(std::string reason) { return Error{ErrorCode::unauthorized, std::move(reason)}; }

// exp is required, nbf optional; both are judged with `leeway_s` of clock skew either way.
Status check_times(const nlohmann::json& claims, const JwtRequirements& required) {
  const auto now = static_cast<double>(required.now_unix);
  const auto leeway = static_cast<double>(required.leeway_s);
  auto exp = claims.find("exp");
  if (exp == claims.end()) return refused("no exp claim");
  if (!exp->is_number()) return refused("exp is not a number");
  if (!(exp->get<double>() + leeway > now)) return refused("token expired");
  auto nbf = claims.find("nbf");
  if (nbf != claims.end()) {
    if (!nbf->is_number()) return refused("nbf is not a number");
    if (nbf->get<double>() - leeway > now) return refused("token not yet valid");
  }
  return {};
}

// RFC 7519 section 4.1.3: `aud` is a string or an array of strings, and must name this server.
Status check_audience(const nlohmann::json& claims, std::string_view audience) {
  if (audience.empty()) return {};
  auto aud = claims.find("aud");
  if (aud == claims.end()) return refused("token audience missing: expected '" + std::string(audience) + "'");
  bool found = false;
  if (aud->is_string()) {
    found = aud->get_ref<const std::string&>() == audience;
  } else if (aud->is_array()) {
    for (const auto& item : *aud) {
      if (!item.is_string()) return refused("token audience must be a string or an array of strings");
      found = found || item.get_ref<const std::string&>() == audience;
    }
  } else {
    return refused("token audience must be a string or an array of strings");
  }
  if (!found) return refused("token audience does not include '" + std::string(audience) + "'");
  return {};
}

Status check_issuer(const nlohmann::json& claims, std::string_view issuer) {
  if (issuer.empty()) return {};
  auto iss = claims.find("iss");
  if (iss == claims.end()) return refused("token issuer missing: expected '" + std::string(issuer) + "'");
  if (!iss->is_string()) return refused("token issuer must be a string");
  if (iss->get_ref<const std::string&>() != issuer)
    return refused("token issuer is not '" + std::string(issuer) + "'");
  return {};
}
}  // namespace

Result<nlohmann::json> verify_jwt_hs256(std::string_view token, std::string_view secret,
                                        const JwtRequirements& required) {
  if (secret.empty()) return refused("no secret configured");
  if (token.empty()) return refused("empty token");
  if (token.size() > kMaxTokenBytes) return refused("token too long");
  size_t first_dot = token.find('.');
  if (first_dot == std::string_view::npos) return refused("not a JWS compact token");
  size_t second_dot = token.find('.', first_dot + 1);
  if (second_dot == std::string_view::npos || token.find('.', second_dot + 1) != std::string_view::npos)
    return refused("not a JWS compact token");
  std::string_view header_b64 = token.substr(0, first_dot);
  std::string_view payload_b64 = token.substr(first_dot + 1, second_dot - first_dot - 1);
  std::string_view signature_b64 = token.substr(second_dot + 1);

  std::optional<std::string> header_text = base64url_decode(header_b64);
  if (!header_text) return refused("header is not base64url");
  std::optional<nlohmann::json> header = parse_object(*header_text);
  if (!header) return refused("header is not a JSON object");
  auto alg = header->find("alg");
  if (alg == header->end() || !alg->is_string() || alg->get<std::string>() != "HS256")
    return refused("algorithm is not HS256");
  // RFC 7515 4.1.11: extensions we do not understand must make the token invalid.
  if (header->contains("crit")) return refused("unsupported critical header");

  std::optional<std::string> signature = base64url_decode(signature_b64);
  if (!signature || signature->size() != kSha256Bytes) return refused("bad signature");
  auto expected = hmac_sha256(secret, token.substr(0, second_dot));
  if (!expected) return refused("HMAC failed");
  if (CRYPTO_memcmp(expected->data(), signature->data(), kSha256Bytes) != 0) return refused("bad signature");

  std::optional<std::string> payload_text = base64url_decode(payload_b64);
  if (!payload_text) return refused("payload is not base64url");
  std::optional<nlohmann::json> claims = parse_object(*payload_text);
  if (!claims) return refused("claims are not a JSON object");

  if (Status times = check_times(*claims, required); !times) return times.error();
  if (Status audience = check_audience(*claims, required.audience); !audience) return audience.error();
  if (Status issuer = check_issuer(*claims, required.issuer); !issuer) return issuer.error();
  return std::move(*claims);
}

std::string sign_jwt_hs256(const nlohmann::json& claims, std::string_view secret) {
  std::string signing_input =
      base64url_encode(R"({"alg":"HS256","typ":"JWT"})") + "." + base64url_encode(claims.dump());
  auto mac = hmac_sha256(secret, signing_input);
  if (!mac) return {};
  return signing_input + "." + base64url_encode(*mac);
}

}  // namespace sfu
