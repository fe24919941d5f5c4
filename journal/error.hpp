// Errors of the journal: a code to branch on, the sequence it concerns (0 when none) and a
// sentence for a human that names the file or sequence and the reason.
#pragma once

#include <cstdint>
#include <string>

#include "core/ids.hpp"

namespace be::journal {

enum class Errc : std::uint8_t {
  kOk = 0,
  kNotFound,         // no journal in the directory (data.mdb missing) and creation not asked
  kForeign,          // data.mdb is not LMDB, or an LMDB env without botengine's meta
  kTruncated,        // data.mdb is shorter than its own meta page says
  kSchemaMismatch,   // meta says another kSchemaVersion
  kCorrupt,          // a frame fails its size or CRC check, or a meta value is malformed
  kGap,              // sequences are not contiguous
  kUnknownRecord,    // a type/version this build cannot decode
  kIo,               // an LMDB or OS call failed (disk full, EIO, EFBIG, permissions)
  kClosed,           // the writer was closed or has failed and accepts nothing more
  kInvalidArgument,  // a caller error: bad options, a sequence that is not next
};

const char* to_string(Errc code) noexcept;

struct Error {
  Errc code = Errc::kOk;
  SequenceNumber sequence = 0;  // the record concerned; 0 when the error is not about one
  std::string message;          // full sentence, includes the sequence when there is one

  bool ok() const noexcept { return code == Errc::kOk; }
};

}  // namespace be::journal
