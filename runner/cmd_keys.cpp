// `botengine keys encrypt|check`: the Binance API key file (AES-256-GCM, docs/BINANCE.md).
// The runner is the one place that reads the environment: BE_MASTER_KEY is read here and
// handed to the library, which never reads it itself.
#include <cstdlib>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oms/venues/binance/key_store.hpp"
#include "runner/cli.hpp"

namespace be::cli {

int run_keys(Args args) {
  const char* env = std::getenv(std::string(binance::kMasterKeyEnv).c_str());
  std::optional<std::string_view> value;
  if (env != nullptr) value = env;
  return binance::keys_command({args.begin(), args.end()}, value, std::cin, std::cout, std::cerr);
}

}  // namespace be::cli
