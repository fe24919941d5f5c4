// GET /api/v1/bots at any number of bots: the query string parsed into a BotQuery (every bad
// value refused with the message the 400 carries) and the one page it selects from a read
// model (docs/API.md "Listing bots: pages and filters").
//
// Order and cursors: by id (the read model's order) the cursor is the last id returned, so a
// bot created or deleted between two pages neither shifts nor repeats the others. sort=pnl is
// highest PnL first, ties by id; its cursor is the last bot's (pnl, id), so the pages are
// consistent for a model that did not change, and a bot whose PnL moves between two requests
// may be seen twice or not at all (PnL is live). Cursors are opaque to clients and valid for
// the sort that made them only.
//
// Thread-safety: pure functions over their arguments.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "engine/control.hpp"

namespace be::api {

inline constexpr std::size_t kBotPageDefault = 100;
inline constexpr std::size_t kBotPageMax = 1000;

enum class BotSort : std::uint8_t { kId, kPnl };

struct BotQuery {
  std::size_t limit = kBotPageDefault;
  BotSort sort = BotSort::kId;
  std::optional<BotState> state;
  std::optional<std::string> symbol;  // exact
  std::optional<std::string> type;    // exact registry type
  std::optional<UserId> owner;        // admins only
  std::string search;                 // case-insensitive part of the name or symbol
  // Where the previous page ended (decoded cursor): after this id, and for kPnl this PnL.
  std::optional<BotId> after_id;
  double after_pnl = 0;
};

struct QueryError {
  int status = 400;  // 400 bad value, 403 owner filter by a user
  std::string message;
};

// `target`'s query string as a BotQuery for `viewer`: unknown parameters, a limit outside
// 1..kBotPageMax, an unknown state or sort, a cursor this API did not give out (or gave for
// another sort), an owner that is no user are 400; an owner filter from a non-admin is 403.
Expected<BotQuery, QueryError> parse_bot_query(std::string_view target,
                                               const engine::ReadModel& model, bool viewer_admin);

struct BotPage {
  std::vector<const engine::BotView*> bots;  // into the model
  std::string next_cursor;                   // empty at the end
};

// The page `query` selects among the bots `viewer` may see (its own; an admin's: all).
BotPage select_bots(const engine::ReadModel& model, const BotQuery& query, UserId viewer,
                    bool viewer_admin);

}  // namespace be::api
