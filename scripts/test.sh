#!/usr/bin/env bash
# The second of the README's two commands: install what is needed, build, and run every test.
#  1. release: every target (tests, benchmarks, the CLI) and the whole ctest suite;
#  2. asan (ASan+UBSan) and tsan: the concurrent, journal, network and engine tests again;
#  3. fuzz (clang + libFuzzer): each parser's fuzz target for a bounded time.
# Each stage prints its duration. The whole run has a budget (75 minutes, BE_TEST_BUDGET_MINUTES
# overrides it; 0 turns it off) so CI's 90-minute limit stays safe: past it the run fails, saying
# so, and no further stage starts.
# Set BE_TEST_STAGES to a subset ("release asan") to run fewer stages while developing.
set -euo pipefail
cd "$(dirname "$0")/.."
stages=${BE_TEST_STAGES:-"release asan tsan fuzz"}
jobs=${BE_JOBS:-$(nproc)}
budget_minutes=${BE_TEST_BUDGET_MINUTES:-75}
SECONDS=0

bash scripts/setup.sh

# Test oracles from npm (TA-Lib as WebAssembly), pinned by package-lock.json.
if [[ -f tests/oracle/package-lock.json ]]; then
  npm ci --prefix tests/oracle --no-audit --no-fund --loglevel=error
fi
# docs/openapi.json's lint (Redocly CLI) and its check against the engine's answers (Ajv).
if [[ -f tests/api/openapi/package-lock.json ]]; then
  npm ci --prefix tests/api/openapi --no-audit --no-fund --loglevel=error
fi
# The dashboard's browser test drives Debian's Chromium with playwright-core (no download).
if [[ -f tests/browser/package-lock.json ]]; then
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
fi
# The stream-resume test's WebSocket client (ws).
if [[ -f tests/api/stream_resume/package-lock.json ]]; then
  npm ci --prefix tests/api/stream_resume --no-audit --no-fund --loglevel=error
fi
# ccxt's binance client against `botengine sim` (tests/ccxt, ctest sim_ccxt*).
if [[ -f tests/ccxt/package-lock.json ]]; then
  npm ci --prefix tests/ccxt --no-audit --no-fund --loglevel=error
fi

# The crash tests (label "crash", release stage) kill children at moments drawn from one seed
# per run, printed here and in every failure: BE_CRASH_SEED=<seed> reruns a run's schedule.
export BE_CRASH_SEED=${BE_CRASH_SEED:-$(date +%s)}
echo "=== crash tests: seed $BE_CRASH_SEED"

mmss() { printf '%dm%02ds' $(($1 / 60)) $(($1 % 60)); }
status=0
durations=("setup $(mmss "$SECONDS")")
# CI shows only the tail of a run, so the names of the failed tests are repeated at the very end.
failures=()
note_failures() {  # stage, build directory: after a ctest that failed
  local log="$2/Testing/Temporary/LastTestsFailed.log" names
  names=$( [[ -f $log ]] && cut -d: -f2- "$log" | tr '\n' ' ' || true)
  failures+=("$1: ${names:-(ctest failed; no test named)}")
  status=1
}

# The sanitizer stages build only the test executables the sanitizers are for, chosen by name
# (so a new binary of an area joins by being named after it), and run only the tests carrying
# the stage's labels. Scale, soak and crash tests (minutes of SIGKILLs or load) stay out of both
# by name and by label. The two lists per stage are the one place to change what a stage covers.
#   ASan+UBSan: core (rings, ingress, agents, model), journal, recording, the network layer, the
#               simulators, replay, the engine, the control API, the notifier, integration.
#   TSan:       the binaries whose tests run threads against each other: the rings and
#               agents, the journal writer, the network layer, the engine, the API server,
#               the notifier's delivery, integration.
asan_binaries='script|core|journal|support|config|capture|integration|net|sim|replay|engine|api|notify'
asan_labels='script|ring|journal|concurrency|core|record|integration|net|sim|replay|engine|api|notify'
tsan_binaries='core_concurrency|journal|net|engine|api_server|integration|notify_delivery'
tsan_labels='ring|journal|concurrency|integration|net|engine|api'
long_running='crash|scale|soak'

# TSan also leaves out, by name, binaries of those areas whose tests are single-threaded (ASan
# runs them all): table capacity's fold restores, the journal's and the stream's formats, the
# latency histogram, damaged journals (open and the CLI), the disk-full test (root only).
tsan_skip='capacity|format|histogram|damaged|disk'

sanitized_targets() {  # preset, binary-name pattern, extra names to leave out (optional)
  cmake --build --preset "$1" --target help 2>/dev/null |
    sed -nE "s/^(($2)[a-z_]*_tests):.*/\1/p" |
    grep -vE "(^|_)($long_running${3:+|$3})(_|$)" |
    sort -u | tr '\n' ' '
}

build_and_test() {  # preset, targets ("all" or a list), label pattern ("" for every test)
  local preset=$1 targets=$2 labels=$3
  cmake --preset "$preset" >/dev/null
  if [[ $targets == all ]]; then
    cmake --build --preset "$preset" -j "$jobs"
  else
    # shellcheck disable=SC2086
    cmake --build --preset "$preset" -j "$jobs" --target $targets
  fi
  local label_args=()
  # Anchored: a label pattern "net" must not also pick the label "network".
  [[ -n $labels ]] && label_args=(-L "^($labels)\$" -LE "^($long_running)\$")
  ctest --preset "$preset" -j "$jobs" "${label_args[@]}" || note_failures "$preset" "build/$preset"
}

sanitizer_stage() {  # preset, binary-name pattern, label pattern, names to leave out
  cmake --preset "$1" >/dev/null
  build_and_test "$1" "$(sanitized_targets "$1" "$2" "${4:-}")" "$3"
}

fuzz_stage() {
  [[ -f fuzz/CMakeLists.txt ]] || return 0
  # Each target runs BE_FUZZ_SECONDS, 10 s here (the environment variable sets it for a
  # longer local run; the cache default, 20, applies to a plain `cmake --preset fuzz`).
  cmake --preset fuzz -DBE_FUZZ_SECONDS="${BE_FUZZ_SECONDS:-10}" >/dev/null
  # Only the fuzz targets (and what they link): the rest of the tree is not built twice.
  local fuzz_targets
  fuzz_targets=$(cmake --build --preset fuzz --target help 2>/dev/null |
    sed -n 's/^\(fuzz_[a-z_]*\):.*/\1/p' | sort -u | tr '\n' ' ')
  # shellcheck disable=SC2086
  cmake --build --preset fuzz -j "$jobs" --target $fuzz_targets
  # One libFuzzer process per core: each target still runs its full BE_FUZZ_SECONDS.
  ctest --test-dir build/fuzz -L fuzz -j "$jobs" --output-on-failure --no-tests=error ||
    note_failures fuzz build/fuzz
}

for stage in $stages; do
  case $stage in
    release | asan | tsan | fuzz) ;;
    *) echo "unknown stage '$stage'" >&2; exit 2 ;;
  esac
done

for stage in $stages; do
  if ((budget_minutes > 0 && SECONDS > budget_minutes * 60)); then
    echo "=== stage $stage: not started, the run is already past its budget"
    continue
  fi
  echo "=== stage: $stage"
  stage_start=$SECONDS
  case $stage in
    release) build_and_test release all "" ;;
    asan) sanitizer_stage asan "$asan_binaries" "$asan_labels" ;;
    tsan) sanitizer_stage tsan "$tsan_binaries" "$tsan_labels" "$tsan_skip" ;;
    fuzz) fuzz_stage ;;
  esac
  took=$((SECONDS - stage_start))
  durations+=("$stage $(mmss "$took")")
  echo "=== stage $stage took $(mmss "$took") (run so far $(mmss "$SECONDS"))"
done

echo "=== durations: ${durations[*]/%/,} total $(mmss "$SECONDS")"
for failure in "${failures[@]}"; do
  echo "=== FAILED in $failure"
done
if ((budget_minutes > 0 && SECONDS > budget_minutes * 60)); then
  echo "FAIL: the test run took $(mmss "$SECONDS"), over its budget of ${budget_minutes}m" \
       "(CI stops at 90m). Make the slow stage faster, or move long tests to a label the" \
       "stages leave out; BE_TEST_BUDGET_MINUTES overrides the budget for local runs." >&2
  exit 1
fi
exit $status
