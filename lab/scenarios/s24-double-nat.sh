# s24: double NAT. A home router with the kernel FTP helper sits behind a
# carrier-grade NAT (r1) without one; between them, the shared address
# space of RFC 6598 (100.64.0.0/10). The home helper rewrites the PORT to
# its own outside address, 100.64.0.2; the carrier's NAT does not, so the
# server gets a PORT naming an address it cannot reach.
#
#   cli ──eth0/lan0── home ──wan0/lan0── r1 (carrier NAT) ──wan0── r2 ── srv
#   192.168.1.2  192.168.1.1  100.64.0.2  100.64.0.1   198.51.100.1
#
# Capture points: home-lan (home lan0, the client's own LAN), then the
# usual four; here client-lan is r1's lan0, the carrier's access link
# between the two NATs.

SCENARIOS+=(s24-double-nat)

conf_s24-double-nat() {
	DESC="double NAT: a home router with the FTP helper behind a carrier-grade NAT (100.64.0.0/10) without one: the home helper rewrites PORT to 100.64.0.2, the carrier's NAT does not; vsftpd refuses it, pyftpdlib accepting any PORT cannot reach it; passive works"
	R1_MODE=nat
	SERVERS=("vsftpd:$SRV4:plain" "pyftpd:$PYF4:permit-foreign")
	# the client's LAN behind the home router (topo_up builds it on r1's
	# lan0 first; topo_s24-double-nat moves it behind the home router)
	CLI4=192.168.1.2; R1_LAN4=192.168.1.1
}

HOME_WAN4=100.64.0.2; CGN_LAN4=100.64.0.1

topo_s24-double-nat() {
	# replace the client's link to r1 by client - home - r1
	nsx cli ip link del eth0
	ip netns add "$P-home"
	nsx home ip link set lo up
	sysctl_ns home net.ipv6.conf.all.disable_ipv6=1
	sysctl_ns home net.ipv6.conf.default.disable_ipv6=1
	sysctl_ns home net.ipv4.ip_forward=1
	ip -n "$P-cli" link add eth0 type veth peer name lan0 netns "$P-home"
	ip -n "$P-home" link add wan0 type veth peer name lan0 netns "$P-r1"
	local l
	for l in cli:eth0 home:lan0 home:wan0 r1:lan0; do nsx "${l%%:*}" ip link set "${l#*:}" up; done
	nsx cli ip addr add $CLI4/24 dev eth0
	nsx cli ip route add default via 192.168.1.1
	nsx home ip addr add 192.168.1.1/24 dev lan0
	nsx home ip addr add $HOME_WAN4/24 dev wan0
	nsx home ip route add default via $CGN_LAN4
	nsx r1 ip addr add $CGN_LAN4/24 dev lan0
	# the home router: masquerade with the kernel FTP helper on port 21
	nsx home nft -f - <<EOF
table inet ftpsl_home {
  ct helper ftp-std { type "ftp" protocol tcp; l3proto ip; }
  chain pre { type filter hook prerouting priority filter; policy accept;
    iifname "lan0" meta nfproto ipv4 tcp dport 21 ct helper set "ftp-std"
  }
  chain post { type nat hook postrouting priority srcnat; policy accept;
    oifname "wan0" meta nfproto ipv4 masquerade
  }
}
EOF
}

points_s24-double-nat() {
	echo "home-lan home lan0"
}

steps_s24-double-nat() {
	step curl-port-vsftpd curl vsftpd fail -- curl_get ftp://$SRV4/small.bin -P "$CLI4:$(act_port)" --disable-eprt
	step curl-port-pyftpd-permit curl pyftpdlib-permit-foreign fail -- curl_get ftp://$PYF4/small.bin -P "$CLI4:$(act_port)" --disable-eprt
	step curl-pasv curl vsftpd ok -- curl_get ftp://$SRV4/small.bin --disable-epsv
}
