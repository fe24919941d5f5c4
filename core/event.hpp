// The event model: every input and every derived output is one fixed-size, trivially
// copyable record (docs/ARCHITECTURE.md §3). Records cross rings by value and are journaled as
// framed bytes, so their layout is part of the on-disk format.
//
//  Event (128 bytes, two cache lines, alignas 64)
//   0        2         4        6        8                16               24               32
//   +--------+---------+--------+--------+----------------+----------------+----------------+
//   | type   | version | flags  | source | sequence       | event_time ns  | receive_time ns|
//   +--------+---------+--------+--------+----------------+----------------+----------------+
//   | payload: one of the payload structs below, at most 96 bytes, zero-padded              |
//   +---------------------------------------------------------------------------------------+
//
// Rules that keep old journals readable:
//  - EventType codes are stable: append new codes, never renumber or reuse one.
//  - Changing a payload's layout bumps its kVersion; the journal refuses versions it does
//    not know with a clear error instead of misreading them.
//  - Variable-size data (a bot's JSON config, an error text) never rides in a hot record: it
//    is journaled as its own kBlob record and referenced by blob id.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <type_traits>

#include "core/ids.hpp"

namespace be {

// The journal's schema version: bumped when the framing or the meaning of existing records
// changes in a way old readers cannot handle.
inline constexpr std::uint32_t kSchemaVersion = 1;

enum class EventType : std::uint16_t {
  kInvalid = 0,
  // Reference data and interning (1..15).
  kInstrumentDefined = 1,
  // Market data (16..31).
  kTrade = 16,
  kQuote = 17,
  kBar = 18,
  kBookDelta = 19,
  // Connectivity (32..39).
  kConnectivity = 32,
  // Timers (40..47).
  kTimer = 40,
  // Operator commands (48..63).
  kOperatorCommand = 48,
  // Venue responses (64..95): inputs, journaled like market data.
  kOrderUpdate = 64,
  kBalanceUpdate = 65,
  // Derived outputs (128..191): journaled with kFlagDerived, never folded as inputs.
  kOrderIntent = 128,
  kRiskReject = 129,
  kOrderNew = 130,
  kOrderCancel = 131,
  kFillApplied = 132,
  kBotStatus = 133,
  kSignal = 134,
  kNotification = 135,
  kStateHash = 136,
  // Out-of-band variable-size payloads.
  kBlob = 240,
};

std::string_view to_string(EventType type) noexcept;

// True when this build knows records of `type` at `version` (the journal refuses others).
bool is_known_event(EventType type, std::uint16_t version) noexcept;

enum EventFlags : std::uint16_t {
  kFlagNone = 0,
  // A derived output (signal, intent, order, ...): journaled for audit and as the yardstick
  // replay --verify compares against; never an input to the fold.
  kFlagDerived = 1u << 0,
  // On a derived OrderIntent or OrderCancel: pre-trade risk accepted it (the risk stage sets
  // it and, for a quote-amount buy, writes the quantity it decided).
  kFlagRiskAccepted = 1u << 1,
  // On a derived OrderIntent: the strategy stage held it back (the bot is paused, or its
  // instrument is in safe mode). Risk does not check it; the bot gets it back as a local
  // reject (OrderUpdate reason kLocalRejectBase + kHeldReason).
  kFlagHeld = 1u << 2,
};
inline constexpr std::uint16_t kHeldReason = 0xFE;

struct EventHeader {
  EventType type = EventType::kInvalid;
  std::uint16_t version = 0;
  std::uint16_t flags = kFlagNone;
  std::uint16_t source = 0;     // the VenueId for venue inputs; otherwise 0
  SequenceNumber sequence = 0;  // stamped by the sequencer; 0 until then
  Nanos event_time = 0;         // the exchange's (or operator's) time of the event
  Nanos receive_time = 0;       // when ingress read it off the wire (the only wall-clock read)
};
static_assert(sizeof(EventHeader) == 32);

inline constexpr std::size_t kEventSize = 128;
inline constexpr std::size_t kPayloadCapacity = kEventSize - sizeof(EventHeader);

// A payload struct: trivially copyable, fits, names its type code and layout version, and has
// no implicit padding. Event::make copies the struct's bytes whole into the journal and every
// state hash reads them, so a padding byte (whatever the stack held) would make two runs of the
// same inputs differ; reserved bytes are named fields that start at zero.
template <class P>
inline constexpr bool kNoImplicitPadding = std::has_unique_object_representations_v<P>;

template <class P>
concept EventPayload = std::is_trivially_copyable_v<P> && std::is_standard_layout_v<P> &&
                       kNoImplicitPadding<P> && sizeof(P) <= kPayloadCapacity&& requires {
  { P::kType } -> std::convertible_to<EventType>;
  { P::kVersion } -> std::convertible_to<std::uint16_t>;
};

struct alignas(64) Event {
  EventHeader header;
  std::array<std::byte, kPayloadCapacity> payload{};

  template <EventPayload P>
  static Event make(const P& body, Nanos event_time, Nanos receive_time,
                    std::uint16_t source = 0) noexcept {
    Event e;
    e.header.type = P::kType;
    e.header.version = P::kVersion;
    e.header.source = source;
    e.header.event_time = event_time;
    e.header.receive_time = receive_time;
    std::memcpy(e.payload.data(), &body, sizeof(P));
    return e;
  }

  template <EventPayload P>
  bool is() const noexcept {
    return header.type == P::kType;
  }

  // Copies the payload out (memcpy, so no aliasing questions; compilers elide it).
  // Precondition: is<P>().
  template <EventPayload P>
  P as() const noexcept {
    P body;
    std::memcpy(&body, payload.data(), sizeof(P));
    return body;
  }

  bool derived() const noexcept { return (header.flags & kFlagDerived) != 0; }
};
static_assert(sizeof(Event) == kEventSize);
static_assert(std::is_trivially_copyable_v<Event>);

// ---- Payloads -------------------------------------------------------------------------------
// Prices and quantities are fixed point at the instrument's price_scale and qty_scale.

// Interns a symbol: the id is assigned by the fold in definition order.
struct InstrumentDefined {
  static constexpr EventType kType = EventType::kInstrumentDefined;
  // v2 added base_asset and quote_asset (balances per asset need them).
  static constexpr std::uint16_t kVersion = 2;
  static constexpr std::size_t kSymbolCapacity = 32;
  static constexpr std::size_t kAssetCapacity = 12;

  InstrumentId instrument{};
  VenueId venue{};
  std::uint8_t price_scale = 8;
  std::uint8_t qty_scale = 8;
  std::array<char, kSymbolCapacity> symbol{};      // NUL-padded venue symbol, e.g. "BTCUSDT"
  std::int64_t tick_size = 0;                      // at price_scale; 0 = unknown
  std::int64_t step_size = 0;                      // at qty_scale; 0 = unknown
  std::int64_t min_notional = 0;                   // at price_scale; 0 = none
  std::array<char, kAssetCapacity> base_asset{};   // NUL-padded, e.g. "BTC"; empty = unknown
  std::array<char, kAssetCapacity> quote_asset{};  // e.g. "USDT"

  std::string_view symbol_view() const noexcept {
    return {symbol.data(), strnlen(symbol.data(), symbol.size())};
  }
  std::string_view base_view() const noexcept {
    return {base_asset.data(), strnlen(base_asset.data(), base_asset.size())};
  }
  std::string_view quote_view() const noexcept {
    return {quote_asset.data(), strnlen(quote_asset.data(), quote_asset.size())};
  }
};

struct Trade {
  static constexpr EventType kType = EventType::kTrade;
  static constexpr std::uint16_t kVersion = 1;

  InstrumentId instrument{};
  Side aggressor = Side::kNone;  // the taker's side; kNone when the venue does not say
  std::uint8_t reserved[3] = {};
  std::int64_t price = 0;
  std::int64_t quantity = 0;
  std::uint64_t trade_id = 0;  // the venue's id (Binance's aggregate id for aggTrade)
};

// Top of book (Binance bookTicker, Coinbase ticker, Kraken ticker).
struct Quote {
  static constexpr EventType kType = EventType::kQuote;
  static constexpr std::uint16_t kVersion = 1;

  InstrumentId instrument{};
  std::uint32_t reserved = 0;
  std::int64_t bid_price = 0;
  std::int64_t bid_quantity = 0;
  std::int64_t ask_price = 0;
  std::int64_t ask_quantity = 0;
  std::uint64_t update_id = 0;
};

struct Bar {
  static constexpr EventType kType = EventType::kBar;
  static constexpr std::uint16_t kVersion = 1;

  InstrumentId instrument{};
  std::uint32_t interval_seconds = 0;  // 60 for 1m, 86400 for 1d
  Nanos open_time = 0;
  std::int64_t open = 0;
  std::int64_t high = 0;
  std::int64_t low = 0;
  std::int64_t close = 0;
  std::int64_t volume = 0;  // base quantity at qty_scale
  std::uint32_t trade_count = 0;
  std::uint8_t closed = 0;  // 1 when the interval is final
  std::uint8_t reserved[3] = {};
};

// One price level of a book update. A venue message that changes many levels becomes one
// BookDelta per level; the last carries kEndOfUpdate so the book applies them atomically.
struct BookDelta {
  static constexpr EventType kType = EventType::kBookDelta;
  static constexpr std::uint16_t kVersion = 1;
  enum Flags : std::uint8_t {
    kNone = 0,
    kSnapshot = 1u << 0,     // part of a full snapshot: the book is replaced, not patched
    kEndOfUpdate = 1u << 1,  // the last level of one venue update
  };

  InstrumentId instrument{};
  Side side = Side::kNone;
  std::uint8_t flags = kNone;
  std::uint8_t reserved[2] = {};
  std::int64_t price = 0;
  std::int64_t quantity = 0;          // the new total at this price; 0 removes the level
  std::uint64_t first_update_id = 0;  // Binance U (first) and u (last) of the venue update
  std::uint64_t last_update_id = 0;
};

enum class ConnectivityState : std::uint8_t {
  kConnected = 1,
  kDisconnected = 2,
  kStale = 3,      // no message within the stale timeout
  kRecovered = 4,  // data flows again after kStale or kGap
  kGap = 5,        // a sequence gap was detected; the book resyncs
};

// Whose connection a Connectivity input is about. Version-1 records (before accounts had
// order channels) hold 0 there: market data.
enum class ConnectivityChannel : std::uint8_t {
  kMarketData = 0,  // the feed (strategies/market/feed_health.hpp: safe mode)
  kOrders = 1,      // an account's order channel at a live venue (oms/venue.hpp order_channel)
};

struct Connectivity {
  static constexpr EventType kType = EventType::kConnectivity;
  // v2: `channel` (was a zero reserved byte) and `account` (in what was zero padding); a v1
  // record reads as market data.
  static constexpr std::uint16_t kVersion = 2;

  VenueId venue{};
  ConnectivityState state = ConnectivityState::kConnected;
  ConnectivityChannel channel = ConnectivityChannel::kMarketData;
  InstrumentId instrument = kNoInstrument;  // kNoInstrument: the whole connection
  std::uint64_t expected_sequence = 0;      // for kGap: what was expected and what came
  std::uint64_t received_sequence = 0;
  AccountId account = kNoAccount;  // kOrders: whose channel (kNoAccount: every account)
  std::uint32_t reserved = 0;      // was implicit tail padding: journaled bytes must be set
};

// A timer input. owner kNoBot is the engine's clock tick: the sequencer stamps one at a
// fixed wall-clock period so that event time moves on (and bots' timers fire) in a quiet
// market; bots' own deadlines fire inside the strategy stage on whichever input first carries
// an event time at or past them, so live and replay fire them alike.
struct Timer {
  static constexpr EventType kType = EventType::kTimer;
  static constexpr std::uint16_t kVersion = 1;

  BotId owner = kNoBot;
  std::uint32_t timer_id = 0;
  Nanos deadline = 0;  // the event time at which it fires
};

enum class OperatorCommandKind : std::uint8_t {
  kCreateBot = 1,
  kUpdateBot = 2,
  kDeleteBot = 3,
  kStartBot = 4,
  kStopBot = 5,
  kPauseBot = 6,
  kResumeBot = 7,
  kKillSwitchSet = 8,
  kKillSwitchReset = 9,
  kCircuitReset = 10,  // close a bot's open circuit breaker (error state -> stopped)
  kRestartBot = 11,    // stop then start, keeping state
  kShutdown = 12,      // graceful stop: no new orders; journaled so a replay ends alike
  // The engine's disk watch (engine/disk_guard.cpp): below the reserve floor only intents
  // that reduce a position pass risk (kDiskReserve), above it again all do.
  kDiskReserveSet = 13,
  kDiskReserveReset = 14,
  // Users and accounts (engine/directory.hpp, docs/ACCOUNTS.md): the kBlob before each holds
  // its JSON; `account` names the user (create/update user) or account the command is about.
  kCreateUser = 15,
  kUpdateUser = 16,
  kCreateAccount = 17,
  kRemoveAccount = 18,
  kAttachKey = 19,
  // Live accounts answered by the paper venue on the live market (EngineConfig::dry_run):
  // journaled by the engine at start when the config differs from the fold, so a replay
  // routes every order as the run did.
  kDryRunSet = 20,
  kDryRunReset = 21,
  // POST /api/v1/bots/bulk: `count` bots at once, ids `bot` .. `bot` + count - 1, all of
  // `user_id` on `account`; the kBlob before it holds their configs as one JSON array, in id
  // order. Each item is created or refused on its own, as a kCreateBot of it would be.
  kCreateBots = 22,
};
// "create_bot", "kill_switch_set", "create_user", ... (journal inspect, the audit).
std::string_view to_string(OperatorCommandKind kind) noexcept;

// Which kill switch a kKillSwitchSet/Reset names. kBotOrGlobal (0, what version-1 records
// written before the field existed hold): the bot, or the whole engine when bot == kNoBot.
enum class CommandScope : std::uint8_t { kBotOrGlobal = 0, kAccount = 2, kGlobal = 3 };

struct OperatorCommand {
  static constexpr EventType kType = EventType::kOperatorCommand;
  static constexpr std::uint16_t kVersion = 1;

  OperatorCommandKind kind = OperatorCommandKind::kStartBot;
  CommandScope scope = CommandScope::kBotOrGlobal;
  std::uint16_t count = 0;  // kCreateBots: the bots it creates (0 in every other command)
  BotId bot = kNoBot;
  std::uint32_t user_id = 0;     // who issued it (the control API's authenticated user)
  std::uint32_t account = 0;     // for CommandScope::kAccount
  std::uint64_t blob_id = 0;     // the kBlob record holding the JSON config, 0 when none
  std::uint64_t request_id = 0;  // the control API's id, echoed in its answer
};

// Out-of-band bytes. In memory the record points at bytes owned by the producer, which keeps
// them alive until the journal's committed watermark passes this record's sequence. On disk
// the journal writes the bytes themselves in place of the pointer.
struct BlobRef {
  static constexpr EventType kType = EventType::kBlob;
  static constexpr std::uint16_t kVersion = 1;
  static constexpr std::uint32_t kMaxSize = 1u << 20;  // 1 MiB: configs and texts, not data

  std::uint64_t blob_id = 0;
  std::uint32_t size = 0;
  std::uint32_t kind = 0;  // what the bytes are (e.g. bot config JSON); owner-defined
  const std::byte* data = nullptr;
};

// ---- Venue responses (inputs) --------------------------------------------------------------
// What a venue (paper or live) says about one of our orders. `event` is an oms::OrderEvent
// value (oms/order_state_machine.hpp: 0 accepted .. 14 reconciled-not-found); the order is
// named by its deterministic client id (bot, client_sequence). Fills carry this fill's
// price, quantity and fee; cumulative_quantity is the venue's total filled so far.
//
//   0      4     5       6      8            12        16               24
//   | bot  | evt | liq   | code | instrument | account | client_sequence | venue_order_id
//   | last_price | last_quantity | cumulative_quantity | fee | trade_id |  (8 bytes each)
struct OrderUpdate {
  static constexpr EventType kType = EventType::kOrderUpdate;
  static constexpr std::uint16_t kVersion = 1;
  enum Liquidity : std::uint8_t { kUnknownLiquidity = 0, kMaker = 1, kTaker = 2 };

  BotId bot = kNoBot;
  std::uint8_t event = 0;      // oms::OrderEvent
  std::uint8_t liquidity = 0;  // Liquidity, for fills
  std::uint16_t reason = 0;    // for rejects: the venue's reason, mapped (0 = none)
  InstrumentId instrument = kNoInstrument;
  AccountId account{};
  SequenceNumber client_sequence = 0;
  std::uint64_t venue_order_id = 0;
  std::int64_t last_price = 0;
  std::int64_t last_quantity = 0;
  std::int64_t cumulative_quantity = 0;
  std::int64_t fee = 0;  // quote units at price scale
  std::uint64_t trade_id = 0;
  Side side = Side::kNone;  // the order's side (venues repeat it on every report)
  std::uint8_t reserved[7] = {};
};

// OrderUpdate::reason at or above this is not the venue's: the engine's own pre-trade risk
// refused the intent (reason - kLocalRejectBase is a risk::RejectReason). Such rejects reach
// the bots like a venue's, but never count as venue errors for the circuit breaker.
inline constexpr std::uint16_t kLocalRejectBase = 0x100;

// An account's balance of one asset as the venue reports it (absolute, not a delta): from
// reconciliation or the venue's account stream. Amounts at the asset's scale (the qty scale
// of instruments whose base it is, the price scale of those it quotes).
struct BalanceUpdate {
  static constexpr EventType kType = EventType::kBalanceUpdate;
  static constexpr std::uint16_t kVersion = 1;

  AccountId account{};
  AssetId asset{};
  std::uint16_t reserved = 0;
  std::int64_t free = 0;
  std::int64_t locked = 0;
};

// ---- Derived outputs ---------------------------------------------------------------------
// Journaled with kFlagDerived: the audit trail and what replay --verify compares against.

// The order manager sends an order: the client id, and what went to the venue.
struct OrderNew {
  static constexpr EventType kType = EventType::kOrderNew;
  static constexpr std::uint16_t kVersion = 1;

  BotId bot = kNoBot;
  InstrumentId instrument = kNoInstrument;
  SequenceNumber client_sequence = 0;
  AccountId account{};
  Side side = Side::kNone;
  std::uint8_t order_type = 0;     // OrderType
  std::uint8_t time_in_force = 0;  // TimeInForce
  std::uint8_t flags = 0;          // OrderIntent flags
  std::uint32_t tag = 0;
  std::uint32_t reserved = 0;
  std::int64_t price = 0;
  std::int64_t quantity = 0;
};

// The order manager asks the venue to cancel one order.
struct OrderCancel {
  static constexpr EventType kType = EventType::kOrderCancel;
  static constexpr std::uint16_t kVersion = 1;

  BotId bot = kNoBot;
  InstrumentId instrument = kNoInstrument;
  SequenceNumber client_sequence = 0;
  AccountId account{};
  std::uint32_t tag = 0;
};

// A fill the order manager applied, with the bot's position in the instrument after it.
struct FillApplied {
  static constexpr EventType kType = EventType::kFillApplied;
  static constexpr std::uint16_t kVersion = 1;

  BotId bot = kNoBot;
  InstrumentId instrument = kNoInstrument;
  Side side = Side::kNone;
  std::uint8_t liquidity = 0;
  std::uint16_t reserved = 0;
  std::uint32_t tag = 0;
  SequenceNumber client_sequence = 0;
  std::int64_t price = 0;
  std::int64_t quantity = 0;
  std::int64_t fee = 0;
  std::int64_t position_after = 0;  // signed, qty scale
  std::int64_t realized_pnl = 0;    // the bot's realized PnL in the instrument, price scale
};

enum class BotState : std::uint8_t {
  kStopped = 0,
  kStarting = 1,
  kRunning = 2,
  kPaused = 3,
  kError = 4,
  kStopping = 5,
  kDeleted = 6,
};
std::string_view to_string(BotState state) noexcept;

// Why a bot's status changed (BotStatus::reason). Stable numbering.
enum class BotStatusReason : std::uint16_t {
  kOperator = 0,        // an operator command
  kCircuitBreaker = 1,  // too many consecutive errors
  kKillSwitch = 2,      // a kill switch latched
  kConfigError = 3,     // the stored config could not be rebuilt
  kShutdown = 4,        // the engine is shutting down
  kRecovered = 5,       // restored from a snapshot at start
  kScriptError = 6,     // the bot stopped itself: its script's error or a limit it hit
};

// A bot's status changed (operator command, circuit breaker, kill switch).
struct BotStatus {
  static constexpr EventType kType = EventType::kBotStatus;
  static constexpr std::uint16_t kVersion = 1;

  BotId bot = kNoBot;
  BotState from = BotState::kStopped;
  BotState to = BotState::kStopped;
  std::uint16_t reason = 0;  // BotStatusReason
  std::uint32_t user_id = 0;
};

// A bot's condition triggered on a closed bar.
struct Signal {
  static constexpr EventType kType = EventType::kSignal;
  static constexpr std::uint16_t kVersion = 1;

  BotId bot = kNoBot;
  std::uint32_t condition_index = 0;
  InstrumentId instrument = kNoInstrument;
  std::uint32_t timeframe_seconds = 0;
  Nanos bar_open_time = 0;
  double lhs = 0;
  double rhs = 0;
};
// The trait rejects any struct holding a double, whatever its layout; Signal's fields add up to
// its size, so it has no padding.
template <>
inline constexpr bool kNoImplicitPadding<Signal> = sizeof(Signal) ==
                                                   sizeof(BotId) + 3 * sizeof(std::uint32_t) +
                                                       sizeof(Nanos) + 2 * sizeof(double);

enum class NotificationKind : std::uint8_t {
  kTrade = 1,     // a fill (value1 price, value2 quantity, side in `side`)
  kStopLoss = 2,  // a protection exit fired (value1 the mark price)
  kTakeProfit = 3,
  kTrailingStop = 4,
  kRiskReject = 5,  // code = risk::RejectReason
  kKillSwitch = 6,  // code 1 set, 0 reset
  kBotError = 7,    // the circuit breaker opened
  kFeedStatus = 8,  // code = ConnectivityState
  kBotStatus = 9,   // code = BotState (the new one)
  // The shadow replica re-derived a journaled record differently (cause = that record's
  // sequence, value1 = divergent records found so far). Raised by the live process, never
  // journaled: the journal is what disagrees with the fold (engine/replica.hpp).
  kReplicaDivergence = 10,
};

// Something an operator may want pushed to them (webhook, Telegram, Slack). Structured, so
// the notifier formats the text off the hot path; delivered at least once from the journal.
struct Notification {
  static constexpr EventType kType = EventType::kNotification;
  static constexpr std::uint16_t kVersion = 1;

  NotificationKind kind = NotificationKind::kTrade;
  Side side = Side::kNone;
  std::uint16_t code = 0;
  BotId bot = kNoBot;
  InstrumentId instrument = kNoInstrument;
  std::uint32_t reserved = 0;
  std::int64_t value1 = 0;
  std::int64_t value2 = 0;
  SequenceNumber cause = 0;
};

// The engine's state hash after applying input `at` (periodic, and beside every snapshot):
// replay --verify recomputes and compares them.
struct StateHash {
  static constexpr EventType kType = EventType::kStateHash;
  static constexpr std::uint16_t kVersion = 1;

  SequenceNumber at = 0;
  std::uint64_t strategy = 0;
  std::uint64_t risk = 0;
  std::uint64_t orders = 0;
  std::uint64_t combined = 0;
};

static_assert(EventPayload<InstrumentDefined>);
static_assert(EventPayload<Trade>);
static_assert(EventPayload<Quote>);
static_assert(EventPayload<Bar>);
static_assert(EventPayload<BookDelta>);
static_assert(EventPayload<Connectivity>);
static_assert(EventPayload<Timer>);
static_assert(EventPayload<OperatorCommand>);
static_assert(EventPayload<BlobRef>);
static_assert(EventPayload<OrderUpdate>);
static_assert(EventPayload<BalanceUpdate>);
static_assert(EventPayload<OrderNew>);
static_assert(EventPayload<OrderCancel>);
static_assert(EventPayload<FillApplied>);
static_assert(EventPayload<BotStatus>);
static_assert(EventPayload<Signal>);
static_assert(EventPayload<Notification>);
static_assert(EventPayload<StateHash>);

}  // namespace be
