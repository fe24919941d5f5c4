// Archived segments: a sealed segment's data.mdb compressed with zstd (libzstd) into the
// archive directory, and decompressed again to a scratch directory for reading, since LMDB
// reads only a mapped file (docs/JOURNAL.md "Retention and archive").
//
// Both stream through fixed buffers (ZSTD_CStreamInSize/OutSize, about 128 KiB each): memory
// does not grow with the segment. Writes go to "<target>.part", are fsynced, then renamed over
// the target and the directory fsynced, so a crash leaves the old target or the whole new one.
#pragma once

#include <cstdint>
#include <string>

#include "journal/error.hpp"

namespace be::journal {

// Compresses `from` into `to` at zstd `level` (1..19). `bytes_out` receives the compressed
// size. Errors: kIo (naming the file and errno, or zstd's reason).
Error compress_file(const std::string& from, const std::string& to, int level,
                    std::uint64_t& bytes_out);
// Decompresses `from` (a zstd frame sequence) into `to`. Errors: kIo, kCorrupt (zstd refused
// the data: a damaged or truncated archive, named).
Error decompress_file(const std::string& from, const std::string& to);

}  // namespace be::journal
