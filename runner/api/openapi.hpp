// The control API's OpenAPI 3.1 document (docs/openapi.json), embedded at build time by
// openapi.cmake and served at GET /api/v1/openapi.json without a token. tests/api checks it
// against the route table, lints it and validates the live answers of the engine against it.
#pragma once

#include <string_view>

namespace be::api {

// docs/openapi.json byte for byte. Immutable static data; safe from any thread.
std::string_view openapi_document() noexcept;

}  // namespace be::api
