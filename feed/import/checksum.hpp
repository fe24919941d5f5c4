// SHA-256 of an archive against the `.CHECKSUM` file Binance publishes beside it
// (data.binance.vision: "BTCUSDT-1m-2021-02-19.zip.CHECKSUM" holds sha256sum's line
// "<64 hex digits>  BTCUSDT-1m-2021-02-19.zip"). OpenSSL (already a dependency, for TLS)
// computes the digest.
//
// Thread-safety: pure functions.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace be::feed::import {

// Lower-case hex SHA-256 of `bytes`.
std::string sha256_hex(std::string_view bytes);

// nullopt when `checksum_text` (a .CHECKSUM file's content) names `archive_name` (or no file)
// with the digest of `archive`; else why not ("digest mismatch: file has ..., CHECKSUM says
// ...", "names other.zip, not x.zip", "not a sha256sum line").
std::optional<std::string> check_sha256(std::string_view archive, std::string_view archive_name,
                                        std::string_view checksum_text);

}  // namespace be::feed::import
