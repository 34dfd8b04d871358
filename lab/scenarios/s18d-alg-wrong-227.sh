# s18d: the broken ALG (see s18-alg-wrong-address.sh) on the server's
# router r2 (port forwarding to the private vsftpd) rewrites the 227's
# address to r2's own inside address.
SCENARIOS+=(s18d-alg-wrong-227)
conf_s18d-alg-wrong-227() {
	DESC="a broken ALG on the server's router (r2, port forwarding) rewrites the private server's 227 to r2's inside address $R2_LAN4 instead of its public $R2_WAN4: the client connects there, r2 answers RST"
	R1_MODE=nat; R2_MODE=dnat
	SERVERS=("vsftpd:$SRVP4:plain")
}
topo_s18d-alg-wrong-227() { alg_up r2 wrong-227 $R2_LAN4; }
steps_s18d-alg-wrong-227() {
	step curl-pasv-trust curl vsftpd fail -- curl_get ftp://$R2_WAN4/small.bin --disable-epsv --no-ftp-skip-pasv-ip
}
