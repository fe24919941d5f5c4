// The deployment config's "api" object: the control API's listen address and limits
// (docs/CONFIG.md#api), read over built-in defaults so an absent key keeps its default.
// Errors: every bad field named, with the same paths and words as the engine's config errors.
#pragma once

#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "core/json_config.hpp"
#include "runner/api/server.hpp"

namespace be::api {

Expected<ApiOptions, std::vector<config::FieldError>> read_api_options(std::string_view config_json,
                                                                       ApiOptions defaults = {});

}  // namespace be::api
