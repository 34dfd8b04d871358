#!/usr/bin/env bash
# bench/soak.sh: does ftpsniff's memory stay flat over a long live capture?
# Not a test: a measurement.
#
# Two network namespaces joined by a veth pair; tcpreplay loops a capture
# (testdata/passive-and-active.pcap: 60 packets, one FTP session with a
# passive and an active transfer) into one end with --unique-ip, so that
# every loop is a session between new addresses, and `ftpsniff -i -F json
# -o FILE` captures on the other end. The script prints ftpsniff's resident
# memory (VmRSS, and VmHWM its peak so far, from /proc/PID/status) and the
# Go heap live after the last collection (GODEBUG=gctrace=1) at the start
# and after every million packets sent, then at the end; at each of those
# it also rotates FILE as logrotate would (rename, SIGHUP), and at the end
# checks that the files together hold one session record per session the
# summary counts. Needs root; scripts/deps.sh bench installs tcpreplay.
#
#   sudo bench/soak.sh [PACKETS] [PPS]     (default 10000000 at 50000 pps: 200 s)
#
# SRC=FILE replays another capture; UNIQUE=0 replays it unchanged each loop;
# KEEP=DIR keeps the JSON files and ftpsniff's standard error in DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench/soak.sh needs root (network namespaces, raw sockets)"; exit 1; }
scripts/deps.sh bench
N=${1:-10000000}
RATE=${2:-50000}
SRC=${SRC:-testdata/passive-and-active.pcap}
EVERY=${EVERY:-1000000}
P=ftpsoak-$$
WORK=$(mktemp -d)
OUT=${KEEP:-$WORK}
mkdir -p "$OUT"
BIN=$WORK/ftpsniff
go build -o "$BIN" ./cmd/ftpsniff
cleanup() {
	ip netns pids $P-gen 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
	ip netns pids $P-cap 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
	ip netns del $P-gen 2>/dev/null || true
	ip netns del $P-cap 2>/dev/null || true
	[ -n "${KEEP:-}" ] || rm -rf "$WORK"
}
trap cleanup EXIT INT TERM
ip netns add $P-gen; ip netns add $P-cap
ip link add gen0 netns $P-gen type veth peer name cap0 netns $P-cap
ip -n $P-gen link set gen0 up; ip -n $P-cap link set cap0 up

PER=$(python3 -c '
import struct,sys
b=open(sys.argv[1],"rb").read(); n=0; o=24
e="<" if b[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
while o+16<=len(b):
    n+=1; o+=16+struct.unpack(e+"I", b[o+8:o+12])[0]
print(n)' "$SRC")
LOOPS=$(( (N + PER - 1) / PER ))
JSON=$OUT/soak.jsonl
GODEBUG=gctrace=1 ip netns exec $P-cap "$BIN" -i cap0 -F json -o "$JSON" 2>"$OUT/ftpsniff.err" &
pid=$! # ip netns exec execs ftpsniff in place: this is its PID
for _ in $(seq 200); do grep -q 'capturing on' "$OUT/ftpsniff.err" 2>/dev/null && break; sleep 0.05; done
sleep 1

kib() { awk -v k="$1:" '$1 == k {print $2}' /proc/$pid/status; }
heap() { # MB live after the last collection, from gctrace's "a->b->c MB"
	grep -o '[0-9]*->[0-9]*->[0-9]* MB' "$OUT/ftpsniff.err" | tail -1 | sed 's/.*->\([0-9]*\) MB/\1/'
}
sent() { ip -n $P-gen -s link show gen0 | awk '/TX:/ {getline; print $2; exit}'; }
rotations=0
rotate() {
	rotations=$((rotations + 1))
	mv "$JSON" "$JSON.$rotations"
	kill -HUP $pid
}
row() { printf '%-10s %12s %10s %10s %14s %8s\n' "$@"; }
base=$(sent)
row when "packets sent" "RSS (MiB)" "peak (MiB)" "live heap (MB)" files
row start 0 "$(( $(kib VmRSS) / 1024 ))" "$(( $(kib VmHWM) / 1024 ))" "$(heap || true)" 1
unique=--unique-ip
[ "${UNIQUE:-1}" = 1 ] || unique=
ip netns exec $P-gen tcpreplay -q -i gen0 --pps="$RATE" --loop="$LOOPS" $unique --preload-pcap --no-flow-stats "$SRC" >"$OUT/tcpreplay.out" 2>&1 &
rep=$!
next=$EVERY
while kill -0 $rep 2>/dev/null; do
	sleep 0.5
	s=$(( $(sent) - base ))
	if [ "$s" -ge "$next" ]; then
		rotate
		row "$(awk -v n=$next 'BEGIN {printf "%gM", n / 1e6}')" "$s" "$(( $(kib VmRSS) / 1024 ))" "$(( $(kib VmHWM) / 1024 ))" "$(heap)" $((rotations + 1))
		next=$((next + EVERY))
	fi
done
wait $rep || true
sleep 2
s=$(( $(sent) - base ))
row end "$s" "$(( $(kib VmRSS) / 1024 ))" "$(( $(kib VmHWM) / 1024 ))" "$(heap)" $((rotations + 1))
kill -INT $pid
wait $pid || true
python3 - "$JSON" $rotations <<'EOF'
import json, sys
base, n = sys.argv[1], int(sys.argv[2])
files = [f"{base}.{i}" for i in range(1, n + 1)] + [base]
sessions = transfers = bad = 0
summary = None
for f in files:
    with open(f, "rb") as fh:
        data = fh.read()
    if data and not data.endswith(b"\n"):
        bad += 1
    for line in data.splitlines():
        try:
            r = json.loads(line)
        except ValueError:
            bad += 1
            continue
        t = r.get("type")
        sessions += t == "session"
        transfers += t == "transfer"
        if t == "summary":
            summary = r
print(f"files: {len(files)}; session records: {sessions}, transfer records: {transfers}, "
      f"lines not whole JSON: {bad}")
if summary:
    print(f"summary: sessions {summary.get('sessions')}, transfers {summary.get('transfers')}, "
          f"kernel received {summary.get('kernel_received')}, kernel drops {summary.get('kernel_drops')}")
    if summary.get("sessions") != sessions or summary.get("transfers") != transfers or bad:
        print("MISMATCH: the files do not hold exactly the records the summary counts")
        sys.exit(1)
else:
    print("no summary record")
    sys.exit(1)
EOF
grep -h 'Rated:\|Actual:' "$OUT/tcpreplay.out" || true
