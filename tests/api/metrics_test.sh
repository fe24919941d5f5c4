#!/usr/bin/env bash
# /metrics as Prometheus sees it. Starts the real engine (`botengine run`, the demo: the
# simulator's market, four paper bots, the journal, the control API) on free ports, scrapes
# GET /metrics with the admin token once the pipeline has timed inputs, and checks:
#   1. `promtool check metrics` on the scrape: HELP and TYPE on every family, counters ending in
#      _total, base units (Prometheus' exposition and naming conventions);
#   2. examples/monitoring: `promtool check config prometheus.yml` (the real scrape config, with
#      the rules it loads) and `promtool test rules alerts_test.yml` (the alerts fire as meant);
#   3. check_monitoring.py: every metric and label the Grafana dashboard's queries and the alert
#      rules name is in the scrape, and the dashboard is importable.
# promtool is Debian's `prometheus` package (scripts/setup.sh installs it). Without it the test
# is skipped (exit 77) with a message, except under CI=true, where it fails.
#
# usage: metrics_test.sh BOTENGINE SOURCE_DIR
set -euo pipefail
botengine=$1
source_dir=$2
kit=$source_dir/examples/monitoring

if ! command -v promtool >/dev/null 2>&1; then
  if [[ ${CI:-} == true ]]; then
    echo "FAIL: promtool is not installed (Debian package prometheus; scripts/setup.sh)" >&2
    exit 1
  fi
  echo "SKIP: promtool is not installed (apt-get install prometheus, or scripts/setup.sh)"
  exit 77
fi

work=$(mktemp -d /tmp/be_metrics_test_XXXXXX)
engine_pid=
cleanup() {
  if [[ -n $engine_pid ]]; then
    kill -TERM "$engine_pid" 2>/dev/null || true
    wait "$engine_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

# The demo on an ephemeral API port; it prints the port, and stops by itself at the latest
# after 120 s should this script die without its trap.
"$botengine" run --data-dir "$work/data" --api-port 0 --no-status --duration-s 120 \
  >"$work/run.out" 2>"$work/run.err" &
engine_pid=$!

# Waits (bounded) until `condition` holds, polling; fails with `what` and the engine's output.
wait_for() {
  local what=$1 condition=$2 deadline=$((SECONDS + 60))
  until eval "$condition"; do
    if ((SECONDS >= deadline)) || ! kill -0 "$engine_pid" 2>/dev/null; then
      echo "FAIL: $what" >&2
      cat "$work/run.out" "$work/run.err" >&2
      exit 1
    fi
    sleep 0.2
  done
}

wait_for "the control API never came up" \
  'grep -q "^control API and dashboard on http://" "$work/run.out" && [[ -s $work/data/admin.token ]]'
base=$(sed -n 's|^control API and dashboard on \(http://[^/]*\)/$|\1|p' "$work/run.out")
token=$(<"$work/data/admin.token")

scrape() {
  curl -sf --max-time 5 -H "Authorization: Bearer $token" "$base/metrics" >"$work/metrics.txt"
}
# Ready when the feed is up and the fold has timed inputs (the latency histograms have data),
# and an earlier scrape's answer is counted (botengine_api_responses_total has a sample).
wait_for "the engine never showed a live feed and timed inputs in /metrics" \
  'scrape && grep -q "^botengine_feed_up{venue=\"binance\"} 1$" "$work/metrics.txt" &&
   grep -q "^botengine_api_responses_total{code=\"200\"}" "$work/metrics.txt" &&
   ! grep -q "^botengine_stage_latency_seconds_count{stage=\"fold\"} 0$" "$work/metrics.txt"'
echo "scraped $(grep -vc '^#' "$work/metrics.txt") samples from $base/metrics"

status=0
echo "--- promtool check metrics"
if ! promtool check metrics <"$work/metrics.txt"; then
  status=1
  cat "$work/metrics.txt"
fi

echo "--- promtool check config examples/monitoring/prometheus.yml"
# The config reads the scrape token from botengine.token beside it: give it the real one.
cp "$kit/prometheus.yml" "$kit/alerts.yml" "$work/"
printf '%s\n' "$token" >"$work/botengine.token"
promtool check config "$work/prometheus.yml" || status=1

echo "--- promtool test rules examples/monitoring/alerts_test.yml"
(cd "$kit" && promtool test rules alerts_test.yml) || status=1

echo "--- the dashboard's and the alerts' metrics against the scrape"
python3 "$source_dir/tests/api/check_monitoring.py" "$work/metrics.txt" \
  "$kit/grafana-dashboard.json" "$kit/alerts.yml" || status=1

exit $status
