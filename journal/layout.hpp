// Where a journal's segments live (docs/JOURNAL.md "Segments"):
//
//   <dir>/data.mdb, <dir>/lock.mdb          a journal written before segments existed: its
//                                           first ("legacy") segment
//   <dir>/segments/<first>/data.mdb         one LMDB environment per segment; <first> is the
//                                           segment's first sequence as 20 decimal digits
//   <dir>/segments/.tmp-<first>/            a segment a roll is still creating: ignored by
//                                           readers, removed by the next writer
//   <archive>/<first>.mdb.zst               an archived segment: its data.mdb, zstd-compressed
//
// Sorting the names sorts the segments: every record of a segment is at or above its name and
// below the next segment's name.
#pragma once

#include <string>
#include <vector>

#include "core/expected.hpp"
#include "core/ids.hpp"
#include "journal/error.hpp"

namespace be::journal {

struct SegmentPath {
  SequenceNumber first = 0;  // the name; 0 for the legacy segment (its first record is first)
  std::string path;          // the segment directory, or the archive file when archived
  bool legacy = false;
  bool archived = false;
};

std::string segment_name(SequenceNumber first);  // 20 digits, zero-padded
std::string segments_dir(const std::string& dir);
std::string archive_file(const std::string& archive_dir, SequenceNumber first);

// The live segments of the journal in `dir`, ascending: the legacy one first when
// <dir>/data.mdb exists. Empty when there are none. Errors: kIo (an unreadable directory),
// kCorrupt (a name under segments/ that is not 20 digits).
Expected<std::vector<SegmentPath>, Error> list_live_segments(const std::string& dir);
// The archived segments in `archive_dir`, ascending; empty when the directory does not exist.
Expected<std::vector<SegmentPath>, Error> list_archived_segments(const std::string& archive_dir);

// Removes segments/.tmp-* left by a roll a crash interrupted. Errors: kIo.
Error remove_unfinished_segments(const std::string& dir);
// Removes a segment directory's data.mdb and lock.mdb, then the directory (the legacy
// segment: only the two files). Errors: kIo.
Error remove_segment_files(const SegmentPath& segment);
// fsync of a directory, so a rename or unlink in it is durable. Errors: kIo.
Error sync_directory(const std::string& path);

}  // namespace be::journal
