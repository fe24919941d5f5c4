#!/usr/bin/env bash
# The first of the README's two commands: install what is needed, build the release preset,
# and run botengine. With no arguments it shows what botengine can do; arguments are passed
# through (scripts/run.sh journal inspect ./data/journal).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release --target botengine

if (($# == 0)); then
  set -- --help
fi
exec ./build/release/runner/botengine "$@"
