package diagnose

import (
	"fmt"
	"testing"

	"github.com/ftpsniff/ftpsniff/internal/wiretest"
)

// rtSync carries the frame count and the clock from one wire to another,
// so that two sessions interleave in one capture.
func rtSync(from, to *wiretest.Wire) { to.Frame, to.Now = from.Frame, from.Now }

// rtFXP writes the second half of a server-to-server transfer: the client
// (198.51.100.7) tells the server 192.0.2.20 to connect to 203.0.113.10:30000,
// the passive address a (the client's session with 203.0.113.10, its PASV
// already answered) was given; the data moves from 192.0.2.20 to
// 203.0.113.10, and both sessions end with 226. (The old analyze test
// stopped after B's 200; a whole FXP transfer is what the two sessions of
// a real one show, and leaves A's PASV no reason for a finding of its own.)
func rtFXP(t *testing.T, a *wiretest.Wire, withA bool) {
	b := wiretest.New(a.Sink, "198.51.100.7:40001", "192.0.2.20:21")
	// Another connection, another initial sequence number (the same one
	// would make the two one connection seen before and after a NAT).
	b.CSeq, b.SSeq = 70000, 90000
	rtSync(a, b)
	b.Handshake()
	rtPlay(t, b, []string{"s:220 B", "c:PORT 203,0,113,10,117,48", "s:200 PORT command successful.", "c:STOR f", "s:150 Ok to send data."})
	if withA {
		rtSync(b, a)
		rtPlay(t, a, []string{"c:RETR f", "s:150 Opening BINARY mode data connection."})
		rtSync(a, b)
	}
	rtPlay(t, b, []string{"data:192.0.2.20:20>203.0.113.10:30000|synack", "s:226 Transfer complete."})
	if withA {
		rtSync(b, a)
		rtPlay(t, a, []string{"s:226 Transfer complete."})
	}
}

// TestRuleBounce: a PORT naming a third party or a privileged port that
// the server accepted; not FXP, not the client's NAT or other family, not
// when the server connected to the client itself.
func TestRuleBounce(t *testing.T) {
	runRTCases(t, []rtCase{
		{name: "PORT to a privileged port of a third party, accepted: bounce (ported)",
			client: rtPubClient, server: rtPubServer, clientTTL: 60, serverTTL: 60,
			steps: []string{"s:220 hi", "c:PORT 192,0,2,99,0,25", "s:200 ok"},
			codes: "warning:bounce",
			want: []rtWant{{code: Bounce, sev: Warning, transfers: []string{"S1.T1"},
				says:    []string{"PORT names 192.0.2.99:25, the privileged port 25 of the third host 192.0.2.99 (neither the client 198.51.100.7 nor the server 203.0.113.10), and the server accepted it", "RFC 2577"},
				cites:   []string{"PORT 192,0,2,99,0,25", "200 ok"},
				advises: []string{"port_promiscuous=NO"}}}},
		{name: "PORT to an unprivileged port of a third party, the server connected there: bounce naming both addresses",
			client: rtPubClient, server: rtPubServer, clientTTL: 60,
			steps: []string{"s:220 hi", "c:PORT 192,0,2,99,31,144", "s:200 ok", "c:RETR f", "s:150 ok", "data:203.0.113.10:20>192.0.2.99:8080|synack", "s:226 done"},
			codes: "warning:bounce",
			want: []rtWant{{code: Bounce, sev: Warning, transfers: []string{"S1.T1"},
				says:  []string{"PORT names 192.0.2.99, not the client's own address 198.51.100.7, and the server accepted it", "third-party data connection"},
				never: []string{"privileged"}}}},
		{name: "PORT to a privileged port of the client itself, accepted: bounce (RFC 2577 wants it refused)",
			client: rtPubClient, server: rtPubServer, clientTTL: 60,
			steps: []string{"s:220 hi", "c:PORT 198,51,100,7,0,80", "s:200 ok"},
			codes: "warning:bounce",
			want: []rtWant{{code: Bounce, sev: Warning, transfers: []string{"S1.T1"},
				says: []string{"198.51.100.7:80, the privileged port 80, and the server accepted it"}}}},
		{name: "FXP: the PORT names the passive address another session's server advertised: no bounce (ported TestFXPIsNotABounce)",
			client: rtPubClient, server: rtPubServer, clientTTL: 60,
			steps: []string{"s:220 A", "c:PASV", "s:227 Entering Passive Mode (203,0,113,10,117,48)"},
			build: func(w *wiretest.Wire) { rtFXP(t, w, true) },
			codes: "info:fxp",
			want: []rtWant{{code: FXP, sev: Info, transfers: []string{"S2.T1"},
				says: []string{"a server-to-server transfer (FXP)", "named in PORT to the server 192.0.2.20 the passive address 203.0.113.10:30000 that the server 203.0.113.10 advertised to it in session S1",
					"not a bounce", "here its data connection 192.0.2.20:20 → 203.0.113.10:30000 was set up"},
				cites:   []string{"227 Entering Passive Mode (203,0,113,10,117,48) (session S1)", "PORT 203,0,113,10,117,48"},
				advises: []string{"allow it only for trusted users"},
				never:   []string{"bounce (", "NAT"}}}},
		{name: "the same PORT with no session advertising that address: a bounce",
			client: "198.51.100.7:40001", server: "192.0.2.20:21", clientTTL: 60,
			steps: []string{"s:220 B", "c:PORT 203,0,113,10,117,48", "s:200 PORT command successful.", "c:STOR f", "s:150 Ok to send data.",
				"data:192.0.2.20:20>203.0.113.10:30000|synack", "s:226 Transfer complete."},
			codes: "warning:bounce",
			want: []rtWant{{code: Bounce, sev: Warning, transfers: []string{"S1.T1"},
				says: []string{"PORT names 203.0.113.10, not the client's own address 198.51.100.7"}}}},
		{name: "the PORT names another address, but the server connected to the client's own: no bounce",
			client: rtPubClient, server: rtPubServer, clientTTL: 60,
			steps: []string{"s:220 hi", "c:PORT 198,51,100,99,156,65", "s:200 ok", "c:RETR f", "s:150 ok", "data:203.0.113.10:20>198.51.100.7:40001|synack", "s:226 done"},
			codes: ""},
		{name: "the client's private address seen past its NAT: the NAT's finding, not a bounce",
			client: "198.51.100.1:40000", server: rtPubServer, clientTTL: 62,
			steps: []string{"s:220 hi", "c:PORT 10,1,0,2,156,65", "s:200 ok", "c:RETR f", "s:425 Failed to establish connection."},
			codes: "error:active-nat-no-alg"},
		{name: "EPRT naming the client's IPv6 address on an IPv4 control connection: no bounce",
			client: rtPubClient, server: rtPubServer, clientTTL: 60,
			steps: []string{"s:220 hi", "c:EPRT |2|2001:db8:1::2|40001|", "s:200 EPRT command successful.", "close"},
			codes: ""},
		{name: "both hosts on one LAN, the PORT naming a third host there: bounce",
			client: "10.1.0.2:40000", server: "10.1.0.10:21",
			steps: []string{"s:220 hi", "c:PORT 10,1,0,50,31,144", "s:200 ok"},
			codes: "warning:bounce",
			want: []rtWant{{code: Bounce, sev: Warning, transfers: []string{"S1.T1"},
				says: []string{"PORT names 10.1.0.50, not the client's own address 10.1.0.2"}}}},
		{name: "third-party PORT refused: the server did not accept it, no bounce; the point cannot tell a bounce from a wrong rewrite",
			client: rtPubClient, server: rtPubServer, clientTTL: 60,
			steps: []string{"s:220 hi", "c:PORT 192,0,2,99,31,144", "s:500 Illegal PORT command.", "c:RETR f", "s:425 Use PORT or PASV first."},
			codes: "error:port-address-mismatch"},
		{name: "an ordinary active transfer to the client's own address: no bounce",
			client: rtPubClient, server: rtPubServer, clientTTL: 60,
			steps: []string{"s:220 hi", "c:PORT 198,51,100,7,156,65", "s:200 ok", "c:RETR f", "s:150 ok", "data:203.0.113.10:20>198.51.100.7:40001|synack", "s:226 done"},
			codes: ""},
	})
}

// rtProbes writes, for each port of host, a PORT naming it, then a LIST:
// answered (the server's connection set up, 150, 226) when open says so,
// else reset by the host and 425.
func rtProbes(host string, ports []int, open map[int]bool) []string {
	var steps []string
	h := host
	for i := 0; i < len(h); i++ {
		if h[i] == '.' {
			h = h[:i] + "," + h[i+1:]
		}
	}
	for _, p := range ports {
		steps = append(steps, fmt.Sprintf("c:PORT %s,%d,%d", h, p>>8, p&255), "s:200 PORT command successful.", "c:LIST")
		dst := fmt.Sprintf("%s:%d", host, p)
		if open[p] {
			steps = append(steps, "s:150 Here comes the directory listing.", "data:203.0.113.11:20>"+dst+"|synack", "s:226 Directory send OK.")
		} else {
			steps = append(steps, "data:203.0.113.11:20>"+dst+"|rst", "s:425 Can't open data connection.")
		}
	}
	return steps
}

func rtPorts(from, to int) []int {
	var ps []int
	for p := from; p <= to; p++ {
		ps = append(ps, p)
	}
	return ps
}

// TestRuleBounceScan: PORTs making the server connect to many ports of
// one third host: one warning naming the host, the range and the ports
// that answered, explaining every probe.
func TestRuleBounceScan(t *testing.T) {
	scanServer := "203.0.113.11:21"
	var sixProbes []string
	for i := 1; i <= 6; i++ {
		sixProbes = append(sixProbes, fmt.Sprintf("S1.T%d", i))
	}
	runRTCases(t, []rtCase{
		{name: "six probes of one host, two answered: one warning, no per-probe findings",
			client: rtPubClient, server: scanServer, clientTTL: 60,
			steps: rtSteps([]string{"s:220 hi", "ttl:192.0.2.50=62"}, rtProbes("192.0.2.50", rtPorts(8000, 8005), map[int]bool{8002: true, 8004: true})),
			codes: "warning:bounce-scan",
			want: []rtWant{{code: BounceScan, sev: Warning, transfers: sixProbes,
				says: []string{"the client 198.51.100.7 made the server 203.0.113.11:21 connect to 6 ports of the third host 192.0.2.50 (8000 to 8005)",
					"FTP bounce port scan", "2 ports answered (8002, 8004), 4 did not"},
				advises: []string{"permit_foreign_addresses=False"}}}},
		{name: "four probes are not a scan: each is a bounce, and the refused ones fail",
			client: rtPubClient, server: scanServer, clientTTL: 60,
			steps: rtSteps([]string{"s:220 hi"}, rtProbes("192.0.2.50", rtPorts(8000, 8003), map[int]bool{8001: true})),
			codes: "error:data-refused warning:bounce",
			want: []rtWant{
				{code: Bounce, sev: Warning, transfers: []string{"S1.T1", "S1.T2", "S1.T3", "S1.T4"}},
				// The refused connections went to the third host, not to the
				// client: no advice about letting them in to the client.
				{code: DataRefused, sev: Error, transfers: []string{"S1.T1", "S1.T3", "S1.T4"},
					says: []string{"to 192.0.2.50:8000"}, neverAdvises: []string{"in to the client", "accept connections from the server"}}}},
		{name: "two third hosts probed five times each: one warning per host",
			client: rtPubClient, server: scanServer, clientTTL: 60,
			steps: rtSteps([]string{"s:220 hi"}, rtProbes("192.0.2.50", rtPorts(22, 26), nil), rtProbes("192.0.2.60", rtPorts(80, 84), map[int]bool{80: true})),
			codes: "warning:bounce-scan warning:bounce-scan",
			want: []rtWant{
				{code: BounceScan, sev: Warning, transfers: []string{"S1.T1", "S1.T2", "S1.T3", "S1.T4", "S1.T5"},
					says: []string{"5 ports of the third host 192.0.2.50 (22 to 26)", "none answered, 5 did not"}},
				{code: BounceScan, sev: Warning, transfers: []string{"S1.T6", "S1.T7", "S1.T8", "S1.T9", "S1.T10"},
					says: []string{"5 ports of the third host 192.0.2.60 (80 to 84)", "1 port answered (80), 4 did not"}}}},
		{name: "PORTs to six ports that no listing and no connection followed are not probes",
			client: rtPubClient, server: scanServer, clientTTL: 60,
			steps: []string{"s:220 hi",
				"c:PORT 192,0,2,50,31,64", "s:200 ok", "c:PORT 192,0,2,50,31,65", "s:200 ok", "c:PORT 192,0,2,50,31,66", "s:200 ok",
				"c:PORT 192,0,2,50,31,67", "s:200 ok", "c:PORT 192,0,2,50,31,68", "s:200 ok", "c:PORT 192,0,2,50,31,69", "s:200 ok", "close"},
			codes:   "warning:bounce",
			nowhere: []string{"scan"}},
		{name: "six ordinary active transfers to the client's own ports: no scan",
			client: rtPubClient, server: scanServer, clientTTL: 60,
			steps: rtSteps([]string{"s:220 hi"}, rtProbes("198.51.100.7", rtPorts(40001, 40006), map[int]bool{40001: true, 40002: true, 40003: true, 40004: true, 40005: true, 40006: true})),
			codes: ""},
		{name: "six PORTs to one third host, each refused, each LIST refused: the server never connected, so no finding says it did",
			client: rtPubClient, server: scanServer, clientTTL: 60,
			steps: []string{"s:220 hi",
				"c:PORT 192,0,2,50,31,64", "s:500 Illegal PORT command.", "c:LIST", "s:425 Use PORT or PASV first.",
				"c:PORT 192,0,2,50,31,65", "s:500 Illegal PORT command.", "c:LIST", "s:425 Use PORT or PASV first.",
				"c:PORT 192,0,2,50,31,66", "s:500 Illegal PORT command.", "c:LIST", "s:425 Use PORT or PASV first.",
				"c:PORT 192,0,2,50,31,67", "s:500 Illegal PORT command.", "c:LIST", "s:425 Use PORT or PASV first.",
				"c:PORT 192,0,2,50,31,68", "s:500 Illegal PORT command.", "c:LIST", "s:425 Use PORT or PASV first.",
				"c:PORT 192,0,2,50,31,69", "s:500 Illegal PORT command.", "c:LIST", "s:425 Use PORT or PASV first."},
			codes:   "-",
			nowhere: []string{"made the server"}},
		{name: "lab s15 client-lan: 20 ports of 203.0.113.30, 3 open",
			capture: "s15-bounce-scan.client-lan.pcap",
			codes:   "warning:bounce-scan",
			want: []rtWant{{code: BounceScan, sev: Warning,
				says: []string{"the client 10.1.0.2 made the server 203.0.113.11:21 connect to 20 ports of the third host 203.0.113.30 (8000 to 8019)",
					"3 ports answered (8005, 8010, 8015), 17 did not"}}}},
		{name: "lab s15 server-lan: the same scan seen at the server",
			capture: "s15-bounce-scan.server-lan.pcap",
			codes:   "warning:bounce-scan",
			want: []rtWant{{code: BounceScan, sev: Warning,
				says: []string{"20 ports of the third host 203.0.113.30 (8000 to 8019)", "3 ports answered (8005, 8010, 8015), 17 did not"}}}},
	})
}
