// What an answer means (docs/API.md): a 2xx is a command the journal keeps and the engine
// applied; a 409 is one the engine refused (and kept, as a replay refuses it too); a 503 says
// why nothing was kept. Checked against the journal itself, read back by another process.
#include <gtest/gtest.h>

#include <cstdlib>
#include <map>
#include <set>

#include "engine/engine.hpp"
#include "journal/reader.hpp"
#include "tests/engine/engine_fixture.hpp"
#include "tests/support/botengine_cli.hpp"

namespace be::engine {
namespace {

using namespace test_support;

class AcknowledgeTest : public ::testing::TestWithParam<JournalMode> {};

// The defect: an update of a stopped bot was answered 409 "the bot's state does not allow this
// command" while the strategy stage swapped the config, so the next start ran the config the
// operator was told had been refused.
TEST_P(AcknowledgeTest, AnUpdateOfAStoppedBotIsAppliedAndAnsweredAsApplied) {
  TempDir dir;
  EngineConfig config = test_config(dir.path);
  config.journal = GetParam();
  config.idle = "yield";
  BotId bot{};
  {
    auto engine = open_engine(config);
    ASSERT_TRUE(engine);
    ASSERT_TRUE(engine->start().has_value());
    const CommandResult created = engine->create_bot(UserId{1}, kDcaBot);
    ASSERT_EQ(created.status, CommandStatus::kAccepted) << created.message;
    bot = created.bot;
    std::string renamed = kDcaBot;
    renamed.replace(renamed.find("\"dca\""), 5, "\"dca renamed\"");
    const CommandResult updated = engine->update_bot(UserId{1}, false, bot, renamed);
    EXPECT_EQ(updated.status, CommandStatus::kAccepted) << updated.message;
    const auto model = engine->read_model();
    ASSERT_TRUE(model);
    ASSERT_NE(model->find(bot), nullptr);
    EXPECT_EQ(model->find(bot)->name, "dca renamed") << "the answer and the engine disagree";
    // A refusal is still a refusal: starting a running bot.
    ASSERT_EQ(engine->bot_command(UserId{1}, false, bot, OperatorCommandKind::kStartBot).status,
              CommandStatus::kAccepted);
    EXPECT_EQ(engine->bot_command(UserId{1}, false, bot, OperatorCommandKind::kStartBot).status,
              CommandStatus::kConflict);
    EXPECT_EQ(engine->stop(), "");
  }
  if (GetParam() == JournalMode::kOff) return;  // nothing kept to reopen
  auto reopened = open_engine(config);
  ASSERT_TRUE(reopened);
  ASSERT_NE(reopened->read_model()->find(bot), nullptr);
  EXPECT_EQ(reopened->read_model()->find(bot)->name, "dca renamed");
}

// The sequences of the OperatorCommands the journal holds, read by another process
// (`botengine journal dump`): LMDB allows one environment per file in a process, and the
// engine under test has the journal open.
std::set<SequenceNumber> commands_seen_by_another_process(const fs::path& data_dir) {
  std::set<SequenceNumber> out;
  const be::test::CliResult dump = be::test::run_botengine(
      "journal dump " + (data_dir / "journal").string() + " --limit 100000000");
  EXPECT_EQ(dump.exit_code, 0) << dump.output.substr(0, 500);
  std::size_t at = 0;
  while ((at = dump.output.find("{\"seq\":", at)) != std::string::npos) {
    const std::size_t line_end = dump.output.find('\n', at);
    const std::string_view line(dump.output.data() + at, line_end - at);
    if (line.find("\"type\":\"operator_command\"") != std::string_view::npos) {
      out.insert(std::strtoull(line.data() + 7, nullptr, 10));
    }
    at = line_end;
  }
  return out;
}

// Every answered command is in the journal the moment its answer arrives (read back by
// another process), applied or refused alike.
TEST_P(AcknowledgeTest, EveryAnsweredCommandIsInTheJournalWhenTheAnswerArrives) {
  REQUIRE_BOTENGINE();
  if (GetParam() == JournalMode::kOff) GTEST_SKIP() << "journal off keeps nothing";
  TempDir dir;
  EngineConfig config = test_config(dir.path);
  config.journal = GetParam();
  config.idle = "yield";
  auto engine = open_engine(config);
  ASSERT_TRUE(engine);
  ASSERT_TRUE(engine->start().has_value());
  Market market(7, wall_clock_now());
  std::vector<CommandResult> answers;
  for (int round = 0; round < 6; ++round) {
    answers.push_back(engine->create_bot(UserId{1}, round % 2 ? kGridBot : kDcaBot));
    ASSERT_EQ(answers.back().status, CommandStatus::kAccepted) << answers.back().message;
    const BotId bot = answers.back().bot;
    ASSERT_TRUE(offer_market(*engine, market, 20));
    answers.push_back(engine->bot_command(UserId{1}, false, bot, OperatorCommandKind::kStartBot));
    answers.push_back(engine->bot_command(UserId{1}, false, bot, OperatorCommandKind::kResumeBot));
    EXPECT_EQ(answers.back().status, CommandStatus::kConflict) << "resume of a running bot";
    const auto journaled = commands_seen_by_another_process(dir.path);
    for (const CommandResult& a : answers) {
      ASSERT_NE(a.sequence, 0u);
      EXPECT_EQ(journaled.count(a.sequence), 1u) << "answered " << static_cast<int>(a.status)
                                                 << " but not in the journal at " << a.sequence;
    }
  }
  EXPECT_EQ(engine->stop(), "");
}

INSTANTIATE_TEST_SUITE_P(Modes, AcknowledgeTest,
                         ::testing::Values(JournalMode::kOff, JournalMode::kAsync,
                                           JournalMode::kDurable),
                         [](const auto& mode) { return std::string(to_string(mode.param)); });

}  // namespace
}  // namespace be::engine
