// Structured logs in logfmt: `ts=... level=info component=worker msg="..." key=value ...`, one line
// per event on stderr. Never used on the packet path (counters are); thread-safe.
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>

namespace sfu {

enum class LogLevel { Trace, Debug, Info, Warn, Error };
const char* log_level_name(LogLevel level);
using LogField = std::pair<std::string_view, std::string>;

void set_log_level(LogLevel level);
bool log_enabled(LogLevel level);
void log_event(LogLevel level, std::string_view component, std::string_view message,
               std::initializer_list<LogField> fields = {});

inline void log_info(std::string_view component, std::string_view message,
                     std::initializer_list<LogField> fields = {}) {
  log_event(LogLevel::Info, component, message, fields);
}
inline void log_warn(std::string_view component, std::string_view message,
                     std::initializer_list<LogField> fields = {}) {
  log_event(LogLevel::Warn, component, message, fields);
}
inline void log_error(std::string_view component, std::string_view message,
                      std::initializer_list<LogField> fields = {}) {
  log_event(LogLevel::Error, component, message, fields);
}
inline void log_debug(std::string_view component, std::string_view message,
                      std::initializer_list<LogField> fields = {}) {
  log_event(LogLevel::Debug, component, message, fields);
}

}  // namespace sfu
