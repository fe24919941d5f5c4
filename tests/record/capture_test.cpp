#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "feed/record/capture_reader.hpp"
#include "feed/record/capture_writer.hpp"
#include "tests/support/alloc_counter.hpp"

namespace be::capture {
namespace {

namespace fs = std::filesystem;

class CaptureTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("be-capture-" + std::to_string(getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const char* name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

std::string payload_for(std::uint64_t n, std::mt19937_64& rng) {
  std::string s = "{\"frame\":" + std::to_string(n) + ",\"pad\":\"";
  s.append(rng() % 3000, static_cast<char>('a' + n % 26));
  s += "\"}";
  return s;
}

CaptureWriterOptions small_batches(bool force_pwrite) {
  CaptureWriterOptions o;
  o.batch_bytes = 8192;  // many batches and buffer waits for a few MB of frames
  o.batches = 2;
  o.force_pwrite = force_pwrite;
  o.venue = "BINANCE";
  return o;
}

void round_trip(const std::string& file, bool force_pwrite) {
  std::mt19937_64 rng(99);
  std::vector<std::string> written;
  {
    auto w = CaptureWriter::create(file, small_batches(force_pwrite), 1'700'000'000'000'000'000);
    ASSERT_TRUE(w.has_value()) << w.error();
    EXPECT_EQ((*w)->backend(), force_pwrite ? "pwrite" : "io_uring");
    for (std::uint64_t n = 0; n < 5000; ++n) {
      written.push_back(payload_for(n, rng));
      const auto kind = n % 100 == 0 ? FrameKind::kConnected : FrameKind::kReceived;
      ASSERT_TRUE((*w)->append(kind, static_cast<std::uint16_t>(n % 3), static_cast<Nanos>(n),
                               written.back()))
          << (*w)->error();
      if (n % 97 == 0) {
        ASSERT_TRUE((*w)->flush());
      }
    }
    ASSERT_TRUE((*w)->close()) << (*w)->error();
    if (!force_pwrite) {  // pwrite completes inside append: nothing ever waits
      EXPECT_GT((*w)->stats().waits_for_buffer, 0u) << "the test should exercise backpressure";
    }
    EXPECT_EQ((*w)->frames_written(), 5000u);
  }
  auto r = CaptureReader::open(file);
  ASSERT_TRUE(r.has_value()) << r.error();
  EXPECT_EQ(r->venue(), "BINANCE");
  EXPECT_EQ(r->created(), 1'700'000'000'000'000'000);
  CapturedFrame f;
  std::uint64_t n = 0;
  while (r->next(f)) {
    ASSERT_LT(n, written.size());
    EXPECT_EQ(f.text(), written[n]);
    EXPECT_EQ(f.receive_time, static_cast<Nanos>(n));
    EXPECT_EQ(f.channel, n % 3);
    EXPECT_EQ(f.kind, n % 100 == 0 ? FrameKind::kConnected : FrameKind::kReceived);
    ++n;
  }
  EXPECT_EQ(n, written.size());
  EXPECT_TRUE(r->tail().clean) << r->tail().reason;
}

TEST_F(CaptureTest, shouldRoundTripEveryFrameThroughIoUring) {
  round_trip(path("a.becap"), false);
}

TEST_F(CaptureTest, shouldRoundTripEveryFrameThroughThePwriteFallback) {
  round_trip(path("b.becap"), true);
}

TEST_F(CaptureTest, shouldRefuseAnOversizedFrameAndCarryOn) {
  auto w = CaptureWriter::create(path("c.becap"), small_batches(false), 0);
  ASSERT_TRUE(w.has_value());
  const std::string huge(9000, 'x');  // larger than one 8 KiB batch
  EXPECT_FALSE((*w)->append(FrameKind::kReceived, 0, 1, huge));
  EXPECT_EQ((*w)->stats().frames_refused, 1u);
  EXPECT_TRUE((*w)->error().empty());
  EXPECT_TRUE((*w)->append(FrameKind::kReceived, 0, 2, std::string_view("ok")));
  ASSERT_TRUE((*w)->close());
  auto r = CaptureReader::open(path("c.becap"));
  ASSERT_TRUE(r.has_value());
  CapturedFrame f;
  ASSERT_TRUE(r->next(f));
  EXPECT_EQ(f.text(), "ok");
  EXPECT_FALSE(r->next(f));
}

std::uint64_t write_frames(const std::string& file, int count) {
  auto w = CaptureWriter::create(file, small_batches(false), 0);
  for (int i = 0; i < count; ++i) {
    (*w)->append(FrameKind::kReceived, 0, i, "frame-" + std::to_string(i));
  }
  (*w)->close();
  return fs::file_size(file);
}

// Reads on until the reader stops (the file's end or a damaged frame); how many it gave.
int frames_until_the_end(CaptureReader& reader) {
  CapturedFrame f;
  int n = 0;
  while (reader.next(f))
    ++n;
  return n;
}

TEST_F(CaptureTest, shouldReturnThePrefixAndReportATornTail) {
  const std::string file = path("torn.becap");
  const auto size = write_frames(file, 100);
  // Cut inside the last frame: 99 whole frames remain.
  fs::resize_file(file, size - 5);
  auto r = CaptureReader::open(file);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(frames_until_the_end(*r), 99);
  EXPECT_FALSE(r->tail().clean);
  EXPECT_EQ(r->tail().reason, "frame runs past the end of the file");
  EXPECT_GT(r->tail().ignored_bytes, 0u);
}

TEST_F(CaptureTest, shouldStopAtACorruptFrameWithTheReason) {
  const std::string file = path("corrupt.becap");
  write_frames(file, 100);
  {
    std::fstream io(file, std::ios::in | std::ios::out | std::ios::binary);
    io.seekp(static_cast<std::streamoff>(kFileHeaderSize + 10 * padded_frame_size(7) + 30));
    io.put('#');  // inside frame 10's payload
  }
  auto r = CaptureReader::open(file);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(frames_until_the_end(*r), 10);
  EXPECT_EQ(r->tail().reason, "frame CRC mismatch");
  EXPECT_EQ(r->tail().offset, kFileHeaderSize + 10 * padded_frame_size(7));
}

TEST_F(CaptureTest, shouldRefuseFilesThatAreNotCapturesWithAClearError) {
  {
    std::ofstream(path("short")) << "BECAPT";
    std::ofstream text(path("text"));
    text << std::string(200, 'z');
  }
  auto short_file = CaptureReader::open(path("short"));
  ASSERT_FALSE(short_file.has_value());
  EXPECT_NE(short_file.error().find("shorter than its 64-byte header"), std::string::npos);
  auto text = CaptureReader::open(path("text"));
  ASSERT_FALSE(text.has_value());
  EXPECT_NE(text.error().find("bad magic"), std::string::npos);
  EXPECT_FALSE(CaptureReader::is_capture_file(path("text")));

  const std::string file = path("v2.becap");
  write_frames(file, 1);
  EXPECT_TRUE(CaptureReader::is_capture_file(file));
  {
    std::fstream io(file, std::ios::in | std::ios::out | std::ios::binary);
    io.seekp(8);
    io.put('\2');
  }
  auto v2 = CaptureReader::open(file);
  ASSERT_FALSE(v2.has_value());
  EXPECT_NE(v2.error().find("version 2 is not supported"), std::string::npos);
  EXPECT_FALSE(CaptureReader::open(path("missing")).has_value());
}

// A recorder killed at random moments keeps every frame whose write had completed; the file is
// a valid prefix plus at most a torn batch. (Counting frames merely submitted to io_uring as
// safe was a bug this test caught: the kernel cancels a dying process's pending requests.)
TEST_F(CaptureTest, shouldKeepEveryWrittenFrameWhenKilledAtRandomMoments) {
  std::mt19937_64 rng(20261123);
  for (int round = 0; round < 50; ++round) {
    SCOPED_TRACE("round " + std::to_string(round));
    const std::string file = path("kill.becap");
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    const pid_t child = fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      close(fds[0]);
      auto w = CaptureWriter::create(file, small_batches(false), 0);
      if (!w.has_value()) _exit(3);
      for (std::uint64_t n = 0;; ++n) {
        const std::string text = "frame-" + std::to_string(n);
        if (!(*w)->append(FrameKind::kReceived, 0, static_cast<Nanos>(n), text)) _exit(4);
        if (n % 64 == 63) {
          (*w)->flush();
          const std::uint64_t written = (*w)->frames_written();
          if (write(fds[1], &written, sizeof(written)) != sizeof(written)) _exit(5);
        }
      }
    }
    close(fds[1]);
    // Kill after a random number of progress reports (1..40): a random moment in the run.
    const int reports = 1 + static_cast<int>(rng() % 40);
    std::uint64_t acknowledged = 0;
    for (int i = 0; i < reports; ++i) {
      ASSERT_EQ(read(fds[0], &acknowledged, sizeof(acknowledged)),
                static_cast<ssize_t>(sizeof(acknowledged)));
    }
    kill(child, SIGKILL);
    int status = 0;
    waitpid(child, &status, 0);
    close(fds[0]);
    ASSERT_TRUE(WIFSIGNALED(status)) << "the child must have been killed, not have failed";

    auto r = CaptureReader::open(file);
    ASSERT_TRUE(r.has_value()) << r.error();
    CapturedFrame f;
    std::uint64_t n = 0;
    while (r->next(f)) {
      ASSERT_EQ(f.text(), "frame-" + std::to_string(n));
      ++n;
    }
    EXPECT_GE(n, acknowledged) << "an acknowledged frame was lost";
    if (!r->tail().clean) {
      EXPECT_LE(r->tail().ignored_bytes, small_batches(false).batch_bytes) << r->tail().reason;
    }
  }
}

// Disk full, simulated with RLIMIT_FSIZE in a child: the writer stops with a clear error and
// everything written before stays readable.
TEST_F(CaptureTest, shouldStopWithAClearErrorWhenTheDiskIsFull) {
  const std::string file = path("full.becap");
  const pid_t child = fork();
  ASSERT_GE(child, 0);
  if (child == 0) {
    signal(SIGXFSZ, SIG_IGN);
    rlimit limit{64 * 1024, 64 * 1024};
    setrlimit(RLIMIT_FSIZE, &limit);
    auto w = CaptureWriter::create(file, small_batches(false), 0);
    if (!w.has_value()) _exit(3);
    for (int n = 0; n < 100'000; ++n) {
      if (!(*w)->append(FrameKind::kReceived, 0, n, "frame-" + std::to_string(n))) break;
    }
    (*w)->close();
    const bool clear = (*w)->error().find("File too large") != std::string::npos;
    _exit(clear ? 0 : 6);
  }
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0) << "the writer did not report the I/O error";
  auto r = CaptureReader::open(file);
  ASSERT_TRUE(r.has_value());
  CapturedFrame f;
  std::uint64_t n = 0;
  while (r->next(f))
    ASSERT_EQ(f.text(), "frame-" + std::to_string(n++));
  EXPECT_GT(n, 1000u);
}

TEST_F(CaptureTest, shouldNotAllocateWhileRecording) {
  if (!test::allocation_counting_available()) GTEST_SKIP() << "sanitizer owns malloc";
  auto w = CaptureWriter::create(path("alloc.becap"), CaptureWriterOptions{}, 0);
  ASSERT_TRUE(w.has_value());
  const std::string message = R"({"e":"trade","E":1,"s":"BTCUSDT","t":1,"p":"1.0","q":"1.0"})";
  for (int i = 0; i < 1000; ++i)
    (*w)->append(FrameKind::kReceived, 0, i, message);  // warm-up
  const auto before = test::allocation_count();
  for (int i = 0; i < 200'000; ++i) {
    (*w)->append(FrameKind::kReceived, 0, i, message);
    if (i % 1000 == 0) (*w)->flush();
  }
  EXPECT_EQ(test::allocation_count() - before, 0u);
  EXPECT_TRUE((*w)->close());
}

}  // namespace
}  // namespace be::capture
