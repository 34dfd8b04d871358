package diagnose

import (
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff/capture"
	"github.com/ftpsniff/ftpsniff/internal/wiretest"
)

// rtSplitPORT writes "PORT 10,1,0,2,156,65" in two segments ("PO", then
// the rest), the server acknowledging neither (a NAT's helper dropped
// "PO", so the server holds a hole), and returns the line's first
// sequence number.
func rtSplitPORT(w *wiretest.Wire) uint32 {
	start := w.CSeq
	w.C("PO")
	w.C("RT 10,1,0,2,156,65\r\n")
	w.Send(w.Server, w.Client, w.SSeq, start, capture.ACK, "") // the server still waits for "PO"
	return start
}

// TestRuleMissedSplit: a PORT in several segments that a NAT's helper
// dropped: an error when it stalled unanswered, a warning when a resend
// got through, nothing when it was answered without resends.
func TestRuleMissedSplit(t *testing.T) {
	login := []string{"s:220 hi", "c:TYPE I", "s:200 Switching to Binary mode."}
	runRTCases(t, []rtCase{
		{name: "split, \"PO\" resent 3 times and never acknowledged, never answered: error, the session stalled",
			client: rtLANClient, server: rtPubServer, serverTTL: 62, steps: login,
			build: func(w *wiretest.Wire) {
				start := rtSplitPORT(w)
				for range 3 {
					w.Wait(time.Second)
					w.Send(w.Client, w.Server, start, w.SSeq, capture.PSH|capture.ACK, "PO")
				}
			},
			scene: func(t *testing.T, p *Point) {
				n := rtNegotiation(t, p, 1)
				if !n.SplitAt.Valid() || n.Reply.Code != 0 || len(p.Sessions[0].Stalls) != 1 {
					t.Fatalf("want a split PORT, unanswered, one stall: split at %v, reply %q, stalls %v", n.SplitAt, n.Reply, p.Sessions[0].Stalls)
				}
			},
			codes: "error:alg-missed-split",
			want: []rtWant{{code: ALGMissedSplit, sev: Error, transfers: []string{"S1.T1"},
				says: []string{`"PORT 10,1,0,2,156,65" in more than one TCP segment`, "the server never answered it",
					"the server never acknowledged the line's first bytes, which the client retransmitted 3 times", "the session stalled"},
				cites:   []string{"the rest of the PORT line", "the last retransmission, never acknowledged"},
				never:   []string{"answered \"200"},
				advises: []string{"passive mode", "one segment"}}},
			nowhere: []string{"control-stalled"}},
		{name: "split, the whole line resent after 200 ms, then 200 and a working transfer: warning, with what this point cannot tell",
			client: rtLANClient, server: rtPubServer, serverTTL: 62, steps: login,
			build: func(w *wiretest.Wire) {
				start := rtSplitPORT(w)
				w.Wait(200 * time.Millisecond)
				w.Send(w.Client, w.Server, start, w.SSeq, capture.PSH|capture.ACK, "PORT 10,1,0,2,156,65\r\n")
				rtPlay(t, w, []string{"s:200 PORT command successful. Consider using PASV.", "c:RETR f", "s:150 ok",
					"data:203.0.113.10:20>10.1.0.2:40001|synack", "s:226 done"})
			},
			scene: func(t *testing.T, p *Point) {
				if n := rtNegotiation(t, p, 1); !n.SplitAt.Valid() || n.CommandResent != 1 {
					t.Fatalf("want a split PORT resent once, got split at %v, resent %d", n.SplitAt, n.CommandResent)
				}
			},
			codes: "warning:alg-missed-split",
			want: []rtWant{{code: ALGMissedSplit, sev: Warning, transfers: []string{"S1.T1"},
				says: []string{`"PORT 10,1,0,2,156,65" in more than one TCP segment`, "resent once",
					`before the server answered "200 PORT command successful. Consider using PASV."`,
					"plain loss of a segment would look the same from this point; a capture outside the NAT tells"},
				never: []string{"never answered", "stalled"}}}},
		{name: "split, answered at once without resends: no finding",
			client: rtLANClient, server: rtPubServer, serverTTL: 62, steps: login,
			build: func(w *wiretest.Wire) {
				w.C("PO")
				w.C("RT 10,1,0,2,156,65\r\n")
				rtPlay(t, w, []string{"s:200 PORT command successful.", "c:RETR f", "s:150 ok",
					"data:203.0.113.10:20>10.1.0.2:40001|synack", "s:226 done"})
			},
			scene: func(t *testing.T, p *Point) {
				if n := rtNegotiation(t, p, 1); !n.SplitAt.Valid() || n.CommandResent != 0 {
					t.Fatalf("want a split PORT never resent, got split at %v, resent %d", n.SplitAt, n.CommandResent)
				}
			},
			codes: ""},
		{name: "split, unanswered, the capture ending before any resend: nothing shows a drop",
			client: rtLANClient, server: rtPubServer, serverTTL: 62, steps: login,
			build: func(w *wiretest.Wire) { rtSplitPORT(w) },
			scene: func(t *testing.T, p *Point) {
				if n := rtNegotiation(t, p, 1); !n.SplitAt.Valid() || n.CommandResent != 0 || len(p.Sessions[0].Stalls) != 0 {
					t.Fatalf("want a split PORT, never resent, no stall: split at %v, resent %d, stalls %v", n.SplitAt, n.CommandResent, p.Sessions[0].Stalls)
				}
			},
			codes: ""},
		{name: "lab s10 client-lan: stalled split PORT (error), recovered by whole-line resends (warnings)",
			capture: "s10-split-port.client-lan.pcap",
			codes:   "error:alg-missed-split error:alg-missed-split warning:alg-missed-split warning:alg-missed-split",
			want: []rtWant{
				{code: ALGMissedSplit, sev: Error, transfers: []string{"S2.T1"},
					says: []string{`"PORT 10,1,0,2,156,66" in more than one TCP segment (frames 31 to 32)`, "retransmitted 6 times (last at frame 106)", "the session stalled"}},
				{code: ALGMissedSplit, sev: Warning, transfers: []string{"S3.T1"},
					says: []string{`"PORT 10,1,0,2,156,67" in more than one TCP segment (frames 50 to 51)`, "resent once (last at frame 53)", `"200 PORT command successful. Consider using PASV."`}},
				{code: ALGMissedSplit, sev: Warning, transfers: []string{"S4.T1"},
					says: []string{`"PORT 10,1,0,2,156,68" in more than one TCP segment (frames 83 to 84)`, "resent once (last at frame 86)"}}}},
	})
}

// TestRuleActiveNATNoALG: a PORT carrying a private address that cannot
// work. Past the client's NAT the unrewritten address is proof; inside,
// the point cannot see the PORT after the NAT and says so.
func TestRuleActiveNATNoALG(t *testing.T) {
	runRTCases(t, []rtCase{
		// ---- seen past the client's NAT: the client appears with its public address
		{name: "past the NAT, PORT with the private address refused 500: one finding, not port-rejected (ported)",
			client: rtPubClient, server: rtPubServer, clientTTL: 62, serverTTL: 63,
			steps: []string{"s:220 hi", "c:PORT 10,1,0,2,195,80", "s:500 Illegal PORT command.", "c:RETR f", "s:425 Use PORT or PASV first."},
			codes: "error:active-nat-no-alg",
			want: []rtWant{{code: ActiveNATNoALG, sev: Error, transfers: []string{"S1.T1"},
				says:    []string{"the client at 198.51.100.7 is behind NAT and advertised its private address 10.1.0.2 in PORT", "nothing rewrote it", "the server refused it (500 Illegal PORT command.)"},
				cites:   []string{"PORT 10,1,0,2,195,80", "500 Illegal PORT command."},
				advises: []string{"passive mode", "ct helper"}}}},
		{name: "past the NAT, accepted, the server's SYN to the private address never answered, seen at the server (ported)",
			client: rtPubClient, server: rtPubServer, clientTTL: 60,
			steps: []string{"s:220 hi", "c:PORT 10,1,0,2,195,80", "s:200 ok", "c:RETR f", "data:203.0.113.10:20>10.1.0.2:50000|retry", "s:425 Failed to establish connection."},
			codes: "error:active-nat-no-alg",
			want: []rtWant{{code: ActiveNATNoALG, sev: Error, transfers: []string{"S1.T1"},
				says:  []string{"advertised its private address 10.1.0.2 in PORT", "nothing rewrote it", "the server's connection to it was never answered"},
				cites: []string{"SYN 203.0.113.10:20 → 10.1.0.2:50000", "SYN retransmitted 2 times"},
				never: []string{"refused it"}}}},
		{name: "past the NAT, accepted, no connection crossed this point",
			client: rtPubClient, server: rtPubServer, clientTTL: 62, serverTTL: 63,
			steps: []string{"s:220 hi", "c:PORT 10,1,0,2,156,65", "s:200 ok", "c:RETR f", "s:425 Failed to establish connection."},
			codes: "error:active-nat-no-alg",
			want: []rtWant{{code: ActiveNATNoALG, sev: Error, transfers: []string{"S1.T1"},
				says: []string{"the server's connection to it never crossed this point"}}}},
		{name: "past the NAT, the server answers the PORT itself with 421 after trying: it could not connect",
			point: "server-lan", client: "198.51.100.1:40000", server: "203.0.113.11:21", clientTTL: 62,
			steps: []string{"s:220 hi", "c:PORT 10,1,0,2,156,66", "data:203.0.113.11:41234>10.1.0.2:40002|retry", "s:421 Active data channel timed out."},
			codes: "error:active-nat-no-alg",
			want: []rtWant{{code: ActiveNATNoALG, sev: Error, transfers: []string{"S1.T1"},
				says:  []string{"the server could not connect to it (421 Active data channel timed out.)"},
				never: []string{"refused it"}}}},
		{name: "past the NAT, 150 and 226 say the transfer worked (its data connection not in the capture): no error",
			client: rtPubClient, server: rtPubServer, clientTTL: 62, serverTTL: 63,
			steps: []string{"s:220 hi", "c:PORT 10,1,0,2,156,65", "s:200 ok", "c:RETR f", "s:150 ok", "s:226 done", "close"},
			codes: ""},
		{name: "lab s2 nat-outside: the helper rewrote every PORT, transfers work: no finding",
			capture: "s2-nat-alg-active.nat-outside.pcap", codes: ""},
		{name: "lab s3 nat-outside: vsftpd refuses, pyftpdlib times out, pyftpdlib refuses the foreign address",
			capture: "s3-nat-noalg-active.nat-outside.pcap",
			codes:   "error:active-nat-no-alg error:active-nat-no-alg error:active-nat-no-alg",
			want: []rtWant{
				{code: ActiveNATNoALG, sev: Error, transfers: []string{"S1.T1"},
					says: []string{"the client at 198.51.100.1 is behind NAT and advertised its private address 10.1.0.2 in PORT", "the server refused it (500 Illegal PORT command.)"}},
				{code: ActiveNATNoALG, sev: Error, transfers: []string{"S2.T1"},
					says: []string{"the server could not connect to it (421 Active data channel timed out.)"}},
				{code: ActiveNATNoALG, sev: Error, transfers: []string{"S3.T1"},
					says: []string{"the server refused it (501 Rejected data connection to foreign address 10.1.0.2:40003.)"}}}},
		{name: "lab s3 server-lan: the same, pyftpdlib's SYN to the private address seen unanswered",
			capture: "s3-nat-noalg-active.server-lan.pcap",
			codes:   "error:active-nat-no-alg error:active-nat-no-alg error:active-nat-no-alg",
			want: []rtWant{{code: ActiveNATNoALG, sev: Error, transfers: []string{"S2.T1"},
				says: []string{"advertised its private address 10.1.0.2", "could not connect to it (421 Active data channel timed out.)"}}}},

		// ---- seen inside: the PORT names the client's own private address, the server is public
		{name: "inside, refused: no helper, a wrong rewrite, or a second NAT without one; this point cannot see which",
			client: rtLANClient, server: rtPubServer, serverTTL: 60,
			steps: []string{"s:220 hi", "c:PORT 10,1,0,2,156,65", "s:500 Illegal PORT command.", "c:RETR f", "s:425 Use PORT or PASV first."},
			codes: "error:active-nat-no-alg",
			want: []rtWant{{code: ActiveNATNoALG, sev: Error, transfers: []string{"S1.T1"},
				says: []string{"the client 10.1.0.2 (a private address) advertised itself as 10.1.0.2:40001 in PORT to the public server 203.0.113.10", "the server refused it (500 Illegal PORT command.)",
					"left as it was (no FTP helper on the NAT), rewritten wrongly, or rewritten by one NAT and not by a second one further on (such as a carrier's)",
					"a capture outside each NAT shows the PORT as it left"},
				never: []string{"is behind NAT and advertised", "reached the server with the private address"}}}},
		// ---- double NAT (lab s24): a home router's helper rewrote the PORT to
		// its outside address in 100.64.0.0/10, the carrier's NAT did not
		{name: "lab s24 home-lan: private client refused; a second NAT is one of the explanations",
			capture: "path/s24-double-nat.home-lan.pcap", codes: "error:active-nat-no-alg error:active-nat-no-alg",
			want: []rtWant{{code: ActiveNATNoALG, sev: Error, transfers: []string{"S1.T1"},
				says:  []string{"the client 192.168.1.2 (a private address)", "or rewritten by one NAT and not by a second one further on (such as a carrier's)"},
				never: []string{"shared address"}}}},
		{name: "lab s24 between the NATs: the client has a shared address; the carrier-grade NAT further on did not rewrite",
			capture: "path/s24-double-nat.client-lan.pcap", codes: "error:active-nat-no-alg error:active-nat-no-alg",
			want: []rtWant{{code: ActiveNATNoALG, sev: Error, transfers: []string{"S1.T1"},
				says: []string{"the client 100.64.0.2, a shared address (100.64.0.0/10 of RFC 6598, used inside carrier-grade NATs)",
					"the carrier-grade NAT between this point and the server did not rewrite the PORT"},
				never:   []string{"private address"},
				advises: []string{"passive mode", "a provider's NAT is not yours to give an FTP helper"}}}},
		{name: "lab s24 outside both NATs: a shared address in the PORT names the carrier's NAT as the one that failed",
			capture: "path/s24-double-nat.nat-outside.pcap", codes: "error:active-nat-no-alg error:active-nat-no-alg",
			want: []rtWant{{code: ActiveNATNoALG, sev: Error, transfers: []string{"S2.T1"},
				says: []string{"the client at 198.51.100.1 advertised 100.64.0.2 in PORT, a shared address",
					"the NAT that translates the shared space to 198.51.100.1 (a carrier-grade NAT, usually the provider's) did not rewrite it",
					"A home router in front of the client, if there is one, did its part", "the server could not connect to it (425 Can't connect to specified address.)"},
				never:   []string{"private address 100.64"},
				advises: []string{"ask the provider for a public address"}}}},
		{name: "inside, accepted, no connection came back: the 200 shows no rewrite, and this point cannot tell it from a firewall",
			client: rtLANClient, server: rtPubServer, serverTTL: 60,
			steps: []string{"s:220 hi", "c:PORT 10,1,0,2,156,65", "s:200 PORT command successful.", "c:RETR f", "s:425 Failed to establish connection."},
			codes: "error:active-nat-no-alg",
			want: []rtWant{{code: ActiveNATNoALG, sev: Error, transfers: []string{"S1.T1"},
				says: []string{"which the server accepted (200", "this does not show a rewrite", "no connection from the server reached this point",
					"cannot tell that from a firewall dropping the server's connection", "a capture outside the NAT shows which"},
				never: []string{"nothing rewrote it"}}}},
		{name: "inside, the server's connection came back: a working helper, no finding (ported)",
			client: rtLANClient, server: rtPubServer, serverTTL: 60,
			steps: []string{"s:220 hi", "c:PORT 10,1,0,2,195,80", "s:200 ok", "c:RETR f", "s:150 ok", "data:203.0.113.10:20>10.1.0.2:50000|synack", "s:226 done"},
			codes: ""},
		{name: "inside, the client advertising its public address on purpose: no finding (ported)",
			client: rtLANClient, server: rtPubServer, serverTTL: 60,
			steps: []string{"s:220 hi", "c:PORT 198,51,100,7,195,80", "s:200 ok", "c:RETR f", "s:150 ok", "data:203.0.113.10:20>10.1.0.2:50000|synack", "s:226 done"},
			codes: ""},
		{name: "inside, the server's connection came back and the client reset it: the client, not the NAT",
			client: rtLANClient, server: rtPubServer, serverTTL: 60,
			steps: []string{"s:220 hi", "c:PORT 10,1,0,2,156,65", "s:200 ok", "c:RETR f", "data:203.0.113.10:20>10.1.0.2:40001|rst", "s:425 Failed to establish connection."},
			codes: "error:data-refused",
			want: []rtWant{{code: DataRefused, sev: Error, transfers: []string{"S1.T1"},
				says: []string{"the client itself refused it"}}}},
		{name: "inside, 150 and 226 say the transfer worked (its data connection not in the capture): no finding",
			client: rtLANClient, server: rtPubServer, serverTTL: 60,
			steps: []string{"s:220 hi", "c:PORT 10,1,0,2,156,65", "s:200 ok", "c:RETR f", "s:150 ok", "s:226 done", "close"},
			codes: ""},
		{name: "inside, RETR refused with 550 before any connection: the server never tried to connect, the reply is the cause",
			client: rtLANClient, server: rtPubServer, serverTTL: 60,
			steps: []string{"s:220 hi", "c:PORT 10,1,0,2,156,65", "s:200 ok", "c:RETR nope", "s:550 Failed to open file."},
			codes: "error:transfer-failed",
			want: []rtWant{{code: TransferFailed, sev: Error, transfers: []string{"S1.T1"},
				says: []string{`"550 Failed to open file."`}}},
			nowhere: []string{"cannot reach"}},
		{name: "lab s6b client-lan (no NAT, a router resets the server's SYN): inside, with the firewall hedge",
			capture: "s6b-fw-reset-active.client-lan.pcap",
			codes:   "error:active-nat-no-alg error:active-nat-no-alg",
			want: []rtWant{{code: ActiveNATNoALG, sev: Error,
				says:  []string{"this does not show a rewrite", "cannot tell that from a firewall dropping the server's connection"},
				never: []string{"nothing rewrote it"}}}},
		{name: "lab s2 client-lan: the helper rewrote every PORT, the connections came back: no finding",
			capture: "s2-nat-alg-active.client-lan.pcap", codes: ""},
	})
}

// TestRulePassivePrivateAddress: a passive reply advertising a private
// address. The client's side can see what the client did with it; the
// server's LAN behind port forwarding cannot.
func TestRulePassivePrivateAddress(t *testing.T) {
	forwarded := []string{"s:220 hi", "c:PASV", "s:227 Entering Passive Mode (10,2,0,10,117,48)"}
	runRTCases(t, []rtCase{
		// ---- the client's side
		{name: "client side, the client used the control address and it worked: warning (ported)",
			client: rtPubClient, server: rtPubServer, clientTTL: 60, serverTTL: 60,
			steps: []string{"s:220 hi", "c:PASV", "s:227 Entering Passive Mode (192,168,1,10,117,48)", "data:198.51.100.7:40001>203.0.113.10:30000|synack", "c:LIST", "s:150 ok", "s:226 done"},
			codes: "warning:passive-private-address",
			want: []rtWant{{code: PassivePrivateAddress, sev: Warning, transfers: []string{"S1.T1"},
				says:    []string{"the server 203.0.113.10:21 advertised the private address 192.168.1.10 in its 227 reply", "the client ignored it and connected to the control address, which worked"},
				advises: []string{"advertise its public address 203.0.113.10", "used port 30000"}}}},
		{name: "client side, the client followed the private address, never answered: error (ported)",
			client: rtPubClient, server: rtPubServer, serverTTL: 60,
			steps: []string{"s:220 hi", "c:PASV", "s:227 Entering Passive Mode (192,168,1,10,117,48)", "data:198.51.100.7:40001>192.168.1.10:30000|retry", "c:LIST", "s:425 Failed to establish connection."},
			codes: "error:passive-private-address",
			want: []rtWant{{code: PassivePrivateAddress, sev: Error, transfers: []string{"S1.T1"},
				says:    []string{"advertised its private address 192.168.1.10 in its 227 reply", "the client followed it, and its connection was never answered", `"425 Failed to establish connection."`},
				never:   []string{"ignored"},
				advises: []string{"203.0.113.10", "--ftp-skip-pasv-ip"}}}},
		{name: "client side, no connection crossed this point and the transfer failed: error, without saying the client followed it",
			client: rtLANClient, server: "198.51.100.2:21", serverTTL: 62,
			steps: []string{"s:220 hi", "c:PASV", "s:227 Entering Passive Mode (10,2,0,10,117,48)", "c:RETR f", "s:425 Failed to establish connection."},
			codes: "error:passive-private-address",
			want: []rtWant{{code: PassivePrivateAddress, sev: Error, transfers: []string{"S1.T1"},
				says:  []string{"advertised its private address 10.2.0.10", "no connection for it crossed this point"},
				never: []string{"followed", "ignored"}}}},
		{name: "client side, the client reached the private address (it is on that network): no finding",
			client: rtLANClient, server: rtPubServer, serverTTL: 60,
			steps: []string{"s:220 hi", "c:PASV", "s:227 Entering Passive Mode (192,168,1,10,117,48)", "data:10.1.0.2:40001>192.168.1.10:30000|synack", "c:LIST", "s:150 ok", "s:226 done"},
			codes: ""},
		{name: "lab s5 client-lan: trusting clients fail (errors), clients ignoring the 227 address work (warnings)",
			capture: "s5-dnat-private-227.client-lan.pcap",
			codes:   "error:passive-private-address error:passive-private-address warning:passive-private-address warning:passive-private-address",
			want: []rtWant{
				{code: PassivePrivateAddress, sev: Error, transfers: []string{"S1.T1"},
					says: []string{"the server 198.51.100.2:21 is behind NAT and advertised its private address 10.2.0.10", "the client followed it, and its connection was never answered"}},
				{code: PassivePrivateAddress, sev: Error, transfers: []string{"S4.T1"},
					says: []string{"the client followed it"}},
				{code: PassivePrivateAddress, sev: Warning, transfers: []string{"S2.T1"},
					says: []string{"the client ignored it and connected to the control address, which worked"}},
				{code: PassivePrivateAddress, sev: Warning, transfers: []string{"S3.T1"},
					says: []string{"the client ignored it"}}}},

		// ---- the server's LAN behind port forwarding
		{name: "server LAN behind port forwarding, the client's connection arrived: no finding, no claim about the client",
			point: "server-lan", client: "198.51.100.1:40000", server: "10.2.0.10:21", clientTTL: 62,
			steps: rtSteps(forwarded, []string{"data:198.51.100.1:40001>10.2.0.10:30000|synack", "c:RETR f", "s:150 ok", "s:226 done"}),
			codes: ""},
		{name: "server LAN behind port forwarding, nothing reached it: error saying what this point cannot see",
			point: "server-lan", client: "198.51.100.1:40000", server: "10.2.0.10:21", clientTTL: 62,
			steps: rtSteps(forwarded, []string{"wait:3s", "close"}),
			codes: "error:passive-private-address",
			want: []rtWant{{code: PassivePrivateAddress, sev: Error, transfers: []string{"S1.T1"},
				says: []string{"advertised its own private address 10.2.0.10 in its 227 reply to the public client 198.51.100.1", "no connection for it reached this point",
					"cannot see whether the reply left rewritten", "a capture outside the server's NAT shows it"},
				advises: []string{"forward the passive port range (this reply used port 30000) to 10.2.0.10"}}},
			nowhere: []string{"ignored", "followed", "not attempted"}},
		{name: "server LAN, the 227 names another private address, a connection arrives at the forwarded address: never \"the client ignored it\"",
			point: "server-lan", client: "198.51.100.1:40000", server: "10.2.0.10:21", clientTTL: 62,
			steps: []string{"s:220 hi", "c:PASV", "s:227 Entering Passive Mode (10,2,0,11,117,48)", "data:198.51.100.1:40001>10.2.0.10:30000|synack", "c:RETR f", "s:150 ok", "s:226 done"},
			codes: "-",
			// From the server's LAN a connection to the forwarded address
			// looks the same whether the client ignored the 227 or a helper
			// on the way out rewrote it.
			// Nor is the server's control address, private here, its public one.
			nowhere: []string{"ignored", "public address 10.2.0.10"}},
		{name: "lab s5 server-lan: the two trusting clients' connections never arrive: errors with what this point cannot see",
			capture: "s5-dnat-private-227.server-lan.pcap",
			codes:   "error:passive-private-address error:passive-private-address",
			want: []rtWant{{code: PassivePrivateAddress, sev: Error,
				says: []string{"advertised its own private address 10.2.0.10", "cannot see whether the reply left rewritten"}}},
			nowhere: []string{"ignored", "followed"}},
		{name: "lab s5c server-lan: the helper on the server's router rewrote the 227, transfers work: no finding",
			capture: "s5c-dnat-alg.server-lan.pcap", codes: ""},

		// ---- a private server talking to a private client: a LAN
		{name: "private server to a private client on its LAN, worked: no finding",
			client: "10.2.0.5:40000", server: "10.2.0.10:21",
			steps: rtSteps(forwarded, []string{"data:10.2.0.5:40001>10.2.0.10:30000|synack", "c:RETR f", "s:150 ok", "s:226 done"}),
			codes: ""},
		{name: "private server to a private client on its LAN, unanswered: the data connection's finding, not a private address",
			client: "10.2.0.5:40000", server: "10.2.0.10:21",
			steps: rtSteps(forwarded, []string{"data:10.2.0.5:40001>10.2.0.10:30000|retry", "c:RETR f", "s:425 Failed to establish connection."}),
			codes: "error:data-no-answer",
			want: []rtWant{{code: DataNoAnswer, sev: Error, transfers: []string{"S1.T1"},
				says: []string{"the server itself did not answer"}}}},
	})
}
