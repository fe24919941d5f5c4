// Test helpers: where the shared real data lives, golden CSV columns, tolerant comparison.
#pragma once

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

namespace be::test {

// $BE_SHARED_DATA (ctest sets it to <repo>/../shared/data), or nullopt when absent.
inline std::optional<std::string> shared_data_dir() {
  const char* dir = std::getenv("BE_SHARED_DATA");
  if (dir == nullptr || *dir == '\0') return std::nullopt;
  std::ifstream probe(std::string(dir) + "/README.md");
  if (!probe) return std::nullopt;
  return std::string(dir);
}

// Column `col` (0-based, after splitting on ',') of a CSV with a header line; empty cells
// become nullopt (TA-Lib's warm-up).
// One CSV line's cells; a trailing comma is one more (empty) cell.
inline std::vector<std::string> csv_cells(const std::string& line) {
  std::vector<std::string> cells;
  std::stringstream ss(line);
  std::string cell;
  while (std::getline(ss, cell, ','))
    cells.push_back(cell);
  if (!line.empty() && line.back() == ',') cells.emplace_back();
  return cells;
}

inline std::vector<std::optional<double>> read_csv_column(const std::string& path,
                                                          std::size_t col) {
  std::vector<std::optional<double>> out;
  std::ifstream in(path);
  std::string line;
  bool header = true;
  while (std::getline(in, line)) {
    if (header) {
      header = false;
      continue;
    }
    if (!line.empty() && line.back() == '\r') line.pop_back();
    const std::vector<std::string> cells = csv_cells(line);
    if (col >= cells.size() || cells[col].empty()) {
      out.emplace_back(std::nullopt);
    } else {
      out.emplace_back(std::strtod(cells[col].c_str(), nullptr));
    }
  }
  return out;
}

// |a - b| relative to the larger magnitude, with `floor` as the smallest magnitude used: an
// output that crosses zero (MACD histogram) is compared relative to its scale, not to 0.
inline double relative_error(double a, double b, double floor = 0.0) {
  const double scale = std::max({std::fabs(a), std::fabs(b), floor});
  return scale == 0.0 ? 0.0 : std::fabs(a - b) / scale;
}

}  // namespace be::test
