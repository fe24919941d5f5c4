// Acknowledged means kept, under SIGKILL (docs/API.md, "What an answer means"): a child runs
// the engine with market data flowing and issues operator commands in a seeded loop (create,
// start, stop, pause, resume, update; some refused 409 by the bot's state), reporting each
// answer through the crash harness only after it returned; the harness kills it right after
// a seeded number of answers (~20 kills per run, the seed rotating). After each kill the
// journal, read back with journal::Reader, must hold every command answered 2xx or 409 at its
// sequence and none answered 503 "does not hold"; recovery must equal a from-scratch replay and
// keep every bot whose creation was acknowledged. Label "crash": outside the sanitizer stages.
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "tests/engine/engine_fixture.hpp"
#include "tests/support/crash_harness.hpp"
#include "tests/support/journal_paths.hpp"

namespace be::engine {
namespace {

using namespace test_support;

// One answer the child received, sent only after the call returned.
struct Answer {
  SequenceNumber sequence = 0;  // CommandResult.sequence: the command's journal position
  std::uint32_t bot = 0;        // the OperatorCommand's bot
  OperatorCommandKind kind = OperatorCommandKind::kStartBot;
  CommandStatus status = CommandStatus::kAccepted;
  bool not_held = false;  // a 503 whose message says the journal does not hold the command
  // A create refused because every bot id of the capacity is taken (ids are never reused, so
  // enough rounds of creates and deletes use them up): a 409 refused before the journal.
  bool capacity_refused = false;
};

bool kept(const Answer& a) {
  return a.status == CommandStatus::kAccepted ||
         (a.status == CommandStatus::kConflict && !a.capacity_refused);
}

std::string describe(const Answer& a) {
  return "command kind " + std::to_string(static_cast<int>(a.kind)) + " on bot " +
         std::to_string(a.bot) + " answered status " + std::to_string(static_cast<int>(a.status)) +
         " at sequence " + std::to_string(a.sequence);
}

// A config of the bot's own type under another name: an update the engine accepts.
std::string renamed(const std::string& type, std::uint64_t n) {
  std::string json = type == "grid" ? kGridBot : kDcaBot;
  const std::string old_name = "\"" + type + "\"";
  json.replace(json.find(old_name), old_name.size(), "\"" + type + " u" + std::to_string(n) + "\"");
  return json;
}

// Caps the size of files this process may write (RLIMIT_FSIZE) at `room` bytes past the
// journal's data file: its next commits past that fail with EFBIG, as on a full disk, and the
// engine must refuse (503) what it could not keep.
void limit_journal_growth(const EngineConfig& config, std::uint64_t room) {
  struct stat st {};
  if (::stat(be::test::head_data_file(config.data_dir + "/journal").c_str(), &st) != 0)
    be::test::exit_child(5);
  ::signal(SIGXFSZ, SIG_IGN);  // EFBIG instead of a kill
  const rlim_t limit = static_cast<rlim_t>(st.st_size) + room;
  const rlimit lim{limit, limit};
  if (::setrlimit(RLIMIT_FSIZE, &lim) != 0) be::test::exit_child(6);
}

// What a round's child does, drawn by the parent before the fork.
struct ChildPlan {
  std::uint64_t seed = 0;
  std::uint64_t full_after = 0;  // commands before the journal's file stops growing; 0: never
  std::uint64_t room = 0;        // bytes it may still grow then
};

// The child: commands in a seeded loop, a burst of market data before each, every answer
// reported once it returned. Never returns (the parent kills it).
[[noreturn]] void command_loop(const EngineConfig& config, const ChildPlan& plan, int round,
                               std::uint32_t max_bots, const be::test::Reporter<Answer>& report) {
  auto opened = Engine::open(config);
  if (!opened || !(*opened)->start()) be::test::exit_child(3);
  Engine& engine = **opened;
  std::mt19937_64 pick(plan.seed);
  Market market(plan.seed, 1'795'000'000'000'000'000 + round * 3'600'000'000'000LL);
  std::map<std::uint32_t, std::string> types;  // the bots and their types
  for (const BotView& b : engine.read_model()->bots)
    types[index_of(b.id)] = b.type;
  constexpr OperatorCommandKind kStateCommands[] = {
      OperatorCommandKind::kStartBot, OperatorCommandKind::kStopBot, OperatorCommandKind::kPauseBot,
      OperatorCommandKind::kResumeBot};
  for (std::uint64_t n = 0;; ++n) {
    if (plan.full_after != 0 && n == plan.full_after) limit_journal_growth(config, plan.room);
    for (int i = 0; i < 8 && engine.running(); ++i) {  // a halted engine takes no input
      const Event e = market.next();
      while (!engine.offer_event(e) && engine.running()) {
      }
    }
    const auto choice = pick() % 8;
    Answer answer;
    CommandResult result;
    if (types.empty() || (choice == 0 && types.size() < max_bots)) {
      const char* json = pick() % 2 ? kGridBot : kDcaBot;
      answer.kind = OperatorCommandKind::kCreateBot;
      result = engine.create_bot(UserId{1}, json);
      if (result.status == CommandStatus::kAccepted)
        types[index_of(result.bot)] = json == kGridBot ? "grid" : "dca";
    } else {
      auto bot = types.begin();
      std::advance(bot, static_cast<long>(pick() % types.size()));
      const BotId id{bot->first};
      if (choice == 1) {
        answer.kind = OperatorCommandKind::kUpdateBot;
        result = engine.update_bot(UserId{1}, false, id, renamed(bot->second, n));
      } else {
        answer.kind = kStateCommands[pick() % std::size(kStateCommands)];
        result = engine.bot_command(UserId{1}, false, id, answer.kind);
      }
    }
    answer.sequence = result.sequence;
    answer.bot = index_of(result.bot);
    answer.status = result.status;
    answer.not_held =
        result.status == CommandStatus::kUnavailable &&
        result.message.find("the journal does not hold this command") != std::string::npos;
    answer.capacity_refused = result.status == CommandStatus::kConflict &&
                              result.message.find("bot capacity") != std::string::npos;
    report(answer);
  }
}

TEST(AckCrashTest, nothingAcknowledgedIsLostAndNothingRefusedIsKept) {
  TempDir dir;
  EngineConfig config = test_config(dir.path);
  config.idle = "yield";
  const std::uint32_t max_bots = std::min<std::uint32_t>(12, config.fold.oms.bots);
  ChildPlan plan;
  std::set<std::uint32_t> created;  // bots whose creation was acknowledged, every round
  std::map<CommandStatus, int> tally;
  int not_held_checked = 0;  // 503s saying the journal does not hold them, checked against it

  be::test::CrashScenario<Answer> scenario;
  scenario.default_kills = 20;
  scenario.schedule = {.min_reports = 1, .max_reports = 30};
  scenario.before_fork = [&](be::test::CrashRound& round) {
    // Async and durable in turn: each answer waited for a commit, or for a commit and a sync.
    config.journal = round.index % 2 == 0 ? JournalMode::kAsync : JournalMode::kDurable;
    plan.seed = (*round.rng)();
    // Every fifth round the journal's file may grow only a little more: its commits then fail
    // (EFBIG), the engine halts, and the commands it could not keep are answered 503.
    plan.full_after = round.index % 5 == 4 ? 1 + plan.seed % 12 : 0;
    plan.room = 4096 * (1 + (plan.seed >> 8) % 16);
  };
  scenario.child = [&](const be::test::CrashRound& round, const auto& report) {
    command_loop(config, plan, round.index, max_bots, report);
  };
  scenario.check = [&](const be::test::CrashRound&, const std::vector<Answer>& answers) {
    SCOPED_TRACE("journal " + std::string(to_string(config.journal)));
    const auto journaled = journaled_commands(config.data_dir);
    for (const Answer& a : answers) {
      ++tally[a.status];
      const auto at = journaled.find(a.sequence);
      if (a.capacity_refused) {
        EXPECT_EQ(a.sequence, 0u) << describe(a) << ": refused before the journal";
        continue;
      }
      if (kept(a)) {
        // Nothing acknowledged is lost: the very command, at the position the answer gave.
        ASSERT_NE(a.sequence, 0u) << describe(a);
        ASSERT_TRUE(at != journaled.end()) << describe(a) << " is not in the journal";
        EXPECT_EQ(at->second.kind, a.kind) << describe(a);
        EXPECT_EQ(index_of(at->second.bot), a.bot) << describe(a);
        if (a.kind == OperatorCommandKind::kCreateBot && a.status == CommandStatus::kAccepted)
          created.insert(a.bot);
      } else if (a.not_held && a.sequence != 0) {
        ++not_held_checked;
        // Nothing refused as "not held" is kept.
        EXPECT_FALSE(at != journaled.end() && at->second.kind == a.kind &&
                     index_of(at->second.bot) == a.bot)
            << describe(a) << " says the journal does not hold it, but it does";
      }
    }
    auto engine = open_engine(config);
    ASSERT_TRUE(engine);
    const auto& rec = engine->recovery();
    EXPECT_EQ(rec.derived_mismatches, 0u);
    const ScratchReplay scratch = replay_from_scratch(config);
    EXPECT_EQ(scratch.derived_mismatches, 0u);
    ASSERT_EQ(rec.state_hash, scratch.hash) << "recovery and a from-scratch replay differ";
    for (const std::uint32_t bot : created) {
      EXPECT_NE(engine->read_model()->find(BotId{bot}), nullptr)
          << "bot " << bot << " was created (acknowledged) but did not survive";
    }
  };
  be::test::run_crash_rounds(scenario);
  if (HasFatalFailure()) return;
  std::string seen;
  int answers = 0;
  for (const auto& [status, count] : tally) {
    seen += " status " + std::to_string(static_cast<int>(status)) + ": " + std::to_string(count);
    answers += count;
  }
  seen += "; 503s not held by the journal: " + std::to_string(not_held_checked);
  std::printf("[ crash    ] answers checked:%s\n", seen.c_str());
  // Past a few answers the loop must have exercised both outcomes the journal keeps (about
  // half the state commands are refused by state).
  if (answers >= 20) {
    EXPECT_GT(tally[CommandStatus::kAccepted], 0) << seen;
    EXPECT_GT(tally[CommandStatus::kConflict], 0) << seen;
  }
}

}  // namespace
}  // namespace be::engine
