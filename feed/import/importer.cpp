#include "feed/import/importer.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>

#include "feed/candle_file.hpp"
#include "feed/import/checksum.hpp"
#include "feed/import/zip_reader.hpp"
#include "feed/record/capture_writer.hpp"

namespace be::feed::import {

namespace {

namespace fs = std::filesystem;

std::optional<std::string> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad()) return std::nullopt;
  return std::move(text).str();
}

bool is_interval(std::string_view s) {
  // Binance's kline intervals: 1s, 1m .. 30m, 1h .. 12h, 1d, 3d, 1w, 1mo.
  if (s == "1mo") return true;
  if (s.size() < 2 || s.size() > 3) return false;
  for (std::size_t i = 0; i + 1 < s.size(); ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
  }
  return std::string_view("smhdw").find(s.back()) != std::string_view::npos;
}

std::string lower(std::string s) {
  for (char& c : s)
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

// Where rows go: a candle file or a capture, written to OUTPUT.part.
class Output {
 public:
  virtual ~Output() = default;
  virtual std::string kline(const KlineRow& row) = 0;
  virtual std::string trade(const TradeRow& row) = 0;
  virtual std::string finish() = 0;  // "" when written
};

class CandleOutput final : public Output {
 public:
  explicit CandleOutput(std::string path) : path_(std::move(path)) {
    text_ = std::string(replay::kCandleCsvHeader);
  }
  std::string kline(const KlineRow& r) override {
    replay::append_candle_csv_row(text_, r.open_time, r.open, r.high, r.low, r.close, r.volume);
    return {};
  }
  std::string trade(const TradeRow&) override { return "trades do not make candles"; }
  std::string finish() override {
    std::ofstream out(path_, std::ios::binary | std::ios::trunc);
    out << text_;
    out.flush();
    return out ? std::string() : "cannot write " + path_;
  }

 private:
  std::string path_, text_;
};

class CaptureOutput final : public Output {
 public:
  CaptureOutput(std::unique_ptr<capture::CaptureWriter> writer, FileFormat format,
                std::string symbol)
      : writer_(std::move(writer)), format_(format), symbol_(std::move(symbol)) {
    stream_ = lower(symbol_) + (format == FileFormat::kBinanceAggTrades ? "@aggTrade" : "@trade");
  }
  std::string kline(const KlineRow&) override { return "klines make candles, not captures"; }
  std::string trade(const TradeRow& r) override {
    frame_.clear();
    const long long ms = r.time / 1'000'000;
    char buf[160];
    if (format_ == FileFormat::kKrakenTrades) {
      std::snprintf(buf, sizeof buf, "%lld.%09lld", static_cast<long long>(r.time / 1'000'000'000),
                    static_cast<long long>(r.time % 1'000'000'000));
      frame_ = "[0,[[\"" + std::string(r.price) + "\",\"" + std::string(r.quantity) + "\",\"" +
               buf + "\",\"\",\"\",\"\"]],\"trade\",\"" + symbol_ + "\"]";
    } else {
      const bool agg = format_ == FileFormat::kBinanceAggTrades;
      frame_ = "{\"stream\":\"" + stream_ + "\",\"data\":{\"e\":\"" + (agg ? "aggTrade" : "trade") +
               "\",\"E\":" + std::to_string(ms) + ",\"s\":\"" + symbol_ + "\",\"" +
               (agg ? "a" : "t") + "\":" + std::to_string(r.id) + ",\"p\":\"" +
               std::string(r.price) + "\",\"q\":\"" + std::string(r.quantity) + "\",";
      if (agg) {
        frame_ +=
            "\"f\":" + std::to_string(r.first_id) + ",\"l\":" + std::to_string(r.last_id) + ',';
      }
      frame_ += "\"T\":" + std::to_string(ms) + ",\"m\":" + (r.buyer_maker ? "true" : "false") +
                ",\"M\":true}}";
    }
    if (!writer_->append(capture::FrameKind::kReceived, 0, r.time, frame_)) {
      return "cannot write the capture: " + writer_->error();
    }
    return {};
  }
  std::string finish() override {
    return writer_->close() ? std::string() : "cannot write the capture: " + writer_->error();
  }

 private:
  std::unique_ptr<capture::CaptureWriter> writer_;
  FileFormat format_;
  std::string symbol_, stream_, frame_;
};

// One file's CSV text (an archive's one CSV member, or the file itself), checksum checked.
Expected<std::pair<std::string, std::string>, std::string> csv_of(const std::string& path,
                                                                  const ImportOptions& options,
                                                                  ImportedFile& report) {
  auto bytes = read_file(path);
  if (!bytes) return Unexpected("cannot read " + path);
  const std::string name = fs::path(path).filename().string();
  const std::string checksum_path = path + ".CHECKSUM";
  if (auto checksum = read_file(checksum_path)) {
    if (auto wrong = check_sha256(*bytes, name, *checksum)) {
      return Unexpected(path + ": checksum refused (" + checksum_path + "): " + *wrong);
    }
    report.checksum = "verified (" + name + ".CHECKSUM)";
  } else if (options.require_checksum) {
    return Unexpected(path + ": no " + checksum_path + " beside it (--require-checksum)");
  } else {
    report.checksum = "not verified (no " + name + ".CHECKSUM)";
  }
  if (!looks_like_zip(*bytes)) return std::pair{path, std::move(*bytes)};
  auto members = read_zip(*bytes, path);
  if (!members) return Unexpected(members.error());
  if (members->size() != 1) {
    return Unexpected(path + ": expected one CSV member, the archive holds " +
                      std::to_string(members->size()));
  }
  return std::pair{path + ": " + (*members)[0].name, std::move((*members)[0].data)};
}

}  // namespace

FileName parse_file_name(std::string_view path) {
  std::string stem = fs::path(std::string(path)).filename().string();
  for (std::string_view ext : {".CHECKSUM", ".zip", ".csv"}) {
    if (stem.size() > ext.size() && stem.ends_with(ext)) stem.resize(stem.size() - ext.size());
  }
  FileName out;
  const std::size_t dash = stem.find('-');
  if (dash == std::string::npos || dash == 0) return out;
  const std::size_t next = stem.find('-', dash + 1);
  const std::string kind =
      stem.substr(dash + 1, next == std::string::npos ? next : next - dash - 1);
  out.symbol = stem.substr(0, dash);
  if (kind == "aggTrades") {
    out.format = FileFormat::kBinanceAggTrades;
  } else if (kind == "trades") {
    out.format = FileFormat::kBinanceTrades;
  } else if (is_interval(kind)) {
    out.format = FileFormat::kBinanceKlines;
    out.interval = kind;
  } else {
    out.symbol.clear();
  }
  return out;
}

Expected<ImportSummary, std::string> import_files(const std::vector<std::string>& inputs,
                                                  const ImportOptions& options) {
  if (inputs.empty()) return Unexpected(std::string("no input file"));
  ImportSummary summary;
  const FileName first = parse_file_name(inputs.front());
  summary.format = options.format != FileFormat::kUnknown ? options.format : first.format;
  summary.interval = first.interval;
  summary.symbol = !options.symbol.empty() ? options.symbol : first.symbol;
  if (summary.format == FileFormat::kUnknown) {
    return Unexpected("cannot tell the format of " + inputs.front() +
                      " from its name (Binance's SYMBOL-KIND-DATE.zip); pass --format");
  }
  if (summary.format == FileFormat::kKrakenTrades && summary.symbol.empty()) {
    summary.symbol = fs::path(inputs.front()).stem().string();
  }
  if (summary.format == FileFormat::kKrakenTrades &&
      summary.symbol.find('/') == std::string::npos) {
    return Unexpected("Kraken's WebSocket names pairs with a slash: pass --symbol (e.g. " +
                      std::string("XBT/USD) for ") + inputs.front());
  }
  if (summary.symbol.empty()) return Unexpected(std::string("which symbol? pass --symbol"));
  // The symbol is written into JSON frames as is: letters, digits and - _ / . only.
  if (summary.symbol.size() >= 32 ||
      summary.symbol.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                       "0123456789-_/.") != std::string::npos) {
    return Unexpected("not a symbol: '" + summary.symbol + "' (letters, digits, - _ / . only)");
  }
  for (const std::string& in : inputs) {
    const FileName name = parse_file_name(in);
    if (name.format != FileFormat::kUnknown &&
        (name.format != summary.format || name.symbol != first.symbol ||
         name.interval != first.interval)) {
      return Unexpected(in + ": not the same kind of file as " + inputs.front() +
                        " (one symbol, kind and interval per import)");
    }
  }

  const bool candles = summary.format == FileFormat::kBinanceKlines;
  summary.output_kind = candles ? "candles" : "capture";
  const std::string part = options.output + ".part";
  std::unique_ptr<Output> output;
  if (candles) {
    output = std::make_unique<CandleOutput>(part);
  } else {
    capture::CaptureWriterOptions w;
    w.venue = summary.format == FileFormat::kKrakenTrades ? "kraken" : "binance";
    auto writer = capture::CaptureWriter::create(part, w, 0);
    if (!writer) return Unexpected(part + ": " + writer.error());
    output = std::make_unique<CaptureOutput>(std::move(*writer), summary.format, summary.symbol);
  }
  auto refuse = [&part](std::string why) {
    std::error_code ignored;
    fs::remove(part, ignored);
    return Unexpected(std::move(why));
  };

  Nanos previous = 0;
  for (const std::string& in : inputs) {
    ImportedFile report{in, {}, 0};
    auto csv = csv_of(in, options, report);
    if (!csv) return refuse(csv.error());
    const auto& [source, text] = *csv;
    std::string_view rest = text;
    for (std::uint64_t line_no = 1; !rest.empty(); ++line_no) {
      const std::size_t nl = rest.find('\n');
      std::string_view line = rest.substr(0, nl);
      rest.remove_prefix(nl == std::string_view::npos ? rest.size() : nl + 1);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      const std::string at = source + ": line " + std::to_string(line_no) + ": ";
      if (line_no == 1 && is_header(line)) continue;
      if (line.empty()) return refuse(at + "empty line");
      std::string error;
      Nanos time = 0;
      bool strictly_after = false;
      if (candles) {
        KlineRow row;
        error = parse_kline(line, options.scales, row);
        time = row.open_time, strictly_after = true;
        if (error.empty()) error = output->kline(row);
      } else {
        TradeRow row;
        error = parse_trade(summary.format, line, options.scales, row);
        time = row.time;
        if (error.empty()) error = output->trade(row);
      }
      if (error.empty() && summary.rows > 0 &&
          (time < previous || (strictly_after && time == previous))) {
        error = "time goes backwards (give the files in time order)";
      }
      if (!error.empty()) return refuse(at + error);
      if (summary.rows++ == 0) summary.first = time;
      previous = summary.last = time;
      ++report.rows;
    }
    summary.files.push_back(std::move(report));
  }
  if (summary.rows == 0) return refuse("no rows in " + inputs.front());
  if (std::string error = output->finish(); !error.empty()) return refuse(error);
  std::error_code ec;
  fs::rename(part, options.output, ec);
  if (ec) return refuse("cannot rename " + part + " to " + options.output + ": " + ec.message());
  return summary;
}

}  // namespace be::feed::import
