package lab_test

// Issue 17, classes 2 and 7: a control connection forgotten by the client's
// NAT during a long transfer (s19), and a data connection stalled by a path
// MTU black hole (s20).

func init() {
	slowRetr := func(reply int) xfer {
		return xfer{Command: "RETR", Mode: "passive", Addr: srvPasv, NegReply: 227, State: "established", Initiator: "client", Reply: reply}
	}
	stalled := one(xfer{Command: "RETR", Mode: "passive", Addr: srvPasv, NegReply: 227, State: "established", Initiator: "client"})
	// what the keepalive fix says wherever the finding is made
	stateFix := []string{
		"control-state-lost: --keepalive-time",
		"control-state-lost: net.netfilter.nf_conntrack_tcp_timeout_established",
	}
	// what no point may say of s19: the data connection worked
	s19Never := []string{"!*: data connection stalled", "!control-state-lost: the client's own reset"}
	scenarios = append(scenarios,
		scenario{
			// 19. r1 forgets the control connection after 3 s of silence
			// (an nftables ct timeout policy on port 21) while vsftpd paces
			// the download over ~5 s: the server's 226 is answered by r1's
			// RST (TTL 64 on r1's outside, one hop nearer than the client);
			// the client never gets the 226, and its FIN at curl's timeout
			// gets no answer.
			Name:  "s19-nat-state-expiry",
			Steps: []string{"fail"},
			Path:  []string{"established"},
			PathSays: []string{
				"control-state-lost: At nat-outside: RETR big.bin: the control connection carried nothing either way for",
				"control-state-lost: Along the path, the final reply crossed nat-outside, server-outside and server-lan and was answered by the reset; it never reached client-lan: the box between client-lan and nat-outside forgot the connection.",
				"control-state-lost: Start with the box between client-lan and nat-outside.",
			},
			Points: merge(
				same(point{Steps: steps(one(slowRetr(0))), Findings: []string{"error:control-state-lost"},
					Says: append(append([]string{
						"control-state-lost: RETR big.bin: the control connection carried nothing either way for",
						"control-state-lost: while the data connection ran (it carried 229376 bytes)",
						"control-state-lost: the server's final reply never came here",
						"control-state-lost: got no answer at all, not even the server host's TCP acknowledgement",
						"control-state-lost: this point cannot see where",
						"control-state-lost: a capture outside the client's NAT shows whether the server sent its final reply",
						"!*: answered by a reset",
					}, stateFix...), s19Never...)}, clientLAN),
				same(point{Steps: steps(one(slowRetr(226))), Findings: []string{"error:control-state-lost"},
					Says: append(append([]string{
						"control-state-lost: while the data connection ran (it carried 229376 bytes)",
						"control-state-lost: the server's \"226 Transfer complete.\"",
						"control-state-lost: its first packet after the silence, was answered by a reset with the client's address ${nat_outside}:",
						"control-state-lost: that came from this link (no router between, TTL 64), while the client's own packets come from 1 router hop away (TTL 63)",
						"control-state-lost: a box on this link, 1 hop short of the client (the client's NAT or firewall)",
						"control-state-lost: Here the box forgot the connection within",
						"!*: this point cannot see where",
					}, stateFix...), s19Never...)}, natOutside, serverOutside),
				same(point{Steps: steps(one(slowRetr(226))), Findings: []string{"error:control-state-lost"},
					Says: append(append([]string{
						"control-state-lost: was answered by a reset with the client's address ${nat_outside}:",
						"control-state-lost: that came from 1 router hop away (TTL 63), while the client's own packets come from 2 router hops away (TTL 62)",
						"control-state-lost: a box 1 router hop from this point, 1 hop short of the client (the client's NAT or firewall)",
						"!*: this point cannot see where",
					}, stateFix...), s19Never...)}, serverLAN),
			),
		},
		scenario{
			// 20. a path MTU black hole: the r1-r2 link's MTU is 1200 and r2
			// drops its own ICMP "fragmentation needed"; the server's
			// 1448-byte segments never leave r2, the client's small packets
			// and the server's ACK do; curl gives up after 5 s.
			Name:  "s20-data-stall",
			Steps: []string{"fail"},
			Path:  []string{"established"},
			PathSays: []string{
				"data-stalled: At server-lan: RETR big.bin: the data connection stalled: the client acknowledged 0 of the",
				"data-stalled: the server resent its segment at byte 0 (1448 bytes, first sent in frame",
				"data-stalled: Along the path, the server's resent segment crossed server-lan and never server-outside: it was lost between server-lan and server-outside.",
				"data-stalled: Start with the box between server-lan and server-outside: the segments were lost there.",
			},
			Points: merge(
				same(point{Steps: steps(stalled), Findings: []string{"error:data-stalled"},
					Says: []string{
						"data-stalled: RETR big.bin: the data connection stalled: none of its data crossed this point (0 bytes)",
						"data-stalled: which did arrive (a small one, without data), carries a sequence number",
						"data-stalled: bytes that never came here; no final reply came. No ICMP \"fragmentation needed\" for this connection crossed this point",
						"data-stalled: They were lost between the server and this point, while this small segment passed; this point cannot see their size",
						"data-stalled: A capture on the server's side shows the segments it resent and their size.",
						"data-stalled: ping -M do -s 1472",
						"!*: resent its segment",
						"!*: Along the path",
					}}, clientLAN, natOutside, serverOutside),
				same(point{Steps: steps(stalled), Findings: []string{"error:data-stalled"},
					Says: []string{
						"data-stalled: RETR big.bin: the data connection stalled: the client acknowledged 0 of the",
						"data-stalled: (last progress at the handshake,",
						"data-stalled: the server resent its segment at byte 0 (1448 bytes, first sent in frame",
						"data-stalled: and the client never acknowledged it; no server segment got through on this connection (it sent segments of up to 1448 bytes)",
						"data-stalled: No ICMP \"fragmentation needed\" for this connection crossed this point",
						"data-stalled: it was lost between this point and the client; a full-sized segment (1448 bytes of payload) lost again and again on a connection whose handshake passed is what a path MTU black hole",
						"data-stalled: net.ipv4.tcp_mtu_probing=1",
						"!*: never came here",
					}}, serverLAN),
			),
		},
	)
}
