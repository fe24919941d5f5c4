// The fields a list of config errors names, in order: what tests compare with the fields they
// expected to be refused.
#pragma once

#include <string>
#include <vector>

#include "core/json_config.hpp"

namespace be::test {

inline std::vector<std::string> field_names(const std::vector<config::FieldError>& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors)
    out.push_back(e.field);
  return out;
}

}  // namespace be::test
