// Writes libFuzzer seed corpora from the shared captures into a build directory (never the
// repository): one file per captured frame, per target.
//   fuzz_make_seeds <captures dir> <output dir>
// Frames over 64 KiB are skipped (libFuzzer's -max_len stays sane); the 1.9 MB exchangeInfo
// body is cut down to its first symbol so the REST target still gets a realistic seed.
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "feed/capture.hpp"

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxSeed = 64 * 1024;

void write(const fs::path& dir, std::size_t n, std::string_view bytes) {
  std::ofstream(dir / ("seed-" + std::to_string(n)), std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: fuzz_make_seeds CAPTURES_DIR OUT_DIR\n");
    return 2;
  }
  const fs::path in(argv[1]), out(argv[2]);
  if (!fs::is_directory(in)) {
    std::fprintf(stderr, "fuzz_make_seeds: no captures at %s (set BE_SHARED_DATA)\n", argv[1]);
    return 1;
  }
  for (const char* t : {"binance", "coinbase", "kraken", "binance_rest", "capture_line"}) {
    fs::create_directories(out / t);
  }
  std::size_t n = 0;
  for (const auto& entry : fs::directory_iterator(in)) {
    const std::string name = entry.path().filename().string();
    be::feed::TextCaptureReader reader;
    std::string error;
    if (!reader.open(entry.path().string(), error)) continue;
    const auto venue = reader.venue();
    if (venue == be::feed::Venue::kUnknown) continue;
    be::feed::CaptureRecord r;
    while (reader.next(r)) {
      ++n;
      if (r.payload.size() <= kMaxSeed && r.kind != be::feed::CaptureLineKind::kHttp) {
        // The line reader gets whole lines back: time + payload.
        write(out / "capture_line", n,
              std::to_string(r.receive_time / 1000000000) + ": " + std::string(r.payload));
      }
      if (r.kind == be::feed::CaptureLineKind::kHttp) {
        std::string body(r.payload);
        if (body.size() > kMaxSeed) {
          // exchangeInfo: keep the envelope and the first symbol only.
          const auto first = body.find("{\"symbol\":\"");
          const auto second =
              first == std::string::npos ? first : body.find(",{\"symbol\":\"", first);
          if (second == std::string::npos) continue;
          body = body.substr(0, second) + "]}";
        }
        const bool depth = r.url.find("/depth") != std::string_view::npos;
        if (venue == be::feed::Venue::kBinance) {
          write(out / "binance_rest", n, std::string(1, depth ? '\0' : '\1') + body);
        }
        continue;
      }
      if (r.kind != be::feed::CaptureLineKind::kMessage || r.payload.size() > kMaxSeed) continue;
      const char* target = venue == be::feed::Venue::kCoinbase ? "coinbase"
                           : venue == be::feed::Venue::kKraken ? "kraken"
                                                               : "binance";
      write(out / target, n, r.payload);
    }
  }
  std::printf("fuzz_make_seeds: %zu capture records read into %s\n", n, argv[2]);
  return 0;
}
