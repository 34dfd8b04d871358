package diagnose

import "testing"

func TestRulePortAddressMismatch(t *testing.T) {
	runRTCases(t, []rtCase{
		{name: "inside: the server's connection came to another port of the client than PORT named",
			point: "client-lan", client: rtLANClient, server: rtPubServer, serverTTL: 60,
			steps: []string{"s:220 hi", "c:PORT 10,1,0,2,156,65", "s:200 PORT command successful.", "c:RETR f",
				"data:203.0.113.10:20>10.1.0.2:40051|rst", "s:425 Failed to establish connection."},
			codes: "error:port-address-mismatch",
			want: []rtWant{{code: PortAddressMismatch, sev: Error, transfers: []string{"S1.T1"},
				says: []string{"the client advertised 10.1.0.2:40001 in PORT", "came to port 40051", "not the port the client named",
					"was reset", "425 Failed to establish connection.", "A box between this point and the server changed the port"},
				never: []string{"no helper"},
				cites: []string{"SYN 203.0.113.10:20 → 10.1.0.2:40051"}}}},
		{name: "outside: PORT names a public address that is not the client's, and the server refuses it",
			point: "nat-outside", client: rtPubClient, server: rtPubServer, clientTTL: 63, serverTTL: 60,
			steps: []string{"s:220 hi", "c:PORT 198,51,100,77,156,65", "s:500 Illegal PORT command."},
			codes: "error:port-address-mismatch",
			want: []rtWant{{code: PortAddressMismatch, sev: Error,
				says: []string{"PORT advertises 198.51.100.77:40001, which is neither the client's address here (198.51.100.7)",
					"the server refused it (500 Illegal PORT command.)", "Either the client named another host on purpose",
					"or a box between the client and this point", "this point cannot tell which"},
				never: []string{"no helper"}}}},
		{name: "the server connects to the foreign address and an ICMP error comes back",
			point: "server-lan", client: rtPubClient, server: rtPubServer, clientTTL: 62,
			steps: []string{"s:220 hi", "c:PORT 198,51,100,77,156,66",
				"data:203.0.113.10:40845>198.51.100.77:40002|", "icmp:203.0.113.1|1|203.0.113.10:40845>198.51.100.77:40002",
				"s:425 Can't connect to specified address."},
			codes: "error:port-address-mismatch",
			want: []rtWant{{code: PortAddressMismatch, sev: Error,
				says: []string{"was answered by 203.0.113.1 with host unreachable (ICMP type 3 code 1)", "425 Can't connect to specified address."}}}},
		{name: "the client's own address in PORT, and the connection to it: no mismatch",
			client: rtPubClient, server: rtPubServer,
			steps: []string{"s:220 hi", "c:PORT 198,51,100,7,156,65", "s:200 ok", "c:RETR f", "s:150 ok", "data:203.0.113.10:20>198.51.100.7:40001|synack", "s:226 done"},
			codes: ""},
	})
}
