#include "core/file_read.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

namespace be {

Expected<std::string, std::string> read_file(const std::string& path, std::uint64_t max_bytes) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Unexpected("cannot open " + path);
  if (max_bytes != std::numeric_limits<std::uint64_t>::max()) {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec) return Unexpected("cannot read " + path + ": " + ec.message());
    if (size > max_bytes) {
      return Unexpected(path + " is " + std::to_string(size) + " bytes, more than the " +
                        std::to_string(max_bytes) + " read here");
    }
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Unexpected("cannot read " + path);
  return std::move(text).str();
}

}  // namespace be
