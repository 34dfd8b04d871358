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
// the ladders are inline SVG, and a Content-Security-Policy forbids the
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
// as ladder.Ladders takes it) from in's capture points.
func inputLadders(in *Run, query string) []*ladder.Ladder {
	return ladder.Ladders(in.Points, in.ALG, query)
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

type htmlALG struct {
	Class, Sessions, Inside, Outside, Verdict, Why, Shift string
	InFrame, OutFrame                                     uint64
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
	ALG                                                []htmlALG
	ALGHeads                                           []string
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
// summary, the findings with their evidence and advice, the sessions and
// transfers as sortable, filterable tables, the ALG comparison, and each
// session's ladder as inline SVG, within DefaultHTMLOptions.
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

	// Findings, most severe first (each point's list is already sorted).
	type pf struct {
		r      *analyze.Result
		f      *diagnose.Finding
		others []*analyze.Result
	}
	var all []pf
	for _, r := range in.Points {
		for _, f := range r.Findings {
			all = append(all, pf{r: r.Result, f: f})
		}
	}
	for _, a := range in.ALG {
		for _, f := range a.Findings {
			all = append(all, pf{r: a.Outside.Result, f: f, others: []*analyze.Result{a.Inside.Result}})
		}
	}
	sort.SliceStable(all, func(i, j int) bool { return all[i].f.Severity > all[j].f.Severity })
	verdicts := map[*analyze.Transfer]*diagnose.Finding{}
	sessionFindings := map[*analyze.Session][]string{}
	sessionSev := map[*analyze.Session]diagnose.Severity{}
	for _, x := range all {
		f := x.f
		for _, t := range f.Transfers {
			if verdicts[t] == nil {
				verdicts[t] = f
			}
		}
		if s := f.Session; s != nil {
			if len(sessionFindings[s]) == 0 || f.Severity > sessionSev[s] {
				sessionSev[s] = f.Severity
			}
			if !contains(sessionFindings[s], string(f.Code)) {
				sessionFindings[s] = append(sessionFindings[s], string(f.Code))
			}
		}
	}

	// The ladders, before what links to them: the sessions with the most
	// severe findings first.
	ladderHref := addHTMLLadders(p, in, o, func(s *analyze.Session) int {
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
		hf := htmlFinding{Anchor: "finding-" + strconv.Itoa(i+1), Severity: f.Severity.String(), Code: wire(string(f.Code)), Point: wire(x.r.Point),
			Summary: term.Clean(f.Summary), Advice: term.Clean(f.Advice)}
		if f.Session != nil {
			hf.Session = f.Session.ID
			hf.LadderHref = ladderHref[x.r.Point+"\x00"+f.Session.ID]
		}
		var ids []string
		for _, t := range f.Transfers {
			ids = append(ids, t.ID)
		}
		hf.Transfers = strings.Join(ids, ", ")
		for _, e := range f.Evidence {
			src := x.r
			for _, o := range x.others {
				if e.Point != "" && e.Point == o.Point {
					src = o
				}
			}
			hf.Evidence = append(hf.Evidence, htmlEvidence{Point: wire(src.Point), File: wire(fileOf(src, e.At)), Frame: e.At.Frame,
				Time: e.At.Time.UTC().Format("15:04:05.000000"), What: term.Clean(e.What)})
		}
		p.Findings = append(p.Findings, hf)
	}
	if n := len(all) - len(p.Findings); n > 0 {
		p.FindingsLeftOut = fmt.Sprintf("%d less severe findings are not shown here (the JSON report, --format json, lists every one).", n)
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

	// ALG comparisons.
	for _, a := range in.ALG {
		p.ALGHeads = append(p.ALGHeads, fmt.Sprintf("%q (inside) and %q (outside), estimated clock offset %s; %d negotiations compared.",
			term.Clean(a.Inside.Point), term.Clean(a.Outside.Point), a.ClockOffset, len(a.Comparisons)))
		for _, c := range a.Comparisons {
			if len(p.ALG) >= o.MaxTableRows {
				break
			}
			h := htmlALG{Sessions: c.InsideSession.ID + " / " + c.OutsideSession.ID, Verdict: string(c.Verdict), Why: term.Clean(c.Why), Shift: "-"}
			if n := c.Inside; n != nil {
				h.Inside, h.InFrame = wire(n.Command+" "+n.Address.String()), n.At.Frame
			}
			if n := c.Outside; n != nil {
				h.Outside, h.OutFrame = wire(n.Command+" "+n.Address.String()), n.At.Frame
			}
			if c.SeqChecked {
				h.Shift = fmt.Sprintf("%+d for %+d bytes", c.SeqShift, c.LengthChange)
				if !c.SeqConsistent {
					h.Shift += " BROKEN"
				}
			}
			switch c.Verdict {
			case analyze.ALGRewritten, analyze.ALGUntouched:
				h.Class = "ok"
			case analyze.ALGEncrypted:
				h.Class = "warning"
			default:
				h.Class = "error"
			}
			if c.SeqChecked && !c.SeqConsistent {
				h.Class = "error"
			}
			p.ALG = append(p.ALG, h)
		}
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
// anchor of each drawn session's ladder by "point\x00session". Only the
// ladders drawn are built: a capture of a million sessions costs
// o.MaxLadders of them. A session seen at two capture points across a
// NAT is one ladder.
func addHTMLLadders(p *htmlPage, in *Run, o HTMLOptions, rank func(*analyze.Session) int) map[string]string {
	type other struct {
		r *analyze.Result
		s *analyze.Session
	}
	partner := map[*analyze.Session]other{}
	for _, a := range in.ALG {
		for _, c := range a.Comparisons {
			i, o := c.InsideSession, c.OutsideSession
			if i == nil || o == nil {
				continue
			}
			if _, ok := partner[i]; ok {
				continue
			}
			if _, ok := partner[o]; ok {
				continue
			}
			partner[i], partner[o] = other{a.Outside.Result, o}, other{a.Inside.Result, i}
		}
	}
	type cand struct {
		keys        []string // the sessions it draws, "point\x00id"
		query       string
		point, name string
		rank, order int
	}
	var cands []cand
	seen := map[*analyze.Session]bool{}
	for _, r := range in.Points {
		for _, s := range r.Sessions {
			if seen[s] {
				continue
			}
			seen[s] = true
			c := cand{keys: []string{r.Point + "\x00" + s.ID}, query: r.Point + ":" + s.ID, point: r.Point, name: s.ID, rank: rank(s), order: len(cands)}
			if len(in.Points) > 1 {
				c.name = r.Point + " " + s.ID
			}
			if o, ok := partner[s]; ok {
				seen[o.s] = true
				c.keys = append(c.keys, o.r.Point+"\x00"+o.s.ID)
				c.point += " ↔ " + o.r.Point
				c.name += " ↔ " + o.r.Point + " " + o.s.ID
				c.rank = max(c.rank, rank(o.s))
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
	for _, c := range keep {
		for _, l := range o.ladders(in, c.query) {
			l = trimLadder(l, o.MaxLadderRows)
			anchor := "ladder-" + strconv.Itoa(len(p.Ladders)+1)
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
			p.Ladders = append(p.Ladders, htmlLadder{Anchor: anchor, Session: markupText(l.Session), Point: term.Clean(c.point), Caption: markupText(caption),
				SVG: template.HTML(b.String())})
		}
	}
	return href
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
