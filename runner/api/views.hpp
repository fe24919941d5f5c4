// The control API's views: JSON renderings of the engine's read model (engine/read_model.hpp)
// and the API's answer shapes (errors, 422 field errors). No routing, no sockets.
//
// Thread-safety: pure functions over their arguments.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "core/json_config.hpp"
#include "runner/api/json_writer.hpp"
#include "runner/api/router.hpp"

namespace be::api {

// A stored config is re-serialised from its parse, so the answer is valid JSON whatever the
// stored text holds (null when it does not parse).
void write_config(JsonWriter& w, std::string_view json);
void write_position(JsonWriter& w, const engine::PositionView& p);
void write_order(JsonWriter& w, const engine::OrderView& o);
void write_fill(JsonWriter& w, const engine::FillView& f);
// The fields of a bot summary (inside an object the caller opened).
void write_bot_fields(JsonWriter& w, const engine::BotView& b, const TokenStore& tokens);
void write_engine(JsonWriter& w, const engine::EngineView& e);

HttpResponse json_response(int status, std::string body);
// 422 {"errors":[{field,message}]}
HttpResponse errors_response(const std::vector<config::FieldError>& errors);

}  // namespace be::api
