#include "sfu/control/data_post.h"

#include <nlohmann/json.hpp>

#include "sfu/control/base64.h"

namespace sfu {
namespace {

Error bad(std::string message) { return Error{ErrorCode::bad_request, std::move(message)}; }

// "participants": a non-empty array of strings, if present.
Result<std::vector<std::string>> participants_of(const nlohmann::json& body) {
  std::vector<std::string> ids;
  auto it = body.find("participants");
  if (it == body.end()) return ids;
  if (!it->is_array() || it->empty())
    return bad("'participants' must be a non-empty array of participant ids");
  for (const auto& id : *it) {
    if (!id.is_string()) return bad("'participants' must be a non-empty array of participant ids");
    ids.push_back(id.get<std::string>());
  }
  return ids;
}

}  // namespace

Result<DataPost> parse_data_post(std::string_view text, size_t max_message_bytes) {
  nlohmann::json body = nlohmann::json::parse(text, nullptr, false);
  if (body.is_discarded() || !body.is_object()) return bad("the body must be a JSON object");
  auto text_field = body.find("text");
  auto binary_field = body.find("binary_base64");
  bool has_text = text_field != body.end(), has_binary = binary_field != body.end();
  if (has_text == has_binary) return bad("give exactly one of 'text' (a string) or 'binary_base64'");
  DataPost post;
  if (has_text) {
    if (!text_field->is_string()) return bad("'text' must be a string");
    post.message = text_field->get<std::string>();
  } else {
    std::optional<std::string> decoded =
        binary_field->is_string() ? base64_decode(binary_field->get_ref<const std::string&>()) : std::nullopt;
    if (!decoded) return bad("'binary_base64' must be a base64 string (RFC 4648, standard alphabet)");
    post.binary = true;
    post.message = std::move(*decoded);
  }
  if (post.message.size() > max_message_bytes)
    return Error{ErrorCode::payload_too_large, "the message is " + std::to_string(post.message.size()) +
                                                   " bytes; data_channels.max_message_bytes is " +
                                                   std::to_string(max_message_bytes)};
  auto participants = participants_of(body);
  if (!participants) return participants.error();
  post.participants = std::move(participants.value());
  return post;
}

}  // namespace sfu
