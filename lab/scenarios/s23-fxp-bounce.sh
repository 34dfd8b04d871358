# s23: FXP and bounce.  One client drives a server-to-server transfer
# (FXP): PASV on pyftpdlib 203.0.113.11 (server LAN), PORT with that 227's
# address on pyftpdlib 203.0.113.14, both permitting foreign addresses: the
# second connects to the first and sends the file.  203.0.113.14 is its own
# host (namespace srv2) on a second link of r2 (lan1, captured as
# server2-lan), so the data connection between the servers crosses r2:
# seen at server-lan and server2-lan, never on the client's side.  Then the
# same client makes 203.0.113.14 connect to port 21 of a third host (r2's
# 203.0.113.30, a listener that reads and discards): a bounce.
SCENARIOS+=(s23-fxp-bounce)
S23_SRC=203.0.113.14   # pyftpdlib permitting foreign addresses and privileged ports, in srv2
S23_LINK_R2=198.18.0.1 S23_LINK_SRV2=198.18.0.2   # the r2 lan1 - srv2 link
conf_s23-fxp-bounce() {
	DESC="FXP: one client, PASV on pyftpdlib 203.0.113.11, PORT with its address on pyftpdlib 203.0.113.14 (another host behind r2; both permit foreign addresses), which sends the file to the first; then PORT naming port 21 of a third host, accepted by 203.0.113.14, and LIST: a bounce"
	R1_MODE=nat
	R2_LISTEN="21"
	SERVERS=("pyftpd:$PYF4:permit-foreign")
}
topo_s23-fxp-bounce() {
	ip netns add "$P-srv2"
	nsx srv2 ip link set lo up
	sysctl_ns srv2 net.ipv6.conf.all.disable_ipv6=1
	sysctl_ns srv2 net.ipv6.conf.default.disable_ipv6=1
	ip -n "$P-r2" link add lan1 type veth peer name eth0 netns "$P-srv2"
	nsx r2 ip link set lan1 up
	nsx srv2 ip link set eth0 up
	nsx r2 ip addr add $S23_LINK_R2/30 dev lan1
	nsx srv2 ip addr add $S23_LINK_SRV2/30 dev eth0
	nsx srv2 ip addr add $S23_SRC/32 dev eth0
	nsx srv2 ip route add default via $S23_LINK_R2 src $S23_SRC
	nsx r2 ip route add $S23_SRC/32 via $S23_LINK_SRV2
	# the server LAN holds 203.0.113.0/24: reach .14 through r2
	nsx srv ip route add $S23_SRC/32 via $R2_LAN4
	ip netns exec "$P-srv2" "$PY" "$LAB_DIR/pyftpd.py" --addr "$S23_SRC" --root "$W/root" --passive-port $PASV_PORT \
		--active-timeout 4 --permit-foreign --permit-privileged >"$W/pyftpd-$S23_SRC.log" 2>&1 &
	wait_listen_in srv2 $S23_SRC 21
}
points_s23-fxp-bounce() { echo "server2-lan r2 lan1"; }
steps_s23-fxp-bounce() {
	step fxp ftpscript pyftpdlib-permit-foreign ok -- ftpscript fxp --pasv-server "$PYF4" --port-server "$S23_SRC" --file small.bin --store incoming/fxp.bin
	step bounce-port-21 ftpscript pyftpdlib-permit-foreign ok -- ftpscript session --server "$S23_SRC" 'USER anonymous' 'PASS lab@ftpsl.invalid' \
		'PORT 203,0,113,30,0,21' 'LIST' '@reply' 'QUIT'
}
