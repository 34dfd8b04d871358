package lab_test

// s24: double NAT, a home router with the FTP helper behind a carrier-grade
// NAT without one (lab/scenarios/s24-double-nat.sh). The PORT leaves the
// home router as 100.64.0.2 (shared address space) and crosses the carrier's
// NAT unchanged: vsftpd refuses it (500), pyftpdlib accepting any PORT
// cannot reach it (ICMP network unreachable from r2, 425). Passive works.
// home-lan is the client's own LAN; client-lan here is r1's lan0, the
// carrier's access link between the two NATs.
const homeLAN = "home-lan"

func init() {
	const shared = "100.64.0.2"
	s24 := func(addr1, addr2 string, serverLAN bool) [][]xfer {
		st2, init2 := "not-attempted", ""
		if serverLAN {
			st2, init2 = "unreachable", "server"
		}
		return steps(
			one(xfer{Mode: "active", Addr: addr1, NegReply: 500, State: "not-attempted"}),
			one(xfer{Mode: "active", Addr: addr2, NegReply: 425, State: st2, Initiator: init2}),
			one(pasvOK("RETR", srvPasv)),
		)
	}
	outside := []string{
		"active-nat-no-alg: advertised " + shared + " in PORT, a shared address (100.64.0.0/10",
		"active-nat-no-alg: the NAT that translates the shared space to ${nat_outside} (a carrier-grade NAT, usually the provider's) did not rewrite it",
		"active-nat-no-alg: a provider's NAT is not yours to give an FTP helper",
		"!active-nat-no-alg: private address " + shared,
	}
	scenarios = append(scenarios, scenario{
		Name:       "s24-double-nat",
		Steps:      []string{"fail", "fail", "ok"},
		Path:       []string{"not-attempted", "unreachable server-lan|server-outside", "established"},
		PathPoints: []string{homeLAN, clientLAN, natOutside, serverOutside, serverLAN},
		Points: map[string]point{
			homeLAN: {Steps: s24("${client}:${act:1}", "${client}:${act:2}", false), Findings: []string{"error:active-nat-no-alg"},
				Says: []string{
					"active-nat-no-alg: the client ${client} (a private address) advertised itself as ${client}:${act:1} in PORT",
					"active-nat-no-alg: left as it was (no FTP helper on the NAT), rewritten wrongly, or rewritten by one NAT and not by a second one further on (such as a carrier's)",
					"!active-nat-no-alg: the PORT reached the server with the private address",
				}},
			clientLAN: {Steps: s24(shared+":${act:1}", shared+":${act:2}", false), Findings: []string{"error:active-nat-no-alg"},
				Says: []string{
					"active-nat-no-alg: the client " + shared + ", a shared address (100.64.0.0/10",
					"active-nat-no-alg: the carrier-grade NAT between this point and the server did not rewrite the PORT",
					"active-nat-no-alg: a provider's NAT is not yours to give an FTP helper",
				}},
			natOutside:    {Steps: s24(shared+":${act:1}", shared+":${act:2}", false), Findings: []string{"error:active-nat-no-alg"}, Says: outside},
			serverOutside: {Steps: s24(shared+":${act:1}", shared+":${act:2}", false), Findings: []string{"error:active-nat-no-alg"}, Says: outside},
			serverLAN:     {Steps: s24(shared+":${act:1}", shared+":${act:2}", true), Findings: []string{"error:active-nat-no-alg"}, Says: outside},
		},
		PathSays: []string{
			"alg-rewrite: Between home-lan and client-lan: the NAT's FTP helper rewrote PORT ${client}:${act:1} to " + shared + ":${act:1} correctly",
			"active-nat-no-alg: Between client-lan and nat-outside: nothing rewrote the client's PORT: " + shared + ", a shared address",
			"active-nat-no-alg: it is a carrier-grade NAT",
			"active-nat-no-alg: the NAT between client-lan and nat-outside translates the shared address space 100.64.0.0/10",
			"active-nat-no-alg: 203.0.113.1 answered it with network unreachable (ICMP type 3 code 0), seen at server-lan: it was stopped between server-lan and server-outside",
		},
	})
}
