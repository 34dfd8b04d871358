package diagnose

import (
	"strings"
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff/analyze"
	"github.com/ftpsniff/ftpsniff/capture"
	"github.com/ftpsniff/ftpsniff/internal/wiretest"
)

// Tests of rule_control.go: control connections that never started,
// stalled, lost bytes, rewritten copies and a server closing on its own.

// synOnly writes a control connection's SYN and n retransmissions of it
// (1 s, then 2 s, then 4 s... later), recording "syn" and "last".
func synOnly(w *wiretest.Wire, fr pinFrames, retries int) {
	fr["syn"] = w.Send(w.Client, w.Server, w.CSeq, 0, capture.SYN, "")
	wait := time.Second
	for range retries {
		w.Wait(wait)
		wait *= 2
		fr["last"] = w.Send(w.Client, w.Server, w.CSeq, 0, capture.SYN, "")
	}
}

// pinResend writes the client's payload again at seq, n times, each after a
// longer wait (a retransmission timer backing off), recording the last as
// "lastresend".
func pinResend(w *wiretest.Wire, fr pinFrames, fromClient bool, seq uint32, payload string, n int) {
	src, dst, ack := w.Client, w.Server, w.SSeq
	if !fromClient {
		src, dst, ack = w.Server, w.Client, w.CSeq
	}
	wait := 200 * time.Millisecond
	for range n {
		w.Wait(wait)
		wait *= 2
		fr["lastresend"] = w.Send(src, dst, seq, ack, capture.PSH|capture.ACK, payload)
	}
}

var controlNeverStartedCases = []pinCase{
	{
		name: "SYN retransmitted and never answered, seen on the client's link", point: "client-lan",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := pinWire(an, "10.1.0.2:40000", "203.0.113.10:21")
			synOnly(w, fr, 2)
		},
		want: "error:control-no-answer",
		expect: []pinExpect{{code: ControlNoAnswer, severity: Error,
			summary: []string{"10.1.0.2's control connection to 203.0.113.10:21 was never answered (SYN sent 3 times)",
				"between this point, on the client's link, and the server", "no FTP session began"},
			advice:   []string{"port 21", "203.0.113.10"},
			evidence: []string{"syn", "last"}}},
	},
	{
		name: "SYN never answered, seen past a router: not said to be on the client's link",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := pinWire(an, "10.1.0.2:40000", "203.0.113.10:21")
			w.SetTTL("10.1.0.2", 62)
			synOnly(w, fr, 1)
		},
		want: "error:control-no-answer",
		expect: []pinExpect{{code: ControlNoAnswer, severity: Error,
			summary:    []string{"was never answered (SYN sent twice)", "after this point"},
			notSummary: []string{"client's link"},
			evidence:   []string{"syn", "last"}}},
	},
	{
		name: "a single SYN unanswered: sent once, no retransmission cited",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := pinWire(an, "10.1.0.2:40000", "203.0.113.10:21")
			synOnly(w, fr, 0)
		},
		want: "error:control-no-answer",
		expect: []pinExpect{{code: ControlNoAnswer, severity: Error,
			summary:    []string{"was never answered (SYN sent once)"},
			notSummary: []string{"retransmitted"},
			evidence:   []string{"syn"}}},
	},
	{
		name: "reset by the server 2 router hops away",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := pinWire(an, "10.1.0.2:40000", "203.0.113.20:21")
			w.SetTTL("203.0.113.20", 62)
			synOnly(w, fr, 0)
			fr["rst"] = w.Send(w.Server, w.Client, 0, w.CSeq+1, capture.RST|capture.ACK, "")
		},
		want: "error:control-refused",
		expect: []pinExpect{{code: ControlRefused, severity: Error,
			summary: []string{"10.1.0.2's control connection to 203.0.113.20:21 was reset from 2 router hops away (TTL 62)",
				"nothing accepts connections on port 21 there, or a firewall rejects them", "no FTP session began"},
			advice:   []string{"203.0.113.20:21", "port 21"},
			evidence: []string{"syn", "rst"}}},
	},
	{
		name: "reset by a Windows host 1 hop away (TTL 127)",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := pinWire(an, "10.1.0.2:40000", "203.0.113.20:21")
			w.SetTTL("203.0.113.20", 127)
			synOnly(w, fr, 0)
			fr["rst"] = w.Send(w.Server, w.Client, 0, w.CSeq+1, capture.RST|capture.ACK, "")
		},
		want: "error:control-refused",
		expect: []pinExpect{{code: ControlRefused, severity: Error,
			summary: []string{"was reset from 1 router hop away (TTL 127)"}, evidence: []string{"rst"}}},
	},
	{
		name: "reset over IPv6: the hop limit, not a TTL",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := pinWire(an, "[2001:db8:1::2]:40000", "[2001:db8:203::20]:21")
			w.SetTTL("2001:db8:203::20", 62)
			synOnly(w, fr, 0)
			fr["rst"] = w.Send(w.Server, w.Client, 0, w.CSeq+1, capture.RST|capture.ACK, "")
		},
		want: "error:control-refused",
		expect: []pinExpect{{code: ControlRefused, severity: Error,
			summary:    []string{"was reset from 2 router hops away (hop limit 62)"},
			notSummary: []string{"TTL"},
			evidence:   []string{"syn", "rst"}}},
	},
	{
		name: "ICMP administratively prohibited from a router 1 hop away",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := pinWire(an, "10.1.0.2:40000", "203.0.113.22:21")
			w.SetTTL("198.51.100.2", 63)
			synOnly(w, fr, 0)
			fr["icmp"] = w.ICMP("198.51.100.2", 3, 13, w.Client, w.Server)
		},
		want: "error:control-unreachable",
		expect: []pinExpect{{code: ControlUnreachable, severity: Error,
			summary: []string{"10.1.0.2's control connection to 203.0.113.22:21 was refused by ICMP",
				"198.51.100.2, 1 router hop from this point, answered administratively prohibited (ICMP type 3 code 13: a firewall rule)",
				"no FTP session began"},
			advice:   []string{"198.51.100.2 rejects connections to 203.0.113.22:21"},
			evidence: []string{"syn", "icmp"}}},
	},
	{
		name: "ICMP port unreachable from the server itself",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := pinWire(an, "10.1.0.2:40000", "203.0.113.22:21")
			synOnly(w, fr, 0)
			fr["icmp"] = w.ICMP("203.0.113.22", 3, 3, w.Client, w.Server)
		},
		want: "error:control-unreachable",
		expect: []pinExpect{{code: ControlUnreachable, severity: Error,
			summary:    []string{"203.0.113.22, 0 router hops from this point, answered port unreachable (ICMP type 3 code 3)"},
			notSummary: []string{"administratively", "firewall rule"},
			evidence:   []string{"syn", "icmp"}}},
	},
	{
		name: "ICMPv6 administratively prohibited",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := pinWire(an, "[2001:db8:1::2]:40000", "[2001:db8:203::22]:21")
			w.SetTTL("2001:db8:1::1", 64)
			synOnly(w, fr, 0)
			fr["icmp"] = w.ICMP("2001:db8:1::1", 1, 1, w.Client, w.Server)
		},
		want: "error:control-unreachable",
		expect: []pinExpect{{code: ControlUnreachable, severity: Error,
			summary:    []string{"2001:db8:1::1, 0 router hops from this point, answered communication administratively prohibited (ICMPv6 type 1 code 1"},
			notSummary: []string{"ICMP type"},
			evidence:   []string{"syn", "icmp"}}},
	},
	{
		name: "a client retrying one server three times: one finding per attempt, each with its frames",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			var prev []*wiretest.Wire
			for _, port := range []string{"40000", "40001", "40002"} {
				w := pinWire(an, "10.1.0.2:"+port, "203.0.113.21:21", prev...)
				synOnly(w, fr, 2)
				fr["syn"+port] = fr["syn"]
				prev = append(prev, w)
				w.Wait(time.Second)
			}
		},
		want: "error:control-no-answer error:control-no-answer error:control-no-answer",
	},
	{
		name: "resets from a server the client retries: one finding per attempt",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			var prev []*wiretest.Wire
			for _, port := range []string{"40000", "40001"} {
				w := pinWire(an, "10.1.0.2:"+port, "203.0.113.20:21", prev...)
				synOnly(w, fr, 0)
				w.Send(w.Server, w.Client, 0, w.CSeq+1, capture.RST|capture.ACK, "")
				prev = append(prev, w)
			}
		},
		want: "error:control-refused error:control-refused",
	},
	{
		name: "two servers never answering: one finding each",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			a := pinWire(an, "10.1.0.2:40000", "203.0.113.21:21")
			synOnly(a, fr, 1)
			b := pinWire(an, "10.1.0.2:40001", "203.0.113.31:21", a)
			b.CSeq = 777000 // not the same SYN seen twice
			synOnly(b, fr, 1)
		},
		want: "error:control-no-answer error:control-no-answer",
		check: func(t *testing.T, p *Point, fr pinFrames) {
			if len(p.Findings) == 2 && p.Findings[0].Session.Server == p.Findings[1].Session.Server {
				t.Errorf("both findings name %s", p.Findings[0].Session.Server)
			}
		},
	},
	{
		name: "an answered control connection: nothing to say",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := pinWire(an, "10.1.0.2:40000", "203.0.113.10:21")
			w.Handshake()
			pinLogin(w, "anonymous")
			w.C("QUIT\r\n")
			w.S("221 bye\r\n")
			w.Close()
		},
		want: "",
	},
	{
		name: "lab s11, client LAN: refused, unanswered, ICMP-rejected", point: "client-lan",
		file: labCapture("s11-control-refused.client-lan.pcap"),
		want: "error:control-refused error:control-no-answer error:control-unreachable",
		expect: []pinExpect{
			{code: ControlRefused, severity: Error, summary: []string{"203.0.113.20:21 was reset from 2 router hops away (TTL 62)"}, evidence: []string{"3", "4"}},
			{code: ControlNoAnswer, severity: Error, summary: []string{"203.0.113.21:21 was never answered (SYN sent 3 times)", "on the client's link"}, evidence: []string{"5", "7"}},
			{code: ControlUnreachable, severity: Error,
				summary:  []string{"203.0.113.22:21 was refused by ICMP: 198.51.100.2, 1 router hop from this point, answered administratively prohibited (ICMP type 3 code 13"},
				evidence: []string{"8", "9"}},
		},
	},
	{
		name: "lab s11, server LAN: the server host's own reset", point: "server-lan",
		file: labCapture("s11-control-refused.server-lan.pcap"),
		want: "error:control-refused",
		expect: []pinExpect{{code: ControlRefused, severity: Error,
			summary: []string{"198.51.100.1's control connection to 203.0.113.20:21 was reset from this link (no router between, TTL 64)"}, evidence: []string{"3", "4"}}},
	},
}

func TestControlNeverStarted(t *testing.T) { runPinCases(t, controlNeverStartedCases) }

// stallSession logs in, asks for a passive data connection, opens it,
// and sends RETR, which the server never acknowledges: the client resends
// it 5 times. It records "retr".
func stallSession(w *wiretest.Wire, fr pinFrames) {
	w.Handshake()
	pinLogin(w, "anonymous")
	w.C("PASV\r\n")
	w.S("227 Entering Passive Mode (203,0,113,10,117,48).\r\n")
	w.Data("10.1.0.2:50000", "203.0.113.10:30000", "synack", 0)
	seq := w.CSeq
	fr["retr"] = w.C("RETR small.bin\r\n")
	pinResend(w, fr, true, seq, "RETR small.bin\r\n", 5)
}

var controlStalledCases = []pinCase{
	{
		name: "the client's RETR resent and never acknowledged, then the client resets", point: "client-lan",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := pinWire(an, "10.1.0.2:40000", "203.0.113.10:21")
			stallSession(w, fr)
			w.Wait(time.Second)
			fr["rst"] = w.Send(w.Client, w.Server, w.CSeq, w.SSeq, capture.RST|capture.ACK, "")
		},
		want: "error:control-stalled",
		expect: []pinExpect{{code: ControlStalled, severity: Error,
			summary: []string{`the client's 16 bytes ("RETR small.bin"), first sent at frame {retr}, were retransmitted 5 times and never acknowledged by the server`,
				"lost between this point and the server", "the client reset the connection (frame {rst})"},
			advice:    []string{"between this point and the server"},
			evidence:  []string{"retr", "lastresend"},
			transfers: "S1.T1"}},
	},
	{
		name: "the stall ended by the server closing",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := pinWire(an, "10.1.0.2:40000", "203.0.113.10:21")
			stallSession(w, fr)
			fr["fin"] = w.Send(w.Server, w.Client, w.SSeq, w.CSeq-16, capture.FIN|capture.ACK, "")
		},
		want: "error:control-stalled",
		expect: []pinExpect{{code: ControlStalled, severity: Error,
			summary:    []string{"first sent at frame {retr}", "the server closed the connection (frame {fin})"},
			notSummary: []string{"capture ends"},
			transfers:  "S1.T1"}},
	},
	{
		name: "the stall and the capture ends with the session open",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			stallSession(pinWire(an, "10.1.0.2:40000", "203.0.113.10:21"), fr)
		},
		want: "error:control-stalled",
		expect: []pinExpect{{code: ControlStalled, severity: Error,
			summary: []string{"retransmitted 5 times", "the capture ends with the session still open"}, transfers: "S1.T1"}},
	},
	{
		name: "the server's reply resent and never acknowledged by the client",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := pinWire(an, "10.1.0.2:40000", "203.0.113.10:21")
			w.Handshake()
			pinLogin(w, "anonymous")
			w.C("SYST\r\n")
			seq := w.SSeq
			fr["reply"] = w.S("215 UNIX Type: L8\r\n")
			pinResend(w, fr, false, seq, "215 UNIX Type: L8\r\n", 3)
		},
		want: "error:control-stalled",
		expect: []pinExpect{{code: ControlStalled, severity: Error,
			summary: []string{`the server's 19 bytes ("215 UNIX Type: L8"), first sent at frame {reply}, were retransmitted 3 times and never acknowledged by the client`,
				"lost between this point and the client"},
			evidence: []string{"reply", "lastresend"}}},
	},
	{
		name: "a resend the server then acknowledged is no stall",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := pinWire(an, "10.1.0.2:40000", "203.0.113.10:21")
			w.Handshake()
			pinLogin(w, "anonymous")
			w.C("PASV\r\n")
			w.S("227 Entering Passive Mode (203,0,113,10,117,48).\r\n")
			w.Data("10.1.0.2:50000", "203.0.113.10:30000", "synack", 10)
			seq := w.CSeq
			w.C("RETR small.bin\r\n")
			pinResend(w, fr, true, seq, "RETR small.bin\r\n", 1)
			w.S("150 here\r\n")
			w.S("226 done\r\n")
		},
		want: "",
	},
	{
		name: "a PORT written in two segments whose start is resent and never acknowledged: alg-missed-split, not control-stalled", point: "client-lan",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := pinWire(an, "10.1.0.2:40000", "203.0.113.10:21")
			w.Handshake()
			pinLogin(w, "anonymous")
			seq := w.CSeq
			fr["po"] = w.Send(w.Client, w.Server, seq, w.SSeq, capture.PSH|capture.ACK, "PO")
			fr["rt"] = w.Send(w.Client, w.Server, seq+2, w.SSeq, capture.PSH|capture.ACK, "RT 10,1,0,2,156,65\r\n")
			w.CSeq += 22
			pinResend(w, fr, true, seq, "PO", 4)
		},
		want: "error:alg-missed-split",
		expect: []pinExpect{{code: ALGMissedSplit, severity: Error,
			summary:   []string{`"PORT 10,1,0,2,156,65" in more than one TCP segment (frames {po} to {rt})`, "retransmitted 4 times (last at frame {lastresend})"},
			evidence:  []string{"po", "rt", "lastresend"},
			transfers: "S1.T1"}},
	},
	{
		name: "a partial PO alone, resent and never completed", point: "client-lan",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := pinWire(an, "10.1.0.2:40000", "203.0.113.10:21")
			w.Handshake()
			pinLogin(w, "anonymous")
			w.C("TYPE I\r\n")
			w.S("200 ok\r\n")
			seq := w.CSeq
			fr["po"] = w.Send(w.Client, w.Server, seq, w.SSeq, capture.PSH|capture.ACK, "PO")
			pinResend(w, fr, true, seq, "PO", 6)
		},
		want: "error:alg-missed-split",
		expect: []pinExpect{{code: ALGMissedSplit, severity: Error,
			summary: []string{`the client sent "PO", the start of an active-mode command, alone in one TCP segment (frame {po})`,
				"retransmitted 6 times", "the server never acknowledged it"},
			evidence: []string{"po", "lastresend"}}},
	},
	{
		name: "a stalled USER is not a partial PORT",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := pinWire(an, "10.1.0.2:40000", "203.0.113.10:21")
			w.Handshake()
			w.S("220 ready\r\n")
			seq := w.CSeq
			fr["user"] = w.C("USER pat\r\n")
			pinResend(w, fr, true, seq, "USER pat\r\n", 3)
		},
		want: "error:control-stalled",
		expect: []pinExpect{{code: ControlStalled, severity: Error,
			summary: []string{`the client's 10 bytes ("USER pat"), first sent at frame {user}, were retransmitted 3 times`}}},
	},
	{
		name: "lab s13, client LAN: the RETR a middlebox drops", point: "client-lan",
		file: labCapture("s13-control-stall.client-lan.pcap"),
		want: "error:control-stalled",
		expect: []pinExpect{{code: ControlStalled, severity: Error,
			summary:   []string{`the client's 16 bytes ("RETR small.bin"), first sent at frame 22, were retransmitted 5 times and never acknowledged by the server`},
			evidence:  []string{"22", "29"},
			transfers: "S1.T1"}},
	},
	{
		name: "lab s10, client LAN: the split PORTs", point: "client-lan",
		file:  labCapture("s10-split-port.client-lan.pcap"),
		want:  "error:alg-missed-split error:alg-missed-split warning:alg-missed-split warning:alg-missed-split",
		never: []string{"control-stalled"},
		check: func(t *testing.T, p *Point, fr pinFrames) {
			var s1 *Finding
			for _, f := range p.Findings {
				if f.Session.ID == "S1" {
					s1 = f
				}
			}
			if s1 == nil || !strings.Contains(s1.Summary, `the client sent "PO", the start of an active-mode command, alone in one TCP segment (frame 13)`) ||
				!strings.Contains(s1.Summary, "retransmitted 6 times") {
				t.Errorf("S1's finding does not tell the lone PO of frame 13: %+v", s1)
			}
		},
	},
}

func TestControlStalled(t *testing.T) { runPinCases(t, controlStalledCases) }

// lostSession logs in at nat-outside as the NATed client 198.51.100.1.
func lostSession(an *analyze.Analyzer) *wiretest.Wire {
	w := pinWire(an, "198.51.100.1:40000", "203.0.113.10:21")
	w.Handshake()
	pinLogin(w, "anonymous")
	w.C("TYPE I\r\n")
	w.S("200 ok\r\n")
	return w
}

// pinLose skips n of the client's bytes (they never cross this point).
func pinLose(w *wiretest.Wire, n int) { w.CSeq += uint32(n) }

// pinDupAck writes the server's acknowledgement of the client's bytes up to
// seq only.
func pinDupAck(w *wiretest.Wire, seq uint32) uint64 {
	return w.Send(w.Server, w.Client, w.SSeq, seq, capture.ACK, "")
}

var lostBytesCases = []pinCase{
	{
		name: "a hole the server never acknowledged while it went on acknowledging", point: "nat-outside",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := lostSession(an)
			before := w.CSeq
			pinLose(w, 16)
			fr["after"] = w.C("NOOP\r\n")
			fr["dup"] = pinDupAck(w, before)
			w.Wait(200 * time.Millisecond)
			pinDupAck(w, before)
		},
		want: "error:control-stalled",
		expect: []pinExpect{{code: ControlStalled, severity: Error,
			summary: []string{"16 bytes of the client's control stream never crossed this point: its segment at frame {after} starts 16 bytes past the last one seen",
				"the server, which went on acknowledging, never acknowledged them", "they were lost before this point"},
			advice:   []string{"between the client and this point"},
			evidence: []string{"after"}}},
		never: []string{"capture missed", "cannot tell"},
	},
	{
		name: "a hole followed by silence longer than a second", point: "nat-outside",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := lostSession(an)
			pinLose(w, 16)
			fr["after"] = w.Send(w.Client, w.Server, w.CSeq, w.SSeq, capture.ACK, "")
			w.Wait(3 * time.Second)
			// Another connection goes on: the capture runs 3 s past the hole.
			o := pinWire(an, "198.51.100.1:40001", "203.0.113.99:21", w)
			o.CSeq = 777
			o.Handshake()
		},
		want: "error:control-stalled",
		expect: []pinExpect{{code: ControlStalled, severity: Error,
			summary:  []string{"16 bytes of the client's control stream never crossed this point", "the server acknowledged nothing in the 3.03s the capture goes on after it"},
			evidence: []string{"after"}}},
		never: []string{"capture missed"},
	},
	{
		name: "the unrewritten tail of a PORT after a hole: alg-missed-split with the leaked private address", point: "nat-outside",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := lostSession(an)
			before := w.CSeq
			pinLose(w, 2)
			fr["tail"] = w.C("RT 10,1,0,2,156,65\r\n")
			pinDupAck(w, before)
		},
		want: "error:alg-missed-split",
		expect: []pinExpect{{code: ALGMissedSplit, severity: Error,
			summary: []string{`the client's segment at frame {tail} carries "RT 10,1,0,2,156,65", the tail of an active-mode command with the private address 10.1.0.2, not rewritten`,
				"its first 2 bytes never crossed this point"},
			advice:   []string{"passive mode"},
			evidence: []string{"tail"}}},
		never: []string{"capture missed"},
	},
	{
		name: "the unrewritten tail of an EPRT after a hole", point: "nat-outside",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := lostSession(an)
			before := w.CSeq
			pinLose(w, 5)
			fr["tail"] = w.C("|1|10.1.0.2|40001|\r\n")
			pinDupAck(w, before)
		},
		want: "error:alg-missed-split",
		expect: []pinExpect{{code: ALGMissedSplit, severity: Error,
			summary: []string{"the private address 10.1.0.2, not rewritten", "its first 5 bytes never crossed this point"}}},
	},
	{
		// Fuzz find (FuzzDialogue): the whole command crossed this point,
		// so the bytes lost before it were another line, not its start.
		name: "a whole PORT with a private address after a hole: a stall, not a split", point: "nat-outside",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := lostSession(an)
			before := w.CSeq
			pinLose(w, 8)
			fr["after"] = w.C("PORT 10,1,0,2,156,65\r\n")
			pinDupAck(w, before)
		},
		want: "error:control-stalled",
		expect: []pinExpect{{code: ControlStalled, severity: Error,
			summary:    []string{"8 bytes of the client's control stream never crossed this point: its segment at frame {after}"},
			notSummary: []string{"tail", "split"}}},
	},
	{
		name: "a tail naming a public address after a hole: a stall, not a leak", point: "nat-outside",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := lostSession(an)
			before := w.CSeq
			pinLose(w, 2)
			fr["tail"] = w.C("RT 198,51,100,1,156,65\r\n")
			pinDupAck(w, before)
		},
		want: "error:control-stalled",
		expect: []pinExpect{{code: ControlStalled, severity: Error,
			summary: []string{"2 bytes of the client's control stream never crossed this point: its segment at frame {tail}"}, notSummary: []string{"private"}}},
	},
	{
		name: "a hole in the server's replies the client never acknowledged",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := pinWire(an, "10.1.0.2:40000", "203.0.113.10:21")
			w.Handshake()
			pinLogin(w, "anonymous")
			w.C("SYST\r\n")
			before := w.SSeq
			w.SSeq += 19 // "215 UNIX Type: L8\r\n" never crosses this point
			fr["after"] = w.S("211 more\r\n")
			w.Send(w.Client, w.Server, w.CSeq, before, capture.ACK, "")
			w.Send(w.Client, w.Server, w.CSeq, before, capture.ACK, "")
		},
		want: "error:control-stalled",
		expect: []pinExpect{{code: ControlStalled, severity: Error,
			summary: []string{"19 bytes of the server's control stream never crossed this point: its segment at frame {after} starts 19 bytes past the last one seen",
				"the client, which went on acknowledging, never acknowledged them"},
			advice: []string{"between the server and this point"}}},
	},
	{
		name: "lab s13, outside the NAT: the RETR that never came out", point: "nat-outside",
		file: labCapture("s13-control-stall.nat-outside.pcap"),
		want: "error:control-stalled",
		expect: []pinExpect{{code: ControlStalled, severity: Error,
			summary:  []string{"16 bytes of the client's control stream never crossed this point: its segment at frame 23", "the server acknowledged nothing in the 3.792s"},
			evidence: []string{"23"}}},
		never: []string{"RETR small.bin"},
	},
	{
		name: "lab s10, outside the NAT: a lost PO, a leaked tail and two recovered splits", point: "nat-outside",
		file: labCapture("s10-split-port.nat-outside.pcap"),
		want: "error:control-stalled error:alg-missed-split warning:alg-missed-split warning:alg-missed-split",
		expect: []pinExpect{
			{code: ControlStalled, severity: Error, summary: []string{"2 bytes of the client's control stream never crossed this point: its segment at frame 14"}, evidence: []string{"14"}},
			{code: ALGMissedSplit, severity: Error, summary: []string{`frame 25 carries "RT 10,1,0,2,156,66"`, "the private address 10.1.0.2, not rewritten"}, evidence: []string{"25"}},
		},
	},
}

func TestLostBytes(t *testing.T) { runPinCases(t, lostBytesCases) }

// twoCopies writes the client's line, then a differing copy of it at the
// same sequence number, and the server's acknowledgement of both;
// recording "first" and "second".
func twoCopies(first, second string) pinScript {
	return func(an *analyze.Analyzer, fr pinFrames) {
		w := pinWire(an, "198.51.100.1:40000", "203.0.113.10:21")
		w.Handshake()
		pinLogin(w, "anonymous")
		seq := w.CSeq
		fr["first"] = w.C(first)
		w.Wait(300 * time.Millisecond)
		fr["second"] = w.Send(w.Client, w.Server, seq, w.SSeq, capture.PSH|capture.ACK, second)
		w.S("200 ok\r\n")
	}
}

var rewrittenCopiesCases = []pinCase{
	{
		name: "two copies of a PORT with different addresses: a rewrite, told in time order", point: "nat-outside",
		build: twoCopies("PORT 10,1,0,2,156,65\r\n", "PORT 10,1,0,9,156,65\r\n"),
		want:  "info:alg-rewrite",
		expect: []pinExpect{{code: ALGRewrite, severity: Info,
			// The first copy crossed this point first: a sentence saying
			// "(A, then B)" must name them in that order.
			summary:  []string{"the same bytes of the client's stream crossed this point twice with different content", `("PORT 10,1,0,2,156,65", then "PORT 10,1,0,9,156,65")`},
			advice:   []string{"--point"},
			evidence: []string{"first", "second"}}},
	},
	{
		name:  "copies differing in words, not numbers: no rewrite",
		build: twoCopies("SITE a,b,c,d\r\n", "SITE a,b,x,d\r\n"),
		want:  "",
	},
	{
		name:  "copies differing in a number that is no address: no rewrite",
		build: twoCopies("SIZE 12345\r\n", "SIZE 12399\r\n"),
		want:  "",
	},
	{
		name: "a split PORT's tail first, then the whole line rewritten: alg-missed-split warning", point: "nat-outside",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := lostSession(an)
			seq := w.CSeq
			// "PO" dropped before this point; the unrewritten tail crosses.
			fr["tail"] = w.Send(w.Client, w.Server, seq+2, w.SSeq, capture.PSH|capture.ACK, "RT 10,1,0,2,156,65\r\n")
			pinDupAck(w, seq)
			w.Wait(200 * time.Millisecond)
			// The client resends the whole line; the helper rewrites it.
			fr["whole"] = w.Send(w.Client, w.Server, seq, w.SSeq, capture.PSH|capture.ACK, "PORT 198,51,100,1,156,65\r\n")
			w.CSeq = seq + 26
			fr["reply"] = w.S("200 PORT command successful.\r\n")
			w.C("RETR small.bin\r\n")
			w.S("150 here\r\n")
			w.Data("203.0.113.10:20", "198.51.100.1:40001", "synack", 10)
			w.S("226 done\r\n")
		},
		want: "warning:alg-missed-split",
		expect: []pinExpect{{code: ALGMissedSplit, severity: Warning,
			summary: []string{`the client's PORT reached this point twice: first a tail of it alone ("RT 10,1,0,2,156,65", frame {tail})`,
				"carrying the private address 10.1.0.2 unrewritten",
				`then the whole line rewritten ("PORT 198,51,100,1,156,65", frame {whole})`,
				`which the server answered ("200 PORT command successful.")`},
			evidence:  []string{"tail", "whole", "reply"},
			transfers: "S1.T1"}},
		never: []string{"capture missed", "never crossed"},
	},
}

func TestRewrittenCopies(t *testing.T) { runPinCases(t, rewrittenCopiesCases) }

// idleSession logs in, sends TYPE I ("type") and waits idle.
func idleSession(an *analyze.Analyzer, fr pinFrames) *wiretest.Wire {
	w := pinWire(an, "10.1.0.2:40000", "203.0.113.10:21")
	w.Handshake()
	pinLogin(w, "anonymous")
	fr["type"] = w.C("TYPE I\r\n")
	w.S("200 ok\r\n")
	return w
}

// raceRETR is a session idle 5 minutes after a negotiation whose RETR
// crosses the server's 421: the 421 does not acknowledge it. It records
// "retr" and "421".
func raceRETR(neg, reply string) pinScript {
	return func(an *analyze.Analyzer, fr pinFrames) {
		w := idleSession(an, fr)
		w.C(neg)
		w.S(reply)
		w.Wait(5 * time.Minute)
		before := w.CSeq
		fr["retr"] = w.C("RETR small.bin\r\n")
		fr["421"] = w.Send(w.Server, w.Client, w.SSeq, before, capture.PSH|capture.ACK, "421 Timeout.\r\n")
		w.SSeq += 14
		w.Send(w.Server, w.Client, w.SSeq, before, capture.FIN|capture.ACK, "")
	}
}

var serverClosedCases = []pinCase{
	{
		// Fuzz find (FuzzDialogue): the close was told as following the
		// 421 ("then") whatever their order.
		name: "421 after the client had closed its side: the close is said as before it",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := idleSession(an, fr)
			w.Wait(time.Minute)
			fr["fin"] = w.Send(w.Client, w.Server, w.CSeq, w.SSeq, capture.FIN|capture.ACK, "")
			w.CSeq++
			fr["421"] = w.S("421 Timeout.\r\n")
		},
		want: "warning:server-closed",
		expect: []pinExpect{{code: ServerClosed, severity: Warning,
			summary:    []string{`with "421 Timeout." (frame {421})`, "; before that, the client closed the connection (frame {fin})"},
			notSummary: []string{"then the client closed"},
			evidence:   []string{"421"}}},
	},
	{
		name: "421 after 5 minutes idle, no command waiting: a warning",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := idleSession(an, fr)
			w.Wait(5 * time.Minute)
			fr["421"] = w.S("421 Timeout.\r\n")
			fr["fin"] = w.Send(w.Server, w.Client, w.SSeq, w.CSeq, capture.FIN|capture.ACK, "")
			w.SSeq++
			w.Send(w.Client, w.Server, w.CSeq, w.SSeq, capture.FIN|capture.ACK, "")
		},
		want: "warning:server-closed",
		expect: []pinExpect{{code: ServerClosed, severity: Warning,
			summary: []string{`the server ended the session on its own with "421 Timeout." (frame {421})`,
				"5m0.02s after the client's last command (TYPE I, frame {type})", "which answers no command",
				"the server closed the connection (frame {fin})"},
			notSummary: []string{"never got an answer"},
			advice:     []string{"idle timeout"},
			evidence:   []string{"421", "type"},
			transfers:  "-"}},
	},
	{
		name: "421 while the server had not acknowledged the waiting RETR: an error, the RETR unanswered",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := idleSession(an, fr)
			fr["pasv"] = w.C("PASV\r\n")
			w.S("227 Entering Passive Mode (203,0,113,10,117,48).\r\n")
			w.Data("10.1.0.2:50000", "203.0.113.10:30000", "synack", 0)
			w.Wait(5 * time.Minute)
			before := w.CSeq
			fr["retr"] = w.C("RETR small.bin\r\n")
			// The server timed out at that instant: its 421 does not
			// acknowledge the RETR, which it never read.
			fr["421"] = w.Send(w.Server, w.Client, w.SSeq, before, capture.PSH|capture.ACK, "421 Timeout.\r\n")
			w.SSeq += 14
			fr["fin"] = w.Send(w.Server, w.Client, w.SSeq, before, capture.FIN|capture.ACK, "")
		},
		want: "error:server-closed",
		expect: []pinExpect{{code: ServerClosed, severity: Error,
			summary: []string{`with "421 Timeout." (frame {421})`, "which answers no command",
				"the client's RETR (frame {retr}) never got an answer"},
			evidence:  []string{"421", "retr"},
			transfers: "S1.T1"}},
		never: []string{`answered "421`, `"421 Timeout." failed`},
		check: func(t *testing.T, p *Point, fr pinFrames) {
			s := p.Sessions[0]
			if tr := s.Transfers[0]; tr.Final.Code != 0 {
				t.Errorf("the RETR's final reply is %q: the 421 the server sent without reading it is taken as its reply", tr.Final)
			}
			if len(s.Unanswered) != 1 || s.Unanswered[0].Verb != "RETR" {
				t.Errorf("unanswered %+v, want the RETR", s.Unanswered)
			}
		},
	},
	{
		name: "421 racing an active RETR before any data connection: the server never read the RETR, so never tried to connect", point: "client-lan",
		build: raceRETR("PORT 10,1,0,2,156,65\r\n", "200 PORT command successful.\r\n"),
		want:  "error:server-closed",
		expect: []pinExpect{{code: ServerClosed, severity: Error,
			summary: []string{"the client's RETR (frame {retr}) never got an answer"}, transfers: "S1.T1"}},
		never: []string{"tried to connect"},
	},
	{
		name: "421 racing a passive RETR before any data connection: not a data connection the client failed to open", point: "client-lan",
		build: raceRETR("PASV\r\n", "227 Entering Passive Mode (203,0,113,10,117,48).\r\n"),
		want:  "error:server-closed",
		expect: []pinExpect{{code: ServerClosed, severity: Error,
			summary: []string{"the client's RETR (frame {retr}) never got an answer"}, transfers: "S1.T1"}},
	},
	{
		name: "the idle time of a 421 racing a command is the time since the last command the server read",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := idleSession(an, fr)
			w.Wait(5 * time.Minute)
			before := w.CSeq
			fr["pwd"] = w.C("PWD\r\n")
			fr["421"] = w.Send(w.Server, w.Client, w.SSeq, before, capture.PSH|capture.ACK, "421 Timeout.\r\n")
			w.SSeq += 14
		},
		want: "error:server-closed",
		expect: []pinExpect{{code: ServerClosed, severity: Error,
			// The server was idle 5 minutes since TYPE I; the PWD it never
			// read came 10 ms before its 421.
			summary:    []string{"the client's PWD (frame {pwd}) never got an answer", "5m0.03s after", "(TYPE I, frame {type})"},
			notSummary: []string{"10ms after"}}},
	},
	{
		name: "a 421 the server sent after acknowledging the command answers it: no server-closed",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := pinWire(an, "10.1.0.2:40000", "203.0.113.10:21")
			w.Handshake()
			w.S("220 ready\r\n")
			w.C("USER anonymous\r\n")
			w.S("421 Too many users, try later.\r\n")
			w.Close()
		},
		want: "",
	},
	{
		name: "421 idle, then a command sent to the closed session (lab s12's shape)",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			w := idleSession(an, fr)
			w.Wait(2 * time.Second)
			fr["421"] = w.S("421 Timeout.\r\n")
			fr["fin"] = w.Send(w.Server, w.Client, w.SSeq, w.CSeq, capture.FIN|capture.ACK, "")
			w.SSeq++
			w.Wait(time.Second)
			fr["pasv"] = w.C("PASV\r\n")
			w.Send(w.Server, w.Client, w.SSeq, 0, capture.RST, "")
		},
		want: "error:server-closed",
		expect: []pinExpect{{code: ServerClosed, severity: Error,
			summary: []string{`with "421 Timeout." (frame {421})`, "2.02s after the client's last command (TYPE I, frame {type})",
				"the server closed the connection (frame {fin})", "the client's PASV (frame {pasv}) never got an answer"},
			transfers: "S1.T1"}},
	},
	{
		name: "lab s12, client LAN: two idle timeouts", point: "client-lan",
		file: labCapture("s12-idle-timeout.client-lan.pcap"),
		want: "error:server-closed error:server-closed",
		check: func(t *testing.T, p *Point, fr pinFrames) {
			want := map[string][]string{
				"S1": {`"421 Timeout." (frame 14), 2s after the client's last command (TYPE I, frame 11)`, "the server closed the connection (frame 16)", "the client's PASV (frame 18) never got an answer"},
				"S2": {`"421 Timeout." (frame 36), 2.001s after the client's last command (PASV, frame 30)`, "the client's RETR (frame 41) never got an answer"},
			}
			for _, f := range p.Findings {
				for _, s := range want[f.Session.ID] {
					if !strings.Contains(f.Summary, s) {
						t.Errorf("%s: the summary does not say %q:\n  %s", f.Session.ID, s, f.Summary)
					}
				}
				if got, want := pinTransfers(f), f.Session.ID+".T1"; got != want {
					t.Errorf("%s explains [%s], want [%s]", f.Session.ID, got, want)
				}
			}
		},
	},
}

func TestServerClosed(t *testing.T) { runPinCases(t, serverClosedCases) }
