// The demo page (web/), embedded into the binary at build time so `sfu` serves it from anywhere.
#pragma once

#include <cstddef>
#include <string_view>

namespace sfu {

struct WebAsset {
  const char* path;  // "/index.html"
  const char* content_type;
  const char* data;
  size_t size;
};

// nullptr when no embedded file has this path.
const WebAsset* find_web_asset(std::string_view path);

}  // namespace sfu
