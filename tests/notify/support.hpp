// Shared pieces of the notifier tests: a virtual back-off clock, a scratch directory and
// item builders.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

#include "runner/notify/notifier.hpp"

namespace be::notify::test {

// Waiting out a back-off advances virtual time at once and records the delay, so a retry
// schedule is checked exactly and a test with a 60 s back-off takes microseconds.
class VirtualClock final : public NotifyClock {
 public:
  Nanos now() override {
    std::lock_guard guard(mutex_);
    return now_;
  }
  void wait_until(std::unique_lock<std::mutex>&, std::condition_variable&,
                  Nanos deadline) override {
    std::lock_guard guard(mutex_);
    if (deadline > now_) {
      waits_.push_back(deadline - now_);
      now_ = deadline;
    }
  }
  std::vector<Nanos> waits() const {
    std::lock_guard guard(mutex_);
    return waits_;
  }

 private:
  mutable std::mutex mutex_;
  Nanos now_ = 1'000'000'000'000;
  std::vector<Nanos> waits_;
};

// A fresh directory under the build's temp area, removed at the end of the test.
class ScratchDir {
 public:
  explicit ScratchDir(const std::string& tag) {
    static std::atomic<int> counter{0};
    path_ = std::filesystem::temp_directory_path() /
            ("be_notify_" + tag + "_" + std::to_string(::getpid()) + "_" +
             std::to_string(counter.fetch_add(1)));
    std::filesystem::remove_all(path_);
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const noexcept { return path_; }

 private:
  std::filesystem::path path_;
};

inline NotifyItem trade_item(SequenceNumber seq, std::uint32_t bot = 1) {
  NotifyItem item;
  item.seq = seq;
  item.time = 1'763'868'812'123'456'789;  // 2025-11-23T03:33:32.123456789Z
  item.n.kind = NotificationKind::kTrade;
  item.n.side = Side::kBuy;
  item.n.bot = BotId{bot};
  item.n.instrument = InstrumentId{7};
  item.n.value1 = 5'161'338'000'000;  // 51613.38 at scale 8
  item.n.value2 = 100'000;            // 0.001 at scale 8
  item.n.cause = seq - 1;
  item.bot_name = "dca-" + std::to_string(bot);
  item.symbol = "BTCUSDT";
  item.price_scale = 8;
  item.qty_scale = 8;
  return item;
}

inline NotifyItem item_of_kind(SequenceNumber seq, NotificationKind kind, std::uint32_t bot,
                               std::uint16_t code = 0) {
  NotifyItem item = trade_item(seq, bot);
  item.n.kind = kind;
  item.n.code = code;
  return item;
}

inline Webhook hook(std::string name, std::string url, Format format = Format::kJson,
                    std::vector<std::uint32_t> bots = {}, KindMask kinds = ~KindMask{0}) {
  Webhook w;
  w.name = std::move(name);
  w.url = std::move(url);
  w.format = format;
  w.all_bots = bots.empty();
  w.bots = std::move(bots);
  w.kinds = kinds;
  if (format == Format::kTelegram) w.telegram_chat_id = "-1001234";
  return w;
}

}  // namespace be::notify::test
