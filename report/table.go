package report

import (
	"bufio"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/olekukonko/tablewriter"
	"github.com/olekukonko/tablewriter/renderer"
	"github.com/olekukonko/tablewriter/tw"

	"github.com/ftpsniff/ftpsniff/analyze"
	"github.com/ftpsniff/ftpsniff/diagnose"
	"github.com/ftpsniff/ftpsniff/report/term"
)

// Input is everything a report shows.
type Input struct {
	Results []*diagnose.Point // one per capture point, with its diagnosis
	// ALG compares two capture points on either side of a NAT.
	ALG    []*diagnose.ALGDiagnosis
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
	// Color: the table report may colour severities (standard output is a
	// terminal, and neither --no-color nor NO_COLOR).
	Color bool
}

// maxCell bounds a cell's text from the wire so one hostile file name cannot
// flood the terminal.
const maxCell = 60

func cell(s string) string {
	s = term.Clean(s)
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

func newTable(w io.Writer, md bool, headers ...any) *tablewriter.Table {
	var r tw.Renderer = renderer.NewBlueprint(tw.Rendition{Symbols: tw.NewSymbols(tw.StyleLight)})
	opts := []tablewriter.Option{
		tablewriter.WithHeaderAutoFormat(tw.Off),
		tablewriter.WithRowAutoWrap(tw.WrapNone),
		tablewriter.WithTrimSpace(tw.Off),
	}
	if md {
		r = renderer.NewMarkdown()
		// Every cell is made literal, whatever wrote it: a | from the wire
		// cannot split a row, nor a backtick or <img> render.
		opts = append(opts, tablewriter.WithRowFilter(tw.CellFilter{Global: func(cells []string) []string {
			for i, c := range cells {
				cells[i] = mdText(c)
			}
			return cells
		}}))
	}
	t := tablewriter.NewTable(w, append([]tablewriter.Option{tablewriter.WithRenderer(r)}, opts...)...)
	t.Header(headers...)
	return t
}

// WriteTable writes the report for people: per capture point, the sessions
// and the transfers, then a summary.
func WriteTable(w io.Writer, in *Input) error { return writeTables(w, in, false) }

// WriteMarkdown writes the same report as Markdown, to paste into a ticket.
func WriteMarkdown(w io.Writer, in *Input) error { return writeTables(w, in, true) }

func writeTables(w io.Writer, in *Input, md bool) error {
	bw := bufio.NewWriter(w)
	h := func(title string) {
		if md {
			fmt.Fprintf(bw, "\n### %s\n\n", title)
		} else {
			fmt.Fprintf(bw, "\n%s\n", title)
		}
	}
	if md {
		fmt.Fprintln(bw, "## ftpsniff report")
		fmt.Fprintln(bw)
		writeMarkdownSummary(bw, in)
	}
	for _, r := range in.Results {
		point, files := strconv.Quote(r.Point), cell(strings.Join(r.Inputs, ", "))
		if md {
			point, files = "**"+mdText(point)+"**", mdText(files)
		}
		fmt.Fprintf(bw, "Capture point %s: %s — %d packets, %d bytes", point, files, r.Capture.Packets, r.Capture.Bytes)
		if r.Capture.Truncated > 0 {
			fmt.Fprintf(bw, ", %d cut by the snap length", r.Capture.Truncated)
		}
		fmt.Fprintln(bw)
		if len(r.Sessions) == 0 {
			fmt.Fprintln(bw, "No FTP control connection found.")
			fmt.Fprintln(bw)
			continue
		}
		h("Sessions")
		st := newTable(bw, md, "ID", "Client", "Server", "User", "TLS", "Cmds", "Transfers", "Gaps", "Closed", "Notes")
		for _, s := range r.Sessions {
			if err := st.Append(sessionRow(r.Result, s)); err != nil {
				return err
			}
		}
		if err := st.Render(); err != nil {
			return err
		}
		verdicts := map[*analyze.Transfer]string{}
		for _, f := range r.Findings {
			for _, t := range f.Transfers {
				if verdicts[t] == "" {
					verdicts[t] = string(f.Code)
				}
			}
		}
		var rows [][]string
		for _, s := range r.Sessions {
			for _, t := range s.Transfers {
				rows = append(rows, append(transferRow(t), verdict(t, verdicts[t])))
			}
		}
		if len(rows) > 0 {
			h("Transfers")
			tt := newTable(bw, md, "ID", "Command", "Mode", "Negotiated (frame)", "Neg. reply", "Data connection", "Bytes", "Reply", "Verdict")
			for _, row := range rows {
				if err := tt.Append(row); err != nil {
					return err
				}
			}
			if err := tt.Render(); err != nil {
				return err
			}
		}
		if len(r.Findings) > 0 {
			h("Findings (most severe first)")
			writeFindings(bw, r.Result, r.Findings, md, in.Color)
		}
		fmt.Fprintln(bw)
	}
	for _, a := range in.ALG {
		if err := writeALG(bw, a, md, in.Color, h); err != nil {
			return err
		}
	}
	if !md {
		writeSummary(bw, in) // Markdown has it at the top
	}
	return bw.Flush()
}

func sessionRow(r *analyze.Result, s *analyze.Session) []string {
	tls := "no"
	if s.TLS {
		tls = "yes"
		if s.DetectedBy == "implicit-tls" {
			tls = "implicit"
		}
		if s.TLSEnded {
			tls += ", then clear (CCC)"
		}
	}
	gaps := "0"
	if s.Gaps > 0 {
		gaps = fmt.Sprintf("%d (%d B)", s.Gaps, s.MissingBytes)
	}
	var notes []string
	if s.Side != "" && s.Side != analyze.SideUnknown {
		notes = append(notes, "captured on the "+string(s.Side)+" side")
	}
	if s.MidStream {
		notes = append(notes, "capture starts mid-session")
	}
	if s.DetectedBy == "greeting" {
		notes = append(notes, "found by its greeting on port "+strconv.Itoa(int(s.Server.Port())))
	}
	if s.ProtocolErrors > 0 {
		notes = append(notes, fmt.Sprintf("%d non-FTP lines", s.ProtocolErrors))
	}
	closed := s.Closed
	if closed == "" {
		closed = "open"
	}
	user := s.User
	if user == "" {
		user = "-"
	}
	return []string{s.ID, s.Client.String(), s.Server.String(), cell(user), tls,
		strconv.Itoa(s.Commands), strconv.Itoa(len(s.Transfers)), gaps, closed, strings.Join(notes, "; ")}
}

func transferRow(t *analyze.Transfer) []string {
	cmd := t.Command
	if cmd == "" {
		cmd = "(none)"
	}
	if t.Arg != "" {
		cmd += " " + t.Arg
	}
	mode, neg, negReply := "-", "-", "-"
	if n := t.Negotiation; n != nil {
		mode = string(n.Mode)
		switch {
		case n.Inferred == "tls-host-pair":
			neg = "(encrypted) " + n.Address.String()
		case n.Inferred != "":
			neg = "(not captured) " + n.Address.String()
		case n.ParseError != "":
			neg = n.Command + " unparsable"
		case n.Address.IsValid():
			neg = fmt.Sprintf("%s %s (%d)", n.Command, n.Address, n.At.Frame)
		default:
			neg = n.Command
		}
		if n.Reply.Code != 0 {
			negReply = strconv.Itoa(n.Reply.Code)
		} else if n.Inferred == "" {
			negReply = "none"
		}
	}
	data, bytes := "no SYN seen here", "-"
	if t.DataState() == analyze.NotCaptured {
		data = "not captured here (the replies say it ran)"
	}
	if d := t.Data(); d != nil {
		data = fmt.Sprintf("%s, %s %s→%s (SYN %d)", d.State(), d.Initiator, d.Src, d.Dst, d.SYN.Frame)
		if d.MatchedBy == "control-address" {
			data += ", to the control address"
		}
		if n := len(d.SYNRetries); n > 0 && d.State() != analyze.Established {
			data += fmt.Sprintf(", %d SYN retries", n)
		}
		bytes = strconv.FormatUint(d.Bytes(), 10)
	}
	reply := "-"
	if t.Final.Code != 0 {
		reply = strconv.Itoa(t.Final.Code) + " " + t.Final.Text
	} else if t.Prelim.Code != 0 {
		reply = strconv.Itoa(t.Prelim.Code) + " " + t.Prelim.Text + " (no final reply)"
	}
	return []string{t.ID, cell(cmd), mode, cell(neg), negReply, data, bytes, cell(reply)}
}

func writeALG(w io.Writer, a *diagnose.ALGDiagnosis, md, color bool, h func(string)) error {
	h(fmt.Sprintf("ALG comparison: %q (inside) and %q (outside), clock offset %s", a.Inside.Point, a.Outside.Point, a.ClockOffset))
	if len(a.Comparisons) == 0 {
		fmt.Fprintln(w, "No session was seen on both sides.")
		return nil
	}
	t := newTable(w, md, "Session (in/out)", "Inside (frame)", "Outside (frame)", "Verdict", "Seq shift")
	for _, c := range a.Comparisons {
		ids := c.InsideSession.ID + "/" + c.OutsideSession.ID
		line := func(n *analyze.Negotiation) string {
			if n == nil {
				return "-"
			}
			return fmt.Sprintf("%s %s (%d)", n.Command, n.Address, n.At.Frame)
		}
		shift := "-"
		if c.SeqChecked {
			shift = fmt.Sprintf("%+d for %+d bytes", c.SeqShift, c.LengthChange)
			if !c.SeqConsistent {
				shift += " BROKEN"
			}
		}
		if err := t.Append([]string{ids, cell(line(c.Inside)), cell(line(c.Outside)), string(c.Verdict), shift}); err != nil {
			return err
		}
	}
	if err := t.Render(); err != nil {
		return err
	}
	if len(a.Findings) > 0 {
		h("ALG findings")
		writeFindings(w, a.Outside.Result, a.Findings, md, color, a.Inside.Result)
	}
	return nil
}

func verdict(t *analyze.Transfer, code string) string {
	switch {
	case code != "":
		return code
	case t.Data() != nil && t.Data().State() == analyze.Established && t.Final.Code >= 200 && t.Final.Code < 300:
		return "ok"
	}
	return "-"
}

// writeFindings lists findings; evidence from another capture point is
// looked up among others.
func writeFindings(w io.Writer, r *analyze.Result, findings []*diagnose.Finding, md, color bool, others ...*analyze.Result) {
	for i, f := range findings {
		sev := strings.ToUpper(f.Severity.String())
		if color && !md {
			sev = term.Colorize(sev, term.SeverityColor(f.Severity.String()))
		}
		ids := ""
		if f.Session != nil {
			ids = f.Session.ID
		}
		if len(f.Transfers) > 0 {
			var ts []string
			for _, t := range f.Transfers {
				ts = append(ts, t.ID)
			}
			ids += " (" + strings.Join(ts, ", ") + ")"
		}
		// A sub-item is indented to the item's text ("10. " is 4 wide),
		// else Markdown starts a new list.
		mdIndent := strings.Repeat(" ", len(strconv.Itoa(i+1))+2)
		if md {
			fmt.Fprintf(w, "%d. **%s `%s`** %s: %s\n", i+1, sev, f.Code, ids, mdText(term.Clean(f.Summary)))
		} else {
			fmt.Fprintf(w, "%d. %s %s %s\n   %s\n", i+1, sev, f.Code, ids, term.Clean(f.Summary))
		}
		for _, e := range f.Evidence {
			src := r
			for _, o := range others {
				if e.Point != "" && e.Point == o.Point {
					src = o
				}
			}
			file := fileOf(src, e.At)
			if md {
				fmt.Fprintf(w, "%s- %s frame %d (%s): %s\n", mdIndent, mdText(term.Clean(file)), e.At.Frame, e.At.Time.UTC().Format("15:04:05.000000"), mdText(term.Clean(e.What)))
			} else {
				fmt.Fprintf(w, "   evidence: %s frame %d at %s: %s\n", term.Clean(file), e.At.Frame, e.At.Time.UTC().Format("15:04:05.000000"), term.Clean(e.What))
			}
		}
		if md {
			fmt.Fprintf(w, "%s- fix: %s\n", mdIndent, mdText(term.Clean(f.Advice)))
		} else {
			fmt.Fprintf(w, "   fix: %s\n", term.Clean(f.Advice))
		}
	}
	if md && len(findings) > 0 {
		fmt.Fprintln(w) // ends the list: what follows is not one of its items
	}
}

func writeSummary(w io.Writer, in *Input) {
	sum := summaryRec(in)
	fmt.Fprintf(w, "Summary: %s, %s; findings: %d error, %d warning, %d info; %s, %d bytes read",
		plural(sum.Sessions, "session"), plural(sum.Transfers, "transfer"), sum.Findings["error"], sum.Findings["warning"], sum.Findings["info"], plural(int(sum.Packets), "packet"), sum.Bytes)
	if sum.TruncatedPackets > 0 {
		fmt.Fprintf(w, ", %d truncated by the snap length", sum.TruncatedPackets)
	}
	fmt.Fprintln(w, ".")
	for _, n := range summaryNotes(in, sum) {
		fmt.Fprintf(w, "%s: %s\n", n.label, n.text)
	}
}

// A summaryNote is a line under the summary: what the limits left out,
// the kernel's drops, input errors. text is already through Clean.
type summaryNote struct{ label, text string }

func summaryNotes(in *Input, sum summaryRecord) []summaryNote {
	var notes []summaryNote
	for _, r := range in.Results {
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
func notShown(in *Input, r *diagnose.Point) string {
	n := r.LeftOut.Sessions
	if in.MaxSessions == 0 || n == 0 {
		return ""
	}
	f := r.LeftOut.Findings
	return fmt.Sprintf("%s with %s (findings: %d error, %d warning, %d info) beyond the %d kept (--max-sessions; the worst are kept); -F json reports every one",
		plural(n, "session"), plural(r.LeftOut.Transfers, "transfer"), f[diagnose.Error], f[diagnose.Warning], f[diagnose.Info], in.MaxSessions)
}
