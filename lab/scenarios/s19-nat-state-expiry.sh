# s19-nat-state-expiry: the client's NAT (r1) forgets the idle control
# connection while a long, rate-limited download runs on the data connection.
SCENARIOS+=(s19-nat-state-expiry)
S19_CTL_TIMEOUT=3     # r1's conntrack established timeout for port 21 only (s)
S19_RATE=32000         # vsftpd anon_max_rate (bytes/s): 224 KB take about 5 s
conf_s19-nat-state-expiry() {
	DESC="client behind NAT whose conntrack forgets the control connection after ${S19_CTL_TIMEOUT} s of silence: vsftpd paces a passive download of 224 KB over ~5 s, the control connection is silent meanwhile; r1 answers the server's 226 with a RST in the client's name (it never reaches the client); the client gives up waiting and its FIN leaves r1 untranslated, unanswered"
	R1_MODE=nat
	VSFTPD_MAX_RATE=$S19_RATE
	SERVERS=("vsftpd:$SRV4:slow")
}
topo_s19-nat-state-expiry() {
	head -c 229376 /dev/urandom >"$W"/root/big.bin
	chmod 644 "$W"/root/big.bin
	# a ct timeout policy for the control connection only (established 3 s),
	# assigned when its first packet is seen from the LAN
	nsx r1 nft -f - <<NFT
table inet s19 {
  ct timeout ctl-short { protocol tcp; l3proto ip; policy = { established: $S19_CTL_TIMEOUT }; }
  chain pre { type filter hook prerouting priority filter; policy accept;
    iifname "lan0" tcp dport 21 ct state new ct timeout set "ctl-short"
  }
}
NFT
}
# curl waits for the 226 until its -m 8 runs out
steps_s19-nat-state-expiry() {
	step curl-pasv-slow curl vsftpd fail -- curl_get ftp://$SRV4/big.bin --disable-epsv
}
