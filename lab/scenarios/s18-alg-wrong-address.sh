# s18*: a broken FTP "ALG" (lab/algmangler.py over NFQUEUE) on a router,
# without the kernel helper.  This file also holds what s18b/s18c/s18d share.
SCENARIOS+=(s18-alg-wrong-address)

ALG_QUEUE=17
ALG_WRONG_ADDR=198.51.100.77   # an address of r1's outside /24 nobody holds (another address of a NAT pool)

# alg_up ROUTER MODE ADDR: start the mangler on ROUTER (r1: the client's
# PORT; r2: the server's 227), writing ADDR.  The kernel here has no nftables
# queue expression, so iptables' NFQUEUE target (mangle table, priority -150:
# before r1's masquerade and r2's reverse translation, after conntrack) queues
# the control connection's lines and, coming back, the other direction's
# segments, whose acknowledgements the mangler shifts back.  On r1 a static
# DNAT of the outside address's ports ACT_BASE+1..+99 to the client stands in
# for the expectation a real helper opens for the port it wrote.
alg_up() {
	local r=$1 mode=$2 addr=$3 out=--dport in=--sport
	[ "$r" = r2 ] && out=--sport in=--dport
	nsx "$r" iptables-nft -t mangle -A POSTROUTING -o wan0 -p tcp $out 21 -j NFQUEUE --queue-num $ALG_QUEUE
	nsx "$r" iptables-nft -t mangle -A PREROUTING -i wan0 -p tcp $in 21 -j NFQUEUE --queue-num $ALG_QUEUE
	if [ "$r" = r1 ]; then
		{
			echo 'table ip ftpsl_alg {'
			echo '  chain actfwd { type nat hook prerouting priority dstnat; policy accept;'
			echo "    iifname \"wan0\" ip daddr $R1_WAN4 tcp dport $((ACT_BASE + 1))-$((ACT_BASE + 99)) dnat to $CLI4"
			echo '  }'
			echo '}'
		} | nsx r1 nft -f -
	fi
	# a device that rewrites lines without conntrack's window checks: the
	# server's acknowledgements of bytes the client never sent (no-seq-fix)
	# must still reach the client, translated, as through such a device
	sysctl_ns "$r" net.netfilter.nf_conntrack_tcp_be_liberal=1
	ip netns exec "$P-$r" "$PY" "$LAB_DIR/algmangler.py" --queue $ALG_QUEUE --mode "$mode" --addr "$addr" \
		--log "$W/algmangler.log" >"$W/algmangler.out" 2>&1 &
	local i
	for i in $(seq 50); do
		grep -q bound "$W/algmangler.log" 2>/dev/null && return 0
		sleep 0.1
	done
	die "algmangler did not start: $(cat "$W/algmangler.out")"
}

conf_s18-alg-wrong-address() {
	DESC="a broken ALG on the client's NAT (r1, no kernel helper) rewrites PORT to $ALG_WRONG_ADDR, an address nobody holds: vsftpd refuses the PORT (500); pyftpdlib permitting foreign addresses connects there, its SYN never leaves r2 (no ARP answer)"
	R1_MODE=nat
	SERVERS=("vsftpd:$SRV4:plain" "pyftpd:$PYF4:permit-foreign")
}
topo_s18-alg-wrong-address() { alg_up r1 wrong-addr $ALG_WRONG_ADDR; }
steps_s18-alg-wrong-address() {
	step curl-port-vsftpd curl vsftpd fail -- curl_get ftp://$SRV4/small.bin -P "$CLI4:$(act_port)" --disable-eprt
	step curl-port-pyftpd-permit curl pyftpdlib-permit-foreign fail -- curl_get ftp://$PYF4/small.bin -P "$CLI4:$(act_port)" --disable-eprt
}
