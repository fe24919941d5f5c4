// Free-space floors (docs/CONFIG.md, engine.disk_reserve_mb and engine.disk_stop_mb): the disk
// holding the journal never fills by surprise.
//   - Below the reserve floor the engine journals kDiskReserveSet: from that input on, risk
//     refuses every intent that is not reduce-only (reject reason disk_reserve) and the control
//     plane refuses new bots; venue answers, fills, cancels, exits, kill switches and stops are
//     journaled as before. The space between the two floors is their reserve. Back above the
//     reserve floor plus an eighth (so it does not flap), kDiskReserveReset.
//   - Below the stop floor intake stops: the engine halts with the reason, before the
//     filesystem is full, so the journal never meets ENOSPC mid-commit.
// The decision is journaled (not read from the disk by the fold), so a replay refuses exactly
// what the live engine refused. Runs on the publisher thread, off the hot path.
#include <sys/statvfs.h>

#include "core/clock.hpp"
#include "core/log.hpp"
#include "engine/engine_impl.hpp"

namespace be::engine {

namespace {
constexpr Nanos kDiskLookInterval = 100'000'000;  // 100 ms: ~2 MB of journal at 100k msgs/s
}  // namespace

std::optional<unsigned long long> free_bytes(const std::string& dir) {
  struct statvfs fs {};
  if (::statvfs(dir.c_str(), &fs) != 0) return std::nullopt;
  return static_cast<unsigned long long>(fs.f_bavail) *
         static_cast<unsigned long long>(fs.f_frsize);
}

bool Engine::Impl::journal_command(const OperatorCommand& command) {
  const Nanos now = wall_now();
  std::lock_guard lock(control_mutex);
  return control_producer &&
         control_producer->try_push(InputItem{Event::make(command, now, now), 0});
}

int Engine::Impl::watch_disk() {
  if (!writer || (config.disk_reserve_bytes == 0 && config.disk_stop_bytes == 0)) return 0;
  const Nanos now = monotonic_now();
  if (now < next_disk_look) return 0;
  next_disk_look = now + kDiskLookInterval;
  const std::string dir = config.data_dir + "/journal";
  const auto left = free_bytes(dir);
  if (!left) return 0;
  disk_free.store(static_cast<std::int64_t>(*left), std::memory_order_relaxed);
  const std::string space = std::to_string(*left) + " bytes free on the filesystem holding " + dir;
  if (config.disk_stop_bytes != 0 && *left < config.disk_stop_bytes) {
    if (!is_halted()) {
      halt("the disk is below its stop floor (" + space + ", floor " +
           std::to_string(config.disk_stop_bytes) +
           "): intake stopped before the filesystem filled; free space and restart");
    }
    return 1;
  }
  const bool below = config.disk_reserve_bytes != 0 && *left < config.disk_reserve_bytes;
  const bool above = *left >= config.disk_reserve_bytes + config.disk_reserve_bytes / 8;
  const bool on = disk_reserve_on.load(std::memory_order_acquire);
  if (on == below || (on && !above)) return 0;
  OperatorCommand c;
  c.kind = below ? OperatorCommandKind::kDiskReserveSet : OperatorCommandKind::kDiskReserveReset;
  c.scope = CommandScope::kGlobal;
  if (!journal_command(c)) return 0;  // intake full: offered again at the next look
  disk_reserve_on.store(below, std::memory_order_release);
  log::write(below ? log::Level::kWarning : log::Level::kInfo, log::kEngine,
             below ? "the disk is below its reserve floor (" + space +
                         "): new bots and orders adding exposure are refused"
                   : "the disk is above its reserve floor again (" + space + ")");
  return 1;
}

}  // namespace be::engine
