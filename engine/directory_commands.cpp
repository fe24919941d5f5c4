// Users and accounts commands (engine/control.hpp). PLACEHOLDER until the users-and-accounts
// fold lands (issue 16): every command answers 503 and says so; nothing is journaled.
#include "engine/engine_impl.hpp"

namespace be::engine {
namespace {
CommandResult not_yet() {
  CommandResult r;
  r.status = CommandStatus::kUnavailable;
  r.message = "users and accounts are not built yet";
  return r;
}
}  // namespace

CommandResult Engine::create_user(UserId, std::string_view) { return not_yet(); }
CommandResult Engine::update_user(UserId, UserId, std::string_view) { return not_yet(); }
CommandResult Engine::create_account(UserId, std::string_view) { return not_yet(); }
CommandResult Engine::remove_account(UserId, AccountId) { return not_yet(); }
CommandResult Engine::attach_key(UserId, AccountId, std::string_view, std::string_view) {
  return not_yet();
}
std::vector<AuditEntry> Engine::audit(SequenceNumber, std::size_t) const { return {}; }

}  // namespace be::engine
