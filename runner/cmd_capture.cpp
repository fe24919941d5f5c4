// `botengine capture stats FILE [--venue NAME]`: runs a capture through the real parsers and
// prints counts per message kind and per reject reason, then the parse rate achieved.
// The rate loop re-parses the in-memory capture until ~0.2 s have passed so that short
// captures still give a stable figure; counts are from the first pass only.
#include <chrono>
#include <cstdio>
#include <memory>
#include <string>
#include <string_view>

#include "feed/capture.hpp"
#include "feed/dispatcher.hpp"
#include "feed/record/capture_reader.hpp"
#include "runner/cli.hpp"

namespace be::cli {

namespace {

void print_usage(std::FILE* out) {
  std::fprintf(out,
               "usage: botengine capture stats FILE [--venue binance|binance_us|coinbase|kraken]\n"
               "  Parses every message of a capture with botengine's parsers and prints\n"
               "  messages per kind, rejects per reason and messages/s. FILE is a text\n"
               "  capture (cryptofeed format; the venue comes from the file name, e.g.\n"
               "  BINANCE.ws.1.0) or a binary capture from `botengine record` (the venue is\n"
               "  in its header). --venue overrides either.\n"
               "  Exit: 0 done, 1 the file cannot be read or its venue is unknown, 2 usage.\n");
}

struct Pass {
  std::uint64_t messages = 0;
  std::uint64_t events = 0;
};

// The two capture formats, seen as one stream of records for the dispatcher.
class CaptureSource {
 public:
  virtual ~CaptureSource() = default;
  virtual bool next(feed::CaptureRecord& out) = 0;
  virtual void rewind() = 0;
  virtual feed::Venue venue() const = 0;
  virtual std::size_t size_bytes() const = 0;
  // One line for the summary: what was read besides messages.
  virtual std::string describe() const = 0;
};

class TextSource final : public CaptureSource {
 public:
  bool open(const std::string& path, std::string& error) { return reader_.open(path, error); }
  bool next(feed::CaptureRecord& out) override { return reader_.next(out); }
  void rewind() override { reader_.rewind(); }
  feed::Venue venue() const override { return reader_.venue(); }
  std::size_t size_bytes() const override { return reader_.size_bytes(); }
  std::string describe() const override {
    return std::to_string(reader_.lines()) + " lines (" + std::to_string(reader_.bad_lines()) +
           " bad)";
  }

 private:
  feed::TextCaptureReader reader_;
};

class BinarySource final : public CaptureSource {
 public:
  explicit BinarySource(capture::CaptureReader reader) : reader_(std::move(reader)) {}
  bool next(feed::CaptureRecord& out) override {
    capture::CapturedFrame frame;
    while (reader_.next(frame)) {
      bytes_ += frame.payload.size();
      out = {};
      out.receive_time = frame.receive_time;
      switch (frame.kind) {
        case capture::FrameKind::kReceived:
          out.kind = feed::CaptureLineKind::kMessage;
          out.payload = frame.text();
          break;
        case capture::FrameKind::kSent:
          out.kind = feed::CaptureLineKind::kSent;
          out.payload = frame.text();
          break;
        case capture::FrameKind::kConnected:
          out.kind = feed::CaptureLineKind::kConnect;
          out.url = frame.text();
          break;
        case capture::FrameKind::kDisconnected:
          ++disconnects_;
          continue;
        case capture::FrameKind::kRest: {
          const capture::RestFrame rest = capture::split_rest_frame(frame.text());
          out.kind = feed::CaptureLineKind::kHttp;
          out.url = rest.url;
          out.payload = rest.body;
          break;
        }
      }
      ++frames_;
      return true;
    }
    return false;
  }
  void rewind() override {
    reader_.rewind();
    frames_ = disconnects_ = bytes_ = 0;
  }
  feed::Venue venue() const override { return feed::venue_from_name(reader_.venue()); }
  std::size_t size_bytes() const override { return bytes_; }
  std::string describe() const override {
    std::string s = std::to_string(frames_ + disconnects_) + " frames (" +
                    std::to_string(disconnects_) + " disconnects)";
    const capture::CaptureTail& tail = reader_.tail();
    if (!tail.clean) {
      s += ", stopped at byte " + std::to_string(tail.offset) + ": " + tail.reason + " (" +
           std::to_string(tail.ignored_bytes) + " bytes ignored)";
    }
    return s;
  }

 private:
  capture::CaptureReader reader_;
  std::uint64_t frames_ = 0, disconnects_ = 0;
  std::size_t bytes_ = 0;
};

Pass run_pass(CaptureSource& reader, feed::CaptureDispatcher& dispatcher, feed::Venue venue) {
  Pass pass;
  reader.rewind();
  feed::CaptureRecord record;
  auto count_events = [&pass](const Event&) { ++pass.events; };
  while (reader.next(record)) {
    if (dispatcher.dispatch(venue, record, count_events)) ++pass.messages;
  }
  return pass;
}

}  // namespace

int run_capture(Args args) {
  if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
    print_usage(stdout);
    return kExitOk;
  }
  if (args.size() < 2 || args[0] != "stats") {
    print_usage(stderr);
    return kExitUsage;
  }
  const std::string path(args[1]);
  std::string_view venue_name;
  for (std::size_t i = 2; i < args.size(); ++i) {
    if (args[i] == "--venue" && i + 1 < args.size()) {
      venue_name = args[++i];
    } else {
      std::fprintf(stderr, "botengine capture: unknown argument '%.*s'\n",
                   static_cast<int>(args[i].size()), args[i].data());
      print_usage(stderr);
      return kExitUsage;
    }
  }

  std::unique_ptr<CaptureSource> source;
  if (capture::CaptureReader::is_capture_file(path)) {
    auto binary = capture::CaptureReader::open(path);
    if (!binary.has_value()) {
      std::fprintf(stderr, "botengine capture: %s\n", binary.error().c_str());
      return kExitFailure;
    }
    source = std::make_unique<BinarySource>(std::move(*binary));
  } else {
    auto text = std::make_unique<TextSource>();
    std::string error;
    if (!text->open(path, error)) {
      std::fprintf(stderr, "botengine capture: %s\n", error.c_str());
      return kExitFailure;
    }
    source = std::move(text);
  }
  CaptureSource& reader = *source;
  feed::Venue venue = reader.venue();
  if (!venue_name.empty()) {
    venue = feed::venue_from_name(venue_name);
    if (venue == feed::Venue::kUnknown) {
      std::fprintf(stderr, "botengine capture: unknown venue '%.*s'\n",
                   static_cast<int>(venue_name.size()), venue_name.data());
      return kExitUsage;
    }
  }
  if (venue == feed::Venue::kUnknown) {
    std::fprintf(stderr,
                 "botengine capture: cannot tell the venue of '%s' from its name; "
                 "pass --venue\n",
                 path.c_str());
    return kExitFailure;
  }

  feed::CaptureDispatcher dispatcher(feed::UnknownSymbolPolicy::kAutoIntern);
  const Pass first = run_pass(reader, dispatcher, venue);
  const feed::FeedStats stats = dispatcher.stats();

  const std::string_view vname = feed::to_string(venue);
  const std::string_view base = std::string_view(path).substr(path.rfind('/') + 1);
  std::printf("capture %.*s\n", static_cast<int>(base.size()), base.data());
  std::printf(
      "  venue %.*s, %s, %llu connects, %llu sent, %llu config, "
      "%llu REST bodies without a parser\n",
      static_cast<int>(vname.size()), vname.data(), reader.describe().c_str(),
      static_cast<unsigned long long>(dispatcher.connects()),
      static_cast<unsigned long long>(dispatcher.sent()),
      static_cast<unsigned long long>(dispatcher.config_lines()),
      static_cast<unsigned long long>(dispatcher.skipped_http()));
  std::printf("messages by kind (%llu accepted, %llu events):\n",
              static_cast<unsigned long long>(stats.accepted()),
              static_cast<unsigned long long>(stats.events));
  for (std::size_t k = 0; k < feed::kMessageKindCount; ++k) {
    if (stats.by_kind[k] == 0) continue;
    const auto name = feed::to_string(static_cast<feed::MessageKind>(k));
    const bool control = feed::is_control(static_cast<feed::MessageKind>(k));
    std::printf("  %-28.*s %10llu%s\n", static_cast<int>(name.size()), name.data(),
                static_cast<unsigned long long>(stats.by_kind[k]), control ? "  (control)" : "");
  }
  std::printf("rejects by reason (%llu rejected):\n",
              static_cast<unsigned long long>(stats.rejected()));
  for (std::size_t r = 1; r < feed::kRejectReasonCount; ++r) {
    if (stats.by_reject[r] == 0) continue;
    const auto name = feed::to_string(static_cast<feed::RejectReason>(r));
    std::printf("  %-28.*s %10llu\n", static_cast<int>(name.size()), name.data(),
                static_cast<unsigned long long>(stats.by_reject[r]));
  }

  // The rate: whole passes over the in-memory capture, parsers already warm.
  using Clock = std::chrono::steady_clock;
  std::uint64_t messages = 0, passes = 0;
  const auto start = Clock::now();
  auto elapsed = Clock::duration::zero();
  do {
    messages += run_pass(reader, dispatcher, venue).messages;
    ++passes;
    elapsed = Clock::now() - start;
  } while (elapsed < std::chrono::milliseconds(200) && passes < 100000);
  const double seconds = std::chrono::duration<double>(elapsed).count();
  std::printf("throughput: %llu messages in %llu passes, %.3f s: %.0f messages/s, %.1f MB/s\n",
              static_cast<unsigned long long>(messages), static_cast<unsigned long long>(passes),
              seconds, static_cast<double>(messages) / seconds,
              static_cast<double>(reader.size_bytes() * passes) / seconds / 1e6);
  (void)first;
  return kExitOk;
}

}  // namespace be::cli
