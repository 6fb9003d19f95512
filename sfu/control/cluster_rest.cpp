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

HttpResponse as_response(const cluster::ForwardedAnswer& answer) {
  HttpResponse response;
  response.status = answer.status;
  response.content_type = answer.content_type.empty() ? "application/json" : answer.content_type;
  response.body = answer.body;
  return response;
}

// A request on the room's parts, answered once each part has (or its node timed out).
struct PartsRequest {
  uint64_t exchange_id = 0;
  RoomRestMerge merge;
  size_t waiting = 0;
  std::vector<PartAnswer> answers;
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
                                       bool available, std::optional<cluster::DirectoryRoom> room,
                                       const std::vector<std::string>& live_parts) mutable {
    // The parts to ask: this node's (if it has one), the home's and every live member's.
    std::vector<std::string> nodes;
    if (find_room(merge.room)) nodes.push_back(cluster_->id());
    auto add = [&](const std::string& node) {
      if (node != cluster_->id() && cluster_->alive(node) &&
          std::find(nodes.begin(), nodes.end(), node) == nodes.end())
        nodes.push_back(node);
    };
    if (available && room) {
      merge.home = room->home;
      add(room->home);
    }
    if (available)
      for (const std::string& node : live_parts) add(node);
    if (nodes.empty()) {
      std::string gone = room && !room->home_alive ? " (its node '" + room->home + "' is gone)" : "";
      complete_http(exchange_id,
                    error_response({ErrorCode::not_found, "no room '" + merge.room + "'" + gone}));
      return;
    }
    if (nodes.size() > 1 && merge.kind == RoomRestKind::data) {
      // Checked once here, so every part does not refuse it alike (and a 404 can name who is
      // missing from the whole room).
      if (!config_.data_channels.enabled)
        return complete_http(
            exchange_id,
            error_response({ErrorCode::unsupported, "data channels are off (data_channels.enabled: false)"}));
      auto post = parse_data_post(forwarded.body, config_.data_channels.max_message_bytes);
      if (!post) return complete_http(exchange_id, error_response(post.error()));
      merge.named = post->participants;
    }
    forwarded.part = nodes.size() > 1;
    auto request = std::make_shared<PartsRequest>(PartsRequest{exchange_id, merge, nodes.size(), {}});
    for (const std::string& node : nodes) {
      auto done = [this, request, node](cluster::ForwardedAnswer answer) {
        request->answers.push_back({node, std::move(answer)});
        if (--request->waiting > 0) return;
        // One part (and not a GET's 200, which gains `node`s): its answer as it is.
        const cluster::ForwardedAnswer& first = request->answers.front().answer;
        if (request->answers.size() == 1 && (request->merge.kind != RoomRestKind::get || first.status != 200))
          return complete_http(request->exchange_id, as_response(request->answers.front().answer));
        // Outside the HTTP handler's boundary (a Redis or pub/sub callback): caught here too.
        HttpResponse response;
        try {
          response = as_response(merge_part_answers(request->merge, request->answers));
        } catch (const std::exception& e) {
          ++rest_errors_;
          log_error("control", "merging the parts' answers threw", {{"what", e.what()}});
          response = error_response({ErrorCode::internal_error, "the server failed to handle this request"});
        }
        complete_http(request->exchange_id, std::move(response));
      };
      if (node == cluster_->id())
        run_forwarded_request(forwarded, std::move(done));
      else
        cluster_->forward(node, forwarded, std::move(done));
    }
  });
  return deferred_response();
}

}  // namespace sfu
