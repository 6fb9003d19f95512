// Loading a config text in a test: the Config it gives (a failure if it is refused), or the
// ConfigError it is refused with (a failure if it is accepted).
#pragma once

#include <gtest/gtest.h>

#include <string_view>
#include <variant>

#include "config/config.h"

namespace sfu::config {

inline Config expect_ok(std::string_view yaml) {
  auto result = load_config_text(yaml, "test.yaml");
  if (auto* error = std::get_if<ConfigError>(&result)) {
    ADD_FAILURE() << error->to_string();
    return Config{};
  }
  return std::get<Config>(result);
}

inline ConfigError expect_error(std::string_view yaml) {
  auto result = load_config_text(yaml, "test.yaml");
  EXPECT_TRUE(std::holds_alternative<ConfigError>(result)) << "accepted: " << yaml;
  if (auto* error = std::get_if<ConfigError>(&result)) return *error;
  return {};
}

}  // namespace sfu::config
