#!/usr/bin/env bash
# scripts/test.sh: the project's test command (the README's second line;
# .ci/run runs exactly this).
#
#   0. scripts/deps.sh         every system package the tests need, installed
#                              once, before any test runs, one apt-get at a
#                              time (it waits for the apt lock); not root: one
#                              line says which suites will be skipped and why
#   1. go test ./...           every test; as root this includes the
#                              namespace lab with live capture, the
#                              headless-browser check, the tshark checks and
#                              the table report on tmux terminals,
#                              which fail (not skip) when they cannot set
#                              themselves up
#   2. benchmarks, once each   a smoke run (-benchtime 1x): they still
#                              compile and run; speed is never asserted
#   3. other systems           GOOS=windows and GOOS=darwin go vet ./...,
#                              and go build ./cmd/ftpsniff for windows/amd64
#                              and darwin/arm64: one line each
#   4. scripts/fuzz.sh 3s      each fuzz target briefly
#
# It ends with an account of the heavy suites: ran, or skipped and why.
set -euo pipefail
cd "$(dirname "$0")/.."

HEAVY=(lab "live capture" browser tshark terminal prometheus)
suite_log=$(mktemp)
bench_out=$(mktemp)
export FTPSNIFF_SUITE_LOG=$suite_log

# account: one line per heavy suite, from what each wrote to the suite log
# (internal/suite); as root with apt-get, a heavy suite that did not run is
# an error even if nothing else noticed.
account() {
	local rc=$? s line bad=0 root=0
	[ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && root=1
	echo "== heavy suites"
	for s in "${HEAVY[@]}"; do
		line=$(awk -F'\t' -v s="$s" '$1 == s { print $2 ": " $3 }' "$suite_log" | sort -u)
		if [ -z "$line" ]; then
			line="did not run (its test package failed to build, or was not reached)"
			[ $root = 0 ] || bad=1
		fi
		case $line in ran:*) ;; *) [ $root = 0 ] || bad=1 ;; esac
		printf '%-13s %s\n' "$s" "$line" | sed '2,$s/^/              /'
	done
	rm -f "$suite_log" "$bench_out"
	if [ $rc = 0 ] && [ $bad = 1 ]; then
		echo "test: as root with apt-get every heavy suite must run: see above"
		rc=1
	fi
	exit $rc
}
trap account EXIT

echo "== system packages (scripts/deps.sh)"
if [ "$(id -u)" = 0 ]; then
	rc=0
	scripts/deps.sh || rc=$?
	# 77: no apt-get on this machine; the suites say what they miss
	[ $rc = 0 ] || [ $rc = 77 ] || { echo "test: scripts/deps.sh failed: the heavy suites cannot run"; exit 1; }
else
	scripts/deps.sh || true
	echo "test: not root: the namespace lab and live capture are skipped (network namespaces, nftables and raw sockets need root); so is any suite whose packages are missing (installing them needs root)"
fi

echo "== go test ./..."
go test ./...
echo "== benchmarks, once each (a smoke run, no timing)"
if ! go test -run '^$' -bench . -benchtime 1x ./... >"$bench_out" 2>&1; then
	cat "$bench_out"
	exit 1
fi
grep -E '^Benchmark' "$bench_out" | awk '{print $1}' | tr '\n' ' '
echo
echo "== other systems (go vet builds every package and its tests)"
# cross LABEL COMMAND...: one line, or the command's output and failure.
cross() {
	local label=$1 out
	shift
	if out=$("$@" 2>&1); then
		printf '%-50s ok\n' "$label"
	else
		printf '%-50s FAILED\n%s\n' "$label" "$out"
		exit 1
	fi
}
cross "GOOS=windows go vet ./..." env GOOS=windows go vet ./...
cross "GOOS=darwin go vet ./..." env GOOS=darwin go vet ./...
cross "GOOS=windows GOARCH=amd64 go build ./cmd/ftpsniff" env GOOS=windows GOARCH=amd64 go build -o /dev/null ./cmd/ftpsniff
cross "GOOS=darwin GOARCH=arm64 go build ./cmd/ftpsniff" env GOOS=darwin GOARCH=arm64 go build -o /dev/null ./cmd/ftpsniff
echo "== fuzz targets, 3 s each"
scripts/fuzz.sh 3s
