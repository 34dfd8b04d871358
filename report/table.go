package report

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/ftpsniff/ftpsniff/analyze"
	"github.com/ftpsniff/ftpsniff/diagnose"
	"github.com/ftpsniff/ftpsniff/report/term"
)

// Run is what one run of ftpsniff found, as the reports show it: the
// capture points with their diagnoses, the comparison of two points, input
// errors, and what live capture streamed already.
type Run struct {
	Points []*diagnose.Point // one per capture point, with its diagnosis
	// Path is the story of the sessions seen at several capture points
	// (nil with one).
	Path   *diagnose.PathDiagnosis
	Errors []string // input errors (the analysis covers what was read before them)
	// Streamed transfers were written already (live capture): the JSON
	// report does not repeat them.
	Streamed map[*analyze.Transfer]bool
	// StreamedFindings are the findings written already ("point code transferID").
	StreamedFindings map[string]bool
	// Live capture: what the kernel passed to ftpsniff and dropped.
	Live                        bool
	KernelReceived, KernelDrops uint64
	// MaxSessions is the limit on the sessions kept for this report (0:
	// none); the sessions it left out are counted in Point.LeftOut.
	MaxSessions int
}

// TableOptions say how the table report is drawn.
type TableOptions struct {
	// Width is the terminal's width in cells (0: DefaultWidth). Tables
	// wrap their cells to fit; when even that cannot, each session and
	// transfer is written as a short block instead.
	Width int
	// Color colours severities (standard output is a terminal, and neither
	// --no-color nor NO_COLOR).
	Color bool
}

// DefaultWidth is the width of a table report written to a file or a pipe
// when nothing says otherwise.
const DefaultWidth = 100

// maxCell bounds a cell's text from the wire so one hostile file name cannot
// flood the terminal.
const maxCell = 60

func cell(s string) string { return short(term.Clean(s)) }

// short cuts text already through Clean to maxCell bytes.
func short(s string) string {
	if len(s) > maxCell {
		cut := maxCell
		for cut > 0 && s[cut]&0xc0 == 0x80 { // stay on a UTF-8 boundary
			cut--
		}
		s = s[:cut] + "…"
	}
	return s
}

// mdText makes text (already through Clean) literal in Markdown, for
// GitHub and GitLab: every character that can start formatting, a link, an
// HTML tag or entity, math, or end a table cell is escaped with a
// backslash, and so is the backslash itself (Clean's escapes, \x1b, then
// read the same as on a terminal). Newlines cannot occur after Clean; were
// one to, it is escaped as Clean would, so a row stays one line.
func mdText(s string) string {
	if !strings.ContainsAny(s, mdSpecial+"\n\r") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 8)
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\n':
			b.WriteString(`\\x0a`)
		case c == '\r':
			b.WriteString(`\\x0d`)
		case strings.IndexByte(mdSpecial, c) >= 0:
			b.WriteByte('\\')
			b.WriteByte(c)
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// mdSpecial are the characters mdText escapes: \ and ` (escapes, code
// spans), * _ ~ (emphasis, strikethrough), [ ] (links and images), < > &
// (HTML, autolinks, entities), | (table cells), $ (math on GitHub and
// GitLab).
const mdSpecial = "\\`*_~[]<>&|$"

// WriteTable writes the report for people: per capture point, the answer
// first (how many transfers failed, why, and the fix), then the sessions,
// the transfers and the findings, fitted to opts.Width; then a summary.
func WriteTable(w io.Writer, run *Run, opts TableOptions) error {
	if opts.Width <= 0 {
		opts.Width = DefaultWidth
	}
	v := NewView(run)
	t := &tableWriter{w: bufio.NewWriter(w), width: opts.Width, prose: min(opts.Width, maxProse), color: opts.Color}
	for _, p := range v.Points {
		t.point(p)
	}
	if v.Path != nil {
		t.path(v.Path)
	}
	t.para("Summary: "+v.Summary, "")
	for _, n := range v.SummaryNotes {
		t.para(n.Label+": "+n.Text, "  ")
	}
	if t.err != nil {
		return t.err
	}
	return t.w.Flush()
}

// maxProse is the widest a line of prose gets on a wide terminal: longer
// lines are hard to follow back.
const maxProse = 120

// tableWriter lays a View out for a terminal.
type tableWriter struct {
	w     *bufio.Writer
	width int // the tables'
	prose int // the text's
	color bool
	err   error
}

// para writes text wrapped to the width, continuation lines indented.
func (t *tableWriter) para(text, indent string) {
	t.indented(text, "", indent)
}

// indented writes text wrapped to the width, the first line after first,
// the others after rest.
func (t *tableWriter) indented(text, first, rest string) {
	lines := wrapText(text, t.prose-max(term.Width(first), term.Width(rest)))
	for i, l := range lines {
		p := rest
		if i == 0 {
			p = first
		}
		t.line(p + l)
	}
}

func (t *tableWriter) line(s string) {
	if t.err == nil {
		_, t.err = t.w.WriteString(s + "\n")
	}
}

func (t *tableWriter) sev(s, severity string) string {
	if t.color && severity != "" {
		return term.Colorize(s, term.SeverityColor(severity))
	}
	return s
}

func (t *tableWriter) point(p PointView) {
	t.para(fmt.Sprintf("Capture point %q: %s — %s", p.Name, p.Files, p.Stats), "  ")
	for _, a := range p.Answer {
		t.indented(a, "  ", "  ")
	}
	if p.Along != "" {
		t.indented(p.Along, "  ", "  ")
	}
	if len(p.Sessions) == 0 {
		t.line("")
		return
	}
	t.line("")
	t.line("Sessions")
	g := &grid{headers: []string{"ID", "Client", "Server", "User", "TLS", "Cmds", "Transfers", "Gaps", "Closed"}}
	for _, r := range p.Sessions {
		g.rows = append(g.rows, []string{r.ID, r.Client, r.Server, r.User, r.TLS, r.Commands, r.Transfers, r.Gaps, r.Closed})
	}
	if widths, ok := g.widths(t.width); ok {
		t.grid(g, widths)
		t.sessionNotes(p.Sessions)
	} else {
		for _, r := range p.Sessions {
			t.indented(fmt.Sprintf("%s  %s → %s", r.ID, r.Client, r.Server), "", "    ")
			gaps := "no gaps"
			if r.Gaps != "0" {
				gaps = "gaps: " + r.Gaps
			}
			t.indented(fmt.Sprintf("user %s · TLS %s · %s · %s · %s · %s", r.User, r.TLS, plural(atoi(r.Commands), "command"), plural(atoi(r.Transfers), "transfer"), gaps, closedWords(r.Closed)), "    ", "      ")
			if r.Notes != "" {
				t.indented(r.Notes, "    ", "      ")
			}
		}
	}
	if len(p.Transfers) > 0 {
		t.line("")
		t.line("Transfers")
		g := &grid{headers: []string{"ID", "Command", "Negotiation (frame)", "Data connection", "Bytes", "Final reply", "Verdict"}}
		for _, r := range p.Transfers {
			g.rows = append(g.rows, []string{r.ID, short(r.Command), short(exchange(r)), r.Data, r.Bytes, short(r.Reply), r.Verdict})
		}
		g.style = func(i int) string { return term.SeverityColor(p.Transfers[i].Severity) }
		if widths, ok := g.widths(t.width); ok {
			t.grid(g, widths)
		} else {
			for _, r := range p.Transfers {
				t.indented(fmt.Sprintf("%s  %s → %s", r.ID, r.Command, t.sev(r.Verdict, r.Severity)), "", "    ")
				t.indented("negotiated: "+exchange(r), "    ", "      ")
				data := "data: " + r.Data
				if r.Bytes != "-" {
					data += "; " + plural(atoi(r.Bytes), "byte")
				}
				t.indented(data, "    ", "      ")
				if r.Reply != "-" {
					t.indented("final reply: "+r.Reply, "    ", "      ")
				} else {
					t.indented("no final reply seen", "    ", "      ")
				}
			}
		}
	}
	if len(p.Findings) > 0 {
		t.line("")
		t.line("Findings (most severe first)")
		t.findings(p.Findings, p.SeveralFiles)
	}
	t.line("")
}

// exchange is a negotiation and its reply in one cell: "PORT
// 10.0.0.2:40001 (13) → 200", "PASV → 227 192.0.2.1:30005 (16)" (the
// address, and the frame, are the reply's in passive mode).
func exchange(r TransferRow) string {
	n := r.Transfer.Negotiation
	switch {
	case n == nil:
		return "-"
	case n.Inferred != "":
		return r.Mode + " " + r.Negotiated
	case r.NegReply == "-" || r.NegReply == "none":
		return r.Negotiated + " → no reply"
	case n.Mode == analyze.Passive && n.Address.IsValid() && n.ParseError == "":
		return n.Command + " → " + r.NegReply + strings.TrimPrefix(r.Negotiated, n.Command)
	}
	return r.Negotiated + " → " + r.NegReply
}

func atoi(s string) int {
	n, _ := strconv.Atoi(s)
	return n
}

// sessionNotes writes the sessions' notes under their grid, sessions with
// the same notes together ("S1, S2: captured between the client and the
// server").
func (t *tableWriter) sessionNotes(rows []SessionRow) {
	var order []string
	ids := map[string][]string{}
	for _, r := range rows {
		if r.Notes == "" {
			continue
		}
		if ids[r.Notes] == nil {
			order = append(order, r.Notes)
		}
		ids[r.Notes] = append(ids[r.Notes], r.ID)
	}
	for _, n := range order {
		t.indented(idList(ids[n])+": "+n, "  ", "    ")
	}
}

// idList names a few IDs, and counts the rest.
func idList(ids []string) string {
	const shown = 6
	if len(ids) <= shown {
		return strings.Join(ids, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(ids[:shown], ", "), len(ids)-shown)
}

// closedWords says how a session ended, for the compact layout.
func closedWords(c string) string {
	if c == "open" {
		return "still open at the end"
	}
	return "closed (" + c + ")"
}

func (t *tableWriter) grid(g *grid, widths []int) {
	if t.err == nil {
		t.err = g.render(t.w, widths, t.color)
	}
}

// findings writes each finding: its headline, its sentence, its evidence
// as frames in a column, and the fix. withFile names each frame's file
// (a point reading several files, the comparison of two points).
func (t *tableWriter) findings(fs []FindingView, withFile bool) {
	for _, f := range fs {
		t.line(strings.TrimRight(fmt.Sprintf("%d. %s %s  %s", f.Number, t.sev(strings.ToUpper(f.Severity), f.Severity), f.Code, f.IDs), " "))
		t.indented(f.Summary, "   ", "   ")
		where := make([]string, len(f.Evidence))
		wide := 0
		for i, e := range f.Evidence {
			where[i] = fmt.Sprintf("frame %d", e.Frame)
			if withFile {
				where[i] = e.File + " " + where[i]
			}
			if e.Point != "" {
				where[i] = e.Point + " " + where[i]
			}
			wide = max(wide, term.Width(where[i]))
		}
		for i, e := range f.Evidence {
			head := fmt.Sprintf("     %s%s  %s  ", where[i], strings.Repeat(" ", wide-term.Width(where[i])), e.Time)
			hang := term.Width(head)
			if hang > t.prose/2 { // long file names: the text goes under them
				hang = 7
			}
			for j, l := range wrapText(e.What, t.prose-hang) {
				if j == 0 {
					t.line(head + l)
				} else {
					t.line(strings.Repeat(" ", hang) + l)
				}
			}
		}
		t.indented("fix: "+f.Advice, "   ", "     ")
	}
}

// path writes the story of the sessions seen at several points: the path,
// the boxes on it, then each session's negotiations along it and its
// findings.
func (t *tableWriter) path(p *PathView) {
	t.para("Path: "+p.Order, "  ")
	t.indented("("+p.OrderWhy+")", "  ", "   ")
	if p.Clocks != "" {
		t.indented(p.Clocks, "  ", "    ")
	}
	for _, b := range p.Boxes {
		t.indented(fmt.Sprintf("between %s and %s: %s", b.Near, b.Far, b.What), "  ", "    ")
	}
	for _, a := range p.Answer {
		t.indented(a, "  ", "  ")
	}
	if len(p.Stories) == 0 {
		t.line("")
		t.line("No session was seen at two points.")
		t.line("")
		return
	}
	for i, st := range p.Stories {
		t.line("")
		t.indented(fmt.Sprintf("Session %d along the path: %s (%s)", i+1, st.Title, st.Sessions), "", "    ")
		if st.Control != "" {
			t.indented(st.Control, "  ", "    ")
		}
		for _, n := range st.Negotiations {
			t.indented(n.Command+":", "  ", "    ")
			for _, s := range n.Seen {
				t.indented(s, "    ", "      ")
			}
			for _, b := range n.Boxes {
				t.indented(b, "    ", "      ")
			}
			data := n.Data
			if n.Failed {
				data = t.sev(data, "error")
			}
			t.indented(data, "    ", "      ")
		}
		if len(st.Findings) > 0 {
			t.findings(st.Findings, false)
		}
	}
	t.line("")
}

// A summaryNote is a line under the summary: what the limits left out,
// the kernel's drops, input errors. text is already through Clean.
type summaryNote struct{ label, text string }

func summaryNotes(in *Run, sum summaryRecord) []summaryNote {
	var notes []summaryNote
	for _, r := range in.Points {
		if text := notShown(in, r); text != "" {
			notes = append(notes, summaryNote{"Not shown at " + strconv.Quote(r.Point), text + "."})
		}
	}
	for _, p := range sum.Points {
		if cut := leftOutAt(p); len(cut) > 0 {
			notes = append(notes, summaryNote{"Left out at " + strconv.Quote(p.Name), strings.Join(cut, "; ") + "."})
		}
	}
	if in.Live {
		notes = append(notes, summaryNote{"Live capture", fmt.Sprintf("the kernel passed %d packets to ftpsniff and dropped %d.", in.KernelReceived, in.KernelDrops)})
	}
	for _, e := range in.Errors {
		notes = append(notes, summaryNote{"Input error", term.Clean(e)})
	}
	return notes
}

// leftOutAt says what the limits left out at one capture point.
func leftOutAt(p pointRecord) []string {
	var cut []string
	if p.DroppedFlows > 0 {
		cut = append(cut, fmt.Sprintf("%d connections not tracked (flow table full)", p.DroppedFlows))
	}
	if p.DroppedExpected > 0 {
		cut = append(cut, fmt.Sprintf("%d negotiations evicted", p.DroppedExpected))
	}
	if p.DroppedTransfers > 0 {
		cut = append(cut, fmt.Sprintf("%d transfers not kept", p.DroppedTransfers))
	}
	if p.LongLines > 0 {
		cut = append(cut, fmt.Sprintf("%d over-long lines cut", p.LongLines))
	}
	if p.ReassemblyForced > 0 {
		cut = append(cut, fmt.Sprintf("%d holes skipped at buffer limits", p.ReassemblyForced))
	}
	if p.UnsupportedLink > 0 {
		cut = append(cut, fmt.Sprintf("%d packets of unsupported link types", p.UnsupportedLink))
	}
	return cut
}

// notShown says which sessions of r the report leaves out (beyond
// --max-sessions), or "".
func notShown(in *Run, r *diagnose.Point) string {
	n := r.LeftOut.Sessions
	if in.MaxSessions == 0 || n == 0 {
		return ""
	}
	f := r.LeftOut.Findings
	return fmt.Sprintf("%s with %s (findings: %d error, %d warning, %d info) beyond the %d kept (--max-sessions; the worst are kept); -F json reports every one",
		plural(n, "session"), plural(r.LeftOut.Transfers, "transfer"), f[diagnose.Error], f[diagnose.Warning], f[diagnose.Info], in.MaxSessions)
}
