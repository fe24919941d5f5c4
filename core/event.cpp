#include "core/event.hpp"

namespace be {

std::string_view to_string(EventType type) noexcept {
  switch (type) {
    case EventType::kInvalid:
      return "invalid";
    case EventType::kInstrumentDefined:
      return "instrument_defined";
    case EventType::kTrade:
      return "trade";
    case EventType::kQuote:
      return "quote";
    case EventType::kBar:
      return "bar";
    case EventType::kBookDelta:
      return "book_delta";
    case EventType::kConnectivity:
      return "connectivity";
    case EventType::kTimer:
      return "timer";
    case EventType::kOperatorCommand:
      return "operator_command";
    case EventType::kOrderUpdate:
      return "order_update";
    case EventType::kBalanceUpdate:
      return "balance_update";
    case EventType::kOrderIntent:
      return "order_intent";
    case EventType::kRiskReject:
      return "risk_reject";
    case EventType::kOrderNew:
      return "order_new";
    case EventType::kOrderCancel:
      return "order_cancel";
    case EventType::kFillApplied:
      return "fill_applied";
    case EventType::kBotStatus:
      return "bot_status";
    case EventType::kSignal:
      return "signal";
    case EventType::kNotification:
      return "notification";
    case EventType::kStateHash:
      return "state_hash";
    case EventType::kBlob:
      return "blob";
  }
  return "unknown";
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
      return version == Connectivity::kVersion;
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

std::string_view to_string(BotState state) noexcept {
  switch (state) {
    case BotState::kStopped:
      return "stopped";
    case BotState::kStarting:
      return "starting";
    case BotState::kRunning:
      return "running";
    case BotState::kPaused:
      return "paused";
    case BotState::kError:
      return "error";
    case BotState::kStopping:
      return "stopping";
    case BotState::kDeleted:
      return "deleted";
  }
  return "invalid";
}

}  // namespace be
