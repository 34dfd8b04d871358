#!/usr/bin/env bash
# bench/live.sh: how many packets per second ftpsniff's live capture keeps
# up with on a veth, with no kernel drops. Not a test: a measurement.
#
# Two network namespaces joined by a veth pair; tcpreplay sends a capture
# (testdata/passive-and-active.pcap, looped) at increasing rates into one
# end, ftpsniff -i captures on the other, and its summary gives the packets
# the kernel passed and dropped. Needs root; scripts/deps.sh bench installs
# tcpreplay (and tshark for capinfos).
#
#   sudo bench/live.sh [PACKETS_PER_RATE]
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench/live.sh needs root (network namespaces, raw sockets)"; exit 1; }
scripts/deps.sh bench tshark
N=${1:-200000}
P=ftpsb-$$
BIN=$(mktemp -d)/ftpsniff
go build -o "$BIN" ./cmd/ftpsniff
cleanup() { ip netns pids $P-cap 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true; ip netns del $P-gen 2>/dev/null || true; ip netns del $P-cap 2>/dev/null || true; }
trap cleanup EXIT INT TERM
ip netns add $P-gen; ip netns add $P-cap
ip link add gen0 netns $P-gen type veth peer name cap0 netns $P-cap
ip -n $P-gen link set gen0 up; ip -n $P-cap link set cap0 up
SRC=testdata/passive-and-active.pcap
PER=$(capinfos -c -M "$SRC" 2>/dev/null | awk '/Number of packets/ {print $NF}' || echo 60)
LOOPS=$(( (N + PER - 1) / PER ))
printf '%-12s %14s %12s %12s %12s\n' "rate (pps)" "achieved pps" "sent" "received" "dropped"
for rate in 50000 100000 200000 400000 topspeed; do
	out=$(mktemp)
	ip netns exec $P-cap "$BIN" -i cap0 -F json -o "$out" 2>"$out.err" &
	pid=$!
	for _ in $(seq 100); do grep -q 'capturing on' "$out.err" 2>/dev/null && break; sleep 0.05; done
	if [ $rate = topspeed ]; then speed=--topspeed; else speed=--pps=$rate; fi
	rep=$(ip netns exec $P-gen tcpreplay -i gen0 $speed --loop=$LOOPS "$SRC" 2>&1 || true)
	sent=$(echo "$rep" | awk '/Actual:/ {print $2}')
	pps=$(echo "$rep" | awk '/Rated:/ {print $6}')
	sleep 0.5
	kill -INT $pid; wait $pid || true
	read -r received dropped < <(python3 -c 'import json,sys
s=[json.loads(l) for l in open(sys.argv[1]) if l.strip()][-1]
print(s.get("kernel_received", "?"), s.get("kernel_drops", "?"))' "$out")
	printf '%-12s %14s %12s %12s %12s\n' "$rate" "${pps:-?}" "${sent:-?}" "$received" "$dropped"
	rm -f "$out" "$out.err"
done
