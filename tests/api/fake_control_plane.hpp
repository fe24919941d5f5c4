// An in-memory ControlPlane for the API's HTTP-behaviour tests and the router fuzz target:
// a test fixture, not the engine. Bot configs are validated by the real BotRegistry (so 422s
// name the same fields the engine will), bots live in a vector, the stream is a bounded
// buffer (the engine's own StreamBuffer). Every command is recorded with its user, as the engine
// journals it, and listed by audit(). Users and accounts are modelled as the engine's
// interface describes them (engine/control.hpp): import_users() is the tokens-file import of
// a journal without users (account 0 goes to the first user, a "paper" account to each other); the
// commands validate their JSON, name every bad field, check ownership and record an audit
// entry, applied or refused.
//
// Thread-safety: every member takes one mutex, so the TSan tests can hit it from many threads.
#pragma once

#include <functional>
#include <mutex>
#include <string>
#include <vector>

#include "engine/control.hpp"
#include "engine/stream_buffer.hpp"
#include "runner/api/auth.hpp"

namespace be::api::test {

class FakeControlPlane final : public engine::ControlPlane {
 public:
  explicit FakeControlPlane(std::size_t stream_capacity = 100'000);

  std::shared_ptr<const engine::ReadModel> read_model() const override;
  engine::CommandResult create_bot(UserId user, std::string_view config_json) override;
  engine::BulkCreateResult create_bots(UserId user, std::span<const std::string> configs) override;
  engine::CommandResult update_bot(UserId user, bool is_admin, BotId bot,
                                   std::string_view config_json) override;
  engine::CommandResult bot_command(UserId user, bool is_admin, BotId bot,
                                    OperatorCommandKind kind) override;
  engine::CommandResult kill_switch(UserId user, bool is_admin, CommandScope scope,
                                    std::uint32_t id, bool set) override;
  std::vector<config::FieldError> validate_bot_config(std::string_view json) const override;
  engine::StreamBatch stream_since(SequenceNumber after, std::size_t max) const override;
  engine::StreamWindow stream_window() const override;
  std::string metrics_text() const override;
  engine::CommandResult create_user(UserId by, std::string_view json) override;
  engine::CommandResult update_user(UserId by, UserId user, std::string_view json) override;
  engine::CommandResult create_account(UserId by, std::string_view json) override;
  engine::CommandResult remove_account(UserId by, AccountId account) override;
  engine::CommandResult attach_key(UserId by, AccountId account, std::string_view key_name,
                                   std::string_view key_fingerprint) override;
  std::vector<engine::AuditEntry> audit(SequenceNumber after, std::size_t max) const override;

  // Test controls.
  // The engine's first start of this version: the tokens file's users (ids from 1, in file
  // order), account 0 for the first, a paper account for each other. Ignored once there are users.
  void import_users(const std::vector<TokenStore::Entry>& users);
  // Changes an account's view as the runner (Engine::set_live_account_status: connection,
  // refusal) and the fold (order channel, unknown and foreign orders, refused cancels) would.
  void change_account(AccountId account, const std::function<void(engine::AccountView&)>& change);
  // Gives a bot to an account (the bot's owner must own it).
  void assign_account(BotId bot, AccountId account);
  // A stream event without a bot (engine-wide), e.g. about an account.
  SequenceNumber push_engine_event(std::string_view type, std::string_view extra_fields);
  struct Command {
    UserId user{};
    OperatorCommandKind kind{};
    BotId bot = kNoBot;
  };
  std::vector<Command> commands() const;
  // Appends a stream item at the next journal seq; its owner is the bot's. A "price" is
  // conflated by instrument: ETHUSDT's when extra_fields names it, else BTCUSDT's. Returns the
  // seq.
  SequenceNumber push(BotId bot, std::string_view type, std::string_view extra_fields = {});
  // Journal records that are not stream events: the next push's seq jumps past them.
  void skip(SequenceNumber records);
  // A stream event at the next seq that never reached the buffer (the engine's ring was full).
  SequenceNumber lose();
  // As a restarted runner: an empty buffer starting after `journal_position`.
  void restart_stream(SequenceNumber journal_position);
  void set_healthy(bool healthy, std::string problem = {});
  // Adds an order, a fill and an equity point to a bot's view (for the per-bot routes).
  void add_activity(BotId bot);

 private:
  void publish_locked();
  // Records an audit entry (and the journal sequence) for an applied or refused command.
  engine::CommandResult audited_locked(UserId by, std::string_view command, std::string target,
                                       engine::CommandResult result);
  engine::UserView* find_user_locked(UserId id);
  engine::AccountView* find_account_locked(AccountId id);
  // Finds a live account (404 and audited when none), lets `apply` change it or name a
  // refusal, and audits the command either way (fake_directory.cpp).
  template <class Apply>
  engine::CommandResult on_account(UserId by, std::string_view command, AccountId account,
                                   Apply&& apply);
  engine::BotView* find_locked(BotId id, UserId user, bool is_admin);
  BotId add_bot_locked(UserId user, std::string_view config_json);  // a valid config
  engine::CommandResult accepted_locked(BotId bot, UserId user, OperatorCommandKind kind);

  mutable std::mutex mutex_;
  std::vector<engine::BotView> bots_;
  std::uint32_t next_bot_ = 0;  // numbered from 0, as the engine does
  bool global_kill_ = false;
  std::vector<std::uint32_t> killed_accounts_;
  bool healthy_ = true;
  std::string problem_;
  SequenceNumber sequence_ = 0;
  std::vector<Command> commands_;
  std::vector<engine::UserView> users_;
  std::vector<engine::AccountView> accounts_;
  std::vector<engine::AuditEntry> audit_;
  engine::StreamBuffer stream_;
  SequenceNumber stream_seq_ = 0;  // the last journal seq handed out to the stream
  std::shared_ptr<const engine::ReadModel> model_;
};

}  // namespace be::api::test
