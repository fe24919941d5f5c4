#include "core/log.hpp"

#include <unistd.h>

#include <atomic>
#include <cerrno>

#include "core/civil_time.hpp"
#include "core/json_config.hpp"

namespace be::log {
namespace {

std::atomic<Format> g_format{Format::kText};

std::string_view level_name(Level level) noexcept {
  switch (level) {
    case Level::kInfo:
      return "info";
    case Level::kWarning:
      return "warning";
    case Level::kError:
      return "error";
  }
  return "info";
}

}  // namespace

void set_format(Format format) noexcept {
  g_format.store(format, std::memory_order_relaxed);
}
Format format() noexcept {
  return g_format.load(std::memory_order_relaxed);
}

bool parse_format(std::string_view text, Format& out) noexcept {
  if (text == "text") {
    out = Format::kText;
    return true;
  }
  if (text == "json") {
    out = Format::kJson;
    return true;
  }
  return false;
}

std::string format_line(Format format, Nanos time, Level level, const Component& component,
                        std::string_view message, std::initializer_list<Field> fields) {
  std::string line;
  if (format == Format::kText) {
    if (!component.text_prefix.empty()) {
      line += component.text_prefix;
      line += ": ";
    }
    if (level == Level::kWarning && message.substr(0, 8) != "warning:") line += "warning: ";
    line += message;
    for (const Field& f : fields) {
      line += ' ';
      line += f.key;
      line += '=';
      line += f.value;
    }
    return line;
  }
  line += '{';
  append_time_fields(line, "time", time);
  line += ",\"level\":";
  config::append_json_string(line, level_name(level));
  line += ",\"component\":";
  config::append_json_string(line, component.name);
  line += ",\"message\":";
  config::append_json_string(line, message);
  for (const Field& f : fields) {
    line += ',';
    config::append_json_string(line, f.key);
    line += ':';
    config::append_json_string(line, f.value);
  }
  line += '}';
  return line;
}

void write(Level level, const Component& component, std::string_view message,
           std::initializer_list<Field> fields) {
  std::string line = format_line(format(), wall_now(), level, component, message, fields);
  line += '\n';
  std::string_view rest = line;
  while (!rest.empty()) {
    const ssize_t n =
        ::write(component.to_stdout ? STDOUT_FILENO : STDERR_FILENO, rest.data(), rest.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // stderr closed or full: nothing better to do with a log line
    rest.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace be::log
