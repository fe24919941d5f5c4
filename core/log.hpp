// The runner's log lines on stderr, in one of two formats (`botengine run --log-format`):
//   text (default)  "<prefix>: <message>[ key=value ...]", what a person reads in a terminal
//   json            one object per line for log tools (journald, Loki, Elasticsearch):
//                   {"time":"<RFC 3339 ns>","time_ns":"<ns>","level":"error","component":"run",
//                    "message":"...", <fields as strings>}
// Each line goes out with one write(2), so lines from different threads never interleave:
// `botengine run`'s progress lines to stdout, the rest to stderr, as they always went.
// Rate limits stay with the callers (the API's two budgets, the notifier's suppression): this
// only formats and writes.
//
// Thread-safety: set_format() once at start, before other threads log; write() from any
// thread. Cold path: allocates (never call it from a hot loop).
#pragma once

#include <initializer_list>
#include <string>
#include <string_view>

#include "core/clock.hpp"

namespace be::log {

enum class Format : unsigned char { kText, kJson };
enum class Level : unsigned char { kInfo, kWarning, kError };

// Who logs: its JSON name and its text prefix (what the text lines have always begun with).
struct Component {
  std::string_view name;         // "run", "engine", "api", "notify"
  std::string_view text_prefix;  // "botengine run", "botengine", "" (the line says it all)
  bool to_stdout = false;        // progress lines a user follows; the rest go to stderr
};
inline constexpr Component kRun{"run", "botengine run"};
inline constexpr Component kRunProgress{"run", "", true};  // run's progress lines
inline constexpr Component kEngine{"engine", "botengine"};
inline constexpr Component kApi{"api", ""};
inline constexpr Component kNotify{"notify", "notify"};

struct Field {
  std::string_view key;
  std::string_view value;
};

void set_format(Format format) noexcept;
Format format() noexcept;
// "text" or "json"; false for anything else.
bool parse_format(std::string_view text, Format& out) noexcept;

// One line, without the newline: what write() prints (tests compare it).
std::string format_line(Format format, Nanos time, Level level, const Component& component,
                        std::string_view message, std::initializer_list<Field> fields = {});
void write(Level level, const Component& component, std::string_view message,
           std::initializer_list<Field> fields = {});

}  // namespace be::log
