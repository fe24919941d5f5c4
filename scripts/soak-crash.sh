#!/usr/bin/env bash
# Crash soak: the engine crash test with many more SIGKILLs than the suite's 50. A child
# trades on one journal and is killed at seeded random moments; after each kill the recovered
# state must equal a from-scratch replay, nothing the child saw committed may be lost, and no
# client order id may be sent twice (tests/engine/crash_test.cpp). Topologies alternate.
#
#   scripts/soak-crash.sh [KILLS] [SEED]      defaults: 1000 kills, seed from the clock
#
# Builds build/release's engine_crash_tests first. About 1 s per kill on 2 cores.
set -euo pipefail
cd "$(dirname "$0")/.."
kills=${1:-1000}
seed=${2:-$(date +%s)}
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build build/release --target engine_crash_tests -j2
echo "soak: $kills kills, seed $seed (rerun a failure with: $0 $kills $seed)"
BE_CRASH_KILLS=$kills BE_CRASH_SEED=$seed build/release/tests/engine/engine_crash_tests
