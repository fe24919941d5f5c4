#!/usr/bin/env bash
# Fails when business code (strategies/, risk/, oms/) reads a clock or an unseeded random
# source: replay could not reproduce it (docs/ARCHITECTURE.md §4). Time comes from the event being
# processed; randomness from a seeded generator kept in state.
set -euo pipefail
root=${1:-.}
pattern='system_clock|steady_clock|high_resolution_clock|std::random_device|[^_a-zA-Z]rand\(\)|[^_a-zA-Z]srand\(|time\(nullptr\)|time\(NULL\)|clock_gettime|gettimeofday|getenv\('
hits=$(grep -rnE "$pattern" "$root/strategies" "$root/risk" "$root/oms" --include='*.hpp' --include='*.cpp' --include='*.h' || true)
if [[ -n $hits ]]; then
  echo "determinism lint: business code reads a clock, the environment or unseeded randomness:"
  echo "$hits"
  exit 1
fi
echo "determinism lint: clean"
