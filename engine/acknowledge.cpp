// Acknowledged means kept (docs/API.md, "What an answer means"): a command's answer waits until
// the journal keeps the command under the deployment's durability mode, and a journal that
// fails halts the engine with the true reason, so no later command waits for nothing.
//
// The waiting side is the control thread (submit()); the publisher thread, which already
// loops off the hot path, watches the writer's watermark while anyone waits and wakes them.
// The stages never take request_mutex for this: the hot path stays lock- and syscall-free.
#include "engine/engine_impl.hpp"

namespace be::engine {

namespace {

// How long an answer waits for the journal: well past a healthy fsync (milliseconds), short
// enough that a stuck disk gets an answer that says so.
constexpr auto kKeepWait = std::chrono::seconds(10);

// Below this, an I/O error of the journal is the disk being full.
constexpr unsigned long long kFullBelow = 1u << 20;

}  // namespace

SequenceNumber Engine::Impl::kept_position() const noexcept {
  if (!writer) return ~SequenceNumber{0};
  return config.journal == JournalMode::kDurable ? writer->durable() : writer->committed();
}

std::string Engine::Impl::journal_failure() const {
  if (!writer || !writer->failed()) return {};
  const journal::Error e = writer->error();
  std::string why = "the journal failed: " + e.message;
  if (e.code != journal::Errc::kIo) return why;
  // LMDB reports a short write (what a full filesystem gives) as EIO, and a delayed
  // write-back fails an fsync with EIO too: name the cause when the free space says it.
  const std::string dir = config.data_dir + "/journal";
  const auto left = free_bytes(dir);
  if (!left) return why;
  const std::string space =
      "the filesystem holding " + dir + " has " + std::to_string(*left) + " bytes free";
  if (*left < kFullBelow) return "the disk is full (" + space + "): " + why;
  return why + "; " + space;
}

bool Engine::Impl::wait_kept(SequenceNumber position, CommandResult& refused) {
  if (!writer) return true;  // journal "off": an answer means applied, nothing is kept
  ack_waiters.fetch_add(1, std::memory_order_acq_rel);
  bool kept = false;
  {
    std::unique_lock lock(request_mutex);
    kept = request_cv.wait_for(lock, kKeepWait, [&] {
      return kept_position() >= position || writer->failed() || is_halted();
    });
    kept = kept_position() >= position;
  }
  ack_waiters.fetch_sub(1, std::memory_order_acq_rel);
  if (kept) return true;
  refused.status = CommandStatus::kUnavailable;
  std::string why = journal_failure();
  if (why.empty() && is_halted()) why = "the engine halted: " + failure();
  if (why.empty()) {
    refused.status = CommandStatus::kTimeout;
    refused.message =
        "applied but not yet kept: the journal has not " +
        std::string(config.journal == JournalMode::kDurable ? "synced" : "committed") +
        " it within 10 s; it may still be kept or lost";
    return false;
  }
  // Committed but not synced (durable mode): the page may still reach the disk, so say so
  // rather than promise either way.
  const bool written = writer->committed() >= position;
  refused.message = "not acknowledged: " + why + ". The engine has halted; " +
                    (written ? "the command was written but not synced, so after a restart it "
                               "may or may not be in the journal"
                             : "the journal does not hold this command and a restart will not "
                               "apply it");
  return false;
}

int Engine::Impl::watch_journal() {
  if (!writer) return 0;
  if (writer->failed() && !is_halted()) {
    halt(journal_failure());
    return 1;
  }
  if (ack_waiters.load(std::memory_order_acquire) == 0) return 0;
  const SequenceNumber kept = kept_position();
  if (kept == ack_seen) return 0;
  ack_seen = kept;
  {
    std::lock_guard lock(request_mutex);  // pairs with the waiter's predicate check
  }
  request_cv.notify_all();
  return 1;
}

}  // namespace be::engine
