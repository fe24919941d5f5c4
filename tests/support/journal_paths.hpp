// Where a journal keeps its newest data (journal/layout.hpp's segments): what tests damage,
// size or cap. The journal directory itself for a journal written before segments.
#pragma once

#include <string>

#include "journal/layout.hpp"

namespace be::test {

inline std::string head_segment(const std::string& journal_dir) {
  auto segments = journal::list_live_segments(journal_dir);
  return segments && !segments->empty() ? segments->back().path : journal_dir;
}

inline std::string head_data_file(const std::string& journal_dir) {
  return head_segment(journal_dir) + "/data.mdb";
}

}  // namespace be::test
