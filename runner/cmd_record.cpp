// `botengine record`: subscribes to a venue's WebSocket streams and writes every frame, with
// its receive time, to a binary capture through io_uring (feed/record). The capture replays
// later through the same parsers (`botengine capture stats FILE`).
//
// --depth SYMBOL records a book: the SYMBOL@depth@100ms diff stream and, once the first frame
// has arrived (Binance's order: subscribe, then fetch the snapshot the diffs continue), the
// REST depth snapshot (/api/v3/depth, as a kRest frame), so a replay syncs a local book (U/u)
// and the paper venue's queue model sees the levels.
//
// Threads: the connection's I/O thread appends frames; this thread flushes the current batch
// every --flush-ms so a quiet feed is not held in memory, and waits for the stop condition.
// A mutex serialises the two: the recorder is a tool beside the engine, not its hot path.
#include <signal.h>

#include <atomic>
#include <chrono>
#include <cinttypes>
#include <condition_variable>
#include <cstdio>
#include <mutex>
#include <string>
#include <vector>

#include "core/clock.hpp"
#include "feed/record/capture_writer.hpp"
#include "net/http_client.hpp"
#include "net/ws_client.hpp"
#include "runner/cli.hpp"

namespace be::cli {

namespace {

std::atomic<bool> g_stop{false};
void on_signal(int) {
  g_stop.store(true);
}

void print_usage(std::FILE* out) {
  std::fprintf(out,
               "usage: botengine record --url URL --out FILE --stream SYMBOL@CHANNEL [...]\n"
               "                        [--depth SYMBOL [--rest-url URL]] [--venue NAME]\n"
               "                        [--seconds N] [--max-frames N] [--flush-ms N] [--sync]\n"
               "                        [--insecure]\n"
               "  Records a venue's WebSocket frames with receive timestamps to a binary\n"
               "  capture. URL is the combined-stream endpoint, e.g.\n"
               "  wss://stream.binance.com:9443/stream or ws://127.0.0.1:PORT/stream for\n"
               "  `botengine sim`. Stops on SIGINT/SIGTERM, after --seconds, or after\n"
               "  --max-frames frames. --flush-ms (default 10) bounds how long a frame waits\n"
               "  in memory; --sync fdatasyncs every batch (power-loss safety).\n"
               "  --depth SYMBOL records SYMBOL's order book: its depth@100ms stream and the\n"
               "  REST depth snapshot it continues, fetched from --rest-url (default: the\n"
               "  stream's host, stream.binance.com -> https://api.binance.com).\n"
               "  Exit: 0 done, 1 the capture or the connection failed, 2 usage.\n");
}

bool parse_count(std::string_view text, std::uint64_t& out) {
  if (text.empty()) return false;
  std::uint64_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9' || v > (UINT64_MAX - 9) / 10) return false;
    v = v * 10 + static_cast<std::uint64_t>(c - '0');
  }
  out = v;
  return true;
}

// The REST origin of a combined-stream URL: Binance's stream hosts map to their API hosts;
// any other host (the simulator) serves both on one port.
std::string rest_origin(std::string_view ws_url) {
  auto url = net::parse_ws_url(ws_url);
  if (!url) return {};
  std::string host = url->host;
  if (host == "stream.binance.com") return "https://api.binance.com";
  if (host == "stream.binance.us") return "https://api.binance.us";
  if (host.find(':') != std::string::npos) host = '[' + host + ']';
  return std::string(url->tls ? "https://" : "http://") + host + ':' + std::to_string(url->port);
}

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// Fetches each symbol's REST depth snapshot and appends it as a kRest frame stamped with its
// receive time. False (after saying why) when a snapshot cannot be had: a book without its
// snapshot never syncs, so the recording would be worth less than the user asked for.
template <class Append>
bool record_depth_snapshots(const std::string& origin, const std::vector<std::string>& symbols,
                            bool insecure, WallClock& clock, Append& append) {
  auto url = net::parse_url(origin);
  if (!url) {
    std::fprintf(stderr, "botengine record: --rest-url %s: %s\n", origin.c_str(),
                 url.error().c_str());
    return false;
  }
  net::HttpClientOptions options;
  options.tls.verify_peer = !insecure;
  net::HttpClient client(*url, options);
  for (const std::string& symbol : symbols) {
    const std::string target = "/api/v3/depth?symbol=" + symbol + "&limit=1000";
    net::HttpRequest request;
    request.target = target;
    auto response = client.request(request);
    if (!response || response->status != 200) {
      std::fprintf(stderr, "botengine record: depth snapshot of %s from %s: %s\n", symbol.c_str(),
                   origin.c_str(),
                   response ? ("HTTP " + std::to_string(response->status)).c_str()
                            : response.error().message.c_str());
      return false;
    }
    append(capture::FrameKind::kRest, clock.now(),
           capture::rest_frame(origin + target, response->body));
  }
  return true;
}

}  // namespace

int run_record(Args args) {
  std::string url, out_path, venue = "binance", rest_url;
  std::vector<std::pair<std::string, std::string>> streams;
  std::vector<std::string> depth_symbols;
  std::uint64_t seconds = 0, max_frames = 0, flush_ms = 10;
  bool sync = false, insecure = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    const bool has_value = i + 1 < args.size();
    if (a == "--help" || a == "-h") {
      print_usage(stdout);
      return kExitOk;
    } else if (a == "--url" && has_value) {
      url = args[++i];
    } else if (a == "--out" && has_value) {
      out_path = args[++i];
    } else if (a == "--venue" && has_value) {
      venue = args[++i];
    } else if (a == "--stream" && has_value) {
      const std::string_view s = args[++i];
      const auto at = s.find('@');
      if (at == std::string_view::npos || at == 0 || at + 1 == s.size()) {
        std::fprintf(stderr, "botengine record: --stream wants SYMBOL@CHANNEL, got '%.*s'\n",
                     static_cast<int>(s.size()), s.data());
        return kExitUsage;
      }
      streams.emplace_back(std::string(s.substr(0, at)), std::string(s.substr(at + 1)));
    } else if ((a == "--seconds" || a == "--max-frames" || a == "--flush-ms") && has_value) {
      std::uint64_t v = 0;
      if (!parse_count(args[++i], v) || (a == "--flush-ms" && v == 0)) {
        std::fprintf(stderr, "botengine record: %.*s wants a positive whole number\n",
                     static_cast<int>(a.size()), a.data());
        return kExitUsage;
      }
      (a == "--seconds" ? seconds : a == "--max-frames" ? max_frames : flush_ms) = v;
    } else if (a == "--depth" && has_value) {
      depth_symbols.push_back(upper(args[++i]));
      streams.emplace_back(lower(depth_symbols.back()), "depth@100ms");
    } else if (a == "--rest-url" && has_value) {
      rest_url = args[++i];
    } else if (a == "--sync") {
      sync = true;
    } else if (a == "--insecure") {
      insecure = true;
    } else {
      std::fprintf(stderr, "botengine record: unknown or incomplete argument '%.*s'\n",
                   static_cast<int>(a.size()), a.data());
      print_usage(stderr);
      return kExitUsage;
    }
  }
  if (!rest_url.empty() && depth_symbols.empty()) {
    std::fprintf(stderr, "botengine record: --rest-url goes with --depth\n");
    return kExitUsage;
  }
  if (url.empty() || out_path.empty() || streams.empty()) {
    std::fprintf(stderr, "botengine record: --url, --out and at least one --stream are needed\n");
    print_usage(stderr);
    return kExitUsage;
  }

  WallClock clock;
  capture::CaptureWriterOptions options;
  options.venue = venue;
  options.sync_each_batch = sync;
  auto created = capture::CaptureWriter::create(out_path, options, clock.now());
  if (!created.has_value()) {
    std::fprintf(stderr, "botengine record: %s\n", created.error().c_str());
    return kExitFailure;
  }
  capture::CaptureWriter& writer = **created;

  std::mutex mutex;  // guards writer and the flags below
  std::condition_variable wake;
  bool failed = false;
  std::uint64_t frames = 0;
  auto append = [&](capture::FrameKind kind, Nanos t, std::string_view bytes) {
    std::lock_guard lock(mutex);
    if (failed) return;
    if (!writer.append(kind, 0, t, bytes) && !writer.error().empty()) {
      failed = true;
      wake.notify_all();
      return;
    }
    if (kind == capture::FrameKind::kReceived && ++frames == max_frames) wake.notify_all();
  };

  net::WsClientConfig config;
  config.url = url;
  config.verify_peer = !insecure;
  net::WsClientHandlers handlers;
  handlers.on_frame = [&](const net::Frame& f) {
    append(capture::FrameKind::kReceived, f.receive_time, f.payload);
  };
  handlers.on_status = [&](const Event& e) {
    const auto status = e.as<Connectivity>();
    if (status.state == ConnectivityState::kConnected) {
      append(capture::FrameKind::kConnected, e.header.event_time, url);
    } else if (status.state == ConnectivityState::kDisconnected) {
      append(capture::FrameKind::kDisconnected, e.header.event_time, "disconnected");
    }
  };
  handlers.on_retry = [](std::string_view reason, Nanos delay) {
    std::fprintf(stderr, "botengine record: %.*s; retrying in %.1f s\n",
                 static_cast<int>(reason.size()), reason.data(), static_cast<double>(delay) / 1e9);
  };
  net::WsClient client(config, handlers, &clock);
  std::string error;
  if (!client.start(&error)) {
    std::fprintf(stderr, "botengine record: %s\n", error.c_str());
    return kExitFailure;
  }
  for (const auto& [symbol, channel] : streams) {
    const std::string name = net::stream_name(symbol, channel);
    append(capture::FrameKind::kSent, clock.now(), name);
    client.subscribe(symbol, channel);
  }
  std::fprintf(stderr, "botengine record: %s -> %s (%zu streams, %s)\n", url.c_str(),
               out_path.c_str(), streams.size(), std::string(writer.backend()).c_str());

  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
  if (rest_url.empty()) rest_url = rest_origin(url);
  bool snapshots_taken = depth_symbols.empty();
  {
    std::unique_lock lock(mutex);
    while (!g_stop.load() && !failed && (max_frames == 0 || frames < max_frames) &&
           (seconds == 0 || std::chrono::steady_clock::now() < deadline)) {
      // The timed wait is the flush cadence, not synchronisation: frames may arrive any time.
      wake.wait_for(lock, std::chrono::milliseconds(flush_ms));
      if (!writer.flush() && !writer.error().empty()) failed = true;
      if (!snapshots_taken && frames > 0) {
        // The diffs flow: the snapshots they continue, fetched without holding the writer.
        snapshots_taken = true;
        lock.unlock();
        const bool fetched =
            record_depth_snapshots(rest_url, depth_symbols, insecure, clock, append);
        lock.lock();
        if (!fetched) failed = true;
      }
    }
  }
  client.stop();
  std::lock_guard lock(mutex);
  const bool closed = writer.close();
  const auto& stats = writer.stats();
  std::fprintf(stderr,
               "botengine record: %" PRIu64 " frames, %" PRIu64 " payload bytes, %" PRIu64
               " batches, %" PRIu64 " waits for the disk\n",
               stats.frames, stats.payload_bytes, stats.batches_written, stats.waits_for_buffer);
  if (failed || !closed) {
    std::fprintf(stderr, "botengine record: capture failed: %s\n", writer.error().c_str());
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace be::cli
