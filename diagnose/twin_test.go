package diagnose

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/ftpsniff/ftpsniff/analyze"
	"github.com/ftpsniff/ftpsniff/internal/wiretest"
)

// Tests of twin.go: one control connection captured before and after a
// NAT in one capture (a router's "any" device) is one session seen twice.

// natTwin is one connection seen on both sides of a client's NAT in one
// capture: inside as 10.1.0.2:40000 → 203.0.113.10:21, outside as
// 198.51.100.1:40000 → 203.0.113.10:21, with the same sequence numbers.
type natTwin struct{ in, out *wiretest.Wire }

func newNATTwin(an *analyze.Analyzer) natTwin {
	in := pinWire(an, "10.1.0.2:40000", "203.0.113.10:21")
	out := pinWire(an, "198.51.100.1:40000", "203.0.113.10:21", in)
	// On the router, the client's packets are seen before routing inside,
	// the server's before routing outside.
	in.SetTTL("10.1.0.2", 64)
	in.SetTTL("203.0.113.10", 63)
	out.SetTTL("198.51.100.1", 63)
	out.SetTTL("203.0.113.10", 64)
	return natTwin{in, out}
}

// both writes the same step on both views, inside first.
func (p natTwin) both(f func(w *wiretest.Wire)) {
	pinSync(p.in, p.out)
	f(p.in)
	pinSync(p.in, p.out)
	f(p.out)
}

// each writes a step on the inside view, then another on the outside.
func (p natTwin) each(in, out func(w *wiretest.Wire)) {
	pinSync(p.in, p.out)
	in(p.in)
	pinSync(p.in, p.out)
	out(p.out)
}

// twinPORT is a twin session whose PORT is insidePORT inside and
// outsidePORT outside; the server's data connection goes to dataOut
// outside (answered "synack" or not: "retry"), and through the NAT to
// 10.1.0.2:40001 when it is answered. It records "in-port", "out-port",
// "in-syn" and "out-syn".
func twinPORT(user, insidePORT, outsidePORT, dataOut, answer, final string) pinScript {
	return func(an *analyze.Analyzer, fr pinFrames) {
		p := newNATTwin(an)
		p.each(func(w *wiretest.Wire) { fr["in-syn"] = w.Frame + 1; w.Handshake() }, func(w *wiretest.Wire) { fr["out-syn"] = w.Frame + 1; w.Handshake() })
		p.both(func(w *wiretest.Wire) { w.S("220 ready\r\n") })
		p.both(func(w *wiretest.Wire) { w.C("USER " + user + "\r\n") })
		p.both(func(w *wiretest.Wire) { w.S("331 password please\r\n") })
		p.both(func(w *wiretest.Wire) { w.C("PASS secret\r\n") })
		p.both(func(w *wiretest.Wire) { w.S("230 ok\r\n") })
		p.each(func(w *wiretest.Wire) { fr["in-port"] = w.C(insidePORT) }, func(w *wiretest.Wire) { fr["out-port"] = w.C(outsidePORT) })
		p.both(func(w *wiretest.Wire) { w.S("200 PORT command successful.\r\n") })
		p.both(func(w *wiretest.Wire) { w.C("RETR f\r\n") })
		pinSync(p.in, p.out)
		p.out.Data("203.0.113.10:20", dataOut, answer, 10)
		if answer == "synack" {
			pinSync(p.in, p.out)
			p.in.Data("203.0.113.10:20", "10.1.0.2:40001", answer, 10)
		}
		p.both(func(w *wiretest.Wire) { w.S(final + "\r\n") })
		p.both(func(w *wiretest.Wire) { w.Close() })
	}
}

// oneSeenTwice checks that the capture's two sessions are twins.
func oneSeenTwice(t *testing.T, p *Point, fr pinFrames) {
	if len(p.Sessions) != 2 || p.Sessions[0].Twin != p.Sessions[1] {
		t.Errorf("the two views are not twins (%d sessions)", len(p.Sessions))
	}
}

var twinCases = []pinCase{
	{
		name:  "a PORT the NAT's helper rewrote correctly: seen-twice and alg-rewrite, once each",
		build: twinPORT("anonymous", "PORT 10,1,0,2,156,65\r\n", "PORT 198,51,100,1,156,65\r\n", "198.51.100.1:40001", "synack", "226 done"),
		want:  "info:seen-twice info:alg-rewrite",
		expect: []pinExpect{
			{code: SeenTwice, severity: Info,
				summary:  []string{"as 10.1.0.2:40000 → 203.0.113.10:21 (S1) and 198.51.100.1:40000 → 203.0.113.10:21 (S2)", "before and after a NAT"},
				evidence: []string{"in-syn", "out-syn"}},
			{code: ALGRewrite, severity: Info,
				summary:  []string{"rewrote PORT 10.1.0.2:40001 to 198.51.100.1:40001 correctly"},
				evidence: []string{"in-port", "out-port"}},
		},
		check: func(t *testing.T, p *Point, fr pinFrames) {
			oneSeenTwice(t, p, fr)
			for _, f := range p.Findings {
				for _, e := range f.Evidence {
					if e.Point != "" {
						t.Errorf("%s cites frame %d at point %q: both copies are in this capture", f.Code, e.At.Frame, e.Point)
					}
				}
			}
		},
	},
	{
		name:  "a PORT left unrewritten across the NAT: active-nat-no-alg once, not once per view and once more for the comparison",
		build: twinPORT("anonymous", "PORT 10,1,0,2,156,65\r\n", "PORT 10,1,0,2,156,65\r\n", "10.1.0.2:40001", "retry", "425 Failed to establish connection."),
		want:  "error:active-nat-no-alg info:seen-twice",
		expect: []pinExpect{{code: ActiveNATNoALG, severity: Error,
			summary:  []string{"nothing rewrote the client's PORT", "the private address 10.1.0.2 left the NAT", "198.51.100.1"},
			evidence: []string{"in-port", "out-port"}}},
		check: oneSeenTwice,
	},
	{
		name:  "a user's clear-text password in both views: said once",
		build: twinPORT("bob", "PORT 10,1,0,2,156,65\r\n", "PORT 198,51,100,1,156,65\r\n", "198.51.100.1:40001", "synack", "226 done"),
		want:  "info:seen-twice info:alg-rewrite info:cleartext-credentials",
		check: oneSeenTwice,
	},
	{
		name: "two findings of one code at two severities in each view: both kept, once each",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			p := newNATTwin(an)
			p.both(func(w *wiretest.Wire) { w.Handshake() })
			p.both(func(w *wiretest.Wire) { w.S("220 ready\r\n") })
			p.both(func(w *wiretest.Wire) { w.C("USER anonymous\r\n") })
			p.both(func(w *wiretest.Wire) { w.S("230 ok\r\n") })
			// A 227 without an address, that nothing used: a warning.
			p.both(func(w *wiretest.Wire) { w.C("PASV\r\n") })
			p.both(func(w *wiretest.Wire) { w.S("227 Entering Passive Mode.\r\n") })
			// A RETR the server refuses: an error.
			p.both(func(w *wiretest.Wire) { w.C("PASV\r\n") })
			p.both(func(w *wiretest.Wire) { w.S("227 Entering Passive Mode (203,0,113,10,117,48).\r\n") })
			p.both(func(w *wiretest.Wire) { w.C("RETR missing.bin\r\n") })
			p.both(func(w *wiretest.Wire) { w.S("550 No such file.\r\n") })
			p.both(func(w *wiretest.Wire) { w.Close() })
		},
		want:  "error:transfer-failed warning:transfer-failed info:seen-twice",
		check: oneSeenTwice,
	},
	{
		name: "two unrelated sessions sharing a sequence number, differing in both addresses: not twins",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			a := pinWire(an, "10.1.0.2:40000", "203.0.113.10:21")
			b := pinWire(an, "192.168.7.7:40000", "203.0.113.99:21", a)
			p := natTwin{a, b} // written in step, as twins would be
			p.both(func(w *wiretest.Wire) { w.Handshake() })
			p.both(func(w *wiretest.Wire) { pinLogin(w, "bob") })
			p.both(func(w *wiretest.Wire) { w.C("RETR missing.bin\r\n") })
			p.both(func(w *wiretest.Wire) { w.S("550 No such file.\r\n") })
			p.both(func(w *wiretest.Wire) { w.Close() })
		},
		want:  "error:transfer-failed error:transfer-failed info:cleartext-credentials info:cleartext-credentials",
		never: []string{"appears twice"},
		check: func(t *testing.T, p *Point, fr pinFrames) {
			for _, s := range p.Sessions {
				if s.Twin != nil {
					t.Errorf("%s (%s → %s) is taken as the twin of %s", s.ID, s.Client, s.Server, s.Twin.ID)
				}
			}
		},
	},
	{
		name: "two sessions of one client to one server sharing a sequence number: not twins",
		build: func(an *analyze.Analyzer, fr pinFrames) {
			a := pinWire(an, "10.1.0.2:40000", "203.0.113.10:21")
			b := pinWire(an, "10.1.0.2:40001", "203.0.113.10:21", a)
			p := natTwin{a, b}
			p.both(func(w *wiretest.Wire) { w.Handshake() })
			p.both(func(w *wiretest.Wire) { pinLogin(w, "anonymous") })
			p.both(func(w *wiretest.Wire) { w.C("RETR missing.bin\r\n") })
			p.both(func(w *wiretest.Wire) { w.S("550 No such file.\r\n") })
			p.both(func(w *wiretest.Wire) { w.Close() })
		},
		want: "error:transfer-failed error:transfer-failed",
	},
	{
		name: "lab router capture on the any device: the helper's correct rewrite",
		file: filepath.Join("..", "testdata", "router-any-sll2.pcap"),
		want: "info:seen-twice info:alg-rewrite",
		expect: []pinExpect{
			{code: SeenTwice, severity: Info,
				summary:  []string{"as 10.1.0.2:40000 → 203.0.113.10:21 (S1) and 198.51.100.1:40000 → 203.0.113.10:21 (S2)"},
				evidence: []string{"1", "4"}},
			{code: ALGRewrite, severity: Info,
				summary:  []string{"rewrote PORT 10.1.0.2:40001 to 198.51.100.1:40001 correctly"},
				evidence: []string{"19", "21"}},
		},
		check: oneSeenTwice,
	},
}

func TestTwins(t *testing.T) { runPinCases(t, twinCases) }

// TestTwinsReleasedOneByOne: the two views handed to the Diagnoser as
// they finish (Diagnoser.Session): the first waits for the second, and
// the pair is diagnosed once.
func TestTwinsReleasedOneByOne(t *testing.T) {
	d := New("router")
	var all []*Finding
	released := 0
	an := analyze.New(analyze.Options{Point: "router", OnSessionDone: func(s *analyze.Session) {
		released++
		all = append(all, d.Session(s)...)
	}})
	twinPORT("bob", "PORT 10,1,0,2,156,65\r\n", "PORT 198,51,100,1,156,65\r\n", "198.51.100.1:40001", "synack", "226 done")(an, pinFrames{})
	p := d.Finish(an.Finish())
	all = append(all, p.Findings...)
	checkFindingsRegistered(t, all)
	if released != 2 {
		t.Fatalf("%d sessions released, want 2", released)
	}
	if got := codeSet(all); got != "info:alg-rewrite info:cleartext-credentials info:seen-twice" {
		t.Errorf("findings %q", got)
	}
	if n := len(all); n != 3 {
		t.Errorf("%d findings, want 3 (each once): %s", n, codes(all))
	}
	for _, f := range pinPick(all, SeenTwice) {
		if !strings.Contains(f.Summary, "10.1.0.2:40000") || !strings.Contains(f.Summary, "198.51.100.1:40000") {
			t.Errorf("seen-twice does not name both views: %s", f.Summary)
		}
	}
}
