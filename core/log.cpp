#include "core/log.hpp"

#include <unistd.h>

#include <array>
#include <atomic>
#include <cerrno>

#include "core/civil_time.hpp"
#include "core/json_config.hpp"
#include "core/names.hpp"

namespace be::log {
namespace {

std::atomic<Format> g_format{Format::kText};

constexpr std::array<Named<Level>, 3> kLevelNames{{
    {Level::kInfo, "info"},
    {Level::kWarning, "warning"},
    {Level::kError, "error"},
}};
static_assert(names_every_code(kLevelNames, 3));

constexpr std::array<Named<Format>, 2> kFormatNames{{
    {Format::kText, "text"},
    {Format::kJson, "json"},
}};
static_assert(names_every_code(kFormatNames, 2));

}  // namespace

void set_format(Format format) noexcept {
  g_format.store(format, std::memory_order_relaxed);
}
Format format() noexcept {
  return g_format.load(std::memory_order_relaxed);
}

bool parse_format(std::string_view text, Format& out) noexcept {
  const auto f = code_of(kFormatNames, text);
  if (f) out = *f;
  return f.has_value();
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
  config::append_json_string(line, name_of(kLevelNames, level));
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
