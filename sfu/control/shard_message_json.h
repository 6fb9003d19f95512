// ShardMessages (sfu/media/shard_messages.h) as JSON, for the shards of a room on other nodes of a
// cluster: they travel in the signed pub/sub envelopes (cluster_envelope.h), so the text is
// trusted as to its sender but still checked as to its shape: a message that does not parse into
// a complete ShardMessage (wrong types, out-of-range numbers) is refused (nullopt), never half
// applied. `from_worker` and `to_worker` are the sender's worker and the receiver's worker
// indices on their own nodes; the receiving control plane maps them to its peer indices.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>

#include "sfu/media/shard_messages.h"

namespace sfu {

nlohmann::json shard_message_to_json(const ShardMessage& message);
std::optional<ShardMessage> shard_message_from_json(const nlohmann::json& json);

}  // namespace sfu
