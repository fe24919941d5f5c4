// The runner's key store: one encrypted key file per named entry in a directory (by default
// <data dir>/keys/<name>.key, mode 0600), in the Binance key-file format of
// oms/venues/binance/key_store.hpp (AES-256-GCM under the master key). An account names its
// entry (AccountView::key_name); the journal holds only the entry's name and the fingerprint
// of its API key id (sha256 hex), never the key or the secret.
//
// Used by `botengine keys add|list|remove` (cmd_keys.cpp) and by `botengine run` for the
// control API's key uploads (POST /api/v1/accounts/{id}/keys).
//
// Secrets: never in an error message or on an output stream; the caller's copies are its
// own to wipe. Thread-safety: free functions; concurrent writers of one name race like
// rename(2) (the last one wins, each file whole).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "oms/venues/binance/key_store.hpp"

namespace be::cli {

// The fingerprint an account records: sha256 of the API key id, 64 lowercase hex digits.
std::string key_fingerprint(std::string_view api_key);

// The entry's file, or an error when the name could escape the directory or hide (empty, a
// leading '.', a '/', over 64 bytes).
Expected<std::filesystem::path, std::string> key_entry_path(const std::filesystem::path& dir,
                                                            std::string_view name);

// Encrypts and writes the entry (the directory is created, mode 0700); returns the fingerprint.
Expected<std::string, std::string> store_key_entry(const std::filesystem::path& dir,
                                                   const binance::MasterKey& master,
                                                   std::string_view name, std::string_view api_key,
                                                   std::string_view secret);

// The fingerprint of a stored entry (decrypted with the master key, then wiped).
Expected<std::string, std::string> key_entry_fingerprint(const std::filesystem::path& dir,
                                                         const binance::MasterKey& master,
                                                         std::string_view name);

struct KeyEntry {
  std::string name;
  std::string fingerprint;  // "" when it could not be decrypted (`problem` says why)
  std::string problem;
};
// Every entry, by name.
std::vector<KeyEntry> list_key_entries(const std::filesystem::path& dir,
                                       const binance::MasterKey& master);

// Deletes the entry's file. Errors: no such entry, or the system's refusal.
Expected<bool, std::string> remove_key_entry(const std::filesystem::path& dir,
                                             std::string_view name);

}  // namespace be::cli
