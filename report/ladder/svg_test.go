package ladder

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff/internal/reporttest"
)

// handLadder is a failed passive transfer through a firewall, drawn by
// hand: the SVG renderer is tested on its own, whatever the builder does.
func handLadder(label string) *Ladder {
	return &Ladder{
		Session: "S1", Title: "client 10.1.0.2:40000 → server 203.0.113.10:21, captured at client-lan",
		Columns: []Column{
			{Role: RoleClient, Name: "client", Addr: []string{"10.1.0.2"}},
			{Role: RoleFirewall, Name: "firewall"},
			{Role: RoleServer, Name: "server", Addr: []string{"203.0.113.10", "2001:db8::10", "198.51.100.2"}},
		},
		Notes: []string{"captured on the client side"},
		Rows: []Row{
			{Kind: RowCommand, At: 0, From: 0, To: 2, Stop: -1, Label: "USER anonymous", Point: "lan", File: "lan.pcap", Frame: 9},
			{Kind: RowReply, At: time.Millisecond, From: 2, To: 0, Stop: -1, Label: "331 Please specify the password.", Frame: 10},
			{Kind: RowCommand, At: 2 * time.Millisecond, From: 0, To: 2, Stop: -1, Label: "PASS <redacted>", Frame: 11},
			{Kind: RowNegotiation, At: 3 * time.Millisecond, From: 2, To: 0, Stop: -1, Label: "227 Entering Passive Mode (203,0,113,10,117,48)", Detail: "advertises 203.0.113.10:30000", Frame: 14},
			{Kind: RowData, At: 4 * time.Millisecond, From: 0, To: 2, Stop: 1, Label: "SYN 10.1.0.2:42176 → 203.0.113.10:30000", Detail: "no answer: SYN resent at +1.0 s, +3.0 s", Severity: "error", Point: "lan", File: "lan.pcap", Frame: 15},
			{Kind: RowFinding, At: 5 * time.Second, From: 1, To: 1, Stop: -1, Label: label, Code: "data-no-answer", Severity: "error", Frame: 18},
			{Kind: RowRewrite, At: 6 * time.Second, From: 1, To: 1, Stop: -1, Label: "PORT rewritten", Code: "rewritten"},
			{Kind: RowData, At: 7 * time.Second, From: 2, To: 0, Stop: -1, Label: "SYN 203.0.113.10:20 → 10.1.0.2:40001", Detail: "established, 1,024 B", Frame: 30},
			{Kind: RowNote, At: 8 * time.Second, From: 0, To: 0, Stop: -1, Label: "TLS from here on"},
		},
	}
}

// svgDoc parses an SVG (or the inline SVGs of a page) with encoding/xml:
// the markup must be well-formed.
func TestSVG(t *testing.T) {
	var b bytes.Buffer
	hostile := "data-no-answer <script>alert(1)</script> \"q\" \x1b[31m red \u202eexe.txt"
	if err := WriteSVG(&b, handLadder(hostile)); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	var root reporttest.Node
	if err := xml.Unmarshal(b.Bytes(), &root); err != nil {
		t.Fatalf("the SVG is not well-formed XML: %v\n%s", err, out)
	}
	if root.XMLName.Local != "svg" || root.Attr("class") != "ladder" || root.Attr("data-session") != "S1" || root.Attr("data-rows") != "9" {
		t.Errorf("root element %s class=%q session=%q rows=%q", root.XMLName.Local, root.Attr("class"), root.Attr("data-session"), root.Attr("data-rows"))
	}

	lifelines := 0
	root.Walk(func(n *reporttest.Node) {
		if n.Attr("class") == "lifeline" {
			lifelines++
		}
	})
	if lifelines != 3 {
		t.Errorf("%d lifelines, want 3", lifelines)
	}
	if !strings.Contains(out, "203.0.113.10") || !strings.Contains(out, "+1 more") {
		t.Errorf("the server column does not show its addresses (first two, then a count)")
	}

	rows := reporttest.Rows(&root)
	if len(rows) != 9 {
		t.Fatalf("%d rows, want 9", len(rows))
	}
	count := map[string]int{}
	for _, r := range rows {
		shape := "box"
		if reporttest.HasClass(r, "arrow") {
			shape = "arrow"
		}
		count[shape+" "+r.Attr("data-kind")]++
		// Every row has its tooltip, with the evidence when there is some.
		if r.Nodes[0].XMLName.Local != "title" {
			t.Errorf("row %s: the first child is <%s>, want <title>", r.Attr("data-kind"), r.Nodes[0].XMLName.Local)
		}
		if f := r.Attr("data-frame"); f != "" && !strings.Contains(r.Nodes[0].Text, "frame "+f) {
			t.Errorf("row at frame %s: tooltip %q does not name the frame", f, r.Nodes[0].Text)
		}
		if reporttest.ChildText(r, "time") == "" {
			t.Errorf("row %s has no time", r.Attr("data-kind"))
		}
	}
	want := map[string]int{"arrow command": 2, "arrow reply": 1, "arrow negotiation": 1, "arrow data": 2, "box finding": 1, "box rewrite": 1, "box note": 1}
	for k, n := range want {
		if count[k] != n {
			t.Errorf("%d %s rows, want %d (all: %v)", count[k], k, n, count)
		}
	}

	// The dropped SYN ends at the firewall's column with a red ✕; the
	// arrow that arrived has an arrowhead and no ✕.
	for _, r := range rows {
		switch r.Attr("data-frame") {
		case "15":
			if !reporttest.HasClass(r, "dies") || r.Attr("data-stop") != "1" || reporttest.ChildText(r, "stop-mark") != "✕" || !reporttest.HasClass(r, "sev-error") {
				t.Errorf("the dropped SYN: class %q stop %q mark %q", r.Attr("class"), r.Attr("data-stop"), reporttest.ChildText(r, "stop-mark"))
			}
			if !strings.Contains(r.Nodes[0].Text, "point lan, file lan.pcap, frame 15") {
				t.Errorf("the dropped SYN's tooltip %q lacks its evidence", r.Nodes[0].Text)
			}
		case "30":
			heads := 0
			r.Walk(func(n *reporttest.Node) {
				if n.Attr("class") == "head" {
					heads++
				}
			})
			if reporttest.HasClass(r, "dies") || reporttest.ChildText(r, "stop-mark") != "" || heads != 1 {
				t.Errorf("the established connection: class %q, %d heads", r.Attr("class"), heads)
			}
		}
	}
	if n := strings.Count(out, "✕"); n != 1 {
		t.Errorf("%d ✕ in the SVG, want 1", n)
	}

	// Hostile text: escaped for XML, control and bidi characters shown as escapes.
	if strings.Contains(out, "<script") || strings.ContainsRune(out, 0x1b) || strings.ContainsRune(out, 0x202e) {
		t.Errorf("raw hostile text reaches the SVG:\n%s", out)
	}
	if !strings.Contains(out, `&lt;script&gt;`) || !strings.Contains(out, `\x1b[31m`) || !strings.Contains(out, `\u202eexe`) {
		t.Errorf("the hostile label is not shown escaped:\n%s", out)
	}
}

func TestSVGEdgeCases(t *testing.T) {
	for name, l := range map[string]*Ladder{
		"no columns": {Session: "S9", Rows: []Row{{Kind: RowNote, Stop: -1, Label: "x"}}},
		"indexes out of range": {Session: "S9", Columns: []Column{{Role: RoleClient, Name: "client"}, {Role: RoleServer, Name: "server"}},
			Rows: []Row{{Kind: RowData, From: 7, To: -3, Stop: 9, Label: "SYN"}, {Kind: RowData, From: 0, To: 1, Stop: 0, Label: "SYN dies at once"}}},
		"long label": {Session: "S9", Columns: []Column{{Name: "a"}, {Name: "b"}},
			Rows: []Row{{Kind: RowCommand, From: 0, To: 1, Stop: -1, Label: "RETR " + strings.Repeat("x", 5000)}}},
	} {
		t.Run(name, func(t *testing.T) {
			var b bytes.Buffer
			if err := WriteSVG(&b, l); err != nil {
				t.Fatal(err)
			}
			var root reporttest.Node
			if err := xml.Unmarshal(b.Bytes(), &root); err != nil {
				t.Fatalf("not well-formed: %v\n%s", err, b.String())
			}
			if strings.Contains(b.String(), strings.Repeat("x", 500)) {
				t.Errorf("a long label is kept whole in the tooltip")
			}
			for _, r := range reporttest.Rows(&root) {
				if n := len([]rune(reporttest.ChildText(r, "label"))); n > 80 {
					t.Errorf("a label of %d runes is drawn on an arrow %d px long", n, 420)
				}
			}
		})
	}
}

// TestSVGBetweenPoints: on a ladder with capture points as columns, a
// packet lost between two points ends midway between their lifelines, the
// answer sent from there starts there, and what a box did stands between
// its two points.
func TestSVGBetweenPoints(t *testing.T) {
	l := &Ladder{Session: "S1", Columns: []Column{{Role: RoleClient, Name: "client"}, {Role: RolePoint, Name: "a"}, {Role: RolePoint, Name: "b"}, {Role: RoleServer, Name: "server"}},
		Rows: []Row{
			{Kind: RowData, From: 3, To: 0, Stop: 2, StopBeyond: true, Label: "SYN", Point: "b", Frame: 20, Seen: []string{"b#20"}},
			{Kind: RowData, From: 2, FromBeyond: true, To: 3, Stop: -1, Label: "RST", Point: "b", Frame: 21},
			{Kind: RowRewrite, From: 1, To: 2, Stop: -1, Label: "not-rewritten: PORT passed unchanged", Code: "not-rewritten"},
		}}
	var b bytes.Buffer
	if err := WriteSVG(&b, l); err != nil {
		t.Fatal(err)
	}
	var root reporttest.Node
	if err := xml.Unmarshal(b.Bytes(), &root); err != nil {
		t.Fatalf("not well-formed: %v\n%s", err, b.String())
	}
	// The lifelines: 84+150 + i*240.
	mid12 := (234.0 + 240 + 234 + 480) / 2
	attrX := func(r *reporttest.Node, class, attr string) string {
		v := ""
		r.Walk(func(n *reporttest.Node) {
			if n.Attr("class") == class && v == "" {
				v = n.Attr(attr)
			}
		})
		return v
	}
	rows := reporttest.Rows(&root)
	if len(rows) != 3 {
		t.Fatalf("%d rows", len(rows))
	}
	want := fmt.Sprintf("%.1f", mid12)
	if x := attrX(rows[0], "stop-mark", "x"); x != want || rows[0].Attr("data-stop-beyond") != "true" || !strings.Contains(rows[0].Nodes[0].Text, "seen at b#20") {
		t.Errorf("the lost SYN's ✕ at x=%s, want %s (between a and b)", x, want)
	}
	if x := attrX(rows[1], "shaft", "x1"); x != want || rows[1].Attr("data-from-beyond") != "true" {
		t.Errorf("the reset starts at x=%s, want %s", x, want)
	}
	if !reporttest.HasClass(rows[2], "box") {
		t.Errorf("the rewrite is not a box: %s", rows[2].Attr("class"))
	}
	if x := attrX(rows[2], "label", "x"); x != fmt.Sprintf("%.1f", (474.0+714)/2) {
		t.Errorf("the rewrite stands at x=%s, want between a and b", x)
	}
}
