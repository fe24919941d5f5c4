// Placeholder until the capture subcommand is built.
#include <cstdio>

#include "runner/cli.hpp"

namespace be::cli {

int run_capture(Args /*args*/) {
  std::fprintf(stderr, "botengine capture: not built yet\n");
  return kExitFailure;
}

}  // namespace be::cli
