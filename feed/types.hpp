// Vocabulary shared by every venue parser: what kind of message a frame was, why a frame was
// refused, the per-parser counters, and the sink events are handed to.
//
// Thread-safety: plain values; a FeedStats belongs to the one parser that updates it.
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <type_traits>

#include "core/event.hpp"

namespace be::feed {

// Bytes a parser may read past the end of a frame (simdjson's SIMDJSON_PADDING; checked where
// simdjson is included). A caller whose frame already sits in a buffer with this much
// readable memory after it can use parse_padded() and save the parser's copy.
inline constexpr std::size_t kFramePadding = 64;

// Every message kind a parser recognises. Market kinds emit events; the others (acks,
// heartbeats, status) are counted and emit nothing. Append only: stats output keys on names.
enum class MessageKind : std::uint8_t {
  kUnknown = 0,  // the frame was rejected before its kind was known
  kBinanceTrade,
  kBinanceAggTrade,
  kBinanceBookTicker,
  kBinanceKline,
  kBinanceDepthUpdate,
  kBinanceDepthSnapshot,  // REST /api/v3/depth or a partial-depth stream
  kBinanceExchangeInfo,
  kBinanceResponse,  // {"result":..,"id":..}: a subscription ack
  kCoinbaseTicker,
  kCoinbaseMatch,
  kCoinbaseLastMatch,
  kCoinbaseSnapshot,
  kCoinbaseL2Update,
  kCoinbaseHeartbeat,
  kCoinbaseSubscriptions,
  kCoinbaseError,  // the venue's own error report: counted, no event
  kKrakenTicker,
  kKrakenTrade,
  kKrakenBookSnapshot,
  kKrakenBookUpdate,
  kKrakenHeartbeat,
  kKrakenSystemStatus,
  kKrakenSubscriptionStatus,
  kKrakenV2Ticker,
  kKrakenV2Trade,
  kKrakenV2Status,  // v2 "status"/"heartbeat" channels and method responses
  kCount,
};
inline constexpr std::size_t kMessageKindCount = static_cast<std::size_t>(MessageKind::kCount);

std::string_view to_string(MessageKind kind) noexcept;
// True for kinds that carry no market data (acks, heartbeats, status, venue errors).
bool is_control(MessageKind kind) noexcept;

// Why a frame was refused. Every refusal is counted per reason and the frame is skipped whole:
// a rejected message never emits a partial set of events.
enum class RejectReason : std::uint8_t {
  kNone = 0,
  kEmpty,               // zero-length frame
  kOversized,           // longer than the configured maximum for its kind
  kMalformedJson,       // not JSON, or JSON broken where the parser read it
  kUnknownMessageType,  // well-formed, but not a message this parser knows
  kMissingField,        // a required field is absent
  kWrongType,           // a field has the wrong JSON type (string where a number belongs...)
  kBadNumber,           // a decimal that is malformed, too precise or out of int64 range
  kNonPositivePrice,    // a price <= 0
  kNegativeQuantity,    // a quantity < 0
  kBadTimestamp,        // a timestamp that does not parse or is out of range
  kUnknownSymbol,       // a symbol the SymbolTable does not know (and may not auto-intern)
  kTooManyLevels,       // more book levels in one message than the parser's scratch holds
  kCount,
};
inline constexpr std::size_t kRejectReasonCount = static_cast<std::size_t>(RejectReason::kCount);

std::string_view to_string(RejectReason reason) noexcept;

struct ParseResult {
  MessageKind kind = MessageKind::kUnknown;
  RejectReason reject = RejectReason::kNone;
  std::uint32_t events = 0;  // events handed to the sink (0 when rejected)

  bool ok() const noexcept { return reject == RejectReason::kNone; }
};

struct FeedStats {
  std::array<std::uint64_t, kMessageKindCount> by_kind{};  // accepted messages per kind
  std::array<std::uint64_t, kRejectReasonCount> by_reject{};
  std::uint64_t events = 0;
  std::uint64_t bytes = 0;

  void record(const ParseResult& r, std::size_t size) noexcept {
    bytes += size;
    if (r.ok()) {
      ++by_kind[static_cast<std::size_t>(r.kind)];
      events += r.events;
    } else {
      ++by_reject[static_cast<std::size_t>(r.reject)];
    }
  }
  std::uint64_t accepted() const noexcept;
  std::uint64_t rejected() const noexcept;
  void merge(const FeedStats& other) noexcept;
};

// A non-owning reference to any callable taking `const Event&`: a type-erased callback that
// never allocates. Lifetime: the callable must outlive every call through the sink (passing
// a lambda temporary straight into parse() is fine: it lives until parse() returns).
class EventSink {
 public:
  template <class F>
  requires(!std::same_as<std::remove_cvref_t<F>, EventSink> &&
           std::invocable<std::remove_reference_t<F>&, const Event&>) EventSink(F&& f)
  noexcept  // NOLINT: implicit by design, like std::function_ref
      : context_(const_cast<void*>(static_cast<const void*>(&f))),
        call_([](void* c, const Event& e) { (*static_cast<std::remove_reference_t<F>*>(c))(e); }) {}

  void operator()(const Event& e) const { call_(context_, e); }

 private:
  void* context_;
  void (*call_)(void*, const Event&);
};

}  // namespace be::feed
