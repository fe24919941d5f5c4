// The control API's route table, shared by the dispatcher (router.cpp) and the handlers
// (routes.cpp). Internal to runner/api.
//
// A route is a method and a path pattern: literal segments, `{bot}`, `{account}` or `{user}`
// (an id; a segment that is not one answers 404 "no such bot" / "account" / "user") and a
// final `{*}` (the rest of the path, maybe empty).
// The first row whose pattern fits the path decides what the request needs before its handler
// runs; rows with that same pattern and another method make the 405's "use ..." list.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "runner/api/router.hpp"

namespace be::api {

// What a route needs before its handler runs, checked in this order.
enum class Needs : std::uint8_t {
  kNothing,  // public (health)
  kUser,     // a valid token within its rate
  kModel,    // ... and a published read model (503 while the engine starts)
  kAdmin,    // ... and an admin's token (403 for a user)
};

inline constexpr std::uint32_t kNoId = 0xFFFF'FFFF;

struct Router::Call {
  const HttpRequest& request;
  std::string_view path;
  SteadyTime now;
  std::optional<User> user;
  std::shared_ptr<const engine::ReadModel> model;
  std::uint32_t id = kNoId;  // the {bot}, {account} or {user} segment
  BotId bot = kNoBot;        // the {bot} segment
  std::string_view rest;     // the {*} segment

  bool get() const noexcept { return request.method == "GET"; }
  bool post() const noexcept { return request.method == "POST"; }
  bool sees(const engine::BotView& bot_view) const noexcept {
    return user->admin || bot_view.owner == user->id;
  }
  bool sees(const engine::AccountView& account) const noexcept {
    return user->admin || account.owner == user->id;
  }
};

struct Router::Route {
  std::string_view method;   // "GET", "POST", ...; "*": any
  std::string_view pattern;  // "/api/v1/bots/{bot}/orders"
  Needs needs;
  HttpResponse (*handler)(Router& router, Call& call);
};

// routes_accounts.cpp: users, accounts, keys and the audit.
struct Router::AccountHandlers {
  static HttpResponse accounts(Router& r, Call& call);
  static HttpResponse account(Router& r, Call& call);
  static HttpResponse account_create(Router& r, Call& call);
  static HttpResponse account_remove(Router& r, Call& call);
  static HttpResponse account_kill_switch(Router& r, Call& call);  // PUT sets, DELETE resets
  static HttpResponse account_keys(Router& r, Call& call);
  static HttpResponse users(Router& r, Call& call);
  static HttpResponse user_create(Router& r, Call& call);
  static HttpResponse user_update(Router& r, Call& call);
  static HttpResponse user_token(Router& r, Call& call);
  static HttpResponse audit(Router& r, Call& call);

 private:
  static const engine::AccountView* visible_account(const Call& call);
  static HttpResponse no_account(const Call& call);
  static HttpResponse created_answer(const engine::CommandResult& result);
};

// routes_backtests.cpp: the backtest jobs (RouterOptions::backtests).
struct Router::BacktestHandlers {
  static HttpResponse list(Router& r, Call& call);
  static HttpResponse submit(Router& r, Call& call);
  static HttpResponse job(Router& r, Call& call);
  static HttpResponse report(Router& r, Call& call);
};

std::optional<BotId> parse_bot_id(std::string_view text) noexcept;

}  // namespace be::api
