package report

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/ftpsniff/ftpsniff/analyze"
	"github.com/ftpsniff/ftpsniff/diagnose"
	"github.com/ftpsniff/ftpsniff/report/ladder"
	"github.com/ftpsniff/ftpsniff/report/term"
)

// The HTML report is one self-contained file: the stylesheet and the small
// script that sorts and filters the tables are inlined from htmlassets/,
// the ladders and the path diagram are inline SVG, and a
// Content-Security-Policy forbids the
// page to load anything at all (default-src 'none'; only its own
// stylesheet and two scripts, by hash, apply and run). Every string from the wire goes through
// Clean and then html/template's escaping.

//go:embed htmlassets/page.html.tmpl htmlassets/report.css htmlassets/report.js htmlassets/errors.js
var htmlAssets embed.FS

// pageTemplate is parsed on first use, not at start-up: every run that
// does not write HTML would pay for it.
var pageTemplate = sync.OnceValue(func() *template.Template {
	return template.Must(template.New("page.html.tmpl").ParseFS(htmlAssets, "htmlassets/page.html.tmpl"))
})

// HTMLOptions are the limits that keep the file a browser opens
// comfortably whatever the capture: what is left out is said on the page
// (the JSON report has all). A zero field takes its default
// (DefaultHTMLOptions).
type HTMLOptions struct {
	MaxLadders    int // ladders drawn: the sessions with the most severe findings first
	MaxLadderRows int // rows per ladder: command and reply rows beyond it are left out
	MaxTableRows  int // rows per table
	MaxFindings   int // findings listed, the most severe first

	// ladders builds the ladders of the sessions query names ("POINT:S3",
	// as ladder.Ladders takes it); nil means inputLadders. Tests give their
	// own.
	ladders func(in *Run, query string) []*ladder.Ladder
}

// DefaultHTMLOptions returns the limits WriteHTML uses.
func DefaultHTMLOptions() HTMLOptions {
	return HTMLOptions{MaxLadders: 30, MaxLadderRows: 400, MaxTableRows: 5000, MaxFindings: 500}
}

// withDefaults fills the zero fields of o.
func (o HTMLOptions) withDefaults() HTMLOptions {
	d := DefaultHTMLOptions()
	if o.MaxLadders <= 0 {
		o.MaxLadders = d.MaxLadders
	}
	if o.MaxLadderRows <= 0 {
		o.MaxLadderRows = d.MaxLadderRows
	}
	if o.MaxTableRows <= 0 {
		o.MaxTableRows = d.MaxTableRows
	}
	if o.MaxFindings <= 0 {
		o.MaxFindings = d.MaxFindings
	}
	if o.ladders == nil {
		o.ladders = inputLadders
	}
	return o
}

// inputLadders builds the ladders of the sessions query names ("POINT:S3",
// as ladder.Ladders takes it) from in's capture points and path: a session
// seen along the path is drawn with its story.
func inputLadders(in *Run, query string) []*ladder.Ladder {
	return ladder.Ladders(in.Points, in.Path, query)
}

// htmlMaxWireText bounds the runes of one string from the wire in a table
// cell.
const htmlMaxWireText = 200

type htmlSummary struct {
	Sessions, Transfers     int
	Errors, Warnings, Infos int
	Packets, Bytes          uint64
}

type htmlPoint struct {
	Name, Files, Span, LeftOut string
	Packets, Bytes, Truncated  uint64
}

type htmlEvidence struct {
	Point, File, Time, What string
	Frame                   uint64
}

type htmlFinding struct {
	Anchor, Severity, Code, Point, Session, Transfers, Summary, Advice string
	LadderHref                                                         string
	Evidence                                                           []htmlEvidence
	// StoryHref links a finding of the path to its story.
	StoryHref string
}

type htmlSession struct {
	Class, Point, ID, Client, Server, User, TLS, Start, StartValue, Closed, Findings, Notes string
	Gaps, LadderHref                                                                        string
	Commands, Transfers, GapsValue                                                          int
	Problem                                                                                 bool
}

type htmlTransfer struct {
	Class, Point, ID, Command, Mode, Negotiated, NegReplyText, State, Data, BytesText, Reply, Verdict string
	LadderHref                                                                                        string
	NegFrame, SYNFrame, Bytes                                                                         uint64
	NegReply                                                                                          int
	Problem                                                                                           bool
}

// htmlPath is the path section: the diagram, how the order was decided,
// the clocks, and one story per session seen at several points.
type htmlPath struct {
	Order, OrderWhy, Clocks string
	Diagram                 htmlPathDiagram
	Stories                 []htmlStory
}

// htmlPathDiagram lays the points out left to right, the boxes between
// them; coordinates in SVG pixels.
type htmlPathDiagram struct {
	Width, Height, LineY, LineX1, LineX2, EndX, EndY int
	Label                                            string
	Points                                           []htmlDiagramPoint
	Boxes                                            []htmlDiagramBox
}

type htmlDiagramPoint struct {
	Index, X, CX, Y, W, TextY int
	Name                      string
}

type htmlDiagramBox struct {
	X, CX, Y, W, TextY int
	Near, Far, What    string
	NAT                bool
	Lines              []htmlDiagramText
}

type htmlDiagramText struct {
	Y    int
	Text string
}

// htmlStory is one session seen along the path.
type htmlStory struct {
	Anchor, Class, Title, Sessions, Control string
	Negotiations                            []PathNegotiationView
	Findings                                []htmlFinding
	Ladder                                  *htmlLadder
	LadderLeftOut                           string
}

type htmlLadder struct {
	Anchor, Session, Point, Caption string
	SVG                             template.HTML
}

type htmlPage struct {
	Title, Subtitle, CSP                               string
	CSS                                                template.CSS
	JS, ErrorsJS                                       template.JS
	Sum                                                htmlSummary
	Points                                             []htmlPoint
	Live                                               bool
	KernelReceived, KernelDrops                        uint64
	Errors                                             []string
	Findings                                           []htmlFinding
	Sessions                                           []htmlSession
	Transfers                                          []htmlTransfer
	Path                                               *htmlPath
	Ladders                                            []htmlLadder
	FindingsLeftOut, SessionsLeftOut, TransfersLeftOut string
	LaddersLeftOut                                     string
}

// wire makes a string from the wire fit for a table cell: escaped (Clean;
// html/template escapes it again for HTML) and bounded.
func wire(s string) string { return term.TruncateRunes(term.Clean(s), htmlMaxWireText) }

// markupText is for strings the ladder builder cleaned already (cleaning
// again would double their backslashes): only what still holds a control
// or format character is cleaned.
func markupText(s string) string {
	if term.IsSafe(s) {
		return s
	}
	return term.Clean(s)
}

func cspHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return "'sha256-" + base64.StdEncoding.EncodeToString(h[:]) + "'"
}

func utc(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04:05.000")
}

// WriteHTML writes the report as one self-contained HTML page: the
// summary; with several capture points the path (a diagram of the points
// and the boxes between them, and each session seen along it as a story
// with its negotiations, findings and ladder); the findings with their
// evidence and advice; the sessions and transfers as sortable, filterable
// tables; and each other session's ladder as inline SVG, within
// DefaultHTMLOptions.
func WriteHTML(w io.Writer, in *Run) error { return WriteHTMLWith(w, in, HTMLOptions{}) }

// WriteHTMLWith writes WriteHTML's page within o's limits.
func WriteHTMLWith(w io.Writer, in *Run, o HTMLOptions) error {
	o = o.withDefaults()
	css, err := htmlAssets.ReadFile("htmlassets/report.css")
	if err != nil {
		return err
	}
	js, err := htmlAssets.ReadFile("htmlassets/report.js")
	if err != nil {
		return err
	}
	errJS, err := htmlAssets.ReadFile("htmlassets/errors.js")
	if err != nil {
		return err
	}
	p := &htmlPage{CSS: template.CSS(css), JS: template.JS(js), ErrorsJS: template.JS(errJS),
		Live: in.Live, KernelReceived: in.KernelReceived, KernelDrops: in.KernelDrops}
	p.CSP = "default-src 'none'; style-src " + cspHash(string(css)) + "; script-src " + cspHash(string(errJS)) + " " + cspHash(string(js)) +
		"; base-uri 'none'; form-action 'none'"

	sum := summaryRec(in)
	p.Sum = htmlSummary{Sessions: sum.Sessions, Transfers: sum.Transfers, Errors: sum.Findings["error"],
		Warnings: sum.Findings["warning"], Infos: sum.Findings["info"], Packets: sum.Packets, Bytes: sum.Bytes}
	for _, e := range in.Errors {
		p.Errors = append(p.Errors, wire(e))
	}
	var names []string
	for i, pt := range sum.Points {
		hp := htmlPoint{Name: wire(pt.Name), Files: wire(strings.Join(pt.Files, ", ")), Packets: pt.Packets, Bytes: pt.Bytes, Truncated: pt.TruncatedPackets,
			LeftOut: strings.Join(append(leftOutAt(pt), notShown(in, in.Points[i])), "; ")}
		hp.LeftOut = strings.TrimSuffix(hp.LeftOut, "; ")
		if r := in.Points[i]; !r.Start.IsZero() {
			hp.Span = "from " + utc(r.Start) + " to " + utc(r.End) + " UTC"
		}
		p.Points = append(p.Points, hp)
		names = append(names, strings.Join(pt.Files, ", "))
	}
	p.Subtitle = fmt.Sprintf("%d sessions, %d transfers; findings: %d error, %d warning, %d info — %s",
		sum.Sessions, sum.Transfers, p.Sum.Errors, p.Sum.Warnings, p.Sum.Infos, wire(strings.Join(names, "; ")))
	p.Title = "ftpsniff report"
	if len(names) > 0 {
		p.Title += ": " + term.TruncateRunes(term.Clean(strings.Join(names, "; ")), 80)
	}

	// Findings, most severe first (each point's list is already sorted):
	// the points' own and the path's stories'.
	type pf struct {
		r     *analyze.Result
		f     *diagnose.Finding
		story int // 1 + the index of its story, 0 for a point's own
	}
	var all []pf
	for _, r := range in.Points {
		for _, f := range r.Findings {
			all = append(all, pf{r: r.Result, f: f})
		}
	}
	// A story's findings count for every session of the story.
	storyOf := map[*analyze.Session]*diagnose.Story{}
	var path *PathView
	if in.Path != nil {
		path = pathView(in.Path)
		for k, st := range in.Path.Stories {
			for _, f := range st.Findings {
				all = append(all, pf{r: runPoint(in, f.Point), f: f, story: k + 1})
			}
			for _, s := range st.At {
				if s != nil {
					storyOf[s] = st
				}
			}
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].f.Severity > all[j].f.Severity })
	verdicts := map[*analyze.Transfer]*diagnose.Finding{}
	if in.Path != nil {
		verdicts = in.Path.Verdicts()
	}
	sessionFindings := map[*analyze.Session][]string{}
	sessionSev := map[*analyze.Session]diagnose.Severity{}
	for _, x := range all {
		f := x.f
		for _, t := range f.Transfers {
			if verdicts[t] == nil {
				verdicts[t] = f
			}
		}
		sessions := []*analyze.Session{f.Session}
		if x.story > 0 {
			sessions = in.Path.Stories[x.story-1].At
		}
		for _, s := range sessions {
			if s == nil {
				continue
			}
			if len(sessionFindings[s]) == 0 || f.Severity > sessionSev[s] {
				sessionSev[s] = f.Severity
			}
			if !contains(sessionFindings[s], string(f.Code)) {
				sessionFindings[s] = append(sessionFindings[s], string(f.Code))
			}
		}
	}

	// The ladders, before what links to them: the sessions with the most
	// severe findings first; a story's in its part of the path section.
	ladderHref, storyLadders := addHTMLLadders(p, in, o, storyOf, func(s *analyze.Session) int {
		if len(sessionFindings[s]) == 0 {
			return 0
		}
		return int(sessionSev[s]) + 1
	})

	for i, x := range all {
		f := x.f
		if i >= o.MaxFindings {
			break
		}
		hf := htmlFindingOf(in, x.r, f, "finding-"+strconv.Itoa(i+1))
		if f.Session != nil {
			hf.LadderHref = ladderHref[x.r.Point+"\x00"+f.Session.ID]
		}
		if x.story > 0 {
			hf.StoryHref = "#story-" + strconv.Itoa(x.story)
		}
		p.Findings = append(p.Findings, hf)
	}
	if n := len(all) - len(p.Findings); n > 0 {
		p.FindingsLeftOut = fmt.Sprintf("%d less severe findings are not shown here (the JSON report, --format json, lists every one).", n)
	}
	if path != nil {
		p.Path = htmlPathOf(in, path, storyLadders)
	}

	// Sessions and transfers.
	nSessions, nTransfers := 0, 0
	for _, r := range in.Points {
		for _, s := range r.Sessions {
			nSessions++
			if len(p.Sessions) < o.MaxTableRows {
				row := sessionRow(r.Result, s)
				hs := htmlSession{Point: wire(r.Point), ID: s.ID, Client: row.Client, Server: row.Server, User: wire(s.User), TLS: row.TLS,
					Start: utc(s.Start), StartValue: s.Start.UTC().Format(TimeFormat), Commands: s.Commands, Transfers: len(s.Transfers),
					Gaps: row.Gaps, GapsValue: s.Gaps, Closed: row.Closed, Notes: row.Notes,
					LadderHref: ladderHref[r.Point+"\x00"+s.ID]}
				if hs.User == "" {
					hs.User = "-"
				}
				if codes := sessionFindings[s]; len(codes) > 0 {
					hs.Findings = strings.Join(codes, ", ")
					hs.Class = sessionSev[s].String()
					hs.Problem = sessionSev[s] >= diagnose.Warning
				}
				p.Sessions = append(p.Sessions, hs)
			}
			for _, t := range s.Transfers {
				nTransfers++
				if len(p.Transfers) >= o.MaxTableRows {
					continue
				}
				p.Transfers = append(p.Transfers, htmlTransferRow(r.Result, t, verdicts[t], ladderHref[r.Point+"\x00"+s.ID]))
			}
		}
	}
	if n := nSessions - len(p.Sessions); n > 0 {
		p.SessionsLeftOut = fmt.Sprintf("The first %d of %d sessions are shown; %d are left out to keep the page small (--format json lists every one).", len(p.Sessions), nSessions, n)
	}
	if n := nTransfers - len(p.Transfers); n > 0 {
		p.TransfersLeftOut = fmt.Sprintf("The first %d of %d transfers are shown; %d are left out to keep the page small (--format json lists every one).", len(p.Transfers), nTransfers, n)
	}

	var buf bytes.Buffer
	if err := pageTemplate().Execute(&buf, p); err != nil {
		return err
	}
	_, err = w.Write(buf.Bytes())
	return err
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func htmlTransferRow(r *analyze.Result, t *analyze.Transfer, f *diagnose.Finding, ladderHref string) htmlTransfer {
	row := transferRow(r, nil, t, f)
	h := htmlTransfer{Point: wire(r.Point), ID: t.ID, LadderHref: ladderHref, Command: row.Command, Mode: row.Mode,
		Negotiated: row.Address, NegFrame: row.NegFrame, NegReply: row.NegReplyCode, NegReplyText: row.NegReply,
		State: row.State, Data: row.Flow, SYNFrame: row.SYNFrame, Bytes: row.ByteCount, BytesText: row.Bytes,
		Reply: row.Reply, Verdict: row.Verdict}
	if h.Data == "" {
		h.Data = "-"
	}
	if f != nil {
		h.Class = f.Severity.String()
		h.Problem = f.Severity >= diagnose.Warning
	}
	if h.Verdict == "ok" {
		h.Class = "ok"
	}
	return h
}

// addHTMLLadders draws at most o.MaxLadders ladders, the sessions that
// rank highest first (ties in the order of the report), and returns the
// anchor of each drawn session's ladder by "point\x00session", and the
// ladder of each story drawn. Only the ladders drawn are built: a capture
// of a million sessions costs o.MaxLadders of them. A session seen at
// several points along the path (storyOf) is one ladder, its story's; it
// goes to the story's part of the path section, the others to the
// ladders section.
func addHTMLLadders(p *htmlPage, in *Run, o HTMLOptions, storyOf map[*analyze.Session]*diagnose.Story, rank func(*analyze.Session) int) (map[string]string, map[*diagnose.Story]*htmlLadder) {
	type cand struct {
		keys        []string // the sessions it draws, "point\x00id"
		query       string
		point, name string
		rank, order int
		story       *diagnose.Story
	}
	var cands []cand
	drawnStory := map[*diagnose.Story]bool{}
	for _, r := range in.Points {
		for _, s := range r.Sessions {
			c := cand{keys: []string{r.Point + "\x00" + s.ID}, query: r.Point + ":" + s.ID, point: r.Point, name: s.ID, rank: rank(s), order: len(cands)}
			if len(in.Points) > 1 {
				c.name = r.Point + " " + s.ID
			}
			if st := storyOf[s]; st != nil {
				if drawnStory[st] {
					continue
				}
				drawnStory[st] = true
				c.story, c.keys = st, nil
				var names, points []string
				for i, ss := range st.At {
					if ss == nil {
						continue
					}
					pt := in.Path.Path.Points[i].Point
					c.keys = append(c.keys, pt+"\x00"+ss.ID)
					names = append(names, pt+" "+ss.ID)
					points = append(points, pt)
					c.rank = max(c.rank, rank(ss))
				}
				c.name, c.point = strings.Join(names, " ↔ "), strings.Join(points, " → ")
			}
			cands = append(cands, c)
		}
	}
	sort.SliceStable(cands, func(i, j int) bool { return cands[i].rank > cands[j].rank })
	keep := cands
	if len(keep) > o.MaxLadders {
		keep = keep[:o.MaxLadders]
		var left []string
		for _, c := range cands[o.MaxLadders:] {
			if len(left) == 20 {
				left = append(left, "…")
				break
			}
			left = append(left, term.Clean(c.name))
		}
		p.LaddersLeftOut = fmt.Sprintf("%d more sessions are not drawn, to keep the page small (those with the most severe findings come first): %s.",
			len(cands)-o.MaxLadders, strings.Join(left, ", "))
	}
	sort.SliceStable(keep, func(i, j int) bool { return keep[i].order < keep[j].order })
	href := map[string]string{}
	stories := map[*diagnose.Story]*htmlLadder{}
	n := 0
	for _, c := range keep {
		for _, l := range o.ladders(in, c.query) {
			l = trimLadder(l, o.MaxLadderRows)
			n++
			anchor := "ladder-" + strconv.Itoa(n)
			var b bytes.Buffer
			if err := ladder.WriteSVG(&b, l); err != nil {
				continue
			}
			for _, k := range c.keys {
				if href[k] == "" {
					href[k] = "#" + anchor
				}
			}
			caption := l.Title // it names the session
			if caption == "" {
				caption = l.Session
			}
			// The SVG is trusted markup: ladder.WriteSVG escapes every string.
			hl := htmlLadder{Anchor: anchor, Session: markupText(l.Session), Point: term.Clean(c.point), Caption: markupText(caption),
				SVG: template.HTML(b.String())}
			if c.story != nil && stories[c.story] == nil {
				stories[c.story] = &hl
				continue
			}
			p.Ladders = append(p.Ladders, hl)
		}
	}
	return href, stories
}

// pointResult is the capture point named name (nil: none).
func runPoint(in *Run, name string) *analyze.Result {
	for _, r := range in.Points {
		if r.Point == name {
			return r.Result
		}
	}
	return nil
}

// htmlFindingOf is a finding's markup: r is the point that made it (its
// own evidence is from there), each other piece of evidence is looked up
// at its own point.
func htmlFindingOf(in *Run, r *analyze.Result, f *diagnose.Finding, anchor string) htmlFinding {
	own := f.Point
	if own == "" && r != nil {
		own = r.Point
	}
	hf := htmlFindingHead(f, own, anchor)
	hf.Summary, hf.Advice = term.Clean(f.Summary), term.Clean(f.Advice)
	for _, e := range f.Evidence {
		point, src := own, r
		if e.Point != "" && e.Point != own {
			point, src = e.Point, runPoint(in, e.Point)
		}
		file := ""
		if src != nil {
			file = fileOf(src, e.At)
		}
		hf.Evidence = append(hf.Evidence, htmlEvidence{Point: wire(point), File: wire(file), Frame: e.At.Frame,
			Time: e.At.Time.UTC().Format("15:04:05.000000"), What: term.Clean(e.What)})
	}
	return hf
}

// htmlFindingHead is what a finding's markup takes from the finding
// itself: anchor, severity, code, the point that made it (own) or the
// points it rests on, session and transfers.
func htmlFindingHead(f *diagnose.Finding, own, anchor string) htmlFinding {
	hf := htmlFinding{Anchor: anchor, Severity: f.Severity.String(), Code: wire(string(f.Code)), Point: wire(own)}
	if len(f.Points) > 1 {
		hf.Point = wire(strings.Join(f.Points, ", "))
	}
	if f.Session != nil {
		hf.Session = f.Session.ID
	}
	var ids []string
	for _, t := range f.Transfers {
		ids = append(ids, t.ID)
	}
	hf.Transfers = strings.Join(ids, ", ")
	return hf
}

// htmlFindingOfView is a story's finding's markup, from the view's words:
// each piece of evidence names its point (the view names it only when it
// is not the finding's own).
func htmlFindingOfView(fv FindingView, anchor string) htmlFinding {
	own := term.Clean(fv.Finding.Point)
	hf := htmlFindingHead(fv.Finding, fv.Finding.Point, anchor)
	hf.Summary, hf.Advice = fv.Summary, fv.Advice
	for _, e := range fv.Evidence {
		point := e.Point
		if point == "" {
			point = own
		}
		hf.Evidence = append(hf.Evidence, htmlEvidence{Point: point, File: e.File, Frame: e.Frame, Time: e.Time, What: e.What})
	}
	return hf
}

// htmlPathOf is the path section, from the view's words (v) and the
// stories' ladders.
func htmlPathOf(in *Run, v *PathView, ladders map[*diagnose.Story]*htmlLadder) *htmlPath {
	hp := &htmlPath{Order: v.Order, OrderWhy: v.OrderWhy, Clocks: v.Clocks, Diagram: pathDiagram(v)}
	for k, sv := range v.Stories {
		st := in.Path.Stories[k]
		hs := htmlStory{Anchor: "story-" + strconv.Itoa(k+1), Class: "ok", Title: sv.Title, Sessions: sv.Sessions, Control: sv.Control,
			Negotiations: sv.Negotiations}
		worst := diagnose.Severity(-1)
		for m, fv := range sv.Findings {
			hs.Findings = append(hs.Findings, htmlFindingOfView(fv, fmt.Sprintf("story-%d-finding-%d", k+1, m+1)))
			if fv.Finding.Severity > worst {
				worst = fv.Finding.Severity
				hs.Class = fv.Severity
			}
		}
		if l := ladders[st]; l != nil {
			hs.Ladder = l
		} else {
			hs.LadderLeftOut = "Its ladder is not drawn, to keep the page small (those with the most severe findings come first)."
		}
		hp.Stories = append(hp.Stories, hs)
	}
	return hp
}

// The path diagram's layout, in pixels.
const (
	diagramEdge    = 96  // room for "clients" and "servers" at the ends
	diagramNodeW   = 150 // a point's box
	diagramGap     = 300 // between two points' centres
	diagramLineY   = 40
	diagramWhatY   = 82 // the first line of a box's description
	diagramWhatH   = 14
	diagramWhatMax = 4  // lines of a box's description
	diagramWhatW   = 44 // characters per line
)

// pathDiagram lays the points out left to right in path order, each box
// between its two points with what it does beneath.
func pathDiagram(v *PathView) htmlPathDiagram {
	n := len(v.Points)
	d := htmlPathDiagram{LineY: diagramLineY, Label: "capture points along the path, the clients' side first: " + v.Order}
	x := func(i int) int { return diagramEdge + diagramNodeW/2 + i*diagramGap }
	d.Width = x(max(n-1, 0)) + diagramNodeW/2 + diagramEdge
	lines := 1
	for i, name := range v.Points {
		d.Points = append(d.Points, htmlDiagramPoint{Index: i, X: x(i) - diagramNodeW/2, CX: x(i), Y: diagramLineY - 18, W: diagramNodeW, TextY: diagramLineY + 5,
			Name: term.TruncateRunes(name, 22)})
	}
	for i, b := range v.Boxes {
		if i+1 >= n {
			break
		}
		cx := (x(i) + x(i+1)) / 2
		db := htmlDiagramBox{X: cx - 22, CX: cx, Y: diagramLineY - 12, W: 44, TextY: diagramLineY + 4, Near: b.Near, Far: b.Far, What: b.What, NAT: b.NAT}
		for j, l := range wrapWords(b.What, diagramWhatW, diagramWhatMax) {
			db.Lines = append(db.Lines, htmlDiagramText{Y: diagramWhatY + j*diagramWhatH, Text: l})
		}
		lines = max(lines, len(db.Lines))
		d.Boxes = append(d.Boxes, db)
	}
	d.Height = diagramWhatY + lines*diagramWhatH
	d.LineX1, d.LineX2, d.EndX, d.EndY = diagramEdge-30, d.Width-diagramEdge+30, d.Width-8, diagramLineY+4
	return d
}

// wrapWords breaks s into at most max lines of about width characters, at
// spaces; the last is cut with "…".
func wrapWords(s string, width, max int) []string {
	var out []string
	line := ""
	for _, w := range strings.Fields(s) {
		switch {
		case line == "":
			line = w
		case len([]rune(line))+1+len([]rune(w)) <= width:
			line += " " + w
		default:
			out = append(out, line)
			line = w
		}
	}
	if line != "" {
		out = append(out, line)
	}
	for i := range out {
		out[i] = term.TruncateRunes(out[i], width)
	}
	if len(out) > max {
		out = out[:max]
		out[max-1] = term.TruncateRunes(out[max-1], width-2) + " …"
	}
	return out
}

// trimLadder keeps a long ladder drawable: every negotiation, data
// connection, rewrite, finding and note, and the command and reply rows
// up to max rows in all; it says how many it left out.
func trimLadder(l *ladder.Ladder, max int) *ladder.Ladder {
	if len(l.Rows) <= max {
		return l
	}
	important := 0
	for _, r := range l.Rows {
		if r.Kind != ladder.RowCommand && r.Kind != ladder.RowReply {
			important++
		}
	}
	budget := max - important
	if budget < 0 {
		budget = 0
	}
	out := *l
	out.Rows = make([]ladder.Row, 0, max)
	dropped := 0
	for _, r := range l.Rows {
		if r.Kind == ladder.RowCommand || r.Kind == ladder.RowReply {
			if budget == 0 {
				dropped++
				continue
			}
			budget--
		}
		out.Rows = append(out.Rows, r)
	}
	out.Notes = append(append([]string{}, l.Notes...), fmt.Sprintf("%d of the later command and reply rows are left out of this drawing to keep the page small.", dropped))
	return &out
}
