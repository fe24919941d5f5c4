// The members of a zip archive, inflated and CRC-checked: what `botengine data import` reads
// Binance's public data archives (one CSV per .zip) and Kraken's Time & Sales downloads with.
//
// Why a small reader on zlib rather than libzip or minizip: the archives we read are plain
// PKZIP files whose members are stored or deflated, nothing more (no encryption, no zip64:
// Binance's monthly trade archives stay well under 4 GiB compressed and uncompressed is the
// only size that can pass it, which zip64 would mark and this reader then refuses by name).
// zlib's raw inflate and crc32 do the work in ~150 lines; zlib1g-dev is already on every
// machine that builds botengine (libpng-dev, python3-dev and Boost pull it), whereas
// libzip-dev would be a new package and Debian ships minizip's headers only in
// libminizip-dev, another one. docs/RESEARCH.md says the same.
//
// Reading: the central directory (found from the end-of-central-directory record) lists the
// members; each member's local header must agree with it; the data is inflated into memory
// and its CRC-32 and size compared with the directory's. Anything else is an error naming
// the archive (and the member).
//
// Thread-safety: pure functions. Allocates (load-time code).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

namespace be::feed::import {

struct ZipMember {
  std::string name;  // as stored, '/' separated
  std::string data;  // inflated
};

// Every member of the archive in `bytes` (directories skipped), in directory order.
// `source` names the archive in errors: "x.zip: member a.csv: CRC-32 mismatch".
Expected<std::vector<ZipMember>, std::string> read_zip(std::string_view bytes,
                                                       std::string_view source);

// True if `bytes` starts like a zip archive ("PK\3\4", or the empty archive's "PK\5\6").
bool looks_like_zip(std::string_view bytes) noexcept;

}  // namespace be::feed::import
