// Files the doc examples refer to, written into their scratch directory before they run:
// the examples show real output for these exact inputs.
#pragma once

#include <filesystem>

namespace be::test {

void write_doc_fixtures(const std::filesystem::path& dir);

}  // namespace be::test
