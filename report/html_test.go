package report

import (
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ftpsniff/ftpsniff/analyze"
	"github.com/ftpsniff/ftpsniff/capture"
	"github.com/ftpsniff/ftpsniff/diagnose"
	"github.com/ftpsniff/ftpsniff/internal/reporttest"
	"github.com/ftpsniff/ftpsniff/report/ladder"
	"github.com/ftpsniff/ftpsniff/report/term"
)

// handLadder is a failed passive transfer through a firewall, drawn by
// hand: the page is tested on its own, whatever the builder does.
func handLadder(label string) *ladder.Ladder {
	return &ladder.Ladder{
		Session: "S1", Title: "client 10.1.0.2:40000 → server 203.0.113.10:21, captured at client-lan",
		Columns: []ladder.Column{
			{Role: ladder.RoleClient, Name: "client", Addr: []string{"10.1.0.2"}},
			{Role: ladder.RoleFirewall, Name: "firewall"},
			{Role: ladder.RoleServer, Name: "server", Addr: []string{"203.0.113.10", "2001:db8::10", "198.51.100.2"}},
		},
		Notes: []string{"captured on the client side"},
		Rows: []ladder.Row{
			{Kind: ladder.RowCommand, At: 0, From: 0, To: 2, Stop: -1, Label: "USER anonymous", Point: "lan", File: "lan.pcap", Frame: 9},
			{Kind: ladder.RowReply, At: time.Millisecond, From: 2, To: 0, Stop: -1, Label: "331 Please specify the password.", Frame: 10},
			{Kind: ladder.RowCommand, At: 2 * time.Millisecond, From: 0, To: 2, Stop: -1, Label: "PASS <redacted>", Frame: 11},
			{Kind: ladder.RowNegotiation, At: 3 * time.Millisecond, From: 2, To: 0, Stop: -1, Label: "227 Entering Passive Mode (203,0,113,10,117,48)", Detail: "advertises 203.0.113.10:30000", Frame: 14},
			{Kind: ladder.RowData, At: 4 * time.Millisecond, From: 0, To: 2, Stop: 1, Label: "SYN 10.1.0.2:42176 → 203.0.113.10:30000", Detail: "no answer: SYN resent at +1.0 s, +3.0 s", Severity: "error", Point: "lan", File: "lan.pcap", Frame: 15},
			{Kind: ladder.RowFinding, At: 5 * time.Second, From: 1, To: 1, Stop: -1, Label: label, Code: "data-no-answer", Severity: "error", Frame: 18},
			{Kind: ladder.RowRewrite, At: 6 * time.Second, From: 1, To: 1, Stop: -1, Label: "PORT rewritten", Code: "rewritten"},
			{Kind: ladder.RowData, At: 7 * time.Second, From: 2, To: 0, Stop: -1, Label: "SYN 203.0.113.10:20 → 10.1.0.2:40001", Detail: "established, 1,024 B", Frame: 30},
			{Kind: ladder.RowNote, At: 8 * time.Second, From: 0, To: 0, Stop: -1, Label: "TLS from here on"},
		},
	}
}

// svgDoc parses an SVG (or the inline SVGs of a page) with encoding/xml:
// the markup must be well-formed.
// labResult runs the real pipeline on lab captures, as the command does.
func labResult(t *testing.T, point string, files ...string) *diagnose.Point {
	t.Helper()
	for i, f := range files {
		files[i] = filepath.Join("..", "lab", "captures", f)
	}
	return diagnose.New(point).Finish(analyzeFiles(t, point, files))
}

// analyzeFiles analyses the files as one capture point, packet by packet.
func analyzeFiles(tb testing.TB, point string, files []string) *analyze.Result {
	tb.Helper()
	pt, err := capture.OpenPoint(point, files)
	if err != nil {
		tb.Fatal(err)
	}
	defer pt.Close()
	an := analyze.New(analyze.Options{Point: point, Inputs: files})
	var p capture.Packet
	for {
		err := pt.Next(&p)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			tb.Fatal(err)
		}
		an.Packet(&p)
	}
	res := an.Finish()
	res.Capture = pt.Stats
	return res
}

var externalRef = regexp.MustCompile(`(?i)(src|href|action|xlink:href)\s*=\s*["']?\s*(https?:|//|ftp:)|@import|url\(\s*["']?(https?:|//)|@font-face`)

// checkSelfContained fails when the page could load anything from elsewhere.
func checkSelfContained(t *testing.T, page string) {
	t.Helper()
	if m := externalRef.FindString(page); m != "" {
		t.Errorf("the page refers to something outside itself: %q", m)
	}
	if !strings.Contains(page, `http-equiv="Content-Security-Policy" content="default-src &#39;none&#39;`) {
		t.Errorf("no Content-Security-Policy that forbids loading anything")
	}
	for _, tag := range []string{"<link", "<iframe", "<img", "<object", "<embed"} {
		if strings.Contains(page, tag) {
			t.Errorf("the page has a %s element", tag)
		}
	}
	if n := strings.Count(page, "<script"); n != 2 {
		t.Errorf("%d <script elements, want the report's 2", n)
	}
}

func writeHTML(t *testing.T, in *Run) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteHTML(&b, in); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// writeHTMLWith writes the page within o's limits and with its ladders.
func writeHTMLWith(t *testing.T, in *Run, o HTMLOptions) string {
	t.Helper()
	var b bytes.Buffer
	if err := WriteHTMLWith(&b, in, o); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

func TestHTMLReportOfALabCapture(t *testing.T) {
	r := labResult(t, "client-lan", "s6-fw-drop-passive.client-lan.pcap")
	page := writeHTML(t, &Run{Points: []*diagnose.Point{r}})
	checkSelfContained(t, page)
	for _, want := range []string{
		`<dd data-count="sessions">2</dd>`, `<dd data-count="error">2</dd>`,
		// sortable, filterable tables
		`<table class="data" id="sessions-table" data-sortable>`, `<table class="data" id="transfers-table" data-sortable>`,
		`<input type="search" data-filter-for="transfers-table"`, `<input type="search" data-filter-for="sessions-table"`,
		`<th data-sort-type="num" data-sort-key="bytes">Bytes</th>`, `data-problems-for="transfers-table"`,
		// a finding with its evidence (file, frame) and advice
		`<article class="finding error" id="finding-1" data-code="data-no-answer"`,
		`<td class="mono" title="Wireshark: frame.number == 15">15</td>`,
		`SYN 10.1.0.2:42176 → 203.0.113.10:30000`, `<p class="advice"><strong>Fix:</strong> Let the client&#39;s connections reach the server&#39;s passive ports`,
		`<tr class="error" data-problem data-transfer="S1.T1">`, `<td class="verdict">data-no-answer</td>`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	if n := strings.Count(page, "<tr class=") - strings.Count(page, `<tr class="ok"`); n != 4 {
		t.Errorf("%d session and transfer rows, want 2 + 2", n)
	}

	// One ladder per session, each with its client, the firewall that
	// dropped the SYN and the server; the 227 highlighted; the SYN (frames
	// 15 and 36) ending in a ✕ at the firewall; the finding on it.
	svgs := inlineSVGs(t, page)
	if len(svgs) != 2 {
		t.Fatalf("%d ladders, want one per session (2)", len(svgs))
	}
	for i, svg := range svgs {
		id, syn, neg := []string{"S1", "S2"}[i], []string{"15", "36"}[i], []string{"14", "35"}[i]
		if svg.Attr("data-session") != id {
			t.Errorf("ladder %d is of %q, want %s", i, svg.Attr("data-session"), id)
		}
		if !strings.Contains(page, `<a href="#ladder-`+strconv.Itoa(i+1)+`" title="its ladder">`+id+`</a>`) {
			t.Errorf("the sessions table does not link %s to its ladder", id)
		}
		var roles []string
		svg.Walk(func(n *reporttest.Node) {
			if n.Attr("class") == "lifeline" {
				roles = append(roles, n.Attr("data-role"))
			}
		})
		if strings.Join(roles, " ") != "client firewall server" {
			t.Errorf("%s: columns %v", id, roles)
		}
		var data, negs, findings []*reporttest.Node
		for _, r := range reporttest.Rows(svg) {
			switch {
			case reporttest.HasClass(r, "arrow") && r.Attr("data-kind") == "data":
				data = append(data, r)
			case reporttest.HasClass(r, "arrow") && r.Attr("data-kind") == "negotiation":
				negs = append(negs, r)
			case reporttest.HasClass(r, "box") && r.Attr("data-kind") == "finding":
				findings = append(findings, r)
			}
		}
		if len(data) != 1 || data[0].Attr("data-frame") != syn || !reporttest.HasClass(data[0], "dies") ||
			data[0].Attr("data-stop") != "1" || reporttest.ChildText(data[0], "stop-mark") != "✕" {
			t.Errorf("%s: want one data arrow (the SYN of frame %s) ending in ✕ at the firewall, got %d: %v", id, syn, len(data), data)
		}
		if len(negs) != 1 || negs[0].Attr("data-frame") != neg || !strings.Contains(reporttest.ChildText(negs[0], "label"), "227 Entering Passive Mode") {
			t.Errorf("%s: want the 227 of frame %s as the negotiation", id, neg)
		}
		if len(findings) != 1 || findings[0].Attr("data-code") != "data-no-answer" || findings[0].Attr("data-severity") != "error" {
			t.Errorf("%s: want the data-no-answer finding on the ladder", id)
		}
	}
}

// inlineSVGs parses each <svg> of a page.
func inlineSVGs(t *testing.T, page string) []*reporttest.Node {
	t.Helper()
	var out []*reporttest.Node
	for rest := page; ; {
		i := strings.Index(rest, "<svg ")
		if i < 0 {
			return out
		}
		j := strings.Index(rest[i:], "</svg>")
		if j < 0 {
			t.Fatal("an <svg> is not closed")
		}
		var n reporttest.Node
		if err := xml.Unmarshal([]byte(rest[i:i+j+len("</svg>")]), &n); err != nil {
			t.Fatalf("an inline SVG is not well-formed: %v", err)
		}
		out = append(out, &n)
		rest = rest[i+j:]
	}
}

// labPath runs the real pipeline on one scenario captured at every point
// of the lab's path (lab/captures/path/SCENARIO.POINT.pcap), the points
// named by names (in the lab's path order) and given in a scrambled order:
// the path puts them back.
func labPath(t *testing.T, scenario string, names ...string) *Run {
	t.Helper()
	hops := []string{"client-lan", "nat-outside", "server-outside", "server-lan"}
	if len(names) == 0 {
		names = hops
	}
	in := &Run{}
	var results []*analyze.Result
	for _, k := range []int{3, 0, 1, 2} {
		pt := labResult(t, names[k], filepath.Join("path", scenario+"."+hops[k]+".pcap"))
		in.Points = append(in.Points, pt)
		results = append(results, pt.Result)
	}
	p, err := analyze.FollowPath(results, analyze.PathOptions{})
	if err != nil {
		t.Fatal(err)
	}
	in.Path = diagnose.DiagnosePath(p, in.Points)
	return in
}

// TestHTMLReportOfAPath: s6 captured at the lab's four points. The path
// section draws the points in path order with the boxes between them (r1
// a NAT), says how the order was decided, and tells each session's story:
// the PASV as each point saw it, its SYN lost between server-outside and
// server-lan, the finding with its evidence from several points, and the
// story's ladder with a column per point.
func TestHTMLReportOfAPath(t *testing.T) {
	in := labPath(t, "s6-fw-drop-passive")
	page := writeHTML(t, in)
	checkSelfContained(t, page)
	for _, want := range []string{
		`<section id="path">`, `<a href="#path">Path (2 sessions seen along it)</a>`,
		`<strong>client-lan → nat-outside → server-outside → server-lan</strong> (from the hop limits of the clients&#39; packets`,
		`clock offsets from client-lan: nat-outside &#43;0.000090s`,
		`<article class="story error" id="story-1">`, `<p class="story-sessions">Sessions: client-lan S1, nat-outside S1, server-outside S1, server-lan S1</p>`,
		`died between server-outside and server-lan`,
		`<div class="path-negotiation failed" data-failed>`, `<li class="mono">client-lan 14: 227 Entering Passive Mode (203,0,113,10,117,48).</li>`,
		// the story's finding, its evidence naming the points it came from
		`<article class="finding error" id="story-1-finding-1" data-code="data-no-answer"`,
		`<tr><td>client-lan</td><td class="mono">../lab/captures/path/s6-fw-drop-passive.client-lan.pcap</td><td class="mono" title="Wireshark: frame.number == 15">15</td>`,
		`<tr><td>nat-outside</td><td class="mono">../lab/captures/path/s6-fw-drop-passive.nat-outside.pcap</td>`,
		// in the list of every finding too, linked to its story
		`<a class="story-link" href="#story-1">its story along the path</a>`,
		`Every session was seen at several capture points: its ladder is with its story in the Path section.`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %s", want)
		}
	}
	for _, old := range []string{"ALG comparison", `id="alg"`, "alg-table", "(inside)", "(outside)", "Sessions (in/out)", "Seq shift", "inside and", "↔ outside"} {
		if strings.Contains(page, old) {
			t.Errorf("the page still says %q", old)
		}
	}

	// The diagram: the four points left to right in path order, a box
	// between each two, r1 (client-lan to nat-outside) a NAT.
	svgs := inlineSVGs(t, page)
	if len(svgs) != 3 || svgs[0].Attr("class") != "path-diagram" {
		t.Fatalf("%d inline SVGs, want the path diagram and the 2 stories' ladders", len(svgs))
	}
	var points []string
	lastX := -1.0
	var boxes []*reporttest.Node
	svgs[0].Walk(func(n *reporttest.Node) {
		switch {
		case n.Attr("class") == "path-point":
			points = append(points, n.Attr("data-point"))
			x, _ := strconv.ParseFloat(n.Nodes[0].Attr("x"), 64)
			if x <= lastX || n.Attr("data-index") != strconv.Itoa(len(points)-1) {
				t.Errorf("point %s at x=%v index %s, after x=%v", n.Attr("data-point"), x, n.Attr("data-index"), lastX)
			}
			lastX = x
		case reporttest.HasClass(n, "path-box"):
			boxes = append(boxes, n)
		}
	})
	if strings.Join(points, " ") != "client-lan nat-outside server-outside server-lan" {
		t.Errorf("the diagram's points: %v", points)
	}
	if len(boxes) != 3 || boxes[0].Attr("data-nat") != "true" || !reporttest.HasClass(boxes[0], "nat") || boxes[0].Attr("data-near") != "client-lan" ||
		boxes[2].Attr("data-nat") != "false" || boxes[2].Attr("data-far") != "server-lan" {
		t.Errorf("the diagram's boxes: %d", len(boxes))
	} else if what := reporttest.ChildText(boxes[0], "box-what"); !strings.Contains(what, "NAT of the clients") {
		t.Errorf("r1 is described as %q", what)
	}

	// Each story's ladder: a column per point, the SYN lost between
	// server-outside and server-lan; the sessions table links every
	// point's session to it.
	for i, svg := range svgs[1:] {
		var roles []string
		svg.Walk(func(n *reporttest.Node) {
			if n.Attr("class") == "lifeline" {
				roles = append(roles, n.Attr("data-role"))
			}
		})
		if strings.Join(roles, " ") != "client point point point point server" {
			t.Errorf("story %d: columns %v", i+1, roles)
		}
		lost := 0
		for _, r := range reporttest.Rows(svg) {
			if r.Attr("data-kind") == "data" && r.Attr("data-stop") == "3" && r.Attr("data-stop-beyond") == "true" {
				lost++
			}
		}
		if lost != 1 {
			t.Errorf("story %d: %d data arrows lost between server-outside and server-lan, want 1", i+1, lost)
		}
		id := "S" + strconv.Itoa(i+1)
		if n := strings.Count(page, `<a href="#ladder-`+strconv.Itoa(i+1)+`" title="its ladder">`+id+`</a>`); n != 4 {
			t.Errorf("%s: %d session rows link to its story's ladder, want one per point (4)", id, n)
		}
		if !strings.Contains(page, `<div class="svg-wrap">`) || !strings.Contains(page, `id="ladder-`+strconv.Itoa(i+1)+`" data-session="`+id+`"`) {
			t.Errorf("%s: its ladder is not in the page", id)
		}
	}
	if i, j := strings.Index(page, `<section id="path">`), strings.Index(page, `id="ladder-1"`); j < i || j > strings.Index(page, `<section id="findings">`) {
		t.Errorf("the story's ladder is not in the path section")
	}

	// Points named with markup: escaped in the diagram and the stories.
	hostile := labPath(t, "s6-fw-drop-passive", "<b>c</b>", "n\x1b[31m", "<i>s</i>", "s‮")
	page = writeHTML(t, hostile)
	checkSelfContained(t, page)
	for _, bad := range []string{"<b>c</b>", "<i>s</i>", "\x1b[31m"[:1] + "\x1b"[1:]} {
		if strings.Contains(page, bad) {
			t.Errorf("raw %q reaches the page", bad)
		}
	}
	for _, r := range page {
		if r != '\n' && (term.UnsafeRune(r) || r == 0xfffd) {
			t.Fatalf("%U reaches the page", r)
		}
	}
	if !strings.Contains(page, `data-point="&lt;b&gt;c&lt;/b&gt;"`) || !strings.Contains(page, `s\u202e`) {
		t.Errorf("the hostile point names are not shown escaped")
	}
	inlineSVGs(t, page)
}

func TestHTMLEscapesWireText(t *testing.T) {
	res := reporttest.HostilePoint()
	s := res.Sessions[0]
	s.Transfers[0].Arg = "<script>alert(\"x\")</script>\x1b[2Jinvoice\u202efdp.exe\xff"
	s.Password = "hunter2"
	res.Findings = []*diagnose.Finding{{Code: "transfer-failed", Severity: diagnose.Error, Session: s, Transfers: s.Transfers,
		Summary: "RETR <script>alert(1)</script> failed \x1b[31m", Advice: "rename \u202efdp.exe",
		Evidence: []diagnose.Evidence{{At: analyze.Ref{Frame: 5, Time: analyze.StampOf(time.Unix(1700000000, 0))}, What: "550 <img src=x onerror=alert(1)>\x1b]0;t\x07"}}}}
	res.Point = "<b>p</b>"
	var o HTMLOptions
	o.ladders = func(_ *Run, query string) []*ladder.Ladder {
		if query != "<b>p</b>:S1" {
			t.Errorf("ladders asked for %q", query)
		}
		l := handLadder("transfer-failed <script>x</script>\x1b[31m")
		l.Session = "S1"
		l.Rows[0].Point = "<b>p</b>"
		return []*ladder.Ladder{l}
	}
	page := writeHTMLWith(t, &Run{Points: []*diagnose.Point{res}, Errors: []string{"x.pcap: <script>\x1b[31m"}}, o)
	checkSelfContained(t, page)
	for _, r := range page {
		if r != '\n' && (term.UnsafeRune(r) || r == 0xfffd) {
			t.Fatalf("%U reaches the page", r)
		}
	}
	for _, bad := range []string{"<script>alert", "<script>x", "<img src=x", "<b>p</b>", "hunter2"} {
		if strings.Contains(page, bad) {
			t.Errorf("raw %q reaches the page", bad)
		}
	}
	for _, want := range []string{
		`RETR &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;\x1b[2Jinvoice\u202efdp.exe\xff`,
		`550 &lt;img src=x onerror=alert(1)&gt;\x1b]0;t\x07`, `rename \u202efdp.exe`, `root\x1b[8m`,
		`transfer-failed &lt;script&gt;x&lt;/script&gt;\x1b[31m`, `x.pcap: &lt;script&gt;\x1b[31m`,
	} {
		if !strings.Contains(page, want) {
			t.Errorf("the page does not show %s", want)
		}
	}
	// The inline SVG stays well-formed.
	i, j := strings.Index(page, "<svg"), strings.Index(page, "</svg>")
	var root reporttest.Node
	if i < 0 || j < i {
		t.Fatal("no inline SVG")
	}
	if err := xml.Unmarshal([]byte(page[i:j+len("</svg>")]), &root); err != nil {
		t.Fatalf("the inline SVG is not well-formed: %v", err)
	}
}

// TestHTMLBounded: a page of many sessions draws a few ladders, those
// with findings first, builds only those, and cuts long ladders and tables.
func TestHTMLBounded(t *testing.T) {
	o := HTMLOptions{MaxLadders: 3, MaxLadderRows: 12, MaxTableRows: 5}
	res := &diagnose.Point{Result: &analyze.Result{Point: "p", Inputs: []string{"x.pcap"}}}
	for i := 1; i <= 8; i++ {
		res.Sessions = append(res.Sessions, &analyze.Session{ID: "S" + strconv.Itoa(i)})
	}
	res.Findings = []*diagnose.Finding{
		{Code: "data-no-answer", Severity: diagnose.Error, Session: res.Sessions[5]},
		{Code: "cleartext-credentials", Severity: diagnose.Info, Session: res.Sessions[6]},
	}
	var built []string
	o.ladders = func(_ *Run, query string) []*ladder.Ladder {
		built = append(built, query)
		l := handLadder("x")
		l.Session = strings.TrimPrefix(query, "p:")
		for k := 0; k < 50; k++ {
			l.Rows = append(l.Rows, ladder.Row{Kind: ladder.RowCommand, From: 0, To: 2, Stop: -1, Label: "NOOP"})
		}
		return []*ladder.Ladder{l}
	}
	page := writeHTMLWith(t, &Run{Points: []*diagnose.Point{res}}, o)
	// S6 (error), S7 (info), then the first without finding; in report order.
	if strings.Join(built, " ") != "p:S1 p:S6 p:S7" {
		t.Errorf("ladders built: %v, want p:S1 p:S6 p:S7", built)
	}
	if n := strings.Count(page, `<svg `); n != 3 {
		t.Errorf("%d ladders drawn, want 3", n)
	}
	if !strings.Contains(page, "5 more sessions are not drawn, to keep the page small (those with the most severe findings come first): S2, S3, S4, S5, S8.") {
		t.Errorf("the page does not say which ladders were left out")
	}
	if !strings.Contains(page, "later command and reply rows are left out") || strings.Count(page, `data-rows="12"`) != 3 {
		t.Errorf("long ladders are not cut to 12 rows")
	}
	if !strings.Contains(page, "The first 5 of 8 sessions are shown; 3 are left out") || strings.Count(page, "<tr class=") != 5 {
		t.Errorf("the sessions table is not cut to 5 rows")
	}
}

// TestHTMLAssetsHaveNoExternalReferences: the embedded stylesheet and
// scripts themselves (a regression here would reach every report).
func TestHTMLAssetsHaveNoExternalReferences(t *testing.T) {
	for _, name := range []string{"report.css", "report.js", "errors.js", "page.html.tmpl"} {
		b, err := os.ReadFile(filepath.Join("htmlassets", name))
		if err != nil {
			t.Fatal(err)
		}
		if m := externalRef.FindString(string(b)); m != "" {
			t.Errorf("%s refers to something outside the page: %q", name, m)
		}
		if strings.Contains(string(b), "fetch(") || strings.Contains(string(b), "XMLHttpRequest") {
			t.Errorf("%s makes requests", name)
		}
	}
}
