// The control plane's view of a running engine: what the control API (runner/api), the
// dashboard and the notifier may ask of it. Implemented by Engine (engine/engine.hpp).
//
// Commands become journaled OperatorCommand inputs (with the user who issued them); they are
// validated here first so that a bad request gets every bad field named and never reaches the
// journal. Reads come from a ReadModel that the engine publishes after it applies inputs: an
// immutable snapshot, so API threads never touch live pipeline state.
//
// Thread-safety: every member is safe to call from any number of control threads at once.
// Nothing here blocks the pipeline: commands go through the multi-producer ingress; reads are
// a shared_ptr copy of the latest published model.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/counters.hpp"
#include "core/event.hpp"
#include "core/json_config.hpp"
#include "engine/latency_histogram.hpp"
#include "engine/shared_views.hpp"

namespace be::engine {

// ---- Read model ------------------------------------------------------------------------------
// Money and prices are decimal strings at the instrument's scale (exact, as the API returns
// them); counts are integers.

struct OrderView {
  std::string client_order_id;  // "be<bot>x<sequence>"
  std::string symbol;
  std::string side;   // "buy" | "sell"
  std::string type;   // "market" | "limit"
  std::string state;  // oms::to_string(OrderState): "new", "partially_filled", ...
  std::string price;  // "0" for market orders
  std::string quantity;
  std::string filled_quantity;
  std::uint32_t tag = 0;
  Nanos updated_time = 0;
};

struct FillView {
  std::string client_order_id;
  std::string symbol;
  std::string side;
  std::string price;
  std::string quantity;
  std::string fee;
  std::string liquidity;  // "maker" | "taker" | "unknown"
  Nanos time = 0;
  SequenceNumber sequence = 0;
};

struct PositionView {
  std::string symbol;
  std::string quantity;  // signed
  std::string average_entry_price;
  std::string realized_pnl;
  std::string unrealized_pnl;
  std::string fees;
  std::string mark_price;
};

struct EquityPoint {
  Nanos time = 0;
  std::string equity;  // realized + unrealized - fees, quote units
};

struct BotView {
  BotId id = kNoBot;
  UserId owner{};
  AccountId account{};  // the owner's account it trades on (its balances, kill switch, limits)
  std::string name;
  std::string type;  // registry type, e.g. "rsi"
  std::string venue;
  std::string symbol;
  BotState state = BotState::kStopped;
  std::string state_reason;  // why it last changed: "operator", "circuit_breaker", ...
  std::string config_json;   // as last accepted
  bool kill_switch = false;  // the bot's own switch (account/global are in EngineView)
  bool circuit_open = false;
  Nanos heartbeat = 0;  // event time of the last input the bot handled
  std::uint64_t inputs_handled = 0;
  PositionView position;
  std::string pnl;  // equity: realized + unrealized - fees
  std::uint32_t open_orders = 0;
  std::uint64_t trades = 0;
  std::vector<OrderView> orders;    // open ones first, then the most recent closed (<= 100)
  std::vector<FillView> fills;      // most recent first (<= 200)
  std::vector<EquityPoint> equity;  // sampled per closed bar (<= 1000, oldest first)
  std::vector<std::string> condition_texts;  // canonical texts of its subscriptions
};

struct BalanceView {
  std::string asset;
  std::string free;
  std::string locked;
};

struct ConditionView {
  std::uint32_t id = 0;
  std::string canonical;
  std::vector<BotId> subscribers;
  std::uint64_t evaluations = 0;
  std::uint64_t triggers = 0;
};

struct FeedView {
  std::string venue;
  std::string state;  // "connected" | "disconnected" | "stale" | "reconnecting" | "gap"
  std::uint64_t messages = 0;
  std::uint64_t rejects = 0;
  Nanos last_message_time = 0;
};

// Per-stage latency since the engine started, nanoseconds (engine/latency_histogram.hpp):
// percentiles within 3.1 % above the true value, and the exact Prometheus buckets.
struct StageLatency {
  std::string stage;  // "feed", "strategy", "risk", "orders", "fold", "journal", "tick_to_order"
  std::uint64_t count = 0;
  std::uint64_t p50 = 0;
  std::uint64_t p99 = 0;
  std::uint64_t max = 0;
  std::uint64_t sum = 0;  // of every latency counted
  // Latencies <= kLatencyBoundsNs[i], for each i (/metrics' `_bucket{le}`).
  std::array<std::uint64_t, kLatencyBoundsNs.size()> cumulative{};
};

// One of a stage's counters (core/counters.hpp), named "<part>_<counter>": "strategy_bad_commands".
struct CounterView {
  std::string_view name;  // static storage too (interned once per process: read_model.cpp)
  std::string_view help;  // the counter table's text (static storage)
  CounterKind kind = CounterKind::kCounter;
  std::uint64_t value = 0;
};

struct EngineView {
  SequenceNumber last_sequence = 0;  // last input applied
  SequenceNumber journal_committed = 0;
  SequenceNumber journal_durable = 0;
  std::string durability;  // "async" | "durable" | "none"
  std::string topology;    // "fused" | "pipelined"
  double events_per_second = 0;
  Nanos engine_time = 0;  // event time of the last input
  Nanos published_wall_time = 0;
  bool global_kill_switch = false;
  // The journal's filesystem: free bytes at the last look (-1: not watched), and whether the
  // engine is below its reserve floor (new bots and exposure-adding orders refused).
  std::int64_t disk_free_bytes = -1;
  bool disk_reserve = false;
  std::vector<std::uint32_t> killed_accounts;
  std::vector<FeedView> feeds;
  std::vector<StageLatency> latency;
  std::vector<BalanceView> balances;  // account 0 (paper) balances
  std::uint64_t inputs = 0;
  // Bot views this read model's publication rebuilt; the others are the very objects of the
  // read model before (engine/shared_views.hpp).
  std::uint64_t views_rebuilt = 0;
  std::uint64_t orders_sent = 0;
  std::uint64_t fills = 0;
  std::uint64_t risk_rejects = 0;
  std::vector<std::pair<std::string, std::uint64_t>> rejects_by_reason;
  // Every stage's counters, in stage then table order: strategy, feed_health, risk,
  // order_stage, paper (when the venue is paper), journal (when there is one). /metrics
  // exports each one.
  std::vector<CounterView> counters;
  std::uint64_t ring_depth_max = 0;  // pipelined: deepest ring at publish time
  bool healthy = true;
  bool journal_failed = false;        // the journal refused a write: unhealthy, in problems
  std::vector<std::string> problems;  // why not healthy, one line each
  bool market_ready = false;          // every instrument has a reference price (a trade or a quote)
  // The shadow replica (engine/replica.hpp), which builds this view: the journal position it
  // has applied and verified (what this view shows), divergent records it found (unhealthy
  // from the first), snapshots it wrote, times the pipeline waited for room in its ring, and
  // its latencies: "lag" (the pipeline finished an input -> the replica applied it) and
  // "freshness" (-> a read model showing it was published). /metrics only.
  SequenceNumber replica_position = 0;
  std::uint64_t replica_divergences = 0;
  std::uint64_t replica_snapshots = 0;
  std::uint64_t replica_full_spins = 0;
  std::vector<StageLatency> replica_latency;
};

// ---- Users and accounts (docs/ACCOUNTS.md) -------------------------------------------------
// Both are journaled state: every change is an OperatorCommand with who made it, so a replay
// rebuilds the same users and accounts. User ids are dense from 1 (0 is the engine itself),
// account ids from 0 (account 0: the deployment's paper account of earlier versions, owned by
// the first admin); never reused (a removed account or a disabled user stays, marked).

struct UserView {
  UserId id{};
  std::string name;  // unique
  bool admin = false;
  bool disabled = false;       // a disabled user's token no longer authenticates
  std::string token_sha256;    // 64 lowercase hex digits; the token itself is never held
  SequenceNumber changed = 0;  // journal sequence of the last command that changed it
};

struct AccountView {
  AccountId id{};
  UserId owner{};
  std::string name;      // unique per owner
  std::string venue;     // "binance", ... (the venue its orders go to; paper simulates it)
  std::string mode;      // "paper" | "live"
  std::string endpoint;  // "production" | "testnet" | "sim" | "custom" (live accounts)
  std::string rest_url, ws_api_url, stream_url;  // resolved base URLs (live accounts)
  std::string key_name;         // the key store entry its API keys are in; "" none attached
  std::string key_fingerprint;  // sha256 hex of the API key id: what the journal holds
  bool removed = false;         // removed accounts keep their id and history, trade no more
  bool kill_switch = false;
  std::vector<BalanceView> balances;
  std::uint32_t bots = 0;  // bots that trade on it
  // Live accounts (docs/ACCOUNTS.md "Live accounts"); a paper account: "paper", rest empty.
  // connection: "paper" | "dry_run" (answered by the paper venue) | "no_gateway" (none
  // attached: live bots do not start) | "connecting" | "connected" | "disconnected" |
  // "refused" (preflight: `refusal` says why, naming the account).
  std::string connection = "paper";
  std::string refusal;
  bool channel_up = false;           // the fold's view: its last order-channel input said up
  std::uint32_t unknown_orders = 0;  // in flight when the channel went down, not yet settled
  // Orders the venue holds that we did not send (reported at reconciliation, never adopted
  // or cancelled), newest last, at most kMaxShown.
  struct ForeignOrder {
    std::string venue_order_id, symbol, side, price, quantity, filled_quantity;
    Nanos time = 0;
    // "reported" (left at the venue), "canceled", "cancel_refused" (reason: the venue's code,
    // docs/BINANCE.md): the account's foreign_orders policy (docs/LIVE.md "Foreign orders").
    std::string action = "reported";
    std::uint16_t reason = 0;
  };
  std::uint64_t foreign_orders_seen = 0;
  std::vector<ForeignOrder> foreign_orders;
  // Cancels the venue refused (the kill switch's sweep among them), newest last, at most
  // kMaxShown: which order, the venue's reason code, when.
  struct RefusedCancel {
    std::string client_order_id, symbol;
    std::uint16_t reason = 0;
    Nanos time = 0;
  };
  std::uint64_t cancels_refused = 0;
  std::vector<RefusedCancel> refused_cancels;
  static constexpr std::size_t kMaxShown = 100;
};

// One operator command from the journal (GET /api/v1/audit).
struct AuditEntry {
  SequenceNumber seq = 0;
  Nanos time = 0;       // the command's journaled event time
  UserId user{};        // who issued it (0: the engine itself, e.g. the tokens-file import)
  std::string command;  // "create_bot", "kill_switch_set", "create_user", "attach_key", ...
  std::string route;    // the API route that issues it: "POST /api/v1/bots/{id}/start"
  std::string target;   // "bot 3", "account 2", "user 4", "global"
  std::string outcome;  // "applied", or why the fold refused it
};

// The bots of a read model, by id: views shared with the read models before and after it
// (engine/shared_views.hpp), each rebuilt only when its bot changed.
using BotViews = SharedViews<BotView>;

struct ReadModel {
  EngineView engine;
  BotViews bots;  // by id
  std::vector<ConditionView> conditions;
  std::vector<UserView> users;        // by id
  std::vector<AccountView> accounts;  // by id
  const BotView* find(BotId id) const noexcept {
    const auto it = std::lower_bound(bots.begin(), bots.end(), id,
                                     [](const BotView& b, BotId v) { return b.id < v; });
    return it != bots.end() && it->id == id ? &*it : nullptr;
  }
  const UserView* find_user(UserId id) const noexcept {
    for (const UserView& u : users)
      if (u.id == id) return &u;
    return nullptr;
  }
  const AccountView* find_account(AccountId id) const noexcept {
    for (const AccountView& a : accounts)
      if (a.id == id) return &a;
    return nullptr;
  }
};

// ---- Commands ----------------------------------------------------------------------------------

enum class CommandStatus : std::uint8_t {
  kAccepted = 0,  // applied and kept by the journal under its durability mode (docs/API.md)
  kInvalid,       // 422: errors names every bad field
  kNotFound,      // 404: no such bot, or not the caller's
  kConflict,      // 409: e.g. start a running bot
  kUnavailable,   // 503: the engine is shutting down or its journal failed
  kTimeout,       // 504: not applied, or not kept, within the wait bound (message says which)
};

struct CommandResult {
  CommandStatus status = CommandStatus::kAccepted;
  BotId bot = kNoBot;
  std::uint32_t created_id = 0;            // create_user / create_account: the new id
  std::vector<config::FieldError> errors;  // for kInvalid
  std::string message;                     // one line, for humans
  SequenceNumber sequence = 0;             // the journaled command's sequence
};

// POST /api/v1/bots/bulk: one journaled create_bots command for every item that passed
// validation and fits the capacity. `items` answers each config in order: kAccepted with its
// new bot id, kInvalid with its bad fields, kConflict when the bot capacity is used up (or the
// fold refused it), or the command's own status (kUnavailable, kTimeout) when it was not
// applied. `status` is the command's (kAccepted when no item reached the journal too).
struct BulkCreateResult {
  CommandStatus status = CommandStatus::kAccepted;
  std::string message;
  SequenceNumber sequence = 0;  // the create_bots command's, 0 when nothing was journaled
  std::vector<CommandResult> items;
};
inline constexpr std::size_t kMaxBulkBots = 1000;  // configs per create_bots

// One event for the WebSocket stream, already formatted as a JSON object text:
// {"seq":N,"time":"<RFC 3339>","time_ns":"<ns>","type":"fill"|"order"|"signal"|"price"|
//  "bot_status"|"risk_reject"|"stop_loss"|"take_profit"|"kill_switch"|"feed",
//  "bot":id (absent for market data), ...}.
// `seq` is the journal sequence of the record it reports: one numbering across restarts that
// a client resumes from (docs/API.md, "Event stream").
struct StreamItem {
  static constexpr std::uint32_t kNotAPrice = 0xFFFF'FFFF;
  SequenceNumber seq = 0;  // the journal sequence, as in the JSON; increasing
  BotId bot = kNoBot;      // kNoBot: market data and engine-wide events, visible to every user
  UserId owner{};          // the bot's owner (users see their own bots' events)
  std::uint32_t price_instrument = kNotAPrice;  // a conflated price event: its instrument index
  std::string json;
};

// What the stream can serve: every stream event with first_seq <= seq <= head_seq is held,
// so a client that saw seq N resumes exactly when first_seq - 1 <= N <= head_seq.
struct StreamWindow {
  SequenceNumber first_seq = 1;
  SequenceNumber head_seq = 0;
  std::vector<SequenceNumber> latest_prices;  // stream_window(): newest price event held per
                                              // instrument, ascending
};

struct StreamBatch {
  std::vector<StreamItem> items;  // oldest first
  StreamWindow window;            // without latest_prices
  bool resync = false;            // `after` was older than first_seq - 1: items start there
};

class ControlPlane {
 public:
  virtual ~ControlPlane() = default;

  // The latest published read model (never null once the engine runs).
  virtual std::shared_ptr<const ReadModel> read_model() const = 0;

  // Bots. `user` owns what it creates; admins may act on any bot (the API decides who is an
  // admin and passes the bot's owner check through `is_admin`).
  virtual CommandResult create_bot(UserId user, std::string_view config_json) = 0;
  // Up to kMaxBulkBots configs (JSON objects) as one journaled command: all items of `user`,
  // on one account (the first valid item's; an item naming another is invalid).
  virtual BulkCreateResult create_bots(UserId user, std::span<const std::string> configs) = 0;
  virtual CommandResult update_bot(UserId user, bool is_admin, BotId bot,
                                   std::string_view config_json) = 0;
  virtual CommandResult bot_command(UserId user, bool is_admin, BotId bot,
                                    OperatorCommandKind kind) = 0;  // start/stop/pause/...
  // Kill switches: scope kBotOrGlobal with bot == kNoBot is global (admins only); kAccount
  // the account's owner or an admin.
  virtual CommandResult kill_switch(UserId user, bool is_admin, CommandScope scope,
                                    std::uint32_t id, bool set) = 0;

  // Users and accounts: admin commands (the API checks the caller's role; `by` is journaled).
  // create_user: {"name":"alice","role":"user"|"admin","token_sha256":"<64 hex>"}.
  // update_user: any of {"disabled":bool,"role":...,"token_sha256":...} (a token rotation is
  // a new hash; the API generates the token and returns it once).
  // create_account: {"owner":<user id>,"name":"main","venue":"binance","mode":"paper"|"live",
  //   "endpoint":"production"|"testnet"|"sim"|"custom", "rest_url"/"ws_api_url"/"stream_url"
  //   (custom), "limits":{...account risk limits...}, "balances":{"USDT":"1000"} (paper)}.
  // attach_key: the key store entry's name and the fingerprint of its API key id (the secret
  // never reaches the engine).
  virtual CommandResult create_user(UserId by, std::string_view json) = 0;
  virtual CommandResult update_user(UserId by, UserId user, std::string_view json) = 0;
  virtual CommandResult create_account(UserId by, std::string_view json) = 0;
  virtual CommandResult remove_account(UserId by, AccountId account) = 0;
  virtual CommandResult attach_key(UserId by, AccountId account, std::string_view key_name,
                                   std::string_view key_fingerprint) = 0;
  // Operator commands journaled after `after`, oldest first, at most `max` (read from the
  // journal, so it covers every restart; empty with the journal off).
  virtual std::vector<AuditEntry> audit(SequenceNumber after, std::size_t max) const = 0;
  // Validates a config without creating anything (the dashboard's live validation).
  virtual std::vector<config::FieldError> validate_bot_config(std::string_view json) const = 0;

  // The event stream: at most `max` items with seq > `after`, oldest first (resync set and
  // the items from first_seq on when the buffer no longer holds what follows `after`).
  virtual StreamBatch stream_since(SequenceNumber after, std::size_t max) const = 0;
  virtual StreamWindow stream_window() const = 0;

  // Prometheus text exposition of the engine's metrics (events, rejects by reason, stage
  // latency histograms, ring depths, journal lag, bot states).
  virtual std::string metrics_text() const = 0;
};

}  // namespace be::engine
