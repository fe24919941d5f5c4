#!/bin/sh
# api_openapi_live: runs the engine doc test (api_engine_doc_tests: docs/API.md's examples
# against the real engine) with its exchanges recorded (BE_API_EXCHANGES), then validates every
# recorded request and answer against docs/openapi.json (check.mjs exchanges).
# usage: live.sh <node> <api_engine_doc_tests> <docs/openapi.json> <exchanges.jsonl>
set -u
node=$1 doc_tests=$2 doc=$3 out=$4
here=$(dirname "$0")
if [ ! -d "$here/node_modules/ajv" ]; then
  echo "SKIP: tests/api/openapi/node_modules is missing (npm ci --prefix tests/api/openapi)"
  exit 77
fi
if [ ! -x "$doc_tests" ]; then
  # A sanitizer stage that builds only some binaries (scripts/test.sh): ASan runs it.
  echo "SKIP: $doc_tests is not built in this build (scripts/test.sh's TSan stage leaves it out)"
  exit 77
fi
rm -f "$out"
if ! BE_API_EXCHANGES=$out "$doc_tests" --gtest_filter='EngineApiDocTest.*' >"$out.log" 2>&1; then
  # Its own ctest test reports that failure; what it recorded is still checked here.
  echo "note: api_engine_doc_tests failed (its output: $out.log); checking what it recorded"
fi
exec "$node" "$here/check.mjs" exchanges "$doc" "$out"
