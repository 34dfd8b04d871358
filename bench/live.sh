#!/usr/bin/env bash
# bench/live.sh: does ftpsniff's live capture keep what tcpdump keeps? Not a
# test: a measurement (issue 18's table).
#
# Two network namespaces joined by a veth pair. For each rate, tcpreplay
# sends PACKETS packets of a capture (testdata/passive-and-active.pcap,
# looped) into gen0; on the other end, tcpdump (its defaults: a 2 MiB
# TPACKET_V3 ring, writing to /dev/null) and ftpsniff -i cap0 capture the
# same veth AT ONCE: the same load, the same CPUs to share. Each one's
# kernel drops are its own socket's (tcpdump's exit line; ftpsniff's JSON
# summary, kernel_drops). Needs root; scripts/deps.sh bench installs
# tcpreplay and tcpdump.
#
#   sudo bench/live.sh [PACKETS_PER_RATE]      (default 200000)
#
# Environment: SRC (the capture to replay), RATES (packets per second,
# "topspeed" for tcpreplay's fastest; default "50000 100000 200000
# topspeed"), FTPSNIFF_FLAGS (extra flags, e.g. "--workers 2 -B 16384"),
# FTPSNIFF_BIN (a binary to measure instead of building ./cmd/ftpsniff),
# ALONE=1 (ftpsniff without tcpdump beside it: tcpreplay's top speed is
# then higher, and the tcpdump columns say "-").
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "bench/live.sh needs root (network namespaces, raw sockets)"; exit 1; }
scripts/deps.sh bench >/dev/null
N=${1:-200000}
SRC=${SRC:-testdata/passive-and-active.pcap}
RATES=${RATES:-50000 100000 200000 topspeed}
FLAGS=${FTPSNIFF_FLAGS:-}
P=ftpsb-$$
TMP=$(mktemp -d)
BIN=${FTPSNIFF_BIN:-$TMP/ftpsniff}
[ -n "${FTPSNIFF_BIN:-}" ] || CGO_ENABLED=0 go build -o "$BIN" ./cmd/ftpsniff
cleanup() {
	ip netns pids $P-cap 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
	ip netns del $P-gen 2>/dev/null || true
	ip netns del $P-cap 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT INT TERM
ip netns add $P-gen
ip netns add $P-cap
for ns in $P-gen $P-cap; do
	ip netns exec $ns sysctl -qw net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
done
ip link add gen0 netns $P-gen type veth peer name cap0 netns $P-cap
ip -n $P-gen link set gen0 up
ip -n $P-cap link set cap0 up

# wait_for FILE TEXT: until FILE holds TEXT (5 s at most)
wait_for() { for _ in $(seq 100); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done; return 1; }

echo "ftpsniff ${FLAGS:-(defaults)}; $N packets of $SRC per rate; $(nproc) cores"
printf '| %-12s | %12s | %20s | %20s | %20s | %20s |\n' "offered pps" "achieved pps" "tcpdump received" "tcpdump kernel drops" "ftpsniff received" "ftpsniff kernel drops"
printf '| %12s | %12s | %20s | %20s | %20s | %20s |\n' "---:" "---:" "---:" "---:" "---:" "---:"
for rate in $RATES; do
	if [ "${ALONE:-0}" = 1 ]; then
		echo "listening on cap0 (not run)" >"$TMP/td.err"
		sleep 3600 &
	else
		ip netns exec $P-cap tcpdump -i cap0 -n -w /dev/null 2>"$TMP/td.err" &
	fi
	td=$!
	# shellcheck disable=SC2086
	ip netns exec $P-cap "$BIN" -i cap0 -F json -o "$TMP/fs.json" $FLAGS 2>"$TMP/fs.err" &
	fs=$!
	wait_for "$TMP/td.err" "listening on" || { cat "$TMP/td.err"; exit 1; }
	wait_for "$TMP/fs.err" "capturing on" || { cat "$TMP/fs.err"; exit 1; }
	if [ "$rate" = topspeed ]; then speed=--topspeed; else speed=--pps=$rate; fi
	rep=$(ip netns exec $P-gen tcpreplay -i gen0 $speed --loop=0 --limit="$N" "$SRC" 2>&1 || true)
	pps=$(echo "$rep" | awk '/Rated:/ {print $6; exit}')
	sleep 1 # what the rings still hold is read
	kill -INT $fs
	if [ "${ALONE:-0}" = 1 ]; then kill $td; else kill -INT $td; fi
	wait $td || true
	wait $fs || true
	tdrecv=$(awk '/packets received by filter/ {print $1}' "$TMP/td.err")
	tddrop=$(awk '/packets dropped by kernel/ {print $1}' "$TMP/td.err")
	[ "${ALONE:-0}" != 1 ] || tdrecv=- tddrop=-
	read -r fsrecv fsdrop < <(python3 -c 'import json,sys
s=[json.loads(l) for l in open(sys.argv[1]) if l.strip()][-1]
print(s.get("kernel_received", "?"), s.get("kernel_drops", "?"))' "$TMP/fs.json")
	printf '| %12s | %12s | %20s | %20s | %20s | %20s |\n' "$rate" "${pps%%.*}" "$tdrecv" "$tddrop" "$fsrecv" "$fsdrop"
	rm -f "$TMP/fs.json" "$TMP/fs.err" "$TMP/td.err"
done
