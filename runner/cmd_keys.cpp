// `botengine keys`: API keys encrypted at rest (AES-256-GCM under the master key,
// docs/BINANCE.md, docs/CLI.md).
//   keys add NAME [--data-dir DIR] [--from FILE] [--master-key-file F]
//       stores an entry of the key directory (DIR/keys/NAME.key; runner/key_directory.hpp)
//       from two lines, the API key then the secret, read from FILE or standard input (never
//       from argv), and prints its fingerprint, which an account is attached by
//   keys list [--data-dir DIR] [--master-key-file F]     names and fingerprints
//   keys remove NAME [--data-dir DIR]
//   keys encrypt|check ...                               a single key file (key_store.hpp)
// The runner is the one place that reads the environment: BE_MASTER_KEY is read here and
// handed to the library, which never reads it itself.
#include <openssl/crypto.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "oms/venues/binance/key_store.hpp"
#include "runner/cli.hpp"
#include "runner/key_directory.hpp"

namespace be::cli {

namespace {

constexpr std::string_view kUsage =
    "usage: botengine keys add NAME [--data-dir DIR] [--from FILE] [--master-key-file F]\n"
    "         (two lines on stdin or in FILE: the API key, then the secret)\n"
    "       botengine keys list [--data-dir DIR] [--master-key-file F]\n"
    "       botengine keys remove NAME [--data-dir DIR]\n"
    "       botengine keys encrypt|check ...   (one key file; `botengine keys encrypt` for its "
    "usage)\n"
    "the master key is 64 hex characters in a mode-0600 file or in BE_MASTER_KEY\n";

std::optional<std::string_view> env_master_key() {
  const char* env = std::getenv(std::string(binance::kMasterKeyEnv).c_str());
  if (env == nullptr) return std::nullopt;
  return std::string_view(env);
}

struct KeysArgs {
  std::string verb;
  std::string name;
  std::string data_dir = "./data";
  std::string from;  // "": standard input
  std::string master_key_file;
};

std::optional<KeysArgs> parse(Args args) {
  KeysArgs o;
  o.verb = std::string(args[0]);
  for (std::size_t i = 1; i < args.size(); ++i) {
    const bool has_value = i + 1 < args.size();
    if (args[i] == "--data-dir" && has_value) {
      o.data_dir = std::string(args[++i]);
    } else if (args[i] == "--from" && has_value && o.verb == "add") {
      o.from = std::string(args[++i]);
    } else if (args[i] == "--master-key-file" && has_value) {
      o.master_key_file = std::string(args[++i]);
    } else if (o.name.empty() && !args[i].starts_with("--") && o.verb != "list") {
      o.name = std::string(args[i]);
    } else {
      // Not echoed: a secret pasted on the command line by mistake must not reach a log.
      std::cerr << "keys " << o.verb << ": unexpected or incomplete argument #" << i + 1
                << " (the key and the secret are read from stdin or --from FILE)\n"
                << kUsage;
      return std::nullopt;
    }
  }
  if (o.verb != "list" && o.name.empty()) {
    std::cerr << "keys " << o.verb << ": the key's NAME is missing\n" << kUsage;
    return std::nullopt;
  }
  return o;
}

// Reads the API key and the secret (a line each), trimming a trailing CR.
bool read_pair(std::istream& in, std::string& api_key, std::string& secret) {
  std::getline(in, api_key);
  std::getline(in, secret);
  for (std::string* s : {&api_key, &secret})
    if (!s->empty() && s->back() == '\r') s->pop_back();
  return !api_key.empty() && !secret.empty();
}

int add(const KeysArgs& o, const binance::MasterKey& master) {
  std::string api_key;
  std::string secret;
  bool read = false;
  if (o.from.empty()) {
    read = read_pair(std::cin, api_key, secret);
  } else {
    std::ifstream file(o.from);
    if (!file) {
      std::cerr << "keys add: cannot read " << o.from << "\n";
      return 1;
    }
    read = read_pair(file, api_key, secret);
  }
  const std::filesystem::path dir = std::filesystem::path(o.data_dir) / "keys";
  auto fingerprint = read ? store_key_entry(dir, master, o.name, api_key, secret)
                          : Expected<std::string, std::string>(Unexpected(
                                std::string("expected two lines: the API key, then the secret")));
  OPENSSL_cleanse(api_key.data(), api_key.size());
  OPENSSL_cleanse(secret.data(), secret.size());
  if (!fingerprint) {
    std::cerr << "keys add: " << fingerprint.error() << "\n";
    return 1;
  }
  std::cout << "stored " << o.name << " in " << (dir / (o.name + ".key")).string()
            << " (mode 0600)\nfingerprint " << *fingerprint << "\n";
  return 0;
}

int list(const KeysArgs& o, const binance::MasterKey& master) {
  const auto entries = list_key_entries(std::filesystem::path(o.data_dir) / "keys", master);
  if (entries.empty()) std::cout << "no keys in " << o.data_dir << "/keys\n";
  for (const KeyEntry& e : entries) {
    std::cout << e.name << "  " << (e.fingerprint.empty() ? "(" + e.problem + ")" : e.fingerprint)
              << "\n";
  }
  return 0;
}

}  // namespace

int run_keys(Args args) {
  if (!args.empty() && (args[0] == "encrypt" || args[0] == "check")) {
    return binance::keys_command({args.begin(), args.end()}, env_master_key(), std::cin, std::cout,
                                 std::cerr);
  }
  if (args.empty() || (args[0] != "add" && args[0] != "list" && args[0] != "remove")) {
    std::cerr << kUsage;
    return 2;
  }
  const auto o = parse(args);
  if (!o) return 2;
  if (o->verb == "remove") {
    auto removed = remove_key_entry(std::filesystem::path(o->data_dir) / "keys", o->name);
    if (!removed) {
      std::cerr << "keys remove: " << removed.error() << "\n";
      return 1;
    }
    std::cout << "removed " << o->name << "\n";
    return 0;
  }
  auto master = binance::load_master_key(o->master_key_file, env_master_key());
  if (!master) {
    std::cerr << "keys: " << master.error() << "\n";
    return 1;
  }
  return o->verb == "add" ? add(*o, *master) : list(*o, *master);
}

}  // namespace be::cli
