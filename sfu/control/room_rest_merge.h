// REST on a room whose parts live on several nodes (docs/protocol.md, "Cluster", "REST on any
// node"): the node a request reaches runs it on every part (its own and, over pub/sub, the other
// nodes'), and merge_part_answers() makes the one answer the client gets from theirs. Pure; runs
// on the control thread.
//
// Each part answers as a single node would for its own participants. A part whose node did not
// answer (503 node_unavailable, 504 node_timeout) or failed (any other error but 404) is listed in
// `nodes_unanswered` where the answer has a body; a 404 means the part holds no such room or
// participant any more.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "sfu/cluster/cluster_node.h"

namespace sfu {

enum class RoomRestKind {
  get,     // GET /v1/rooms/{name}: every part's participants, each with its `node`
  remove,  // DELETE /v1/rooms/{name}: every part closed
  kick,    // DELETE /v1/rooms/{name}/participants/{id}: the part that holds it kicks it
  data,    // POST /v1/rooms/{name}/data: every part sends to the participants it holds
};

// The kind of a /v1/rooms/{name}... request that acts on the whole room; nullopt for any other
// path or method (answered by this node alone: 404 / 405).
std::optional<RoomRestKind> room_rest_kind(const std::vector<std::string>& path_parts,
                                           const std::string& method);

struct PartAnswer {
  std::string node;
  cluster::ForwardedAnswer answer;
};

struct RoomRestMerge {
  RoomRestKind kind = RoomRestKind::get;
  std::string room;
  std::string home;         // the room's home node (its answer gives the summary), "" if none
  std::string participant;  // kick: the participant's id
  // data: the participants the post names (empty: everyone); each part answers with the ones it
  // holds (`held`).
  std::vector<std::string> named;
};

cluster::ForwardedAnswer merge_part_answers(const RoomRestMerge& merge,
                                            const std::vector<PartAnswer>& answers);

}  // namespace sfu
