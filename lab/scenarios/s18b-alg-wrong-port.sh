# s18b: the broken ALG (see s18-alg-wrong-address.sh) writes the NAT's
# address right and the port 50 too high; r1 forwards that port to the
# client, where nothing listens.
SCENARIOS+=(s18b-alg-wrong-port)
conf_s18b-alg-wrong-port() {
	DESC="a broken ALG on the client's NAT (r1) rewrites PORT's address right and its port 50 too high: vsftpd connects to that port, r1 forwards it to the client, which answers RST; vsftpd says 425"
	R1_MODE=nat
	SERVERS=("vsftpd:$SRV4:plain")
}
topo_s18b-alg-wrong-port() { alg_up r1 wrong-port $R1_WAN4; }
steps_s18b-alg-wrong-port() {
	step curl-port-vsftpd curl vsftpd fail -- curl_get ftp://$SRV4/small.bin -P "$CLI4:$(act_port)" --disable-eprt
}
