package lab_test

// Issue 17, classes 3, 5 and 6: an unpaired NAT pool, a helper that does
// not watch the control port, FXP and bounce.
func init() {
	const pool2 = "198.51.100.3" // r1's second outside address (s21)
	s21Outside := point{Steps: steps(
		one(xfer{Command: "RETR", Mode: "passive", Addr: srvPasv, NegReply: 227, State: "established", Initiator: "client", Reply: 425}),
		one(pasvOK("RETR", "${pyftpd_permit_foreign}:${pasv}")),
	), Findings: []string{"error:nat-pool-unpaired", "warning:nat-pool-unpaired"},
		Says: []string{
			"nat-pool-unpaired: the data connection came from " + pool2 + ":",
			"nat-pool-unpaired: the control connection from ${nat_outside}:",
			"nat-pool-unpaired: the server refused the data connection for that (425 Security: Bad IP connecting.)",
			"nat-pool-unpaired: only because this server does not check the data connection's address",
			"nat-pool-unpaired: persistent",
			"!*: permissions, a missing file",
		}}
	s22Point := func(says ...string) point {
		return point{Steps: steps(
			one(xfer{Mode: "active", Addr: "${client}:${act:1}", NegReply: 500, State: "not-attempted"}),
			one(portOK("RETR", "")),
			one(pasvOK("RETR", "203.0.113.13:${pasv}")),
		), Findings: []string{"error:active-nat-no-alg"},
			Says: append([]string{
				"active-nat-no-alg: The control connection is on port 2121, not 21",
				"active-nat-no-alg: the likely reason nothing rewrote this PORT",
				"active-nat-no-alg: would confirm it",
				"active-nat-no-alg: tcp dport { 21, 2121 } ct helper set",
				"active-nat-no-alg: nf_conntrack_ftp ports=21,2121",
				"!active-nat-no-alg: watches port 21 and not",
			}, says...)}
	}
	fxpNotHere := xfer{Command: "STOR", Mode: "passive", Addr: "${pyftpd_permit_foreign}:${pasv}", NegReply: 227, State: "not-captured", Reply: 226}
	fxpPortNotHere := xfer{Command: "RETR", Mode: "active", Addr: "${pyftpd_permit_foreign}:${pasv}", NegReply: 200, State: "not-captured", Reply: 226}
	bounceNotHere := xfer{Command: "LIST", Mode: "active", Addr: "${bounce_target}:21", NegReply: 200, State: "not-captured", Reply: 226}
	s23Client := func(client string, says ...string) point {
		return point{Steps: steps(one(fxpNotHere), one(fxpPortNotHere), one(bounceNotHere)),
			Findings: []string{"info:fxp", "warning:bounce"},
			Says: append([]string{
				"fxp: a server-to-server transfer (FXP): the client " + client + " named in PORT to the server 203.0.113.14 the passive address ${pyftpd_permit_foreign}:${pasv} that the server ${pyftpd_permit_foreign} advertised to it",
				"fxp: its data connection was not seen here (it runs between the servers)",
				"fxp: not a bounce",
				"!bounce: names ${pyftpd_permit_foreign}",
				"bounce: PORT names ${bounce_target}:21, the privileged port 21",
				"bounce: LIST followed, answered 226",
			}, says...)}
	}
	scenarios = append(scenarios,
		scenario{
			// 21. a client NAT with two outside addresses and no pairing:
			// control connections leave from 198.51.100.1, data connections
			// from 198.51.100.3. vsftpd refuses the data connection (425
			// Security: Bad IP connecting.); pyftpdlib permitting foreign
			// addresses does not check. Inside, only the 425 says it; outside,
			// the two addresses are seen.
			Name:  "s21-nat-pool-unpaired",
			Steps: []string{"fail", "ok"},
			Path:  []string{"established", "established"},
			Points: merge(
				same(point{Steps: steps(
					one(xfer{Command: "RETR", Mode: "passive", Addr: srvPasv, NegReply: 227, State: "established", Initiator: "client", Reply: 425}),
					one(pasvOK("RETR", "${pyftpd_permit_foreign}:${pasv}")),
				), Findings: []string{"error:nat-pool-unpaired"},
					Says: []string{
						"nat-pool-unpaired: the server refused the data connection as coming from another address than the control connection (425 Security: Bad IP connecting.)",
						"nat-pool-unpaired: Here both left from ${client}",
						"nat-pool-unpaired: a NAT between this point and the server",
						"!nat-pool-unpaired: " + pool2,
						"!*: permissions, a missing file",
					}}, clientLAN),
				same(s21Outside, natOutside, serverOutside, serverLAN),
			),
			PathSays: []string{
				"nat-pool-unpaired: between client-lan and nat-outside, the client ${client} leaves as ${nat_outside} for the control connection and as " + pool2 + " for the data connection",
				"nat-pool-unpaired: On the NAT between client-lan and nat-outside",
				"!nat-pool-unpaired: or a client with several addresses",
			},
		},
		scenario{
			// 22. the client router's helper is attached to port 21 only; the
			// server at 203.0.113.13 listens on 2121. Its PORT goes out
			// unrewritten (500); the same router rewrites a port-21 session's
			// PORT; passive to 2121 works.
			Name:  "s22-helper-wrong-port",
			Steps: []string{"fail", "ok", "ok"},
			Points: merge(
				same(s22Point("active-nat-no-alg: to the public server 203.0.113.13"), clientLAN),
				same(s22Point("active-nat-no-alg: advertised its private address ${client} in PORT; nothing rewrote it"), natOutside, serverOutside, serverLAN),
			),
			PathSays: []string{
				"active-nat-no-alg: Between client-lan and nat-outside: nothing rewrote the client's PORT",
				"active-nat-no-alg: the same NAT rewrote the PORT of the session to ${server_public}:21",
				"active-nat-no-alg: its FTP helper watches port 21 and not 2121",
				"active-nat-no-alg: nf_conntrack_ftp ports=21,2121",
				"!active-nat-no-alg: the likely reason",
			},
		},
		scenario{
			// 23. FXP: PASV on 203.0.113.11, PORT with its address on
			// 203.0.113.14 (another host, behind r2's lan1); the data goes
			// between the servers (server-lan and server2-lan only). Then a
			// PORT naming port 21 of the third host 203.0.113.30: a bounce.
			Name:            "s23-fxp-bounce",
			Steps:           []string{"ok", "ok"},
			SessionsPerStep: []int{2, 1},
			Points: merge(
				same(s23Client("${client}", "bounce: from inside the client's NAT this point cannot tell whether it is the NAT's own public address"), clientLAN),
				same(s23Client("${nat_outside}", "bounce: of the third host ${bounce_target} (neither the client ${nat_outside} nor the server 203.0.113.14)"), natOutside, serverOutside),
				same(point{Steps: steps(one(xfer{Command: "STOR", Mode: "passive", Addr: "${pyftpd_permit_foreign}:${pasv}", NegReply: 227, State: "established", Initiator: "client", Reply: 226}), absent(), absent()),
					Findings: []string{}}, serverLAN),
				same(point{Steps: steps(absent(),
					one(xfer{Command: "RETR", Mode: "active", Addr: "${pyftpd_permit_foreign}:${pasv}", NegReply: 200, State: "established", Initiator: "server", Reply: 226}),
					one(xfer{Command: "LIST", Mode: "active", Addr: "${bounce_target}:21", NegReply: 200, State: "established", Initiator: "server", Reply: 226})),
					Findings: []string{"warning:bounce"},
					Says: []string{
						// this point sees one half of the FXP only
						"bounce: unless it is one half of a server-to-server transfer (FXP) whose other session, advertising ${pyftpd_permit_foreign}:${pasv}, this point does not see",
						"bounce: for LIST the server's connection 203.0.113.14:",
						"bounce: → ${bounce_target}:21 was set up",
					}}, "server2-lan"),
			),
			PathSays: []string{
				"fxp: a server-to-server transfer (FXP)",
				"bounce: PORT names ${bounce_target}:21",
				"!bounce: names ${pyftpd_permit_foreign}",
				"!*: nat-pool",
			},
		},
	)
}
