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
    size_t count = 0;
    if (auto list = body.find("participants"); list != body.end() && list->is_array()) {
      for (json& participant : *list) {
        if (!participant.is_object() || !participant.contains("id") || !participant["id"].is_string())
          continue;
        participant["node"] = part->node;
        std::string id = participant["id"].get<std::string>();
        participants[id] = std::move(participant);
        ++count;
      }
    }
    // What this part forwards of the other parts' tracks (to its own subscribers).
    if (auto seen = body.find("remote_subscribers"); seen != body.end() && seen->is_object())
      for (const auto& [track, subscribers] : seen->items())
        if (subscribers.is_number_unsigned()) remote_subscribers[track] += subscribers.get<uint64_t>();
    nodes.push_back({{"node", part->node},
                     {"participants", count},
                     {"worker", body.value("worker", json())},
                     {"workers", body.value("workers", json::array())}});
  }
  json list = json::array();
  for (auto& [id, participant] : participants) {
    if (auto tracks = participant.find("tracks"); tracks != participant.end() && tracks->is_array())
      for (json& track : *tracks) {
        auto extra = track.is_object() && track.contains("id") && track["id"].is_string()
                         ? remote_subscribers.find(track["id"].get<std::string>())
                         : remote_subscribers.end();
        if (extra != remote_subscribers.end() && track.contains("subscribers") &&
            track["subscribers"].is_number_unsigned())
          track["subscribers"] = track["subscribers"].get<uint64_t>() + extra->second;
      }
    list.push_back(std::move(participant));
  }
  merged["participants"] = std::move(list);
  merged.erase("remote_subscribers");
  merged["nodes"] = std::move(nodes);
  return merged;
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
  std::vector<std::string> unanswered;
  for (const PartAnswer* part : failed) unanswered.push_back(part->node);

  if (ok.empty()) {
    if (failed.empty()) {
      if (!not_found.empty()) return not_found.front()->answer;
      return json_answer(404, error_body("not_found", "no room '" + merge.room + "'"));
    }
    // No part could act: the first failure as it came (e.g. 504 node_timeout, or a 400 every
    // part gave), with the nodes that failed.
    cluster::ForwardedAnswer answer = failed.front()->answer;
    json body = json::parse(answer.body, nullptr, false);
    if (body.is_object()) {
      body["nodes_unanswered"] = unanswered;
      answer.body = body.dump();
    }
    return answer;
  }

  switch (merge.kind) {
    case RoomRestKind::get: {
      json merged = merge_rooms(merge.home, ok);
      if (!unanswered.empty()) merged["nodes_unanswered"] = unanswered;
      return json_answer(200, merged);
    }
    case RoomRestKind::kick:
      return {204, "application/json", ""};  // one part held it, and kicked it
    case RoomRestKind::remove: {
      if (unanswered.empty()) return {204, "application/json", ""};
      std::vector<std::string> closed;
      for (const PartAnswer* part : ok) closed.push_back(part->node);
      const json failure = parse_object(failed.front()->answer.body);
      std::string code = "node_timeout";
      if (auto error = failure.find("error"); error != failure.end() && error->is_object())
        code = error->value("code", code);
      json body = error_body(code, "room '" + merge.room + "' was closed on " + joined(closed) + "; " +
                                       joined(unanswered) +
                                       " did not answer: its part may still be open (DELETE again)");
      body["nodes_unanswered"] = unanswered;
      return json_answer(failed.front()->answer.status, body);
    }
    case RoomRestKind::data: {
      uint64_t sent = 0;
      std::set<std::string> held;
      bool all_held = false;  // a part that answered for the whole list (the room's only part)
      for (const PartAnswer* part : ok) {
        json body = parse_object(part->answer.body);
        sent += body.value("participants", uint64_t{0});
        auto list = body.find("held");
        if (list == body.end() || !list->is_array()) {
          all_held = true;
          continue;
        }
        for (const json& id : *list)
          if (id.is_string()) held.insert(id.get<std::string>());
      }
      if (!all_held && unanswered.empty()) {
        // The named participants no part holds: a 404, as on one node (the others got it).
        for (const std::string& id : merge.named)
          if (!held.count(id))
            return json_answer(404,
                               error_body("not_found", "no participant '" + id + "' in room '" + merge.room +
                                                           "' (the others named got the message)"));
      }
      json body = {{"participants", sent}};
      if (!unanswered.empty()) body["nodes_unanswered"] = unanswered;
      return json_answer(202, body);
    }
  }
  return json_answer(500, error_body("internal_error", "unknown room request"));
}

}  // namespace sfu
