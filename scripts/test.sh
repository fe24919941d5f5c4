#!/usr/bin/env bash
# The second of the README's two commands: install what is needed, build, and run every test.
#  1. release: every target (tests, benchmarks, the CLI) and the whole ctest suite;
#  2. asan (ASan+UBSan) and tsan: the ring, concurrency and journal tests again;
#  3. fuzz (clang + libFuzzer): each parser's fuzz target for a bounded time.
# Set BE_TEST_STAGES to a subset ("release asan") to run fewer stages while developing.
set -euo pipefail
cd "$(dirname "$0")/.."
stages=${BE_TEST_STAGES:-"release asan tsan fuzz"}
jobs=${BE_JOBS:-$(nproc)}

bash scripts/setup.sh

# Test oracles from npm (TA-Lib as WebAssembly), pinned by package-lock.json.
if [[ -f tests/oracle/package-lock.json ]]; then
  npm ci --prefix tests/oracle --no-audit --no-fund --loglevel=error
fi
# The dashboard's browser test drives Debian's Chromium with playwright-core (no download).
if [[ -f tests/browser/package-lock.json ]]; then
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --prefix tests/browser --no-audit --no-fund --loglevel=error
fi

status=0
run_stage() {
  local preset=$1 targets=$2 labels=$3
  echo "=== stage: $preset"
  cmake --preset "$preset" >/dev/null
  if [[ $targets == all ]]; then
    cmake --build --preset "$preset" -j "$jobs"
  else
    # shellcheck disable=SC2086
    cmake --build --preset "$preset" -j "$jobs" --target $targets
  fi
  local label_args=()
  [[ -n $labels ]] && label_args=(-L "$labels")
  ctest --preset "$preset" -j "$jobs" "${label_args[@]}" || status=1
}

# The sanitizer stages build only the test executables the sanitizers are for: core (rings,
# ingress, runner, model), the journal, recording, the engine, the control API, the notifier
# and the wired-together integration test, and run their labelled tests. Targets are found
# by name so new test binaries join in.
sanitized_targets() {
  cmake --build --preset "$1" --target help 2>/dev/null |
    sed -n 's/^\(\(core\|journal\|support\|config\|capture\|integration\|engine\|api\|notify\)[a-z_]*_tests\):.*/\1/p' |
    sort -u | tr '\n' ' '
}

for stage in $stages; do
  case $stage in
    release) run_stage release all "" ;;
    asan) cmake --preset asan >/dev/null; run_stage asan "$(sanitized_targets asan)" "ring|journal|concurrency|core|record|integration|engine|api|notify" ;;
    tsan) cmake --preset tsan >/dev/null; run_stage tsan "$(sanitized_targets tsan)" "ring|journal|concurrency|integration|engine|api" ;;
    fuzz)
      if [[ -f fuzz/CMakeLists.txt ]]; then
        echo "=== stage: fuzz"
        cmake --preset fuzz >/dev/null
        # Only the fuzz targets (and what they link): the rest of the tree is not built twice.
        fuzz_targets=$(cmake --build --preset fuzz --target help 2>/dev/null |
          sed -n 's/^\(fuzz_[a-z_]*\):.*/\1/p' | sort -u | tr '\n' ' ')
        # shellcheck disable=SC2086
        cmake --build --preset fuzz -j "$jobs" --target $fuzz_targets
        ctest --test-dir build/fuzz -L fuzz --output-on-failure --no-tests=error || status=1
      fi
      ;;
    *) echo "unknown stage '$stage'" >&2; exit 2 ;;
  esac
done
exit $status
