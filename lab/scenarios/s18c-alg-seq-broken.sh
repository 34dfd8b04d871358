# s18c: the broken ALG (see s18-alg-wrong-address.sh) rewrites PORT right
# (4 bytes longer) but never shifts the later sequence and acknowledgement
# numbers.
SCENARIOS+=(s18c-alg-seq-broken)
conf_s18c-alg-seq-broken() {
	DESC="a broken ALG on the client's NAT (r1) rewrites PORT right, 4 bytes longer, without shifting later sequence and acknowledgement numbers: the server acknowledges bytes the client never sent, the client drops its replies, the control connection breaks"
	R1_MODE=nat
	SERVERS=("vsftpd:$SRV4:plain")
}
topo_s18c-alg-seq-broken() { alg_up r1 no-seq-fix $R1_WAN4; }
steps_s18c-alg-seq-broken() {
	step curl-port-vsftpd curl vsftpd fail -- curl_get ftp://$SRV4/small.bin -P "$CLI4:$(act_port)" --disable-eprt -m 4
	# a client that sends RETR right behind PORT: the RETR leaves unshifted,
	# 4 bytes below where the server expects the client's next byte; the
	# server takes those 4 bytes for a duplicate and reads the line cut
	local p; p=$(act_port)
	step pipelined-port-retr ftpscript vsftpd fail -- ftpscript session --server "$SRV4" --timeout 3 'USER anonymous' 'TYPE I' \
		"@send PORT ${CLI4//./,},$((p / 256)),$((p % 256))" 'RETR small.bin' @reply
}
