package ladder

import (
	"bytes"
	"flag"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/ftpsniff/ftpsniff/analyze"
	"github.com/ftpsniff/ftpsniff/capture"
	"github.com/ftpsniff/ftpsniff/diagnose"
	"github.com/ftpsniff/ftpsniff/internal/golden"
	"github.com/ftpsniff/ftpsniff/internal/pcapgen"
	"github.com/ftpsniff/ftpsniff/internal/reporttest"
	"github.com/ftpsniff/ftpsniff/report/term"
)

// The golden ladders are rewritten with: go test ./report/ladder -run Golden
// -update (and the diff reviewed).
var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const labCaptures = "../../lab/captures/"

// readPoint reads capture files as one capture point with the real
// pipeline, as the command does.
func readPoint(t testing.TB, name string, files ...string) *diagnose.Point {
	t.Helper()
	pt, err := capture.OpenPoint(name, files)
	if err != nil {
		t.Fatal(err)
	}
	an := analyze.New(analyze.Options{Point: name, Inputs: files, Limits: analyze.DefaultLimits()})
	var p capture.Packet
	for pt.Next(&p) == nil {
		an.Packet(&p)
	}
	res := an.Finish()
	res.Capture = pt.Stats
	pt.Close()
	if len(pt.Errors) > 0 {
		t.Fatalf("%s: %v", files, pt.Errors)
	}
	return diagnose.New(name).Finish(res)
}

// capturePoints is what Ladders draws from: capture points, and the
// path they make when there are several.
type capturePoints struct {
	points []*diagnose.Point
	path   *diagnose.PathDiagnosis
}

// readLabPoints is points with no path.
func readLabPoints(points ...*diagnose.Point) capturePoints { return capturePoints{points: points} }

func (c capturePoints) ladders(sessionID string) []*Ladder {
	return Ladders(c.points, c.path, sessionID)
}

// readLab reads one lab capture file (point "capture", as the command
// names it).
func readLab(t testing.TB, file string) capturePoints {
	t.Helper()
	return capturePoints{points: []*diagnose.Point{readPoint(t, "capture", labCaptures+file)}}
}

// labPoints are the lab's capture points along its path, in path order.
var labPoints = []string{"client-lan", "nat-outside", "server-outside", "server-lan"}

// readPath reads one scenario captured at every point of the lab's path
// (lab/captures/path/SCENARIO.POINT.pcap), given in a scrambled order as
// the command may be, and follows its sessions along the path with the
// real pipeline's steps.
func readPath(t testing.TB, scenario string) capturePoints {
	t.Helper()
	var c capturePoints
	var results []*analyze.Result
	for _, name := range []string{"server-lan", "client-lan", "nat-outside", "server-outside"} {
		pt := readPoint(t, name, filepath.Join(labCaptures, "path", scenario+"."+name+".pcap"))
		c.points = append(c.points, pt)
		results = append(results, pt.Result)
	}
	p, err := analyze.FollowPath(results, analyze.PathOptions{})
	if err != nil {
		t.Fatal(err)
	}
	c.path = diagnose.DiagnosePath(p, c.points)
	var got []string
	for _, r := range p.Points {
		got = append(got, r.Point)
	}
	if strings.Join(got, " ") != strings.Join(labPoints, " ") {
		t.Fatalf("%s: path order %v, want %v", scenario, got, labPoints)
	}
	return c
}

// render draws l as text.
func render(t testing.TB, l *Ladder, width int, color bool) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteText(&b, l, width, color); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// renderAll draws ls as text, one after the other, as the command does.
func renderAll(t testing.TB, ls []*Ladder, width int, color bool) string {
	var parts []string
	for _, l := range ls {
		parts = append(parts, render(t, l, width, color))
	}
	return strings.Join(parts, "\n")
}

// TestGolden pins the text ladders (width 100, no colour) of a failing
// active-mode session through a NAT without helper seen at one point
// (outside the NAT, and on the server's LAN where the server's SYN dies),
// of a passive session whose SYN a firewall drops seen on the client's
// LAN, and of sessions seen at every point of the lab's path: the passive
// SYN a firewall drops between server-outside and server-lan, the PORT a
// NAT does not rewrite (the server's SYN to the private address dies as
// it leaves the server's LAN), the split PORT a NAT's helper swallows, and
// the active SYN a firewall resets in the client's name.
func TestGolden(t *testing.T) {
	cases := []struct {
		golden string
		file   string // one capture point
		path   string // a scenario captured at every point of the path
	}{
		{golden: "s3-nat-noalg-active.nat-outside", file: "s3-nat-noalg-active.nat-outside.pcap"},
		{golden: "s3-nat-noalg-active.server-lan", file: "s3-nat-noalg-active.server-lan.pcap"},
		{golden: "s6-fw-drop-passive.client-lan", file: "s6-fw-drop-passive.client-lan.pcap"},
		{golden: "s6-fw-drop-passive.path", path: "s6-fw-drop-passive"},
		{golden: "s3-nat-noalg-active.path", path: "s3-nat-noalg-active"},
		{golden: "s10-split-port.path", path: "s10-split-port"},
		{golden: "s6b-fw-reset-active.path", path: "s6b-fw-reset-active"},
	}
	for _, c := range cases {
		t.Run(c.golden, func(t *testing.T) {
			in := capturePoints{}
			if c.file != "" {
				in = readLab(t, c.file)
			} else {
				in = readPath(t, c.path)
			}
			got := renderAll(t, in.ladders(""), 100, false)
			golden.Check(t, filepath.Join("testdata", c.golden+".golden"), got, *update, "go test ./report/ladder -run Golden -update")
		})
	}
}

// lifelines returns the cell positions of the lifelines, from the header's
// "┬" line.
func lifelines(t *testing.T, text string) []int {
	t.Helper()
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, "┬") && strings.Trim(line, " ┬") == "" {
			var xs []int
			for i, r := range []rune(line) {
				if r == '┬' {
					xs = append(xs, i)
				}
			}
			return xs
		}
	}
	t.Fatalf("no header line with the lifelines:\n%s", text)
	return nil
}

// rowsOfKind returns the rows of a ladder of one kind.
func rowsOfKind(l *Ladder, k RowKind) []Row {
	var out []Row
	for _, r := range l.Rows {
		if r.Kind == k {
			out = append(out, r)
		}
	}
	return out
}

// TestPassiveSYNDroppedByAFirewall: what a user looks for in the
// ladder of s6 (a firewall in front of the server drops the passive data
// connection): a firewall column, the 227 with its address, the SYN dying
// on the firewall's lifeline with its retransmissions, the finding there.
func TestPassiveSYNDroppedByAFirewall(t *testing.T) {
	in := readLab(t, "s6-fw-drop-passive.client-lan.pcap")
	ls := in.ladders("S1")
	if len(ls) != 1 {
		t.Fatalf("Ladders(S1) gave %d ladders, want 1", len(ls))
	}
	l := ls[0]
	if len(l.Columns) != 3 || l.Columns[0].Role != RoleClient || l.Columns[1].Role != RoleFirewall || l.Columns[2].Role != RoleServer {
		t.Fatalf("columns %+v, want client, firewall, server", l.Columns)
	}
	if l.Columns[0].Addr[0] != "10.1.0.2" || l.Columns[2].Addr[0] != "203.0.113.10" {
		t.Errorf("column addresses %+v", l.Columns)
	}
	neg := rowsOfKind(l, RowNegotiation)
	if len(neg) != 1 || neg[0].Label != "227 Entering Passive Mode (203,0,113,10,117,48). → 203.0.113.10:30000" || neg[0].Frame != 14 || neg[0].From != 2 || neg[0].To != 0 {
		t.Errorf("negotiation rows %+v", neg)
	}
	data := rowsOfKind(l, RowData)
	if len(data) != 1 {
		t.Fatalf("data rows %+v", data)
	}
	d := data[0]
	if d.From != 0 || d.To != 2 || d.Stop != 1 || d.Frame != 15 || d.Severity != "error" || d.Point != "capture" || !strings.HasSuffix(d.File, "s6-fw-drop-passive.client-lan.pcap") {
		t.Errorf("data row %+v: want client → server dying at the firewall, frame 15", d)
	}
	if !strings.Contains(d.Detail, "no answer") || !strings.Contains(d.Detail, "+1.014s, +2.042s") {
		t.Errorf("data row detail %q lacks the retransmission times", d.Detail)
	}
	f := rowsOfKind(l, RowFinding)
	if len(f) != 1 || f[0].Code != "data-no-answer" || f[0].Severity != "error" || f[0].From != 1 || f[0].To != 1 || f[0].At < d.At {
		t.Errorf("finding rows %+v: want data-no-answer on the firewall, after the SYN", f)
	}

	text := render(t, l, 100, false)
	xs := lifelines(t, text)
	if len(xs) != 3 {
		t.Fatalf("lifelines at %v", xs)
	}
	found := false
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, "━") && strings.Contains(line, "✕") && !strings.Contains(line, "died there") {
			rs := []rune(line)
			if rs[xs[1]] != '✕' {
				t.Errorf("the dying arrow does not end on the firewall's lifeline (cell %d):\n%s", xs[1], line)
			}
			if strings.ContainsRune(string(rs[xs[1]+1:xs[2]]), '━') {
				t.Errorf("the dying arrow goes on past the firewall:\n%s", line)
			}
			found = true
		}
	}
	if !found {
		t.Errorf("no dying data arrow:\n%s", text)
	}
	for _, want := range []string{"data-no-answer", "firewall", "SYN 10.1.0.2:42176 → 203.0.113.10:30000", "+0.019s 15"} {
		if !strings.Contains(text, want) {
			t.Errorf("the ladder lacks %q:\n%s", want, text)
		}
	}
}

// TestActiveThroughNATWithoutHelper: s3 seen on the server's LAN:
// the PORT's private address puts a NAT in the middle, the server's SYN to
// it dies there, and the finding stands on the NAT.
func TestActiveThroughNATWithoutHelper(t *testing.T) {
	in := readLab(t, "s3-nat-noalg-active.server-lan.pcap")
	l := in.ladders("capture:S2")
	if len(l) != 1 {
		t.Fatalf("Ladders(capture:S2) gave %d ladders", len(l))
	}
	lad := l[0]
	if lad.Columns[1].Role != RoleNAT || lad.Columns[1].Addr[0] != "198.51.100.1" || lad.Columns[0].Addr[0] != "10.1.0.2" {
		t.Fatalf("columns %+v: want the client 10.1.0.2 behind a NAT 198.51.100.1", lad.Columns)
	}
	neg := rowsOfKind(lad, RowNegotiation)
	if len(neg) != 1 || neg[0].Label != "PORT 10,1,0,2,156,66 → 10.1.0.2:40002" || neg[0].From != 0 || neg[0].To != 2 {
		t.Errorf("negotiation rows %+v", neg)
	}
	data := rowsOfKind(lad, RowData)
	if len(data) != 1 || data[0].From != 2 || data[0].To != 0 || data[0].Stop != 1 || !strings.Contains(data[0].Detail, "+1.032s, +2.052s, +3.080s") {
		t.Errorf("data rows %+v: want the server's SYN dying at the NAT", data)
	}
	f := rowsOfKind(lad, RowFinding)
	if len(f) != 1 || f[0].Code != "active-nat-no-alg" || f[0].From != 1 || f[0].Frame != 40 {
		t.Errorf("finding rows %+v: want active-nat-no-alg on the NAT at the 421 (frame 40)", f)
	}
	text := render(t, lad, 100, false)
	xs := lifelines(t, text)
	for _, line := range strings.Split(text, "\n") {
		if strings.Contains(line, "━") && !strings.Contains(line, "died there") {
			if rs := []rune(line); rs[xs[1]] != '✕' || strings.ContainsRune(string(rs[xs[0]:xs[1]]), '━') {
				t.Errorf("the server's SYN should end at the NAT:\n%s", line)
			}
		}
	}
	// Outside the NAT the same session shows no data connection at all, and
	// its ladder says where the PORT was refused.
	out := readLab(t, "s3-nat-noalg-active.nat-outside.pcap").ladders("S1")
	if len(out) != 1 || len(rowsOfKind(out[0], RowData)) != 0 || !strings.Contains(render(t, out[0], 100, false), "500 Illegal PORT command.") {
		t.Errorf("outside ladder of S1: %+v", out)
	}
}

func TestLaddersSelectSessions(t *testing.T) {
	in := readLab(t, "s6-fw-drop-passive.client-lan.pcap")
	for id, want := range map[string]int{"": 2, "all": 2, "S2": 1, "s2": 1, "capture:S1": 1, "capture:all": 2, "capture:": 2, "other:S1": 0, "S9": 0} {
		if got := len(in.ladders(id)); got != want {
			t.Errorf("Ladders(%q): %d ladders, want %d", id, got, want)
		}
	}
	if got := in.ladders("S2"); got[0].Session != "S2" || !strings.Contains(got[0].Title, "10.1.0.2:46826 → 203.0.113.10:21") {
		t.Errorf("Ladders(S2) = %+v", got[0])
	}
}

var sgr = regexp.MustCompile("\x1b\\[[0-9;]*m")

// TestWidthAndColour: no line is wider than asked, at any width; no
// escape byte without colour; with colour, the same text plus SGR
// sequences, errors in red.
func TestWidthAndColour(t *testing.T) {
	var ladders []*Ladder
	for _, file := range []string{"s3-nat-noalg-active.server-lan.pcap", "s6-fw-drop-passive.client-lan.pcap", "s7-ipv6.client-lan.pcap"} {
		ladders = append(ladders, readLab(t, file).ladders("")...)
	}
	for _, scenario := range []string{"s6b-fw-reset-active", "s10-split-port", "s5c-dnat-alg"} {
		ladders = append(ladders, readPath(t, scenario).ladders("")...)
	}
	for _, width := range []int{10, 40, 41, 60, 80, 100, 133, 200} {
		for _, l := range ladders {
			plain := render(t, l, width, false)
			if strings.IndexByte(plain, 0x1b) >= 0 {
				t.Fatalf("%s at %d: ESC without colour", l.Session, width)
			}
			limit := max(width, MinWidth)
			for _, line := range strings.Split(plain, "\n") {
				// Every glyph of these ladders takes one cell.
				if n := utf8.RuneCountInString(line); n > limit {
					t.Fatalf("%s at width %d: a line of %d cells:\n%s", l.Session, width, n, line)
				}
			}
			colored := render(t, l, width, true)
			if !strings.Contains(colored, "\x1b[") {
				t.Fatalf("%s at %d: no colour asked for colour", l.Session, width)
			}
			if stripped := sgr.ReplaceAllString(colored, ""); stripped != plain {
				t.Fatalf("%s at %d: the coloured ladder is not the plain one plus colours:\n%s", l.Session, width, golden.Diff(plain, stripped))
			}
		}
	}
	text := render(t, readLab(t, "s6-fw-drop-passive.client-lan.pcap").ladders("S1")[0], 100, true)
	if !strings.Contains(text, "\x1b[1;31m◆ data-no-answer ERROR") && !strings.Contains(text, "\x1b["+term.SGRError+"m◆") {
		t.Errorf("the error finding is not red:\n%q", text)
	}
	if !strings.Contains(text, "\x1b["+term.SGRNegotiation+"m") {
		t.Errorf("the negotiation is not highlighted:\n%q", text)
	}
}

// TestHostileStrings: wire strings with escapes, bidi overrides and
// invalid UTF-8 reach the ladder only escaped, through the builder (a
// capture written by pcapgen, read by the real pipeline) and through the
// renderer alone (a Ladder built by hand with raw strings).
func TestHostileStrings(t *testing.T) {
	const name = "\x1b]0;owned\x07invoice\u202efdp.exe\xc3\x28\u009b2J"
	capture, err := pcapgen.Dialogue(pcapgen.Options{Format: pcapgen.PcapMicro, Link: pcapgen.Ethernet},
		"220 \x1b[2Jhi\r\n", "USER \x1b[31mroot\u202e\r\n", "331 pw\r\n", "PASV\r\n",
		"227 Entering Passive Mode (198,51,100,10,117,48) \x1b[8m\r\n", "RETR "+name+"\r\n", "550 "+name+": no such file\r\n")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "hostile.pcap")
	if err := os.WriteFile(path, capture, 0o644); err != nil {
		t.Fatal(err)
	}
	r := readPoint(t, "capture", path)
	h := reporttest.HostilePoint() // a negotiation whose reply is hostile
	ls := append(readLabPoints(r).ladders(""), Build(h, h.Sessions[0]))
	ls = append(ls, &Ladder{Session: "\x1b[31mS1", Title: "title \x1b]0;x\x07 \u202e", Notes: []string{"note \x9b2J"},
		Columns: []Column{{Name: "cli\x1bent", Addr: []string{"\u2066addr"}}, {Name: "server"}},
		Rows: []Row{{Kind: RowCommand, From: 0, To: 1, Stop: -1, Label: "RETR " + name, Detail: "\x1b[2J"},
			{Kind: RowFinding, From: 1, To: 1, Stop: -1, Code: "x\x1b", Label: "x\x1b: " + name, Detail: name}}})
	for _, l := range ls {
		for _, color := range []bool{false, true} {
			text := render(t, l, 100, color)
			if color {
				text = sgr.ReplaceAllString(text, "")
			}
			for _, r := range text {
				if r != '\n' && (term.UnsafeRune(r) || r == utf8.RuneError) {
					t.Fatalf("%U reaches the terminal:\n%s", r, text)
				}
			}
		}
	}
	text := render(t, ls[0], 200, false)
	for _, want := range []string{`RETR \x1b]0;owned\x07invoice\u202efdp.exe\xc3(\x9b2J`, `USER \x1b[31mroot\u202e`, `220 \x1b[2Jhi`} {
		if !strings.Contains(text, want) {
			t.Errorf("the ladder does not show %q escaped:\n%s", want, text)
		}
	}
}

// longSession is a capture of one session of n NOOPs, with a PASV, a
// RETR and a 425 after every 40th: n/40 negotiations, 2n+ lines.
func longSession(t *testing.T, n int) []byte {
	t.Helper()
	var buf bytes.Buffer
	w, err := pcapgen.NewWriter(&buf, pcapgen.Options{Format: pcapgen.PcapMicro, Link: pcapgen.Ethernet})
	if err != nil {
		t.Fatal(err)
	}
	c := w.NewConn(netip.MustParseAddrPort("10.1.0.2:40000"), netip.MustParseAddrPort("198.51.100.10:21"), time.Unix(1700000000, 0))
	c.Handshake()
	c.Server("220 hi\r\n")
	c.Client("USER anonymous\r\n")
	c.Server("230 ok\r\n")
	for i := 0; i < n; i++ {
		c.Advance(time.Millisecond)
		c.Client("NOOP\r\n")
		c.Server("200 ok\r\n")
		if i%40 == 39 {
			c.Client("PASV\r\n")
			c.Server(fmt.Sprintf("227 Entering Passive Mode (198,51,100,10,117,%d)\r\n", i/40))
			c.Client(fmt.Sprintf("RETR f%d\r\n", i))
			c.Server("425 Can't open data connection.\r\n")
		}
	}
	c.Close()
	w.Close()
	return buf.Bytes()
}

// TestBounded: a session of thousands of lines gives a ladder of a
// bounded number of rows that keeps every negotiation (up to the limit),
// and says how much it left out.
func TestBounded(t *testing.T) {
	const negs = 50
	path := filepath.Join(t.TempDir(), "long.pcap")
	if err := os.WriteFile(path, longSession(t, 2000), 0o644); err != nil {
		t.Fatal(err)
	}
	r := readPoint(t, "capture", path)
	s := r.Sessions[0]
	if len(s.Negotiations) != negs || len(s.Lines)+s.DroppedLines < 4000 {
		t.Fatalf("the capture holds %d negotiations and %d lines", len(s.Negotiations), len(s.Lines)+s.DroppedLines)
	}
	l := Build(r, s)
	if n := len(rowsOfKind(l, RowNegotiation)); n < MaxNegotiations {
		t.Errorf("%d negotiations drawn, want at least %d", n, MaxNegotiations)
	}
	if n := len(rowsOfKind(l, RowData)); n != MaxNegotiations {
		t.Errorf("%d data rows (not attempted), want %d", n, MaxNegotiations)
	}
	limit := MaxNegotiations*(4*(2*ContextLines+1)+2) + 20
	if len(l.Rows) > limit {
		t.Errorf("%d rows for %d lines, want at most %d", len(l.Rows), len(s.Lines), limit)
	}
	notes := strings.Join(l.Notes, "\n")
	if !strings.Contains(notes, "control lines are left out") || !strings.Contains(notes, fmt.Sprintf("%d of %d negotiations", MaxNegotiations, negs)) {
		t.Errorf("the notes do not say what was left out:\n%s", notes)
	}
	if len(rowsOfKind(l, RowNote)) == 0 {
		t.Errorf("no row marks where lines were left out")
	}
	// A short session is drawn whole.
	short := readLab(t, "s6-fw-drop-passive.client-lan.pcap").ladders("S2")[0]
	if got, want := len(rowsOfKind(short, RowCommand))+len(rowsOfKind(short, RowReply))+len(rowsOfKind(short, RowNegotiation)), 9; got != want {
		t.Errorf("the short session has %d dialogue rows, want all %d", got, want)
	}
}

// randomLadder makes a ladder of random shape with awkward strings: wide
// and combining characters, emoji, very long labels, out-of-range columns.
func randomLadder(rng *rand.Rand) *Ladder {
	words := []string{"PORT", "10,1,0,2,195,80", "→", "日本語のファイル名", "e\u0301te\u0301", "🙂", "x", "",
		strings.Repeat("long", 40), "\x1b[31m", "\u202e", "\xff", "227 Entering Passive Mode", "ｗｉｄｅ"}
	str := func(n int) string {
		var parts []string
		for i := 0; i < n; i++ {
			parts = append(parts, words[rng.IntN(len(words))])
		}
		return strings.Join(parts, " ")
	}
	l := &Ladder{Session: str(1), Title: str(rng.IntN(30)), Notes: []string{str(rng.IntN(40))}}
	n := 1 + rng.IntN(4)
	if rng.IntN(5) == 0 { // a long path: many capture points
		n = 5 + rng.IntN(10)
	}
	for i := 0; i < n; i++ {
		l.Columns = append(l.Columns, Column{Role: []ColumnRole{RoleClient, RolePoint, RoleServer}[rng.IntN(3)], Name: str(1 + rng.IntN(3)), Addr: []string{str(1), str(rng.IntN(2))}})
	}
	kinds := []RowKind{RowCommand, RowReply, RowNegotiation, RowData, RowRewrite, RowFinding, RowNote}
	for i := 0; i < 1+rng.IntN(12); i++ {
		l.Rows = append(l.Rows, Row{Kind: kinds[rng.IntN(len(kinds))], At: time.Duration(rng.Int64N(1e13)) - 1e9,
			From: rng.IntN(n+2) - 1, To: rng.IntN(n+2) - 1, Stop: rng.IntN(n+2) - 1,
			Label: str(rng.IntN(20)), Detail: str(rng.IntN(20)), Severity: []string{"", "info", "warning", "error"}[rng.IntN(4)],
			Code: str(rng.IntN(2)), Point: []string{"", "a", "b", str(1)}[rng.IntN(4)], Frame: uint64(rng.Int64N(1e7)),
			StopBeyond: rng.IntN(2) == 0, FromBeyond: rng.IntN(3) == 0})
	}
	return l
}

// TestWidthProperty: whatever the ladder and the width, no line is
// wider than the width (or MinWidth), no control character gets
// out, and the output is deterministic.
func TestWidthProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 1000; i++ {
		l := randomLadder(rng)
		width := rng.IntN(260)
		color := rng.IntN(2) == 0
		text := render(t, l, width, color)
		if again := render(t, l, width, color); again != text {
			t.Fatalf("case %d: two renderings differ", i)
		}
		checkLines(t, text, width, color)
	}
}

func checkLines(t *testing.T, text string, width int, color bool) {
	t.Helper()
	if !color && strings.IndexByte(text, 0x1b) >= 0 {
		t.Fatalf("ESC without colour:\n%q", text)
	}
	text = sgr.ReplaceAllString(text, "")
	for _, line := range strings.Split(text, "\n") {
		if w := term.Width(line); w > max(width, MinWidth) {
			t.Fatalf("width %d: a line of %d cells:\n%s", width, w, line)
		}
		for _, r := range line {
			if term.UnsafeRune(r) || r == utf8.RuneError {
				t.Fatalf("%U in the output:\n%q", r, line)
			}
		}
	}
}

// FuzzWriteLadder: a label and a width of any kind keep every line within
// the width and free of control characters.
func FuzzWriteLadder(f *testing.F) {
	f.Add("PORT 10,1,0,2,195,80 → 10.1.0.2:50000", "no answer: SYN resent at +1.000s", 80, 0, 2, 1)
	f.Add("日本語 e\u0301 🙂 \x1b[31m \u202e \xff", "", 41, 2, 0, -1)
	f.Add("", strings.Repeat("x ", 300), 0, 1, 1, 1)
	f.Fuzz(func(t *testing.T, label, detail string, width, from, to, stop int) {
		width = width % 400
		l := &Ladder{Title: label, Notes: []string{detail},
			Columns: []Column{{Name: "client", Addr: []string{label}}, {Name: detail}, {Name: "server"}},
			Rows: []Row{{Kind: RowData, From: from, To: to, Stop: stop, Label: label, Detail: detail, Severity: "error"},
				{Kind: RowFinding, From: to, To: to, Stop: -1, Code: label, Label: label, Detail: detail}}}
		for _, color := range []bool{false, true} {
			checkLines(t, render(t, l, width, color), width, color)
		}
	})
}
