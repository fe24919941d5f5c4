// The control API's route table, shared by the dispatcher (router.cpp) and the handlers
// (routes.cpp). Internal to runner/api.
//
// A route is a method and a path pattern: literal segments, `{bot}` (a bot id; a segment that
// is not one answers 404 "no such bot") and a final `{*}` (the rest of the path, maybe empty).
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
};

struct Router::Call {
  const HttpRequest& request;
  std::string_view path;
  SteadyTime now;
  const User* user = nullptr;
  std::shared_ptr<const engine::ReadModel> model;
  BotId bot = kNoBot;     // the {bot} segment
  std::string_view rest;  // the {*} segment

  bool get() const noexcept { return request.method == "GET"; }
  bool post() const noexcept { return request.method == "POST"; }
  bool sees(const engine::BotView& bot_view) const noexcept {
    return user->admin || bot_view.owner == user->id;
  }
};

struct Router::Route {
  std::string_view method;   // "GET", "POST", ...; "*": any
  std::string_view pattern;  // "/api/v1/bots/{bot}/orders"
  Needs needs;
  HttpResponse (*handler)(Router& router, Call& call);
};

std::optional<BotId> parse_bot_id(std::string_view text) noexcept;

}  // namespace be::api
