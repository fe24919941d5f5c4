// `botengine record`: subscribes to a venue's WebSocket streams and writes every frame, with
// its receive time, to a binary capture through io_uring (feed/record). The capture replays
// later through the same parsers (`botengine capture stats FILE`).
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
               "                        [--venue NAME] [--seconds N] [--max-frames N]\n"
               "                        [--flush-ms N] [--sync] [--insecure]\n"
               "  Records a venue's WebSocket frames with receive timestamps to a binary\n"
               "  capture. URL is the combined-stream endpoint, e.g.\n"
               "  wss://stream.binance.com:9443/stream or ws://127.0.0.1:PORT/stream for\n"
               "  `botengine sim`. Stops on SIGINT/SIGTERM, after --seconds, or after\n"
               "  --max-frames frames. --flush-ms (default 10) bounds how long a frame waits\n"
               "  in memory; --sync fdatasyncs every batch (power-loss safety).\n"
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

}  // namespace

int run_record(Args args) {
  std::string url, out_path, venue = "binance";
  std::vector<std::pair<std::string, std::string>> streams;
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
  {
    std::unique_lock lock(mutex);
    while (!g_stop.load() && !failed && (max_frames == 0 || frames < max_frames) &&
           (seconds == 0 || std::chrono::steady_clock::now() < deadline)) {
      // The timed wait is the flush cadence, not synchronisation: frames may arrive any time.
      wake.wait_for(lock, std::chrono::milliseconds(flush_ms));
      if (!writer.flush() && !writer.error().empty()) failed = true;
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
