#!/usr/bin/env bash
# lab.sh - real FTP traffic between real servers and clients across a real
# Linux NAT (nftables), captured with tcpdump on each side of each router.
#
#   lab.sh list                     scenarios, one per line: NAME  description
#   lab.sh deps                     install what the lab needs (scripts/deps.sh lab)
#   lab.sh run SCENARIO OUTDIR      build the lab, run the scenario, write
#                                   OUTDIR/SCENARIO/{*.pcap,facts.json,clients.log},
#                                   tear everything down (also on failure)
#   lab.sh all OUTDIR               run every scenario in turn
#   lab.sh up SCENARIO              build a scenario's network and servers and
#                                   leave them running (prints the namespaces)
#   lab.sh down [PREFIX]            remove a lab left by `up` (all of them
#                                   without PREFIX) and any stale run's leftovers
#   lab.sh gc                       remove only leftovers of runs whose
#                                   lab.sh process is gone (e.g. killed with -9)
#
# Topology (all addresses exist only inside the lab's namespaces):
#
#   cli --eth0/lan0-- r1 --wan0/wan0-- r2 --lan0/eth0-- srv
#   10.1.0.2   10.1.0.1  198.51.100.1  198.51.100.2  203.0.113.1   203.0.113.10 (vsftpd)
#   2001:db8:1::2        2001:db8:100::1/::2          10.2.0.1      203.0.113.11/.12 (pyftpdlib)
#                                                     2001:db8:203::1  10.2.0.10 (private, behind DNAT)
#                                                     203.0.113.30     2001:db8:203::10
#                                                     (bounce target)  203.0.113.20 (nothing listens)
#                                                                      203.0.113.21/.22 (vsftpd behind r2's
#                                                                        port-21 drop / ICMP reject)
#
#   r1: the client's router: plain routing, or NAT (masquerade) with or
#       without the kernel FTP helper (nftables ct helper), optional firewall.
#   r2: the server's router: plain routing, or port forwarding (DNAT) of
#       198.51.100.2:{21,30000} to 10.2.0.10, optional firewall.
#   Private addresses are not routed on the "internet" between r1 and r2
#   (blackhole 10.0.0.0/8 on both routers), as on the real one.
#
# Capture points (tcpdump -U on each side of each router):
#   client-lan      r1 lan0   between client and r1 (inside the client NAT)
#   nat-outside     r1 wan0   r1's outside (after the client NAT)
#   server-outside  r2 wan0   r2's outside (before the port forwarding)
#   server-lan      r2 lan0   between r2 and the servers
#
# Namespaces are named ftpsl-<pid of lab.sh>-{cli,r1,r2,srv} (ftpsl-up<pid>-*
# for `up`), so two runs never collide and cleanup only touches its own.
# Every process the lab starts lives in one of its namespaces; cleanup stops
# them by pid (ip netns pids) and deletes the namespaces, also on failure.

set -euo pipefail

LAB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PY=/usr/bin/python3   # Debian's python with python3-pyftpdlib, not a pyenv one on PATH
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH
export LC_ALL=C

STEP_TIMEOUT=${FTPSNIFF_LAB_STEP_TIMEOUT:-20}   # hard bound of one client run (s)
SERVER_WAIT=5                                   # bound for a server to listen (s)

# ---- addresses ---------------------------------------------------------------
CLI4=10.1.0.2;        R1_LAN4=10.1.0.1
R1_WAN4=198.51.100.1; R2_WAN4=198.51.100.2
R2_LAN4=203.0.113.1;  R2_PRIV4=10.2.0.1
SRV4=203.0.113.10     # vsftpd, public server
PYF4=203.0.113.11     # pyftpdlib, permit_foreign_addresses=True
PYD4=203.0.113.12     # pyftpdlib, default (refuses foreign PORT)
SRVP4=10.2.0.10       # vsftpd, private server behind r2's DNAT
CLOSED4=203.0.113.20  # on the server host, nothing listens: port 21 answers RST
FWDROP4=203.0.113.21  # vsftpd; r2 silently drops its port 21 when R2_FW has drop-ctl
FWREJ4=203.0.113.22   # vsftpd; r2 rejects its port 21 (ICMP admin-prohibited) when R2_FW has reject-ctl
TGT4=203.0.113.30     # a third host on the server LAN (an address of r2's lan0): the
                      # bounce scan's target, with R2_LISTEN's ports open
FTP_USER=alice FTP_PASS=secret   # the real (non-anonymous) user of pyftpd:ADDR:user
CLI6=2001:db8:1::2;   R1_LAN6=2001:db8:1::1
R1_WAN6=2001:db8:100::1; R2_WAN6=2001:db8:100::2
R2_LAN6=2001:db8:203::1; SRV6=2001:db8:203::10
PASV_PORT=30000       # the servers' only passive port: the 227/229 port is known
ACT_BASE=40000        # active-mode client port of step N is ACT_BASE+N
POINTS=(client-lan nat-outside server-outside server-lan)
declare -A EXTRA_POINT_AT=()   # a scenario's extra capture points: point -> "namespace interface"
SCEN=""                        # the scenario loaded

log() { printf 'lab: %s\n' "$*" >&2; }
die() { printf 'lab: error: %s\n' "$*" >&2; exit 1; }

# ---- preconditions -------------------------------------------------------------
check_root() {
	[ "$(id -u)" = 0 ] || { echo "SKIP: the FTP lab needs root (network namespaces, tcpdump)"; exit 77; }
	command -v ip >/dev/null 2>&1 && ip netns list >/dev/null 2>&1 ||
		{ echo "SKIP: the FTP lab needs 'ip netns' (iproute2) and network namespace support"; exit 77; }
}

# deps: what the lab needs is installed by scripts/deps.sh, the one place
# that installs the tests' packages (a no-op when nothing is missing).
deps() {
	local rc=0
	"$LAB_DIR/../scripts/deps.sh" lab >&2 || rc=$?
	[ $rc = 0 ] || { [ $rc = 77 ] && exit 77; die "scripts/deps.sh lab failed"; }
	[ -x "$PY" ] && "$PY" -c 'import pyftpdlib' 2>/dev/null || die "$PY cannot import pyftpdlib after scripts/deps.sh lab"
}

# ---- namespaces and cleanup -----------------------------------------------------
P=""            # namespace prefix of this run
W=""            # work directory of this run (configs, FTP root, logs)
KEEP_UP=0       # `up` leaves the lab running
declare -a CAP_PIDS=() CAP_NAMES=()
LIVE_PID="" LIVE2_PID="" LIVE_DIR=""

nsx() { local n=$1; shift; ip netns exec "$P-$n" "$@"; }

# lab_namespaces PREFIX: the namespaces of one lab
# (cli, r1, r2, srv, and any a scenario's topo_ hook adds: PREFIX-NAME)
lab_namespaces() { ip netns list 2>/dev/null | awk '{print $1}' | grep -E "^$1-[a-z0-9]+\$" || true; }

# alive PID: the process exists and is not a zombie
alive() {
	local st
	st=$(sed -n 's/^.*) \([A-Za-z]\).*/\1/p' "/proc/$1/stat" 2>/dev/null) || return 1
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# destroy PREFIX: stop every process inside the lab's namespaces, delete them.
destroy() {
	local pfx=$1 ns pid pids=""
	for ns in $(lab_namespaces "$pfx"); do
		pids="$pids $(ip netns pids "$ns" 2>/dev/null || true)"
	done
	pids=$(echo $pids)
	if [ -n "$pids" ]; then
		kill -TERM $pids 2>/dev/null || true
		for _ in $(seq 30); do
			local alive=""
			for pid in $pids; do alive "$pid" && alive="$alive $pid"; done
			pids=$(echo $alive)
			[ -z "$pids" ] && break
			sleep 0.1
		done
		[ -n "$pids" ] && kill -KILL $pids 2>/dev/null || true
	fi
	for ns in $(lab_namespaces "$pfx"); do ip netns del "$ns" 2>/dev/null || true; done
}

stop_live() { # PID EXITFILE: SIGINT, wait, record the exit status in $LIVE_DIR
	local pid=$1 rc=0
	[ -n "$pid" ] || return 0
	kill -INT "$pid" 2>/dev/null || true
	for _ in $(seq 100); do alive "$pid" || break; sleep 0.05; done
	alive "$pid" && { log "ftpsniff did not stop on SIGINT, killing"; kill -KILL "$pid" 2>/dev/null || true; }
	wait "$pid" 2>/dev/null || rc=$?
	echo "$rc" >"$LIVE_DIR/$2"
}

stop_captures() {
	local i pid
	# SIGINT, as a person ends ftpsniff with Ctrl-C: the report follows
	stop_live "${LIVE_PID:-}" live.exit; LIVE_PID=""
	stop_live "${LIVE2_PID:-}" live-alg.exit; LIVE2_PID=""
	for i in "${!CAP_PIDS[@]}"; do
		pid=${CAP_PIDS[$i]}
		kill -TERM "$pid" 2>/dev/null || true
	done
	for i in "${!CAP_PIDS[@]}"; do
		pid=${CAP_PIDS[$i]}
		for _ in $(seq 50); do alive "$pid" || break; sleep 0.05; done
		alive "$pid" && { log "tcpdump ${CAP_NAMES[$i]} did not stop, killing"; kill -KILL "$pid" 2>/dev/null || true; }
		wait "$pid" 2>/dev/null || true
	done
	CAP_PIDS=(); CAP_NAMES=()
}

cleanup() {
	local rc=$?
	trap - EXIT INT TERM HUP
	if [ -n "$P" ] && [ "$KEEP_UP" = 0 ]; then
		stop_captures
		destroy "$P"
		[ -n "${W:-}" ] && [ -d "$W" ] && rm -rf "$W"
	fi
	exit "$rc"
}

# gc: remove leftovers of runs whose lab.sh is gone (a run killed with -9).
gc() {
	local ns pfx pid
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -E '^ftpsl-[0-9]+-[a-z0-9]+$' || true); do
		pfx=${ns%-*}; pid=${pfx#ftpsl-}
		if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'lab\.sh'; then
			continue
		fi
		log "removing stale $ns"
		destroy "$pfx"
	done
	# work directories of runs that are gone
	local d
	for d in /tmp/ftpsl-[0-9]*.*; do
		[ -d "$d" ] || continue
		pid=${d#/tmp/ftpsl-}; pid=${pid%%.*}
		[[ $pid =~ ^[0-9]+$ ]] || continue
		if [ -r "/proc/$pid/cmdline" ] && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'lab\.sh'; then
			continue
		fi
		rm -rf "$d"
	done
}

# ---- topology -------------------------------------------------------------------
# Knobs a scenario sets (defaults in reset_knobs):
#   R1_MODE    route | nat          R1_HELPER 0|1
#   R1_FW      none | reject-inbound (connections opened from outside: TCP reset)
#              | drop-inbound (connections opened from outside: dropped)
#              | drop-retr (drops the client's port-21 segments whose payload
#                starts with "RETR": a stalled control connection)
#   R2_MODE    route | dnat         R2_HELPER 0|1
#   R2_FW      none, or any of (space-separated):
#              drop-pasv    drop TCP to port 30000
#              drop-ctl     drop TCP to FWDROP4:21 (SYNs never answered)
#              reject-ctl   reject TCP to FWREJ4:21 with ICMP admin-prohibited
#              reject-pasv  reject TCP to SRV4:30000 with ICMP admin-prohibited
#   CLI_FW     none | reset-active: the client host itself rejects connections
#              to its active ports (ACT_BASE+1..+99) with a TCP reset
#   R2_LISTEN  ports open on TGT4 (TCP listeners in r2 that read and discard)
#   IPV6       0|1
#   SERVERS    list of vsftpd:ADDR[:plain|pasv-address|tls|ipv6|idle]
#              (idle: idle_session_timeout=IDLE_TIMEOUT s)
#              pyftpd:ADDR:[permit-foreign|user|advertise-wrong-port]
#              (user: also FTP_USER/FTP_PASS, 0.1 s before a 530;
#              advertise-wrong-port: 227/229 name PASV_PORT+1, nothing listens)
IDLE_TIMEOUT=2
reset_knobs() {
	R1_MODE=route; R1_HELPER=0; R1_FW=none
	R2_MODE=route; R2_FW=none; R2_HELPER=0
	CLI_FW=none; R2_LISTEN=""
	IPV6=0; SERVERS=(); DESC=""
}
has_word() { [[ " $1 " == *" $2 "* ]]; }   # has_word LIST WORD

sysctl_ns() { nsx "$1" sysctl -q -w "$2" >/dev/null; }

topo_up() {
	local n
	for n in cli r1 r2 srv; do
		ip netns add "$P-$n"
		nsx $n ip link set lo up
		if [ "$IPV6" = 1 ]; then
			sysctl_ns $n net.ipv6.conf.all.accept_dad=0
			sysctl_ns $n net.ipv6.conf.default.accept_dad=0
			sysctl_ns $n net.ipv6.conf.default.accept_ra=0
		else
			sysctl_ns $n net.ipv6.conf.all.disable_ipv6=1
			sysctl_ns $n net.ipv6.conf.default.disable_ipv6=1
		fi
	done
	for n in r1 r2; do
		sysctl_ns $n net.ipv4.ip_forward=1
		[ "$IPV6" = 1 ] && sysctl_ns $n net.ipv6.conf.all.forwarding=1
	done
	# veth pairs, created directly inside the namespaces
	ip -n "$P-cli" link add eth0 type veth peer name lan0 netns "$P-r1"
	ip -n "$P-r1" link add wan0 type veth peer name wan0 netns "$P-r2"
	ip -n "$P-r2" link add lan0 type veth peer name eth0 netns "$P-srv"
	local l
	for l in cli:eth0 r1:lan0 r1:wan0 r2:wan0 r2:lan0 srv:eth0; do
		nsx "${l%%:*}" ip link set "${l#*:}" up
	done

	nsx cli ip addr add $CLI4/24 dev eth0
	nsx cli ip route add default via $R1_LAN4
	nsx r1 ip addr add $R1_LAN4/24 dev lan0
	nsx r1 ip addr add $R1_WAN4/24 dev wan0
	nsx r1 ip route add 203.0.113.0/24 via $R2_WAN4
	nsx r1 ip route add blackhole 10.0.0.0/8
	nsx r2 ip addr add $R2_WAN4/24 dev wan0
	nsx r2 ip addr add $R2_LAN4/24 dev lan0
	nsx r2 ip addr add $R2_PRIV4/24 dev lan0
	nsx r2 ip route add blackhole 10.0.0.0/8
	[ "$R1_MODE" = route ] && nsx r2 ip route add 10.1.0.0/24 via $R1_WAN4
	nsx srv ip addr add $SRV4/24 dev eth0
	nsx srv ip addr add $PYF4/24 dev eth0
	nsx srv ip addr add $PYD4/24 dev eth0
	nsx srv ip addr add $SRVP4/24 dev eth0
	nsx srv ip addr add $CLOSED4/24 dev eth0
	nsx srv ip addr add $FWDROP4/24 dev eth0
	nsx srv ip addr add $FWREJ4/24 dev eth0
	nsx r2 ip addr add $TGT4/24 dev lan0
	nsx srv ip route add default via $R2_LAN4
	if [ "$IPV6" = 1 ]; then
		nsx cli ip -6 addr add $CLI6/64 dev eth0 nodad
		nsx cli ip -6 route add default via $R1_LAN6
		nsx r1 ip -6 addr add $R1_LAN6/64 dev lan0 nodad
		nsx r1 ip -6 addr add $R1_WAN6/64 dev wan0 nodad
		nsx r1 ip -6 route add 2001:db8:203::/64 via $R2_WAN6
		nsx r2 ip -6 addr add $R2_WAN6/64 dev wan0 nodad
		nsx r2 ip -6 addr add $R2_LAN6/64 dev lan0 nodad
		nsx r2 ip -6 route add 2001:db8:1::/64 via $R1_WAN6
		nsx srv ip -6 addr add $SRV6/64 dev eth0 nodad
		nsx srv ip -6 route add default via $R2_LAN6
	fi

	r1_rules | nsx r1 nft -f -
	r2_rules | nsx r2 nft -f -
	[ "$CLI_FW" = none ] || cli_rules | nsx cli nft -f -
	if declare -F "topo_$SCEN" >/dev/null; then "topo_$SCEN"; fi
}

# the client host's own firewall
cli_rules() {
	echo 'table inet ftpsl {'
	echo '  chain lab_in { type filter hook input priority filter; policy accept;'
	[ "$CLI_FW" = reset-active ] && echo "    tcp dport $((ACT_BASE + 1))-$((ACT_BASE + 99)) ct state new reject with tcp reset"
	echo '  }'
	echo '}'
}

r1_rules() {
	echo 'table inet ftpsl {'
	# The kernel attaches no helper by itself any more: a `ct helper` object
	# and a rule assigning it to the control connection do.  Without the
	# helper, the router is the same minus this rule.
	echo '  ct helper ftp-std { type "ftp" protocol tcp; l3proto ip; }'
	echo '  chain lab_pre { type filter hook prerouting priority filter; policy accept;'
	[ "$R1_HELPER" = 1 ] && echo '    iifname "lan0" meta nfproto ipv4 tcp dport 21 ct helper set "ftp-std"'
	echo '  }'
	echo '  chain lab_fwd { type filter hook forward priority filter; policy accept;'
	# a client-side firewall that rejects connections opened from outside
	[ "$R1_FW" = reject-inbound ] && echo '    iifname "wan0" oifname "lan0" ct state new meta l4proto tcp reject with tcp reset'
	[ "$R1_FW" = drop-inbound ] && echo '    iifname "wan0" oifname "lan0" ct state new meta l4proto tcp drop'
	# a middlebox that drops one command of the control connection: the
	# first 4 bytes of the TCP payload (@ih: after the TCP header, whatever
	# its options) are "RETR"
	[ "$R1_FW" = drop-retr ] && echo '    iifname "lan0" tcp dport 21 @ih,0,32 0x52455452 drop'
	echo '  }'
	echo '  chain lab_post { type nat hook postrouting priority srcnat; policy accept;'
	[ "$R1_MODE" = nat ] && echo '    oifname "wan0" meta nfproto ipv4 masquerade'
	echo '  }'
	echo '}'
}

r2_rules() {
	echo 'table inet ftpsl {'
	echo '  chain lab_pre { type nat hook prerouting priority dstnat; policy accept;'
	# port forwarding of the control port and the one passive port
	[ "$R2_MODE" = dnat ] && echo "    iifname \"wan0\" ip daddr $R2_WAN4 tcp dport { 21, $PASV_PORT } dnat ip to $SRVP4"
	echo '  }'
	# the FTP helper on the server's router: it rewrites the private
	# address in the server's 227 to the forwarded public one
	echo '  ct helper ftp-std { type "ftp" protocol tcp; l3proto ip; }'
	echo '  chain lab_helper { type filter hook prerouting priority filter; policy accept;'
	[ "$R2_HELPER" = 1 ] && echo '    iifname "wan0" meta nfproto ipv4 tcp dport 21 ct helper set "ftp-std"'
	echo '  }'
	echo '  chain lab_fwd { type filter hook forward priority filter; policy accept;'
	# a server-side firewall that silently drops the passive port range
	has_word "$R2_FW" drop-pasv && echo "    iifname \"wan0\" tcp dport $PASV_PORT drop"
	# firewalls in front of the control port: silent drop, ICMP reject
	has_word "$R2_FW" drop-ctl && echo "    iifname \"wan0\" ip daddr $FWDROP4 tcp dport 21 drop"
	has_word "$R2_FW" reject-ctl && echo "    iifname \"wan0\" ip daddr $FWREJ4 tcp dport 21 reject with icmp type admin-prohibited"
	# the passive port rejected with ICMP admin-prohibited
	has_word "$R2_FW" reject-pasv && echo "    iifname \"wan0\" ip daddr $SRV4 tcp dport $PASV_PORT reject with icmp type admin-prohibited"
	echo '  }'
	echo '}'
}

# ---- servers ----------------------------------------------------------------------
# The run's work directory: FTP roots, configs, certificate, logs.
prepare_files() {
	mkdir -p "$W"/root/incoming "$W"/empty "$W"/client/home
	chmod 755 "$W" "$W"/root "$W"/empty
	chown ftp "$W"/root/incoming 2>/dev/null || chmod 777 "$W"/root/incoming
	# small files keep every capture well under 50 KB
	head -c 2048 /dev/urandom >"$W"/root/small.bin
	head -c 1500 /dev/urandom >"$W"/root/a.bin
	head -c 1000 /dev/urandom >"$W"/root/b.bin
	head -c 700 /dev/urandom >"$W"/root/c.bin
	head -c 1200 /dev/urandom >"$W"/client/upload.bin
	chmod 644 "$W"/root/*.bin
}

vsftpd_conf() { # ADDR VARIANT(plain|pasv-address|tls|ipv6) CONF
	local addr=$1 variant=$2 conf=$3
	{
		if [ "$variant" = ipv6 ]; then
			echo "listen=NO"; echo "listen_ipv6=YES"; echo "listen_address6=$addr"
		else
			echo "listen=YES"; echo "listen_ipv6=NO"; echo "listen_address=$addr"
		fi
		cat <<EOF
listen_port=21
background=NO
anonymous_enable=YES
no_anon_password=YES
local_enable=NO
anon_root=$W/root
ftp_username=ftp
write_enable=YES
anon_upload_enable=YES
anon_umask=022
connect_from_port_20=YES
port_enable=YES
port_promiscuous=NO
pasv_enable=YES
pasv_promiscuous=NO
pasv_min_port=$PASV_PORT
pasv_max_port=$PASV_PORT
accept_timeout=5
connect_timeout=5
data_connection_timeout=10
idle_session_timeout=$([ "$variant" = idle ] && echo $IDLE_TIMEOUT || echo 30)
secure_chroot_dir=$W/empty
seccomp_sandbox=NO
xferlog_enable=YES
log_ftp_protocol=YES
vsftpd_log_file=$W/vsftpd-$addr.log
dual_log_enable=NO
syslog_enable=NO
hide_ids=YES
use_localtime=NO
EOF
		case $variant in
		pasv-address) echo "pasv_address=$R2_WAN4"; echo "pasv_addr_resolve=NO" ;;
		# the server paces each download (bytes/s, set by the scenario)
		slow) echo "anon_max_rate=${VSFTPD_MAX_RATE:-20000}" ;;
		tls)
			cat <<EOF
ssl_enable=YES
allow_anon_ssl=YES
force_anon_logins_ssl=NO
force_anon_data_ssl=NO
require_ssl_reuse=NO
ssl_tlsv1=NO
ssl_sslv2=NO
ssl_sslv3=NO
rsa_cert_file=$W/cert.pem
rsa_private_key_file=$W/key.pem
EOF
			;;
		esac
	} >"$conf"
}

wait_listen() { # ADDR PORT
	local i
	for i in $(seq $((SERVER_WAIT * 10))); do
		nsx srv ss -Hltn "sport = :$2" 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	die "no server listening on $1:$2 after ${SERVER_WAIT}s (see $W)"
}
wait_listen_in() { # NS ADDR PORT: that exact address and port
	local i
	for i in $(seq $((SERVER_WAIT * 10))); do
		nsx "$1" ss -Hltn "src = $2 and sport = :$3" 2>/dev/null | grep -q . && return 0
		sleep 0.1
	done
	die "nothing listening on $2:$3 in $1 after ${SERVER_WAIT}s (see $W)"
}

start_servers() {
	local s kind addr variant conf
	for s in "${SERVERS[@]}"; do
		IFS=: read -r kind addr variant <<<"$s"
		addr=${addr//_/:}   # IPv6 addresses are written with _ in SERVERS
		case $kind in
		vsftpd)
			if [ "$variant" = tls ] && [ ! -e "$W/cert.pem" ]; then
				timeout 30 openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=ftps.lab.invalid" \
					-keyout "$W/key.pem" -out "$W/cert.pem" >/dev/null 2>&1 || die "openssl req failed"
			fi
			conf="$W/vsftpd-${addr//:/_}.conf"
			vsftpd_conf "$addr" "$variant" "$conf"
			ip netns exec "$P-srv" vsftpd "$conf" >"$W/vsftpd-${addr//:/_}.out" 2>&1 &
			;;
		pyftpd)
			local -a pyargs=()
			case $variant in
			"") ;;
			user) pyargs=(--user "$FTP_USER:$FTP_PASS" --auth-failed-delay 0.1) ;;
			advertise-wrong-port) pyargs=(--advertise-port $((PASV_PORT + 1))) ;;
			*) pyargs=(--$variant) ;;
			esac
			ip netns exec "$P-srv" "$PY" "$LAB_DIR/pyftpd.py" --addr "$addr" --root "$W/root" --passive-port $PASV_PORT \
				--active-timeout 4 "${pyargs[@]}" >"$W/pyftpd-$addr.log" 2>&1 &
			;;
		*) die "unknown server $s" ;;
		esac
	done
	# the third host's open ports (in r2, on TGT4)
	if [ -n "$R2_LISTEN" ]; then
		ip netns exec "$P-r2" "$PY" "$LAB_DIR/ftpscript.py" discard --addr $TGT4 --ports "${R2_LISTEN// /,}" >"$W/discard.log" 2>&1 &
	fi
	for s in "${SERVERS[@]}"; do
		IFS=: read -r kind addr variant <<<"$s"
		wait_listen "${addr//_/:}" 21
	done
	local p
	for p in $R2_LISTEN; do wait_listen_in r2 $TGT4 "$p"; done
}

# ---- captures ---------------------------------------------------------------------
start_captures() { # DIR
	local dir=$1 point ns ifc i
	for point in "${POINTS[@]}"; do
		case $point in
		client-lan) ns=r1 ifc=lan0 ;;
		nat-outside) ns=r1 ifc=wan0 ;;
		server-outside) ns=r2 ifc=wan0 ;;
		server-lan) ns=r2 ifc=lan0 ;;
		*) read -r ns ifc <<<"${EXTRA_POINT_AT[$point]}" ;;
		esac
		# -U: write each packet as it comes, so a stop loses nothing
		# started with ip netns exec directly (no function, no subshell), so
		# that $! is tcpdump itself and a stop reaches it.  --immediate-mode:
		# without it libpcap hands packets over in blocks that close only
		# after a timeout, and the last block is lost when tcpdump stops;
		# -U: each packet is written to the file as it comes.
		ip netns exec "$P-$ns" tcpdump -i $ifc -n --immediate-mode -U -s 0 -Z root -w "$dir/$point.pcap" 2>"$W/tcpdump-$point.err" &
		CAP_PIDS+=($!); CAP_NAMES+=("$point")
	done
	for i in "${!CAP_PIDS[@]}"; do
		for _ in $(seq 50); do
			grep -q 'listening on' "$W/tcpdump-${CAP_NAMES[$i]}.err" 2>/dev/null && break
			alive "${CAP_PIDS[$i]}" || die "tcpdump ${CAP_NAMES[$i]} exited: $(cat "$W/tcpdump-${CAP_NAMES[$i]}.err")"
			sleep 0.05
		done
		grep -q 'listening on' "$W/tcpdump-${CAP_NAMES[$i]}.err" || die "tcpdump ${CAP_NAMES[$i]} did not start"
	done
	# ftpsniff's own live capture beside tcpdump on the client LAN, when the
	# test asks for it (FTPSNIFF_LAB_LIVE=path of the binary): its streamed
	# verdicts, its -w file and its report at SIGINT are checked against
	# tcpdump's capture.
	if [ -n "${FTPSNIFF_LAB_LIVE:-}" ]; then
		LIVE_DIR=$dir
		ip netns exec "$P-r1" "$FTPSNIFF_LAB_LIVE" -i lan0 -F json --fail-on error -w "$dir/live.pcap" >"$dir/live.json" 2>"$dir/live.err" &
		LIVE_PID=$!
		for _ in $(seq 200); do
			grep -q 'capturing on' "$dir/live.err" 2>/dev/null && break
			alive "$LIVE_PID" || die "ftpsniff -i lan0 exited: $(cat "$dir/live.err")"
			sleep 0.05
		done
		grep -q 'capturing on' "$dir/live.err" || die "ftpsniff -i lan0 did not start"
		# and both sides of r1 at once, compared live
		ip netns exec "$P-r1" "$FTPSNIFF_LAB_LIVE" --point inside=iface:lan0 --point outside=iface:wan0 -F json \
			>"$dir/live-alg.json" 2>"$dir/live-alg.err" &
		LIVE2_PID=$!
		for _ in $(seq 200); do
			[ "$(grep -c 'capturing on' "$dir/live-alg.err" 2>/dev/null)" = 2 ] && break
			alive "$LIVE2_PID" || die "ftpsniff --point inside=iface:lan0 ... exited: $(cat "$dir/live-alg.err")"
			sleep 0.05
		done
		# a slow start must not let the steps begin unseen (it once did,
		# under load: the outside missed the first session)
		[ "$(grep -c 'capturing on' "$dir/live-alg.err" 2>/dev/null)" = 2 ] || die "ftpsniff --point inside=iface:lan0 --point outside=iface:wan0 did not start in 10 s"
	fi
}

# ---- client steps -----------------------------------------------------------------
# A step is one client run in the client namespace (one FTP session, or none
# if it fails before connecting).  step NAME CLIENT SERVER EXPECT -- CMD...
# EXPECT is ok or fail: what the scenario's configuration makes happen.
NSTEP=0
STEPS_TSV=""
MISMATCH=0
step() {
	local name=$1 client=$2 server=$3 expect=$4; shift 5
	NSTEP=$((NSTEP + 1))
	local t0 t1 rc=0 pid
	t0=$(date +%s.%N)
	{
		printf '=== step %d %s (%s -> %s, expect %s)\n' "$NSTEP" "$name" "$client" "$server" "$expect"
		printf '$'; printf ' %q' "$@"; printf '\n'
	} >>"$CLOG"
	# background + wait: a signal to lab.sh interrupts the wait at once
	( cd "$W/client" && export HOME="$W/client/home" && "$@" ) >>"$CLOG" 2>&1 &
	pid=$!
	wait $pid || rc=$?
	t1=$(date +%s.%N)
	local secs; secs=$(awk "BEGIN{printf \"%.3f\", $t1 - $t0}")
	printf '=== exit %d after %ss\n\n' "$rc" "$secs" >>"$CLOG"
	local got=ok; [ $rc = 0 ] || got=fail
	if [ "$got" != "$expect" ]; then
		MISMATCH=1
		log "step $NSTEP $name: expected $expect, client exited $rc after ${secs}s (MISMATCH)"
	else
		log "step $NSTEP $name: $got (exit $rc, ${secs}s)"
	fi
	local cmd; cmd=$(printf '%q ' "$@")
	STEPS_TSV+="$NSTEP	$name	$client	$server	$expect	$rc	$secs	${cmd% }"$'\n'
	# let the last FINs and ACKs reach every capture point before the next session
	sleep 0.3
}

# in_cli CMD...: run CMD in the client namespace, bounded by STEP_TIMEOUT
# (the real command line goes to the client log first, so a person can rerun it)
in_cli() {
	printf '+ ip netns exec %s' "$P-cli"; printf ' %q' "$@"; printf '\n'
	ip netns exec "$P-cli" timeout -k 2 "$STEP_TIMEOUT" "$@"
}

CURL=(curl -sS --connect-timeout 3 -m 8 --user anonymous:lab@ftpsl.invalid)
curl_get() { # URL [options...]: download to the step's file
	local url=$1; shift
	in_cli "${CURL[@]}" "$@" -o "step$NSTEP.out" "$url"
}
LFTP_SET='set cmd:fail-exit yes; set cmd:interactive no; set net:timeout 3; set net:max-retries 1;'\
' set net:reconnect-interval-base 1; set net:reconnect-interval-max 1; set net:persist-retries 0;'\
' set ftp:ssl-allow no; set xfer:clobber yes; set ftp:fix-pasv-address no; set ftp:use-site-utime no;'\
' set ftp:use-site-utime2 no; set ftp:use-mdtm no; set ftp:use-size no; set ftp:use-feat no'
lftp_run() { # HOST SETTINGS COMMANDS (@N@ in COMMANDS becomes the step number)
	in_cli lftp -c "$LFTP_SET; $2; open -u anonymous,lab@ftpsl.invalid ftp://$1; ${3//@N@/$NSTEP}"
}
LFTP_TLS='set ftp:ssl-allow yes; set ftp:ssl-force yes; set ftp:ssl-auth TLS; set ssl:verify-certificate no; set ftp:ssl-protect-data yes; set ftp:use-feat yes'
splitport() { in_cli "$PY" "$LAB_DIR/splitport.py" "$@"; }
ftpscript() { in_cli "$PY" "$LAB_DIR/ftpscript.py" "$@"; }
# the same with SACK off in the client namespace for this one connection
splitport_nosack() {
	ip netns exec "$P-cli" sysctl -q -w net.ipv4.tcp_sack=0 >/dev/null
	local rc=0
	splitport "$@" || rc=$?
	ip netns exec "$P-cli" sysctl -q -w net.ipv4.tcp_sack=1 >/dev/null
	return $rc
}
act_port() { echo $((ACT_BASE + NSTEP + 1)); }   # the port of the step about to run

# ---- scenarios --------------------------------------------------------------------
SCENARIOS=(s1-direct s2-nat-alg-active s3-nat-noalg-active s4-nat-noalg-passive
	s5-dnat-private-227 s5b-dnat-pasv-address s5c-dnat-alg s6-fw-drop-passive s6b-fw-reset-active s6c-fw-drop-active
	s7-ipv6 s8-ftps-nat-alg s9-mixed-session s10-split-port
	s11-control-refused s12-idle-timeout s13-control-stall s14-login-failures s15-bounce-scan
	s16-ftps-dnat s16b-ftps-direct s17-fw-reject-variants)

# conf_NAME sets the knobs; steps_NAME runs the clients.
conf_s1-direct() {
	DESC="no NAT: passive and active, curl and lftp, all succeed"
	SERVERS=("vsftpd:$SRV4:plain")
}
steps_s1-direct() {
	step curl-pasv curl vsftpd ok -- curl_get ftp://$SRV4/small.bin --disable-epsv
	step curl-port curl vsftpd ok -- curl_get ftp://$SRV4/small.bin -P "$CLI4:$(act_port)" --disable-eprt
	step lftp-pasv lftp vsftpd ok -- lftp_run $SRV4 'set ftp:passive-mode on; set ftp:prefer-epsv no' 'get small.bin -o step@N@.out'
	step lftp-port lftp vsftpd ok -- lftp_run $SRV4 "set ftp:passive-mode off; set ftp:port-range $(act_port)-$(act_port)" 'get small.bin -o step@N@.out'
}

conf_s2-nat-alg-active() {
	DESC="client behind NAT with the FTP helper, active: PORT/EPRT rewritten to the NAT's address, transfers succeed"
	R1_MODE=nat; R1_HELPER=1
	SERVERS=("vsftpd:$SRV4:plain")
}
steps_s2-nat-alg-active() {
	step curl-port curl vsftpd ok -- curl_get ftp://$SRV4/small.bin -P "$CLI4:$(act_port)" --disable-eprt
	step curl-eprt curl vsftpd ok -- curl_get ftp://$SRV4/small.bin -P "$CLI4:$(act_port)"
	step lftp-port lftp vsftpd ok -- lftp_run $SRV4 "set ftp:passive-mode off; set ftp:port-range $(act_port)-$(act_port)" 'get small.bin -o step@N@.out'
}

conf_s3-nat-noalg-active() {
	DESC="client behind NAT without the helper, active: vsftpd rejects PORT (500); pyftpdlib permitting foreign addresses connects to the private address, its SYN never arrives; default pyftpdlib refuses (501)"
	R1_MODE=nat
	SERVERS=("vsftpd:$SRV4:plain" "pyftpd:$PYF4:permit-foreign" "pyftpd:$PYD4:")
}
steps_s3-nat-noalg-active() {
	step curl-port-vsftpd curl vsftpd fail -- curl_get ftp://$SRV4/small.bin -P "$CLI4:$(act_port)" --disable-eprt
	step curl-port-pyftpd-permit curl pyftpdlib-permit-foreign fail -- curl_get ftp://$PYF4/small.bin -P "$CLI4:$(act_port)" --disable-eprt
	step curl-port-pyftpd-default curl pyftpdlib fail -- curl_get ftp://$PYD4/small.bin -P "$CLI4:$(act_port)" --disable-eprt
}

conf_s4-nat-noalg-passive() {
	DESC="client behind NAT without the helper, passive (PASV and EPSV): transfers succeed"
	R1_MODE=nat
	SERVERS=("vsftpd:$SRV4:plain")
}
steps_s4-nat-noalg-passive() {
	step curl-pasv curl vsftpd ok -- curl_get ftp://$SRV4/small.bin --disable-epsv
	step curl-epsv curl vsftpd ok -- curl_get ftp://$SRV4/small.bin
	step lftp-pasv lftp vsftpd ok -- lftp_run $SRV4 'set ftp:passive-mode on; set ftp:prefer-epsv no' 'get small.bin -o step@N@.out'
}

conf_s5-dnat-private-227() {
	DESC="server behind port forwarding (DNAT) advertising its private address in 227: trusting clients fail, clients ignoring the 227 address succeed"
	R1_MODE=nat; R2_MODE=dnat
	SERVERS=("vsftpd:$SRVP4:plain")
}
steps_s5-dnat-private-227() {
	step curl-pasv-trust curl vsftpd fail -- curl_get ftp://$R2_WAN4/small.bin --disable-epsv --no-ftp-skip-pasv-ip
	step curl-pasv-skip curl vsftpd ok -- curl_get ftp://$R2_WAN4/small.bin --disable-epsv --ftp-skip-pasv-ip
	step lftp-pasv-ignore lftp vsftpd ok -- lftp_run $R2_WAN4 'set ftp:passive-mode on; set ftp:prefer-epsv no; set ftp:ignore-pasv-address yes' 'get small.bin -o step@N@.out'
	step lftp-pasv-trust lftp vsftpd fail -- lftp_run $R2_WAN4 'set ftp:passive-mode on; set ftp:prefer-epsv no; set ftp:ignore-pasv-address no' 'get small.bin -o step@N@.out'
}

conf_s5b-dnat-pasv-address() {
	DESC="server behind port forwarding with vsftpd pasv_address set: the 227 carries the public address, trusting clients succeed"
	R1_MODE=nat; R2_MODE=dnat
	SERVERS=("vsftpd:$SRVP4:pasv-address")
}
steps_s5b-dnat-pasv-address() {
	step curl-pasv-trust curl vsftpd ok -- curl_get ftp://$R2_WAN4/small.bin --disable-epsv --no-ftp-skip-pasv-ip
	step lftp-pasv-trust lftp vsftpd ok -- lftp_run $R2_WAN4 'set ftp:passive-mode on; set ftp:prefer-epsv no; set ftp:ignore-pasv-address no' 'get small.bin -o step@N@.out'
}

conf_s5c-dnat-alg() {
	DESC="server behind port forwarding advertising its private address, with the kernel FTP helper on its router: the 227 is rewritten to the public address, trusting clients succeed"
	R1_MODE=nat; R2_MODE=dnat; R2_HELPER=1
	SERVERS=("vsftpd:$SRVP4:plain")
}
steps_s5c-dnat-alg() {
	step curl-pasv-trust curl vsftpd ok -- curl_get ftp://$R2_WAN4/small.bin --disable-epsv --no-ftp-skip-pasv-ip
	step lftp-pasv-trust lftp vsftpd ok -- lftp_run $R2_WAN4 'set ftp:passive-mode on; set ftp:prefer-epsv no; set ftp:ignore-pasv-address no' 'get small.bin -o step@N@.out'
}

conf_s6-fw-drop-passive() {
	DESC="a server-side firewall drops the passive port: the client's SYN goes unanswered; curl times out, vsftpd answers 425 to lftp"
	R1_MODE=nat; R2_FW=drop-pasv
	SERVERS=("vsftpd:$SRV4:plain")
}
steps_s6-fw-drop-passive() {
	step curl-pasv curl vsftpd fail -- curl_get ftp://$SRV4/small.bin --disable-epsv
	step lftp-pasv lftp vsftpd fail -- lftp_run $SRV4 'set ftp:passive-mode on; set ftp:prefer-epsv no' 'get small.bin -o step@N@.out'
}

conf_s6b-fw-reset-active() {
	DESC="a client-side firewall rejects the server's active data connection with a TCP reset: vsftpd answers 425"
	R1_FW=reject-inbound
	SERVERS=("vsftpd:$SRV4:plain")
}
steps_s6b-fw-reset-active() {
	step curl-port curl vsftpd fail -- curl_get ftp://$SRV4/small.bin -P "$CLI4:$(act_port)" --disable-eprt
	step lftp-port lftp vsftpd fail -- lftp_run $SRV4 "set ftp:passive-mode off; set ftp:port-range $(act_port)-$(act_port)" 'get small.bin -o step@N@.out'
}

conf_s6c-fw-drop-active() {
	DESC="a client-side firewall silently drops the server's active data connection: vsftpd's SYNs go unanswered, it answers 425 after its connect timeout"
	R1_FW=drop-inbound
	SERVERS=("vsftpd:$SRV4:plain")
}
steps_s6c-fw-drop-active() {
	step curl-port curl vsftpd fail -- curl_get ftp://$SRV4/small.bin -P "$CLI4:$(act_port)" --disable-eprt
	step lftp-port lftp vsftpd fail -- lftp_run $SRV4 "set ftp:passive-mode off; set ftp:port-range $(act_port)-$(act_port)" 'get small.bin -o step@N@.out'
}

conf_s7-ipv6() {
	DESC="IPv6 without NAT: EPSV and EPRT, curl and lftp, all succeed"
	IPV6=1
	SERVERS=("vsftpd:${SRV6//:/_}:ipv6")
}
steps_s7-ipv6() {
	step curl-epsv6 curl vsftpd ok -- curl_get "ftp://[$SRV6]/small.bin"
	step curl-eprt6 curl vsftpd ok -- curl_get "ftp://[$SRV6]/small.bin" -P "[$CLI6]:$(act_port)"
	step lftp-epsv6 lftp vsftpd ok -- lftp_run "[$SRV6]" 'set ftp:passive-mode on' 'get small.bin -o step@N@.out'
	step lftp-eprt6 lftp vsftpd ok -- lftp_run "[$SRV6]" "set ftp:passive-mode off; set ftp:port-range $(act_port)-$(act_port)" 'get small.bin -o step@N@.out'
}

conf_s8-ftps-nat-alg() {
	DESC="explicit FTPS (AUTH TLS) through NAT with the helper: active fails (the helper cannot see the encrypted PORT), passive succeeds"
	R1_MODE=nat; R1_HELPER=1
	SERVERS=("vsftpd:$SRV4:tls")
}
steps_s8-ftps-nat-alg() {
	# curl's command line cannot choose AUTH TLS: it sends AUTH SSL (same RFC 4217 upgrade)
	step curl-ftps-port curl vsftpd fail -- curl_get ftp://$SRV4/small.bin --ssl-reqd -k -P "$CLI4:$(act_port)" --disable-eprt
	step curl-ftps-pasv curl vsftpd ok -- curl_get ftp://$SRV4/small.bin --ssl-reqd -k --disable-epsv
	# lftp sends AUTH TLS
	step lftp-ftps-port lftp vsftpd fail -- lftp_run $SRV4 "$LFTP_TLS; set ftp:passive-mode off; set ftp:port-range $(act_port)-$(act_port)" 'get small.bin -o step@N@.out'
	step lftp-ftps-pasv lftp vsftpd ok -- lftp_run $SRV4 "$LFTP_TLS; set ftp:passive-mode on; set ftp:prefer-epsv no" 'get small.bin -o step@N@.out'
}

conf_s9-mixed-session() {
	DESC="one session with LIST, STOR and several RETRs mixing PASV and EPSV, client behind NAT without helper"
	R1_MODE=nat
	SERVERS=("vsftpd:$SRV4:plain")
}
steps_s9-mixed-session() {
	# FEAT on, so that lftp knows EPSV is there; prefer-epsv switches per transfer
	step lftp-session lftp vsftpd ok -- lftp_run $SRV4 'set ftp:use-feat yes; set ftp:passive-mode on; set ftp:prefer-epsv yes' \
		'ls >/dev/null; put upload.bin -o incoming/upload.bin; get a.bin -o step@N@-a.out; set ftp:prefer-epsv no; get b.bin -o step@N@-b.out; set ftp:prefer-epsv yes; get c.bin -o step@N@-c.out; set ftp:prefer-epsv no; get small.bin -o step@N@-d.out'
}

conf_s10-split-port() {
	DESC="a PORT command written in two TCP segments through NAT with the helper"
	R1_MODE=nat; R1_HELPER=1
	SERVERS=("vsftpd:$SRV4:plain")
}
steps_s10-split-port() {
	local sp=(--server "$SRV4" --local "$CLI4" --file small.bin)
	# "PO", 1 s pause (longer than the retransmission timeout): the helper drops
	# the partial segment, TCP (cwnd 1 after the timeout) only retransmits "PO",
	# the rest never leaves the client: the session stalls
	step split-po-pause splitport vsftpd fail -- splitport "${sp[@]}" --data-port "$(act_port)" --split 2 --pause 1.0 --timeout 4
	# "PO", 50 ms pause: the rest goes out unrewritten and is SACKed by the
	# server; Linux never merges a retransmission with a SACKed segment, so "PO"
	# alone is retransmitted and dropped again: the session stalls
	step split-po-sack splitport vsftpd fail -- splitport "${sp[@]}" --data-port "$(act_port)" --split 2 --pause 0.05 --timeout 4
	# the same without SACK: the retransmission carries the whole line, the
	# helper rewrites it (22 -> 26 bytes), the transfer succeeds
	step split-po-nosack splitport vsftpd ok -- splitport_nosack "${sp[@]}" --data-port "$(act_port)" --split 2 --pause 0.05 --timeout 4
	# split inside the address ("PORT 10,1,0,2" + ",156,68"), no SACK: same
	step split-mid-nosack splitport vsftpd ok -- splitport_nosack "${sp[@]}" --data-port "$(act_port)" --split 13 --pause 0.05 --timeout 4
}

conf_s11-control-refused() {
	DESC="control connections that never start: nothing listens on the server address (the server host answers RST), r2 silently drops port 21 (SYNs unanswered), r2 rejects port 21 with ICMP admin-prohibited"
	R1_MODE=nat
	R2_FW="drop-ctl reject-ctl"
	SERVERS=("vsftpd:$FWDROP4:plain" "vsftpd:$FWREJ4:plain")
}
steps_s11-control-refused() {
	step curl-closed curl none fail -- curl_get ftp://$CLOSED4/small.bin --disable-epsv
	# 2.5 s: the SYN and two retransmissions, 1 s apart (Linux >= 6.6 retries a
	# SYN at linear 1 s intervals, net.ipv4.tcp_syn_linear_timeouts=4)
	step curl-fw-drop curl vsftpd fail -- curl_get ftp://$FWDROP4/small.bin --disable-epsv --connect-timeout 2.5
	step curl-fw-reject curl vsftpd fail -- curl_get ftp://$FWREJ4/small.bin --disable-epsv
}

conf_s12-idle-timeout() {
	DESC="vsftpd ends idle sessions after 2 s with 421 Timeout. on its own: the client, idle 3 s after login (then PASV) or after PASV and its data connection (then RETR), finds the 421 waiting; the server host answers its late command with a RST"
	R1_MODE=nat
	SERVERS=("vsftpd:$SRV4:idle")
}
steps_s12-idle-timeout() {
	local login=(--server "$SRV4" 'USER anonymous' 'PASS lab@ftpsl.invalid' 'TYPE I')
	step idle-after-login ftpscript vsftpd fail -- ftpscript session "${login[@]}" '@sleep 3' 'PASV'
	step idle-after-pasv ftpscript vsftpd fail -- ftpscript session "${login[@]}" 'PASV' '@data' '@sleep 3' 'RETR small.bin'
}

conf_s13-control-stall() {
	DESC="a middlebox (r1) drops the client's RETR on the control connection: the client retransmits it, the server's ACKs stay below it and the server never sees it; the client gives up"
	R1_MODE=nat; R1_FW=drop-retr
	SERVERS=("vsftpd:$SRV4:plain")
}
steps_s13-control-stall() {
	step curl-pasv-retr-dropped curl vsftpd fail -- curl_get ftp://$SRV4/small.bin --disable-epsv -m 4
}

# passwords a guesser tries (never the right one)
GUESSES1=123456,password,12345678,qwerty,123456789,12345,1234,111111,1234567,dragon,123123,baseball,abc123,football,monkey,letmein,696969,shadow,master,666666
GUESSES2=qwertyuiop,123321,mustang,michael,superman
conf_s14-login-failures() {
	DESC="password guessing from one client host, one session per password: 20 wrong passwords (530 each); then 5 more wrong ones and the right one (230)"
	R1_MODE=nat
	SERVERS=("pyftpd:$PYD4:user")
}
steps_s14-login-failures() {
	step guess-fail ftpscript pyftpdlib fail -- ftpscript logins --server "$PYD4" --user "$FTP_USER" --passwords "$GUESSES1"
	step guess-success ftpscript pyftpdlib ok -- ftpscript logins --server "$PYD4" --user "$FTP_USER" --passwords "$GUESSES2,$FTP_PASS"
}

conf_s15-bounce-scan() {
	DESC="FTP bounce scan: the client logs into pyftpdlib permitting foreign addresses and sends PORT for 20 successive ports (8000-8019) of a third host on the server LAN; 3 are open (200, LIST 125/226), 17 closed (425)"
	R1_MODE=route
	R2_LISTEN="8005 8010 8015"
	SERVERS=("pyftpd:$PYF4:permit-foreign")
}
steps_s15-bounce-scan() {
	step bounce-scan ftpscript pyftpdlib-permit-foreign ok -- ftpscript bounce --server "$PYF4" --target "$TGT4" --ports 8000-8019
}

conf_s16-ftps-dnat() {
	DESC="explicit FTPS to a server behind port forwarding advertising its private address, with the FTP helper on r2: the helper cannot rewrite the encrypted 227; trusting clients fail, clients ignoring the 227 address succeed"
	R1_MODE=nat; R2_MODE=dnat; R2_HELPER=1
	SERVERS=("vsftpd:$SRVP4:tls")
}
steps_s16-ftps-dnat() {
	step curl-ftps-pasv-trust curl vsftpd fail -- curl_get ftp://$R2_WAN4/small.bin --ssl-reqd -k --disable-epsv --no-ftp-skip-pasv-ip
	step curl-ftps-pasv-skip curl vsftpd ok -- curl_get ftp://$R2_WAN4/small.bin --ssl-reqd -k --disable-epsv --ftp-skip-pasv-ip
	step lftp-ftps-pasv-ignore lftp vsftpd ok -- lftp_run $R2_WAN4 "$LFTP_TLS; set ftp:passive-mode on; set ftp:prefer-epsv no; set ftp:ignore-pasv-address yes" 'get small.bin -o step@N@.out'
	step lftp-ftps-pasv-trust lftp vsftpd fail -- lftp_run $R2_WAN4 "$LFTP_TLS; set ftp:passive-mode on; set ftp:prefer-epsv no; set ftp:ignore-pasv-address no" 'get small.bin -o step@N@.out'
}

conf_s16b-ftps-direct() {
	DESC="explicit FTPS without NAT: curl passive (AUTH SSL), lftp passive and active (AUTH TLS), all succeed"
	SERVERS=("vsftpd:$SRV4:tls")
}
steps_s16b-ftps-direct() {
	step curl-ftps-pasv curl vsftpd ok -- curl_get ftp://$SRV4/small.bin --ssl-reqd -k --disable-epsv
	# no curl active step: curl 7.87/7.88 accepts the active data connection
	# but never starts TLS on it (curl issue #10666), and times out
	step lftp-ftps-pasv lftp vsftpd ok -- lftp_run $SRV4 "$LFTP_TLS; set ftp:passive-mode on; set ftp:prefer-epsv no" 'get small.bin -o step@N@.out'
	step lftp-ftps-port lftp vsftpd ok -- lftp_run $SRV4 "$LFTP_TLS; set ftp:passive-mode off; set ftp:port-range $(act_port)-$(act_port)" 'get small.bin -o step@N@.out'
}

conf_s17-fw-reject-variants() {
	DESC="the answer to a data connection's SYN comes from different places: the client host rejects the server's active connection (TCP reset), r2 rejects the passive port (ICMP admin-prohibited), the server host has nothing listening on the port its 227 names (RST)"
	CLI_FW=reset-active; R2_FW=reject-pasv
	SERVERS=("vsftpd:$SRV4:plain" "pyftpd:$PYD4:advertise-wrong-port")
}
steps_s17-fw-reject-variants() {
	step curl-port-client-reset curl vsftpd fail -- curl_get ftp://$SRV4/small.bin -P "$CLI4:$(act_port)" --disable-eprt
	step curl-pasv-icmp-prohibited curl vsftpd fail -- curl_get ftp://$SRV4/small.bin --disable-epsv
	step curl-pasv-port-closed curl pyftpdlib fail -- curl_get ftp://$PYD4/small.bin --disable-epsv
}

# More scenarios, one file each: lab/scenarios/NAME.sh adds NAME to
# SCENARIOS and defines conf_NAME and steps_NAME, and may define topo_NAME
# (run at the end of topo_up: its own namespaces, addresses, nftables
# tables or userspace middleboxes; everything it starts lives in the lab's
# namespaces, so cleanup stops it) and points_NAME (prints extra capture
# points, one "point namespace interface" per line, captured beside POINTS).
for f in "$LAB_DIR"/scenarios/*.sh; do
	[ -e "$f" ] || continue
	# shellcheck source=/dev/null
	. "$f"
done

load_scenario() {
	local s=$1
	declare -F "conf_$s" >/dev/null || die "unknown scenario '$s' (lab.sh list)"
	reset_knobs
	SCEN=$s
	"conf_$s"
	if declare -F "points_$s" >/dev/null; then
		local point ns ifc
		while read -r point ns ifc; do
			[ -n "$point" ] || continue
			POINTS+=("$point"); EXTRA_POINT_AT[$point]="$ns $ifc"
		done < <("points_$s")
	fi
}

# ---- facts ------------------------------------------------------------------------
write_facts() { # SCENARIO DIR
	SC=$1 DIR=$2 W=$W STEPS_TSV=$STEPS_TSV DESC=$DESC P=$P R1_MODE=$R1_MODE R1_HELPER=$R1_HELPER R1_FW=$R1_FW R2_HELPER=$R2_HELPER \
	R2_MODE=$R2_MODE R2_FW=$R2_FW IPV6=$IPV6 SERVERS="${SERVERS[*]}" POINTS="${POINTS[*]}" \
	CLI_FW=$CLI_FW R2_LISTEN="$R2_LISTEN" CLOSED4=$CLOSED4 FWDROP4=$FWDROP4 FWREJ4=$FWREJ4 TGT4=$TGT4 \
	CLI4=$CLI4 R1_LAN4=$R1_LAN4 R1_WAN4=$R1_WAN4 R2_WAN4=$R2_WAN4 SRV4=$SRV4 PYF4=$PYF4 PYD4=$PYD4 SRVP4=$SRVP4 \
	CLI6=$CLI6 SRV6=$SRV6 PASV_PORT=$PASV_PORT ACT_BASE=$ACT_BASE \
	"$PY" - <<'EOF'
import json, os
e = os.environ
steps = []
for line in e["STEPS_TSV"].splitlines():
    if not line.strip():
        continue
    n, name, client, server, expect, rc, secs, cmd = line.split("\t", 7)
    steps.append({"n": int(n), "name": name, "client": client, "server": server,
                  "expect": expect, "exit": int(rc), "seconds": float(secs), "cmd": cmd})
# tcpdump's own account at exit: "N packets captured", "N packets dropped by kernel"
import re
stats = {}
for p in e["POINTS"].split():
    st = {"captured": -1, "dropped_by_kernel": -1}
    try:
        txt = open(os.path.join(e["W"], "tcpdump-%s.err" % p)).read()
        m = re.search(r"(\d+) packets? captured", txt)
        if m: st["captured"] = int(m.group(1))
        m = re.search(r"(\d+) packets? dropped by kernel", txt)
        if m: st["dropped_by_kernel"] = int(m.group(1))
    except OSError:
        pass
    stats[p] = st
facts = {
    "scenario": e["SC"],
    "description": e["DESC"],
    "prefix": e["P"],
    "router1": {"mode": e["R1_MODE"], "ftp_helper": e["R1_HELPER"] == "1", "firewall": e["R1_FW"]},
    "router2": {"mode": e["R2_MODE"], "ftp_helper": e["R2_HELPER"] == "1", "firewall": e["R2_FW"],
                "target_open_ports": [int(p) for p in e["R2_LISTEN"].split()]},
    "client": {"firewall": e["CLI_FW"]},
    "ipv6": e["IPV6"] == "1",
    "servers": e["SERVERS"].split(),
    "addresses": {
        "client": e["CLI4"], "client_gateway": e["R1_LAN4"], "nat_outside": e["R1_WAN4"],
        "dnat_public": e["R2_WAN4"], "server_public": e["SRV4"], "server_private": e["SRVP4"],
        "pyftpd_permit_foreign": e["PYF4"], "pyftpd_default": e["PYD4"],
        "client6": e["CLI6"], "server6": e["SRV6"],
        "server_closed": e["CLOSED4"], "server_fw_drop": e["FWDROP4"],
        "server_fw_reject": e["FWREJ4"], "bounce_target": e["TGT4"],
    },
    "ports": {"pasv": int(e["PASV_PORT"]), "active_base": int(e["ACT_BASE"]),
              "active_note": "step N's active (PORT/EPRT) port is active_base+N"},
    "points": {p: p + ".pcap" for p in e["POINTS"].split()},
    "capture_stats": stats,
    "steps": steps,
}
with open(os.path.join(e["DIR"], "facts.json"), "w") as f:
    json.dump(facts, f, indent=1)
    f.write("\n")
EOF
}

# ---- commands ---------------------------------------------------------------------
cmd_list() {
	local s
	for s in "${SCENARIOS[@]}"; do load_scenario "$s"; printf '%-24s %s\n' "$s" "$DESC"; done
}

cmd_run() { # SCENARIO OUTDIR
	local sc=$1 out=$2
	check_root
	deps
	load_scenario "$sc"
	mkdir -p "$out/$sc"
	local dir; dir=$(cd "$out/$sc" && pwd)
	rm -f "$dir"/*.pcap "$dir"/facts.json "$dir"/clients.log
	gc
	P="ftpsl-$$"
	trap cleanup EXIT
	trap 'exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
	W=$(mktemp -d /tmp/ftpsl-$$.XXXXXX)
	CLOG="$dir/clients.log"
	: >"$CLOG"
	log "$sc: $DESC"
	log "namespaces $P-{cli,r1,r2,srv}, work dir $W"
	prepare_files
	topo_up
	start_servers
	start_captures "$dir"
	"steps_$sc"
	sleep 0.5
	stop_captures
	# keep the servers' own logs beside the captures
	cat "$W"/vsftpd-*.log "$W"/pyftpd-*.log "$W"/discard.log >"$dir/servers.log" 2>/dev/null || true
	# a userspace middlebox's own log (lab/algmangler.py), when there is one
	if [ -e "$W/algmangler.log" ]; then cp "$W/algmangler.log" "$dir/algmangler.log"; fi
	write_facts "$sc" "$dir"
	destroy "$P"
	P=""
	rm -rf "$W"
	log "$sc: done, captures in $dir"
	[ "$MISMATCH" = 0 ] || { log "$sc: some client outcomes differ from the scenario's expectation"; exit 4; }
}

cmd_up() { # SCENARIO
	local sc=$1
	check_root
	deps
	load_scenario "$sc"
	P="ftpsl-up$$"
	trap cleanup EXIT
	W=/tmp/$P
	mkdir -p "$W"
	prepare_files
	topo_up
	# servers outlive this script: start them in their own session
	local -a SERVERS_SAVE=("${SERVERS[@]}")
	start_servers
	disown -a
	KEEP_UP=1
	cat <<EOF
lab $P is up for scenario $sc: $DESC
  client:  ip netns exec $P-cli  bash       (10.1.0.2; curl, lftp)
  router1: ip netns exec $P-r1   bash       (nft list ruleset; tcpdump -i lan0 / -i wan0)
  router2: ip netns exec $P-r2   bash
  server:  ip netns exec $P-srv  bash       (servers: ${SERVERS_SAVE[*]}; files in $W/root)
  remove:  $0 down $P
EOF
}

cmd_down() { # [PREFIX]
	check_root
	if [ $# -ge 1 ]; then
		[[ $1 =~ ^ftpsl-(up)?[0-9]+$ ]] || die "not a lab prefix: $1"
		destroy "$1"; rm -rf "/tmp/$1"
	else
		local pfx
		for pfx in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -oE '^ftpsl-up[0-9]+' | sort -u || true); do
			destroy "$pfx"; rm -rf "/tmp/$pfx"
		done
	fi
	gc
}

main() {
	local cmd=${1:-help}
	shift || true
	case $cmd in
	list) cmd_list ;;
	deps) deps ;;
	run) [ $# = 2 ] || die "usage: lab.sh run SCENARIO OUTDIR"; cmd_run "$@" ;;
	all)
		[ $# = 1 ] || die "usage: lab.sh all OUTDIR"
		local s rc=0
		for s in "${SCENARIOS[@]}"; do "$0" run "$s" "$1" || rc=1; done
		exit $rc
		;;
	up) [ $# = 1 ] || die "usage: lab.sh up SCENARIO"; cmd_up "$1" ;;
	down) cmd_down "$@" ;;
	gc) check_root; gc ;;
	help | -h | --help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' ;;
	*) die "unknown command '$cmd' (lab.sh help)" ;;
	esac
}

main "$@"
