// REST on a room of the cluster from any node (docs/protocol.md, "Cluster", "REST on any node"):
// GET, DELETE, kicks and data posts on /v1/rooms/{name}... act on the whole room, whatever nodes
// hold its parts. The node the request reaches reads the room's entry and its set of parts from
// Redis in one step, runs the request on each part (its own here, the others' over the signed
// pub/sub messages of REST forwarding, each answered within 2 s or counted as unanswered) and
// merges the answers (room_rest_merge.h). A room with one part gets that part's answer unchanged
// (GET adds each participant's `node`).
#include <algorithm>
#include <exception>
#include <memory>

#include "base/logger.h"
#include "sfu/control/control_plane.h"
#include "sfu/control/data_post.h"
#include "sfu/control/room_rest_merge.h"

namespace sfu {
namespace {

// The parts to ask: this node's (when it has one), the home's and every live member's.
std::vector<std::string> parts_to_ask(const cluster::ClusterNode& cluster, bool local,
                                      const std::optional<cluster::DirectoryRoom>& room,
                                      const std::vector<std::string>& live_parts) {
  std::vector<std::string> nodes;
  if (local) nodes.push_back(cluster.id());
  auto add = [&](const std::string& node) {
    if (node != cluster.id() && cluster.alive(node) &&
        std::find(nodes.begin(), nodes.end(), node) == nodes.end())
      nodes.push_back(node);
  };
  if (room) add(room->home);
  for (const std::string& node : live_parts) add(node);
  return nodes;
}

// Answers collected from the parts until each has answered (or its node timed out).
struct PartsRequest {
  size_t waiting = 0;
  std::vector<PartAnswer> answers;
  std::function<void(const std::vector<PartAnswer>&)> done;
};

}  // namespace

std::optional<HttpResponse> ControlPlane::route_rest_to_parts(const std::vector<std::string>& parts,
                                                              const HttpRequest& request) {
  if (!cluster_available()) return std::nullopt;
  std::optional<RoomRestKind> kind = room_rest_kind(parts, request.method);
  if (!kind) return std::nullopt;
  RoomRestMerge merge{*kind, parts[2], {}, parts.size() == 5 ? parts[4] : std::string(), {}};
  cluster::ForwardedRequest forwarded{request.method, request.path, request.body, false};
  cluster_->room_parts(merge.room, [this, exchange_id = request.exchange_id, merge, forwarded](
                                       bool /*available*/, const std::optional<cluster::DirectoryRoom>& room,
                                       const std::vector<std::string>& live_parts) mutable {
    // Redis unavailable: room and live_parts are empty, this node's part (if any) answers alone.
    std::vector<std::string> nodes =
        parts_to_ask(*cluster_, find_room(merge.room) != nullptr, room, live_parts);
    if (nodes.empty()) {
      std::string gone = room && !room->home_alive ? " (its node '" + room->home + "' is gone)" : "";
      return complete_http(exchange_id,
                           error_response({ErrorCode::not_found, "no room '" + merge.room + "'" + gone}));
    }
    if (room) merge.home = room->home;
    if (nodes.size() > 1 && merge.kind == RoomRestKind::data) {
      if (std::optional<HttpResponse> refused = check_room_data_post(forwarded.body, merge.named))
        return complete_http(exchange_id, std::move(*refused));
    }
    forwarded.part = nodes.size() > 1;
    ask_parts(nodes, forwarded, [this, exchange_id, merge](const std::vector<PartAnswer>& answers) {
      complete_http(exchange_id, merged_parts_response(merge, answers));
    });
  });
  return deferred_response();
}

// Checked once on the node asked, so every part does not refuse it alike (and a 404 can name who
// is missing from the whole room).
std::optional<HttpResponse> ControlPlane::check_room_data_post(const std::string& body,
                                                               std::vector<std::string>& named) {
  if (!config_.data_channels.enabled)
    return error_response({ErrorCode::unsupported, "data channels are off (data_channels.enabled: false)"});
  auto post = parse_data_post(body, config_.data_channels.max_message_bytes);
  if (!post) return error_response(post.error());
  named = post->participants;
  return std::nullopt;
}

void ControlPlane::ask_parts(const std::vector<std::string>& nodes, const cluster::ForwardedRequest& request,
                             std::function<void(const std::vector<PartAnswer>&)> done) {
  auto pending = std::make_shared<PartsRequest>(PartsRequest{nodes.size(), {}, std::move(done)});
  for (const std::string& node : nodes) {
    auto answered = [pending, node](cluster::ForwardedAnswer answer) {
      pending->answers.push_back({node, std::move(answer)});
      if (--pending->waiting == 0) pending->done(pending->answers);
    };
    if (node == cluster_->id())
      run_forwarded_request(request, std::move(answered));
    else
      cluster_->forward(node, request, std::move(answered));
  }
}

HttpResponse ControlPlane::merged_parts_response(const RoomRestMerge& merge,
                                                 const std::vector<PartAnswer>& answers) {
  // One part (and not a GET's 200, which gains `node`s): its answer as it is.
  const cluster::ForwardedAnswer& first = answers.front().answer;
  if (answers.size() == 1 && (merge.kind != RoomRestKind::get || first.status != 200))
    return forwarded_answer_response(first);
  // Outside the HTTP handler's boundary (a Redis or pub/sub callback): caught here too.
  try {
    return forwarded_answer_response(merge_part_answers(merge, answers));
  } catch (const std::exception& e) {
    ++rest_errors_;
    log_error("control", "merging the parts' answers threw", {{"what", e.what()}});
    return error_response({ErrorCode::internal_error, "the server failed to handle this request"});
  }
}

}  // namespace sfu
