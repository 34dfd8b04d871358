package diagnose

import (
	"net/netip"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff/analyze"
	"github.com/ftpsniff/ftpsniff/capture"
	"github.com/ftpsniff/ftpsniff/internal/wiretest"
)

// This file holds the table runner that the rule tables of rule_data,
// rule_nat, rule_negotiation and rule_bounce share (rtCase, rtWant,
// runRTCases), then the tables of rule_data.go.
//
// A case is what one capture point saw, scripted with wiretest or read
// from a lab capture, and what an engineer checks in the findings: every
// finding's severity and code, then, for the findings under test, the
// transfers they explain and the key facts of their sentences, present
// and absent.

// rtCase is one scenario of a rule table.
type rtCase struct {
	name string
	// point names the capture point ("capture" when empty); a name starting
	// with "client" or "server" places it on that side.
	point string
	// client and server are the control connection's ends ("ip:port"),
	// clientTTL and serverTTL the TTL (hop limit) their packets arrive with
	// (64 when 0: the host is on this point's link).
	client, server       string
	clientTTL, serverTTL uint8
	// steps is the dialogue after the handshake (see rtPlay); build, when
	// set, writes more packets after the steps.
	steps []string
	build func(w *wiretest.Wire)
	// capture is a lab capture read instead of the scripted dialogue.
	capture string
	// codes are all the findings as "severity:code", most severe first
	// (codes()); "" is no finding at all, "-" not checked.
	codes string
	want  []rtWant
	// nowhere are words no finding may say, in its summary or advice.
	nowhere []string
	// scene, when set, checks that the analysis read the packets as the
	// case means them (a split line, a reply the capture lost), so that
	// the case cannot pass for the wrong reason.
	scene func(t *testing.T, p *Point)
}

// rtWant is what one finding must say. It is found by code and severity
// and, when transfers is set, by the transfers it explains; without
// transfers, every finding of that code and severity must satisfy it.
type rtWant struct {
	code Code // "": any code, found by its transfers
	sev  Severity
	// transfers are the IDs of the transfers the finding explains, in
	// order ("S1.T2").
	transfers []string
	// says and never are in, and not in, the summary; advises and
	// neverAdvises the same for the advice.
	says, never, advises, neverAdvises []string
	// cites are frames the finding must give as evidence, by what they
	// say ("RST from 203.0.113.10:30000").
	cites []string
}

// rtPlay writes a dialogue's steps:
//
//	c:LINE              the client sends LINE (CRLF added)
//	s:LINE              the server sends LINE (CRLF added)
//	data:SRC>DST|ANSWER a data connection and its answer, as Wire.Data
//	icmp:FROM|CODE|SRC>DST  an ICMP (type 3, or ICMPv6 type 1 for IPv6) unreachable quoting SRC>DST's SYN
//	ttl:ADDR=N          from now on, ADDR's packets arrive with TTL N
//	wait:DURATION       the clock moves on
//	close               both FINs
func rtPlay(t testing.TB, w *wiretest.Wire, steps []string) {
	t.Helper()
	for _, st := range steps {
		kind, rest, _ := strings.Cut(st, ":")
		switch kind {
		case "c":
			w.C(rest + "\r\n")
		case "s":
			w.S(rest + "\r\n")
		case "data":
			ends, answer, _ := strings.Cut(rest, "|")
			src, dst, _ := strings.Cut(ends, ">")
			w.Data(src, dst, answer, 100)
		case "icmp":
			f := strings.Split(rest, "|")
			src, dst, _ := strings.Cut(f[2], ">")
			code, err := strconv.Atoi(f[1])
			if err != nil {
				t.Fatalf("step %q: %v", st, err)
			}
			s, d := netip.MustParseAddrPort(src), netip.MustParseAddrPort(dst)
			typ := uint8(3)
			if s.Addr().Is6() {
				typ = 1
			}
			w.ICMP(f[0], typ, uint8(code), s, d)
		case "ttl":
			addr, n, _ := strings.Cut(rest, "=")
			ttl, err := strconv.Atoi(n)
			if err != nil {
				t.Fatalf("step %q: %v", st, err)
			}
			w.SetTTL(addr, uint8(ttl))
		case "wait":
			d, err := time.ParseDuration(rest)
			if err != nil {
				t.Fatalf("step %q: %v", st, err)
			}
			w.Wait(d)
		case "close":
			w.Close()
		default:
			t.Fatalf("unknown step %q", st)
		}
	}
}

// rtRun diagnoses a case's packets.
func rtRun(t *testing.T, c rtCase) *Point {
	t.Helper()
	point := c.point
	if point == "" {
		point = "capture"
	}
	if c.capture != "" {
		return diagnoseFiles(t, point, labCapture(c.capture))
	}
	return scripted(t, point, c.client, c.server, func(w *wiretest.Wire) {
		if c.clientTTL != 0 {
			w.TTL[w.Client.Addr()] = c.clientTTL
		}
		if c.serverTTL != 0 {
			w.TTL[w.Server.Addr()] = c.serverTTL
		}
		w.Handshake()
		rtPlay(t, w, c.steps)
		if c.build != nil {
			c.build(w)
		}
	})
}

// runRTCases runs a rule table.
func runRTCases(t *testing.T, cases []rtCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := rtRun(t, c)
			if c.scene != nil {
				c.scene(t, res)
			}
			rtCheck(t, c, res.Findings)
		})
	}
}

// rtNegotiation returns the first session's n-th negotiation (from 1).
func rtNegotiation(t *testing.T, p *Point, n int) *analyze.Negotiation {
	t.Helper()
	if len(p.Sessions) == 0 || len(p.Sessions[0].Negotiations) < n {
		t.Fatalf("no negotiation %d in the first session", n)
	}
	return p.Sessions[0].Negotiations[n-1]
}

// rtTransferIDs lists the IDs of the transfers a finding explains.
func rtTransferIDs(f *Finding) []string {
	var ids []string
	for _, tr := range f.Transfers {
		ids = append(ids, tr.ID)
	}
	return ids
}

// rtCheck checks a case's findings.
func rtCheck(t *testing.T, c rtCase, fs []*Finding) {
	t.Helper()
	bad := false
	if got := codes(fs); c.codes != "-" && got != c.codes {
		t.Errorf("findings\n- want: %q\n-  got: %q", c.codes, got)
		bad = true
	}
	for _, f := range fs {
		// What every finding owes its reader (the old analyze tests
		// checked it too): a sentence, a fix, the frames, and a code
		// registered at that severity.
		if f.Summary == "" || f.Advice == "" || len(f.Evidence) == 0 {
			t.Errorf("%s %s lacks a summary, advice or evidence: %+v", f.Severity, f.Code, f)
			bad = true
		}
		if info, ok := Lookup(f.Code); !ok || !rtHasSeverity(info.Severities, f.Severity) {
			t.Errorf("%s %s: not a registered code and severity", f.Severity, f.Code)
			bad = true
		}
		for _, w := range c.nowhere {
			if strings.Contains(f.Summary, w) || strings.Contains(f.Advice, w) {
				t.Errorf("%s %s says %q, which this point cannot know or which is false here", f.Severity, f.Code, w)
				bad = true
			}
		}
	}
	for _, w := range c.want {
		var match []*Finding
		for _, f := range fs {
			if (w.code == "" || f.Code == w.code) && f.Severity == w.sev &&
				(w.transfers == nil || strings.Join(rtTransferIDs(f), " ") == strings.Join(w.transfers, " ")) {
				match = append(match, f)
			}
		}
		if len(match) == 0 {
			t.Errorf("no %s %s finding explaining %v", w.sev, w.code, w.transfers)
			bad = true
			continue
		}
		for _, f := range match {
			for _, s := range w.says {
				if !strings.Contains(f.Summary, s) {
					t.Errorf("%s %s %v: the summary does not say %q", f.Severity, f.Code, rtTransferIDs(f), s)
					bad = true
				}
			}
			for _, s := range w.never {
				if strings.Contains(f.Summary, s) {
					t.Errorf("%s %s %v: the summary says %q", f.Severity, f.Code, rtTransferIDs(f), s)
					bad = true
				}
			}
			for _, s := range w.advises {
				if !strings.Contains(f.Advice, s) {
					t.Errorf("%s %s %v: the advice does not say %q", f.Severity, f.Code, rtTransferIDs(f), s)
					bad = true
				}
			}
			for _, s := range w.cites {
				found := false
				for _, e := range f.Evidence {
					found = found || strings.Contains(e.What, s)
				}
				if !found {
					t.Errorf("%s %s %v: no evidence says %q (evidence: %+v)", f.Severity, f.Code, rtTransferIDs(f), s, f.Evidence)
					bad = true
				}
			}
			for _, s := range w.neverAdvises {
				if strings.Contains(f.Advice, s) {
					t.Errorf("%s %s %v: the advice says %q", f.Severity, f.Code, rtTransferIDs(f), s)
					bad = true
				}
			}
		}
	}
	if bad || testing.Verbose() {
		for _, f := range fs {
			t.Logf("%s %s %v: %s\n    advice: %s", f.Severity, f.Code, rtTransferIDs(f), f.Summary, f.Advice)
		}
	}
}

func rtHasSeverity(list []Severity, s Severity) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Addresses of the scripted scenarios: a client on a private LAN behind a
// NAT, a public client, a public server, the lab's routers.
const (
	rtLANClient = "10.1.0.2:40000"
	rtPubClient = "198.51.100.7:40000"
	rtPubServer = "203.0.113.10:21"
)

// rtPASV is a passive negotiation for 203.0.113.10:30000.
var rtPASV = []string{"s:220 hi", "c:PASV", "s:227 Entering Passive Mode (203,0,113,10,117,48)"}

// rtSteps joins step lists.
func rtSteps(parts ...[]string) []string {
	var out []string
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// TestRuleServerRefusedRequest: the server refused the request itself
// (550, 552...), which is not the data connection's doing; the advice says
// the data connection was set up only when this point saw it set up.
func TestRuleServerRefusedRequest(t *testing.T) {
	runRTCases(t, []rtCase{
		{name: "550 without any data connection: the reply is the cause, the data connection is not (ported: 550 is the server refusing the file)",
			client: rtLANClient, server: rtPubServer, serverTTL: 60,
			steps: rtSteps(rtPASV, []string{"c:RETR nope", "s:550 Failed to open file."}),
			codes: "error:transfer-failed",
			want: []rtWant{{code: TransferFailed, sev: Error, transfers: []string{"S1.T1"},
				says:         []string{"RETR nope failed", `"550 Failed to open file."`},
				cites:        []string{"550 Failed to open file."},
				advises:      []string{"the data connection is not the cause"},
				neverAdvises: []string{"was set up"}}}},
		{name: "552 after the data connection was set up: the advice says it was set up",
			client: rtLANClient, server: rtPubServer, serverTTL: 60,
			steps: rtSteps(rtPASV, []string{"data:10.1.0.2:40001>203.0.113.10:30000|synack", "c:STOR big.iso", "s:150 Ok to send data.", "s:552 Disk full."}),
			codes: "error:transfer-failed",
			want: []rtWant{{code: TransferFailed, sev: Error, transfers: []string{"S1.T1"},
				says:         []string{"STOR big.iso failed", `"552 Disk full."`},
				advises:      []string{"The data connection itself was set up"},
				neverAdvises: []string{"not the cause"}}}},
		{name: "550 to an active RETR of a public client, no SYN: the server refused before connecting, no data-connection finding",
			client: rtPubClient, server: rtPubServer, clientTTL: 60,
			steps: []string{"s:220 hi", "c:PORT 198,51,100,7,156,65", "s:200 PORT command successful.", "c:RETR nope", "s:550 Failed to open file."},
			codes: "error:transfer-failed",
			want: []rtWant{{code: TransferFailed, sev: Error, transfers: []string{"S1.T1"},
				says:         []string{`"550 Failed to open file."`},
				neverAdvises: []string{"was set up"}}},
			nowhere: []string{"never crossed", "sent no connection"}},
		{name: "553 after a set-up active data connection (STOR not allowed): set up, and the reply is the cause",
			client: rtPubClient, server: rtPubServer, clientTTL: 60,
			steps: []string{"s:220 hi", "c:PORT 198,51,100,7,156,65", "s:200 PORT command successful.", "c:STOR x",
				"s:150 Ok", "data:203.0.113.10:20>198.51.100.7:40001|synack", "s:553 Could not create file."},
			codes: "error:transfer-failed",
			want: []rtWant{{code: TransferFailed, sev: Error, transfers: []string{"S1.T1"},
				says: []string{`"553 Could not create file."`}, advises: []string{"The data connection itself was set up"}}}},
		{name: "500 unknown command to a passive RETR seen whole: the server did not read the line sent; no helper named (the line before is not one a helper rewrites)",
			client: rtLANClient, server: rtPubServer, serverTTL: 60,
			steps: rtSteps(rtPASV, []string{"c:RETR f", "s:500 Unknown command."}),
			codes: "error:transfer-failed",
			want: []rtWant{{code: TransferFailed, sev: Error, transfers: []string{"S1.T1"},
				says:    []string{`the server answered "500 Unknown command." to RETR, a command every FTP server knows`, "the server did not read the line the client sent"},
				never:   []string{"FTP helper on a NAT rewrites", "permissions"},
				advises: []string{"Compare captures on both sides"}}}},
		{name: "500 to a command not every server knows keeps the usual wording",
			client: rtLANClient, server: rtPubServer, serverTTL: 60,
			steps: rtSteps(rtPASV, []string{"c:MLSD", "s:500 Unknown command."}),
			codes: "error:transfer-failed",
			want: []rtWant{{code: TransferFailed, sev: Error, transfers: []string{"S1.T1"},
				says: []string{`MLSD failed: the server answered "500 Unknown command."`}, never: []string{"every FTP server knows"}}}},
		{name: "425 with no data connection is not the server refusing the request",
			client: rtLANClient, server: rtPubServer, serverTTL: 60,
			steps:   rtSteps(rtPASV, []string{"c:RETR f", "s:425 Failed to establish connection."}),
			codes:   "error:data-not-attempted",
			nowhere: []string{"not the cause"}},
	})
}

// TestRuleDataWorked: a data connection set up here needs no finding,
// whatever the mode, unless the server refused the request after it.
func TestRuleDataWorked(t *testing.T) {
	runRTCases(t, []rtCase{
		{name: "passive, SYN-ACK, 226",
			client: rtLANClient, server: rtPubServer, serverTTL: 60,
			steps: rtSteps(rtPASV, []string{"data:10.1.0.2:40001>203.0.113.10:30000|synack", "c:RETR f", "s:150 ok", "s:226 done"}),
			codes: ""},
		{name: "active from port 20 to a public client, 226",
			client: rtPubClient, server: rtPubServer, clientTTL: 58,
			steps: []string{"s:220 hi", "c:PORT 198,51,100,7,156,65", "s:200 ok", "c:RETR f", "s:150 ok", "data:203.0.113.10:20>198.51.100.7:40001|synack", "s:226 done"},
			codes: ""},
		{name: "IPv6 EPSV, SYN-ACK, 226",
			client: "[2001:db8:1::2]:40000", server: "[2001:db8:203::10]:21", serverTTL: 62,
			steps: []string{"s:220 hi", "c:EPSV", "s:229 Entering Extended Passive Mode (|||30000|)", "data:[2001:db8:1::2]:40001>[2001:db8:203::10]:30000|synack", "c:RETR f", "s:150 ok", "s:226 done"},
			codes: ""},
		{name: "set up, and the capture ends before the server's final reply",
			client: rtLANClient, server: rtPubServer, serverTTL: 60,
			steps: rtSteps(rtPASV, []string{"data:10.1.0.2:40001>203.0.113.10:30000|synack", "c:RETR f", "s:150 ok"}),
			codes: ""},
		{name: "set up, then ended by the server's reset instead of a FIN, 226: set up is set up, no data-refused",
			client: rtLANClient, server: rtPubServer, serverTTL: 60,
			steps: rtSteps(rtPASV, []string{"c:LIST", "s:150 ok"}),
			build: func(w *wiretest.Wire) {
				c, s := netip.MustParseAddrPort("10.1.0.2:40001"), netip.MustParseAddrPort("203.0.113.10:30000")
				w.Send(c, s, 1, 0, capture.SYN, "")
				w.Send(s, c, 9, 2, capture.SYN|capture.ACK, "")
				w.Send(c, s, 2, 10, capture.ACK, "")
				w.Send(s, c, 10, 2, capture.PSH|capture.ACK, "listing")
				w.Send(s, c, 17, 2, capture.RST|capture.ACK, "")
				rtPlay(t, w, []string{"s:226 done"})
			},
			scene: func(t *testing.T, p *Point) {
				if dc := rtNegotiation(t, p, 1).Data; dc == nil || !dc.SYNACK.Valid() || !dc.RST.Valid() {
					t.Fatalf("want a data connection set up, then reset: %+v", dc)
				}
			},
			codes: ""},
		{name: "lab s9: one session, six transfers mixing EPSV and PASV, all 226",
			capture: "s9-mixed-session.client-lan.pcap", codes: ""},
		{name: "lab s7: IPv6 EPSV and EPRT, all 226",
			capture: "s7-ipv6.client-lan.pcap", codes: ""},
	})
}

// TestRuleDataNotNeeded: no data connection here, and its absence is no
// failure.
func TestRuleDataNotNeeded(t *testing.T) {
	runRTCases(t, []rtCase{
		{name: "not captured: 150 and 226 say the data moved, the capture holds only the control connection",
			client: rtLANClient, server: rtPubServer, serverTTL: 60,
			steps: rtSteps(rtPASV, []string{"c:RETR f", "s:150 Opening BINARY mode data connection", "s:226 Transfer complete", "c:QUIT", "s:221 bye", "close"}),
			codes: ""},
		{name: "cut off by the end of the capture with the session open: nothing has failed yet",
			client: rtLANClient, server: rtPubServer, serverTTL: 60,
			steps: rtSteps(rtPASV, []string{"c:RETR f"}),
			codes: ""},
		{name: "cut off after 150, the capture ending with the session open",
			client: rtLANClient, server: rtPubServer, serverTTL: 60,
			steps: rtSteps(rtPASV, []string{"c:RETR f", "s:150 ok"}),
			codes: ""},
		{name: "a PASV no command used, then one whose data connection worked: the client moved on, no finding",
			client: rtLANClient, server: rtPubServer, serverTTL: 60,
			steps: rtSteps(rtPASV, []string{"c:PASV", "s:227 Entering Passive Mode (203,0,113,10,117,49)",
				"data:10.1.0.2:40001>203.0.113.10:30001|synack", "c:LIST", "s:150 ok", "s:226 done", "close"}),
			codes: ""},
		{name: "226 without a 150 and no data connection here",
			client: rtLANClient, server: rtPubServer, serverTTL: 60,
			steps: rtSteps(rtPASV, []string{"c:NLST", "s:226 done", "close"}),
			codes: ""},
		{name: "the session closed before any final reply: that is a failure, not a cut-off capture",
			client: rtLANClient, server: rtPubServer, serverTTL: 60,
			steps: rtSteps(rtPASV, []string{"c:RETR f", "close"}),
			codes: "error:data-not-attempted",
			want:  []rtWant{{code: DataNotAttempted, sev: Error, transfers: []string{"S1.T1"}}}},
		{name: "a PASV the client's last word, session closed, no SYN on the client's link: a failure",
			client: rtLANClient, server: rtPubServer, serverTTL: 60,
			steps: rtSteps(rtPASV, []string{"wait:3s", "close"}),
			codes: "error:data-not-attempted",
			want:  []rtWant{{code: DataNotAttempted, sev: Error, transfers: []string{"S1.T1"}}}},
	})
}

// TestRuleDataFailed: what the point saw of the data connection decides
// the code and every fact of the sentence: who answered, from how many
// hops, and what to change where.
func TestRuleDataFailed(t *testing.T) {
	runRTCases(t, []rtCase{
		// ---- never answered
		{name: "no answer, passive, seen on the server's own link: the server itself did not answer",
			client: rtPubClient, server: rtPubServer, clientTTL: 58,
			steps: rtSteps(rtPASV, []string{"data:198.51.100.7:40001>203.0.113.10:30000|retry", "c:RETR f", "s:425 Failed to establish connection."}),
			codes: "error:data-no-answer",
			want: []rtWant{{code: DataNoAnswer, sev: Error, transfers: []string{"S1.T1"},
				says:         []string{"the client's data connection to 203.0.113.10:30000", "SYN sent 3 times", "this point is on the server's own link", "the server itself did not answer", `"425 Failed to establish connection."`},
				cites:        []string{"SYN 198.51.100.7:40001 → 203.0.113.10:30000", "SYN retransmitted 2 times, never answered", "227 Entering Passive Mode"},
				never:        []string{"between this point and"},
				advises:      []string{"on the server itself", "passive port range", "used port 30000"},
				neverAdvises: []string{"every firewall between"}}}},
		{name: "no answer, passive, seen on the client's link 4 hops from the server (ported: firewall drops the passive SYN)",
			client: rtLANClient, server: rtPubServer, serverTTL: 60,
			steps: rtSteps(rtPASV, []string{"data:10.1.0.2:40001>203.0.113.10:30000|retry", "c:LIST", "s:425 Failed to establish connection."}),
			codes: "error:data-no-answer",
			want: []rtWant{{code: DataNoAnswer, sev: Error, transfers: []string{"S1.T1"},
				says:    []string{"dropped between this point and the server (4 router hops away)", "by a firewall or the server itself"},
				never:   []string{"the server itself did not answer", "own link"},
				advises: []string{"every firewall between the client and the server", "passive port range", "used port 30000"}}}},
		{name: "no answer, passive to an address that is not the server's control address: not located",
			client: rtLANClient, server: rtPubServer, serverTTL: 60,
			steps: []string{"s:220 hi", "c:PASV", "s:227 Entering Passive Mode (203,0,113,99,117,48)", "data:10.1.0.2:40001>203.0.113.99:30000|retry", "c:RETR f", "s:425 Failed to establish connection."},
			codes: "error:data-no-answer",
			want: []rtWant{{code: DataNoAnswer, sev: Error, transfers: []string{"S1.T1"},
				says:  []string{"to 203.0.113.99:30000", "something on the path after this point dropped it"},
				never: []string{"the server itself", "4 router hops"}}}},
		{name: "no answer, active, seen on the server's link 4 hops from the client: never open the client's port",
			client: rtPubClient, server: rtPubServer, clientTTL: 60,
			steps: []string{"s:220 hi", "c:PORT 198,51,100,7,156,65", "s:200 ok", "c:RETR f", "data:203.0.113.10:20>198.51.100.7:40001|retry", "s:425 Failed to establish connection."},
			codes: "error:data-no-answer",
			want: []rtWant{{code: DataNoAnswer, sev: Error, transfers: []string{"S1.T1"},
				says:         []string{"the server's data connection to 198.51.100.7:40001", "dropped between this point and the client (4 router hops away)"},
				advises:      []string{"passive mode", "server's port 20 (as its SYN shows)", "related connections", "opening one port does not help"},
				neverAdvises: []string{"40001", "open port"}}}},

		// ---- reset
		{name: "reset, passive, the RST's TTL is the server's: the server itself refused",
			client: rtLANClient, server: rtPubServer, serverTTL: 62,
			steps: rtSteps(rtPASV, []string{"data:10.1.0.2:40001>203.0.113.10:30000|rst", "c:RETR f", "s:425 Failed to establish connection."}),
			codes: "error:data-refused",
			want: []rtWant{{code: DataRefused, sev: Error, transfers: []string{"S1.T1"},
				says:    []string{"was reset", "from 2 router hops away (TTL 62), as the server's own packets do", "the server itself refused it", "port 30000"},
				cites:   []string{"RST from 203.0.113.10:30000", "425 Failed to establish connection."},
				never:   []string{"a box between"},
				advises: []string{"advertised port 30000 but refused the connection to it itself", "the server's own firewall"}}}},
		{name: "reset, passive, the RST from 1 hop while the server is 2 away: a box in front of the server",
			client: rtLANClient, server: rtPubServer, serverTTL: 62,
			steps: rtSteps(rtPASV, []string{"ttl:203.0.113.10=63", "data:10.1.0.2:40001>203.0.113.10:30000|rst", "c:RETR f", "s:425 Failed to establish connection."}),
			codes: "error:data-refused",
			want: []rtWant{{code: DataRefused, sev: Error, transfers: []string{"S1.T1"},
				says:         []string{"from 1 router hop away (TTL 63) while the server is 2 router hops away", "a box between this point and the server rejected it in its name"},
				never:        []string{"the server itself refused"},
				advises:      []string{"on the box in front of the server that sent the reset (1 router hop from this point)", "passive port range"},
				neverAdvises: []string{"on the server itself"}}}},
		{name: "reset, passive, from farther than the server: not located",
			client: rtLANClient, server: rtPubServer, serverTTL: 62,
			steps: rtSteps(rtPASV, []string{"ttl:203.0.113.10=60", "data:10.1.0.2:40001>203.0.113.10:30000|rst", "c:RETR f", "s:425 Failed to establish connection."}),
			codes: "error:data-refused",
			want: []rtWant{{code: DataRefused, sev: Error, transfers: []string{"S1.T1"},
				says:  []string{"from 4 router hops away (TTL 60), farther than the server (2 router hops)"},
				never: []string{"the server itself refused", "a box between"}}}},
		{name: "reset, active, the client itself (its RST's TTL is the client's): its own firewall, never its port",
			point: "server-lan", client: rtLANClient, server: rtPubServer, clientTTL: 62,
			steps: []string{"s:220 hi", "c:PORT 10,1,0,2,156,65", "s:200 ok", "c:RETR f", "data:203.0.113.10:20>10.1.0.2:40001|rst", "s:425 Failed to establish connection."},
			codes: "error:data-refused",
			want: []rtWant{{code: DataRefused, sev: Error, transfers: []string{"S1.T1"},
				says:         []string{"the server's data connection to 10.1.0.2:40001", "(TTL 62), as the client's own packets do", "the client itself refused it"},
				cites:        []string{"SYN 203.0.113.10:20 → 10.1.0.2:40001", "RST from 10.1.0.2:40001", "PORT 10,1,0,2,156,65"},
				never:        []string{"a box between"},
				advises:      []string{"The client refused the server's connection itself", "its own firewall", "server's port 20 (as its SYN shows)"},
				neverAdvises: []string{"40001", "open port"}}}},
		{name: "reset, active, a box 1 hop from this point in front of a client 2 hops away (no NAT)",
			client: rtPubClient, server: rtPubServer, clientTTL: 62,
			steps: []string{"s:220 hi", "c:PORT 198,51,100,7,156,65", "s:200 ok", "c:RETR f", "ttl:198.51.100.7=63", "data:203.0.113.10:20>198.51.100.7:40001|rst", "s:425 Failed to establish connection."},
			codes: "error:data-refused",
			want: []rtWant{{code: DataRefused, sev: Error, transfers: []string{"S1.T1"},
				says:         []string{"from 1 router hop away (TTL 63) while the client is 2 router hops away", "a box between this point and the client"},
				never:        []string{"the client itself"},
				advises:      []string{"on the box in front of the client that sent the reset (1 router hop from this point)", "server's port 20 (as its SYN shows)", "related connections", "opening one port does not help"},
				neverAdvises: []string{"40001", "open port", "its own firewall"}}}},
		{name: "reset over IPv6: the hop limit, not a TTL",
			client: "[2001:db8:1::2]:40000", server: "[2001:db8:203::10]:21", serverTTL: 62,
			steps: []string{"s:220 hi", "c:EPSV", "s:229 Entering Extended Passive Mode (|||30000|)", "data:[2001:db8:1::2]:40001>[2001:db8:203::10]:30000|rst", "c:RETR f", "s:425 Failed to establish connection."},
			codes: "error:data-refused",
			want: []rtWant{{code: DataRefused, sev: Error, transfers: []string{"S1.T1"},
				says:  []string{"(hop limit 62)", "the server itself refused it"},
				never: []string{"TTL"}}}},

		// ---- refused by ICMP
		{name: "ICMP admin-prohibited from a router 1 hop away, passive: that router, and the firewall rule",
			client: rtLANClient, server: rtPubServer, serverTTL: 62,
			steps: rtSteps(rtPASV, []string{"ttl:198.51.100.2=63", "data:10.1.0.2:40001>203.0.113.10:30000|", "icmp:198.51.100.2|13|10.1.0.2:40001>203.0.113.10:30000", "c:RETR f", "s:425 Failed to establish connection."}),
			codes: "error:data-unreachable",
			want: []rtWant{{code: DataUnreachable, sev: Error, transfers: []string{"S1.T1"},
				says:         []string{"refused by ICMP", "198.51.100.2, 1 router hop from this point, answered administratively prohibited (ICMP type 3 code 13: a firewall rule)"},
				cites:        []string{"ICMP unreachable (type 3 code 13) from 198.51.100.2"},
				never:        []string{"the server itself"},
				advises:      []string{"on 198.51.100.2, which refused it", "passive port range", "used port 30000"},
				neverAdvises: []string{"every firewall"}}}},
		{name: "ICMP host unreachable from a router 3 hops away",
			client: rtLANClient, server: rtPubServer, serverTTL: 58,
			steps: rtSteps(rtPASV, []string{"ttl:192.0.2.1=61", "data:10.1.0.2:40001>203.0.113.10:30000|", "icmp:192.0.2.1|1|10.1.0.2:40001>203.0.113.10:30000", "c:RETR f", "s:425 Failed to establish connection."}),
			codes: "error:data-unreachable",
			want: []rtWant{{code: DataUnreachable, sev: Error, transfers: []string{"S1.T1"},
				says:  []string{"192.0.2.1, 3 router hops from this point, answered host unreachable (ICMP type 3 code 1)"},
				never: []string{"administratively"}}}},
		{name: "ICMPv6 administratively prohibited",
			client: "[2001:db8:1::2]:40000", server: "[2001:db8:203::10]:21", serverTTL: 62,
			steps: []string{"s:220 hi", "c:EPSV", "s:229 Entering Extended Passive Mode (|||30000|)", "ttl:2001:db8:1::1=64",
				"data:[2001:db8:1::2]:40001>[2001:db8:203::10]:30000|", "icmp:2001:db8:1::1|1|[2001:db8:1::2]:40001>[2001:db8:203::10]:30000", "c:RETR f", "s:425 Failed to establish connection."},
			codes: "error:data-unreachable",
			want: []rtWant{{code: DataUnreachable, sev: Error, transfers: []string{"S1.T1"},
				says:  []string{"2001:db8:1::1, 0 router hops from this point", "communication administratively prohibited (ICMPv6 type 1 code 1: a firewall rule)"},
				never: []string{"ICMP type 3"}}}},
		{name: "ICMP for the server's active connection: the router that refused it, never the client's port",
			point: "server-lan", client: rtPubClient, server: rtPubServer, clientTTL: 60,
			steps: []string{"s:220 hi", "c:PORT 198,51,100,7,156,65", "s:200 ok", "c:RETR f", "ttl:192.0.2.254=62",
				"data:203.0.113.10:20>198.51.100.7:40001|", "icmp:192.0.2.254|10|203.0.113.10:20>198.51.100.7:40001", "s:425 Failed to establish connection."},
			codes: "error:data-unreachable",
			want: []rtWant{{code: DataUnreachable, sev: Error, transfers: []string{"S1.T1"},
				says:         []string{"192.0.2.254, 2 router hops from this point, answered administratively prohibited (ICMP type 3 code 10"},
				advises:      []string{"on 192.0.2.254, which refused it", "server's port 20"},
				neverAdvises: []string{"40001", "open port"}}}},

		// ---- no SYN at this point
		{name: "no SYN, passive, on the client's own link: not attempted",
			client: rtLANClient, server: rtPubServer, serverTTL: 60,
			steps: rtSteps(rtPASV, []string{"c:RETR f", "s:425 Failed to establish connection."}),
			codes: "error:data-not-attempted",
			want: []rtWant{{code: DataNotAttempted, sev: Error, transfers: []string{"S1.T1"},
				says: []string{"the client sent no connection to 203.0.113.10:30000 for RETR f", "this point is on its own link, and no SYN left it", `"425 Failed to establish connection."`},
				// No SYN left the client: no firewall between the two hosts
				// saw it, so none of them is the thing to change.
				neverAdvises: []string{"every firewall between"}}}},
		{name: "no SYN, passive, on the server's link 2 hops from the client: not seen, and which capture tells",
			client: rtLANClient, server: rtPubServer, clientTTL: 62,
			steps: rtSteps(rtPASV, []string{"c:RETR f", "s:425 Failed to establish connection."}),
			codes: "error:data-not-seen",
			want: []rtWant{{code: DataNotSeen, sev: Error, transfers: []string{"S1.T1"},
				says:  []string{"no connection from the client to 203.0.113.10:30000 for RETR f crossed this point (2 router hops from the client)", "it died before reaching it, or the client never sent it", "a capture on the client's own link tells which"},
				never: []string{"sent no connection", "no SYN left"}}},
			nowhere: []string{"not attempted"}},
		{name: "no SYN, active, on the client's link 3 hops from the server: not seen, a capture on the server's link tells",
			client: rtPubClient, server: rtPubServer, serverTTL: 61,
			steps: []string{"s:220 hi", "c:PORT 198,51,100,7,156,65", "s:200 ok", "c:RETR f", "s:425 Failed to establish connection."},
			codes: "error:data-not-seen",
			want: []rtWant{{code: DataNotSeen, sev: Error, transfers: []string{"S1.T1"},
				says:         []string{"no connection from the server to 198.51.100.7:40001 for RETR f crossed this point (3 router hops from the server)", "a capture on the server's own link tells which"},
				never:        []string{"sent no connection"},
				neverAdvises: []string{"40001", "open port"}}}},
		{name: "no SYN, active, on the server's own link: the server never tried",
			client: rtPubClient, server: rtPubServer, clientTTL: 61,
			steps: []string{"s:220 hi", "c:PORT 198,51,100,7,156,65", "s:200 ok", "c:RETR f", "s:425 Failed to establish connection."},
			codes: "error:data-not-attempted",
			want: []rtWant{{code: DataNotAttempted, sev: Error, transfers: []string{"S1.T1"},
				says:         []string{"the server sent no connection to 198.51.100.7:40001 for RETR f: this point is on its own link, and no SYN left it"},
				neverAdvises: []string{"40001", "open port", "every firewall between"}}}},

		// ---- the lab's captures of the same
		{name: "lab s6 client-lan: the firewall on the server's side drops the passive SYN, 2 hops away",
			capture: "s6-fw-drop-passive.client-lan.pcap",
			codes:   "error:data-no-answer error:data-no-answer",
			want: []rtWant{{code: DataNoAnswer, sev: Error,
				says:    []string{"the client's data connection to 203.0.113.10:30000", "(SYN sent 3 times)", "dropped between this point and the server (2 router hops away)"},
				never:   []string{"the server itself did not answer"},
				advises: []string{"passive port range", "used port 30000"}}}},
		{name: "lab s6 server-lan: nothing reached the server's LAN; not seen, never not attempted",
			capture: "s6-fw-drop-passive.server-lan.pcap",
			codes:   "error:data-not-seen error:data-not-seen",
			want: []rtWant{{code: DataNotSeen, sev: Error,
				says:  []string{"no connection from the client to 203.0.113.10:30000", "(2 router hops from the client)", "a capture on the client's own link tells which"},
				never: []string{"sent no connection"}}},
			nowhere: []string{"not attempted", "no SYN left"}},
		{name: "lab s6b nat-outside: the client's router resets the server's SYN in the client's name",
			capture: "s6b-fw-reset-active.nat-outside.pcap",
			codes:   "error:data-refused error:data-refused",
			want: []rtWant{{code: DataRefused, sev: Error,
				says:         []string{"the server's data connection to 10.1.0.2:4000", "(no router between, TTL 64) while the client is 1 router hop away", "a box between this point and the client rejected it in its name"},
				never:        []string{"the client itself"},
				advises:      []string{"server's port 20 (as its SYN shows)", "opening one port does not help"},
				neverAdvises: []string{"40001", "40002", "its own firewall"}}}},
		{name: "lab s17 client-lan: the client host resets, a router refuses by ICMP, the server host resets",
			capture: "s17-fw-reject-variants.client-lan.pcap",
			codes:   "error:data-refused error:data-unreachable error:data-refused",
			want: []rtWant{
				{code: DataRefused, sev: Error, transfers: []string{"S1.T1"},
					says:         []string{"the server's data connection to 10.1.0.2:40001", "from this link (no router between, TTL 64), as the client's own packets do", "the client itself refused it"},
					advises:      []string{"its own firewall"},
					neverAdvises: []string{"40001", "open port"}},
				{code: DataUnreachable, sev: Error, transfers: []string{"S2.T1"},
					says:    []string{"198.51.100.2, 1 router hop from this point, answered administratively prohibited (ICMP type 3 code 13"},
					advises: []string{"on 198.51.100.2, which refused it", "used port 30000"}},
				{code: DataRefused, sev: Error, transfers: []string{"S3.T1"},
					says:    []string{"to 203.0.113.12:30001", "(TTL 62), as the server's own packets do", "the server itself refused it"},
					advises: []string{"advertised port 30001 but refused the connection to it itself"}}}},
		{name: "lab s17 server-lan: the client host resets 2 hops away; the ICMP never reached this LAN",
			capture: "s17-fw-reject-variants.server-lan.pcap",
			codes:   "error:data-refused error:data-not-seen error:data-refused",
			want: []rtWant{
				{code: DataRefused, sev: Error, transfers: []string{"S1.T1"},
					says:         []string{"from 2 router hops away (TTL 62), as the client's own packets do", "the client itself refused it"},
					neverAdvises: []string{"40001", "open port"}},
				{code: DataNotSeen, sev: Error, transfers: []string{"S2.T1"},
					says:  []string{"(2 router hops from the client)", "a capture on the client's own link tells which"},
					never: []string{"sent no connection"}},
				{code: DataRefused, sev: Error, transfers: []string{"S3.T1"},
					says: []string{"from this link (no router between, TTL 64), as the server's own packets do", "the server itself refused it"}}}},
	})
}

// TestPortedCleartextLogin is the old analyze table's clear-text login
// case (the table's other cases are in the rule tables, marked
// "ported"): a non-guest login in clear text is said, as info.
func TestPortedCleartextLogin(t *testing.T) {
	runRTCases(t, []rtCase{
		{name: "non-guest login in clear text: info (ported)",
			client: rtLANClient, server: rtPubServer, serverTTL: 60,
			steps: []string{"s:220 hi", "c:USER alice", "s:331 pw", "c:PASS s3cret", "s:230 ok"},
			codes: "info:cleartext-credentials",
			want: []rtWant{{code: CleartextCredentials, sev: Info,
				says: []string{`user "alice"`, "203.0.113.10:21"}, never: []string{"s3cret"}}}},
	})
}
