#include "sfu/control/http_request_reader.h"

#include <netinet/in.h>
#include <sys/socket.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "base/socket_address.h"

namespace sfu::detail {

namespace {

// Query arguments are stored by lws as one fragment per argument.
std::string copy_query(lws* wsi) {
  std::string query;
  for (int index = 0;; ++index) {
    int length = lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, index);
    if (length <= 0) break;
    std::string fragment(static_cast<size_t>(length) + 1, '\0');
    int copied = lws_hdr_copy_fragment(wsi, fragment.data(), length + 1, WSI_TOKEN_HTTP_URI_ARGS, index);
    if (copied < 0) break;
    fragment.resize(static_cast<size_t>(copied));
    if (!query.empty()) query += '&';
    query += fragment;
  }
  return query;
}

struct MethodToken {
  lws_token_indexes token;
  const char* name;
};
constexpr MethodToken kMethods[] = {
    {WSI_TOKEN_GET_URI, "GET"},       {WSI_TOKEN_POST_URI, "POST"},   {WSI_TOKEN_PUT_URI, "PUT"},
    {WSI_TOKEN_DELETE_URI, "DELETE"}, {WSI_TOKEN_PATCH_URI, "PATCH"}, {WSI_TOKEN_OPTIONS_URI, "OPTIONS"},
    {WSI_TOKEN_HEAD_URI, "HEAD"},
};

bool is_method_token(int token) {
  for (const auto& m : kMethods)
    if (m.token == token) return true;
  return token == WSI_TOKEN_HTTP_URI_ARGS;
}

std::string request_method(lws* wsi) {
  for (const auto& m : kMethods)
    if (lws_hdr_total_length(wsi, m.token) > 0) return m.name;
  return {};
}

void collect_headers(lws* wsi, std::map<std::string, std::string>& headers) {
  for (int token = 0; token < WSI_TOKEN_COUNT; ++token) {
    auto index = static_cast<lws_token_indexes>(token);
    if (is_method_token(token) || lws_hdr_total_length(wsi, index) <= 0) continue;
    const char* name = reinterpret_cast<const char*>(lws_token_to_string(index));
    if (name == nullptr) continue;
    std::string_view view(name);
    // Real header names end with ':'; pseudo tokens ("http/1.1 ", ":path") are skipped.
    if (view.size() < 2 || view.back() != ':' || view.front() == ':') continue;
    view.remove_suffix(1);
    headers[lowercase(view)] = copy_header(wsi, index);
  }
}

}  // namespace

std::string lowercase(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

std::string copy_header(lws* wsi, lws_token_indexes token) {
  int length = lws_hdr_total_length(wsi, token);
  if (length <= 0) return {};
  std::string value(static_cast<size_t>(length) + 1, '\0');
  int copied = lws_hdr_copy(wsi, value.data(), length + 1, token);
  if (copied < 0) return {};
  value.resize(static_cast<size_t>(copied));
  return value;
}

HttpRequest read_request(lws* wsi, std::string_view path) {
  HttpRequest request;
  request.method = request_method(wsi);
  request.path = std::string(path);
  request.query = copy_query(wsi);
  collect_headers(wsi, request.headers);
  return request;
}

namespace {

SocketAddress peer_of(int fd) {
  sockaddr_storage storage{};
  socklen_t length = sizeof(storage);
  if (fd < 0 || getpeername(fd, reinterpret_cast<sockaddr*>(&storage), &length) != 0) return {};
  SocketAddress address = SocketAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&storage));
  if (address.is_v6() && IN6_IS_ADDR_V4MAPPED(&address.v6().sin6_addr)) {
    sockaddr_in v4{};
    v4.sin_family = AF_INET;
    v4.sin_port = address.v6().sin6_port;
    std::memcpy(&v4.sin_addr, &address.v6().sin6_addr.s6_addr[12], 4);
    address = SocketAddress::from_sockaddr(reinterpret_cast<const sockaddr*>(&v4));
  }
  return address;
}

}  // namespace

std::string peer_address(lws* wsi) {
  SocketAddress address = peer_of(lws_get_socket_fd(wsi));
  return address.valid() ? address.to_string() : std::string();
}

std::string peer_ip(int fd) {
  SocketAddress address = peer_of(fd);
  return address.valid() ? address.ip_string() : std::string();
}

}  // namespace sfu::detail
