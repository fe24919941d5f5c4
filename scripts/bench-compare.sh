#!/usr/bin/env bash
# Paired A/B comparison on a noisy machine: runs command A and command B alternately
# (A B A B ...) N times, then `botengine bench compare` reports, per metric, the median of the
# per-pair ratios B/A with min, quartiles and max, and a verdict (slower/faster/same).
# Pairs run back to back, so whatever else the machine is doing hits both sides of a pair.
#
# usage: scripts/bench-compare.sh [-n PAIRS] [-o DIR] [-t THRESHOLD] [-b BOTENGINE] [-f] 'CMD_A' 'CMD_B'
#   Each command runs under bash with {dir} replaced by a fresh directory and must leave its
#   result in {dir}/result.json: `botengine bench run --out {dir}` does, and so does a Google
#   Benchmark binary given `--benchmark_out={dir}/result.json --benchmark_out_format=json`.
#   -n PAIRS      number of A/B pairs (default 5)
#   -o DIR        where runs and compare.txt go (default ./bench-compare-<UTC time>)
#   -t THRESHOLD  relative change that counts (default 0.05)
#   -b BOTENGINE  the botengine binary that compares (default build/release/runner/botengine)
#   -f            exit 1 when any metric is slower beyond the threshold
#
# Examples:
#   two builds, same config:
#     scripts/bench-compare.sh -n 7 \
#       'build/a/runner/botengine bench run --rate 100000 --duration 5 --out {dir}' \
#       'build/b/runner/botengine bench run --rate 100000 --duration 5 --out {dir}'
#   two configs, same build:
#     scripts/bench-compare.sh 'B=build/release/runner/botengine; $B bench run --journal off --out {dir}' \
#                              'B=build/release/runner/botengine; $B bench run --journal async --out {dir}'
#   a microbenchmark across builds:
#     scripts/bench-compare.sh 'build/a/bench/feed/parse_bench --benchmark_repetitions=5 --benchmark_out={dir}/result.json --benchmark_out_format=json' \
#                              'build/b/bench/feed/parse_bench --benchmark_repetitions=5 --benchmark_out={dir}/result.json --benchmark_out_format=json'
set -euo pipefail

pairs=5
out="./bench-compare-$(date -u +%Y%m%dT%H%M%SZ)"
threshold=0.05
botengine="build/release/runner/botengine"
fail=()
usage() { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while getopts "n:o:t:b:fh" opt; do
  case "$opt" in
    n) pairs="$OPTARG" ;;
    o) out="$OPTARG" ;;
    t) threshold="$OPTARG" ;;
    b) botengine="$OPTARG" ;;
    f) fail=(--fail-on-slower) ;;
    *) usage ;;
  esac
done
shift $((OPTIND - 1))
[[ $# -eq 2 ]] || usage
[[ "$pairs" =~ ^[1-9][0-9]*$ ]] || { echo "bench-compare: -n takes a positive count" >&2; exit 2; }
[[ -x "$botengine" ]] || { echo "bench-compare: $botengine is not an executable (use -b)" >&2; exit 2; }
cmd_a="$1"
cmd_b="$2"

mkdir -p "$out"
files=()
run_side() {  # side index command
  local dir="$out/$1$2"
  mkdir -p "$dir"
  local cmd="${3//\{dir\}/$dir}"
  echo "[$(date -u +%H:%M:%S)] $1$2: $cmd" | tee -a "$out/runs.log"
  if ! bash -c "$cmd" >"$dir/stdout.log" 2>"$dir/stderr.log"; then
    echo "bench-compare: run $1$2 failed; see $dir/stderr.log" >&2
    exit 1
  fi
  [[ -s "$dir/result.json" ]] || { echo "bench-compare: run $1$2 left no $dir/result.json" >&2; exit 1; }
  files+=("$dir/result.json")
}
for i in $(seq 1 "$pairs"); do
  run_side a "$i" "$cmd_a"
  run_side b "$i" "$cmd_b"
done
{
  echo "A: $cmd_a"
  echo "B: $cmd_b"
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)  host: $(uname -n)  pairs: $pairs"
} >"$out/compare.txt"
set +e
"$botengine" bench compare --threshold "$threshold" "${fail[@]}" "${files[@]}" | tee -a "$out/compare.txt"
rc=${PIPESTATUS[0]}
set -e
echo "wrote $out/compare.txt"
exit "$rc"
