#!/usr/bin/env bash
# scripts/fuzz.sh [DURATION]: run every fuzz target for DURATION each
# (default 10m), one after the other, and print how far each got. A crasher
# is kept by Go under the package's testdata/fuzz/ and fails the run: turn
# it into a named test case ("fuzz crasher: ...") before fixing it.
set -euo pipefail
cd "$(dirname "$0")/.."
d=${1:-10m}
targets=(
	"./analyze/ftp FuzzParsePORT" "./analyze/ftp FuzzParseEPRT" "./analyze/ftp FuzzParseLPRT"
	"./analyze/ftp FuzzParse227" "./analyze/ftp FuzzParse229" "./analyze/ftp FuzzParseCommand"
	"./analyze/ftp FuzzReplyReader" "./analyze/ftp FuzzCleanLine"
	"./reassembly FuzzHalf" "./capture FuzzFile" "./capture FuzzFastDecode" "./report/term FuzzClean" "./report/ladder FuzzWriteLadder"
)
for t in "${targets[@]}"; do
	set -- $t
	echo "== $2 ($1) for $d"
	go test "$1" -run '^$' -fuzz "^$2\$" -fuzztime "$d" 2>&1 | grep -E 'elapsed|PASS|FAIL|ok|crasher' | tail -3
done
