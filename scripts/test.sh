#!/usr/bin/env bash
# scripts/test.sh: the project's test command (the README's second line;
# .ci/run runs exactly this).
#
#   1. go test ./...           every test; as root this includes the
#                              namespace lab and the headless-browser check,
#                              which install what they need with apt-get
#   2. benchmarks, once each   a smoke run (-benchtime 1x): they still
#                              compile and run; speed is never asserted
#   3. scripts/fuzz.sh 3s      each fuzz target briefly
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== go test ./..."
go test ./...
echo "== benchmarks, once each (a smoke run, no timing)"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
if ! go test -run '^$' -bench . -benchtime 1x ./... >"$out" 2>&1; then
	cat "$out"
	exit 1
fi
grep -E '^Benchmark' "$out" | awk '{print $1}' | tr '\n' ' '
echo
echo "== fuzz targets, 3 s each"
scripts/fuzz.sh 3s
