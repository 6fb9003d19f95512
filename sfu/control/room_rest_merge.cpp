#include "sfu/control/room_rest_merge.h"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

namespace sfu {
namespace {

using nlohmann::json;

cluster::ForwardedAnswer json_answer(int status, const json& body) {
  return {status, "application/json", body.dump()};
}

json error_body(const std::string& code, const std::string& message) {
  return {{"error", {{"code", code}, {"message", message}}}};
}

json parse_object(const std::string& text) {
  json body = json::parse(text, nullptr, false);
  return body.is_object() ? body : json::object();
}

std::string joined(const std::vector<std::string>& nodes) {
  std::string out;
  for (const std::string& node : nodes) out += (out.empty() ? "'" : ", '") + node + "'";
  return out;
}

const std::string* string_at(const json& object, const char* key) {
  auto it = object.is_object() ? object.find(key) : object.end();
  return it != object.end() && it->is_string() ? it->get_ptr<const std::string*>() : nullptr;
}

// A part's participants, each with its node, into `participants` (by id); how many.
size_t take_participants(json& body, const std::string& node, std::map<std::string, json>& participants) {
  auto list = body.find("participants");
  if (list == body.end() || !list->is_array()) return 0;
  size_t count = 0;
  for (json& participant : *list) {
    const std::string* id = string_at(participant, "id");
    if (!id) continue;
    std::string key = *id;
    participant["node"] = node;
    participants[key] = std::move(participant);
    ++count;
  }
  return count;
}

// What a part forwards of the other parts' tracks to its own subscribers, by track id.
void add_remote_subscribers(const json& body, std::map<std::string, uint64_t>& remote_subscribers) {
  auto seen = body.find("remote_subscribers");
  if (seen == body.end() || !seen->is_object()) return;
  for (const auto& [track, subscribers] : seen->items())
    if (subscribers.is_number_unsigned()) remote_subscribers[track] += subscribers.get<uint64_t>();
}

// A participant's tracks count the subscribers of every node.
void count_every_nodes_subscribers(json& participant,
                                   const std::map<std::string, uint64_t>& remote_subscribers) {
  auto tracks = participant.find("tracks");
  if (tracks == participant.end() || !tracks->is_array()) return;
  for (json& track : *tracks) {
    const std::string* id = string_at(track, "id");
    auto extra = id ? remote_subscribers.find(*id) : remote_subscribers.end();
    auto subscribers = track.find("subscribers");
    if (extra == remote_subscribers.end() || subscribers == track.end() || !subscribers->is_number_unsigned())
      continue;
    *subscribers = subscribers->get<uint64_t>() + extra->second;
  }
}

// The merged GET: the home's summary (else the first part's), every part's participants with
// their node, each track's subscribers on every node, and each part's own summary in `nodes`.
json merge_rooms(const std::string& home, const std::vector<const PartAnswer*>& ok) {
  const PartAnswer* base = ok.front();
  for (const PartAnswer* part : ok)
    if (part->node == home) base = part;
  json merged = parse_object(base->answer.body);
  std::map<std::string, json> participants;  // by id: the order of a single node's answer
  std::map<std::string, uint64_t> remote_subscribers;
  json nodes = json::array();
  for (const PartAnswer* part : ok) {
    json body = parse_object(part->answer.body);
    size_t count = take_participants(body, part->node, participants);
    add_remote_subscribers(body, remote_subscribers);
    nodes.push_back({{"node", part->node},
                     {"participants", count},
                     {"worker", body.value("worker", json())},
                     {"workers", body.value("workers", json::array())}});
  }
  json list = json::array();
  for (auto& [id, participant] : participants) {
    count_every_nodes_subscribers(participant, remote_subscribers);
    list.push_back(std::move(participant));
  }
  merged["participants"] = std::move(list);
  merged.erase("remote_subscribers");
  merged["nodes"] = std::move(nodes);
  return merged;
}

std::vector<std::string> nodes_of(const std::vector<const PartAnswer*>& parts) {
  std::vector<std::string> nodes;
  nodes.reserve(parts.size());
  for (const PartAnswer* part : parts) nodes.push_back(part->node);
  return nodes;
}

// No part could act: the first failure as it came (e.g. 504 node_timeout, or a 400 every part
// gave) with the nodes that failed, else the first 404.
cluster::ForwardedAnswer merge_refusals(const std::string& room,
                                        const std::vector<const PartAnswer*>& not_found,
                                        const std::vector<const PartAnswer*>& failed) {
  if (failed.empty()) {
    if (!not_found.empty()) return not_found.front()->answer;
    return json_answer(404, error_body("not_found", "no room '" + room + "'"));
  }
  cluster::ForwardedAnswer answer = failed.front()->answer;
  json body = json::parse(answer.body, nullptr, false);
  if (body.is_object()) {
    body["nodes_unanswered"] = nodes_of(failed);
    answer.body = body.dump();
  }
  return answer;
}

// DELETE: 204 once every part closed; else the first failure, naming where it was closed.
cluster::ForwardedAnswer merge_deletes(const std::string& room, const std::vector<const PartAnswer*>& ok,
                                       const std::vector<const PartAnswer*>& failed) {
  if (failed.empty()) return {204, "application/json", ""};
  const std::vector<std::string> unanswered = nodes_of(failed);
  const json failure = parse_object(failed.front()->answer.body);
  std::string code = "node_timeout";
  if (auto error = failure.find("error"); error != failure.end() && error->is_object())
    code = error->value("code", code);
  json body =
      error_body(code, "room '" + room + "' was closed on " + joined(nodes_of(ok)) + "; " +
                           joined(unanswered) + " did not answer: its part may still be open (DELETE again)");
  body["nodes_unanswered"] = unanswered;
  return json_answer(failed.front()->answer.status, body);
}

// Data posts: the sum of the parts' targets; a 404 for a named participant no part holds.
cluster::ForwardedAnswer merge_data_posts(const RoomRestMerge& merge,
                                          const std::vector<const PartAnswer*>& ok,
                                          const std::vector<const PartAnswer*>& failed) {
  uint64_t sent = 0;
  std::set<std::string> held;
  bool all_held = false;  // a part that answered for the whole list (the room's only part)
  for (const PartAnswer* part : ok) {
    json body = parse_object(part->answer.body);
    sent += body.value("participants", uint64_t{0});
    auto list = body.find("held");
    all_held = all_held || list == body.end() || !list->is_array();
    if (list != body.end() && list->is_array())
      for (const json& id : *list)
        if (id.is_string()) held.insert(id.get<std::string>());
  }
  auto missing = std::find_if(merge.named.begin(), merge.named.end(),
                              [&](const std::string& id) { return !held.count(id); });
  if (!all_held && failed.empty() && missing != merge.named.end())
    return json_answer(404, error_body("not_found", "no participant '" + *missing + "' in room '" +
                                                        merge.room + "' (the others named got the message)"));
  json body = {{"participants", sent}};
  if (!failed.empty()) body["nodes_unanswered"] = nodes_of(failed);
  return json_answer(202, body);
}

}  // namespace

std::optional<RoomRestKind> room_rest_kind(const std::vector<std::string>& parts, const std::string& method) {
  if (parts.size() < 3 || parts[0] != "v1" || parts[1] != "rooms") return std::nullopt;
  if (parts.size() == 3 && method == "GET") return RoomRestKind::get;
  if (parts.size() == 3 && method == "DELETE") return RoomRestKind::remove;
  if (parts.size() == 4 && parts[3] == "data" && method == "POST") return RoomRestKind::data;
  if (parts.size() == 5 && parts[3] == "participants" && method == "DELETE") return RoomRestKind::kick;
  return std::nullopt;
}

cluster::ForwardedAnswer merge_part_answers(const RoomRestMerge& merge,
                                            const std::vector<PartAnswer>& answers) {
  std::vector<const PartAnswer*> ok, not_found, failed;
  for (const PartAnswer& part : answers) {
    int status = part.answer.status;
    (status >= 200 && status < 300 ? ok : status == 404 ? not_found : failed).push_back(&part);
  }
  auto by_node = [](const PartAnswer* a, const PartAnswer* b) { return a->node < b->node; };
  for (auto* list : {&ok, &not_found, &failed}) std::sort(list->begin(), list->end(), by_node);
  if (ok.empty()) return merge_refusals(merge.room, not_found, failed);
  switch (merge.kind) {
    case RoomRestKind::get: {
      json merged = merge_rooms(merge.home, ok);
      if (!failed.empty()) merged["nodes_unanswered"] = nodes_of(failed);
      return json_answer(200, merged);
    }
    case RoomRestKind::kick:
      return {204, "application/json", ""};  // one part held it, and kicked it
    case RoomRestKind::remove:
      return merge_deletes(merge.room, ok, failed);
    case RoomRestKind::data:
      return merge_data_posts(merge, ok, failed);
  }
  return json_answer(500, error_body("internal_error", "unknown room request"));
}

}  // namespace sfu
