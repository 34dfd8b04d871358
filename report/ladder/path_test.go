package ladder

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ftpsniff/ftpsniff/analyze"
	"github.com/ftpsniff/ftpsniff/diagnose"
	"github.com/ftpsniff/ftpsniff/internal/reporttest"
)

// The lab's path ladders have six columns: the client, the four capture
// points in path order, the server.
const (
	colClient = iota
	colClientLAN
	colNATOutside
	colServerOutside
	colServerLAN
	colServer
)

// checkPathColumns checks a path ladder's columns.
func checkPathColumns(t *testing.T, l *Ladder) {
	t.Helper()
	var got []string
	for _, c := range l.Columns {
		got = append(got, string(c.Role)+":"+c.Name)
	}
	want := "client:client point:client-lan point:nat-outside point:server-outside point:server-lan server:server"
	if strings.Join(got, " ") != want {
		t.Fatalf("%s: columns %v, want %s", l.Session, got, want)
	}
}

// crossAt returns the cell of the ✕ on the text line of the arrow whose
// label holds label (the line of the arrow itself: the label may stand
// above it), and the line.
func crossAt(t *testing.T, text, label string) (int, string) {
	t.Helper()
	lines := strings.Split(text, "\n")
	for k, line := range lines {
		if !strings.Contains(line, label) {
			continue
		}
		for _, l := range lines[k : k+2] {
			if i := strings.IndexRune(l, '✕'); i >= 0 && (strings.ContainsRune(l, '━') || strings.ContainsRune(l, '─') || strings.ContainsRune(l, '═')) {
				return len([]rune(l[:i])), l
			}
		}
	}
	t.Fatalf("no arrow with ✕ for %q:\n%s", label, text)
	return 0, ""
}

// checkFramesWithPoints: every frame the text ladder shows names its point.
func checkFramesWithPoints(t *testing.T, l *Ladder, text string) {
	t.Helper()
	for _, r := range l.Rows {
		if r.Frame == 0 {
			continue
		}
		if r.Point == "" {
			t.Errorf("%s: row %q has frame %d and no point", l.Session, r.Label, r.Frame)
			continue
		}
		if !strings.Contains(text, FrameLabel(r.Point, r.Frame)) {
			t.Errorf("%s: the text does not show row %q's frame as %s", l.Session, r.Label, FrameLabel(r.Point, r.Frame))
		}
	}
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) >= 2 && strings.HasPrefix(f[0], "+") && f[1] != "│" {
			if _, err := strconv.Atoi(f[1]); err == nil {
				t.Errorf("%s: a frame without its point: %q", l.Session, line)
			}
		}
	}
}

// TestPathPassiveSYNLostBeforeTheServer: s6, seen at every point. The
// client's passive SYN crossed client-lan, nat-outside and server-outside
// and never reached server-lan: its one arrow ends in a ✕ between the
// server-outside and server-lan columns, and the finding stands there.
func TestPathPassiveSYNLostBeforeTheServer(t *testing.T) {
	in := readPath(t, "s6-fw-drop-passive")
	all := in.ladders("")
	if len(all) != 2 {
		t.Fatalf("%d ladders, want one per session seen along the path (2)", len(all))
	}
	for k, l := range all {
		checkPathColumns(t, l)
		syn := []uint64{15, 36}[k]
		data := rowsOfKind(l, RowData)
		if len(data) != 1 {
			t.Fatalf("%s: data rows %+v", l.Session, data)
		}
		d := data[0]
		if d.From != colClient || d.To != colServer || d.Stop != colServerOutside || !d.StopBeyond || d.Point != "client-lan" || d.Frame != syn {
			t.Errorf("%s: data row %+v: want client → server, lost past server-outside, client-lan#%d", l.Session, d, syn)
		}
		wantSeen := fmt.Sprintf("client-lan#%d nat-outside#%d server-outside#%d", syn, syn, syn)
		if strings.Join(d.Seen, " ") != wantSeen || !strings.HasPrefix(d.Detail, "lost between server-outside and server-lan") {
			t.Errorf("%s: data row seen %v detail %q", l.Session, d.Seen, d.Detail)
		}
		f := rowsOfKind(l, RowFinding)
		if len(f) != 1 || f[0].Code != "data-no-answer" || f[0].From != colServerOutside || f[0].To != colServerLAN {
			t.Errorf("%s: findings %+v: want data-no-answer between server-outside and server-lan", l.Session, f)
		}
		// One arrow per control line, from end to end, none lost.
		for _, r := range l.Rows {
			if (r.Kind == RowCommand || r.Kind == RowReply || r.Kind == RowNegotiation) && (r.Stop != -1 || r.From+r.To != colServer || len(r.Seen) != 4) {
				t.Errorf("%s: control row %+v", l.Session, r)
			}
		}

		text := render(t, l, 100, false)
		xs := lifelines(t, text)
		if len(xs) != 6 {
			t.Fatalf("lifelines at %v", xs)
		}
		x, line := crossAt(t, text, "SYN 10.1.0.2:")
		if x <= xs[colServerOutside] || x >= xs[colServerLAN] {
			t.Errorf("%s: the ✕ at cell %d is not between server-outside (%d) and server-lan (%d):\n%s", l.Session, x, xs[colServerOutside], xs[colServerLAN], line)
		}
		if rs := []rune(line); strings.ContainsRune(string(rs[x+1:]), '━') {
			t.Errorf("%s: the SYN goes on past its ✕:\n%s", l.Session, line)
		}
		checkFramesWithPoints(t, l, text)
		for _, want := range []string{"client-lan#" + strconv.FormatUint(syn, 10), "✕ lost between two capture points", "point#frame"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s: the ladder lacks %q:\n%s", l.Session, want, text)
			}
		}
	}

	// The SVG: the ✕ midway between the two points' lifelines.
	var b bytes.Buffer
	if err := WriteSVG(&b, all[0]); err != nil {
		t.Fatal(err)
	}
	var root reporttest.Node
	if err := xml.Unmarshal(b.Bytes(), &root); err != nil {
		t.Fatalf("not well-formed: %v", err)
	}
	colX := map[string]float64{}
	root.Walk(func(n *reporttest.Node) {
		if n.Attr("class") == "lifeline" {
			for _, c := range n.Nodes {
				if c.XMLName.Local == "line" {
					x, _ := strconv.ParseFloat(c.Attr("x1"), 64)
					colX[n.Attr("data-column")] = x
				}
			}
		}
	})
	found := false
	for _, r := range reporttest.Rows(&root) {
		if r.Attr("data-kind") != "data" {
			continue
		}
		found = true
		if r.Attr("data-stop") != "3" || r.Attr("data-stop-beyond") != "true" || r.Attr("data-point") != "client-lan" || !strings.Contains(r.Nodes[0].Text, "seen at client-lan#15, nat-outside#15, server-outside#15") {
			t.Errorf("SVG data row: stop %q beyond %q point %q tooltip %q", r.Attr("data-stop"), r.Attr("data-stop-beyond"), r.Attr("data-point"), r.Nodes[0].Text)
		}
		r.Walk(func(n *reporttest.Node) {
			if n.Attr("class") == "stop-mark" {
				x, _ := strconv.ParseFloat(n.Attr("x"), 64)
				if x <= colX["3"] || x >= colX["4"] {
					t.Errorf("SVG ✕ at x=%v, not between %v and %v", x, colX["3"], colX["4"])
				}
			}
		})
	}
	if !found {
		t.Errorf("no data row in the SVG")
	}
}

// TestPathPORTNotRewritten: s3. r1 (between client-lan and nat-outside)
// lets the PORT out with the client's private address: that stands
// between those two columns; the server that tries the address sends its
// SYN, seen at server-lan only, which dies on its way out (a ✕ between
// server-lan and server-outside).
func TestPathPORTNotRewritten(t *testing.T) {
	in := readPath(t, "s3-nat-noalg-active")
	ls := in.ladders("S2")
	if len(ls) != 1 {
		t.Fatalf("Ladders(S2): %d ladders", len(ls))
	}
	l := ls[0]
	checkPathColumns(t, l)
	neg := rowsOfKind(l, RowNegotiation)
	if len(neg) != 1 || neg[0].Label != "PORT 10,1,0,2,156,66 → 10.1.0.2:40002" || neg[0].From != colClient || neg[0].To != colServer || neg[0].Stop != -1 || neg[0].Point != "client-lan" || neg[0].Frame != 32 {
		t.Errorf("negotiation rows %+v", neg)
	}
	rw := rowsOfKind(l, RowRewrite)
	if len(rw) != 1 || rw[0].Code != "not-rewritten" || rw[0].From != colClientLAN || rw[0].To != colNATOutside || rw[0].Severity != "error" ||
		!strings.Contains(rw[0].Label, "PORT 10,1,0,2,156,66 passed unchanged") || strings.Join(rw[0].Seen, " ") != "client-lan#32 nat-outside#32" {
		t.Errorf("rewrite rows %+v: want not-rewritten between client-lan and nat-outside", rw)
	}
	data := rowsOfKind(l, RowData)
	if len(data) != 1 {
		t.Fatalf("data rows %+v", data)
	}
	d := data[0]
	if d.From != colServer || d.To != colClient || d.Stop != colServerLAN || !d.StopBeyond || d.Point != "server-lan" || !strings.HasSuffix(d.Label, "→ 10.1.0.2:40002") ||
		!strings.HasPrefix(d.Detail, "lost between server-lan and server-outside: seen at server-lan#") {
		t.Errorf("data row %+v: want the server's SYN lost between server-lan and server-outside", d)
	}
	f := rowsOfKind(l, RowFinding)
	if len(f) != 1 || f[0].Code != "active-nat-no-alg" || f[0].From != colClientLAN || f[0].To != colNATOutside {
		t.Errorf("findings %+v: want active-nat-no-alg between client-lan and nat-outside", f)
	}
	// The rewrite and the finding come right after the PORT.
	for k, r := range l.Rows {
		if r.Kind == RowNegotiation && (l.Rows[k+1].Kind != RowRewrite || l.Rows[k+2].Kind != RowFinding) {
			t.Errorf("after the PORT: %q, %q", l.Rows[k+1].Label, l.Rows[k+2].Label)
		}
	}

	text := render(t, l, 100, false)
	xs := lifelines(t, text)
	x, line := crossAt(t, text, "SYN 203.0.113.11:")
	if x <= xs[colServerOutside] || x >= xs[colServerLAN] {
		t.Errorf("the ✕ at cell %d is not between server-outside (%d) and server-lan (%d):\n%s", x, xs[colServerOutside], xs[colServerLAN], line)
	}
	if rs := []rune(line); strings.ContainsRune(string(rs[:x]), '━') {
		t.Errorf("the server's SYN goes on past its ✕ towards the client:\n%s", line)
	}
	checkFramesWithPoints(t, l, text)
	if !strings.Contains(text, "server-lan#") || !strings.Contains(text, "◇ not-rewritten") && !strings.Contains(text, "◇ not-rewritten:") {
		t.Errorf("the ladder lacks the server-lan frame or the rewrite:\n%s", text)
	}

	// The two other sessions: the PORT refused (no data connection).
	for _, id := range []string{"client-lan:S1", "server-lan:S3"} {
		ls := in.ladders(id)
		if len(ls) != 1 || len(rowsOfKind(ls[0], RowData)) != 0 || len(rowsOfKind(ls[0], RowRewrite)) != 1 {
			t.Errorf("Ladders(%s): %+v", id, ls)
		}
	}
}

// TestPathSplitPORT: s10. r1's helper swallows a PORT the client wrote in
// two segments: the PORT's arrow ends between client-lan and nat-outside,
// the box's verdict stands between them, and what the points beyond saw of
// the line (its second segment, "RT ...") is an arrow of its own, not seen
// at client-lan as such.
func TestPathSplitPORT(t *testing.T) {
	in := readPath(t, "s10-split-port")
	l := in.ladders("S2")[0]
	checkPathColumns(t, l)
	neg := rowsOfKind(l, RowNegotiation)
	if len(neg) != 1 || neg[0].Stop != colClientLAN || !neg[0].StopBeyond || neg[0].Severity != "error" ||
		!strings.HasPrefix(neg[0].Label, "PORT 10,1,0,2,156,66") || !strings.Contains(neg[0].Detail, "never seen at nat-outside") {
		t.Errorf("negotiation rows %+v: want the PORT lost between client-lan and nat-outside", neg)
	}
	rw := rowsOfKind(l, RowRewrite)
	if len(rw) != 1 || rw[0].Code != "missed-split" || rw[0].From != colClientLAN || rw[0].To != colNATOutside || !strings.Contains(rw[0].Label, "never seen at nat-outside") {
		t.Errorf("rewrite rows %+v", rw)
	}
	var rt *Row
	for k, r := range l.Rows {
		if r.Kind == RowCommand && strings.HasPrefix(r.Label, "RT ") {
			rt = &l.Rows[k]
		}
	}
	if rt == nil || rt.Point != "nat-outside" || rt.Stop != -1 || rt.Detail != "not seen at client-lan" || len(rt.Seen) != 3 {
		t.Errorf("the second segment's line: %+v", rt)
	}
	f := rowsOfKind(l, RowFinding)
	if len(f) != 1 || f[0].Code != "alg-missed-split" || f[0].From != colClientLAN || f[0].To != colNATOutside {
		t.Errorf("findings %+v", f)
	}
	text := render(t, l, 100, false)
	xs := lifelines(t, text)
	if x, line := crossAt(t, text, "PORT 10,1,0,2,156,66 → 10.1.0.2:40002"); x <= xs[colClientLAN] || x >= xs[colNATOutside] {
		t.Errorf("the PORT's ✕ at cell %d is not between client-lan and nat-outside:\n%s", x, line)
	}
	checkFramesWithPoints(t, l, text)

	// S1: the first segment, "PO", alone, lost at r1 too.
	s1 := in.ladders("client-lan:S1")[0]
	var po *Row
	for k, r := range s1.Rows {
		if r.Kind == RowCommand && r.Label == "PO" {
			po = &s1.Rows[k]
		}
	}
	if po == nil || po.Stop != colClientLAN || !po.StopBeyond || po.Frame != 13 || po.Point != "client-lan" {
		t.Errorf("the lone \"PO\": %+v", po)
	}
}

// TestPathResetInTheClientsName: s6b. A firewall between nat-outside and
// client-lan answers the server's active SYN with a reset in the client's
// name: the SYN ends between those two columns, and the reset goes back to
// the server from there.
func TestPathResetInTheClientsName(t *testing.T) {
	in := readPath(t, "s6b-fw-reset-active")
	l := in.ladders("S1")[0]
	data := rowsOfKind(l, RowData)
	if len(data) != 2 {
		t.Fatalf("data rows %+v: want the SYN and the reset", data)
	}
	syn, rst := data[0], data[1]
	if syn.From != colServer || syn.To != colClient || syn.Stop != colNATOutside || !syn.StopBeyond || syn.Point != "nat-outside" || syn.Frame != 20 {
		t.Errorf("SYN row %+v", syn)
	}
	if !strings.HasPrefix(rst.Label, "RST 10.1.0.2:40001 → 203.0.113.10:20") || rst.From != colNATOutside || !rst.FromBeyond || rst.To != colServer ||
		!strings.HasPrefix(rst.Detail, "sent between nat-outside and client-lan") || strings.Join(rst.Seen, " ") != "nat-outside#21 server-outside#21 server-lan#21" {
		t.Errorf("reset row %+v", rst)
	}
	text := render(t, l, 100, false)
	xs := lifelines(t, text)
	if x, line := crossAt(t, text, "SYN 203.0.113.10:20"); x <= xs[colClientLAN] || x >= xs[colNATOutside] {
		t.Errorf("the SYN's ✕ at cell %d is not between client-lan and nat-outside:\n%s", x, line)
	}
	checkFramesWithPoints(t, l, text)
}

// TestPathLaddersSelect: a story is drawn once, whichever of its sessions
// is asked for.
func TestPathLaddersSelect(t *testing.T) {
	in := readPath(t, "s6-fw-drop-passive")
	for id, want := range map[string]int{"": 2, "all": 2, "S1": 1, "s2": 1, "server-lan:S2": 1, "nat-outside:all": 2, "client-lan:": 2, "other:S1": 0, "S9": 0} {
		if got := len(in.ladders(id)); got != want {
			t.Errorf("Ladders(%q): %d ladders, want %d", id, got, want)
		}
	}
	if l := in.ladders("server-outside:S2"); len(l) != 1 || l[0].Session != "S2" || !strings.Contains(l[0].Title, "seen at client-lan → nat-outside → server-outside → server-lan") {
		t.Errorf("Ladders(server-outside:S2) = %+v", l)
	}
	// Without the path, each point's sessions are drawn on their own.
	if got := len(Ladders(in.points, nil, "")); got != 8 {
		t.Errorf("Ladders without the path: %d ladders, want 8", got)
	}
}

// TestPathBounded: a session of thousands of lines seen at two points
// gives a path ladder of a bounded number of rows that keeps the
// negotiations (up to the limit) and says what it left out.
func TestPathBounded(t *testing.T) {
	const negs = 40
	capture := longSession(t, 1600)
	dir := t.TempDir()
	var points []*diagnose.Point
	var results []*analyze.Result
	for _, name := range []string{"a", "b"} {
		path := filepath.Join(dir, name+".pcap")
		if err := os.WriteFile(path, capture, 0o644); err != nil {
			t.Fatal(err)
		}
		pt := readPoint(t, name, path)
		points = append(points, pt)
		results = append(results, pt.Result)
	}
	p, err := analyze.FollowPath(results, analyze.PathOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d := diagnose.DiagnosePath(p, points)
	if len(d.Stories) != 1 || len(d.Stories[0].Negotiations) != negs {
		t.Fatalf("%d stories", len(d.Stories))
	}
	l := BuildPath(d, d.Stories[0])
	if n := len(rowsOfKind(l, RowNegotiation)); n < MaxNegotiations {
		t.Errorf("%d negotiations drawn, want at least %d", n, MaxNegotiations)
	}
	limit := MaxNegotiations*(4*(2*ContextLines+1)+2) + 20
	if len(l.Rows) > limit {
		t.Errorf("%d rows, want at most %d", len(l.Rows), limit)
	}
	notes := strings.Join(l.Notes, "\n")
	if !strings.Contains(notes, "control lines are left out") || !strings.Contains(notes, fmt.Sprintf("%d of %d negotiations", MaxNegotiations, negs)) {
		t.Errorf("the notes do not say what was left out:\n%s", notes)
	}
	for _, r := range rowsOfKind(l, RowNote) {
		if strings.HasPrefix(r.Label, "⋮") && !strings.Contains(r.Label, "a#") {
			t.Errorf("a left-out note without the frames' point: %q", r.Label)
		}
	}
	for _, r := range l.Rows {
		if r.Stop != -1 {
			t.Errorf("row %q dies, though both points saw everything", r.Label)
		}
	}
}
