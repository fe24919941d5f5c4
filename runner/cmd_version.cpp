#include <cstdio>

#include "core/event.hpp"
#include "runner/cli.hpp"
#include "runner/version.hpp"

namespace be::cli {

int run_version(Args /*args*/) {
  std::printf("botengine %s\n", kVersionString);
  std::printf("journal schema %u\n", kSchemaVersion);
  std::printf("commit %s\n", kGitCommit);
  std::printf("compiler %s, build %s\n", kCompiler, kBuildType);
  return kExitOk;
}

}  // namespace be::cli
