#include "engine/fold.hpp"

#include <algorithm>

#include "core/state_io.hpp"

namespace be::engine {

namespace {

// 2: held sends and their stats. 3: the directory (users and accounts) after the order
// stage's tables; a version-2 snapshot restores with an empty directory (what a journal from
// before users held). 4: the order stage's live block (live accounts, their order channels,
// dry run) after the directory; a version-3 snapshot restores with none. Older ones are
// refused: recovery then uses an older snapshot or replays from the start, which gives the
// same state.
constexpr std::uint8_t kFoldSnapshotVersion = 4;
constexpr std::uint8_t kNoLiveVersion = 3;
constexpr std::uint8_t kNoDirectoryVersion = 2;

DirectoryConfig directory_config(const FoldConfig& config) {
  DirectoryConfig d = config.directory;
  const std::uint32_t tables = std::min({config.oms.accounts, config.risk.capacity.accounts,
                                         config.paper_venue ? config.paper.accounts : ~0u});
  d.max_accounts = d.max_accounts == 0 ? tables : std::min(d.max_accounts, tables);
  return d;
}

oms::OrderStageConfig order_stage_config(const FoldConfig& config) {
  oms::OrderStageConfig c;
  c.capacity = config.oms;
  c.paper_venue = config.paper_venue;
  c.hold_sends = config.hold_sends;
  c.paper = config.paper;
  return c;
}

}  // namespace

void size_tables(FoldConfig& config, const EngineCapacity& capacity, std::uint32_t assets) {
  const std::uint32_t asset_rows = std::max<std::uint32_t>(32, assets);
  config.strategy.bots = capacity.bots;
  config.strategy.instruments = capacity.instruments;
  config.risk.capacity = {capacity.bots, capacity.accounts, capacity.instruments, asset_rows};
  config.risk.max_tracked_orders = capacity.open_orders;
  config.oms = {capacity.bots, capacity.instruments, asset_rows, capacity.accounts,
                capacity.open_orders};
  config.paper.instruments = capacity.instruments;
  config.paper.accounts = capacity.accounts;
  config.paper.assets = asset_rows;
  config.paper.max_orders = capacity.open_orders;
  config.directory.max_accounts = capacity.accounts;
  // One input may reach every bot (a shutdown stops each and cancels its orders; a bar close
  // runs every bot of its instrument and timeframe): room for a few records per bot beyond
  // the 8,192 that at most 1,024 intents of one input derive.
  config.max_records_per_input = std::max<std::size_t>(8192, 4096 + 4 * std::size_t{capacity.bots});
}

Fold::Fold(const FoldConfig& config, oms::VenueResponses& responses)
    : config_(config),
      strategy_(config.strategy),
      risk_(config.risk),
      order_(order_stage_config(config), responses),
      directory_(directory_config(config)),
      batch_(config.max_records_per_input),
      strategy_out_(config.max_records_per_input),
      risk_out_(config.max_records_per_input),
      oms_out_(config.max_records_per_input) {
  // The order stage copied the starting balances; the caller's span may not outlive us.
  config_.paper.starting_balances = {};
}

Fold::~Fold() = default;

void Fold::set_responses(oms::VenueResponses& responses) {
  order_.set_responses(responses);
}

std::span<const Event> Fold::apply(const Event& input, SequenceNumber ordinal) {
  strategy_phase(input, ordinal, batch_);
  risk_phase(batch_);
  order_phase(batch_);
  return batch_.records.records();
}

void Fold::strategy_phase(const Event& raw_input, SequenceNumber ordinal, FoldBatch& b) {
  b.records.clear();
  b.actions.clear();
  b.ordinal = ordinal;
  Event input = raw_input;
  input.header.sequence = ordinal;
  input.header.flags &= static_cast<std::uint16_t>(~kFlagDerived);
  directory_.on_input(input, b.directory);
  if (input.header.type == EventType::kOperatorCommand) {
    // A bot trades on an account of its owner and nothing else: the account the engine
    // resolved is journaled as the fold applies it (kNoAccount when it no longer holds, e.g.
    // removed meanwhile: the bot then cannot trade).
    auto c = input.as<OperatorCommand>();
    if (c.kind == OperatorCommandKind::kCreateBot || c.kind == OperatorCommandKind::kCreateBots) {
      c.account = index_of(directory_.resolve_bot_account(UserId{c.user_id}, AccountId{c.account}));
      input = Event::make(c, input.header.event_time, input.header.receive_time);
      input.header.sequence = ordinal;
      input.header.source = raw_input.header.source;
    }
  }
  b.records.push(input);
  strategy_out_.clear();
  strategy_.on_input(input, strategy_out_);
  b.command_refused = input.header.type == EventType::kOperatorCommand &&
                      (strategy_.last_command_refused() || !b.directory.refusal.empty());
  for (const Event& record : strategy_out_.records())
    b.records.push(record);
  b.strategy_end = b.records.size();
  b.engine_time = strategy_.engine_time();
  b.strategy_overflow = strategy_out_.overflow();
}

void Fold::risk_phase(FoldBatch& b) {
  // Risk folds the input (which may derive protection exits), then checks in place what the
  // strategy derived; its own records (exits, rejects, notifications) follow the strategy's.
  risk_out_.clear();
  const Event& input = b.records.records()[0];
  risk_.on_input(input, risk_out_);
  if (b.directory.limits && b.directory.account != kNoAccount)
    risk_.configure_account(b.directory.account, *b.directory.limits);
  for (std::size_t i = 1; i < b.strategy_end; ++i)
    risk_.on_derived(b.records.records()[i], risk_out_);
  for (const Event& record : risk_out_.records())
    b.records.push(record);
  b.risk_overflow = risk_out_.overflow();
}

void Fold::order_phase(FoldBatch& b) {
  // The order stage sees the input and everything the strategy and risk phases derived.
  oms_out_.clear();
  ordinal_ = b.ordinal;
  order_.on_input(b.records.records(), oms_out_, b.actions);
  if (b.directory.open_paper) {
    order_.open_paper_account(b.directory.account, b.directory.credits,
                              b.records.records()[0].header.event_time);
  }
  if (b.directory.open_live) {
    order_.mark_live(b.directory.account, b.records.records()[0].header.event_time);
  }
  for (const Event& record : oms_out_.records())
    b.records.push(record);
  record_overflow_ = b.strategy_overflow + b.risk_overflow + oms_out_.overflow();
}

std::size_t Fold::connection_lost() {
  return order_.connection_lost();
}

void Fold::reconcile(Nanos now) {
  order_.reconcile(now);
}

StateHashes Fold::hashes() const {
  StateHashes h;
  h.strategy = strategy_.state_hash();
  h.risk = risk_.state_hash();
  h.orders = order_.state_hash();
  // Word-wise mixes with the FNV prime, as every StateHash record in a journal holds them.
  h.combined = h.strategy;
  for (std::uint64_t part : {h.risk, h.orders, static_cast<std::uint64_t>(ordinal_)}) {
    h.combined = (h.combined ^ part) * state_io::kFnvPrime;
  }
  if (!directory_.empty()) {
    h.directory = directory_.state_hash();
    h.combined = (h.combined ^ h.directory) * state_io::kFnvPrime;
  }
  return h;
}

StateHash Fold::state_hash_record() const {
  const StateHashes h = hashes();
  StateHash record;
  record.at = ordinal_;
  record.strategy = h.strategy;
  record.risk = h.risk;
  record.orders = h.orders;
  record.combined = h.combined;
  return record;
}

// The frame: version, ordinal, the order stage's counters and asset names, the strategy and
// risk stages' snapshots, the order stage's tables (oms::put_blob frames each snapshot).
std::vector<std::byte> Fold::snapshot() const {
  std::vector<std::byte> out;
  // Room for the header up front: GCC 12 -O3 misreads a first insert into an empty vector
  // as an overflow (-Wstringop-overflow); the tables' blobs grow it from there.
  out.reserve(4096);
  state_io::Writer w(out);
  w.put(kFoldSnapshotVersion);
  w.put(ordinal_);
  order_.save_counters(w);
  oms::put_blob(w, strategy_.snapshot());
  oms::put_blob(w, risk_.snapshot());
  order_.save_tables(w);
  directory_.save(w);
  order_.save_live(w);
  return out;
}

std::optional<std::string> Fold::restore(std::span<const std::byte> in) {
  // Parse the whole frame first, then hand each stage its part.
  if (in.size() < sizeof kFoldSnapshotVersion + sizeof ordinal_ + oms::OrderStage::kCountersBytes)
    return "fold snapshot: truncated";
  state_io::Reader r{in};
  const auto version = r.get<std::uint8_t>();
  if (version != kFoldSnapshotVersion && version != kNoLiveVersion &&
      version != kNoDirectoryVersion)
    return "fold snapshot: unknown version";
  const auto ordinal = r.get<SequenceNumber>();
  oms::OrderStage::Saved order;
  if (!order_.read_counters(r, order)) return "fold snapshot: truncated";
  const auto strategy = oms::get_blob(r);
  const auto risk = oms::get_blob(r);
  if (!strategy || !risk || !order_.read_tables(r, order)) return "fold snapshot: truncated";
  if (version >= kNoLiveVersion && !directory_.load(r)) return "fold snapshot: directory";
  if (version >= kFoldSnapshotVersion && !order_.load_live(r)) return "fold snapshot: live block";
  if (!r.at_end()) return "fold snapshot: trailing bytes";
  if (auto e = strategy_.restore(*strategy)) return e;
  if (auto e = risk_.restore(*risk)) return e;
  if (auto e = order_.restore(order)) return "fold snapshot: " + *e;
  ordinal_ = ordinal;
  return std::nullopt;
}

}  // namespace be::engine
