#include "core/thread_placement.hpp"

#include <dirent.h>
#include <pthread.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>

#include "core/names.hpp"

namespace be {

namespace {

constexpr std::array<Named<ThreadRole>, kThreadRoles> kRoleKeys{{
    {ThreadRole::kPipeline, "pipeline"},
    {ThreadRole::kRisk, "risk"},
    {ThreadRole::kOrders, "orders"},
    {ThreadRole::kPublisher, "publisher"},
    {ThreadRole::kJournal, "journal"},
    {ThreadRole::kArchive, "archive"},
    {ThreadRole::kReplica, "replica"},
    {ThreadRole::kFeed, "feed"},
    {ThreadRole::kGateway, "gateway"},
    {ThreadRole::kApi, "api"},
    {ThreadRole::kNotifier, "notifier"},
    {ThreadRole::kOthers, "others"},
}};
static_assert(names_every_code(kRoleKeys, kThreadRoles), "a new ThreadRole needs its key here");

// At most 15 characters: the kernel's limit for a thread's name.
constexpr std::array<Named<ThreadRole>, kThreadRoles> kRoleThreadNames{{
    {ThreadRole::kPipeline, "be-seq"},
    {ThreadRole::kRisk, "be-risk"},
    {ThreadRole::kOrders, "be-orders"},
    {ThreadRole::kPublisher, "be-publish"},
    {ThreadRole::kJournal, "be-journal"},
    {ThreadRole::kArchive, "be-archive"},
    {ThreadRole::kReplica, "be-replica"},
    {ThreadRole::kFeed, "be-feed"},
    {ThreadRole::kGateway, "be-gateway"},
    {ThreadRole::kApi, "be-api"},
    {ThreadRole::kNotifier, "be-notify"},
    {ThreadRole::kOthers, ""},
}};
static_assert(names_every_code(kRoleThreadNames, kThreadRoles),
              "a new ThreadRole needs its thread name here");

constexpr std::array<Named<PlacementPolicy>, 2> kPolicyNames{{
    {PlacementPolicy::kAuto, "auto"},
    {PlacementPolicy::kNone, "none"},
}};
static_assert(names_every_code(kPolicyNames, 2), "a new PlacementPolicy needs its name here");

std::optional<int> parse_cpu_id(std::string_view text) {
  int value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < 0 ||
      value >= CpuSet::kMaxCpus) {
    return std::nullopt;
  }
  return value;
}

CpuSet from_cpu_set_t(const cpu_set_t& set) {
  CpuSet out;
  for (int cpu = 0; cpu < CpuSet::kMaxCpus && cpu < CPU_SETSIZE; ++cpu)
    if (CPU_ISSET(cpu, &set)) out.add(cpu);
  return out;
}

// ---- the process's plan and failures ----

struct Registry {
  std::mutex mutex;
  PlacementPlan plan;
  struct Entry {
    pid_t tid;
    ThreadPlacementFailure failure;
  };
  std::vector<Entry> failures;
  std::atomic<ThreadPlacementReporter> reporter{nullptr};
};

Registry& registry() {
  static Registry* r = new Registry;  // never destroyed: threads may outlive static destructors
  return *r;
}

pid_t current_tid() noexcept {
  return static_cast<pid_t>(::syscall(SYS_gettid));
}

// A thread's failures leave the list when the thread exits.
struct ForgetAtThreadExit {
  bool armed = false;
  ~ForgetAtThreadExit() {
    if (!armed) return;
    const pid_t tid = current_tid();
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    std::erase_if(r.failures, [tid](const Registry::Entry& e) { return e.tid == tid; });
  }
};
thread_local ForgetAtThreadExit forget_at_exit;

void report_to_stderr(std::string_view message) {
  std::string line = "botengine: ";
  line.append(message);
  line += '\n';
  (void)!::write(STDERR_FILENO, line.data(), line.size());  // one write: lines never interleave
}

}  // namespace

// ---- CpuSet ----

CpuSet CpuSet::of(int cpu) {
  CpuSet s;
  if (cpu != kNoCpu) s.add(cpu);
  return s;
}

CpuSet CpuSet::of(std::span<const int> cpus) {
  CpuSet s;
  for (const int cpu : cpus)
    s.add(cpu);
  return s;
}

bool CpuSet::contains(int cpu) const noexcept {
  return cpu >= 0 && cpu < kMaxCpus && bits_.test(static_cast<std::size_t>(cpu));
}

void CpuSet::add(int cpu) {
  bits_.set(static_cast<std::size_t>(cpu));
}

std::vector<int> CpuSet::cpus() const {
  std::vector<int> out;
  for (int cpu = 0; cpu < kMaxCpus; ++cpu)
    if (contains(cpu)) out.push_back(cpu);
  return out;
}

Expected<CpuSet, std::string> parse_cpu_set(std::string_view text) {
  if (text == "any") return CpuSet{};
  const std::string expected =
      "expected \"any\" or CPU ids in [0, " + std::to_string(CpuSet::kMaxCpus - 1) +
      "] as a list like \"1\" or \"0-2,5\", got \"" + std::string(text) + "\"";
  if (text.empty()) return Unexpected(expected);
  CpuSet set;
  while (!text.empty()) {
    const std::size_t comma = text.find(',');
    const std::string_view item = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
    if (comma != std::string_view::npos && text.empty()) return Unexpected(expected);
    const std::size_t dash = item.find('-');
    const auto first = parse_cpu_id(item.substr(0, dash));
    const auto last = dash == std::string_view::npos ? first : parse_cpu_id(item.substr(dash + 1));
    if (!first || !last || *last < *first) return Unexpected(expected);
    for (int cpu = *first; cpu <= *last; ++cpu)
      set.add(cpu);
  }
  return set;
}

std::string to_string(const CpuSet& set) {
  if (set.any()) return "any";
  std::string out;
  const std::vector<int> cpus = set.cpus();
  for (std::size_t i = 0; i < cpus.size();) {
    std::size_t j = i;
    while (j + 1 < cpus.size() && cpus[j + 1] == cpus[j] + 1)
      ++j;
    if (!out.empty()) out += ',';
    out += std::to_string(cpus[i]);
    if (j > i) out += '-' + std::to_string(cpus[j]);
    i = j + 1;
  }
  return out;
}

// ---- roles and plans ----

std::string_view to_string(ThreadRole role) noexcept {
  return name_of(kRoleKeys, role);
}

std::optional<ThreadRole> thread_role_from(std::string_view key) noexcept {
  return code_of(kRoleKeys, key);
}

std::string_view thread_name(ThreadRole role) noexcept {
  return name_of(kRoleThreadNames, role, "");
}

std::string_view to_string(PlacementPolicy policy) noexcept {
  return name_of(kPolicyNames, policy);
}

std::optional<PlacementPolicy> placement_policy_from(std::string_view name) noexcept {
  return code_of(kPolicyNames, name);
}

PlacementPlan default_placement(std::span<const int> usable, std::span<const ThreadRole> hot) {
  PlacementPlan plan;
  std::vector<int> cpus(usable.begin(), usable.end());
  std::sort(cpus.begin(), cpus.end());
  cpus.erase(std::unique(cpus.begin(), cpus.end()), cpus.end());
  if (cpus.size() < 2) return plan;  // one CPU: pinning could only hurt
  // Hot threads take CPUs of their own from the highest down (CPU 0 usually takes the most
  // interrupts), leaving at least one for the rest.
  const std::size_t dedicated = std::min(hot.size(), cpus.size() - 1);
  const CpuSet shared = CpuSet::of(std::span(cpus).first(cpus.size() - dedicated));
  for (CpuSet& set : plan.cpus)
    set = shared;
  for (std::size_t i = 0; i < dedicated; ++i)
    plan[hot[i]] = CpuSet::of(cpus[cpus.size() - 1 - i]);
  return plan;
}

PlacementPlan resolve_placement(const PlacementConfig& config, std::span<const int> usable,
                                std::span<const ThreadRole> hot) {
  const PlacementPlan defaults =
      config.policy == PlacementPolicy::kAuto ? default_placement(usable, hot) : PlacementPlan{};
  const CpuSet& shared = defaults[ThreadRole::kOthers];
  PlacementPlan plan;
  for (std::size_t i = 0; i < kThreadRoles; ++i) {
    const auto role = static_cast<ThreadRole>(i);
    const bool dedicated = defaults[role] != shared;  // a hot role with a CPU of its own
    if (config[role]) {
      plan[role] = *config[role];
    } else if (!dedicated && config[ThreadRole::kOthers]) {
      plan[role] = *config[ThreadRole::kOthers];
    } else {
      plan[role] = defaults[role];
    }
  }
  return plan;
}

std::vector<int> usable_cpus() {
  cpu_set_t mask;
  CPU_ZERO(&mask);
  if (sched_getaffinity(0, sizeof(mask), &mask) != 0) return {};
  CpuSet usable = from_cpu_set_t(mask);
  std::ifstream online_file("/sys/devices/system/cpu/online");
  std::string line;
  if (std::getline(online_file, line)) {
    if (auto online = parse_cpu_set(line); online && !online->any()) {
      CpuSet both;
      for (const int cpu : usable.cpus())
        if (online->contains(cpu)) both.add(cpu);
      usable = both;
    }
  }
  return usable.cpus();
}

// ---- the process's plan ----

void install_thread_placement(const PlacementPlan& plan) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  r.plan = plan;
}

PlacementPlan installed_thread_placement() {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  return r.plan;
}

CpuSet thread_cpus(ThreadRole role) {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  return r.plan[role];
}

bool place_current_thread(ThreadRole role, std::string_view name) {
  if (name.empty()) name = thread_name(role);
  if (!name.empty()) name_current_thread(name);
  const CpuSet cpus = thread_cpus(role);
  auto pinned = pin_current_thread(cpus);
  if (!pinned) {
    char own[16] = {};
    pthread_getname_np(pthread_self(), own, sizeof own);
    std::string why = "thread '" + std::string(own) + "': " + pinned.error();
    record_thread_placement_failure(own, cpus, std::move(why));
    return false;
  }
  return true;
}

// ---- primitives ----

Expected<std::monostate, std::string> pin_current_thread(const CpuSet& cpus) {
  if (cpus.any()) return std::monostate{};
  cpu_set_t set;
  CPU_ZERO(&set);
  for (const int cpu : cpus.cpus())
    CPU_SET(cpu, &set);
  if (const int rc = pthread_setaffinity_np(pthread_self(), sizeof(set), &set); rc != 0) {
    return Unexpected{std::string(cpus.size() == 1 ? "cannot pin to CPU " : "cannot pin to CPUs ") +
                      to_string(cpus) + ": pthread_setaffinity_np: " + std::strerror(rc) +
                      " (is the CPU online and inside this process's taskset?)"};
  }
  return std::monostate{};
}

Expected<std::monostate, std::string> pin_current_thread(int cpu) {
  if (cpu == kNoCpu) return std::monostate{};
  if (cpu < 0 || cpu >= CpuSet::kMaxCpus) {
    return Unexpected{"cannot pin to CPU " + std::to_string(cpu) +
                      ": CPU id must be -1 (none) or in [0, " + std::to_string(CpuSet::kMaxCpus) +
                      ")"};
  }
  return pin_current_thread(CpuSet::of(cpu));
}

bool cpu_allowed(int cpu) noexcept {
  if (cpu < 0 || cpu >= CPU_SETSIZE) return false;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (pthread_getaffinity_np(pthread_self(), sizeof(set), &set) != 0) return false;
  return CPU_ISSET(cpu, &set);
}

void name_current_thread(std::string_view name) noexcept {
  char buf[16] = {};
  std::memcpy(buf, name.data(), std::min(name.size(), sizeof(buf) - 1));
  pthread_setname_np(pthread_self(), buf);  // best effort: a name is a debugging aid only
}

// ---- failures and what was applied ----

void record_thread_placement_failure(std::string_view thread, const CpuSet& cpus, std::string why) {
  Registry& r = registry();
  const ThreadPlacementReporter reporter = r.reporter.load();
  (reporter != nullptr ? reporter : report_to_stderr)(why + "; the thread runs unpinned");
  forget_at_exit.armed = true;
  std::lock_guard lock(r.mutex);
  r.failures.push_back({current_tid(), {std::string(thread), cpus, std::move(why)}});
}

std::vector<ThreadPlacementFailure> thread_placement_failures() {
  Registry& r = registry();
  std::lock_guard lock(r.mutex);
  std::vector<ThreadPlacementFailure> out;
  for (const Registry::Entry& e : r.failures)
    out.push_back(e.failure);
  return out;
}

void set_thread_placement_reporter(ThreadPlacementReporter reporter) noexcept {
  registry().reporter.store(reporter);
}

std::vector<ThreadPlacementInfo> current_thread_placements() {
  std::vector<ThreadPlacementInfo> out;
  DIR* dir = ::opendir("/proc/self/task");
  if (dir == nullptr) return out;
  while (const dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.') continue;
    ThreadPlacementInfo info;
    info.tid = std::atoi(entry->d_name);
    std::ifstream comm(std::string("/proc/self/task/") + entry->d_name + "/comm");
    cpu_set_t mask;
    CPU_ZERO(&mask);
    if (!std::getline(comm, info.name) || sched_getaffinity(info.tid, sizeof(mask), &mask) != 0)
      continue;  // ended meanwhile
    info.cpus = from_cpu_set_t(mask);
    out.push_back(std::move(info));
  }
  ::closedir(dir);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.tid < b.tid; });
  return out;
}

}  // namespace be
