package diagnose

import (
	"testing"

	"github.com/ftpsniff/ftpsniff/analyze"
	"github.com/ftpsniff/ftpsniff/capture"
	"github.com/ftpsniff/ftpsniff/internal/wiretest"
)

// rtLostReply writes a server line that crosses the network but not the
// capture: its bytes are skipped, and the client's next segment
// acknowledges them.
func rtLostReply(w *wiretest.Wire, line string) {
	w.SSeq += uint32(len(line) + 2)
}

// rtCutLine writes a line of the given side with its middle missing from
// the capture (the receiver acknowledges all of it).
func rtCutLine(w *wiretest.Wire, fromClient bool, head, lost, tail string) {
	if fromClient {
		w.C(head)
		w.CSeq += uint32(len(lost))
		w.C(tail + "\r\n")
		w.Send(w.Server, w.Client, w.SSeq, w.CSeq, capture.ACK, "")
		return
	}
	w.S(head)
	w.SSeq += uint32(len(lost))
	w.S(tail + "\r\n")
	w.Send(w.Client, w.Server, w.CSeq, w.SSeq, capture.ACK, "")
}

// rtTLS writes an AUTH TLS upgrade and a few encrypted records each way.
func rtTLS(w *wiretest.Wire) {
	w.C("AUTH TLS\r\n")
	w.S("234 Proceed with negotiation.\r\n")
	w.C("\x16\x03\x01\x00\x04abcd")
	w.S("\x16\x03\x03\x00\x04efgh")
	w.C("\x17\x03\x03\x00\x04ijkl")
	w.S("\x17\x03\x03\x00\x04mnop")
}

// TestRuleNoNegotiation: a transfer command with no PORT/PASV before it.
func TestRuleNoNegotiation(t *testing.T) {
	runRTCases(t, []rtCase{
		{name: "RETR with no PORT/PASV, refused 425: error saying none preceded it",
			client: rtLANClient, server: rtPubServer, serverTTL: 60,
			steps: []string{"s:220 hi", "c:RETR f", "s:425 Use PORT or PASV first."},
			codes: "error:transfer-failed",
			want: []rtWant{{code: TransferFailed, sev: Error, transfers: []string{"S1.T1"},
				says:    []string{`RETR f failed with "425 Use PORT or PASV first."`, "no PORT/PASV preceded it in the capture"},
				advises: []string{"PORT, EPRT, PASV or EPSV before each transfer"}}}},
		{name: "LIST with no negotiation in the capture, 150 and 226: it worked, no finding",
			client: rtLANClient, server: rtPubServer, serverTTL: 60,
			steps: []string{"s:220 hi", "c:LIST", "s:150 ok", "s:226 done"},
			codes: ""},
	})
}

// TestRuleInferredNegotiation: a negotiation the point could not read,
// inferred from the data connection.
func TestRuleInferredNegotiation(t *testing.T) {
	runRTCases(t, []rtCase{
		{name: "active data from port 20, its PORT not in the capture, set up: no finding",
			client: rtPubClient, server: rtPubServer, clientTTL: 60,
			steps: []string{"s:220 hi", "c:LIST", "s:150 ok", "data:203.0.113.10:20>198.51.100.7:40001|synack", "s:226 done"},
			codes: ""},
		{name: "encrypted control channel with a NAT in sight, the data connection worked: only the TLS finding",
			client: rtLANClient, server: rtPubServer, serverTTL: 60, steps: []string{"s:220 hi"},
			build: func(w *wiretest.Wire) {
				rtTLS(w)
				w.Data("10.1.0.2:40001", "203.0.113.10:30000", "synack", 100)
			},
			codes: "info:tls-blind-alg"},
		{name: "encrypted control channel with a NAT in sight, the data connection reset: the TLS finding explains it, no data-refused beside it",
			client: rtLANClient, server: rtPubServer, serverTTL: 60, steps: []string{"s:220 hi"},
			build: func(w *wiretest.Wire) {
				rtTLS(w)
				w.Data("10.1.0.2:40001", "203.0.113.10:30000", "rst", 0)
			},
			codes: "error:tls-blind-alg"},
		{name: "encrypted control channel, no NAT, the server resets the data connection: the reset is still a failure this point saw",
			client: rtPubClient, server: rtPubServer, clientTTL: 60, steps: []string{"s:220 hi"},
			build: func(w *wiretest.Wire) {
				rtTLS(w)
				w.Data("198.51.100.7:40001", "203.0.113.10:30000", "rst", 0)
			},
			codes: "error:data-refused",
			// It said "for  was reset" before: an inferred negotiation has no
			// command to name (a fuzz find, FuzzDialogue).
			want: []rtWant{{code: DataRefused, sev: Error, transfers: []string{"S1.T1"},
				says: []string{"data connection to 203.0.113.10:30000 for a transfer (its commands encrypted) was reset"}}}},
		{name: "active data from port 20, its PORT not in the capture, never answered: said as a transfer whose commands were not captured",
			client: rtPubClient, server: rtPubServer, clientTTL: 60,
			steps: []string{"s:220 hi", "data:203.0.113.10:20>198.51.100.7:40001|retry"},
			codes: "error:data-no-answer",
			want: []rtWant{{code: DataNoAnswer, sev: Error, transfers: []string{"S1.T1"},
				says: []string{"data connection to 198.51.100.7:40001 for a transfer (its commands not captured) was never answered"}}}},
	})
}

// TestRuleExtendedRefused: EPSV/EPRT refused and the client fell back:
// harmless, said as info.
func TestRuleExtendedRefused(t *testing.T) {
	runRTCases(t, []rtCase{
		{name: "EPSV refused, PASV works: info (ported)",
			client: rtLANClient, server: rtPubServer, serverTTL: 60,
			steps: []string{"s:220 hi", "c:EPSV", "s:500 unknown", "c:PASV", "s:227 Entering Passive Mode (203,0,113,10,117,48)",
				"data:10.1.0.2:40001>203.0.113.10:30000|synack", "c:LIST", "s:150 ok", "s:226 done"},
			codes: "info:extended-refused",
			want: []rtWant{{code: ExtendedRefused, sev: Info, transfers: []string{"S1.T1"},
				says:    []string{"the server refused EPSV (500 unknown) and the client fell back to another mode"},
				advises: []string{"EPSV needs no address"}}}},
		{name: "EPRT refused, PORT works: info, not port-rejected",
			client: rtPubClient, server: rtPubServer, clientTTL: 60,
			steps: []string{"s:220 hi", "c:EPRT |1|198.51.100.7|40001|", "s:500 'EPRT': command not understood.", "c:PORT 198,51,100,7,156,66", "s:200 ok",
				"c:RETR f", "s:150 ok", "data:203.0.113.10:20>198.51.100.7:40002|synack", "s:226 done"},
			codes: "info:extended-refused",
			want: []rtWant{{code: ExtendedRefused, sev: Info, transfers: []string{"S1.T1"},
				says:    []string{"the server refused EPRT (500 'EPRT': command not understood.)"},
				advises: []string{"Passive mode (EPSV) would need no address rewriting"}}}},
		{name: "EPSV refused and RETR sent anyway, no fallback: the refusal is the failure",
			client: rtLANClient, server: rtPubServer, serverTTL: 60,
			steps: []string{"s:220 hi", "c:EPSV", "s:500 unknown", "c:RETR f", "s:425 Use PORT or PASV first."},
			codes: "error:transfer-failed",
			want: []rtWant{{code: TransferFailed, sev: Error, transfers: []string{"S1.T1"},
				says: []string{"the server refused EPSV (500 unknown), so RETR f could not open a data connection"}}}},
		{name: "EPRT refused, no fallback: port-rejected, not a harmless fallback",
			client: rtPubClient, server: rtPubServer, clientTTL: 60,
			steps: []string{"s:220 hi", "c:EPRT |1|198.51.100.7|40001|", "s:500 'EPRT': command not understood.", "c:RETR f", "s:425 Use PORT or PASV first."},
			codes: "error:port-rejected",
			want: []rtWant{{code: PortRejected, sev: Error, transfers: []string{"S1.T1"},
				says: []string{"the server refused EPRT 198.51.100.7:40001 (500 'EPRT': command not understood.)"}}}},
	})
}

// TestRulePassiveUnanswered: a PASV whose reply the capture does not hold.
func TestRulePassiveUnanswered(t *testing.T) {
	runRTCases(t, []rtCase{
		{name: "PASV at the end of the capture, no reply yet: no finding",
			client: rtLANClient, server: rtPubServer, serverTTL: 60,
			steps: []string{"s:220 hi", "c:PASV"},
			codes: ""},
		{name: "the 227 lost from the capture, RETR 150 and 226: only the capture gap",
			client: rtLANClient, server: rtPubServer, serverTTL: 60,
			steps: []string{"s:220 hi", "c:PASV"},
			build: func(w *wiretest.Wire) {
				rtLostReply(w, "227 Entering Passive Mode (203,0,113,10,117,48)")
				rtPlay(t, w, []string{"c:RETR f", "s:150 ok", "s:226 done"})
			},
			scene: func(t *testing.T, p *Point) {
				if n := rtNegotiation(t, p, 1); n.Reply.Code != 0 {
					t.Fatalf("the PASV's reply should be missing from the capture, got %q", n.Reply)
				}
			},
			codes: "warning:capture-gap"},
		{name: "the 227 lost from the capture, RETR 150 then 451: the server's reply is the cause",
			client: rtLANClient, server: rtPubServer, serverTTL: 60,
			steps: []string{"s:220 hi", "c:PASV"},
			build: func(w *wiretest.Wire) {
				rtLostReply(w, "227 Entering Passive Mode (203,0,113,10,117,48)")
				rtPlay(t, w, []string{"c:RETR f", "s:150 ok", "s:451 Local error in processing."})
			},
			scene: func(t *testing.T, p *Point) {
				if n := rtNegotiation(t, p, 1); n.Reply.Code != 0 {
					t.Fatalf("the PASV's reply should be missing from the capture, got %q", n.Reply)
				}
			},
			codes: "error:transfer-failed warning:capture-gap",
			want: []rtWant{{code: TransferFailed, sev: Error, transfers: []string{"S1.T1"},
				says: []string{`RETR f failed: the server answered "451 Local error in processing."`}}}},
		{name: "the 227 lost from the capture, RETR 150 then 426 (the data connection aborted): never \"the data connection is not the cause\"",
			client: rtLANClient, server: rtPubServer, serverTTL: 60,
			steps: []string{"s:220 hi", "c:PASV"},
			build: func(w *wiretest.Wire) {
				rtLostReply(w, "227 Entering Passive Mode (203,0,113,10,117,48)")
				rtPlay(t, w, []string{"c:RETR f", "s:150 ok", "s:426 Failure writing network stream."})
			},
			scene: func(t *testing.T, p *Point) {
				if n := rtNegotiation(t, p, 1); n.Reply.Code != 0 {
					t.Fatalf("the PASV's reply should be missing from the capture, got %q", n.Reply)
				}
			},
			codes: "-",
			want: []rtWant{
				{sev: Error, transfers: []string{"S1.T1"}, neverAdvises: []string{"the data connection is not the cause"}},
				{code: CaptureGap, sev: Warning}}},
	})
}

// TestRulePassiveRefused: the server refused PASV/EPSV, so the transfer
// had no data connection.
func TestRulePassiveRefused(t *testing.T) {
	runRTCases(t, []rtCase{
		{name: "PASV refused, RETR refused: error",
			client: rtLANClient, server: rtPubServer, serverTTL: 60,
			steps: []string{"s:220 hi", "c:PASV", "s:502 PASV not allowed.", "c:RETR f", "s:425 Use PORT or PASV first."},
			codes: "error:transfer-failed",
			want: []rtWant{{code: TransferFailed, sev: Error, transfers: []string{"S1.T1"},
				says:    []string{"the server refused PASV (502 PASV not allowed.), so RETR f could not open a data connection"},
				advises: []string{"passive mode"}}}},
		{name: "PASV refused, the client falls back to PORT, which works: no finding",
			client: rtPubClient, server: rtPubServer, clientTTL: 60,
			steps: []string{"s:220 hi", "c:PASV", "s:502 PASV not allowed.", "c:PORT 198,51,100,7,156,65", "s:200 ok",
				"c:RETR f", "s:150 ok", "data:203.0.113.10:20>198.51.100.7:40001|synack", "s:226 done"},
			codes: ""},
	})
}

// TestRulePassiveReplyUnusable: a 227 with no address a client can use.
func TestRulePassiveReplyUnusable(t *testing.T) {
	runRTCases(t, []rtCase{
		{name: "227 without an address, the transfer failed: error",
			client: rtLANClient, server: rtPubServer, serverTTL: 60,
			steps: []string{"s:220 hi", "c:PASV", "s:227 Entering Passive Mode", "c:RETR f", "s:425 Failed to establish connection."},
			codes: "error:transfer-failed",
			want: []rtWant{{code: TransferFailed, sev: Error, transfers: []string{"S1.T1"},
				says:    []string{"the server's 227 reply carries no address a client can use"},
				advises: []string{"h1,h2,h3,h4,p1,p2"}}}},
		{name: "227 without an address, no transfer failed: warning",
			client: rtLANClient, server: rtPubServer, serverTTL: 60,
			steps: []string{"s:220 hi", "c:PASV", "s:227 Fake response PASV", "c:QUIT", "s:221 bye", "close"},
			codes: "warning:transfer-failed",
			want: []rtWant{{code: TransferFailed, sev: Warning, transfers: []string{"S1.T1"},
				says: []string{"the server's 227 reply carries no address a client can use"}}}},
		{name: "227 cut by a capture gap: the capture-gap finding says it, no unusable reply",
			client: rtLANClient, server: rtPubServer, serverTTL: 60,
			steps: []string{"s:220 hi", "c:PASV"},
			build: func(w *wiretest.Wire) {
				rtCutLine(w, false, "227 Entering Passive Mode (203,0,", "0,113,", "10,117,48)")
				rtPlay(t, w, []string{"c:RETR f", "s:150 ok", "s:226 done"})
			},
			scene: func(t *testing.T, p *Point) {
				if n := rtNegotiation(t, p, 1); n.Reply.Code != 227 || n.ParseError != analyze.ErrCutByGap {
					t.Fatalf("the 227 should be read as cut by the gap, got %q, %q", n.Reply, n.ParseError)
				}
			},
			codes:   "warning:capture-gap",
			nowhere: []string{"carries no address"}},
	})
}

// TestRulePortUnanswered: a PORT that nothing answered and nothing used.
func TestRulePortUnanswered(t *testing.T) {
	runRTCases(t, []rtCase{
		{name: "private PORT seen past the NAT, the capture ending before its answer: nothing failed yet",
			client: rtPubClient, server: rtPubServer, clientTTL: 62, serverTTL: 63,
			steps: []string{"s:220 hi", "c:PORT 10,1,0,2,156,65"},
			codes: ""},
		{name: "third-party privileged PORT never answered: not a bounce (the server accepted nothing)",
			client: rtPubClient, server: rtPubServer, clientTTL: 60,
			steps: []string{"s:220 hi", "c:PORT 192,0,2,99,0,25", "close"},
			codes: ""},
	})
}

// TestRulePortMalformed: a PORT/EPRT the server could not parse and
// refused.
func TestRulePortMalformed(t *testing.T) {
	runRTCases(t, []rtCase{
		{name: "PORT with four numbers, refused 501: port-rejected, the client's argument",
			client: rtPubClient, server: rtPubServer, clientTTL: 60,
			steps: []string{"s:220 hi", "c:PORT 198,51,100,7", "s:501 Illegal PORT command.", "c:RETR f", "s:425 Use PORT or PASV first."},
			codes: "error:port-rejected",
			want: []rtWant{{code: PortRejected, sev: Error, transfers: []string{"S1.T1"},
				says:    []string{"the client sent a malformed PORT (", "the server refused it (501 Illegal PORT command.)"},
				advises: []string{"Fix the client's PORT argument"}}}},
		{name: "EPRT without a port, refused: port-rejected",
			client: rtPubClient, server: rtPubServer, clientTTL: 60,
			steps: []string{"s:220 hi", "c:EPRT |1|198.51.100.7|", "s:500 Bad EPRT command.", "c:RETR f", "s:425 Use PORT or PASV first."},
			codes: "error:port-rejected",
			want: []rtWant{{code: PortRejected, sev: Error, transfers: []string{"S1.T1"},
				says:    []string{"the client sent a malformed EPRT (", "(500 Bad EPRT command.)"},
				advises: []string{"Fix the client's EPRT argument"}}}},
		{name: "malformed PORT the server accepted anyway: no finding",
			client: rtPubClient, server: rtPubServer, clientTTL: 60,
			steps: []string{"s:220 hi", "c:PORT 198,51,100,7", "s:200 ok", "close"},
			codes: ""},
		{name: "PORT cut by a capture gap and refused: the point does not know the address, so no malformed PORT",
			client: rtPubClient, server: rtPubServer, clientTTL: 60,
			steps: []string{"s:220 hi"},
			build: func(w *wiretest.Wire) {
				rtCutLine(w, true, "PORT 198,51,", "100,7,", "0,80")
				rtPlay(t, w, []string{"s:500 Illegal PORT command.", "close"})
			},
			scene: func(t *testing.T, p *Point) {
				if n := rtNegotiation(t, p, 1); n.Reply.Code != 500 || n.ParseError != analyze.ErrCutByGap {
					t.Fatalf("the PORT should be read as cut by the gap and refused, got %q, %q", n.Reply, n.ParseError)
				}
			},
			codes:   "warning:capture-gap",
			nowhere: []string{"malformed"}},
	})
}

// TestRulePortRejected: the server refused a well-formed PORT/EPRT and no
// NAT explains it.
func TestRulePortRejected(t *testing.T) {
	runRTCases(t, []rtCase{
		{name: "PORT to a privileged port of the client refused, the transfer failed: error",
			client: rtPubClient, server: rtPubServer, clientTTL: 60,
			steps: []string{"s:220 hi", "c:PORT 198,51,100,7,0,80", "s:500 Illegal PORT command.", "c:RETR f", "s:425 Use PORT or PASV first."},
			codes: "error:port-rejected",
			want: []rtWant{{code: PortRejected, sev: Error, transfers: []string{"S1.T1"},
				says:    []string{"the server refused PORT 198.51.100.7:80 (500 Illegal PORT command.)"},
				advises: []string{"below 1024", "passive mode"}}},
			nowhere: []string{"bounce"}},
		{name: "PORT refused, the client falls back to PASV, which works: warning",
			client: rtPubClient, server: rtPubServer, clientTTL: 60,
			steps: []string{"s:220 hi", "c:PORT 198,51,100,7,156,65", "s:500 Illegal PORT command.", "c:PASV", "s:227 Entering Passive Mode (203,0,113,10,117,48)",
				"data:198.51.100.7:40002>203.0.113.10:30000|synack", "c:RETR f", "s:150 ok", "s:226 done"},
			codes: "warning:port-rejected",
			want: []rtWant{{code: PortRejected, sev: Warning, transfers: []string{"S1.T1"},
				says: []string{"the server refused PORT 198.51.100.7:40001 (500 Illegal PORT command.)"}}}},
	})
}
