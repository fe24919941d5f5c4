#!/usr/bin/env bash
# The first of the README's two commands: install what is needed, build the release preset,
# and start the engine. With no arguments it runs `botengine run`: the embedded demo (the
# exchange simulator on loopback, four paper-trading bots, the journal in ./data, the control
# API and dashboard on http://127.0.0.1:8080/, the admin token in ./data/admin.token).
# Arguments are passed through (scripts/run.sh journal inspect ./data/journal).
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release --target botengine

if (($# == 0)); then
  set -- run
fi
exec ./build/release/runner/botengine "$@"
