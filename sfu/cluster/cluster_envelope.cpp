#include "sfu/cluster/cluster_envelope.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <array>
#include <cstdlib>

namespace sfu::cluster {
namespace {

constexpr size_t kMacHexLength = 64;

std::string mac_hex(std::string_view secret, std::string_view data) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> mac{};
  unsigned int length = 0;
  if (!HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
            reinterpret_cast<const unsigned char*>(data.data()), data.size(), mac.data(), &length))
    return {};
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(size_t{length} * 2);
  for (unsigned int i = 0; i < length; ++i) {
    out.push_back(kHex[mac[i] >> 4]);
    out.push_back(kHex[mac[i] & 0xf]);
  }
  return out;
}

const std::string* string_at(const nlohmann::json& object, const char* key) {
  auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
}

}  // namespace

const char* rejection_name(Rejection rejection) {
  switch (rejection) {
    case Rejection::malformed:
      return "malformed";
    case Rejection::bad_signature:
      return "bad_signature";
    case Rejection::wrong_node:
      return "wrong_node";
    case Rejection::stale:
      return "stale";
  }
  return "malformed";
}

std::string seal(const ClusterMessage& message, std::string_view secret) {
  nlohmann::json json = {
      {"from", message.from}, {"to", message.to}, {"ts_ms", message.ts_ms}, {"body", message.body}};
  std::string text = json.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return mac_hex(secret, text) + " " + text;
}

std::variant<ClusterMessage, Rejection> open(std::string_view wire, std::string_view secret,
                                             std::string_view me, int64_t now_ms) {
  if (wire.size() <= kMacHexLength + 1 || wire[kMacHexLength] != ' ') return Rejection::malformed;
  std::string_view mac = wire.substr(0, kMacHexLength);
  std::string_view text = wire.substr(kMacHexLength + 1);
  std::string expected = mac_hex(secret, text);
  // Constant time: the MAC is the only thing that keeps a forger out.
  if (expected.size() != mac.size() || CRYPTO_memcmp(expected.data(), mac.data(), mac.size()) != 0)
    return Rejection::bad_signature;
  nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return Rejection::malformed;
  const std::string* from = string_at(json, "from");
  const std::string* to = string_at(json, "to");
  auto ts = json.find("ts_ms");
  auto body = json.find("body");
  if (!from || !to || ts == json.end() || !ts->is_number_integer() || body == json.end() ||
      !body->is_object())
    return Rejection::malformed;
  if (*to != me) return Rejection::wrong_node;
  int64_t ts_ms = ts->get<int64_t>();
  if (std::llabs(now_ms - ts_ms) > kMaxMessageAgeMs) return Rejection::stale;
  return ClusterMessage{*from, *to, ts_ms, *body};
}

}  // namespace sfu::cluster
