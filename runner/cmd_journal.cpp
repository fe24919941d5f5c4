// Placeholder replaced by the journal tools (journal inspect|verify|dump).
#include <cstdio>

#include "runner/cli.hpp"

namespace be::cli {

int run_journal(Args /*args*/) {
  std::fprintf(stderr, "botengine journal: not built yet\n");
  return kExitFailure;
}

}  // namespace be::cli
