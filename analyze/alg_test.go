package analyze

import (
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ftpsniff/ftpsniff/capture"
)

// natPair feeds the same active session to an inside and an outside
// analyzer, as a NAT between them would show it: the client's address is
// 10.1.0.2 inside and 198.51.100.1 outside. outsidePORT is what the NAT
// sent on; seqFix is added to the outside client's sequence numbers after
// the PORT (a correct NAT adds the length change); dataTo is where the
// server's data connection goes outside ("" for none); throughNAT says
// whether it reaches the client inside.
func natPair(t *testing.T, outsidePORT string, seqFix int, dataTo string, throughNAT bool) *ALGResult {
	t.Helper()
	in := New(Options{Point: "inside"})
	out := New(Options{Point: "outside"})
	wi := newWire(t, in, "10.1.0.2:40000", "203.0.113.10:21")
	wo := newWire(t, out, "198.51.100.1:40000", "203.0.113.10:21")
	both := func(f func(w *wire)) { f(wi); f(wo) }
	both(func(w *wire) { w.handshake() })
	both(func(w *wire) { w.s("220 hi\r\n") })
	both(func(w *wire) { w.c("USER anonymous\r\n") })
	both(func(w *wire) { w.s("230 ok\r\n") })
	inLine := "PORT 10,1,0,2,156,65\r\n"
	wi.c(inLine)
	wo.c(outsidePORT)
	// A NAT keeps the client's sequence space continuous: outside, later
	// segments follow the rewritten line only if it shifts them.
	wo.cseq = uint32(int(wo.cseq) - (len(outsidePORT) - len(inLine)) + seqFix)
	both(func(w *wire) { w.s("200 PORT command successful.\r\n") })
	both(func(w *wire) { w.c("RETR f\r\n") })
	if dataTo != "" {
		wo.data("203.0.113.10:20", dataTo, "synack", 10)
		if throughNAT {
			wi.data("203.0.113.10:20", "10.1.0.2:40001", "synack", 10)
		}
	}
	both(func(w *wire) { w.s("226 done\r\n") })
	return CompareALG(in.Finish(), out.Finish())
}

func TestALGComparison(t *testing.T) {
	const good = "PORT 198,51,100,1,156,65\r\n"
	for _, tt := range []struct {
		name       string
		outside    string
		seqFix     int
		dataTo     string
		throughNAT bool
		verdict    ALGVerdict
		seqOK      bool
	}{
		{"correct rewrite with its sequence shift", good, 4, "198.51.100.1:40001", true, ALGRewritten, true},
		{"no rewrite: the private address leaves the NAT", "PORT 10,1,0,2,156,65\r\n", 0, "", false, ALGNotRewritten, true},
		{"rewritten to a wrong address", "PORT 198,51,100,99,156,65\r\n", 5, "", false, ALGRewrittenWrong, true},
		{"rewritten to a wrong port: the server's connection does not come through", "PORT 198,51,100,1,156,70\r\n", 4, "198.51.100.1:40006", false, ALGRewrittenWrong, true},
		{"length changed without the sequence shift", good, 0, "198.51.100.1:40001", true, ALGRewritten, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := natPair(t, tt.outside, tt.seqFix, tt.dataTo, tt.throughNAT)
			if len(r.Comparisons) != 1 {
				t.Fatalf("want 1 comparison, got %d", len(r.Comparisons))
			}
			c := r.Comparisons[0]
			if c.Verdict != tt.verdict {
				t.Errorf("verdict %s (%s), want %s", c.Verdict, c.Why, tt.verdict)
			}
			if c.SeqChecked && c.SeqConsistent != tt.seqOK {
				t.Errorf("sequences consistent: %v, want %v (%+v)", c.SeqConsistent, tt.seqOK, c)
			}
			if tt.name == "correct rewrite with its sequence shift" && (!c.SeqChecked || c.SeqShift != 4 || c.LengthChange != 4 || !c.SeqConsistent) {
				t.Errorf("sequence shift %+v", c)
			}
		})
	}
}

// TestALGLabCaptures compares the lab's real captures from both sides of
// the Linux NAT (lab/captures, recorded by lab.sh).
func TestALGLabCaptures(t *testing.T) {
	load := func(name, point string) *Result {
		path := filepath.Join("..", "lab", "captures", name)
		pt, err := capture.OpenPoint(point, []string{path})
		if err != nil {
			t.Fatal(err)
		}
		defer pt.Close()
		an := New(Options{Point: point, Inputs: []string{path}})
		var p capture.Packet
		for pt.Next(&p) == nil {
			an.Packet(&p)
		}
		return an.Finish()
	}
	for _, tt := range []struct {
		scenario, inside, outside string
		want                      string // verdicts, in session order
		shifts                    string
	}{
		{"s2-nat-alg-active", "client-lan", "nat-outside", "rewritten rewritten rewritten", "+4 +4 +4"},
		// r2 routes: the box between r1's outside and the server's LAN does
		// not translate the client, so the private PORT (left unchanged by
		// r1, before nat-outside) is not its doing.
		{"s3-nat-noalg-active", "nat-outside", "server-lan", "untouched untouched untouched", ""},
		{"s10-split-port", "client-lan", "nat-outside", "missed-split rewritten rewritten", "+4 +4"},
		{"s8-ftps-nat-alg", "nat-outside", "nat-outside", "encrypted encrypted encrypted encrypted", ""},
		// the helper rewrote 10,2,0,10 to 198,51,100,2 (+3 bytes) and
		// shifted the server's later sequence numbers by as much
		{"s5c-dnat-alg", "server-lan", "server-outside", "rewritten rewritten", "+3 +3"},
		{"s5-dnat-private-227", "server-lan", "client-lan", "not-rewritten not-rewritten not-rewritten not-rewritten", ""},
	} {
		t.Run(tt.scenario, func(t *testing.T) {
			r := CompareALG(load(tt.scenario+"."+tt.inside+".pcap", "inside"), load(tt.scenario+"."+tt.outside+".pcap", "outside"))
			var verdicts, shifts []string
			for _, c := range r.Comparisons {
				verdicts = append(verdicts, string(c.Verdict))
				if c.SeqChecked && c.LengthChange != 0 {
					s := "+"
					if c.SeqShift < 0 {
						s = ""
					}
					shifts = append(shifts, s+strconv.Itoa(int(c.SeqShift)))
				}
			}
			if got := strings.Join(verdicts, " "); got != tt.want {
				t.Errorf("verdicts %q, want %q", got, tt.want)
			}
			if got := strings.Join(shifts, " "); got != tt.shifts {
				t.Errorf("sequence shifts %q, want %q", got, tt.shifts)
			}
			for _, c := range r.Comparisons {
				if c.SeqChecked && !c.SeqConsistent {
					t.Errorf("the Linux helper keeps TCP intact, yet %s shifted by %d for a length change of %d", c.Inside.Command, c.SeqShift, c.LengthChange)
				}
			}
		})
	}
}
