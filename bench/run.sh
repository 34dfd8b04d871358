#!/usr/bin/env bash
# bench/run.sh: issue 7's measurements. Builds ftpsniff, the decode floor
# (bench/floor) and the generator (bench/gen); writes a 1 GiB, a 256 MiB and a
# 64 MiB capture under bench/out/, and a 256 MiB capture that is all FTP (issue
# 19: bench/gen -ftp-share 1.0 -seed 3, as on an FTP server's own link); warms
# the page cache; then times, N times each in rounds (every command once per
# round), and prints one table:
#
#   cat FILE > /dev/null
#   tcpdump -r FILE -w /dev/null 'tcp port 21'
#   floor FILE                          (the decode floor)
#   ftpsniff -F json FILE > /dev/null
#   tshark -r SMALL -Y ftp -T fields -e ftp.request.command > /dev/null
#                                       (on the 64 MiB capture, scaled per byte)
#
# wall = median of N runs (whole process, $EPOCHREALTIME around it), MB/s =
# file bytes / wall (10^6), peak RSS = GNU time's %M, × floor = wall / the
# floor's wall on the same file; then ftpsniff's peak RSS on 256 MiB vs 1 GiB;
# then a second table for the all-FTP capture: floor, ftpsniff and tshark on
# that same file, with ftpsniff's ratios to each. Every command is printed as
# it was run.
#
#   bench/run.sh            # N=3
#   N=7 bench/run.sh
#   KEEP=1 bench/run.sh     # reuse captures already in bench/out/ (the generator is deterministic)
#   TSHARK_BYTES=268435456 bench/run.sh   # tshark on a larger capture (it slows down per byte as the file grows)
#
# Needs: go, tcpdump, tshark, GNU time (/usr/bin/time). About 15 s on a
# 2-core VM with N=3 (a third of it tshark), plus about 1 minute for the
# all-FTP capture (tshark takes some 16 s a run on it); about 1 minute more
# with TSHARK_BYTES=1073741824.
set -euo pipefail

cd "$(dirname "$0")/.."
N=${N:-3}
OUT=bench/out
BIG=$OUT/1g.pcap
MID=$OUT/256m.pcap
SMALL=$OUT/$((${TSHARK_BYTES:-67108864} >> 20))m.pcap
ALLFTP=$OUT/ftp256m.pcap # all FTP (issue 19)
[[ ${TSHARK_BYTES:-} == 1073741824 ]] && SMALL=$BIG # the same capture: no twin
SEED=${SEED:-1}
TSHARK_BYTES=${TSHARK_BYTES:-67108864} # size of the capture tshark reads

for tool in go tcpdump tshark /usr/bin/time; do
	command -v "$tool" >/dev/null || { echo "run.sh: $tool is needed" >&2; exit 1; }
done
mkdir -p "$OUT"

say() { printf '%s\n' "$*" >&2; }
run() { say "+ $*"; "$@"; }

say "== build"
run go build -o "$OUT/ftpsniff" ./cmd/ftpsniff
run go build -o "$OUT/floor" ./bench/floor
run go build -o "$OUT/gen" ./bench/gen

say "== captures"
gen() { # size file [gen flags...]
	local size=$1 file=$2
	shift 2
	if [[ -n ${KEEP:-} && -s $file && -s ${file%.pcap}.truth.jsonl ]]; then
		say "(keeping $file)"
		return
	fi
	run "$OUT/gen" -seed "$SEED" -size "$size" -o "$file" -truth "${file%.pcap}.truth.jsonl" "$@"
}
gen 1073741824 "$BIG"
gen 268435456 "$MID"
[[ $SMALL == "$BIG" ]] || gen "$TSHARK_BYTES" "$SMALL"
gen 268435456 "$ALLFTP" -ftp-share 1.0 -seed 3 # (the later -seed wins)

say "== warm the page cache"
for f in "$BIG" "$MID" "$SMALL" "$ALLFTP"; do run cat "$f" >/dev/null; done

size() { stat -c %s "$1"; }

# measure KEY CMD: one run of the shell command CMD (no redirections in it),
# stdout to /dev/null; appends "wall rss_kib" to $OUT/KEY.times.
measure() {
	local key=$1 cmd=$2 rssf=$OUT/.rss t0 t1
	t0=$EPOCHREALTIME
	eval "/usr/bin/time -f %M -o $rssf $cmd" >/dev/null 2>>"$OUT/stderr.log"
	t1=$EPOCHREALTIME
	echo "$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.4f", b-a}') $(tail -1 "$rssf")" >>"$OUT/$key.times"
}

# The commands, by key: the file each reads, and the command.
declare -A FILE CMD
KEYS=()
add() { KEYS+=("$1"); FILE[$1]=$2; CMD[$1]=$3; }
add cat "$BIG" "cat $BIG"
add tcpdump "$BIG" "tcpdump -r $BIG -w /dev/null 'tcp port 21'"
add floor "$BIG" "$OUT/floor $BIG"
add ftpsniff "$BIG" "$OUT/ftpsniff -F json $BIG"
add floor-256m "$MID" "$OUT/floor $MID"
add ftpsniff-256m "$MID" "$OUT/ftpsniff -F json $MID"
add tshark "$SMALL" "tshark -r $SMALL -Y ftp -T fields -e ftp.request.command"
add floor-ftp "$ALLFTP" "$OUT/floor $ALLFTP"
add ftpsniff-ftp "$ALLFTP" "$OUT/ftpsniff -F json $ALLFTP"
add tshark-ftp "$ALLFTP" "tshark -r $ALLFTP -Y ftp -T fields -e ftp.request.command"

say "== commands (each run N=$N times, in rounds; stdout to /dev/null, stderr to $OUT/stderr.log)"
for k in "${KEYS[@]}"; do
	rm -f "$OUT/$k.times"
	say "  $k: ${CMD[$k]} > /dev/null"
done
: >"$OUT/stderr.log"
for ((i = 1; i <= N; i++)); do
	say "== round $i/$N"
	for k in "${KEYS[@]}"; do
		measure "$k" "${CMD[$k]}"
	done
done

median_col() { # file column
	sort -g -k"$2","$2" "$1" | awk -v c="$2" '{v[NR]=$c} END{print v[int((NR+1)/2)]}'
}
max_col() { sort -g -k"$2","$2" "$1" | tail -1 | awk -v c="$2" '{print $c}'; }

BIGSIZE=$(size "$BIG")
FLOOR=$(median_col "$OUT/floor.times" 1)

echo
echo "ftpsniff issue 7: $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//'), $(go version | cut -d' ' -f3), ftpsniff $(git rev-parse --short HEAD)$(git diff --quiet -- analyze capture cmd report reassembly || echo '+dirty')"
printf '  captures: %s %s bytes; %s %s bytes; %s %s bytes (seed %s, bench/gen)\n' \
	"$BIG" "$(size "$BIG")" "$MID" "$(size "$MID")" "$SMALL" "$(size "$SMALL")" "$SEED"
echo "  wall: median of $N runs, warm page cache; MB/s = file bytes / wall / 10^6; × floor = wall / floor's wall on $BIG"
echo
printf '| %-82s | %9s | %8s | %14s | %8s |\n' "command" "wall (s)" "MB/s" "peak RSS (MiB)" "× floor"
printf '| %-82s | %9s | %8s | %14s | %8s |\n' "$(printf -- '-%.0s' {1..82})" "--------:" "-------:" "-------------:" "-------:"
row() { # label key [scale]
	local label=$1 key=$2 file=${FILE[$2]}
	local wall rss bytes mbs ratio shown
	wall=$(median_col "$OUT/$key.times" 1)
	rss=$(max_col "$OUT/$key.times" 2)
	bytes=$(size "$file")
	mbs=$(awk -v b="$bytes" -v w="$wall" 'BEGIN{printf "%.0f", b/w/1e6}')
	shown=$(awk -v w="$wall" 'BEGIN{printf "%.3f", w}')
	if [[ $file != "$BIG" ]]; then
		# Scaled per byte to the 1 GiB capture.
		local scaled
		scaled=$(awk -v w="$wall" -v b="$bytes" -v B="$BIGSIZE" 'BEGIN{printf "%.3f", w*B/b}')
		ratio=$(awk -v w="$scaled" -v f="$FLOOR" 'BEGIN{printf "%.1f", w/f}')
		shown="$scaled*"
	else
		ratio=$(awk -v w="$wall" -v f="$FLOOR" 'BEGIN{printf "%.2f", w/f}')
	fi
	printf '| %-82s | %9s | %8s | %14s | %8s |\n' "$label" "$shown" "$(printf "%'d" "$mbs")" \
		"$(awk -v k="$rss" 'BEGIN{printf "%.1f", k/1024}')" "$ratio"
}
row "${CMD[cat]} > /dev/null" cat
row "${CMD[tcpdump]}" tcpdump
row "${CMD[floor]} (decode floor)" floor
row "${CMD[ftpsniff]} > /dev/null" ftpsniff
row "${CMD[tshark]} > /dev/null" tshark
echo
TSH=$(median_col "$OUT/tshark.times" 1)
FTP=$(median_col "$OUT/ftpsniff.times" 1)
awk -v t="$TSH" -v s="$(size "$SMALL")" -v B="$BIGSIZE" -v f="$FTP" -v fl="$FLOOR" 'BEGIN{
	printf "* tshark ran on %s (%d bytes): %.3f s measured, scaled ×%.2f to %d bytes; its peak RSS is for the smaller file.\n  Scaling per byte also scales tshark'"'"'s start-up, but not its per-frame state (its memory grows with the file): TSHARK_BYTES=1073741824 measures the real thing.\n", "'"$SMALL"'", s, t, B/s, B
	printf "ftpsniff: %.2f× the decode floor, %.0f× faster than tshark -Y ftp (per byte).\n", f/fl, t*B/s/f
}'
R256=$(max_col "$OUT/ftpsniff-256m.times" 2)
R1G=$(max_col "$OUT/ftpsniff.times" 2)
W256=$(median_col "$OUT/ftpsniff-256m.times" 1)
F256=$(median_col "$OUT/floor-256m.times" 1)
awk -v a="$R256" -v b="$R1G" -v w="$W256" -v f="$F256" 'BEGIN{
	printf "ftpsniff peak RSS: %.1f MiB on %s, %.1f MiB on %s (%+.1f MiB); on %s: %.3f s, %.2f× the floor (%.3f s).\n", a/1024, "'"$MID"'", b/1024, "'"$BIG"'", (b-a)/1024, "'"$MID"'", w, w/f, f
}'
# What ftpsniff reported on the 1 GiB capture, against its ground truth.
"$OUT/ftpsniff" -F json "$BIG" >"$OUT/1g.json"
echo "ftpsniff on $BIG: $(grep -c '"type":"transfer"' "$OUT/1g.json") transfer records; ground truth $(wc -l <"${BIG%.pcap}.truth.jsonl") transfers (go test ./bench compares them one by one on a small capture)."

# Issue 19: the capture that is all FTP, every command on the same file.
echo
echo "All-FTP capture $ALLFTP ($(size "$ALLFTP") bytes, bench/gen -ftp-share 1.0 -seed 3): wall = median of $N runs; ÷ ftpsniff = wall / ftpsniff's wall"
echo
printf '| %-82s | %9s | %8s | %14s | %10s |\n' "command" "wall (s)" "MB/s" "peak RSS (MiB)" "÷ ftpsniff"
printf '| %-82s | %9s | %8s | %14s | %10s |\n' "$(printf -- '-%.0s' {1..82})" "--------:" "-------:" "-------------:" "---------:"
FW=$(median_col "$OUT/ftpsniff-ftp.times" 1)
ftprow() { # label key
	local wall rss
	wall=$(median_col "$OUT/$2.times" 1)
	rss=$(max_col "$OUT/$2.times" 2)
	printf '| %-82s | %9s | %8s | %14s | %10s |\n' "$1" "$(awk -v w="$wall" 'BEGIN{printf "%.3f", w}')" \
		"$(printf "%'d" "$(awk -v b="$(size "$ALLFTP")" -v w="$wall" 'BEGIN{printf "%.0f", b/w/1e6}')")" \
		"$(awk -v k="$rss" 'BEGIN{printf "%.1f", k/1024}')" "$(awk -v w="$wall" -v f="$FW" 'BEGIN{printf "%.2f", w/f}')"
}
ftprow "${CMD[floor-ftp]} (decode floor)" floor-ftp
ftprow "${CMD[ftpsniff-ftp]} > /dev/null" ftpsniff-ftp
ftprow "${CMD[tshark-ftp]} > /dev/null" tshark-ftp
echo
awk -v f="$FW" -v fl="$(median_col "$OUT/floor-ftp.times" 1)" -v t="$(median_col "$OUT/tshark-ftp.times" 1)" 'BEGIN{
	printf "ftpsniff on the all-FTP capture: %.2f× the decode floor (issue 19 asks 1.5× at most), %.0f× faster than tshark -Y ftp on the same file (asks 100× at least).\n", f/fl, t/f
}'
