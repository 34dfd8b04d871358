package analyze

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ftpsniff/ftpsniff/capture"
)

// labPoints are the lab's four capture points, in path order.
var labPoints = []string{"client-lan", "nat-outside", "server-outside", "server-lan"}

// loadLabPath reads one scenario's captures at every hop
// (lab/captures/path/SCENARIO.POINT.pcap) as points named after the hop,
// in the order given.
func loadLabPath(t testing.TB, scenario string, points ...string) []*Result {
	t.Helper()
	var out []*Result
	for _, name := range points {
		path := filepath.Join("..", "lab", "captures", "path", scenario+"."+name+".pcap")
		pt, err := capture.OpenPoint(name, []string{path})
		if err != nil {
			t.Fatal(err)
		}
		an := New(Options{Point: name, Inputs: []string{path}})
		var p capture.Packet
		for pt.Next(&p) == nil {
			an.Packet(&p)
		}
		pt.Close()
		out = append(out, an.Finish())
	}
	return out
}

// describePath is a one-line-per-fact account of a path, for test output.
func describePath(p *Path) string {
	var b strings.Builder
	name := func(i int) string {
		if i < 0 {
			return "-"
		}
		return p.Points[i].Point
	}
	names := func(is []int) string {
		var out []string
		for _, i := range is {
			out = append(out, name(i))
		}
		return strings.Join(out, ",")
	}
	fmt.Fprintf(&b, "order %s (%s): %s\n", p.Order, p.OrderWhy, strings.Join(pointNames(p.Points), " → "))
	for _, bx := range p.Boxes {
		fmt.Fprintf(&b, "box %s: sessions %d client-nat %d server-nat %d hops %d\n", bx.Name(), bx.Sessions, bx.ClientNAT, bx.ServerNAT, bx.Hops)
	}
	for k, ps := range p.Sessions {
		ended := ""
		if ps.Control.BeforeEnded {
			ended = " (its capture had ended)"
		}
		fmt.Fprintf(&b, "session %d at %s control %s seen %s died %s|%s%s\n", k+1, names(ps.Seen()), ps.Control.State, names(ps.Control.SeenAt), name(ps.Control.DiedAfter), name(ps.Control.DiedBefore), ended)
		for _, pn := range ps.Negotiations {
			var vs []string
			for _, c := range pn.Crossings {
				if c == nil {
					vs = append(vs, "?")
				} else {
					vs = append(vs, string(c.Verdict))
				}
			}
			fmt.Fprintf(&b, "  %s crossings %s data %s seen %s died %s|%s\n", pn.Command, strings.Join(vs, ","), pn.Data.State, names(pn.Data.SeenAt), name(pn.Data.DiedAfter), name(pn.Data.DiedBefore))
		}
	}
	return b.String()
}

// TestFollowPathLab follows the lab's sessions captured at every hop: the
// order found from hop limits, what each box did, and where each failed
// SYN stopped being seen.
func TestFollowPathLab(t *testing.T) {
	for _, tt := range []struct {
		scenario string
		// want are lines describePath must hold.
		want []string
	}{
		{"s3-nat-noalg-active", []string{
			"box between client-lan and nat-outside: sessions 3 client-nat 3 server-nat 0",
			"PORT crossings not-rewritten,untouched,untouched data not-attempted",
			// pyftpdlib connects to the private address: r2 does not route it
			"PORT crossings not-rewritten,untouched,untouched data no-answer seen server-lan died server-lan|server-outside",
		}},
		{"s5-dnat-private-227", []string{
			"box between server-outside and server-lan: sessions 4 client-nat 0 server-nat 4",
			// the trusting client's SYN to the private address dies in r1
			"PASV crossings untouched,untouched,not-rewritten data no-answer seen client-lan died client-lan|nat-outside",
			"PASV crossings untouched,untouched,not-rewritten data established seen client-lan,nat-outside,server-outside,server-lan died -|-",
		}},
		{"s5c-dnat-alg", []string{
			"PASV crossings untouched,untouched,rewritten data established seen client-lan,nat-outside,server-outside,server-lan died -|-",
		}},
		{"s6-fw-drop-passive", []string{
			"PASV crossings untouched,untouched,untouched data no-answer seen client-lan,nat-outside,server-outside died server-outside|server-lan",
		}},
		{"s6b-fw-reset-active", []string{
			"box between client-lan and nat-outside: sessions 2 client-nat 0 server-nat 0",
			"PORT crossings untouched,untouched,untouched data refused seen server-lan,server-outside,nat-outside died nat-outside|client-lan",
		}},
		{"s6c-fw-drop-active", []string{
			"PORT crossings untouched,untouched,untouched data no-answer seen server-lan,server-outside,nat-outside died nat-outside|client-lan",
		}},
		// Control connections: reset by the server host (answered), dropped
		// and rejected by r2. The server LAN's capture holds nothing after
		// the first (nothing else reached it): the place is said with that.
		{"s11-control-refused", []string{
			"session 1 at client-lan,nat-outside,server-outside,server-lan control refused seen client-lan,nat-outside,server-outside,server-lan died -|-",
			"session 2 at client-lan,nat-outside,server-outside control no-answer seen client-lan,nat-outside,server-outside died server-outside|server-lan (its capture had ended)",
			"session 3 at client-lan,nat-outside,server-outside control unreachable seen client-lan,nat-outside,server-outside died server-outside|server-lan (its capture had ended)",
		}},
		{"s10-split-port", []string{
			"PORT crossings missed-split,?,?",
		}},
	} {
		t.Run(tt.scenario, func(t *testing.T) {
			// Given in a scrambled order: the hop limits put them back (r1 and
			// r2 share one link: the two outside points keep the order given).
			pts := loadLabPath(t, tt.scenario, "server-lan", "client-lan", "nat-outside", "server-outside")
			p, err := FollowPath(pts, PathOptions{})
			if err != nil {
				t.Fatal(err)
			}
			got := describePath(p)
			if !strings.Contains(got, "client-lan → nat-outside → server-outside → server-lan") {
				t.Errorf("order wrong:\n%s", got)
			}
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("missing %q in\n%s", w, got)
				}
			}
		})
	}
}
