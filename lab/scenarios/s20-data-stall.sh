# s20-data-stall: a path MTU black hole on the data connection's way back.
SCENARIOS+=(s20-data-stall)
S20_MTU=1200          # the r1-r2 link's MTU
conf_s20-data-stall() {
	DESC="a path MTU black hole: the r1-r2 link's MTU is ${S20_MTU} and r2 sends no ICMP fragmentation-needed; a passive download's full-sized segments (1448 bytes) never cross r2, small segments do; the data connection stalls and curl gives up"
	R1_MODE=nat
	SERVERS=("vsftpd:$SRV4:plain")
}
topo_s20-data-stall() {
	head -c 262144 /dev/urandom >"$W"/root/big.bin
	chmod 644 "$W"/root/big.bin
	nsx r1 ip link set wan0 mtu $S20_MTU
	nsx r2 ip link set wan0 mtu $S20_MTU
	# segments as TCP sends them, not GSO super-packets, on every link
	local l
	for l in cli:eth0 r1:lan0 r1:wan0 r2:wan0 r2:lan0 srv:eth0; do
		nsx "${l%%:*}" ip link set "${l#*:}" gso_max_segs 1
	done
	# r2 sends no "fragmentation needed" (a filter drops its own ICMP errors)
	nsx r2 nft -f - <<NFT
table inet s20 {
  chain out { type filter hook output priority filter; policy accept;
    icmp type destination-unreachable icmp code frag-needed drop
  }
}
NFT
}
steps_s20-data-stall() {
	step curl-pasv-blackhole curl vsftpd fail -- curl_get ftp://$SRV4/big.bin --disable-epsv -m 5
}
