package lab_test

// Issue 17, class 1: a broken FTP helper (lab/algmangler.py over NFQUEUE,
// no kernel helper). Each point says what it can see; the path names the
// box and what it wrote.
func init() {
	scenarios = append(scenarios,
		scenario{
			// 18. r1's helper writes 198.51.100.77 (nobody's) and keeps the
			// port. vsftpd refuses the PORT; pyftpdlib (permit foreign)
			// connects there: r2 finds no ARP answer on the outside link and
			// answers host unreachable, seen on the server LAN only.
			Name:  "s18-alg-wrong-address",
			Steps: []string{"fail", "fail"},
			ALG:   []string{"rewritten-wrong", "rewritten-wrong"},
			Path:  []string{"not-attempted", "unreachable server-lan|server-outside"},
			Points: merge(
				same(point{Steps: steps(
					one(xfer{Mode: "active", Addr: "${client}:${act:1}", NegReply: 500, State: "not-attempted"}),
					one(xfer{Mode: "active", Addr: "${client}:${act:2}", NegReply: 425, State: "not-attempted"}),
				), Findings: []string{"error:active-nat-no-alg"}, Says: []string{
					"active-nat-no-alg: and the server refused it (500 Illegal PORT command.)",
					"active-nat-no-alg: left as it was (no FTP helper on the NAT), rewritten wrongly",
					"active-nat-no-alg: the server could not connect to it (425 Can't connect to specified address.)",
					"active-nat-no-alg: This point is inside the NAT and cannot see which",
					"!active-nat-no-alg: the PORT reached the server with the private address",
				}}, clientLAN),
				same(point{Steps: steps(
					one(xfer{Mode: "active", Addr: "198.51.100.77:${act:1}", NegReply: 500, State: "not-attempted"}),
					one(xfer{Mode: "active", Addr: "198.51.100.77:${act:2}", NegReply: 425, State: "not-attempted"}),
				), Findings: []string{"error:port-address-mismatch"}, Says: []string{
					"port-address-mismatch: PORT advertises 198.51.100.77:${act:1}, which is neither the client's address here (${nat_outside}) nor a private address a NAT left as it was",
					"port-address-mismatch: the server refused it (500 Illegal PORT command.)",
					"port-address-mismatch: the server answered \"425 Can't connect to specified address.\" and no connection to it crossed this point",
					"port-address-mismatch: Either the client named another host on purpose (FXP, or a bounce), or a box between the client and this point",
					"port-address-mismatch: this point cannot tell which",
					"!*: no helper",
				}}, natOutside, serverOutside),
				same(point{Steps: steps(
					one(xfer{Mode: "active", Addr: "198.51.100.77:${act:1}", NegReply: 500, State: "not-attempted"}),
					one(xfer{Mode: "active", Addr: "198.51.100.77:${act:2}", NegReply: 425, State: "unreachable", Initiator: "server"}),
				), Findings: []string{"error:port-address-mismatch"}, Says: []string{
					"port-address-mismatch: PORT advertises 198.51.100.77:${act:2}",
					"port-address-mismatch: was answered by 203.0.113.1 with host unreachable (ICMP type 3 code 1)",
				}}, serverLAN),
			),
			PathSays: []string{
				"alg-rewrite-wrong: Between client-lan and nat-outside: the NAT rewrote PORT from ${client}:${act:1} to 198.51.100.77:${act:1}: it kept the client's port but wrote an address that is not its outside address ${nat_outside}",
				"alg-rewrite-wrong: the server answered \"500 Illegal PORT command.\"",
				"alg-rewrite-wrong: the server's data SYN to 198.51.100.77:${act:2} was seen at server-lan only and never at server-outside, and 203.0.113.1 answered it with host unreachable (ICMP type 3 code 1)",
				"!port-address-mismatch: this point cannot tell which",
				"!active-nat-no-alg: left private",
			},
		},
		scenario{
			// 18b. r1's helper writes its own address and the port 50 too
			// high; r1 forwards that port to the client, which resets the
			// server's connection.
			Name:  "s18b-alg-wrong-port",
			Steps: []string{"fail"},
			ALG:   []string{"rewritten-wrong"},
			Path:  []string{"refused"},
			Points: merge(
				same(point{Steps: steps(
					one(xfer{Command: "RETR", Mode: "active", Addr: "${client}:${act:1}", NegReply: 200, State: "refused", Initiator: "server", Reply: 425}),
				), Findings: []string{"error:port-address-mismatch"}, Says: []string{
					"port-address-mismatch: the client advertised ${client}:${act:1} in PORT",
					"port-address-mismatch: came to port 40051",
					"port-address-mismatch: not the port the client named",
					"port-address-mismatch: A box between this point and the server changed the port",
					"!*: no helper",
				}}, clientLAN),
				same(point{Steps: steps(
					one(xfer{Command: "RETR", Mode: "active", Addr: "${nat_outside}:40051", NegReply: 200, State: "refused", Initiator: "server", Reply: 425}),
				), Findings: []string{"error:data-refused"}, Says: []string{
					"data-refused: the server's data connection to ${nat_outside}:40051 for RETR small.bin was reset",
				}}, natOutside, serverOutside, serverLAN),
			),
			PathSays: []string{
				"alg-rewrite-wrong: Between client-lan and nat-outside: the NAT rewrote PORT from ${client}:${act:1} to ${nat_outside}:40051: the address is its outside address, but the port is not the one the client listens on (${act:1})",
				"!port-address-mismatch: A box between this point and the server",
			},
		},
		scenario{
			// 18c. r1's helper rewrites PORT right, 4 bytes longer, and
			// shifts nothing after it: the server acknowledges 4 bytes the
			// client never sent, the client drops every segment of the
			// server's and answers with its old acknowledgement.
			Name:  "s18c-alg-seq-broken",
			Steps: []string{"fail", "fail"},
			ALG:   []string{"rewritten", "rewritten"},
			Path:  []string{"not-attempted", "not-attempted"},
			Points: merge(
				same(point{Steps: steps(
					one(xfer{Mode: "active", Addr: "${client}:${act:1}", NegReply: 200, State: "not-attempted"}),
					// step 2 pipelines RETR behind PORT: the server reads it cut
					one(xfer{Command: "RETR", Mode: "active", Addr: "${client}:${act:2}", NegReply: 200, State: "not-attempted", Reply: 500}),
				), Findings: []string{"error:control-seq-mismatch", "error:transfer-failed"}, Says: []string{
					`transfer-failed: the server answered "500 Unknown command." to RETR, a command every FTP server knows, which this point saw whole`,
					"transfer-failed: The line before it, PORT (frame",
					"transfer-failed: a capture on the far side of the client's NAT shows them",
					"!transfer-failed: permissions",
					"control-seq-mismatch: after the client's PORT (frame",
					"control-seq-mismatch: the server acknowledged 4 bytes more than the client sent as seen here",
					"control-seq-mismatch: the client's own segments stay 4 bytes below that",
					"control-seq-mismatch: A box between this point and the server changed the length of the client's stream",
					"control-seq-mismatch: the client never acknowledged the server's 51 bytes sent since",
					"!*: lost between",
				}}, clientLAN),
				same(point{Steps: steps(
					one(xfer{Mode: "active", Addr: "${nat_outside}:${act:1}", NegReply: 200, State: "not-attempted"}),
					// the RETR overlaps the lengthened PORT: no command here
					one(xfer{Mode: "active", Addr: "${nat_outside}:${act:2}", NegReply: 200, State: "not-attempted"}),
				), Findings: []string{"error:control-seq-mismatch"}, Says: []string{
					// the RETR crosses a point before or after the server's
					// acknowledgement of the PORT: either way it lands 4
					// bytes inside the lengthened line
					`control-seq-mismatch: reads the rest of the client's line cut; it answered "500 Unknown command."`,
					"control-seq-mismatch: start 4 bytes below what the server had already acknowledged of its bytes",
					"control-seq-mismatch: all of which this point saw it send",
					"control-seq-mismatch: A box between the client and this point changed the length of the client's stream",
					"!*: lost between",
				}}, natOutside, serverOutside, serverLAN),
			),
			PathSays: []string{
				"alg-seq-broken: Between client-lan and nat-outside: the NAT rewrote PORT ${client}:${act:1} to ${nat_outside}:${act:1}, changing the line's length by +4 bytes, but shifted the client's later sequence numbers by 0",
				"alg-seq-broken: count the client's bytes 4 apart",
				`alg-seq-broken: the client's next command, RETR small.bin, reached the server cut: it answered "500 Unknown command."`,
				"!transfer-failed: every FTP server knows",
				"!control-seq-mismatch: the two ends",
				"!*: lost between",
			},
		},
		scenario{
			// 18d. r2's helper writes its own inside address 203.0.113.1
			// into the private server's 227 (seq and ack fixed): the client
			// connects there and r2 resets it.
			Name:      "s18d-alg-wrong-227",
			Steps:     []string{"fail"},
			ALGPoints: [2]string{serverLAN, serverOutside},
			ALG:       []string{"rewritten-wrong"},
			Path:      []string{"refused server-outside|server-lan"},
			Points: merge(
				same(point{Steps: steps(
					one(xfer{Mode: "passive", Addr: "203.0.113.1:${pasv}", NegReply: 227, State: "refused", Initiator: "client"}),
				), Findings: []string{"error:data-refused"}, Says: []string{
					"data-refused: the client's data connection to 203.0.113.1:${pasv} for PASV (no transfer command followed) was reset",
					"data-refused: The connection went to 203.0.113.1:${pasv}, not to the server as seen here (${dnat_public})",
				}}, clientLAN, natOutside, serverOutside),
				same(point{Steps: steps(
					one(xfer{Mode: "passive", Addr: "${server_private}:${pasv}", NegReply: 227, State: "not-attempted"}),
				), Findings: []string{"error:passive-private-address"}, Says: []string{
					"passive-private-address: cannot see whether the reply left rewritten",
				}}, serverLAN),
			),
			PathSays: []string{
				"alg-rewrite-wrong: Between server-outside and server-lan: the NAT rewrote the server's 227 reply from ${server_private}:${pasv} to 203.0.113.1:${pasv}, which is not the address the client reaches the server at (${dnat_public})",
				"data-refused: it was refused between server-outside and server-lan",
			},
		},
	)
}
