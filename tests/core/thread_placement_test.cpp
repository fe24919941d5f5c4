// core/thread_placement: CPU lists, the default policy as a pure function of the CPUs, a
// config resolved over it, and threads placing themselves by role (named, pinned, and a CPU
// that cannot be had reported while the thread runs unpinned).
#include "core/thread_placement.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <string>
#include <thread>
#include <vector>

namespace be {
namespace {

constexpr std::array<ThreadRole, 1> kFused{ThreadRole::kPipeline};
constexpr std::array<ThreadRole, 3> kPipelined{ThreadRole::kPipeline, ThreadRole::kRisk,
                                               ThreadRole::kOrders};

std::vector<int> first_cpus(int n) {
  std::vector<int> cpus;
  for (int i = 0; i < n; ++i)
    cpus.push_back(i);
  return cpus;
}

// Every role's set in the plan, as text, in role order.
std::vector<std::string> describe(const PlacementPlan& plan) {
  std::vector<std::string> out;
  for (const CpuSet& set : plan.cpus)
    out.push_back(to_string(set));
  return out;
}

// A plan with every role on `others` and the listed roles on their own sets.
std::vector<std::string> expected(std::string others,
                                  std::initializer_list<std::pair<ThreadRole, std::string>> own) {
  std::vector<std::string> out(kThreadRoles, others);
  for (const auto& [role, cpus] : own)
    out[static_cast<std::size_t>(role)] = cpus;
  return out;
}

TEST(CpuSet, shouldReadAndWriteKernelCpuLists) {
  struct Case {
    std::string text, canonical;
  };
  for (const Case& c :
       {Case{"any", "any"}, Case{"0", "0"}, Case{"0-2,5", "0-2,5"}, Case{"5,0,1,2", "0-2,5"},
        Case{"3-3", "3"}, Case{"1023", "1023"}, Case{"0,2,3,4,7", "0,2-4,7"}}) {
    const auto set = parse_cpu_set(c.text);
    ASSERT_TRUE(set.has_value()) << c.text << ": " << set.error();
    EXPECT_EQ(to_string(*set), c.canonical) << c.text;
    EXPECT_EQ(set->any(), c.text == "any") << c.text;
  }
  EXPECT_EQ(parse_cpu_set("0-2,5")->cpus(), (std::vector<int>{0, 1, 2, 5}));
  EXPECT_EQ(CpuSet::of(kNoCpu), CpuSet{}) << "no CPU is any CPU";
}

TEST(CpuSet, shouldRefuseMalformedListsSayingWhatItExpects) {
  for (const std::string text :
       {"", "x", "2-1", "1,", ",1", "1024", "-1", " 1", "0-", "1.5", "ANY", "0--2"}) {
    const auto set = parse_cpu_set(text);
    ASSERT_FALSE(set.has_value()) << "'" << text << "' was accepted";
    EXPECT_NE(set.error().find("expected \"any\" or CPU ids in [0, 1023]"), std::string::npos)
        << set.error();
    EXPECT_NE(set.error().find("got \"" + text + "\""), std::string::npos) << set.error();
  }
}

TEST(ThreadRoles, shouldNameEveryRoleOnceWithinTheKernelsFifteenCharacters) {
  for (std::size_t i = 0; i < kThreadRoles; ++i) {
    const auto role = static_cast<ThreadRole>(i);
    EXPECT_EQ(thread_role_from(to_string(role)), role) << to_string(role);
    EXPECT_LE(thread_name(role).size(), 15u) << thread_name(role);
  }
  EXPECT_EQ(thread_name(ThreadRole::kPipeline), "be-seq");
  EXPECT_EQ(thread_name(ThreadRole::kReplica), "be-replica");
  EXPECT_EQ(thread_name(ThreadRole::kOthers), "") << "the main thread keeps its name";
  EXPECT_FALSE(thread_role_from("bogus"));
  EXPECT_EQ(placement_policy_from("auto"), PlacementPolicy::kAuto);
  EXPECT_EQ(placement_policy_from("none"), PlacementPolicy::kNone);
}

TEST(DefaultPlacement, shouldPinNothingOnOneCpu) {
  EXPECT_EQ(describe(default_placement(first_cpus(1), kFused)), expected("any", {}));
  EXPECT_EQ(describe(default_placement(first_cpus(1), kPipelined)), expected("any", {}));
  EXPECT_EQ(describe(default_placement({}, kFused)), expected("any", {}));
}

TEST(DefaultPlacement, shouldGiveTheHotThreadACoreOfItsOwnOnTwoCpus) {
  EXPECT_EQ(describe(default_placement(first_cpus(2), kFused)),
            expected("0", {{ThreadRole::kPipeline, "1"}}));
  // Pipelined on two: the sequencer has the core; risk and orders share the other.
  EXPECT_EQ(describe(default_placement(first_cpus(2), kPipelined)),
            expected("0", {{ThreadRole::kPipeline, "1"}}));
}

TEST(DefaultPlacement, shouldGiveEachHotThreadACoreFromTheTopOnFourCpus) {
  EXPECT_EQ(describe(default_placement(first_cpus(4), kFused)),
            expected("0-2", {{ThreadRole::kPipeline, "3"}}));
  EXPECT_EQ(describe(default_placement(first_cpus(4), kPipelined)),
            expected("0", {{ThreadRole::kPipeline, "3"},
                           {ThreadRole::kRisk, "2"},
                           {ThreadRole::kOrders, "1"}}));
  // The usable CPUs, whatever their ids (a taskset of 2, 3, 6, 7):
  const std::vector<int> taskset{7, 2, 6, 3};
  EXPECT_EQ(describe(default_placement(taskset, kFused)),
            expected("2-3,6", {{ThreadRole::kPipeline, "7"}}));
}

TEST(ResolvePlacement, shouldLetTheConfigOverrideRolesAndTheOthersSet) {
  PlacementConfig config;
  config.policy = PlacementPolicy::kAuto;
  config[ThreadRole::kJournal] = CpuSet::of(2);
  config[ThreadRole::kApi] = CpuSet{};  // "any"
  config[ThreadRole::kOthers] = *parse_cpu_set("0-1");
  EXPECT_EQ(describe(resolve_placement(config, first_cpus(4), kFused)),
            expected("0-1", {{ThreadRole::kPipeline, "3"},
                             {ThreadRole::kJournal, "2"},
                             {ThreadRole::kApi, "any"}}));
  config[ThreadRole::kPipeline] = CpuSet::of(0);
  EXPECT_EQ(resolve_placement(config, first_cpus(4), kFused)[ThreadRole::kPipeline], CpuSet::of(0));
  // One CPU: nothing dedicated, so the hot thread goes with the others too.
  config[ThreadRole::kPipeline].reset();
  EXPECT_EQ(resolve_placement(config, first_cpus(1), kFused)[ThreadRole::kPipeline],
            *parse_cpu_set("0-1"));
}

TEST(ResolvePlacement, shouldPinOnlyWhatTheConfigNamesUnderPolicyNone) {
  PlacementConfig config;  // policy none
  EXPECT_EQ(describe(resolve_placement(config, first_cpus(4), kFused)), expected("any", {}));
  config[ThreadRole::kPipeline] = CpuSet::of(3);
  config[ThreadRole::kOthers] = CpuSet::of(0);
  EXPECT_EQ(describe(resolve_placement(config, first_cpus(4), kPipelined)),
            expected("0", {{ThreadRole::kPipeline, "3"}}));
}

const ThreadPlacementInfo* find_thread(const std::vector<ThreadPlacementInfo>& threads,
                                       const std::string& name) {
  for (const ThreadPlacementInfo& t : threads)
    if (t.name == name) return &t;
  return nullptr;
}

// Runs `role`'s placement on a new thread, then `check` while it still lives; returns what
// place_current_thread answered.
template <class Check>
bool on_placed_thread(ThreadRole role, Check check) {
  std::promise<bool> placed;
  std::promise<void> checked;
  std::thread thread([&] {
    placed.set_value(place_current_thread(role));
    checked.get_future().wait();
  });
  const bool ok = placed.get_future().get();
  check();
  checked.set_value();
  thread.join();
  return ok;
}

TEST(PlaceCurrentThread, shouldNameAndPinAThreadAsTheInstalledPlanSays) {
  if (!cpu_allowed(0)) GTEST_SKIP() << "CPU 0 is not in this process's affinity set";
  PlacementPlan plan;
  plan[ThreadRole::kNotifier] = CpuSet::of(0);
  const ScopedThreadPlacement installed(plan);
  EXPECT_EQ(thread_cpus(ThreadRole::kNotifier), CpuSet::of(0));
  const bool placed = on_placed_thread(ThreadRole::kNotifier, [] {
    const auto threads = current_thread_placements();
    const ThreadPlacementInfo* notifier = find_thread(threads, "be-notify");
    ASSERT_NE(notifier, nullptr);
    EXPECT_EQ(notifier->cpus, CpuSet::of(0));
    EXPECT_NE(notifier->tid, threads.front().tid) << "the main thread comes first";
  });
  EXPECT_TRUE(placed);
  EXPECT_EQ(find_thread(current_thread_placements(), "be-notify"), nullptr) << "it has ended";
}

std::atomic<int> reports{0};
std::string last_report;  // written before reports is bumped

TEST(PlaceCurrentThread, shouldReportACpuItCannotHaveAndRunUnpinnedWhileItLives) {
  PlacementPlan plan;
  plan[ThreadRole::kApi] = CpuSet::of(1000);  // no such CPU here
  const ScopedThreadPlacement installed(plan);
  set_thread_placement_reporter([](std::string_view message) {
    last_report = message;
    reports.fetch_add(1);
  });
  const CpuSet before = current_thread_placements().front().cpus;
  const bool placed = on_placed_thread(ThreadRole::kApi, [&] {
    const auto failures = thread_placement_failures();
    ASSERT_EQ(failures.size(), 1u);
    EXPECT_EQ(failures[0].thread, "be-api");
    EXPECT_EQ(failures[0].cpus, CpuSet::of(1000));
    EXPECT_NE(failures[0].why.find("thread 'be-api': cannot pin to CPU 1000"), std::string::npos)
        << failures[0].why;
    const auto threads = current_thread_placements();
    const ThreadPlacementInfo* api = find_thread(threads, "be-api");
    ASSERT_NE(api, nullptr) << "named even though it could not be pinned";
    EXPECT_EQ(api->cpus, before) << "it runs where the main thread may";
  });
  set_thread_placement_reporter(nullptr);
  EXPECT_FALSE(placed);
  EXPECT_EQ(reports.load(), 1);
  EXPECT_NE(last_report.find("cannot pin to CPU 1000"), std::string::npos) << last_report;
  EXPECT_NE(last_report.find("runs unpinned"), std::string::npos) << last_report;
  EXPECT_TRUE(thread_placement_failures().empty()) << "a failure leaves with its thread";
}

TEST(PinCurrentThread, shouldPinToASetAndNameTheCpusItCannotHave) {
  const std::vector<int> usable = usable_cpus();
  ASSERT_FALSE(usable.empty());
  std::thread([&] {
    EXPECT_TRUE(pin_current_thread(CpuSet::of(usable)).has_value());
    EXPECT_TRUE(pin_current_thread(CpuSet{}).has_value()) << "any: nothing to do";
    const auto bad = pin_current_thread(*parse_cpu_set("1000-1001"));
    ASSERT_FALSE(bad.has_value());
    EXPECT_NE(bad.error().find("cannot pin to CPUs 1000-1001"), std::string::npos) << bad.error();
  }).join();
}

}  // namespace
}  // namespace be
