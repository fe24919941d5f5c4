#!/usr/bin/env bash
# Installs every Debian package botengine needs to build, test and benchmark.
# Idempotent: packages already present are skipped, and `apt-get update` runs at most once
# per invocation (and not at all when nothing is missing).
set -euo pipefail

packages=(
  # toolchain
  build-essential cmake ninja-build clang clang-format libclang-rt-14-dev pkg-config git
  # the fixed dependency set (see docs/ARCHITECTURE.md)
  libconcurrentqueue-dev libreaderwriterqueue-dev liburing-dev libsimdjson-dev liblmdb-dev
  lmdb-utils libboost-dev libboost-system-dev libssl-dev
  libzstd-dev
  # zlib: inflating the venues' zipped historical data (docs/RESEARCH.md says why not libzip)
  zlib1g-dev
  # user strategies: the embedded Lua 5.4 interpreter (docs/STRATEGIES.md says why Lua 5.4)
  liblua5.4-dev
  libbenchmark-dev libgtest-dev libgmock-dev
  # bench-only peers (never linked into the engine)
  nlohmann-json3-dev rapidjson-dev libsqlite3-dev
  # test oracles run under node (talib-web), installed from npm by scripts/test.sh
  nodejs npm
  # the dashboard's browser test: Debian's headless Chromium driven by playwright-core
  chromium chromium-driver
  # the layering check (tests/layout/check_layers.py); the monitoring kit's checker reads YAML
  python3 python3-yaml
  # promtool: the test suite checks /metrics, the Prometheus config and the alert rules with it
  # (tests/api/metrics_test.sh, examples/monitoring); no Prometheus server is started
  prometheus
  # the ccxt test over https/wss makes a throwaway CA and certificate (tests/ccxt)
  openssl
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if ((${#missing[@]})); then
  # Node and npm may already come from elsewhere (the image ships a newer node); do not
  # fight it: only ask apt for them when no node is on the PATH at all.
  filtered=()
  for p in "${missing[@]}"; do
    if [[ $p == nodejs || $p == npm ]] && command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
      continue
    fi
    filtered+=("$p")
  done
  if ((${#filtered[@]})); then
    echo "setup: installing ${filtered[*]}"
    sudo_cmd=()
    [[ $(id -u) -ne 0 ]] && sudo_cmd=(sudo)
    "${sudo_cmd[@]}" apt-get update -q
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${filtered[@]}"
  fi
fi
echo "setup: all packages present"
