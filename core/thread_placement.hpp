// Thread placement: the one home for naming threads and pinning them to CPUs (docs/CONFIG.md
// "threads", docs/ARCHITECTURE.md §2 "Threads").
//
// Every thread the engine and the runner start has a role (ThreadRole: the pipeline thread,
// the journal writer, the API server, ...). A PlacementPlan gives each role a CpuSet ("any":
// not pinned). The process installs one plan at start (install_thread_placement, before it
// starts threads), and each thread places itself as it starts: place_current_thread(role)
// names it (pthread_setname_np, what top, perf and gdb show) and pins it to its role's CPUs.
// Engine stage threads run on core::AgentRunner, which takes their CpuSet directly
// (thread_cpus(role)).
//
// A CPU that cannot be had (offline, outside the process's cgroup or taskset) never stops a
// thread: it runs unpinned, the failure is reported once (the reporter: stderr, or the
// runner's log) and listed by thread_placement_failures() (health and metrics) for as long as
// the thread lives.
//
// "any" leaves the thread's affinity alone: a new thread inherits the CPUs of the thread that
// started it, so once the runner has placed its main thread (role kOthers) every thread it
// starts afterwards without a role of its own lands on the others' CPUs too.
//
// The default policy (default_placement) is a pure function of the usable CPUs: with one CPU
// nothing is pinned; with more, each hot thread (the pipeline thread; in the pipelined
// topology also the risk and orders threads) gets a CPU of its own, from the highest down,
// while one CPU at least is left, and every other thread shares the remaining CPUs.
//
// Thread-safety: install_thread_placement and set_thread_placement_reporter before threads
// start (they lock, so a late call is safe, merely not seen by threads already placed); the
// rest from any thread. Cold path: allocates; call at thread start, never in a hot loop.
#pragma once

#include <array>
#include <bitset>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "core/expected.hpp"

namespace be {

inline constexpr int kNoCpu = -1;

// A set of CPU ids; the empty set means "any" (not pinned).
class CpuSet {
 public:
  static constexpr int kMaxCpus = 1024;  // CPU_SETSIZE

  CpuSet() = default;  // any
  // {cpu}; kNoCpu gives "any". Precondition: cpu < kMaxCpus.
  static CpuSet of(int cpu);
  static CpuSet of(std::span<const int> cpus);

  bool any() const noexcept { return bits_.none(); }
  bool contains(int cpu) const noexcept;
  void add(int cpu);  // precondition: 0 <= cpu < kMaxCpus
  std::vector<int> cpus() const;
  std::size_t size() const noexcept { return bits_.count(); }
  friend bool operator==(const CpuSet&, const CpuSet&) = default;

 private:
  std::bitset<kMaxCpus> bits_;
};

// The kernel's cpulist syntax ("0", "0-2,5"), or "any". Errors say what is wrong.
Expected<CpuSet, std::string> parse_cpu_set(std::string_view text);
// "any", or a cpulist with ranges folded: "0-2,5".
std::string to_string(const CpuSet& set);

// ---- roles and plans ------------------------------------------------------------------

// Append-only: the config keys and the thread names below are indexed by these.
enum class ThreadRole : std::uint8_t {
  kPipeline,   // the sequencer (fused: every stage), "be-seq"
  kRisk,       // pipelined risk stage, "be-risk"
  kOrders,     // pipelined orders stage, "be-orders"
  kPublisher,  // read model stream to JSON, "be-publish"
  kJournal,    // journal writer, "be-journal"
  kArchive,    // journal segment compression, "be-archive"
  kReplica,    // the shadow replica fold, "be-replica"
  kFeed,       // market-data WebSocket I/O threads, "be-feed"
  kGateway,    // venue gateway I/O threads (shared by live accounts), "be-gateway"
  kApi,        // control API server threads, "be-api"
  kNotifier,   // webhook delivery, "be-notify"
  kOthers,     // the main thread and every thread without a role of its own
};
inline constexpr std::size_t kThreadRoles = 12;

// The role's key in the `threads` config section ("pipeline", ..., "others").
std::string_view to_string(ThreadRole role) noexcept;
std::optional<ThreadRole> thread_role_from(std::string_view key) noexcept;
// The name its threads get ("be-seq"); "" for kOthers (keeps the name it has).
std::string_view thread_name(ThreadRole role) noexcept;

// auto: the default policy (above) for roles the config leaves out; none: they are "any".
enum class PlacementPolicy : std::uint8_t { kAuto, kNone };
std::string_view to_string(PlacementPolicy policy) noexcept;
std::optional<PlacementPolicy> placement_policy_from(std::string_view name) noexcept;

// What a config says: a policy and the roles it sets explicitly.
struct PlacementConfig {
  PlacementPolicy policy = PlacementPolicy::kNone;
  std::array<std::optional<CpuSet>, kThreadRoles> roles{};
  std::optional<CpuSet>& operator[](ThreadRole r) { return roles[static_cast<std::size_t>(r)]; }
  const std::optional<CpuSet>& operator[](ThreadRole r) const {
    return roles[static_cast<std::size_t>(r)];
  }
};

// What each role's threads are pinned to ("any": not pinned).
struct PlacementPlan {
  std::array<CpuSet, kThreadRoles> cpus{};
  CpuSet& operator[](ThreadRole r) { return cpus[static_cast<std::size_t>(r)]; }
  const CpuSet& operator[](ThreadRole r) const { return cpus[static_cast<std::size_t>(r)]; }
  friend bool operator==(const PlacementPlan&, const PlacementPlan&) = default;
};

// The default policy over `usable` CPUs (ids, any order) for the given hot roles, most
// important first: a pure function, so tests state it for 1, 2 and 4 CPUs.
PlacementPlan default_placement(std::span<const int> usable, std::span<const ThreadRole> hot);

// A role the config sets keeps its set; every other role takes the config's `others` when
// set, else (policy auto) the default's, else "any". Hot roles left out get the default's
// dedicated CPU under policy auto.
PlacementPlan resolve_placement(const PlacementConfig& config, std::span<const int> usable,
                                std::span<const ThreadRole> hot);

// The CPUs this process may run on: online (/sys/devices/system/cpu/online) and in the
// calling thread's affinity mask (taskset, cgroup cpuset). Call it before pinning the caller.
std::vector<int> usable_cpus();

// ---- the process's plan ---------------------------------------------------------------

void install_thread_placement(const PlacementPlan& plan);
PlacementPlan installed_thread_placement();
// Installs a plan for a scope (a test) and puts the one before back at its end.
class ScopedThreadPlacement {
 public:
  explicit ScopedThreadPlacement(const PlacementPlan& plan)
      : before_(installed_thread_placement()) {
    install_thread_placement(plan);
  }
  ~ScopedThreadPlacement() { install_thread_placement(before_); }
  ScopedThreadPlacement(const ScopedThreadPlacement&) = delete;
  ScopedThreadPlacement& operator=(const ScopedThreadPlacement&) = delete;

 private:
  PlacementPlan before_;
};
// The installed plan's set for `role`.
CpuSet thread_cpus(ThreadRole role);

// Names the calling thread `name` (role's name when empty; kOthers without a name keeps its
// own) and pins it to the installed plan's set for `role`. False when the CPUs could not be
// had: the failure is then reported and recorded (see above), and the thread runs where it
// ran before.
bool place_current_thread(ThreadRole role, std::string_view name = {});

// ---- primitives -----------------------------------------------------------------------

// Pins the calling thread to `cpus` (pthread_setaffinity_np); "any" does nothing. Errors name
// the CPUs and the OS's reason.
Expected<std::monostate, std::string> pin_current_thread(const CpuSet& cpus);
// One CPU; kNoCpu does nothing.
Expected<std::monostate, std::string> pin_current_thread(int cpu);
// Whether cpu is in the calling thread's allowed affinity set (tests use it to skip).
bool cpu_allowed(int cpu) noexcept;
// Names the calling thread (Linux keeps 15 characters): shows in top, perf and gdb.
void name_current_thread(std::string_view name) noexcept;

// ---- failures and what was applied ----------------------------------------------------

struct ThreadPlacementFailure {
  std::string thread;  // its name, "be-api"
  CpuSet cpus;         // what it asked for
  std::string why;     // "thread 'be-api': cannot pin to CPUs 7: ..."
};
// Records a failure of the calling thread (listed until the thread exits) and reports it.
void record_thread_placement_failure(std::string_view thread, const CpuSet& cpus, std::string why);
// Failures of threads still running, oldest first.
std::vector<ThreadPlacementFailure> thread_placement_failures();
// Who is told of a failure (once, on the failing thread): the default writes a line to
// stderr; nullptr restores it. The function must be callable from any thread.
using ThreadPlacementReporter = void (*)(std::string_view message);
void set_thread_placement_reporter(ThreadPlacementReporter reporter) noexcept;

// What the OS says each thread of this process has: /proc/self/task/<tid>/comm and
// sched_getaffinity(tid), ordered by tid (the main thread first). Threads that end while it
// reads are left out.
struct ThreadPlacementInfo {
  int tid = 0;
  std::string name;
  CpuSet cpus;
};
std::vector<ThreadPlacementInfo> current_thread_placements();

}  // namespace be
