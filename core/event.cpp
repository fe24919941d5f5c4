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
    case EventType::kBlob:
      return "blob";
  }
  return "unknown";
}

}  // namespace be
