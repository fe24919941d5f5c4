#!/usr/bin/env bash
# The determinism lint (docs/ARCHITECTURE.md §4). Usage: determinism_lint.sh [ROOT] | --self-test
#
# 1. Business code reads no clock, no environment and no unseeded random source, or replay could
#    not reproduce it: time comes from the event being processed, randomness from a seeded
#    generator kept in state. Business code is strategies/, risk/, oms/, the fold
#    (engine/fold.{hpp,cpp}) and feed/ except its file I/O (FEED_IO below) and feed/record/.
# 2. The engine's outer layer (every other engine/ file: timers for snapshots, publication,
#    durable release, latency stamps) reads time only through core/clock.hpp: no engine file
#    reads a clock directly, and only the files of CLOCK_ALLOWLIST use core/clock.hpp's clock
#    functions, each for the reason written beside it. An allowlisted file that is gone or no
#    longer reads the clock fails too, so the list stays a true map of where the engine reads time.
# --self-test plants each kind of violation in a temporary tree and requires the lint to catch it.
set -euo pipefail

# Reading a clock directly: std::chrono's clocks, the C and POSIX calls, the CPU's counter.
direct_clock='system_clock|steady_clock|high_resolution_clock|utc_clock|tai_clock|gps_clock|file_clock|clock_gettime|gettimeofday|timespec_get|__rdtsc|std::time\(|[^_[:alnum:]]time\((nullptr|NULL|0)\)'
# Business code additionally may not read the environment or an unseeded random source.
business_pattern="$direct_clock"'|std::random_device|[^_[:alnum:]]rand\(\)|[^_[:alnum:]]srand\(|getenv\('
# core/clock.hpp's clock functions (and the engine's wrapper of them): the one way the engine
# reads time, allowed only in the files of CLOCK_ALLOWLIST.
clock_seam='WallClock|monotonic_now|wall_now'

# Engine files that read time through core/clock.hpp, and why. "path|reason", one a line.
# When a file is split or renamed, move its entry with the code (the lint names stale entries).
CLOCK_ALLOWLIST=(
  "engine/engine.cpp|start-up timing, the bounded waits of start/stop and wait_until(), the first publication, receive_time of instrument definitions"
  "engine/engine_impl.cpp|receive_time of venue answers and connectivity changes"
  "engine/pipeline.cpp|the stages' latency stamps, and receive_time of looped-back rejects"
  "engine/topology.cpp|the tick cadence, reconcile/shutdown command times, the bounded durable wait and the publication at stop"
  "engine/durable_hold.cpp|the durable-release cadence"
  "engine/read_model.cpp|the published time"
  "engine/replica.cpp|the replica's snapshot and publication cadence (wall-clock intervals off the fold), and its lag and freshness figures"
  "engine/control.cpp|receive_time of a control command when it enters the ingress"
  "engine/live.cpp|receive_time of live gateways' answers and order-channel changes, and the command time of the dry-run and venue-filter inputs it journals"
  "engine/disk_guard.cpp|the free-space look cadence, and receive_time of the disk-reserve commands it journals"
)

# feed/ files that are I/O, not business, and why. feed/record/ (capture writing) is out too.
FEED_IO=(
  "feed/capture.hpp|capture files: reading recorded wire bytes from disk"
  "feed/capture.cpp|capture files: reading recorded wire bytes from disk"
  "feed/candle_file.hpp|candle files: loading historical candles from disk"
  "feed/candle_file.cpp|candle files: loading historical candles from disk"
)

sources() {  # the C/C++ files under the given paths (missing paths skipped)
  local p existing=()
  for p in "$@"; do [[ -e $p ]] && existing+=("$p"); done
  ((${#existing[@]})) || return 0
  find "${existing[@]}" -type f \( -name '*.hpp' -o -name '*.cpp' -o -name '*.h' -o -name '*.ipp' \) | sort
}

entry_paths() { local e; for e in "$@"; do echo "${e%%|*}"; done; }

# grep -Hn PATTERN FILES..., without the lines that are only a comment: a comment naming a
# clock neither fails the lint nor keeps an allowlist entry alive.
code_grep() {
  local pattern=$1
  shift
  grep -HnE "$pattern" "$@" | grep -vE '^[^:]+:[0-9]+:[[:space:]]*(//|/\*|\*([[:space:]]|$))' || true
}

lint() {
  local root=$1 failed=0 hits f
  cd "$root"
  local -a business engine allowed feed_io
  mapfile -t feed_io < <(entry_paths "${FEED_IO[@]}")
  mapfile -t allowed < <(entry_paths "${CLOCK_ALLOWLIST[@]}")
  mapfile -t business < <(
    sources strategies risk oms engine/fold.hpp engine/fold.cpp
    sources feed | grep -v '^feed/record/' | grep -vxF -f <(printf '%s\n' "${feed_io[@]}") || true
  )
  mapfile -t engine < <(sources engine | grep -vxE 'engine/fold\.(hpp|cpp)' || true)

  if ((${#business[@]})); then
    hits=$(code_grep "$business_pattern" "${business[@]}"
           code_grep "$clock_seam" engine/fold.hpp engine/fold.cpp 2>/dev/null)
    if [[ -n $hits ]]; then
      echo "determinism lint: business code reads a clock, the environment or unseeded randomness:"
      echo "$hits"
      failed=1
    fi
  fi
  if ((${#engine[@]})); then
    hits=$(code_grep "$direct_clock" "${engine[@]}")
    if [[ -n $hits ]]; then
      echo "determinism lint: engine code reads a clock directly (use core/clock.hpp, and list the file in CLOCK_ALLOWLIST):"
      echo "$hits"
      failed=1
    fi
    local -a unlisted
    mapfile -t unlisted < <(printf '%s\n' "${engine[@]}" | grep -vxF -f <(printf '%s\n' "${allowed[@]}") || true)
    hits=""
    ((${#unlisted[@]})) && hits=$(code_grep "$clock_seam" "${unlisted[@]}")
    if [[ -n $hits ]]; then
      echo "determinism lint: engine file reads the clock but is not in tests/determinism_lint.sh's CLOCK_ALLOWLIST (add it with the reason, or take the time from the event):"
      echo "$hits"
      failed=1
    fi
  fi
  for f in "${allowed[@]}"; do
    if [[ $f == engine/fold.* ]]; then
      echo "determinism lint: CLOCK_ALLOWLIST names $f: the fold is business code and never reads a clock"
      failed=1
    elif [[ ! -f $f ]] || [[ -z $(code_grep "$clock_seam|$direct_clock" "$f") ]]; then
      echo "determinism lint: stale CLOCK_ALLOWLIST entry: $f no longer reads the clock (or is gone): move or drop the entry"
      failed=1
    fi
  done
  for f in "${feed_io[@]}"; do
    if [[ ! -f $f ]]; then
      echo "determinism lint: stale FEED_IO entry: $f is gone: move or drop the entry"
      failed=1
    fi
  done
  if ((failed)); then return 1; fi
  echo "determinism lint: clean (${#business[@]} business files, ${#engine[@]} engine files, ${#allowed[@]} allowed to read the clock)"
}

# A tree that passes: clean business code, feed I/O and feed/record reading the clock, every
# allowlisted engine file reading it through core/clock.hpp. Each case then plants one violation
# in a copy and expects the lint to fail naming it.
self_test() {
  local scratch self failures=0 f out code
  self=$(readlink -f "${BASH_SOURCE[0]}")
  scratch=$(mktemp -d)
  trap 'rm -rf "$scratch"' RETURN
  local clean=$scratch/clean
  put() { mkdir -p "$(dirname "$1")" && printf '%b' "$2" >"$1"; }
  put "$clean/strategies/ema.cpp" 'Nanos t = event.event_time;\n'
  put "$clean/risk/limits.cpp" 'const Nanos engine_time = st.engine_time();\n'
  put "$clean/oms/venues/binance/gateway.cpp" 'if (monotonic_now() >= keepalive) {}\n'
  put "$clean/engine/fold.cpp" 'b.engine_time = strategy_.engine_time();\n'
  put "$clean/engine/fold.hpp" 'Nanos engine_time = 0;\n'
  put "$clean/feed/order_book.cpp" 'apply(update);\n'
  put "$clean/feed/record/capture_writer.cpp" 'auto t = std::chrono::steady_clock::now();\n'
  put "$clean/engine/format.cpp" 'format(time_point);\n// not std::chrono::steady_clock::now(): the event time\n'
  put "$clean/strategies/comment.hpp" '/* never system_clock: replay */\n * nor rand()\n'
  for f in $(entry_paths "${FEED_IO[@]}"); do
    put "$clean/$f" 'auto t = std::chrono::system_clock::now();\n'
  done
  for f in $(entry_paths "${CLOCK_ALLOWLIST[@]}"); do
    put "$clean/$f" '#include "core/clock.hpp"\nconst Nanos now = monotonic_now();\n'
  done
  out=$(bash "$self" "$clean" 2>&1) && code=0 || code=$?
  if ((code != 0)); then
    echo "self-test: the clean tree failed (exit $code):"$'\n'"$out"
    failures=1
  fi

  # file|text planted (line 2, after a blank line)|what the output must contain
  local cases=(
    'strategies/bad.cpp|auto t = std::chrono::system_clock::now();|strategies/bad.cpp:2:'
    'risk/bad.cpp|int r = rand();|risk/bad.cpp:2:'
    'oms/bad.cpp|const char* k = std::getenv("KEY");|oms/bad.cpp:2:'
    'oms/venues/binance/bad.cpp|std::random_device seed;|oms/venues/binance/bad.cpp:2:'
    'feed/order_book.cpp|auto t = std::chrono::steady_clock::now();|feed/order_book.cpp:2:'
    'feed/detail/parse.hpp|clock_gettime(CLOCK_REALTIME, &ts);|feed/detail/parse.hpp:2:'
    'feed/new_parser.cpp|auto t = time(nullptr);|feed/new_parser.cpp:2:'
    'engine/fold.cpp|const Nanos now = monotonic_now();|engine/fold.cpp:2:'
    'engine/fold.hpp|gettimeofday(&tv, nullptr);|engine/fold.hpp:2:'
    'engine/publisher.cpp|const Nanos now = wall_now();|engine/publisher.cpp:2:'
    'engine/detail/timer.hpp|be::WallClock clock;|engine/detail/timer.hpp:2:'
    'engine/format.cpp|auto d = std::chrono::steady_clock::now();|engine/format.cpp:2:'
    'engine/stamp.cpp|*out = std::chrono::steady_clock::now();|engine/stamp.cpp:2:'
    "$(entry_paths "${CLOCK_ALLOWLIST[0]}")|auto t = std::chrono::high_resolution_clock::now();|$(entry_paths "${CLOCK_ALLOWLIST[0]}"):2:"
  )
  local entry file text expect tree index=0
  for entry in "${cases[@]}"; do
    IFS='|' read -r file text expect <<<"$entry"
    tree=$scratch/case$((index++))
    cp -r "$clean" "$tree"
    mkdir -p "$(dirname "$tree/$file")"
    printf '\n%s\n' "$text" >"$tree/$file"
    out=$(bash "$self" "$tree" 2>&1) && code=0 || code=$?
    if ((code != 1)) || [[ $out != *"$expect"* ]]; then
      echo "self-test: planting '$text' in $file: expected exit 1 naming $expect, got exit $code:"$'\n'"$out"
      failures=1
    fi
  done
  # An allowlisted file that stops reading the clock is a stale entry.
  tree=$scratch/stale
  cp -r "$clean" "$tree"
  printf 'nothing\n' >"$tree/$(entry_paths "${CLOCK_ALLOWLIST[0]}")"
  out=$(bash "$self" "$tree" 2>&1) && code=0 || code=$?
  if ((code != 1)) || [[ $out != *"stale CLOCK_ALLOWLIST entry"* ]]; then
    echo "self-test: a stale allowlist entry was not reported (exit $code):"$'\n'"$out"
    failures=1
  fi
  if ((failures)); then return 1; fi
  echo "determinism lint self-test: clean tree passes, $((${#cases[@]} + 1)) planted violations caught"
}

if [[ ${1:-} == --self-test ]]; then
  self_test
else
  lint "${1:-.}"
fi
