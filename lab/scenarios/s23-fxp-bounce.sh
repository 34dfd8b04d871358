# s23: FXP and bounce.  One client drives a server-to-server transfer
# (FXP): PASV on one pyftpdlib (203.0.113.11), PORT with that 227's address
# on another (203.0.113.14), both permitting foreign addresses: the second
# connects to the first and sends the file; the data connection runs
# between the two servers, on the server LAN only.  Then the same client
# makes the second server connect to port 21 of a third host (r2's
# 203.0.113.30, a listener that reads and discards): a bounce.
SCENARIOS+=(s23-fxp-bounce)
S23_SRC=203.0.113.14   # pyftpdlib permitting foreign addresses and privileged ports
conf_s23-fxp-bounce() {
	DESC="FXP: one client, PASV on pyftpdlib 203.0.113.11, PORT with its address on pyftpdlib 203.0.113.14 (both permit foreign addresses), which sends the file to the first; then PORT naming port 21 of a third host, accepted by 203.0.113.14, and LIST: a bounce"
	R1_MODE=nat
	R2_LISTEN="21"
	SERVERS=("pyftpd:$PYF4:permit-foreign")
}
topo_s23-fxp-bounce() {
	nsx srv ip addr add $S23_SRC/24 dev eth0
	ip netns exec "$P-srv" "$PY" "$LAB_DIR/pyftpd.py" --addr "$S23_SRC" --root "$W/root" --passive-port $PASV_PORT \
		--active-timeout 4 --permit-foreign --permit-privileged >"$W/pyftpd-$S23_SRC.log" 2>&1 &
	wait_listen_in srv $S23_SRC 21
}
steps_s23-fxp-bounce() {
	step fxp ftpscript pyftpdlib-permit-foreign ok -- ftpscript fxp --pasv-server "$PYF4" --port-server "$S23_SRC" --file small.bin --store incoming/fxp.bin
	step bounce-port-21 ftpscript pyftpdlib-permit-foreign ok -- ftpscript session --server "$S23_SRC" 'USER anonymous' 'PASS lab@ftpsl.invalid' \
		'PORT 203,0,113,30,0,21' 'LIST' '@reply' 'QUIT'
}
