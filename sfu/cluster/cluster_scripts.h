// The Lua scripts the cluster runs in Redis (EVAL): each reads and changes the directory in one
// atomic step, so two nodes never both take a room. Keys: sfu:nodes (set of node ids),
// sfu:node:<id> (its registry entry, expiring cluster.dead_after_s after its last refresh) and
// sfu:rooms (hash: room name -> {"home","url","created_at","max_participants","participants"}).
#pragma once

// Key prefixes the scripts below build keys from too: one spelling for C++ and Lua.
#define SFU_NODE_KEY_PREFIX "sfu:node:"
#define SFU_ROOM_NODES_KEY_PREFIX "sfu:room_nodes:"

namespace sfu::cluster {

inline constexpr const char* kNodesKey = "sfu:nodes";
inline constexpr const char* kNodeKeyPrefix = SFU_NODE_KEY_PREFIX;
inline constexpr const char* kRoomsKey = "sfu:rooms";
inline constexpr const char* kChannelPrefix = "sfu:to:";
// A set per room of the nodes holding a part of it (rooms spanning nodes).
inline constexpr const char* kRoomNodesKeyPrefix = SFU_ROOM_NODES_KEY_PREFIX;

// Lua kept as written: clang-format would reflow the pieces around each prefix.
// clang-format off

// A room entry's home is alive when its node's registry key still exists.
#define SFU_LUA_HOME_ALIVE                                                            \
  "local function home_of(v) local ok, e = pcall(cjson.decode, v) "                   \
  "if ok and type(e) == 'table' and type(e.home) == 'string' then return e.home end " \
  "return nil end "                                                                   \
  "local function alive(h) return h and redis.call('EXISTS', '" SFU_NODE_KEY_PREFIX "' .. h) == 1 end "

// KEYS: nodes, rooms. ARGV: id, node json, ttl ms, then room name/entry pairs (entry "" for a part
// of a room homed on another node). Registers the node, adds it to the node set of every room it
// holds a part of (sfu:room_nodes:<room>: after Redis lost its data, the sets come back with the
// next refresh), and writes the rooms it is the home of, except one another live node has taken
// meanwhile.
inline constexpr const char* kRefreshScript = SFU_LUA_HOME_ALIVE
    "redis.call('SET', '" SFU_NODE_KEY_PREFIX "' .. ARGV[1], ARGV[2], 'PX', ARGV[3]) "
    "redis.call('SADD', KEYS[1], ARGV[1]) "
    "local lost = {} "
    "for i = 4, #ARGV, 2 do "
    "  redis.call('SADD', '" SFU_ROOM_NODES_KEY_PREFIX "' .. ARGV[i], ARGV[1]) "
    "  if ARGV[i + 1] ~= '' then "
    "    local cur = redis.call('HGET', KEYS[2], ARGV[i]) "
    "    local h = cur and home_of(cur) "
    "    if h and h ~= ARGV[1] and alive(h) then table.insert(lost, ARGV[i]) "
    "    else redis.call('HSET', KEYS[2], ARGV[i], ARGV[i + 1]) end "
    "  end "
    "end "
    "return lost";

// KEYS: nodes, rooms. The live nodes' entries (dead ids leave the set) and every room entry.
inline constexpr const char* kListScript =
    "local nodes = {} "
    "for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do "
    "  local v = redis.call('GET', '" SFU_NODE_KEY_PREFIX "' .. id) "
    "  if v then table.insert(nodes, v) else redis.call('SREM', KEYS[1], id) end "
    "end "
    "return {nodes, redis.call('HGETALL', KEYS[2])}";

// KEYS: rooms. ARGV: room, proposed entry. The room's entry when its home lives; else (no entry,
// or its home is dead) the proposal becomes the entry. Returns {0 kept | 1 created | 2 re-homed, entry}.
inline constexpr const char* kClaimScript = SFU_LUA_HOME_ALIVE
    "local cur = redis.call('HGET', KEYS[1], ARGV[1]) "
    "if cur and alive(home_of(cur)) then return {0, cur} end "
    "redis.call('HSET', KEYS[1], ARGV[1], ARGV[2]) "
    "if cur then return {2, ARGV[2]} end "
    "return {1, ARGV[2]}";

// KEYS: rooms. ARGV: room, node id. Deletes the room's entry if that node is its home.
inline constexpr const char* kReleaseScript = SFU_LUA_HOME_ALIVE
    "local cur = redis.call('HGET', KEYS[1], ARGV[1]) "
    "if cur and home_of(cur) == ARGV[2] then redis.call('HDEL', KEYS[1], ARGV[1]) return 1 end "
    "return 0";

// KEYS: rooms. ARGV: room. {the room's entry or "", the members of sfu:room_nodes:<room>}.
inline constexpr const char* kRoomPartsScript =
    "local cur = redis.call('HGET', KEYS[1], ARGV[1]) "
    "return {cur or '', redis.call('SMEMBERS', '" SFU_ROOM_NODES_KEY_PREFIX "' .. ARGV[1])}";

// clang-format on

#undef SFU_LUA_HOME_ALIVE
#undef SFU_NODE_KEY_PREFIX
#undef SFU_ROOM_NODES_KEY_PREFIX

}  // namespace sfu::cluster
