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
void write_bot_fields(JsonWriter& w, const engine::BotView& b, std::string_view owner_name);
// `balances` as the caller may see them: the engine's (account 0) for an admin only.
void write_engine(JsonWriter& w, const engine::EngineView& e, bool balances);
void write_balances(JsonWriter& w, const std::vector<engine::BalanceView>& balances);
// An account object: mode, venue, endpoint, the key's name and fingerprint (never the key),
// its kill switch and balances.
void write_account(JsonWriter& w, const engine::AccountView& a, std::string_view owner_name);
// A user object: id, name, role, disabled (never the token or its hash).
void write_user(JsonWriter& w, const engine::UserView& u);

HttpResponse json_response(int status, std::string body);
// 422 {"errors":[{field,message}]}
HttpResponse errors_response(const std::vector<config::FieldError>& errors);
// A command's answer: `ok_status` with {"id"?,"sequence"} when accepted, else its error
// (404 says `not_found`, or the engine's message when it gave one).
HttpResponse command_response(const engine::CommandResult& result, int ok_status,
                              std::string_view not_found);

}  // namespace be::api
