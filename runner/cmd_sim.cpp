// Placeholder until the sim subcommand is built.
#include <cstdio>

#include "runner/cli.hpp"

namespace be::cli {

int run_sim(Args /*args*/) {
  std::fprintf(stderr, "botengine sim: not built yet\n");
  return kExitFailure;
}

}  // namespace be::cli
