# s21: a client NAT with a pool of two outside addresses and no pairing:
# r1 maps control connections (tcp dport 21) to 198.51.100.1 and every
# other connection to 198.51.100.3, as SNAT pools and carrier NATs do when
# they pick an address per connection.  Passive data connections then reach
# the server from another address than the control connection: vsftpd
# (pasv_promiscuous=NO) answers "425 Security: Bad IP connecting.";
# pyftpdlib permitting foreign addresses does not check, and the transfer
# works.  (Default pyftpdlib refuses too, "425 Rejected data connection from
# foreign address 198.51.100.3:P.", but out of turn: curl has pipelined
# TYPE and SIZE by then, and the 425 takes SIZE's place in the reply
# queue; its rule is unit-tested instead.)
SCENARIOS+=(s21-nat-pool-unpaired)
S21_POOL2=198.51.100.3   # r1's second outside address
conf_s21-nat-pool-unpaired() {
	DESC="client NAT with an unpaired pool (control connections leave from 198.51.100.1, every other connection from 198.51.100.3): passive data connections reach the server from another address; vsftpd refuses them (425), pyftpdlib permitting foreign addresses does not check"
	R1_MODE=nat
	SERVERS=("vsftpd:$SRV4:plain" "pyftpd:$PYF4:permit-foreign")
}
topo_s21-nat-pool-unpaired() {
	nsx r1 ip addr add $S21_POOL2/24 dev wan0
	# before the lab's masquerade (priority srcnat): the first NAT chain
	# that maps a connection decides
	nsx r1 nft -f - <<NFT
table ip h3pool {
  chain post { type nat hook postrouting priority srcnat - 10; policy accept;
    oifname "wan0" tcp dport 21 snat to $R1_WAN4
    oifname "wan0" snat to $S21_POOL2
  }
}
NFT
}
steps_s21-nat-pool-unpaired() {
	step curl-pasv-vsftpd curl vsftpd fail -- curl_get ftp://$SRV4/small.bin --disable-epsv
	step curl-pasv-pyftpd-permit curl pyftpdlib-permit-foreign ok -- curl_get ftp://$PYF4/small.bin --disable-epsv
}
