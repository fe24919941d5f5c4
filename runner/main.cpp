#include <array>
#include <cstdio>
#include <string_view>
#include <vector>

#include "runner/cli.hpp"

namespace {

using be::cli::Command;

constexpr std::array kCommands = {
    Command{"version", "print the version, schema version and build flags", be::cli::run_version},
    Command{"journal", "inspect, verify or dump a journal: journal inspect|verify|dump DIR",
            be::cli::run_journal},
    Command{"ta", "compute indicators over a candle file: ta --input FILE --indicator rsi:14",
            be::cli::run_ta},
    Command{"capture", "read a capture through the real parsers: capture stats FILE",
            be::cli::run_capture},
    Command{"sim", "run the exchange simulator on loopback: sim [--port N] [--source ...]",
            be::cli::run_sim},
    Command{"record", "record a venue's WebSocket frames to a capture: record --url URL --out FILE",
            be::cli::run_record},
    Command{"bench", "end-to-end latency harness: bench run [--rate N] ... | bench compare A B ...",
            be::cli::run_bench},
    Command{"keys", "encrypt or check an API key file: keys encrypt|check --master-key-file F ...",
            be::cli::run_keys},
    Command{"run", "run the engine: run [CONFIG] (no config: the embedded paper-trading demo)",
            be::cli::run_run},
    Command{"replay", "replay a journal through the engine: replay DIR [--verify] [--bots FILE]",
            be::cli::run_replay},
    Command{"data", "import venues' historical files: data import FILE... --out PATH",
            be::cli::run_data},
    Command{"sweep", "search bot parameters over a recorded market: sweep SPEC --candles FILE",
            be::cli::run_sweep},
};

void print_help(std::FILE* out) {
  std::fprintf(out,
               "botengine: a low-latency engine for crypto trading bots\n\n"
               "usage: botengine <command> [args...]\n"
               "       botengine <command> --help\n\ncommands:\n");
  for (const Command& c : kCommands) {
    std::fprintf(out, "  %-10.*s %.*s\n", static_cast<int>(c.name.size()), c.name.data(),
                 static_cast<int>(c.summary.size()), c.summary.data());
  }
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string_view> args(argv + 1, argv + argc);
  if (args.empty()) {
    print_help(stderr);
    return be::cli::kExitUsage;
  }
  if (args[0] == "--help" || args[0] == "-h" || args[0] == "help") {
    print_help(stdout);
    return be::cli::kExitOk;
  }
  if (args[0] == "--version") return be::cli::run_version({});
  for (const Command& c : kCommands) {
    if (c.name == args[0]) return c.run(std::span(args).subspan(1));
  }
  std::fprintf(stderr, "botengine: unknown command '%.*s'\n\n", static_cast<int>(args[0].size()),
               args[0].data());
  print_help(stderr);
  return be::cli::kExitUsage;
}
