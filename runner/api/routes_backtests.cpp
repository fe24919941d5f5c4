// The backtest routes (docs/API.md, "Backtests"): a user's bot configs, validated as a create
// would validate them, queued on the runner's BacktestQueue (backtests.hpp), and the job's
// state and report shown to its owner (and admins) only: someone else's job is 404.
#include "core/json_config.hpp"
#include "runner/api/backtests.hpp"
#include "runner/api/json_writer.hpp"
#include "runner/api/routes.hpp"
#include "runner/api/views.hpp"

namespace be::api {

namespace {

HttpResponse no_backtests() {
  return error_response(409, "no_journal",
                        "this deployment keeps no journal (engine.journal is off), so there is "
                        "no recorded market to backtest on");
}

HttpResponse no_job() {
  return error_response(404, "not_found", "no such backtest");
}

// Job `id` when `user` may see it (its owner or an admin); otherwise the answer: someone
// else's job is 404, exactly as one that does not exist.
Expected<BacktestJob, HttpResponse> visible_job(const BacktestQueue* queue, std::uint32_t id,
                                                const User& user) {
  if (queue == nullptr) return Unexpected(no_backtests());
  auto job = queue->find(id);
  if (!job || (!user.admin && job->owner != user.id)) return Unexpected(no_job());
  return std::move(*job);
}

void write_summary(JsonWriter& w, const BacktestJob& job) {
  w.field("id", job.id)
      .field("owner", index_of(job.owner))
      .field("state", to_string(job.state))
      .field("bots", job.bots);
  w.time_field("submitted", job.submitted)
      .time_field("started", job.started)
      .time_field("finished", job.finished);
  if (job.state == BacktestState::kFailed) w.field("error", job.error);
}

}  // namespace

// GET /api/v1/backtests: the caller's jobs (an admin's: everyone's), newest first, without
// their reports.
HttpResponse Router::BacktestHandlers::list(Router& r, Call& call) {
  BacktestQueue* queue = r.options_.backtests;
  if (queue == nullptr) return no_backtests();
  JsonWriter w;
  w.begin_object().key("backtests").begin_array();
  for (const BacktestJob& job : queue->list(call.user->id, call.user->admin)) {
    w.begin_object();
    write_summary(w, job);
    w.end_object();
  }
  w.end_array().end_object();
  return json_response(200, std::move(w).str());
}

// POST /api/v1/backtests {"bots": [<bot config>, ...]}: 202 {"id", "state"} once queued.
HttpResponse Router::BacktestHandlers::submit(Router& r, Call& call) {
  BacktestQueue* queue = r.options_.backtests;
  if (queue == nullptr) return no_backtests();
  auto parsed = config::parse(call.request.body);
  if (!parsed) return errors_response({{"", "invalid JSON: " + parsed.error()}});
  std::vector<config::FieldError> errors;
  const config::Value* bots =
      parsed->kind == config::Value::Kind::kObject ? parsed->find("bots") : nullptr;
  if (bots == nullptr || bots->kind != config::Value::Kind::kArray) {
    return errors_response({{"bots", "the body must be {\"bots\": [<bot config>, ...]}"}});
  }
  for (std::size_t k = 0; k < parsed->keys.size(); ++k) {
    if (parsed->keys[k] != "bots") errors.push_back({parsed->keys[k], "unknown field"});
  }
  const std::size_t max_bots = queue->limits().max_bots;
  if (bots->items.empty() || bots->items.size() > max_bots) {
    errors.push_back({"bots", "from 1 to " + std::to_string(max_bots) + " bot configs, got " +
                                  std::to_string(bots->items.size())});
  }
  if (!errors.empty()) return errors_response(errors);
  std::vector<std::string> configs;
  for (std::size_t i = 0; i < bots->items.size(); ++i) {
    const std::string prefix = "bots[" + std::to_string(i) + "]";
    if (bots->items[i].kind != config::Value::Kind::kObject) {
      errors.push_back({prefix, "must be a bot config (JSON object)"});
      continue;
    }
    configs.push_back(config::to_json(bots->items[i]));
    for (config::FieldError& e : r.engine_.validate_bot_config(configs.back()))
      errors.push_back({prefix + (e.field.empty() ? "" : "." + e.field), std::move(e.message)});
  }
  if (!errors.empty()) return errors_response(errors);
  auto id = queue->submit(call.user->id, std::move(configs));
  if (!id) {
    switch (id.error().why) {
      case BacktestQueue::Refusal::kFull: {
        HttpResponse busy = error_response(429, "busy", id.error().message);
        busy.retry_after_seconds = 10;
        return busy;
      }
      case BacktestQueue::Refusal::kUserHasOne:
        return error_response(409, "conflict", id.error().message);
      case BacktestQueue::Refusal::kTooManyBots:
      case BacktestQueue::Refusal::kNoBots:
        return errors_response({{"bots", id.error().message}});
    }
  }
  JsonWriter w;
  w.begin_object().field("id", *id).field("state", "queued").end_object();
  return json_response(202, std::move(w).str());
}

// GET /api/v1/backtests/{backtest}: the job, and its report (JSON) once done.
HttpResponse Router::BacktestHandlers::job(Router& r, Call& call) {
  auto job = visible_job(r.options_.backtests, call.id, *call.user);
  if (!job) return std::move(job.error());
  JsonWriter w;
  w.begin_object();
  write_summary(w, *job);
  if (job->report_json) w.key("report").raw(*job->report_json);
  w.end_object();
  return json_response(200, std::move(w).str());
}

// GET /api/v1/backtests/{backtest}/report: the HTML report once done (404 before).
HttpResponse Router::BacktestHandlers::report(Router& r, Call& call) {
  auto job = visible_job(r.options_.backtests, call.id, *call.user);
  if (!job) return std::move(job.error());
  if (!job->report_html) {
    return error_response(404, "not_found",
                          "backtest " + std::to_string(job->id) + " is " +
                              std::string(to_string(job->state)) + ": it has no report");
  }
  HttpResponse out;
  out.content_type = "text/html; charset=utf-8";
  out.body = *job->report_html;
  return out;
}

}  // namespace be::api
