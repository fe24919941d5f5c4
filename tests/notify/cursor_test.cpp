// The cursor file: round trip, refusal of damaged files, and atomic replacement under
// SIGKILL at arbitrary instants.
#include "runner/notify/cursor_file.hpp"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <random>

#include "runner/notify/notifier.hpp"
#include "tests/notify/support.hpp"

namespace be::notify {
namespace {

using test::ScratchDir;

void write_bytes(const std::filesystem::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << bytes;
}

std::string read_bytes(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}

TEST(NotifyCursorFile, shouldReadZeroWhenNoFileExists) {
  ScratchDir dir("cursor_missing");
  const auto loaded = CursorFile(dir.path()).load();
  ASSERT_TRUE(loaded) << loaded.error();
  EXPECT_EQ(*loaded, 0u);
}

TEST(NotifyCursorFile, shouldRoundTripAndReplaceTheValue) {
  ScratchDir dir("cursor_roundtrip");
  CursorFile file(dir.path());
  ASSERT_FALSE(file.store(42));
  EXPECT_EQ(*file.load(), 42u);
  ASSERT_FALSE(file.store(0xFFFF'FFFF'FFFF'FFF0ull));
  EXPECT_EQ(*file.load(), 0xFFFF'FFFF'FFFF'FFF0ull);
  EXPECT_EQ(std::filesystem::file_size(file.path()), kCursorRecordSize);
}

TEST(NotifyCursorFile, shouldRefuseDamagedFilesWithAReason) {
  ScratchDir dir("cursor_damaged");
  CursorFile file(dir.path());
  ASSERT_FALSE(file.store(7));
  const std::string good = read_bytes(file.path());

  std::string flipped = good;
  flipped[9] = static_cast<char>(flipped[9] ^ 0x01);
  write_bytes(file.path(), flipped);
  auto loaded = file.load();
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().find("CRC mismatch"), std::string::npos) << loaded.error();

  write_bytes(file.path(), good.substr(0, 11));
  loaded = file.load();
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().find("size 11 bytes"), std::string::npos) << loaded.error();

  write_bytes(file.path(), "XXXX" + good.substr(4));
  loaded = file.load();
  ASSERT_FALSE(loaded);
  EXPECT_NE(loaded.error().find("bad magic"), std::string::npos) << loaded.error();
}

TEST(NotifyCursorFile, shouldRefuseToStartANotifierOnACorruptCursor) {
  ScratchDir dir("cursor_refuse");
  write_bytes(dir.path() / "notify.cursor", std::string(kCursorRecordSize, '\0'));
  NotifierOptions options;
  options.state_dir = dir.path();
  const auto notifier = Notifier::create(std::move(options));
  ASSERT_FALSE(notifier);
  EXPECT_NE(notifier.error().find("notify.cursor"), std::string::npos) << notifier.error();
}

// A child rewrites the cursor with 1, 2, 3, ... and reports each completed store through a
// pipe; the parent SIGKILLs it after a random number of reports, so the kill lands anywhere
// in a store (or between two). Whatever the instant, the file must hold a valid record whose
// value is at least the last reported one and never goes backwards.
TEST(NotifyCursorFile, shouldHoldOldOrNewValueWhenKilledMidWriteManyTimes) {
  ScratchDir dir("cursor_sigkill");
  std::mt19937_64 rng(20261123);
  SequenceNumber previous = 0;
  constexpr int kKills = 60;
  for (int round = 0; round < kKills; ++round) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      ::close(fds[0]);
      CursorFile file(dir.path());
      const auto start = file.load();
      if (!start) ::_exit(3);
      for (SequenceNumber v = *start + 1;; ++v) {
        if (file.store(v)) ::_exit(4);
        const char tick = 1;
        if (::write(fds[1], &tick, 1) != 1) ::_exit(5);
      }
    }
    ::close(fds[1]);
    const int reports = 1 + static_cast<int>(rng() % 8);
    int seen = 0;
    char buf[1];
    while (seen < reports && ::read(fds[0], buf, 1) == 1)
      ++seen;
    ASSERT_EQ(seen, reports) << "the child died before reporting";
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    ::close(fds[0]);
    ASSERT_TRUE(WIFSIGNALED(status)) << "child exited with " << WEXITSTATUS(status);

    const auto loaded = CursorFile(dir.path()).load();
    ASSERT_TRUE(loaded) << "round " << round << ": " << loaded.error();
    EXPECT_GE(*loaded, previous + static_cast<SequenceNumber>(reports)) << "round " << round;
    previous = *loaded;
  }
}

}  // namespace
}  // namespace be::notify
