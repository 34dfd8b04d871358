# s22: a server on port 2121 behind a client router whose FTP helper is
# attached to port 21 only (the lab's standard rule: tcp dport 21 ct helper
# set "ftp-std", as nf_conntrack_ftp's default ports=21 and most ALGs).
# Active mode to the port-2121 server: the helper never reads its PORT, the
# private address goes out unrewritten, vsftpd answers 500 Illegal PORT.
# The same client to a port-21 server through the same router: the helper
# rewrites the PORT and the transfer works.  Passive to port 2121 works.
SCENARIOS+=(s22-helper-wrong-port)
S22_SRV=203.0.113.13   # vsftpd listening on port 2121
S22_PORT=2121
conf_s22-helper-wrong-port() {
	DESC="client NAT whose FTP helper watches port 21 only, a server on port 2121: active to 2121 fails (PORT not rewritten, vsftpd 500), active to a port-21 server through the same router works (rewritten), passive to 2121 works"
	R1_MODE=nat; R1_HELPER=1
	SERVERS=("vsftpd:$SRV4:plain")
}
topo_s22-helper-wrong-port() {
	nsx srv ip addr add $S22_SRV/24 dev eth0
	local conf="$W/vsftpd-$S22_SRV.conf"
	vsftpd_conf "$S22_SRV" plain "$conf"
	sed -i "s/^listen_port=21\$/listen_port=$S22_PORT/" "$conf"
	ip netns exec "$P-srv" vsftpd "$conf" >"$W/vsftpd-$S22_SRV.out" 2>&1 &
	wait_listen_in srv $S22_SRV $S22_PORT
}
steps_s22-helper-wrong-port() {
	step curl-port-2121 curl vsftpd-2121 fail -- curl_get ftp://$S22_SRV:$S22_PORT/small.bin -P "$CLI4:$(act_port)" --disable-eprt
	step curl-port-21 curl vsftpd ok -- curl_get ftp://$SRV4/small.bin -P "$CLI4:$(act_port)" --disable-eprt
	step curl-pasv-2121 curl vsftpd-2121 ok -- curl_get ftp://$S22_SRV:$S22_PORT/small.bin --disable-epsv
}
