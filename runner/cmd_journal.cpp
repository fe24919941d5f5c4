// `botengine journal inspect|verify|dump DIR`: look into a journal without the engine.
// Opens read-only, so it is safe on a journal another process is writing (it sees the
// journal as of its read transaction). Every damaged input is an error message naming the
// sequence and the reason, exit 1; never a crash.
#include <array>
#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <map>
#include <string>
#include <string_view>

#include "core/civil_time.hpp"
#include "core/event.hpp"
#include "core/order_intent.hpp"
#include "journal/reader.hpp"
#include "runner/cli.hpp"

namespace be::cli {
namespace {

using journal::Reader;
using journal::ReadStatus;
using journal::RecordView;

constexpr std::string_view kUsage =
    "usage: botengine journal inspect DIR      counts by type, first/last sequence and time\n"
    "       botengine journal verify DIR       check every CRC and sequence contiguity\n"
    "       botengine journal dump DIR [--from SEQ] [--limit N]\n"
    "                                          records as JSON lines\n"
    "exit: 0 ok, 1 the journal is damaged or unreadable, 2 usage error\n";

constexpr std::string_view kInspectHelp =
    "usage: botengine journal inspect DIR\n"
    "Prints the journal's meta (schema, instance id, creation time), the number of records\n"
    "by type, and the first and last sequence with their event times. Reads every record,\n"
    "so a damaged record is reported (exit 1).\n";
constexpr std::string_view kVerifyHelp =
    "usage: botengine journal verify DIR\n"
    "Checks every event and snapshot frame's CRC32C, that sequences are contiguous, and that\n"
    "every record type/version is known to this build. Exit 0 when all is well; exit 1 with\n"
    "the first bad sequence and the reason otherwise.\n";
constexpr std::string_view kDumpHelp =
    "usage: botengine journal dump DIR [--from SEQ] [--limit N]\n"
    "Prints one JSON object per record: seq, type, version, flags, source, event_time,\n"
    "receive_time (ns) and the decoded payload (prices and quantities as raw fixed-point\n"
    "int64). Stops with exit 1 at the first damaged record.\n";

void out(std::FILE* f, std::string_view s) {
  std::fwrite(s.data(), 1, s.size(), f);
}

// The one formatter of times for people and clients (core/civil_time.hpp).
std::string format_time(Nanos ns) {
  return rfc3339_ns(ns);
}

int report(const journal::Error& e) {
  std::fprintf(stderr, "botengine journal: %s\n", e.message.c_str());
  return kExitFailure;
}

std::unique_ptr<Reader> open_or_report(std::string_view dir) {
  auto r = Reader::open(std::string(dir));
  if (!r) {
    (void)report(r.error());
    return nullptr;
  }
  return std::move(*r);
}

int inspect(std::string_view dir) {
  auto reader = open_or_report(dir);
  if (!reader) return kExitFailure;
  std::map<std::uint16_t, std::uint64_t> counts;
  std::uint64_t total = 0;
  RecordView first;
  RecordView last;
  RecordView v;
  ReadStatus st;
  while ((st = reader->next(v)) == ReadStatus::kRecord) {
    if (total == 0) first = v;
    last = v;
    ++total;
    ++counts[static_cast<std::uint16_t>(v.type)];
  }
  if (st == ReadStatus::kError) return report(reader->error());
  const auto& meta = reader->journal().meta();
  std::printf("journal      %.*s\n", static_cast<int>(dir.size()), dir.data());
  std::printf("schema       %u\n", meta.schema_version);
  std::printf("instance     %s\n", meta.instance_id.c_str());
  std::printf("created      %s\n", format_time(meta.created_ns).c_str());
  std::printf("records      %" PRIu64 "\n", total);
  if (total > 0) {
    std::printf("first        sequence %" PRIu64 "  event_time %s\n", first.sequence,
                format_time(first.event_time).c_str());
    std::printf("last         sequence %" PRIu64 "  event_time %s\n", last.sequence,
                format_time(last.event_time).c_str());
    std::printf("by type\n");
    for (const auto& [type, n] : counts) {
      const std::string_view name = to_string(static_cast<EventType>(type));
      std::printf("  %-18.*s %" PRIu64 "\n", static_cast<int>(name.size()), name.data(), n);
    }
  }
  journal::SnapshotView snap;
  bool found = false;
  if (auto e = reader->find_snapshot(~SequenceNumber{0}, snap, found); !e.ok()) return report(e);
  if (found) {
    std::printf("snapshot     latest at sequence %" PRIu64 " (%zu bytes, hash %016" PRIx64 ")\n",
                snap.sequence, snap.state.size(), snap.state_hash);
  } else {
    std::printf("snapshot     none\n");
  }
  return kExitOk;
}

int verify(std::string_view dir) {
  auto reader = open_or_report(dir);
  if (!reader) return kExitFailure;
  std::uint64_t total = 0;
  SequenceNumber first = 0;
  SequenceNumber last = 0;
  RecordView v;
  ReadStatus st;
  while ((st = reader->next(v)) == ReadStatus::kRecord) {
    if (!journal::is_known_record(v.type, v.version)) {
      Event e;
      return report(journal::decode(v, e));
    }
    if (total == 0) first = v.sequence;
    last = v.sequence;
    ++total;
  }
  if (st == ReadStatus::kError) return report(reader->error());
  // Snapshots: walk down from the newest, checking each frame.
  std::uint64_t snapshots = 0;
  SequenceNumber at = ~SequenceNumber{0};
  for (;;) {
    journal::SnapshotView snap;
    bool found = false;
    if (auto e = reader->find_snapshot(at, snap, found); !e.ok()) return report(e);
    if (!found) break;
    ++snapshots;
    if (snap.sequence == 0) break;
    at = snap.sequence - 1;
  }
  std::printf("ok: %" PRIu64 " records", total);
  if (total > 0) std::printf(", sequences %" PRIu64 "..%" PRIu64, first, last);
  std::printf(", %" PRIu64 " snapshots; CRC32C and contiguity verified\n", snapshots);
  if (total > 0 && first > 1) {
    std::printf("records before %" PRIu64
                " were retired by retention (archived or deleted); `botengine replay DIR "
                "--archive ARCHIVE` reads the archived ones\n",
                first);
  }
  return kExitOk;
}

// The symbol is venue text: escape what JSON cannot carry raw.
std::string json_escape(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      std::array<char, 8> buf{};
      std::snprintf(buf.data(), buf.size(), "\\u%04x", static_cast<unsigned>(c));
      out += buf.data();
    } else {
      out += c;
    }
  }
  return out;
}

void print_payload(const Event& e, const RecordView& v) {
  switch (e.header.type) {
    case EventType::kInstrumentDefined: {
      const auto p = e.as<InstrumentDefined>();
      const std::string sym = json_escape(p.symbol_view());
      std::printf(
          "{\"instrument\":%u,\"venue\":%u,\"symbol\":\"%s\",\"price_scale\":%u,"
          "\"qty_scale\":%u,\"tick_size\":%" PRId64 ",\"step_size\":%" PRId64
          ",\"min_notional\":%" PRId64 ",\"base_asset\":\"%s\",\"quote_asset\":\"%s\"}",
          index_of(p.instrument), index_of(p.venue), sym.c_str(), p.price_scale, p.qty_scale,
          p.tick_size, p.step_size, p.min_notional, json_escape(p.base_view()).c_str(),
          json_escape(p.quote_view()).c_str());
      return;
    }
    case EventType::kTrade: {
      const auto p = e.as<Trade>();
      std::printf("{\"instrument\":%u,\"aggressor\":%u,\"price\":%" PRId64 ",\"quantity\":%" PRId64
                  ",\"trade_id\":%" PRIu64 "}",
                  index_of(p.instrument), static_cast<unsigned>(p.aggressor), p.price, p.quantity,
                  p.trade_id);
      return;
    }
    case EventType::kQuote: {
      const auto p = e.as<Quote>();
      std::printf("{\"instrument\":%u,\"bid_price\":%" PRId64 ",\"bid_quantity\":%" PRId64
                  ",\"ask_price\":%" PRId64 ",\"ask_quantity\":%" PRId64 ",\"update_id\":%" PRIu64
                  "}",
                  index_of(p.instrument), p.bid_price, p.bid_quantity, p.ask_price, p.ask_quantity,
                  p.update_id);
      return;
    }
    case EventType::kBar: {
      const auto p = e.as<Bar>();
      std::printf("{\"instrument\":%u,\"interval_seconds\":%u,\"open_time\":%" PRId64
                  ",\"open\":%" PRId64 ",\"high\":%" PRId64 ",\"low\":%" PRId64
                  ",\"close\":%" PRId64 ",\"volume\":%" PRId64 ",\"trade_count\":%u,\"closed\":%u}",
                  index_of(p.instrument), p.interval_seconds, p.open_time, p.open, p.high, p.low,
                  p.close, p.volume, p.trade_count, p.closed);
      return;
    }
    case EventType::kBookDelta: {
      const auto p = e.as<BookDelta>();
      std::printf("{\"instrument\":%u,\"side\":%u,\"flags\":%u,\"price\":%" PRId64
                  ",\"quantity\":%" PRId64 ",\"first_update_id\":%" PRIu64
                  ",\"last_update_id\":%" PRIu64 "}",
                  index_of(p.instrument), static_cast<unsigned>(p.side), p.flags, p.price,
                  p.quantity, p.first_update_id, p.last_update_id);
      return;
    }
    case EventType::kConnectivity: {
      const auto p = e.as<Connectivity>();
      std::printf("{\"venue\":%u,\"state\":%u,\"instrument\":%u,\"expected_sequence\":%" PRIu64
                  ",\"received_sequence\":%" PRIu64 "}",
                  index_of(p.venue), static_cast<unsigned>(p.state), index_of(p.instrument),
                  p.expected_sequence, p.received_sequence);
      return;
    }
    case EventType::kTimer: {
      const auto p = e.as<Timer>();
      std::printf("{\"owner\":%u,\"timer_id\":%u,\"deadline\":%" PRId64 "}", index_of(p.owner),
                  p.timer_id, p.deadline);
      return;
    }
    case EventType::kOperatorCommand: {
      const auto p = e.as<OperatorCommand>();
      std::printf(
          "{\"kind\":%u,\"scope\":%u,\"bot\":%u,\"user_id\":%u,\"account\":%u,"
          "\"blob_id\":%" PRIu64 ",\"request_id\":%" PRIu64 "}",
          static_cast<unsigned>(p.kind), static_cast<unsigned>(p.scope), index_of(p.bot), p.user_id,
          p.account, p.blob_id, p.request_id);
      return;
    }
    case EventType::kOrderUpdate: {
      const auto p = e.as<OrderUpdate>();
      std::printf(
          "{\"bot\":%u,\"event\":%u,\"liquidity\":%u,\"reason\":%u,\"instrument\":%u,"
          "\"account\":%u,\"client_sequence\":%" PRIu64 ",\"venue_order_id\":%" PRIu64
          ",\"last_price\":%" PRId64 ",\"last_quantity\":%" PRId64
          ",\"cumulative_quantity\":%" PRId64 ",\"fee\":%" PRId64 ",\"trade_id\":%" PRIu64 "}",
          index_of(p.bot), p.event, p.liquidity, p.reason, index_of(p.instrument),
          index_of(p.account), p.client_sequence, p.venue_order_id, p.last_price, p.last_quantity,
          p.cumulative_quantity, p.fee, p.trade_id);
      return;
    }
    case EventType::kBalanceUpdate: {
      const auto p = e.as<BalanceUpdate>();
      std::printf("{\"account\":%u,\"asset\":%u,\"free\":%" PRId64 ",\"locked\":%" PRId64 "}",
                  index_of(p.account), index_of(p.asset), p.free, p.locked);
      return;
    }
    case EventType::kOrderIntent: {
      const auto p = e.as<OrderIntent>();
      std::printf(
          "{\"bot\":%u,\"instrument\":%u,\"side\":%u,\"type\":%u,\"tif\":%u,"
          "\"flags\":%u,\"tag\":%u,\"price\":%" PRId64 ",\"quantity\":%" PRId64
          ",\"quote_amount\":%" PRId64 ",\"client_sequence\":%" PRIu64 "}",
          index_of(p.bot), index_of(p.instrument), static_cast<unsigned>(p.side),
          static_cast<unsigned>(p.type), static_cast<unsigned>(p.time_in_force), p.flags, p.tag,
          p.price, p.quantity, p.quote_amount, p.cause);
      return;
    }
    case EventType::kRiskReject: {
      // risk::RiskReject's layout (risk/types.hpp), read field by field: the CLI does not
      // link the risk library for one struct.
      struct {
        std::uint8_t reason, scope;
        std::uint16_t reserved;
        std::uint32_t scope_id, bot, instrument;
        std::int64_t limit, observed;
        std::uint64_t cause;
        std::int64_t event_time;
      } p;
      static_assert(sizeof(p) == 48);
      std::memcpy(&p, e.payload.data(), sizeof(p));
      std::printf(
          "{\"reason\":%u,\"scope\":%u,\"scope_id\":%u,\"bot\":%u,\"instrument\":%u,"
          "\"limit\":%" PRId64 ",\"observed\":%" PRId64 ",\"cause\":%" PRIu64 "}",
          p.reason, p.scope, p.scope_id, p.bot, p.instrument, p.limit, p.observed, p.cause);
      return;
    }
    case EventType::kOrderNew: {
      const auto p = e.as<OrderNew>();
      std::printf("{\"bot\":%u,\"instrument\":%u,\"client_sequence\":%" PRIu64
                  ",\"account\":%u,\"side\":%u,\"type\":%u,\"tif\":%u,\"tag\":%u,"
                  "\"price\":%" PRId64 ",\"quantity\":%" PRId64 "}",
                  index_of(p.bot), index_of(p.instrument), p.client_sequence, index_of(p.account),
                  static_cast<unsigned>(p.side), p.order_type, p.time_in_force, p.tag, p.price,
                  p.quantity);
      return;
    }
    case EventType::kOrderCancel: {
      const auto p = e.as<OrderCancel>();
      std::printf("{\"bot\":%u,\"instrument\":%u,\"client_sequence\":%" PRIu64
                  ",\"account\":%u,\"tag\":%u}",
                  index_of(p.bot), index_of(p.instrument), p.client_sequence, index_of(p.account),
                  p.tag);
      return;
    }
    case EventType::kFillApplied: {
      const auto p = e.as<FillApplied>();
      std::printf(
          "{\"bot\":%u,\"instrument\":%u,\"side\":%u,\"tag\":%u,"
          "\"client_sequence\":%" PRIu64 ",\"price\":%" PRId64 ",\"quantity\":%" PRId64
          ",\"fee\":%" PRId64 ",\"position_after\":%" PRId64 ",\"realized_pnl\":%" PRId64 "}",
          index_of(p.bot), index_of(p.instrument), static_cast<unsigned>(p.side), p.tag,
          p.client_sequence, p.price, p.quantity, p.fee, p.position_after, p.realized_pnl);
      return;
    }
    case EventType::kBotStatus: {
      const auto p = e.as<BotStatus>();
      const std::string from(to_string(p.from));
      const std::string to(to_string(p.to));
      std::printf("{\"bot\":%u,\"from\":\"%s\",\"to\":\"%s\",\"reason\":%u,\"user_id\":%u}",
                  index_of(p.bot), from.c_str(), to.c_str(), p.reason, p.user_id);
      return;
    }
    case EventType::kSignal: {
      const auto p = e.as<Signal>();
      std::printf(
          "{\"bot\":%u,\"condition_index\":%u,\"instrument\":%u,"
          "\"timeframe_seconds\":%u,\"bar_open_time\":%" PRId64
          ",\"lhs\":%.17g,"
          "\"rhs\":%.17g}",
          index_of(p.bot), p.condition_index, index_of(p.instrument), p.timeframe_seconds,
          p.bar_open_time, p.lhs, p.rhs);
      return;
    }
    case EventType::kNotification: {
      const auto p = e.as<Notification>();
      std::printf(
          "{\"kind\":%u,\"side\":%u,\"code\":%u,\"bot\":%u,\"instrument\":%u,"
          "\"value1\":%" PRId64 ",\"value2\":%" PRId64 ",\"cause\":%" PRIu64 "}",
          static_cast<unsigned>(p.kind), static_cast<unsigned>(p.side), p.code, index_of(p.bot),
          index_of(p.instrument), p.value1, p.value2, p.cause);
      return;
    }
    case EventType::kStateHash: {
      const auto p = e.as<StateHash>();
      std::printf("{\"at\":%" PRIu64 ",\"strategy\":%" PRIu64 ",\"risk\":%" PRIu64
                  ",\"orders\":%" PRIu64 ",\"combined\":%" PRIu64 "}",
                  p.at, p.strategy, p.risk, p.orders, p.combined);
      return;
    }
    case EventType::kBlob: {
      std::printf("{\"blob_id\":%" PRIu64 ",\"kind\":%u,\"size\":%zu,\"hex\":\"", v.blob_id,
                  v.blob_kind, v.payload.size());
      for (std::byte b : v.payload)
        std::printf("%02x", static_cast<unsigned>(b));
      std::printf("\"}");
      return;
    }
    case EventType::kInvalid:
      break;
  }
  std::printf("null");
}

bool parse_u64(std::string_view s, std::uint64_t& out) {
  if (s.empty() || s.size() > 20) return false;
  std::uint64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
    const std::uint64_t d = static_cast<std::uint64_t>(c - '0');
    if (v > (~std::uint64_t{0} - d) / 10) return false;
    v = v * 10 + d;
  }
  out = v;
  return true;
}

int dump(std::string_view dir, SequenceNumber from, std::uint64_t limit) {
  auto reader = open_or_report(dir);
  if (!reader) return kExitFailure;
  reader->seek(from);
  RecordView v;
  ReadStatus st;
  std::uint64_t n = 0;
  while (n < limit && (st = reader->next(v)) == ReadStatus::kRecord) {
    Event e;
    if (auto err = journal::decode(v, e); !err.ok()) return report(err);
    const std::string_view name = to_string(v.type);
    std::printf("{\"seq\":%" PRIu64
                ",\"type\":\"%.*s\",\"version\":%u,\"flags\":%u,"
                "\"derived\":%s,\"source\":%u,\"event_time\":%" PRId64 ",\"receive_time\":%" PRId64
                ",\"payload\":",
                v.sequence, static_cast<int>(name.size()), name.data(), v.version, v.flags,
                e.derived() ? "true" : "false", v.source, v.event_time, v.receive_time);
    print_payload(e, v);
    std::printf("}\n");
    ++n;
  }
  if (n < limit && st == ReadStatus::kError) return report(reader->error());
  return kExitOk;
}

int usage_error(std::string_view why) {
  std::fprintf(stderr, "botengine journal: %.*s\n\n", static_cast<int>(why.size()), why.data());
  out(stderr, kUsage);
  return kExitUsage;
}

}  // namespace

int run_journal(Args args) {
  if (args.empty()) return usage_error("missing subcommand");
  const std::string_view sub = args[0];
  if (sub == "--help" || sub == "-h" || sub == "help") {
    out(stdout, kUsage);
    return kExitOk;
  }
  const std::string_view help = sub == "inspect"  ? kInspectHelp
                                : sub == "verify" ? kVerifyHelp
                                : sub == "dump"   ? kDumpHelp
                                                  : std::string_view{};
  if (help.empty()) return usage_error("unknown subcommand '" + std::string(sub) + "'");
  std::string_view dir;
  SequenceNumber from = 0;
  std::uint64_t limit = ~std::uint64_t{0};
  for (std::size_t i = 1; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (a == "--help" || a == "-h") {
      out(stdout, help);
      return kExitOk;
    }
    if (sub == "dump" && (a == "--from" || a == "--limit")) {
      std::uint64_t value = 0;
      if (i + 1 >= args.size() || !parse_u64(args[i + 1], value)) {
        return usage_error(std::string(a) + " needs a non-negative integer");
      }
      (a == "--from" ? from : limit) = value;
      ++i;
      continue;
    }
    if (!a.empty() && a[0] == '-') return usage_error("unknown option '" + std::string(a) + "'");
    if (!dir.empty()) return usage_error("more than one DIR given");
    dir = a;
  }
  if (dir.empty()) return usage_error(std::string(sub) + ": missing DIR");
  if (sub == "inspect") return inspect(dir);
  if (sub == "verify") return verify(dir);
  return dump(dir, from, limit);
}

}  // namespace be::cli
