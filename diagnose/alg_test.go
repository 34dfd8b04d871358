package diagnose

import (
	"slices"
	"strings"
	"testing"

	"github.com/ftpsniff/ftpsniff/analyze"
	"github.com/ftpsniff/ftpsniff/capture"
	"github.com/ftpsniff/ftpsniff/internal/wiretest"
)

// Tests of alg.go: DiagnoseALG over analyze.CompareALG, two capture
// points on either side of a NAT.

// algPair is one session seen inside and outside a NAT, each point its
// own capture (frame numbers and clock of its own).
type algPair struct {
	// Active: the client's PORT/EPRT line inside and as it left the NAT;
	// seqFix is how far the NAT moved the client's later sequence numbers
	// (a correct NAT: the line's length change). dataTo is where the
	// server's data connection went outside ("" for none); throughNAT
	// whether it reached the client inside. split: inside, the line came
	// in two segments, and nothing of it came out.
	inside, outside string
	seqFix          int
	dataTo          string
	throughNAT      bool
	split           bool
	// Passive (port forwarding: the server is 10.2.0.10 inside,
	// 198.51.100.2 outside): the 227 replies inside and outside, and
	// whether the client's data connection came through.
	passive bool
}

// natPairALG writes the pair's session at both points and compares them,
// recording "in-line" and "out-line" (the frames carrying the address).
func natPairALG(t testing.TB, pr algPair) (*analyze.ALGResult, pinFrames) {
	t.Helper()
	fr := pinFrames{}
	in := analyze.New(analyze.Options{Point: "inside"})
	out := analyze.New(analyze.Options{Point: "outside"})
	var wi, wo *wiretest.Wire
	if pr.passive {
		wi = wiretest.New(in, "198.51.100.1:40000", "10.2.0.10:21")
		wo = wiretest.New(out, "198.51.100.1:40000", "198.51.100.2:21")
	} else {
		wi = wiretest.New(in, "10.1.0.2:40000", "203.0.113.10:21")
		wo = wiretest.New(out, "198.51.100.1:40000", "203.0.113.10:21")
	}
	both := func(f func(w *wiretest.Wire)) { f(wi); f(wo) }
	both(func(w *wiretest.Wire) { w.Handshake() })
	both(func(w *wiretest.Wire) { w.S("220 ready\r\n") })
	both(func(w *wiretest.Wire) { w.C("USER anonymous\r\n") })
	both(func(w *wiretest.Wire) { w.S("230 ok\r\n") })
	switch {
	case pr.passive:
		both(func(w *wiretest.Wire) { w.C("PASV\r\n") })
		fr["in-line"] = wi.S(pr.inside)
		fr["out-line"] = wo.S(pr.outside)
		both(func(w *wiretest.Wire) { w.C("RETR f\r\n") })
		if pr.dataTo != "" {
			wo.Data("198.51.100.1:50000", pr.dataTo, "synack", 10)
			if pr.throughNAT {
				wi.Data("198.51.100.1:50000", "10.2.0.10:30000", "synack", 10)
			}
		}
		both(func(w *wiretest.Wire) { w.S("226 done\r\n") })
		return analyze.CompareALG(in.Finish(), out.Finish()), fr
	case pr.split:
		seq := wi.CSeq
		fr["in-line"] = wi.Send(wi.Client, wi.Server, seq, wi.SSeq, capture.PSH|capture.ACK, pr.inside[:2])
		wi.Send(wi.Client, wi.Server, seq+2, wi.SSeq, capture.PSH|capture.ACK, pr.inside[2:])
		wi.CSeq += uint32(len(pr.inside))
		pinResend(wi, fr, true, seq, pr.inside[:2], 4)
		return analyze.CompareALG(in.Finish(), out.Finish()), fr
	}
	fr["in-line"] = wi.C(pr.inside)
	fr["out-line"] = wo.C(pr.outside)
	// The NAT keeps the client's sequence space continuous: outside, the
	// later segments follow the rewritten line only if it shifts them.
	wo.CSeq = uint32(int(wo.CSeq) - (len(pr.outside) - len(pr.inside)) + pr.seqFix)
	both(func(w *wiretest.Wire) { w.S("200 PORT command successful.\r\n") })
	both(func(w *wiretest.Wire) { w.C("RETR f\r\n") })
	if pr.dataTo != "" {
		wo.Data("203.0.113.10:20", pr.dataTo, "synack", 10)
		if pr.throughNAT {
			wi.Data("203.0.113.10:20", "10.1.0.2:40001", "synack", 10)
		}
	}
	both(func(w *wiretest.Wire) { w.S("226 done\r\n") })
	return analyze.CompareALG(in.Finish(), out.Finish()), fr
}

const pinGoodPORT = "PORT 198,51,100,1,156,65\r\n"

// algCase is a pair and what its comparison must find.
type algCase struct {
	name   string
	pair   algPair
	want   string // codes() of the findings
	expect []pinExpect
	// bothPoints: every finding cites the line at both points.
	bothPoints bool
}

var algCases = []algCase{
	{
		name: "a correct rewrite with its sequence shift",
		pair: algPair{inside: "PORT 10,1,0,2,156,65\r\n", outside: pinGoodPORT, seqFix: 4, dataTo: "198.51.100.1:40001", throughNAT: true},
		want: "info:alg-rewrite",
		expect: []pinExpect{{code: ALGRewrite, severity: Info,
			summary: []string{"rewrote PORT 10.1.0.2:40001 to 198.51.100.1:40001 correctly"}, advice: []string{"Nothing to do"}}},
		bothPoints: true,
	},
	{
		name: "an EPRT rewritten correctly",
		pair: algPair{inside: "EPRT |1|10.1.0.2|40001|\r\n", outside: "EPRT |1|198.51.100.1|40001|\r\n", seqFix: 4, dataTo: "198.51.100.1:40001", throughNAT: true},
		want: "info:alg-rewrite",
		expect: []pinExpect{{code: ALGRewrite, severity: Info,
			summary: []string{"rewrote EPRT 10.1.0.2:40001 to 198.51.100.1:40001 correctly"}}},
		bothPoints: true,
	},
	{
		name: "no rewrite: the private address leaves the NAT",
		pair: algPair{inside: "PORT 10,1,0,2,156,65\r\n", outside: "PORT 10,1,0,2,156,65\r\n"},
		want: "error:active-nat-no-alg",
		expect: []pinExpect{{code: ActiveNATNoALG, severity: Error,
			summary: []string{"nothing rewrote the client's PORT: the private address 10.1.0.2 left the NAT (outside, the client is 198.51.100.1)"},
			advice:  []string{"helper", "passive mode"}}},
		bothPoints: true,
	},
	{
		name: "rewritten to a wrong address",
		pair: algPair{inside: "PORT 10,1,0,2,156,65\r\n", outside: "PORT 198,51,100,99,156,65\r\n", seqFix: 5},
		want: "error:alg-rewrite-wrong",
		expect: []pinExpect{{code: ALGRewriteWrong, severity: Error,
			summary:    []string{"rewrote PORT from 10.1.0.2:40001 to 198.51.100.99:40001", "its outside address 198.51.100.1"},
			notSummary: []string{"correctly"}}},
		bothPoints: true,
	},
	{
		name: "rewritten to a wrong port: the server's connection does not come through",
		pair: algPair{inside: "PORT 10,1,0,2,156,65\r\n", outside: "PORT 198,51,100,1,156,70\r\n", seqFix: 4, dataTo: "198.51.100.1:40006"},
		want: "error:alg-rewrite-wrong",
		expect: []pinExpect{{code: ALGRewriteWrong, severity: Error,
			summary: []string{"rewrote PORT from 10.1.0.2:40001 to 198.51.100.1:40006"}}},
		bothPoints: true,
	},
	{
		name: "the line grew by 4 bytes and the NAT did not shift the sequence numbers",
		pair: algPair{inside: "PORT 10,1,0,2,156,65\r\n", outside: pinGoodPORT, seqFix: 0, dataTo: "198.51.100.1:40001", throughNAT: true},
		want: "error:alg-seq-broken info:alg-rewrite",
		expect: []pinExpect{
			{code: ALGSeqBroken, severity: Error,
				summary: []string{"changing the line's length by +4 bytes, but shifted the client's later sequence numbers by 0", "count the client's bytes 4 apart", "TCP across the NAT is broken"}},
			// The rewrite's own finding must not call the helper sound
			// while TCP across it is broken.
			{code: ALGRewrite, severity: Info, notAdvice: []string{"Nothing to do", "the helper works"}},
		},
		bothPoints: true,
	},
	{
		name: "a PORT split across segments inside that never came out",
		pair: algPair{inside: "PORT 10,1,0,2,156,65\r\n", split: true},
		want: "error:alg-missed-split",
		expect: []pinExpect{{code: ALGMissedSplit, severity: Error,
			summary:  []string{"the client's PORT was split across TCP segments", "it never appears outside"},
			evidence: []string{"in-line"}}},
	},
	{
		name: "a 227 rewritten to the forwarded public address",
		pair: algPair{passive: true, inside: "227 Entering Passive Mode (10,2,0,10,117,48).\r\n", outside: "227 Entering Passive Mode (198,51,100,2,117,48).\r\n",
			dataTo: "198.51.100.2:30000", throughNAT: true},
		want: "info:alg-rewrite",
		expect: []pinExpect{{code: ALGRewrite, severity: Info,
			summary: []string{"rewrote the passive reply between 10.2.0.10:30000 (inside) and 198.51.100.2:30000 (outside) correctly"}}},
		bothPoints: true,
	},
	{
		name: "a 227 whose text the NAT changed beyond the numbers",
		pair: algPair{passive: true, inside: "227 Entering Passive Mode (10,2,0,10,117,48).\r\n", outside: "227 Entering Passive Mode (198,51,100,2,117,48) ok\r\n",
			dataTo: "198.51.100.2:30000", throughNAT: true},
		want: "error:alg-rewrite-wrong",
		expect: []pinExpect{{code: ALGRewriteWrong, severity: Error,
			summary: []string{"changed more than the address in the 227 reply", `"Entering Passive Mode (10,2,0,10,117,48)." became "Entering Passive Mode (198,51,100,2,117,48) ok"`}}},
		bothPoints: true,
	},
}

func TestDiagnoseALG(t *testing.T) {
	for _, c := range algCases {
		t.Run(c.name, func(t *testing.T) {
			a, fr := natPairALG(t, c.pair)
			d := DiagnoseALG(a, nil, nil)
			checkFindingsRegistered(t, d.Findings)
			if got := codes(d.Findings); got != c.want {
				t.Errorf("findings %q, want %q", got, c.want)
				logFindings(t, d.Findings)
			}
			for _, e := range c.expect {
				pinCheck(t, d.Findings, fr, e)
			}
			for _, f := range d.Findings {
				if f.Point != "outside" || f.Session == nil || f.Session != a.Comparisons[0].OutsideSession {
					t.Errorf("%s: made at point %q for session %v, want the outside point's session", f.Code, f.Point, f.Session)
				}
				if c.bothPoints {
					checkBothPoints(t, f, fr["in-line"], fr["out-line"])
				}
			}
		})
	}
}

// checkBothPoints checks that f cites the negotiation's frame at each
// point, naming the point.
func checkBothPoints(t *testing.T, f *Finding, inFrame, outFrame uint64) {
	t.Helper()
	var cited []string
	for _, e := range f.Evidence {
		cited = append(cited, e.Point)
		switch e.Point {
		case "inside":
			if inFrame != 0 && e.At.Frame != inFrame {
				t.Errorf("%s cites inside frame %d, want %d", f.Code, e.At.Frame, inFrame)
			}
		case "outside":
			if outFrame != 0 && e.At.Frame != outFrame {
				t.Errorf("%s cites outside frame %d, want %d", f.Code, e.At.Frame, outFrame)
			}
		default:
			t.Errorf("%s cites frame %d without naming its point", f.Code, e.At.Frame)
		}
	}
	if !slices.Contains(cited, "inside") || !slices.Contains(cited, "outside") {
		t.Errorf("%s cites points %v, want both inside and outside", f.Code, cited)
	}
}

// labALG compares a lab scenario's two real captures.
func labALG(t testing.TB, scenario, inside, outside string) *ALGDiagnosis {
	t.Helper()
	in := diagnoseFiles(t, "inside", labCapture(scenario+"."+inside+".pcap"))
	out := diagnoseFiles(t, "outside", labCapture(scenario+"."+outside+".pcap"))
	return DiagnoseALG(analyze.CompareALG(in.Result, out.Result), in, out)
}

// labALGPairs are the lab's two-point captures: inside and outside a NAT.
var labALGPairs = []struct {
	scenario, inside, outside string
	want                      string // codes() of the comparison's findings
	// summaries are text the findings must say, in their order.
	summaries []string
	// pointFindings are codes either point's own diagnosis must hold.
	pointFindings []Code
}{
	{"s2-nat-alg-active", "client-lan", "nat-outside", "info:alg-rewrite info:alg-rewrite info:alg-rewrite",
		[]string{"rewrote PORT 10.1.0.2:40001 to 198.51.100.1:40001 correctly", "rewrote EPRT 10.1.0.2:40002 to 198.51.100.1:40002 correctly",
			"rewrote PORT 10.1.0.2:40003 to 198.51.100.1:40003 correctly"}, nil},
	// Both points are past the client's NAT (r2 only routes): the box
	// between them did not translate the client and is not blamed; each
	// point says on its own that a NAT before it did not rewrite the PORT.
	{"s3-nat-noalg-active", "nat-outside", "server-lan", "", nil, []Code{ActiveNATNoALG}},
	{"s10-split-port", "client-lan", "nat-outside", "error:alg-missed-split info:alg-rewrite info:alg-rewrite",
		[]string{"the client's PORT was split across TCP segments", "rewrote PORT 10.1.0.2:40003 to 198.51.100.1:40003 correctly",
			"rewrote PORT 10.1.0.2:40004 to 198.51.100.1:40004 correctly"}, nil},
	{"s5c-dnat-alg", "server-lan", "server-outside", "info:alg-rewrite info:alg-rewrite",
		[]string{"rewrote the passive reply between 10.2.0.10:30000 (inside) and 198.51.100.2:30000 (outside) correctly",
			"rewrote the passive reply between 10.2.0.10:30000 (inside) and 198.51.100.2:30000 (outside) correctly"}, nil},
	// The private 227 crossed the port forwarding unchanged: the comparison
	// adds nothing to what each point says (passive-private-address).
	{"s5-dnat-private-227", "server-lan", "client-lan", "", nil, []Code{PassivePrivateAddress}},
}

func TestDiagnoseALGLabCaptures(t *testing.T) {
	for _, pr := range labALGPairs {
		t.Run(pr.scenario, func(t *testing.T) {
			d := labALG(t, pr.scenario, pr.inside, pr.outside)
			checkFindingsRegistered(t, d.Findings)
			if got := codes(d.Findings); got != pr.want {
				t.Errorf("findings %q, want %q", got, pr.want)
				logFindings(t, d.Findings)
			}
			for i, s := range pr.summaries {
				if i < len(d.Findings) && !strings.Contains(d.Findings[i].Summary, s) {
					t.Errorf("finding %d does not say %q:\n  %s", i+1, s, d.Findings[i].Summary)
				}
			}
			for _, f := range d.Findings {
				if f.Code == ALGMissedSplit {
					continue // seen inside only
				}
				checkBothPoints(t, f, 0, 0)
			}
			for _, c := range pr.pointFindings {
				if len(pinPick(d.Inside.Findings, c)) == 0 && len(pinPick(d.Outside.Findings, c)) == 0 {
					t.Errorf("neither point's diagnosis holds %s: inside %s, outside %s", c, codes(d.Inside.Findings), codes(d.Outside.Findings))
				}
			}
		})
	}
}
