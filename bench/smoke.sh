#!/usr/bin/env bash
# Runs one benchmark binary briefly and fails if any benchmark reported an error. Benchmarks
# verify their results before timing (STYLE.md 9) and report a mismatch with SkipWithError,
# which Google Benchmark does not turn into an exit code; this does. Timing figures from a
# smoke run mean nothing: docs/BENCHMARKS.md says how to measure.
set -euo pipefail
binary=$1
shift
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$binary" --benchmark_min_time=0.001 --benchmark_repetitions=1 --benchmark_format=json \
  --benchmark_out="$out" --benchmark_out_format=json "$@" >/dev/null
if grep -q '"error_occurred": true' "$out"; then
  echo "benchmark error in $binary:"
  grep -B2 -A2 '"error_message"' "$out"
  exit 1
fi
count=$(grep -c '"run_name"' "$out" || true)
if [[ $count -eq 0 ]]; then
  echo "$binary ran no benchmark"
  exit 1
fi
echo "$binary: $count benchmarks ran and verified"
