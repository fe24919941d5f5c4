// feed/import: the venues' published historical files (Binance public data, Kraken Time &
// Sales) in the documented formats, written here as small files (never fetched), imported
// into candle files and captures and read back through the project's own readers and the
// real parsers; malformed rows, bad archives and wrong checksums refused with file and line.
#include <gtest/gtest.h>

#include <unistd.h>
#include <zlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "feed/candle_file.hpp"
#include "feed/dispatcher.hpp"
#include "feed/import/checksum.hpp"
#include "feed/import/importer.hpp"
#include "feed/import/zip_reader.hpp"
#include "feed/record/capture_reader.hpp"

namespace {

namespace fs = std::filesystem;
using be::Event;
using be::EventType;
using be::Nanos;
using namespace be::feed::import;

// ---- a zip writer for the tests: one or more members, deflated or stored -----------------

void put16(std::string& s, std::uint32_t v) {
  s += static_cast<char>(v & 0xFF);
  s += static_cast<char>((v >> 8) & 0xFF);
}
void put32(std::string& s, std::uint32_t v) {
  put16(s, v & 0xFFFF);
  put16(s, v >> 16);
}

std::string deflate_raw(const std::string& in) {
  z_stream z{};
  deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, in.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

struct Member {
  std::string name, data;
  bool stored = false;
  std::uint16_t flags = 0;
};

std::string zip(const std::vector<Member>& members) {
  std::string file, directory;
  for (const Member& m : members) {
    const std::string body = m.stored ? m.data : deflate_raw(m.data);
    const auto crc = static_cast<std::uint32_t>(
        crc32(0, reinterpret_cast<const Bytef*>(m.data.data()), static_cast<uInt>(m.data.size())));
    const auto offset = static_cast<std::uint32_t>(file.size());
    auto fields = [&](std::string& s) {
      put16(s, m.flags);
      put16(s, m.stored ? 0 : 8);
      put32(s, 0);  // time and date
      put32(s, crc);
      put32(s, static_cast<std::uint32_t>(body.size()));
      put32(s, static_cast<std::uint32_t>(m.data.size()));
      put16(s, static_cast<std::uint32_t>(m.name.size()));
      put16(s, 0);  // extra
    };
    put32(file, 0x04034b50);
    put16(file, 20);
    fields(file);
    file += m.name + body;
    put32(directory, 0x02014b50);
    put16(directory, 20);
    put16(directory, 20);
    fields(directory);
    put16(directory, 0);  // comment
    put16(directory, 0);  // disk
    put16(directory, 0);  // internal attributes
    put32(directory, 0);  // external attributes
    put32(directory, offset);
    directory += m.name;
  }
  const auto dir_offset = static_cast<std::uint32_t>(file.size());
  file += directory;
  put32(file, 0x06054b50);
  put32(file, 0);
  put16(file, static_cast<std::uint32_t>(members.size()));
  put16(file, static_cast<std::uint32_t>(members.size()));
  put32(file, static_cast<std::uint32_t>(directory.size()));
  put32(file, dir_offset);
  put16(file, 0);
  return file;
}

class ImportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("be-import-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write(const std::string& name, const std::string& bytes) {
    const std::string path = (dir_ / name).string();
    std::ofstream(path, std::ios::binary) << bytes;
    return path;
  }
  // NAME.zip holding NAME.csv, and NAME.zip.CHECKSUM as Binance publishes it.
  std::string archive(const std::string& name, const std::string& csv, bool checksum = true) {
    const std::string bytes = zip({{name + ".csv", csv}});
    if (checksum) write(name + ".zip.CHECKSUM", sha256_hex(bytes) + "  " + name + ".zip\n");
    return write(name + ".zip", bytes);
  }
  std::string out(const std::string& name) const { return (dir_ / name).string(); }

  fs::path dir_;
};

// ---- zip ----------------------------------------------------------------------------------

TEST(ZipReader, shouldReadDeflatedAndStoredMembersInDirectoryOrder) {
  const std::string big(100'000, 'x');
  const std::string bytes =
      zip({{"a.csv", "1,2,3\n"}, {"dir/", "", true}, {"b.csv", big, true}, {"c.csv", big + "y"}});
  ASSERT_TRUE(looks_like_zip(bytes));
  auto members = read_zip(bytes, "t.zip");
  ASSERT_TRUE(members) << members.error();
  ASSERT_EQ(members->size(), 3u);  // the directory entry is skipped
  EXPECT_EQ((*members)[0].name, "a.csv");
  EXPECT_EQ((*members)[0].data, "1,2,3\n");
  EXPECT_EQ((*members)[1].data, big);
  EXPECT_EQ((*members)[2].name, "c.csv");
  EXPECT_EQ((*members)[2].data, big + "y");
}

TEST(ZipReader, shouldRefuseDamagedArchivesNamingTheArchiveAndMember) {
  const std::string good = zip({{"a.csv", std::string(1000, 'q')}});
  std::string flipped = good;
  flipped[40] = static_cast<char>(flipped[40] ^ 0x55);  // inside the deflate data
  std::string bad_crc = zip({{"a.csv", "hello", true}});
  bad_crc[30 + 5] = 'j';  // "jello": stored data no longer matches its CRC
  struct Case {
    const char* what;
    std::string bytes;
    const char* says;
  };
  for (const Case& c :
       {Case{"truncated", good.substr(0, good.size() - 30), "t.zip: "},
        Case{"not a zip", "PK\3\4 nothing more", "t.zip: "},
        Case{"corrupt deflate", flipped, "t.zip: member a.csv "},
        Case{"bad crc", bad_crc, "t.zip: member a.csv fails its CRC-32 check"},
        Case{"encrypted", zip({{"a.csv", "x", false, 1}}), "t.zip: member a.csv is encrypted"}}) {
    auto members = read_zip(c.bytes, "t.zip");
    ASSERT_FALSE(members) << c.what;
    EXPECT_EQ(members.error().rfind(c.says, 0), 0u) << c.what << ": " << members.error();
  }
}

// ---- checksum -----------------------------------------------------------------------------

TEST(Checksum, shouldMatchSha256AndRefuseAMismatchAnotherNameOrGarbage) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string sum = sha256_hex("abc");
  EXPECT_FALSE(check_sha256("abc", "x.zip", sum + "  x.zip\n"));
  EXPECT_FALSE(check_sha256("abc", "x.zip", sum + " *x.zip"));
  EXPECT_FALSE(check_sha256("abc", "x.zip", sum));
  auto mismatch = check_sha256("abd", "x.zip", sum + "  x.zip\n");
  ASSERT_TRUE(mismatch);
  EXPECT_NE(mismatch->find("SHA-256 mismatch"), std::string::npos) << *mismatch;
  auto other = check_sha256("abc", "x.zip", sum + "  y.zip\n");
  ASSERT_TRUE(other);
  EXPECT_EQ(*other, "names y.zip, not x.zip");
  EXPECT_TRUE(check_sha256("abc", "x.zip", "not a checksum"));
}

// ---- names and rows -----------------------------------------------------------------------

TEST(ImportRows, shouldTellFormatSymbolAndIntervalFromBinanceFileNames) {
  struct Case {
    const char* path;
    FileFormat format;
    const char* symbol;
    const char* interval;
  };
  for (const Case& c :
       {Case{"/d/BTCUSDT-1m-2021-02-19.zip", FileFormat::kBinanceKlines, "BTCUSDT", "1m"},
        Case{"ETHBTC-1mo-2021-02.csv", FileFormat::kBinanceKlines, "ETHBTC", "1mo"},
        Case{"BTCUSDT-12h-2021-02.zip", FileFormat::kBinanceKlines, "BTCUSDT", "12h"},
        Case{"BTCUSDT-aggTrades-2021-02.zip", FileFormat::kBinanceAggTrades, "BTCUSDT", ""},
        Case{"BTCUSDT-trades-2021-02-19.zip", FileFormat::kBinanceTrades, "BTCUSDT", ""},
        Case{"XBTUSD.csv", FileFormat::kUnknown, "", ""},
        Case{"BTCUSDT-bookTicker-2021-02-19.zip", FileFormat::kUnknown, "", ""}}) {
    const FileName n = parse_file_name(c.path);
    EXPECT_EQ(n.format, c.format) << c.path;
    EXPECT_EQ(n.symbol, c.symbol) << c.path;
    EXPECT_EQ(n.interval, c.interval) << c.path;
  }
}

TEST(ImportRows, shouldReadMillisecondsAndMicrosecondsAndRefuseOtherTimes) {
  Nanos t = 0;
  ASSERT_TRUE(binance_time("1613692800000", t));
  EXPECT_EQ(t, 1'613'692'800'000'000'000);
  ASSERT_TRUE(binance_time("1735689600123456", t));
  EXPECT_EQ(t, 1'735'689'600'123'456'000);
  for (const char* bad : {"", "161369280", "-1613692800000", "16136928e5", "1613692800000.5",
                          "99999999999999999999"}) {
    EXPECT_FALSE(binance_time(bad, t)) << bad;
  }
}

TEST(ImportRows, shouldRefuseEachMalformedFieldByName) {
  const RowScales scales;
  struct Case {
    FileFormat format;
    const char* line;
    const char* says;
  };
  const std::string kline_ok = "1613692800000,1.0,2.0,0.5,1.5,10,1613692859999,15,3,5,7,0";
  KlineRow k;
  EXPECT_EQ(parse_kline(kline_ok, scales, k), "");
  EXPECT_EQ(k.open_time, 1'613'692'800'000'000'000);
  EXPECT_EQ(k.close, "1.5");
  EXPECT_EQ(k.count, 3u);
  for (const Case& c : {
           Case{FileFormat::kBinanceKlines, "1613692800000,1.0,2.0,0.5,1.5",
                "expected 12 fields, got 5"},
           Case{FileFormat::kBinanceKlines,
                "1613692800000,1.0,2.0,0.5,abc,10,1613692859999,15,3,5,7,0",
                "field 'close': malformed"},
           Case{FileFormat::kBinanceKlines,
                "1613692800000,1.0,2.0,2.5,1.5,10,1613692859999,15,3,5,7,0",
                "field 'low': low is above high"},
           Case{FileFormat::kBinanceKlines,
                "1613692800000,1.0,2.0,0.5,1.123456789,10,1613692859999,15,3,5,7,0",
                "field 'close': more decimal places"},
           Case{FileFormat::kBinanceKlines,
                "x613692800000,1.0,2.0,0.5,1.5,10,1613692859999,15,3,5,7,0",
                "field 'open_time': not a time"},
           Case{FileFormat::kBinanceAggTrades, "1,50000.1,0.5,10,9,1613692800000,true,true",
                "field 'last_trade_id': below first_trade_id"},
           Case{FileFormat::kBinanceAggTrades, "1,50000.1,0.5,10,11,1613692800000,maybe",
                "field 'is_buyer_maker': not true or false"},
           Case{FileFormat::kBinanceTrades, "7,50000.1,0,0,1613692800000,True,True",
                "field 'qty': must be positive"},
           Case{FileFormat::kBinanceTrades, "7,-50000.1,1,1,1613692800000,True,True",
                "field 'price': must be positive"},
           Case{FileFormat::kBinanceTrades, "7,50000.1,1,1,1613692800000",
                "expected 6 or 7 fields, got 5"},
           Case{FileFormat::kKrakenTrades, "yesterday,122.0,0.1", "field 'timestamp': not a time"},
           Case{FileFormat::kKrakenTrades, "1381095255,122.0", "expected 3 fields, got 2"},
       }) {
    std::string error;
    if (c.format == FileFormat::kBinanceKlines) {
      error = parse_kline(c.line, scales, k);
    } else {
      TradeRow t;
      error = parse_trade(c.format, c.line, scales, t);
    }
    EXPECT_EQ(error.rfind(c.says, 0), 0u) << c.line << " -> " << error;
  }
}

// ---- whole imports, read back -------------------------------------------------------------

// Two hours of 1m klines, Binance's 12 columns; `micros` writes times as spot files from 2025 do.
std::string klines_csv(int minutes, bool header, bool micros, Nanos start_ms = 1'613'692'800'000) {
  std::string s;
  if (header) {
    s += "open_time,open,high,low,close,volume,close_time,quote_volume,count,"
         "taker_buy_volume,taker_buy_quote_volume,ignore\r\n";
  }
  for (int i = 0; i < minutes; ++i) {
    const Nanos t = start_ms + Nanos{i} * 60'000;
    const std::string unit = micros ? "000" : "";
    const int p = 51000 + (i % 7) * 3;
    s += std::to_string(t) + unit + "," + std::to_string(p) + ".10000000," + std::to_string(p + 5) +
         ".00000000," + std::to_string(p - 4) + ".25000000," + std::to_string(p + 1) +
         ".50000000,1.2345," + std::to_string(t + 59'999) + unit + ",62993.1,42,0.5,25500.2,0\r\n";
  }
  return s;
}

TEST_F(ImportTest, shouldImportZippedKlinesWithHeaderAndMicrosecondsIntoACandleFile) {
  const std::string a =
      archive("BTCUSDT-1m-2025-01-01", klines_csv(60, true, true, 1'735'689'600'000));
  const std::string b =
      archive("BTCUSDT-1m-2025-01-02", klines_csv(60, true, true, 1'735'693'200'000));
  ImportOptions options;
  options.output = out("btc.csv");
  auto summary = import_files({a, b}, options);
  ASSERT_TRUE(summary) << summary.error();
  EXPECT_EQ(summary->format, FileFormat::kBinanceKlines);
  EXPECT_EQ(summary->symbol, "BTCUSDT");
  EXPECT_EQ(summary->interval, "1m");
  EXPECT_EQ(summary->output_kind, "candles");
  EXPECT_EQ(summary->rows, 120u);
  ASSERT_EQ(summary->files.size(), 2u);
  EXPECT_EQ(summary->files[0].checksum, "verified (BTCUSDT-1m-2025-01-01.zip.CHECKSUM)");
  EXPECT_EQ(summary->files[1].rows, 60u);
  EXPECT_EQ(summary->first, 1'735'689'600'000'000'000);
  EXPECT_EQ(summary->last, 1'735'689'600'000'000'000 + Nanos{119} * 60'000'000'000);
  EXPECT_FALSE(fs::exists(options.output + ".part"));

  auto candles = be::replay::load_candles(options.output);
  ASSERT_TRUE(candles) << candles.error().message;
  ASSERT_EQ(candles->size(), 120u);
  for (std::size_t i = 0; i < 120; ++i) {
    const int p = 51000 + static_cast<int>(i % 60 % 7) * 3;
    EXPECT_EQ(candles->bars[i].open_time, summary->first + static_cast<Nanos>(i) * 60'000'000'000);
    EXPECT_EQ(candles->bars[i].open, (p * 100 + 10) * 1'000'000LL) << i;
    EXPECT_EQ(candles->bars[i].high, (p + 5) * 100'000'000LL) << i;
    EXPECT_EQ(candles->bars[i].low, (p - 4) * 100'000'000LL + 25'000'000) << i;
    EXPECT_EQ(candles->bars[i].close, (p + 1) * 100'000'000LL + 50'000'000) << i;
    EXPECT_EQ(candles->bars[i].volume, 123'450'000) << i;
  }
}

TEST_F(ImportTest, shouldImportABareKlinesCsvWithoutHeaderInMillisecondsSayingItIsUnverified) {
  const std::string csv = write("ETHBTC-1h-2021-02-19.csv", klines_csv(24, false, false));
  ImportOptions options;
  options.output = out("eth.csv");
  auto summary = import_files({csv}, options);
  ASSERT_TRUE(summary) << summary.error();
  EXPECT_EQ(summary->rows, 24u);
  EXPECT_EQ(summary->files[0].checksum, "not verified (no ETHBTC-1h-2021-02-19.csv.CHECKSUM)");
  auto candles = be::replay::load_candles(options.output);
  ASSERT_TRUE(candles) << candles.error().message;
  EXPECT_EQ(candles->size(), 24u);
  EXPECT_EQ(candles->bars[0].open_time, 1'613'692'800'000'000'000);
  options.require_checksum = true;
  auto refused = import_files({csv}, options);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().find("--require-checksum"), std::string::npos) << refused.error();
}

struct Parsed {
  std::vector<be::Trade> trades;
  std::vector<Nanos> event_times, receive_times;
  std::uint64_t rejected = 0;
  std::string venue;
};

// A capture read back through the real parsers, as replay --capture reads it.
Parsed parse_capture(const std::string& path, be::feed::Venue venue) {
  Parsed out;
  auto reader = be::capture::CaptureReader::open(path);
  EXPECT_TRUE(reader) << (reader ? "" : reader.error());
  if (!reader) return out;
  out.venue = std::string(reader->venue());
  EXPECT_TRUE(reader->tail().clean);
  be::feed::CaptureDispatcher dispatcher;
  be::capture::CapturedFrame frame;
  while (reader->next(frame)) {
    be::feed::CaptureRecord record;
    record.receive_time = frame.receive_time;
    record.payload = frame.text();
    dispatcher.dispatch(venue, record, [&](const Event& e) {
      if (e.header.type != EventType::kTrade) return;
      out.trades.push_back(e.as<be::Trade>());
      out.event_times.push_back(e.header.event_time);
      out.receive_times.push_back(e.header.receive_time);
    });
  }
  out.rejected = dispatcher.stats().rejected();
  return out;
}

TEST_F(ImportTest, shouldImportAggTradesIntoACaptureTheBinanceParserReadsBack) {
  // Futures-style header, lower-case booleans, microsecond times.
  std::string csv =
      "agg_trade_id,price,quantity,first_trade_id,last_trade_id,transact_time,is_buyer_maker\n";
  for (int i = 0; i < 50; ++i) {
    csv += std::to_string(900 + i) + ",5000" + std::to_string(i % 10) + ".12," +
           std::to_string(i + 1) + ".5," + std::to_string(2000 + 2 * i) + "," +
           std::to_string(2001 + 2 * i) + "," + std::to_string(1'735'689'600'000'000 + i * 1'500) +
           "," + (i % 3 == 0 ? "true" : "false") + "\n";
  }
  ImportOptions options;
  options.output = out("agg.becap");
  auto summary = import_files({archive("BTCUSDT-aggTrades-2025-01-01", csv)}, options);
  ASSERT_TRUE(summary) << summary.error();
  EXPECT_EQ(summary->output_kind, "capture");
  EXPECT_EQ(summary->rows, 50u);
  const Parsed p = parse_capture(options.output, be::feed::Venue::kBinance);
  EXPECT_EQ(p.venue, "binance");
  EXPECT_EQ(p.rejected, 0u);
  ASSERT_EQ(p.trades.size(), 50u);
  for (int i = 0; i < 50; ++i) {
    const be::Trade& t = p.trades[static_cast<std::size_t>(i)];
    EXPECT_EQ(t.trade_id, static_cast<std::uint64_t>(900 + i));
    EXPECT_EQ(t.price, (50'000 + i % 10) * 100'000'000LL + 12'000'000) << i;
    EXPECT_EQ(t.quantity, (i + 1) * 100'000'000LL + 50'000'000) << i;
    // The buyer was the maker: the seller took.
    EXPECT_EQ(t.aggressor, i % 3 == 0 ? be::Side::kSell : be::Side::kBuy) << i;
    const Nanos micros = 1'735'689'600'000'000 + Nanos{i} * 1'500;
    EXPECT_EQ(p.receive_times[static_cast<std::size_t>(i)], micros * 1'000) << i;
    EXPECT_EQ(p.event_times[static_cast<std::size_t>(i)], micros / 1'000 * 1'000'000) << i;
  }
}

std::string spot_trades_csv(int first_id, int n, Nanos start_ms) {
  std::string s;  // spot: no header, 7 columns, True/False
  for (int i = 0; i < n; ++i) {
    s += std::to_string(first_id + i) + ",0.03812000,1.00000000,0.03812000," +
         std::to_string(start_ms + i * 250) + "," + (i % 2 ? "True" : "False") + ",True\n";
  }
  return s;
}

TEST_F(ImportTest, shouldJoinDailyTradeArchivesInTimeOrderAndRefuseThemOutOfOrder) {
  const std::string day1 =
      archive("ETHBTC-trades-2021-02-19", spot_trades_csv(1, 30, 1'613'692'800'000));
  const std::string day2 =
      archive("ETHBTC-trades-2021-02-20", spot_trades_csv(31, 20, 1'613'779'200'000));
  ImportOptions options;
  options.output = out("eth.becap");
  auto summary = import_files({day1, day2}, options);
  ASSERT_TRUE(summary) << summary.error();
  EXPECT_EQ(summary->rows, 50u);
  const Parsed p = parse_capture(options.output, be::feed::Venue::kBinance);
  ASSERT_EQ(p.trades.size(), 50u);
  EXPECT_EQ(p.trades[49].trade_id, 50u);
  EXPECT_EQ(p.trades[0].price, 3'812'000);

  fs::remove(options.output);
  auto refused = import_files({day2, day1}, options);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), day1 +
                                 ": ETHBTC-trades-2021-02-19.csv: line 1: time goes backwards "
                                 "(give the files in time order)");
  EXPECT_FALSE(fs::exists(options.output));
  EXPECT_FALSE(fs::exists(options.output + ".part"));
}

TEST_F(ImportTest, shouldImportKrakenTimeAndSalesWithoutASideAsTradesTheKrakenParserReads) {
  const std::string csv = write("XBTUSD.csv",
                                "1381095255,122.00000,0.10000000\n"
                                "1381179030,123.61000,0.10000000\n"
                                "1616663113.2937,52000.1,0.0049\n");
  ImportOptions options;
  options.output = out("xbt.becap");
  auto refused = import_files({csv}, options);  // not a Binance name: which format?
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().find("pass --format"), std::string::npos) << refused.error();
  options.format = FileFormat::kKrakenTrades;
  refused = import_files({csv}, options);  // "XBTUSD" is not how Kraken's WebSocket names it
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().find("pass --symbol"), std::string::npos) << refused.error();
  options.symbol = "XBT\"/USD";  // would break the frame's JSON
  refused = import_files({csv}, options);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error(), "not a symbol: 'XBT\"/USD' (letters, digits, - _ / . only)");
  options.symbol = "XBT/USD";
  auto summary = import_files({csv}, options);
  ASSERT_TRUE(summary) << summary.error();
  EXPECT_EQ(summary->rows, 3u);
  const Parsed p = parse_capture(options.output, be::feed::Venue::kKraken);
  EXPECT_EQ(p.venue, "kraken");
  EXPECT_EQ(p.rejected, 0u);
  ASSERT_EQ(p.trades.size(), 3u);
  EXPECT_EQ(p.trades[0].price, 12'200'000'000);
  EXPECT_EQ(p.trades[0].quantity, 10'000'000);
  EXPECT_EQ(p.trades[0].aggressor, be::Side::kNone);
  EXPECT_EQ(p.event_times[0], 1'381'095'255'000'000'000);
  EXPECT_EQ(p.event_times[2], 1'616'663'113'293'700'000);
  EXPECT_EQ(p.trades[2].quantity, 490'000);
}

TEST_F(ImportTest, shouldRefuseAMalformedRowWithFileMemberAndLineLeavingNoOutput) {
  std::string csv = klines_csv(10, true, false);
  const std::size_t line5 = [&] {
    std::size_t at = 0;
    for (int i = 0; i < 4; ++i)
      at = csv.find('\n', at) + 1;
    return at;
  }();
  csv.replace(csv.find(',', line5) + 1, 3, "5x1");  // line 5's open: "5x1000.1..."
  const std::string a = archive("BTCUSDT-1m-2021-02-19", csv);
  ImportOptions options;
  options.output = out("bad.csv");
  auto refused = import_files({a}, options);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().rfind(a + ": BTCUSDT-1m-2021-02-19.csv: line 5: field 'open': ", 0), 0u)
      << refused.error();
  EXPECT_FALSE(fs::exists(options.output));
  EXPECT_FALSE(fs::exists(options.output + ".part"));
}

TEST_F(ImportTest, shouldRefuseAnArchiveWhoseChecksumDoesNotMatch) {
  const std::string a = archive("BTCUSDT-1m-2021-02-19", klines_csv(3, false, false));
  write("BTCUSDT-1m-2021-02-19.zip.CHECKSUM",
        sha256_hex("something else") + "  BTCUSDT-1m-2021-02-19.zip\n");
  ImportOptions options;
  options.output = out("c.csv");
  auto refused = import_files({a}, options);
  ASSERT_FALSE(refused);
  EXPECT_EQ(
      refused.error().rfind(a + ": checksum refused (" + a + ".CHECKSUM): SHA-256 mismatch", 0), 0u)
      << refused.error();
  EXPECT_FALSE(fs::exists(options.output));
}

TEST_F(ImportTest, shouldRefuseMixedKindsAndArchivesOfSeveralMembers) {
  const std::string k = archive("BTCUSDT-1m-2021-02-19", klines_csv(3, false, false));
  const std::string t =
      archive("BTCUSDT-trades-2021-02-19", spot_trades_csv(1, 3, 1'613'692'800'000));
  ImportOptions options;
  options.output = out("m.csv");
  auto mixed = import_files({k, t}, options);
  ASSERT_FALSE(mixed);
  EXPECT_NE(mixed.error().find("not the same kind of file"), std::string::npos) << mixed.error();
  const std::string two = write("BTCUSDT-1m-2021-02-20.zip", zip({{"a.csv", "x"}, {"b.csv", "y"}}));
  auto several = import_files({two}, options);
  ASSERT_FALSE(several);
  EXPECT_EQ(several.error(), two + ": expected one CSV member, the archive holds 2");
}

}  // namespace
