#include "tests/runner/doc_fixtures.hpp"

namespace be::test {

void write_doc_fixtures(const std::filesystem::path& /*dir*/) {}

}  // namespace be::test
