// Parsers for single SDP attribute values (sfu/sdp/sdp_attributes.h).

#include "sfu/sdp/sdp_attributes.h"

#include <algorithm>

namespace sfu::sdp {

using text::quoted;
using text::to_uint;
using text::Tokens;
using text::words;

namespace {

// Every attribute error is the client's: a bad_request with what is wrong.
Error invalid(std::string message) { return Error{ErrorCode::bad_request, std::move(message)}; }

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

// "AB:CD:..." — pairs of hex digits separated by colons.
bool is_colon_hex(std::string_view value) {
  if (value.size() < 2 || (value.size() + 1) % 3 != 0) return false;
  for (size_t i = 0; i < value.size(); ++i) {
    if (i % 3 == 2 ? value[i] != ':' : !is_hex(value[i])) return false;
  }
  return true;
}

// rid-syntax = 1*(alpha-numeric / "-" / "_") (RFC 8851 section 10).
bool is_rid_id(std::string_view id) {
  if (id.empty() || id.size() > 255) return false;
  return std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
  });
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace

std::optional<Direction> direction_from(std::string_view name) {
  if (name == "sendrecv") return Direction::kSendRecv;
  if (name == "sendonly") return Direction::kSendOnly;
  if (name == "recvonly") return Direction::kRecvOnly;
  if (name == "inactive") return Direction::kInactive;
  return std::nullopt;
}

std::vector<FmtpParam> parse_parameter_list(std::string_view list) {
  std::vector<FmtpParam> params;
  for (std::string_view item : text::split(list, ';')) {
    item = text::trim(item);
    if (item.empty()) continue;
    size_t eq = item.find('=');
    if (eq == std::string_view::npos) {
      params.push_back({std::string(item), {}});
    } else {
      params.push_back(
          {std::string(text::trim(item.substr(0, eq))), std::string(text::trim(item.substr(eq + 1)))});
    }
  }
  return params;
}

Result<Candidate> parse_candidate(std::string_view value) {
  value = text::trim(value);
  if (value.substr(0, 10) == "candidate:") value.remove_prefix(10);
  Tokens t = words(value);
  if (t.size() < 8 || t[6] != "typ") {
    return invalid(
        "a=candidate needs <foundation> <component> <transport> <priority> <address> <port> typ <type>, "
        "got " +
        quoted(value));
  }
  Candidate c;
  if (!to_uint(t[1], c.component, 256) || c.component == 0 || !to_uint(t[3], c.priority) ||
      !to_uint(t[5], c.port)) {
    return invalid("a=candidate has a bad component, priority or port: " + quoted(value));
  }
  c.foundation = std::string(t[0]);
  c.transport = std::string(t[2]);
  c.address = std::string(t[4]);
  c.type = std::string(t[7]);
  for (size_t i = 8; i + 1 < t.size(); i += 2) {  // a trailing name without value is ignored
    if (t[i] == "raddr") {
      c.related_address = std::string(t[i + 1]);
    } else if (t[i] == "rport") {
      uint16_t port = 0;
      if (!to_uint(t[i + 1], port))
        return invalid("a=candidate rport must be 0-65535, got " + quoted(t[i + 1]));
      c.related_port = port;
    } else if (t[i] == "tcptype") {
      c.tcp_type = std::string(t[i + 1]);
    } else {
      c.extensions.emplace_back(std::string(t[i]), std::string(t[i + 1]));
    }
  }
  return c;
}

Result<Extmap> parse_extmap(std::string_view value) {
  Tokens t = words(value);
  if (t.size() < 2) return invalid("a=extmap needs <id>[/<direction>] <uri>, got " + quoted(value));
  Extmap extmap;
  std::string_view id = t[0];
  if (size_t slash = id.find('/'); slash != std::string_view::npos) {
    extmap.direction = direction_from(id.substr(slash + 1));
    if (!extmap.direction) {
      return invalid("a=extmap direction must be sendrecv, sendonly, recvonly or inactive, got " +
                     quoted(t[0]));
    }
    id = id.substr(0, slash);
  }
  if (!to_uint(id, extmap.id, 255) || extmap.id == 0)
    return invalid("a=extmap id must be 1-255, got " + quoted(id));
  extmap.uri = std::string(t[1]);
  extmap.attributes = std::string(text::rest_after_first_word(text::rest_after_first_word(value)));
  return extmap;
}

Result<Rid> parse_rid(std::string_view value) {
  Tokens t = words(value);
  if (t.size() < 2 || t.size() > 3)
    return invalid("a=rid needs <id> <send|recv> [<restrictions>], got " + quoted(value));
  if (!is_rid_id(t[0]))
    return invalid("a=rid id may only hold letters, digits, '-' and '_', got " + quoted(t[0]));
  Rid rid;
  rid.id = std::string(t[0]);
  if (t[1] == "send") {
    rid.direction = RidDirection::kSend;
  } else if (t[1] == "recv") {
    rid.direction = RidDirection::kRecv;
  } else {
    return invalid("a=rid direction must be send or recv, got " + quoted(t[1]));
  }
  if (t.size() == 3) {
    for (auto& param : parse_parameter_list(t[2])) {
      if (param.key != "pt") {
        rid.restrictions.push_back(std::move(param));
        continue;
      }
      for (std::string_view pt_text : text::split(param.value, ',')) {
        uint8_t pt = 0;
        if (!to_uint(pt_text, pt, 127))
          return invalid("a=rid pt= must list payload types 0-127, got " + quoted(param.value));
        rid.payload_types.push_back(pt);
      }
    }
  }
  return rid;
}

Result<Simulcast> parse_simulcast(std::string_view value) {
  Tokens t = words(value);
  if (t.empty() || t.size() % 2 != 0 || t.size() > 4) {
    return invalid("a=simulcast needs send|recv <rid list> [send|recv <rid list>], got " + quoted(value));
  }
  Simulcast simulcast;
  simulcast.raw = std::string(text::trim(value));
  for (size_t i = 0; i < t.size(); i += 2) {
    std::vector<std::vector<SimulcastRid>>* list = nullptr;
    if (t[i] == "send") list = &simulcast.send;
    if (t[i] == "recv") list = &simulcast.recv;
    if (list == nullptr || !list->empty()) {
      return invalid("a=simulcast direction must be send or recv, each at most once, got " + quoted(value));
    }
    for (std::string_view stream : text::split(t[i + 1], ';')) {
      std::vector<SimulcastRid> alternatives;
      for (std::string_view rid : text::split(stream, ',')) {
        bool paused = !rid.empty() && rid.front() == '~';
        if (paused) rid.remove_prefix(1);
        if (!is_rid_id(rid)) return invalid("a=simulcast has a bad rid in " + quoted(t[i + 1]));
        alternatives.push_back({std::string(rid), paused});
      }
      list->push_back(std::move(alternatives));
    }
  }
  return simulcast;
}

Result<SsrcGroup> parse_ssrc_group(std::string_view value) {
  Tokens t = words(value);
  if (t.size() < 2) return invalid("a=ssrc-group needs <semantics> <ssrc>..., got " + quoted(value));
  SsrcGroup group{std::string(t[0]), {}};
  for (size_t i = 1; i < t.size(); ++i) {
    uint32_t ssrc = 0;
    if (!to_uint(t[i], ssrc)) return invalid("a=ssrc-group SSRC must be 0-4294967295, got " + quoted(t[i]));
    group.ssrcs.push_back(ssrc);
  }
  return group;
}

Result<Fingerprint> parse_fingerprint(std::string_view value) {
  Tokens t = words(value);
  if (t.size() != 2)
    return invalid("a=fingerprint needs <hash-function> <fingerprint>, got " + quoted(value));
  if (!is_colon_hex(t[1])) return invalid("a=fingerprint value is not colon-separated hex: " + quoted(t[1]));
  return Fingerprint{lower(t[0]), std::string(t[1])};
}

}  // namespace sfu::sdp
