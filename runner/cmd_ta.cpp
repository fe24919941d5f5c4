// Placeholder until the ta subcommand is built.
#include <cstdio>

#include "runner/cli.hpp"

namespace be::cli {

int run_ta(Args /*args*/) {
  std::fprintf(stderr, "botengine ta: not built yet\n");
  return kExitFailure;
}

}  // namespace be::cli
