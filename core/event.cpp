#include "core/event.hpp"

#include "core/names.hpp"

namespace be {

constexpr std::array<Named<EventType>, 21> kEventTypeNames{{
    {EventType::kInvalid, "invalid"},
    {EventType::kInstrumentDefined, "instrument_defined"},
    {EventType::kTrade, "trade"},
    {EventType::kQuote, "quote"},
    {EventType::kBar, "bar"},
    {EventType::kBookDelta, "book_delta"},
    {EventType::kConnectivity, "connectivity"},
    {EventType::kTimer, "timer"},
    {EventType::kOperatorCommand, "operator_command"},
    {EventType::kOrderUpdate, "order_update"},
    {EventType::kBalanceUpdate, "balance_update"},
    {EventType::kOrderIntent, "order_intent"},
    {EventType::kRiskReject, "risk_reject"},
    {EventType::kOrderNew, "order_new"},
    {EventType::kOrderCancel, "order_cancel"},
    {EventType::kFillApplied, "fill_applied"},
    {EventType::kBotStatus, "bot_status"},
    {EventType::kSignal, "signal"},
    {EventType::kNotification, "notification"},
    {EventType::kStateHash, "state_hash"},
    {EventType::kBlob, "blob"},
}};

std::string_view to_string(EventType type) noexcept {
  return name_of(kEventTypeNames, type);
}

bool is_known_event(EventType type, std::uint16_t version) noexcept {
  switch (type) {
    case EventType::kInstrumentDefined:
      return version == InstrumentDefined::kVersion;
    case EventType::kTrade:
      return version == Trade::kVersion;
    case EventType::kQuote:
      return version == Quote::kVersion;
    case EventType::kBar:
      return version == Bar::kVersion;
    case EventType::kBookDelta:
      return version == BookDelta::kVersion;
    case EventType::kConnectivity:
      return version == 1 || version == Connectivity::kVersion;  // v1: market data
    case EventType::kTimer:
      return version == Timer::kVersion;
    case EventType::kOperatorCommand:
      return version == OperatorCommand::kVersion;
    case EventType::kOrderUpdate:
      return version == OrderUpdate::kVersion;
    case EventType::kBalanceUpdate:
      return version == BalanceUpdate::kVersion;
    case EventType::kOrderNew:
      return version == OrderNew::kVersion;
    case EventType::kOrderCancel:
      return version == OrderCancel::kVersion;
    case EventType::kFillApplied:
      return version == FillApplied::kVersion;
    case EventType::kBotStatus:
      return version == BotStatus::kVersion;
    case EventType::kSignal:
      return version == Signal::kVersion;
    case EventType::kNotification:
      return version == Notification::kVersion;
    case EventType::kStateHash:
      return version == StateHash::kVersion;
    // Payloads declared outside core (OrderIntent in core/order_intent.hpp, RiskReject in
    // risk/types.hpp) are at version 1.
    case EventType::kOrderIntent:
    case EventType::kRiskReject:
      return version == 1;
    case EventType::kBlob:
      return version == BlobRef::kVersion;
    case EventType::kInvalid:
      return false;
  }
  return false;
}

constexpr std::array<Named<BotState>, 7> kBotStateNames{{
    {BotState::kStopped, "stopped"},
    {BotState::kStarting, "starting"},
    {BotState::kRunning, "running"},
    {BotState::kPaused, "paused"},
    {BotState::kError, "error"},
    {BotState::kStopping, "stopping"},
    {BotState::kDeleted, "deleted"},
}};

std::string_view to_string(BotState state) noexcept {
  return name_of(kBotStateNames, state, "invalid");
}

// Every command kind, in code order (a new kind without a name fails the static_assert).
constexpr std::array<Named<OperatorCommandKind>, 22> kOperatorCommandNames{{
    {OperatorCommandKind::kCreateBot, "create_bot"},
    {OperatorCommandKind::kUpdateBot, "update_bot"},
    {OperatorCommandKind::kDeleteBot, "delete_bot"},
    {OperatorCommandKind::kStartBot, "start_bot"},
    {OperatorCommandKind::kStopBot, "stop_bot"},
    {OperatorCommandKind::kPauseBot, "pause_bot"},
    {OperatorCommandKind::kResumeBot, "resume_bot"},
    {OperatorCommandKind::kKillSwitchSet, "kill_switch_set"},
    {OperatorCommandKind::kKillSwitchReset, "kill_switch_reset"},
    {OperatorCommandKind::kCircuitReset, "circuit_reset"},
    {OperatorCommandKind::kRestartBot, "restart_bot"},
    {OperatorCommandKind::kShutdown, "shutdown"},
    {OperatorCommandKind::kDiskReserveSet, "disk_reserve_set"},
    {OperatorCommandKind::kDiskReserveReset, "disk_reserve_reset"},
    {OperatorCommandKind::kCreateUser, "create_user"},
    {OperatorCommandKind::kUpdateUser, "update_user"},
    {OperatorCommandKind::kCreateAccount, "create_account"},
    {OperatorCommandKind::kRemoveAccount, "remove_account"},
    {OperatorCommandKind::kAttachKey, "attach_key"},
    {OperatorCommandKind::kDryRunSet, "dry_run_set"},
    {OperatorCommandKind::kDryRunReset, "dry_run_reset"},
    {OperatorCommandKind::kCreateBots, "create_bots"},
}};
static_assert(static_cast<std::size_t>(kOperatorCommandNames.back().code) ==
              kOperatorCommandNames.size());

std::string_view to_string(OperatorCommandKind kind) noexcept {
  return name_of(kOperatorCommandNames, kind);
}

}  // namespace be
