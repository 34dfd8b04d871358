package diagnose

import "testing"

// TestRuleNATPoolUnpaired: a passive data connection from another address
// than the control connection (a NAT pool without pairing): named where
// both addresses are seen, read from the server's refusal inside the NAT,
// and nothing said where neither shows it.
func TestRuleNATPoolUnpaired(t *testing.T) {
	pasv := []string{"s:220 hi", "c:PASV", "s:227 Entering Passive Mode (203,0,113,10,117,48)."}
	runRTCases(t, []rtCase{
		{name: "outside: data from the pool's other address, vsftpd refuses it: error naming both addresses",
			client: "198.51.100.1:60740", server: rtPubServer,
			steps: append(pasv, "data:198.51.100.3:44196>203.0.113.10:30000|synack", "c:RETR small.bin", "s:425 Security: Bad IP connecting."),
			codes: "error:nat-pool-unpaired",
			want: []rtWant{{code: NATPoolUnpaired, sev: Error, transfers: []string{"S1.T1"},
				says: []string{"RETR small.bin: the data connection came from 198.51.100.3:44196, the control connection from 198.51.100.1:60740",
					"picks an address from its pool per connection", "the server refused the data connection for that (425 Security: Bad IP connecting.)"},
				cites:   []string{"SYN 198.51.100.3:44196 → 203.0.113.10:30000", "425 Security: Bad IP connecting."},
				advises: []string{"If a NAT on the client's side maps 198.51.100.1 and 198.51.100.3", "persistent", "RFC 4787", "pasv_promiscuous=YES"},
				never:   []string{"permissions", "missing file"}}}},
		{name: "outside: data from another address, the server does not check and it worked: warning",
			client: "198.51.100.1:60740", server: rtPubServer,
			steps: append(pasv, "data:198.51.100.3:44196>203.0.113.10:30000|synack", "c:RETR small.bin", "s:150 ok", "s:226 Transfer complete."),
			codes: "warning:nat-pool-unpaired",
			want: []rtWant{{code: NATPoolUnpaired, sev: Warning, transfers: []string{"S1.T1"},
				says:    []string{"came from 198.51.100.3:44196", "the transfer worked (226 Transfer complete.) only because this server does not check"},
				advises: []string{"Nothing failed here."}}}},
		{name: "outside: another address, an unknown 425: the reply said as is, no cause claimed",
			client: "198.51.100.1:60740", server: rtPubServer,
			steps: append(pasv, "data:198.51.100.3:44196>203.0.113.10:30000|synack", "c:RETR small.bin", "s:425 Can't open data connection."),
			codes: "error:nat-pool-unpaired",
			want: []rtWant{{code: NATPoolUnpaired, sev: Error, transfers: []string{"S1.T1"},
				says:  []string{`the server answered "425 Can't open data connection.", as a server does that checks`},
				never: []string{"refused the data connection for that"}}}},
		{name: "inside: both from 10.1.0.2, pyftpdlib names the foreign address it saw: error naming the NAT in between",
			client: "10.1.0.2:59624", server: "203.0.113.12:21", serverTTL: 62,
			steps: []string{"s:220 hi", "c:PASV", "s:227 Entering passive mode (203,0,113,12,117,48).", "data:10.1.0.2:55536>203.0.113.12:30000|synack",
				"c:RETR small.bin", "s:425 Rejected data connection from foreign address 198.51.100.3:55536."},
			codes: "error:nat-pool-unpaired",
			want: []rtWant{{code: NATPoolUnpaired, sev: Error, transfers: []string{"S1.T1"},
				says: []string{"the server refused the data connection as coming from another address than the control connection",
					"it saw the data connection come from 198.51.100.3:55536", "Here both left from 10.1.0.2", "a NAT between this point and the server"},
				never: []string{"client with several addresses"}}}},
		{name: "inside: both from 10.1.0.2 and a 425 that does not say why: not this finding",
			client: "10.1.0.2:59624", server: rtPubServer, serverTTL: 62,
			steps: append(pasv, "data:10.1.0.2:55536>203.0.113.10:30000|synack", "c:RETR small.bin", "s:425 Can't open data connection."),
			codes: "error:transfer-failed"},
		{name: "data from the control connection's address: nothing",
			client: "198.51.100.1:60740", server: rtPubServer,
			steps: append(pasv, "data:198.51.100.1:44196>203.0.113.10:30000|synack", "c:RETR small.bin", "s:150 ok", "s:226 done"),
			codes: ""},
		{name: "data from another host at another distance (the other server of an FXP): not a pool",
			client: "198.51.100.1:60740", server: rtPubServer, clientTTL: 61,
			steps: append(pasv, "ttl:203.0.113.14=63", "data:203.0.113.14:54207>203.0.113.10:30000|synack", "c:STOR f", "s:150 ok", "s:226 done"),
			codes: ""},
	})
}
