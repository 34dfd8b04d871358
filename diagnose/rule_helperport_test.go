package diagnose

import "testing"

// TestHelperNotOnControlPort: a PORT no helper rewrote on a control
// connection that is not on port 21: the port is said, as the likely
// reason at one point, with what would confirm it, and the fix names the
// helper's port list.
func TestHelperNotOnControlPort(t *testing.T) {
	login := []string{"s:220 (vsFTPd 3.0.3)", "c:USER anonymous", "s:230 Login successful."}
	runRTCases(t, []rtCase{
		{name: "outside the NAT, port 2121: the private address unrewritten, the port named, the port-list fix",
			client: "198.51.100.1:40000", server: "203.0.113.13:2121", clientTTL: 63,
			steps: append(login, "c:PORT 10,1,0,2,156,65", "s:500 Illegal PORT command."),
			codes: "error:active-nat-no-alg",
			want: []rtWant{{code: ActiveNATNoALG, sev: Error, transfers: []string{"S1.T1"},
				says: []string{"advertised its private address 10.1.0.2 in PORT; nothing rewrote it", "The control connection is on port 2121, not 21",
					"nf_conntrack_ftp: ports=21 by default", "the likely reason nothing rewrote this PORT",
					"an active transfer to a port-21 server rewritten by the same NAT, or captures on both sides of it, would confirm it"},
				advises:      []string{"tcp dport { 21, 2121 } ct helper set", "nf_conntrack_ftp ports=21,2121", "passive mode"},
				neverAdvises: []string{"a prerouting rule: tcp dport 21 ct helper"},
				never:        []string{"watches port 21 and not"}}}},
		{name: "inside the NAT, port 2121, refused: the same sentence",
			client: "10.1.0.2:40000", server: "203.0.113.13:2121", serverTTL: 62,
			steps: append(login, "c:PORT 10,1,0,2,156,65", "s:500 Illegal PORT command."),
			codes: "error:active-nat-no-alg",
			want: []rtWant{{code: ActiveNATNoALG, sev: Error, transfers: []string{"S1.T1"},
				says:    []string{"to the public server 203.0.113.13", "The control connection is on port 2121, not 21"},
				advises: []string{"nf_conntrack_ftp ports=21,2121"}}}},
		{name: "port 21: no port sentence, the usual fix",
			client: "198.51.100.1:40000", server: rtPubServer, clientTTL: 63,
			steps: append(login, "c:PORT 10,1,0,2,156,65", "s:500 Illegal PORT command."),
			codes: "error:active-nat-no-alg",
			want: []rtWant{{code: ActiveNATNoALG, sev: Error, transfers: []string{"S1.T1"},
				never:   []string{"not 21"},
				advises: []string{"tcp dport 21 ct helper set"}}}},
	})
}
