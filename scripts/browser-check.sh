#!/usr/bin/env bash
# scripts/browser-check.sh REPORT.html OUTDIR: load an ftpsniff HTML report in
# headless Chromium (Debian's `chromium`; scripts/deps.sh browser installs
# it) and leave in OUTDIR:
#
#   dom.html        the page's DOM after its scripts ran (--dump-dom), from a
#                   copy of the report with a small self-test appended: it
#                   sorts and filters the transfers table the way a click and
#                   a keystroke would, and writes what it saw into the DOM
#   console.log     Chromium's log: console messages and uncaught errors
#   screenshot.png  the report as a person sees it (the unmodified file)
#
# It prints one line per check and "browser-check: ok" at the end.
# Exit status: 0 the page loaded with no script error; 1 it did not (the
# reason is printed); 77 chromium is missing.
#
# Environment: CHROMIUM (the browser to run, default `chromium`),
# WINDOW_SIZE (default 1280,1700), TIMEOUT (seconds per run, default 40).
set -euo pipefail

die() { echo "browser-check: $*" >&2; exit 1; }
skip() { echo "browser-check: skip: $*" >&2; exit 77; }

[ $# -eq 2 ] || { echo "usage: $0 REPORT.html OUTDIR" >&2; exit 2; }
report=$(realpath "$1")
out=$2
[ -f "$report" ] || die "$1: no such file"
mkdir -p "$out"
out=$(realpath "$out")
browser=${CHROMIUM:-chromium}
size=${WINDOW_SIZE:-1280,1700}
limit=${TIMEOUT:-40}

# ---- chromium: scripts/deps.sh browser installs it ----------------------------
command -v "$browser" >/dev/null 2>&1 || skip "$browser is not installed (scripts/deps.sh browser installs it)"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# One headless run: fresh profile, nothing from the network, bounded time.
# (--no-sandbox: the sandbox needs user namespaces that containers and root
# often lack.)
chrome() {
	timeout -k 5 "$limit" "$browser" --headless --no-sandbox --disable-gpu --disable-dev-shm-usage \
		--no-first-run --no-default-browser-check --disable-extensions --disable-sync \
		--disable-background-networking --disable-component-update --mute-audio \
		--hide-scrollbars --force-device-scale-factor=1 \
		--user-data-dir="$work/profile" --enable-logging=stderr --v=0 "$@"
}

# ---- 1. the DOM after the scripts ran, with a self-test ------------------------
# scripts/browser-selftest.js is added to a copy (the report itself carries
# no test code), just before </body>, and its hash to the copy's
# Content-Security-Policy, which otherwise lets only the report's own
# scripts run.
selftest=$(dirname "$0")/browser-selftest.js
[ -f "$selftest" ] || die "$selftest is missing"
hex=$(sha256sum <"$selftest" | cut -d' ' -f1)
# (hex to bytes with printf's %b, then base64, as CSP wants)
hash=$(printf '%b' "$(printf '%s' "$hex" | sed 's/../\\x&/g')" | base64 -w0)
test_page=$work/report-selftest.html
awk -v js="$selftest" -v h="'sha256-$hash' " '
	/http-equiv="Content-Security-Policy"/ { sub(/script-src /, "script-src " h) }
	$0 == "</body>" { printf "<script>"; while ((getline l < js) > 0) n = n l "\n"; printf "%s", n; print "</script>" }
	{ print }' "$report" >"$test_page"
grep -q "sha256-$hash" "$test_page" || die "no Content-Security-Policy with script-src in $report"
if ! chrome --virtual-time-budget=3000 --dump-dom "file://$test_page" >"$out/dom.html" 2>"$out/console.log"; then
	tail -20 "$out/console.log" >&2
	die "chromium failed or timed out loading the report (log: $out/console.log)"
fi
[ -s "$out/dom.html" ] || die "chromium wrote no DOM (log: $out/console.log)"
echo "browser-check: DOM written to $out/dom.html"

# ---- 2. the screenshot of the report itself ------------------------------------
rm -f "$out/screenshot.png"
if ! chrome --virtual-time-budget=3000 --window-size="$size" --screenshot="$out/screenshot.png" "file://$report" >/dev/null 2>>"$out/console.log"; then
	die "chromium failed or timed out taking the screenshot (log: $out/console.log)"
fi
[ -s "$out/screenshot.png" ] || die "no screenshot written (log: $out/console.log)"
echo "browser-check: screenshot written to $out/screenshot.png"

# ---- 3. script errors ------------------------------------------------------------
# Uncaught errors and Content-Security-Policy violations go to the console
# log (both runs); the report's own error handler also lists them in
# <ol id="script-errors"> in the DOM; the report's script ends by setting
# data-js="ready" on <html>.
fail=0
if grep -E 'CONSOLE.*(Uncaught|Error|Content Security Policy|Refused to)' "$out/console.log" >&2; then
	echo "browser-check: FAIL: script errors in the console" >&2
	fail=1
fi
if grep -q '<ol id="script-errors"[^>]*><li' "$out/dom.html"; then
	echo "browser-check: FAIL: the page recorded script errors:" >&2
	grep -o '<ol id="script-errors".\{0,2000\}' "$out/dom.html" | sed 's|</ol>.*|</ol>|' >&2
	fail=1
fi
grep -q '<html[^>]* data-js="ready"' "$out/dom.html" || { echo "browser-check: FAIL: the report's script did not finish (no data-js=\"ready\")" >&2; fail=1; }
grep -q '<pre id="browser-selftest">' "$out/dom.html" || { echo "browser-check: FAIL: the self-test did not run" >&2; fail=1; }
[ $fail = 0 ] || exit 1
echo "browser-check: script errors: none"
echo "browser-check: ok"
