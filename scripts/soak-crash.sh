#!/usr/bin/env bash
# Crash soak: every crash test (ctest label "crash", all on tests/support/crash_harness) with
# many more SIGKILLs than a CI run's ~60 (engine recovery ~25, acknowledgement ~20, journal
# ~15, live trading against the simulator's exchange 3: tests/live, ~3 s per kill). Each test forks a child that works on one journal, kills it at seeded moments, and
# checks after every kill: nothing committed or acknowledged is lost, nothing refused is
# kept, recovery equals a from-scratch replay (tests/README.md lists what each one checks).
#
#   scripts/soak-crash.sh [KILLS] [SEED]      defaults: 1000 kills per test, seed from the clock
#
# KILLS is per test (BE_CRASH_KILLS), SEED the kill schedule (BE_CRASH_SEED): the same pair
# reruns the same schedule. Builds build/release's crash tests first. About 1-3 s per engine
# kill on 2 cores (under 0.2 s per journal kill); the tests run one after another.
set -euo pipefail
cd "$(dirname "$0")/.."
kills=${1:-1000}
seed=${2:-$(date +%s)}
cmake --preset release >/dev/null
cmake --build --preset release -j2 --target engine_crash_tests engine_ack_crash_tests \
  journal_process_tests live_e2e_tests script_crash_tests
echo "soak: $kills kills per crash test, seed $seed (rerun a failure with: $0 $kills $seed)"
# The preset's 600 s per test is for CI's counts; a soak gets 30 s per kill.
BE_CRASH_KILLS=$kills BE_CRASH_SEED=$seed \
  ctest --preset release -L '^crash$' --timeout $((kills * 30 + 600)) --output-on-failure
