// GET /api/v1/bots' query and page (bot_query.hpp says the contract).
#include "runner/api/bot_query.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cmath>
#include <utility>

#include "runner/api/router.hpp"

namespace be::api {

using engine::BotView;
using engine::ReadModel;

namespace {

constexpr std::array<std::string_view, 8> kParameters{"limit", "cursor", "state", "symbol",
                                                      "type",  "owner",  "sort",  "q"};
constexpr std::string_view kIdCursor = "id.";
constexpr std::string_view kPnlCursor = "pnl.";

Unexpected<QueryError> bad(std::string message, int status = 400) {
  return Unexpected(QueryError{status, std::move(message)});
}

template <class T>
std::optional<T> whole_number(std::string_view text) {
  T v{};
  const auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || r.ec != std::errc{} || r.ptr != text.data() + text.size()) return {};
  return v;
}

// A bot's PnL as the order of sort=pnl sees it (an empty text, no trade yet, is 0).
double pnl_of(std::string_view text) {
  double v = 0;
  std::from_chars(text.data(), text.data() + text.size(), v);
  return std::isfinite(v) ? v : 0;
}

// Why the query's parameter names are refused (one this route does not know, or one given
// twice: which would count?), or nullopt.
std::optional<std::string> bad_parameter(std::string_view target) {
  const std::size_t q = target.find('?');
  if (q == std::string_view::npos) return {};
  std::string_view query = target.substr(q + 1);
  std::array<bool, kParameters.size()> seen{};
  while (!query.empty()) {
    const std::size_t amp = query.find('&');
    const std::string_view pair = query.substr(0, amp);
    const std::string_view name = pair.substr(0, pair.find('='));
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (name.empty()) continue;
    const auto known = std::find(kParameters.begin(), kParameters.end(), name);
    if (known == kParameters.end()) {
      return "unknown parameter " + std::string(name.substr(0, 40)) +
             " (limit, cursor, state, symbol, type, owner, sort, q)";
    }
    if (std::exchange(seen[static_cast<std::size_t>(known - kParameters.begin())], true))
      return std::string(name) + " is given twice";
  }
  return {};
}

// "id.<id>" or "pnl.<id>.<pnl>" into `query`; false when it is neither for query.sort.
bool decode_cursor(std::string_view cursor, BotQuery& query) {
  const std::string_view prefix = query.sort == BotSort::kPnl ? kPnlCursor : kIdCursor;
  if (!cursor.starts_with(prefix)) return false;
  cursor.remove_prefix(prefix.size());
  const std::size_t dot = query.sort == BotSort::kPnl ? cursor.find('.') : cursor.size();
  if (dot == std::string_view::npos) return false;
  const auto id = whole_number<std::uint32_t>(cursor.substr(0, dot));
  if (!id || BotId{*id} == kNoBot) return false;
  query.after_id = BotId{*id};
  if (query.sort == BotSort::kPnl) {
    const std::string_view pnl = cursor.substr(dot + 1);
    const auto r = std::from_chars(pnl.data(), pnl.data() + pnl.size(), query.after_pnl);
    if (pnl.empty() || r.ec != std::errc{} || r.ptr != pnl.data() + pnl.size() ||
        !std::isfinite(query.after_pnl))
      return false;
  }
  return true;
}

std::optional<UserId> find_owner(const ReadModel& model, std::string_view text) {
  if (const auto id = whole_number<std::uint32_t>(text)) {
    if (UserId{*id} == kEngineUser || model.find_user(UserId{*id}) != nullptr) return UserId{*id};
    return {};
  }
  for (const engine::UserView& u : model.users)
    if (u.name == text) return u.id;
  return {};
}

bool contains_folded(std::string_view text, std::string_view part) {
  const auto fold = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c + 32) : c; };
  return std::search(text.begin(), text.end(), part.begin(), part.end(),
                     [&](char a, char b) { return fold(a) == fold(b); }) != text.end();
}

bool matches(const BotView& b, const BotQuery& q, UserId viewer, bool admin) {
  if (!admin && b.owner != viewer) return false;
  if (q.owner && b.owner != *q.owner) return false;
  if (q.state && b.state != *q.state) return false;
  if (q.symbol && b.symbol != *q.symbol) return false;
  if (q.type && b.type != *q.type) return false;
  return q.search.empty() || contains_folded(b.name, q.search) ||
         contains_folded(b.symbol, q.search);
}

}  // namespace

Expected<BotQuery, QueryError> parse_bot_query(std::string_view target, const ReadModel& model,
                                               bool viewer_admin) {
  BotQuery query;
  if (auto why = bad_parameter(target)) return bad(std::move(*why));
  if (auto limit = query_param(target, "limit")) {
    const auto n = whole_number<std::size_t>(*limit);
    if (!n || *n < 1 || *n > kBotPageMax)
      return bad("limit must be a whole number from 1 to " + std::to_string(kBotPageMax));
    query.limit = *n;
  }
  if (auto sort = query_param(target, "sort")) {
    if (*sort == "pnl")
      query.sort = BotSort::kPnl;
    else if (*sort != "id")
      return bad("sort must be id or pnl");
  }
  if (auto state = query_param(target, "state")) {
    for (auto code = 0; code <= static_cast<int>(BotState::kDeleted); ++code)
      if (to_string(static_cast<BotState>(code)) == *state)
        query.state = static_cast<BotState>(code);
    if (!query.state || *query.state == BotState::kDeleted)
      return bad("state must be one of stopped, starting, running, paused, error, stopping");
  }
  query.symbol = query_param(target, "symbol");
  query.type = query_param(target, "type");
  if ((query.symbol && query.symbol->empty()) || (query.type && query.type->empty()))
    return bad("symbol and type, when given, must not be empty");
  query.search = query_param(target, "q").value_or("");
  if (query.search.size() > 100) return bad("q is at most 100 characters");
  if (auto owner = query_param(target, "owner")) {
    if (!viewer_admin) return bad("only an admin may filter by owner", 403);
    query.owner = find_owner(model, *owner);
    if (!query.owner) return bad("owner is not a user's id or name");
  }
  if (auto cursor = query_param(target, "cursor")) {
    if (!decode_cursor(*cursor, query))
      return bad("cursor is not one this listing gave out (for this sort)");
  }
  return query;
}

BotPage select_bots(const ReadModel& model, const BotQuery& query, UserId viewer,
                    bool viewer_admin) {
  BotPage page;
  const auto fits = [&](const BotView& b) { return matches(b, query, viewer, viewer_admin); };
  if (query.sort == BotSort::kId) {
    // The model holds bots by id: start after the cursor, stop one past the page.
    auto it = model.bots.begin();
    if (query.after_id) {
      it = std::upper_bound(model.bots.begin(), model.bots.end(), *query.after_id,
                            [](BotId id, const BotView& b) { return id < b.id; });
    }
    for (; it != model.bots.end(); ++it) {
      if (!fits(*it)) continue;
      if (page.bots.size() == query.limit) {
        page.next_cursor = std::string(kIdCursor) + std::to_string(index_of(page.bots.back()->id));
        break;
      }
      page.bots.push_back(&*it);
    }
    return page;
  }
  struct Ranked {
    double pnl;
    const BotView* bot;
  };
  const auto before = [](const Ranked& a, const Ranked& b) {
    return a.pnl != b.pnl ? a.pnl > b.pnl : a.bot->id < b.bot->id;
  };
  std::vector<Ranked> ranked;
  for (const BotView& b : model.bots) {
    if (!fits(b)) continue;
    const Ranked r{pnl_of(b.pnl), &b};
    // After the cursor: a lower PnL, or the same PnL and a higher id.
    if (query.after_id &&
        !(r.pnl < query.after_pnl || (r.pnl == query.after_pnl && r.bot->id > *query.after_id)))
      continue;
    ranked.push_back(r);
  }
  const std::size_t take = std::min(ranked.size(), query.limit);
  std::partial_sort(ranked.begin(), ranked.begin() + static_cast<std::ptrdiff_t>(take),
                    ranked.end(), before);
  for (std::size_t i = 0; i < take; ++i)
    page.bots.push_back(ranked[i].bot);
  if (ranked.size() > take) {
    // The PnL as the shortest text that reads back as the same double: the next page
    // compares exactly what this one sorted by.
    const Ranked& last = ranked[take - 1];
    std::array<char, 32> pnl{};
    const auto end = std::to_chars(pnl.data(), pnl.data() + pnl.size(), last.pnl).ptr;
    page.next_cursor = std::string(kPnlCursor) + std::to_string(index_of(last.bot->id)) + "." +
                       std::string(pnl.data(), end);
  }
  return page;
}

}  // namespace be::api
